// What a plan says about latency and infeasibility (issue 13): a stored run's measured p95 stands in for the
// model's figure, and an infeasible plan names its cause. The workloads are built so that the answer is known by
// hand: one option over the SLO by its measurement only, one under it by its measurement only, one bucket with no
// run at all.
#include <boost/test/unit_test.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "core/curve_set.h"
#include "planner/plan.h"
#include "planner/workload.h"
#include "tests/planner/planner_fixtures.h"

using namespace thinkplan;
using namespace thinkplan::planner;
using thinkplan::testing::MakeRun;

namespace {

// Two API systems on one class of two buckets; "fast" models 1 s per answer, "slow" 100 s (100 tokens/s).
nlohmann::json TwoSystems(double slo_s) {
  nlohmann::json w = nlohmann::json::parse(R"({
    "name": "t", "objective": "max_accuracy", "budget_usd_per_month": 1000,
    "systems": [{"name": "fast", "kind": "api", "price_in_usd_per_mtok": 0, "price_out_usd_per_mtok": 10,
                 "budget_knob": false, "ttft_s": 0, "output_tokens_per_s": 100},
                {"name": "slow", "kind": "api", "price_in_usd_per_mtok": 0, "price_out_usd_per_mtok": 10,
                 "budget_knob": false, "ttft_s": 0, "output_tokens_per_s": 100}],
    "classes": [{"name": "c", "daily_volume": 1000, "value_usd": 1, "verifier": {"kind": "none"},
                 "buckets": [{"name": "easy", "task_class": "x", "difficulty": "easy", "share": 0.6},
                             {"name": "hard", "task_class": "x", "difficulty": "hard", "share": 0.4}],
                 "router": {"confusion": [[0.9, 0.1], [0.2, 0.8]]}}]
  })");
  w["classes"][0]["slo_p95_s"] = slo_s;
  return w;
}

PlanResult PlanOf(const nlohmann::json& workload, std::vector<Run> runs) {
  static const CurveSet curves;
  PlanInputs in;
  in.workload = ParseWorkload(workload, "w.json");
  in.curves = &curves;
  in.runs = std::move(runs);
  return MakePlan(in);
}

Run WithLatency(Run r, double p95_s) {
  r.latency_p95_s = p95_s;
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(plan_honesty)

BOOST_AUTO_TEST_CASE(a_runs_measured_p95_replaces_the_model_figure_both_ways) {
  // "slow" is the more accurate; the model says 10 s (1000 tokens at 100/s), within the 20 s SLO, but it was
  // measured at 500 s: it must not be chosen. "fast" models 1 s.
  const PlanResult measured_slow = PlanOf(
      TwoSystems(20), {MakeRun("fast", "easy", Mode::kFast, 80, 100), MakeRun("fast", "hard", Mode::kFast, 30, 100),
                       WithLatency(MakeRun("slow", "easy", Mode::kExtended, 95, 1000), 500),
                       WithLatency(MakeRun("slow", "hard", Mode::kExtended, 70, 1000), 500)});
  BOOST_REQUIRE(measured_slow.feasible);
  for (const BucketPlan& b : measured_slow.buckets) {
    for (const ChosenShare& s : b.shares) BOOST_TEST(s.setting.system == "fast");
  }
  // Under an 8 s SLO "slow" models 10 s but was measured at 4.5 s: it is allowed, and shown at 4.5 s.
  const PlanResult measured_fast = PlanOf(
      TwoSystems(8), {MakeRun("fast", "easy", Mode::kFast, 80, 100), MakeRun("fast", "hard", Mode::kFast, 30, 100),
                      WithLatency(MakeRun("slow", "easy", Mode::kExtended, 95, 1000), 4.5),
                      WithLatency(MakeRun("slow", "hard", Mode::kExtended, 70, 1000), 4.5)});
  BOOST_REQUIRE(measured_fast.feasible);
  bool slow_chosen = false;
  for (const BucketPlan& b : measured_fast.buckets) {
    for (const ChosenShare& s : b.shares) {
      if (s.setting.system != "slow") continue;
      slow_chosen = true;
      BOOST_TEST(s.figures.latency_p95_s == 4.5);
    }
  }
  BOOST_TEST(slow_chosen);
}

BOOST_AUTO_TEST_CASE(a_bucket_with_no_data_under_an_imperfect_router_is_named) {
  // No run on "hard" at all: the router sends 10% of the easy-predicted traffic from it.
  const PlanResult plan = PlanOf(TwoSystems(0), {MakeRun("fast", "easy", Mode::kFast, 80, 100),
                                                 MakeRun("slow", "easy", Mode::kExtended, 95, 1000)});
  BOOST_TEST(!plan.feasible);
  BOOST_TEST(plan.reason.find("truly belongs to bucket 'hard'") != std::string::npos, plan.reason);
  BOOST_TEST(plan.reason.find("no system has data") != std::string::npos, plan.reason);
  // The text report carries the reason and the notes behind it.
  const std::string text = plan.FullReport();
  BOOST_TEST(text.find(plan.reason) != std::string::npos);
  BOOST_TEST(text.find("note: ") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(an_slo_no_option_meets_is_named_with_the_gap) {
  // Both model at least 1 s (100 tokens at 100/s); the SLO is half a second.
  const PlanResult plan = PlanOf(
      TwoSystems(0.5), {MakeRun("fast", "easy", Mode::kFast, 80, 100), MakeRun("fast", "hard", Mode::kFast, 30, 100),
                        MakeRun("slow", "easy", Mode::kExtended, 95, 1000), MakeRun("slow", "hard", Mode::kExtended, 70, 1000)});
  BOOST_TEST(!plan.feasible);
  BOOST_TEST(plan.reason.find("no option meets the 0.5 s p95 SLO; the fastest, fast") != std::string::npos, plan.reason);
}

BOOST_AUTO_TEST_CASE(a_system_without_a_thinking_token_count_is_named) {
  // Extended-mode runs with no output-token count and no thinking_tokens assumption: nothing can price them.
  auto no_tokens = [](Run r) {
    r.mean_output_tokens.reset();
    return r;
  };
  nlohmann::json w = TwoSystems(0);
  w["systems"].erase(1);
  const PlanResult plan = PlanOf(w, {no_tokens(MakeRun("fast", "easy", Mode::kExtended, 80, 0)),
                                     no_tokens(MakeRun("fast", "hard", Mode::kExtended, 30, 0))});
  BOOST_TEST(!plan.feasible);
  BOOST_TEST(plan.reason.find("fast on easy: run(s) fast:easy skipped: no thinking-token measurement") != std::string::npos,
             plan.reason);
  BOOST_TEST(plan.FullReport().find(plan.reason) != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
