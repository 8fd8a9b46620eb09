// Stored sweeps (store/sweeps.h): a round trip of every column, newest first and filtered by plan, a seed above
// 2^63 kept bit for bit (SQLite integers are signed), and a sweep of a plan that does not exist refused without a row.
#include <boost/test/unit_test.hpp>

#include "core/errors.h"
#include "store/database.h"
#include "store/plans.h"
#include "store/sweeps.h"
#include "tests/common/test_support.h"

namespace thinkplan::store {
namespace {

long APlan(Database& db) {
  // Built in one expression: assigning short literals member by member trips GCC 12's -Wmaybe-uninitialized.
  return SavePlan(db, StoredPlan{.id = 0, .created_at = "", .workload_name = "w", .workload_json = "{}",
                                 .workload_hash = "", .fits_hash = "f", .base_plan_id = std::nullopt, .plan_json = "{}",
                                 .view = std::nullopt});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sweeps)

BOOST_AUTO_TEST_CASE(sweeps_round_trip_newest_first_and_by_plan) {
  testing::ScratchDir dir;
  Database db = Database::Open(dir / "t.db");
  const long p1 = APlan(db), p2 = APlan(db);
  StoredSweep s;
  s.plan_id = p1;
  s.seed = 0xFFFFFFFFFFFFFFF0ull;
  s.draws = 1000;
  s.scenarios = 3;
  s.body = R"({"scenarios":[]})";
  const long a = SaveSweep(db, s);
  s.plan_id = p2;
  const long b = SaveSweep(db, s);
  const std::vector<StoredSweep> all = ListSweeps(db);
  BOOST_REQUIRE_EQUAL(all.size(), 2u);
  BOOST_TEST(all[0].id == b);
  BOOST_TEST(all[1].id == a);
  const std::vector<StoredSweep> of_p1 = ListSweeps(db, p1);
  BOOST_REQUIRE_EQUAL(of_p1.size(), 1u);
  const StoredSweep loaded = LoadSweep(db, a);
  BOOST_TEST(loaded.plan_id == p1);
  BOOST_TEST(loaded.seed == 0xFFFFFFFFFFFFFFF0ull);
  BOOST_TEST(loaded.draws == 1000);
  BOOST_TEST(loaded.scenarios == 3);
  BOOST_TEST(loaded.body == s.body);
  BOOST_TEST(!loaded.created_at.empty());
  BOOST_CHECK_THROW(LoadSweep(db, 99), InputError);
}

BOOST_AUTO_TEST_CASE(a_sweep_of_a_missing_plan_is_refused_and_leaves_no_row) {
  testing::ScratchDir dir;
  Database db = Database::Open(dir / "t.db");
  StoredSweep s;
  s.plan_id = 42;
  s.body = "{}";
  BOOST_CHECK_THROW(SaveSweep(db, s), InputError);
  BOOST_TEST(ListSweeps(db).empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace thinkplan::store
