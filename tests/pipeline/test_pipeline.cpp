// The stages of pipeline/ called in-process on a temporary database: the demo pipeline as a whole (a plan id, a
// simulation id and a timing for every named stage; a second run stores nothing new), and each stage's options
// and results on the demo's database. The commands' output is tested through the executable in tests/cli.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "pipeline/demo.h"
#include "pipeline/exchange_stage.h"
#include "pipeline/fit_stage.h"
#include "pipeline/plan_stage.h"
#include "pipeline/report_stage.h"
#include "pipeline/simulate_stage.h"
#include "planner/workload.h"
#include "store/database.h"
#include "store/plans.h"
#include "tests/common/test_support.h"

namespace thinkplan::testing {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kDemoStages = {"ingest shipped data",       "fit scaling curves",
                                              "fit serving rates",
                                              "plan the default workload and verify it in simulation",
                                              "export the serving policy", "write the report"};

// The demo pipeline run once into a scratch database (plan 1, simulation 1), kept for the suite; each test case
// works on its own copy.
struct DemoDatabase {
  ScratchDir dir{"thinkplan-pipeline"};
  pipeline::DemoResult result;
  std::string log;
  DemoDatabase() {
    store::Database db = store::Database::Open(dir / "demo.db");
    std::ostringstream log_stream;
    pipeline::DemoOptions options;
    options.out_dir = dir / "out";
    options.log = &log_stream;
    result = pipeline::RunDemoPipeline(db, DataDir(), options);
    log = log_stream.str();
  }
  static const DemoDatabase& Get() {
    static const DemoDatabase demo;
    return demo;
  }
  // A copy of the demo database that a test case may change.
  fs::path Copy(const ScratchDir& into) const {
    const fs::path copy = into / "copy.db";
    fs::copy_file(dir / "demo.db", copy);
    return copy;
  }
};

BOOST_AUTO_TEST_SUITE(pipeline_demo)

BOOST_AUTO_TEST_CASE(demo_pipeline_returns_ids_and_a_timing_for_every_named_stage) {
  const DemoDatabase& demo = DemoDatabase::Get();
  const pipeline::DemoResult& r = demo.result;
  BOOST_TEST(r.plan_id == 1);
  BOOST_TEST(r.simulation_id == 1);
  BOOST_TEST(r.plan.feasible);
  BOOST_REQUIRE_EQUAL(r.stages.size(), kDemoStages.size());
  for (std::size_t i = 0; i < kDemoStages.size(); ++i) {
    BOOST_TEST(r.stages[i].name == kDemoStages[i]);
    BOOST_TEST(r.stages[i].seconds >= 0.0);
    // The log names each stage before it runs.
    BOOST_TEST(demo.log.find("== " + kDemoStages[i] + "\n") != std::string::npos, kDemoStages[i]);
  }
  BOOST_TEST(!r.ingested.empty());
  BOOST_TEST(r.counts.runs > 0);
  BOOST_TEST(r.fits.lines.size() > 0u);
  BOOST_TEST(r.fits.refitted == r.fits.lines.size());  // a fresh database: everything is fitted
  BOOST_TEST(r.fits.usable > 0u);
  BOOST_TEST(r.policy_path == demo.dir / "out" / "policy.json");
  BOOST_TEST(fs::exists(r.policy_path));
  BOOST_REQUIRE_EQUAL(r.report.written.size(), 2u);
  BOOST_TEST(r.report.written[0].path == demo.dir / "out" / "report.html");
  BOOST_TEST(r.report.written[1].path == demo.dir / "out" / "report.md");
  for (const pipeline::WrittenReport& w : r.report.written) {
    BOOST_TEST(fs::file_size(w.path) == w.bytes);
    BOOST_TEST(w.charts > 0u);
  }
  store::Database db = store::Database::Open(demo.dir / "demo.db");
  BOOST_TEST(store::LoadSimulation(db, r.simulation_id).plan_id == r.plan_id);
}

BOOST_AUTO_TEST_CASE(a_second_run_stores_nothing_new_and_refits_nothing) {
  ScratchDir dir("thinkplan-pipeline-again");
  store::Database db = store::Database::Open(DemoDatabase::Get().Copy(dir));
  pipeline::DemoOptions options;
  options.out_dir = dir / "out";
  const pipeline::DemoResult again = pipeline::RunDemoPipeline(db, DataDir(), options);
  for (const store::IngestSummary& file : again.ingested) BOOST_TEST(file.inserted == 0u, file.file);
  BOOST_TEST(again.fits.refitted == 0u);
  BOOST_TEST(again.plan_id == 2);
  BOOST_TEST(again.simulation_id == 2);
}

BOOST_AUTO_TEST_CASE(a_missing_manifest_is_an_input_error) {
  ScratchDir dir("thinkplan-pipeline-manifest");
  BOOST_CHECK_THROW(pipeline::ReadManifest(dir.path()), InputError);
  store::Database db = store::Database::Open(dir / "empty.db");
  pipeline::DemoOptions options;
  options.shipped_data = dir.path();
  options.out_dir = dir / "out";
  BOOST_CHECK_THROW(pipeline::RunDemoPipeline(db, DataDir(), options), InputError);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pipeline_stages)

BOOST_AUTO_TEST_CASE(fit_stage_filters_refits_on_request_and_draws_progress_where_asked) {
  ScratchDir dir("thinkplan-pipeline-fit");
  store::Database db = store::Database::Open(DemoDatabase::Get().Copy(dir));
  pipeline::FitStageOptions options;
  options.filter.task_class = "code";
  const pipeline::FitStageResult unchanged = pipeline::FitStage(db, DataDir(), options);
  BOOST_REQUIRE(!unchanged.lines.empty());
  BOOST_TEST(unchanged.refitted == 0u);
  for (const pipeline::FitLine& line : unchanged.lines) BOOST_TEST(line.fit.key.task_class == "code");

  options.refit = true;
  std::ostringstream progress;
  const pipeline::FitStageResult refitted = pipeline::FitStage(db, DataDir(), options, &progress);
  BOOST_TEST(refitted.refitted == refitted.lines.size());
  BOOST_TEST(refitted.usable == unchanged.usable);
  BOOST_TEST(progress.str().find("fitting: ") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(plan_stage_stores_only_a_feasible_plan_when_asked) {
  ScratchDir dir("thinkplan-pipeline-plan");
  store::Database db = store::Database::Open(DemoDatabase::Get().Copy(dir));
  const planner::Workload workload = planner::LoadWorkload(DataDir() / "workloads" / "default.json");

  pipeline::PlanStageOptions options;
  options.store = false;
  const pipeline::PlanStageResult unstored = pipeline::PlanStage(db, workload, options);
  BOOST_TEST(unstored.plan.feasible);
  BOOST_TEST(!unstored.plan_id.has_value());

  options.store = true;
  const pipeline::PlanStageResult stored = pipeline::PlanStage(db, workload, options);
  BOOST_REQUIRE(stored.plan_id.has_value());
  BOOST_TEST(store::LoadPlan(db, *stored.plan_id).workload_name == workload.name);

  options.plan.budget_usd_per_month = 0.01;
  const pipeline::PlanStageResult broke = pipeline::PlanStage(db, workload, options);
  BOOST_TEST(!broke.plan.feasible);
  BOOST_TEST(!broke.plan.reason.empty());
  BOOST_TEST(!broke.plan_id.has_value());
}

BOOST_AUTO_TEST_CASE(whatif_stage_stores_the_changed_plan_with_its_base) {
  ScratchDir dir("thinkplan-pipeline-whatif");
  store::Database db = store::Database::Open(DemoDatabase::Get().Copy(dir));
  pipeline::WhatIfStageOptions options;
  options.changes = {"budget=2x"};
  const pipeline::WhatIfStageResult whatif = pipeline::WhatIfStage(db, 1, options);
  BOOST_TEST(whatif.base_plan_id == 1);
  BOOST_REQUIRE_EQUAL(whatif.changes.size(), 1u);
  BOOST_TEST(whatif.changed.feasible);
  BOOST_TEST(whatif.changed.accuracy >= whatif.base.accuracy - 1e-9);
  BOOST_REQUIRE(whatif.plan_id.has_value());
  BOOST_TEST((store::LoadPlan(db, *whatif.plan_id).base_plan_id == std::optional<long>(1)));

  options.changes = {"budget=2x", "budget=3x"};
  BOOST_CHECK_THROW(pipeline::WhatIfStage(db, 1, options), UsageError);
}

BOOST_AUTO_TEST_CASE(export_policy_stage_writes_the_policy_it_returns) {
  ScratchDir dir("thinkplan-pipeline-policy");
  store::Database db = store::Database::Open(DemoDatabase::Get().Copy(dir));
  const pipeline::ExportPolicyResult in_memory = pipeline::ExportPolicyStage(db, 1);
  BOOST_TEST(!in_memory.path.has_value());
  pipeline::ExportPolicyOptions options;
  options.path = dir / "nested" / "policy.json";
  const pipeline::ExportPolicyResult written = pipeline::ExportPolicyStage(db, 1, options);
  BOOST_TEST((written.path == options.path));
  BOOST_TEST(ReadFile(*options.path) == in_memory.document.dump(2) + "\n");
  BOOST_TEST(!fs::exists(options.path->string() + ".partial"));
}

BOOST_AUTO_TEST_CASE(simulate_stage_stores_its_result_and_refuses_unknown_devices) {
  ScratchDir dir("thinkplan-pipeline-simulate");
  store::Database db = store::Database::Open(DemoDatabase::Get().Copy(dir));
  pipeline::SimulateSettings settings;
  settings.days = 0.05;
  settings.capacity_check = false;
  const pipeline::SimulateStageResult r = pipeline::SimulateStage(db, 1, settings);
  BOOST_TEST(r.id == 2);
  BOOST_TEST(r.capacity_checks.empty());
  BOOST_TEST(r.json["plan_id"].get<long>() == 1);
  BOOST_TEST(store::LoadSimulation(db, r.id).plan_id == 1);

  settings.devices["no-such-system"] = 2;
  BOOST_CHECK_THROW(pipeline::SimulateStage(db, 1, settings), UsageError);
  settings.devices.clear();
  settings.days = -1;
  BOOST_CHECK_THROW(pipeline::SimulateStage(db, 1, settings), UsageError);
}

BOOST_AUTO_TEST_CASE(report_stage_writes_each_file_and_checks_the_simulation_plan) {
  ScratchDir dir("thinkplan-pipeline-report");
  store::Database db = store::Database::Open(DemoDatabase::Get().Copy(dir));
  const pipeline::ReportStageResult md =
      pipeline::ReportStage(db, 1, 1, DataDir(), {{pipeline::ReportFormat::kMarkdown, dir / "r.md"}});
  BOOST_REQUIRE_EQUAL(md.written.size(), 1u);
  BOOST_TEST(fs::file_size(dir / "r.md") == md.written[0].bytes);
  BOOST_TEST(fs::is_directory(dir / "r_specs"));

  // A what-if plan (2) with the simulation of plan 1 is refused.
  pipeline::WhatIfStageOptions whatif;
  whatif.changes = {"budget=2x"};
  BOOST_REQUIRE((pipeline::WhatIfStage(db, 1, whatif).plan_id == std::optional<long>(2)));
  BOOST_CHECK_THROW(pipeline::ReportStage(db, 2, 1, DataDir(), {{pipeline::ReportFormat::kMarkdown, dir / "x.md"}}),
                    UsageError);
  BOOST_TEST(!fs::exists(dir / "x.md"));
}

BOOST_AUTO_TEST_CASE(exchange_stage_reads_the_laws_of_the_data_folder_it_is_given) {
  ScratchDir dir("thinkplan-pipeline-exchange");
  store::Database db = store::Database::Open(DemoDatabase::Get().Copy(dir));
  const planner::ExchangeSummary summary = pipeline::ExchangeStage(db, DataDir());
  BOOST_TEST(!summary.ToJson().empty());
  // An empty folder has no published laws: the stage does not fall back on another data folder.
  BOOST_CHECK_THROW(pipeline::ExchangeStage(db, dir.path()), InputError);
}

BOOST_AUTO_TEST_CASE(stages_read_the_data_folder_they_are_given_not_the_environment) {
  ScratchDir dir("thinkplan-pipeline-env");
  store::Database db = store::Database::Open(DemoDatabase::Get().Copy(dir));
  const planner::Workload workload = planner::LoadWorkload(DataDir() / "workloads" / "default.json");
  const char* saved = std::getenv("THINKPLAN_DATA_DIR");
  const std::string previous = saved ? saved : "";
  ::setenv("THINKPLAN_DATA_DIR", (dir / "nowhere").c_str(), 1);
  pipeline::PlanStageOptions options;
  options.store = false;
  const pipeline::PlanStageResult planned = pipeline::PlanStage(db, workload, options);
  pipeline::SimulateSettings settings;
  settings.days = 0.02;
  settings.capacity_check = false;
  const long simulation = pipeline::SimulateStage(db, 1, settings).id;
  if (saved) {
    ::setenv("THINKPLAN_DATA_DIR", previous.c_str(), 1);
  } else {
    ::unsetenv("THINKPLAN_DATA_DIR");
  }
  BOOST_TEST(planned.plan.feasible);
  BOOST_TEST(simulation > 1);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace thinkplan::testing
