// What a run measured reaches the plan and holds in simulation (issue 14, item 4; docs/planner.md "Cost and
// latency"): a stored run's recorded cost per sample is the option's cost (unless it was paid at prices since cut),
// the simulator charges the same, a class's cached-input share is priced at the cached-input price, and a measured
// median latency sets the p95 beside it. Each case ingests a runs file into a database with the shipped catalogues
// and plans through the plan stage, as `thinkplan plan` does.
// References: list prices x tokens worked by hand from data/published/prices.csv in the comments (gpt-4o $2.50 /
// $10, o3 $10 / $40 until 2025-06-10 and $2 / $8 since, o3-mini $1.10 in, $0.55 cached, $4.40 out); the LogNormal
// median and p95 of a mean-matched length in closed form (median = m exp(-s^2/2), p95 = m exp(1.645 s - s^2/2)).
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/plan_stage.h"
#include "pipeline/simulate_stage.h"
#include "planner/workload.h"
#include "store/database.h"
#include "tests/common/test_support.h"

namespace thinkplan {
namespace {

using nlohmann::json;

constexpr const char* kRunsHeader =
    "run_key,source,system,task_class,mode,effort,samples,aggregation,n_problems,n_correct,mean_output_tokens,"
    "mean_thinking_tokens,mean_answer_tokens,mean_input_tokens,latency_p50_s,latency_p95_s,cost_usd\n";

struct Store {
  testing::ScratchDir dir{"thinkplan-measured-cost"};
  store::Database db = store::Database::Open(dir / "t.db");
  Store() {
    for (const char* file : {"published/systems.csv", "published/hardware.csv", "published/prices.csv"}) {
      db.Ingest(testing::DataDir() / file);
    }
  }
  void IngestRuns(const std::string& rows) {
    testing::WriteFile(dir / "runs.csv", std::string(kRunsHeader) + rows);
    db.Ingest(dir / "runs.csv");
  }
};

// One class on stored task class "x", served by one catalogue API system at its stored-run settings only.
planner::Workload OneSystem(const std::string& system, double cached_input_share = 0) {
  return planner::ParseWorkload(json{{"name", "measured"},
                                     {"objective", "max_accuracy"},
                                     {"budget_usd_per_month", 1e7},
                                     {"systems", {{{"name", system}, {"kind", "api"}, {"budget_knob", false}}}},
                                     {"classes",
                                      {{{"name", "c"},
                                        {"daily_volume", 2000},
                                        {"verifier", {{"kind", "none"}}},
                                        {"prompt_tokens", 1000},
                                        {"answer_tokens", 400},
                                        {"cached_input_share", cached_input_share},
                                        {"buckets", {{{"task_class", "x"}}}}}}}},
                               "measured.json");
}

// The one planned option, from the stored plan's body.
json PlannedOption(const pipeline::PlanStageResult& r) {
  BOOST_REQUIRE_MESSAGE(r.plan.feasible, r.plan.reason);
  const json body = r.plan.ToJson();
  BOOST_REQUIRE_EQUAL(body["allocation"].size(), 1u);
  BOOST_REQUIRE_EQUAL(body["allocation"][0]["options"].size(), 1u);
  return body["allocation"][0]["options"][0];
}

bool Says(const std::vector<std::string>& notes, const std::string& part) {
  for (const std::string& n : notes) {
    if (n.find(part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(measured_cost)

BOOST_AUTO_TEST_CASE(a_runs_measured_cost_is_the_options_cost_and_the_simulation_charges_it) {
  // gpt-4o fast, 1000 input and 400 output tokens per sample: $2.50 x 1000 + $10 x 400 per million = $0.0065 at
  // list prices. The run paid $1.56 for 100 problems x 2 samples: $0.0078 per sample (+20%).
  Store listed;
  listed.IngestRuns("a,measured,gpt-4o,x,fast,,2,pass@1,100,50,400,,,1000,,,\n");
  const json without = PlannedOption(pipeline::PlanStage(listed.db, OneSystem("gpt-4o")));
  BOOST_TEST(without["cost_usd_per_query"].get<double>() == 0.0065, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(!without["cost_measured"].get<bool>());

  Store measured;
  measured.IngestRuns("a,measured,gpt-4o,x,fast,,2,pass@1,100,50,400,,,1000,,,1.56\n");
  const pipeline::PlanStageResult plan = pipeline::PlanStage(measured.db, OneSystem("gpt-4o"));
  const json with = PlannedOption(plan);
  BOOST_TEST(with["cost_usd_per_query"].get<double>() == 0.0078, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(with["cost_measured"].get<bool>());
  // The per-token rates are scaled alike (x 1.2), so that the simulator charges the measured cost.
  BOOST_TEST(with["usd_per_input_token"].get<double>() == 2.5e-6 * 1.2, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(with["usd_per_output_token"].get<double>() == 10e-6 * 1.2, boost::test_tools::tolerance(1e-12));

  // The joint to the simulator: every query of a fast option costs the same, so the simulated spend per query is
  // the measured $0.0078 exactly, whatever the number of queries drawn.
  BOOST_REQUIRE(plan.plan_id.has_value());
  pipeline::SimulateSettings settings;
  settings.days = 0.25;
  settings.capacity_check = false;
  const pipeline::SimulateStageResult sim = pipeline::SimulateStage(measured.db, *plan.plan_id, settings);
  BOOST_REQUIRE_EQUAL(sim.summary.classes.size(), 1u);
  const sim::ClassOutcome& c = sim.summary.classes[0];
  BOOST_REQUIRE(c.queries > 0);
  const double per_query = c.usd_per_month * settings.days / 30.0 / static_cast<double>(c.queries);
  BOOST_TEST(per_query == 0.0078, boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(a_cost_paid_at_prices_since_cut_is_not_planned_on_and_the_plan_says_which_it_used) {
  // o3 high: 500 input, 9700 thinking + 300 answer tokens per sample. At the launch prices ($10 / $40) a sample
  // cost 500 x 10 + 10000 x 40 per million = $0.405 (30 problems: $12.15); at the prices in force since 2025-06-10
  // ($2 / $8) it costs 500 x 2 + 10000 x 8 per million = $0.081.
  Store s;
  s.IngestRuns("o3h,published,o3,x,extended,high,1,pass@1,30,25,10000,9700,300,500,,,12.15\n");
  const pipeline::PlanStageResult plan = pipeline::PlanStage(s.db, OneSystem("o3"));
  const json option = PlannedOption(plan);
  BOOST_TEST(option["cost_usd_per_query"].get<double>() == 0.081, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(!option["cost_measured"].get<bool>());
  BOOST_TEST(Says(plan.plan.notes, "matches the list prices of 2025-04-16"), plan.plan.BriefReport());
  BOOST_TEST(Says(plan.plan.notes, "priced at the prices in force since 2025-06-10 ($0.081)"));
}

BOOST_AUTO_TEST_CASE(a_classs_cached_input_share_is_priced_at_the_cached_input_price) {
  // o3-mini low, 1000 input, 2000 thinking + 200 answer tokens. Half the prompt cached: 1000 x (0.5 x 1.10 +
  // 0.5 x 0.55) + 2200 x 4.40 per million = $0.000825 + $0.00968 = $0.010505; none cached: $0.01078.
  const std::string run = "ml,published,o3-mini,x,extended,low,1,pass@1,100,60,2200,2000,200,1000,,,\n";
  Store none;
  none.IngestRuns(run);
  const json full = PlannedOption(pipeline::PlanStage(none.db, OneSystem("o3-mini")));
  BOOST_TEST(full["cost_usd_per_query"].get<double>() == 0.01078, boost::test_tools::tolerance(1e-12));
  Store half;
  half.IngestRuns(run);
  const json cached = PlannedOption(pipeline::PlanStage(half.db, OneSystem("o3-mini", 0.5)));
  BOOST_TEST(cached["cost_usd_per_query"].get<double>() == 0.010505, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(cached["usd_per_input_token"].get<double>() == 0.825e-6, boost::test_tools::tolerance(1e-12));
  // gpt-4o lists no cached-input price: the share is priced in full, no discount invented.
  Store fast;
  fast.IngestRuns("a,measured,gpt-4o,x,fast,,1,pass@1,100,50,400,,,1000,,,\n");
  const json undiscounted = PlannedOption(pipeline::PlanStage(fast.db, OneSystem("gpt-4o", 0.5)));
  BOOST_TEST(undiscounted["cost_usd_per_query"].get<double>() == 0.0065, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(a_measured_median_latency_sets_the_p95_by_the_models_tail) {
  // o3-mini low with 2000 thinking tokens measured and no fitted spread: sigma 0.5, so the thinking median is
  // 2000 exp(-0.125) and its p95 2000 exp(1.645 x 0.5 - 0.125); at the default 1 s to first token and 80 tokens/s
  // with a 200-token answer, the model's p50 and p95 latencies follow. A measured p50 of 30 s scales both.
  const double sigma = 0.5, z = 1.6448536269514722;
  const double median = 2000 * std::exp(-sigma * sigma / 2), p95 = 2000 * std::exp(z * sigma - sigma * sigma / 2);
  const double model_p50 = 1 + (median + 200) / 80, model_p95 = 1 + (p95 + 200) / 80;
  Store only_p50;
  only_p50.IngestRuns("ml,published,o3-mini,x,extended,low,1,pass@1,100,60,2200,2000,200,1000,30,,\n");
  const json a = PlannedOption(pipeline::PlanStage(only_p50.db, OneSystem("o3-mini")));
  BOOST_TEST(a["latency_p50_s"].get<double>() == 30.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(a["latency_p95_s"].get<double>() == 30 * model_p95 / model_p50, boost::test_tools::tolerance(1e-9));
  // Both measured: both stand.
  Store both;
  both.IngestRuns("ml,published,o3-mini,x,extended,low,1,pass@1,100,60,2200,2000,200,1000,30,70,\n");
  const json b = PlannedOption(pipeline::PlanStage(both.db, OneSystem("o3-mini")));
  BOOST_TEST(b["latency_p50_s"].get<double>() == 30.0);
  BOOST_TEST(b["latency_p95_s"].get<double>() == 70.0);
  // Neither: the model's.
  Store neither;
  neither.IngestRuns("ml,published,o3-mini,x,extended,low,1,pass@1,100,60,2200,2000,200,1000,,,\n");
  const json c = PlannedOption(pipeline::PlanStage(neither.db, OneSystem("o3-mini")));
  BOOST_TEST(c["latency_p50_s"].get<double>() == model_p50, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(c["latency_p95_s"].get<double>() == model_p95, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace thinkplan
