// Fits, plans and simulations in the store: round trips, upsert by key, curve sets built from usable fits only,
// ids that name what is missing, and SHA-256 against the FIPS 180-4 example vectors.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "core/errors.h"
#include "store/fits.h"
#include "store/plans.h"
#include "tests/common/test_support.h"

using namespace thinkplan;
using namespace thinkplan::store;

BOOST_AUTO_TEST_SUITE(fits_and_plans)

BOOST_AUTO_TEST_CASE(sha256_matches_the_standard_vectors) {
  BOOST_TEST(Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  BOOST_TEST(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  BOOST_TEST(Sha256Hex(std::string(1000000, 'a')) ==
             "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

BOOST_AUTO_TEST_CASE(fits_round_trip_and_upsert_by_key) {
  testing::ScratchDir dir;
  Database db = Database::Open(dir / "t.db");
  StoredFit fit;
  fit.kind = "sequential";
  fit.key = {"o3-mini", "math-competition", ""};
  fit.form = "sigmoid";
  fit.axis = "tokens used";
  fit.params = {0.1, 0.9, 1.3, std::log(4000.0)};
  fit.covariance = std::vector<double>(16, 0.0);
  fit.covariance[0] = 1.0 / 3.0;  // a value that needs all 17 digits to come back exactly
  fit.quality.status = FitStatus::kOk;
  fit.quality.n_points = 5;
  fit.summary_json = "{}";
  fit.input_hash = Sha256Hex("rows");
  SaveFit(db, fit);
  auto back = FindFit(db, "sequential", fit.key);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(back->params == fit.params, boost::test_tools::per_element());
  BOOST_TEST(back->covariance[0] == 1.0 / 3.0);
  BOOST_TEST(back->quality.n_points == 5);
  fit.params[0] = 0.2;
  SaveFit(db, fit);
  BOOST_TEST(ListFits(db).size() == 1u);
  BOOST_TEST(FindFit(db, "sequential", fit.key)->params[0] == 0.2);
  BOOST_TEST(!FindFit(db, "tokens", fit.key).has_value());

  // Only usable fits become curves; the sigmoid comes back evaluating as it should.
  StoredFit thin = fit;
  thin.kind = "parallel";
  thin.form = "beta";
  thin.params = {0, 0};
  thin.quality.status = FitStatus::kInsufficientData;
  SaveFit(db, thin);
  const CurveSet set = LoadCurveSet(db);
  const FittedCurves* curves = set.Find({"o3-mini", "math-competition", "hard"});  // falls back to the class
  BOOST_REQUIRE(curves != nullptr);
  BOOST_REQUIRE(curves->sequential.has_value());
  BOOST_TEST(!curves->difficulty.has_value());
  BOOST_TEST(curves->sequential->Evaluate(4000.0) == 0.2 + (0.9 - 0.2) / 2, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(set.fits_hash.size() == 64u);
}

BOOST_AUTO_TEST_CASE(plans_and_simulations_round_trip) {
  testing::ScratchDir dir;
  Database db = Database::Open(dir / "t.db");
  StoredPlan plan;
  plan.workload_name = "default";
  plan.workload_json = R"({"name":"default"})";
  plan.fits_hash = "f";
  plan.plan_json = R"({"accuracy":0.8})";
  const long first = SavePlan(db, plan);
  plan.base_plan_id = first;
  const long second = SavePlan(db, plan);
  BOOST_TEST(second > first);
  const StoredPlan back = LoadPlan(db, second);
  BOOST_TEST(back.workload_hash == Sha256Hex(plan.workload_json));
  BOOST_TEST(back.base_plan_id.value() == first);
  BOOST_TEST(back.plan_json == plan.plan_json);
  BOOST_TEST(ListPlans(db).size() == 2u);
  BOOST_TEST(ListPlans(db).front().id == second);
  try {
    LoadPlan(db, 99);
    BOOST_FAIL("no error");
  } catch (const InputError& e) {
    BOOST_TEST(std::string(e.what()).find("no plan with id 99") != std::string::npos);
  }
  const long sim = SaveSimulation(db, {0, first, "", 42, R"({"accuracy":0.79})"});
  BOOST_TEST(LoadSimulation(db, sim).seed == 42u);
  BOOST_TEST(ListSimulations(db, first).size() == 1u);
  BOOST_TEST(ListSimulations(db, second).empty());
  BOOST_CHECK_THROW(SaveSimulation(db, {0, 12345, "", 1, "{}"}), std::exception);  // foreign key: no such plan
}

BOOST_AUTO_TEST_SUITE_END()
