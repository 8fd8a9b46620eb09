// The serving-rate fit between stages: perf runs in the store -> CostFitStage -> the fits table ->
// store::LoadServingEfficiencies -> the plan stage's catalogues -> the planner's replica and its price.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <fstream>
#include <string>

#include <SQLiteCpp/SQLiteCpp.h>

#include <nlohmann/json.hpp>

#include "pipeline/cost_fit_stage.h"
#include "pipeline/plan_stage.h"
#include "planner/options.h"
#include "planner/workload.h"
#include "store/database.h"
#include "store/fits.h"
#include "tests/common/test_support.h"

namespace thinkplan::pipeline {
namespace {

// The Argonne runs of H100 / vLLM / one device, as the shipped perf CSV has them.
std::filesystem::path WriteH100VllmRuns(const testing::ScratchDir& dir) {
  std::ifstream in(testing::DataDir() / "public" / "argonne" / "perf.csv");
  std::string line, out;
  std::getline(in, line);
  out = line + "\n";
  while (std::getline(in, line)) {
    if (line.find(",Nvidia H100 GPU,1,vLLM,") != std::string::npos) out += line + "\n";
  }
  const std::filesystem::path path = dir / "h100_vllm.csv";
  testing::WriteFile(path, out);
  return path;
}

planner::SystemSpec SelfHostedLlama() {
  planner::SystemSpec s;
  s.name = "Llama-3.1-8B@H100";
  s.kind = planner::SystemKind::kSelfHosted;
  s.model = "Llama-3.1-8B";
  s.hardware = "H100-SXM-80GB";
  s.usd_per_device_hour = 4.25;
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cost_fit_stage)

BOOST_AUTO_TEST_CASE(stored_fit_round_trips_and_reaches_the_planner) {
  testing::ScratchDir dir;
  store::Database db = store::Database::Open(dir / "t.db");
  for (const char* file : {"published/hardware.csv", "models/accelerators.csv", "models/models.csv"}) {
    db.Ingest(testing::DataDir() / file);
  }
  db.Ingest(WriteH100VllmRuns(dir));
  const CostFitCatalogues catalogues = LoadCostFitCatalogues(db);
  const CostFitStageResult result = CostFitStage(db, catalogues);
  BOOST_TEST_MESSAGE(result.BriefReport());
  BOOST_REQUIRE(result.lines.size() == 2u);  // the group and the default row
  BOOST_TEST(result.refitted == 2u);
  const store::StoredFit& group = result.lines[0].fit;
  BOOST_TEST(group.kind == "cost");
  BOOST_TEST(group.key.system == "Nvidia H100 GPU");
  BOOST_TEST((group.quality.status == FitStatus::kOk));

  // Round trip: what is read back is what was stored, and the efficiency row is built from it.
  const std::optional<store::StoredFit> stored = store::FindFit(db, "cost", group.key);
  BOOST_REQUIRE(stored.has_value());
  BOOST_TEST(stored->params == group.params);
  BOOST_TEST(stored->covariance == group.covariance);
  BOOST_TEST(stored->input_hash == group.input_hash);
  BOOST_TEST(stored->summary_json == group.summary_json);
  const std::vector<FittedEfficiency> rows = store::LoadServingEfficiencies(db);
  BOOST_REQUIRE(rows.size() == 2u);
  const FittedEfficiency& row = rows[1].hardware == "*" ? rows[0] : rows[1];
  BOOST_TEST(row.catalogue_hardware == "H100-SXM-80GB");
  BOOST_TEST(row.framework == "vLLM");
  BOOST_TEST(row.dtype == "bf16");
  BOOST_TEST(row.t0_s == group.params[0]);
  BOOST_TEST(row.bytes_per_s == group.params[2]);
  BOOST_TEST(*row.bandwidth_fraction == group.params[2] / 3.35e12, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(*row.flops_fraction == group.params[1] / 989e12, boost::test_tools::tolerance(1e-9));

  // The fits are not curves: the curve set the planner reads has none of them.
  BOOST_TEST(store::LoadCurveSet(db).all().empty());

  // The plan stage's catalogues carry the stored fit, and the planner's replica runs at its rates; without the fit
  // it runs at the built-in defaults (77% of 3.35 TB/s) and prices a query differently.
  db.Ingest(testing::DataDir() / "published" / "hardware.csv");
  db.Ingest(testing::DataDir() / "models" / "models.csv");
  const auto loaded = LoadPlanInputs(db, planner::Workload{});
  BOOST_TEST(loaded->inputs.catalogues.efficiencies.size() == 2u);
  std::string reason;
  const auto fitted = planner::ReplicaModelOf(SelfHostedLlama(), loaded->inputs.catalogues, &reason);
  BOOST_REQUIRE_MESSAGE(fitted.has_value(), reason);
  BOOST_TEST(fitted->model.rates().bytes_per_s == std::min(1.0, *row.bandwidth_fraction) * 3.35e12,
             boost::test_tools::tolerance(1e-9));
  planner::Catalogues defaults = loaded->inputs.catalogues;
  defaults.efficiencies.clear();
  const auto fallback = planner::ReplicaModelOf(SelfHostedLlama(), defaults, &reason);
  BOOST_REQUIRE(fallback.has_value());
  BOOST_TEST(fallback->model.rates().bytes_per_s == 0.77 * 3.35e12, boost::test_tools::tolerance(1e-9));
  QueryOptions query;
  query.prompt_tokens = 500;
  query.output_tokens = 8000;
  query.usd_per_hour = 4.25;
  BOOST_TEST(CostQuery(fitted->model, query).usd_per_query != CostQuery(fallback->model, query).usd_per_query);

  // Unchanged input: nothing refitted.
  BOOST_TEST(CostFitStage(db, catalogues).refitted == 0u);
}

// The joint a user acts on: measuring the card changes the plan. QwQ-32B-Preview on one H100 for competition
// maths, planned on the built-in serving rates, then on the rates fitted to the ingested H100 / vLLM runs (the
// fleet, its bill and the plan's note change), then with the perf runs deleted and the fits removed (the first
// plan's fleet again).
BOOST_AUTO_TEST_CASE(ingesting_perf_runs_changes_the_plan_and_deleting_them_restores_it) {
  testing::ScratchDir dir;
  store::Database db = store::Database::Open(dir / "t.db");
  for (const char* file : {"published/systems.csv", "published/hardware.csv", "models/accelerators.csv",
                           "models/models.csv", "published/runs.csv", "public/matharena/runs.csv"}) {
    db.Ingest(testing::DataDir() / file);
  }
  planner::Workload w = planner::LoadWorkload(testing::DataDir() / "workloads" / "default.json");
  std::erase_if(w.systems, [](const planner::SystemSpec& s) { return s.name != "QwQ-32B-Preview@H100"; });
  std::erase_if(w.classes, [](const planner::TaskClassSpec& c) { return c.name != "competition"; });
  w.classes[0].slo_p95_s = 900;
  const auto plan = [&] {
    const PlanStageResult r = PlanStage(db, w);
    BOOST_REQUIRE(r.plan.feasible);
    BOOST_REQUIRE_EQUAL(r.plan.capacity.size(), 1u);
    return r.plan;
  };
  const auto says = [](const planner::PlanResult& p, const std::string& text) {
    return std::any_of(p.notes.begin(), p.notes.end(), [&](const std::string& n) { return n.find(text) != std::string::npos; });
  };

  const planner::PlanResult before = plan();
  BOOST_TEST(says(before, "no serving-rate fit stored"));

  db.Ingest(WriteH100VllmRuns(dir));
  CostFitStage(db, LoadCostFitCatalogues(db));
  const planner::PlanResult measured = plan();
  BOOST_TEST(says(measured, "fitted on the stored perf runs of Nvidia H100 GPU / vLLM / 1 device(s) / bf16"));
  const planner::CapacityLine& a = before.capacity[0];
  const planner::CapacityLine& b = measured.capacity[0];
  BOOST_TEST_MESSAGE("built-in rates: " << a.replicas << " replicas, batch " << a.batch << ", $" << a.usd_per_month
                     << "; fitted: " << b.replicas << " replicas, batch " << b.batch << ", $" << b.usd_per_month);
  BOOST_TEST((a.replicas != b.replicas || a.batch != b.batch || a.wait_p95_s != b.wait_p95_s));
  BOOST_TEST(before.classes[0].latency_p95_s != measured.classes[0].latency_p95_s);

  db.connection().exec("DELETE FROM perf_runs");
  BOOST_TEST(CostFitStage(db, LoadCostFitCatalogues(db)).removed == 2u);  // the group and the default row
  const planner::PlanResult after = plan();
  BOOST_TEST(says(after, "no serving-rate fit stored"));
  BOOST_TEST(after.capacity[0].replicas == a.replicas);
  BOOST_TEST(after.capacity[0].batch == a.batch);
  BOOST_TEST(after.capacity[0].usd_per_month == a.usd_per_month);
  BOOST_TEST(after.classes[0].latency_p95_s == before.classes[0].latency_p95_s);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace thinkplan::pipeline
