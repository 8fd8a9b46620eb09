// The narrow forms stored beside a plan (table plan_views, schema version 11): they come back as stored, with the
// plan or without its bodies; a plan stored without them (as before version 11) reads as before, bodies included;
// a view is written in the plan's transaction, so a failed view leaves no plan either.
#include <boost/test/unit_test.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include "store/plans.h"
#include "tests/common/test_support.h"

using namespace thinkplan;
using namespace thinkplan::store;

namespace {

StoredPlan SomePlan() {
  StoredPlan plan;
  plan.workload_name = "default";
  plan.workload_json = R"({"name":"default","classes":[{"name":"a","answer_tokens":300}]})";
  plan.fits_hash = "f";
  plan.plan_json = R"({"accuracy":0.8,"allocation":[],"frontier":[1,2,3]})";
  return plan;
}

long PlanCount(Database& db) {
  SQLite::Statement count(db.connection(), "SELECT count(*) FROM plans");
  count.executeStep();
  return static_cast<long>(count.getColumn(0).getInt64());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(plan_views)

BOOST_AUTO_TEST_CASE(a_view_round_trips_with_the_plan_and_alone) {
  testing::ScratchDir dir;
  Database db = Database::Open(dir / "t.db");
  StoredPlan plan = SomePlan();
  // Text that needs care on the way through: quotes, a multi-byte character, an embedded newline escape.
  plan.view = PlanView{R"({"objective":"max \"accuracy\""})", "{\"class\":\"a\"}\n{\"class\":\"b\"}\n",
                       R"({"classes":[{"name":"é\n"}]})", R"({"accuracy":0.8})"};
  const long id = SavePlan(db, plan);

  const StoredPlan whole = LoadPlan(db, id);
  BOOST_REQUIRE(whole.view.has_value());
  BOOST_TEST(whole.view->policy_plan_json == plan.view->policy_plan_json);
  BOOST_TEST(whole.view->policy_allocation_lines == plan.view->policy_allocation_lines);
  BOOST_TEST(whole.view->policy_workload_json == plan.view->policy_workload_json);
  BOOST_TEST(whole.view->summary_json == plan.view->summary_json);
  BOOST_TEST(whole.plan_json == plan.plan_json);
  BOOST_TEST(whole.workload_json == plan.workload_json);

  // For a reader of the view alone the bodies are not read; the plan's columns are.
  const StoredPlan viewed = LoadPlan(db, id, PlanBodies::kUnlessViewed);
  BOOST_REQUIRE(viewed.view.has_value());
  BOOST_TEST(viewed.view->policy_plan_json == plan.view->policy_plan_json);
  BOOST_TEST(viewed.plan_json.empty());
  BOOST_TEST(viewed.workload_json.empty());
  BOOST_TEST(viewed.workload_name == "default");
  BOOST_TEST(viewed.workload_hash == Sha256Hex(plan.workload_json));
  BOOST_TEST(viewed.fits_hash == "f");

  const std::vector<PlanListing> listed = ListPlanSummaries(db);
  BOOST_REQUIRE_EQUAL(listed.size(), 1u);
  BOOST_TEST(listed[0].plan.id == id);
  BOOST_TEST(listed[0].summary_json.value() == plan.view->summary_json);
  BOOST_TEST(listed[0].plan.plan_json.empty());

  // The listing's simulation ids, without the bodies: those ListSimulations gives, newest first.
  const long sim_a = SaveSimulation(db, {0, id, "", 1, "{}"});
  const long sim_b = SaveSimulation(db, {0, id, "", 2, "{}"});
  BOOST_TEST((ListSimulationIds(db, id) == std::vector<long>{sim_b, sim_a}));
  BOOST_TEST(ListSimulationIds(db, id + 1).empty());
}

BOOST_AUTO_TEST_CASE(a_plan_stored_without_a_view_reads_as_before) {
  testing::ScratchDir dir;
  Database db = Database::Open(dir / "t.db");
  const StoredPlan plan = SomePlan();  // no view: a row as a build before schema version 11 wrote it
  const long old_id = SavePlan(db, plan);
  StoredPlan viewed = SomePlan();
  viewed.view = PlanView{"{}", "", "{}", "{}"};
  const long new_id = SavePlan(db, viewed);

  for (const PlanBodies bodies : {PlanBodies::kAlways, PlanBodies::kUnlessViewed}) {
    const StoredPlan back = LoadPlan(db, old_id, bodies);
    BOOST_TEST(!back.view.has_value());
    BOOST_TEST(back.plan_json == plan.plan_json);  // the bodies are read: the reader falls back on them
    BOOST_TEST(back.workload_json == plan.workload_json);
  }
  const std::vector<PlanListing> listed = ListPlanSummaries(db);
  BOOST_REQUIRE_EQUAL(listed.size(), 2u);
  BOOST_TEST(listed[0].plan.id == new_id);  // newest first
  BOOST_TEST(listed[0].summary_json.has_value());
  BOOST_TEST(listed[1].plan.id == old_id);
  BOOST_TEST(!listed[1].summary_json.has_value());
  const std::vector<StoredPlan> all = ListPlans(db);
  BOOST_REQUIRE_EQUAL(all.size(), 2u);
  BOOST_TEST(all[0].view.has_value());
  BOOST_TEST(!all[1].view.has_value());
}

BOOST_AUTO_TEST_CASE(a_view_that_cannot_be_stored_leaves_no_plan) {
  testing::ScratchDir dir;
  Database db = Database::Open(dir / "t.db");
  SavePlan(db, SomePlan());
  // A stray view row for the next plan's id (as a damaged database might hold), written with foreign keys off:
  // the next save's view then violates plan_views' primary key after its plan row was inserted.
  db.connection().exec("PRAGMA foreign_keys = OFF");
  SQLite::Statement stray(db.connection(),
                          "INSERT INTO plan_views (plan_id, summary, policy_plan, policy_workload, policy_allocation) "
                          "VALUES (?, ?, ?, ?, ?)");
  stray.bind(1, static_cast<int64_t>(2));
  stray.bind(2, "{}");
  stray.bind(3, "{}");
  stray.bind(4, "{}");
  stray.bind(5, "");
  stray.exec();
  db.connection().exec("PRAGMA foreign_keys = ON");
  StoredPlan plan = SomePlan();
  plan.view = PlanView{"{}", "", "{}", "{}"};
  BOOST_CHECK_THROW(SavePlan(db, plan), std::exception);
  BOOST_TEST(PlanCount(db) == 1);
}

BOOST_AUTO_TEST_SUITE_END()
