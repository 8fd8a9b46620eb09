// The training-vs-thinking tables of `thinkplan exchange` (planner/exchange.h) against hand-computed values:
// Snell et al.'s FLOPs-matched multipliers worked out by hand, the exchange rate and its delta-method interval on a
// surface with a known covariance (and the defining property: 10x training = X x test-time on the surface), and
// the Sardana-Frankle optimum against the first-order (Lagrange) conditions of its own problem; and the shipped
// training workload, whose training share must grow with volume.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include <nlohmann/json.hpp>

#include "planner/exchange.h"
#include "planner/plan.h"
#include "store/database.h"
#include "tests/common/test_support.h"
#include "tests/planner/planner_fixtures.h"

using namespace thinkplan;
using namespace thinkplan::planner;

namespace {

TrainingSurface Surface(double t1, double t2, std::vector<double> covariance = {}) {
  TrainingSurface s;
  s.t0 = -20;
  s.t1 = t1;
  s.t2 = t2;
  s.axis = TestTimeAxis::kSamples;
  s.covariance = std::move(covariance);
  s.quality.status = FitStatus::kOk;
  s.quality.n_points = 12;
  return s;
}

ChinchillaLaw Hoffmann() {
  ChinchillaLaw law;
  law.name = "Chinchilla";
  law.E = 1.69, law.A = 406.4, law.B = 410.7, law.alpha = 0.34, law.beta = 0.28;
  return law;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(exchange)

BOOST_AUTO_TEST_CASE(snell_table_matches_hand_arithmetic) {
  const ExchangeSummary s = ComputeExchange({}, {}, {}, ExchangeOptions{});
  BOOST_REQUIRE(s.snell.size() == 9u);
  auto cell = [&](double m, double r) {
    for (const SnellCell& c : s.snell) if (c.size_ratio == m && c.inference_to_pretrain == r) return c.multiplier;
    BOOST_FAIL("no cell");
    return 0.0;
  };
  // M + 3 (1 / R) (M - 1), by hand:
  BOOST_TEST(cell(14, 0.16) == 257.75, boost::test_tools::tolerance(1e-12));  // 14 + 18.75 * 13
  BOOST_TEST(cell(2, 0.16) == 20.75, boost::test_tools::tolerance(1e-12));    // 2 + 18.75
  BOOST_TEST(cell(4, 0.16) == 60.25, boost::test_tools::tolerance(1e-12));    // 4 + 18.75 * 3
  BOOST_TEST(cell(2, 0.79) == 2 + 3.0 / 0.79, boost::test_tools::tolerance(1e-12));   // 5.7975
  BOOST_TEST(cell(14, 0.79) == 14 + 39.0 / 0.79, boost::test_tools::tolerance(1e-12));  // 63.367
  BOOST_TEST(cell(4, 22) == 4 + 9.0 / 22, boost::test_tools::tolerance(1e-12));       // 4.409
  BOOST_TEST(cell(14, 22) == 14 + 39.0 / 22, boost::test_tools::tolerance(1e-12));    // 15.773
  // The table the CLI prints carries the same numbers.
  const std::string report = s.FullReport();
  BOOST_TEST(report.find("257.75") != std::string::npos, report);
  BOOST_TEST(report.find("5.80") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rate_and_interval_of_a_known_surface) {
  // t1 = 0.3, t2 = 0.15: 10x training = 10^(0.3 / 0.15) = 100x samples. sd(t1) = 0.03, sd(t2) = 0.015, no
  // covariance: Var(t1 / t2) = 0.03^2 / 0.15^2 + 0.3^2 0.015^2 / 0.15^4 = 0.04 + 0.04 = 0.08.
  std::map<TrainingKey, TrainingSurface> surfaces;
  surfaces[{"Fam", "code", "hard"}] = Surface(0.3, 0.15, {1, 0, 0, 0, 0.0009, 0, 0, 0, 0.000225});
  surfaces[{"Fam", "math", ""}] = Surface(0.2, -0.1);  // more samples do not help: no rate
  const ExchangeSummary s = ComputeExchange(surfaces, {}, {}, ExchangeOptions{});
  BOOST_REQUIRE(s.rates.size() == 2u);
  const ExchangeRate& r = s.rates[0];
  BOOST_TEST(r.key.task_class == "code");
  BOOST_REQUIRE(r.defined);
  BOOST_TEST(r.rate == 100.0, boost::test_tools::tolerance(1e-12));
  const double half = 1.959963984540054 * std::sqrt(0.08);
  BOOST_TEST(r.interval.lower == std::pow(10.0, 2 - half), boost::test_tools::tolerance(1e-9));
  BOOST_TEST(r.interval.upper == std::pow(10.0, 2 + half), boost::test_tools::tolerance(1e-9));
  // The defining property on the surface: 10x training compute and X x samples reach the same accuracy.
  const TrainingSurface& f = surfaces.begin()->second;
  BOOST_TEST(f.Evaluate(1e22 * 10, 4) == f.Evaluate(1e22, 4 * r.rate), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(!s.rates[1].defined);
  BOOST_TEST(!s.rates[1].reason.empty());
}

BOOST_AUTO_TEST_CASE(class_filter_and_unusable_fits) {
  std::map<TrainingKey, TrainingSurface> surfaces;
  surfaces[{"Fam", "code", "easy"}] = Surface(0.3, 0.15);
  surfaces[{"Fam", "math", ""}] = Surface(0.3, 0.15);
  std::vector<UnusableSurface> unusable = {{{"Other", "code", "hard"}, TestTimeAxis::kSamples,
                                            FitStatus::kInsufficientData, "one training compute", 3}};
  ExchangeOptions options;
  options.task_class = "code";
  const ExchangeSummary s = ComputeExchange(surfaces, unusable, {}, options);
  BOOST_REQUIRE(s.rates.size() == 2u);
  BOOST_TEST(s.rates[0].defined);
  BOOST_TEST(!s.rates[1].defined);
  BOOST_TEST(s.rates[1].reason == "one training compute");
  const nlohmann::json j = s.ToJson();
  BOOST_TEST(j["rates"][1]["status"] == "insufficient data");
  options.size_ratios = {0.5};
  std::string error;
  BOOST_TEST(!options.IsValid(&error));
  BOOST_TEST(!error.empty());
}

BOOST_AUTO_TEST_CASE(sardana_frankle_rows_meet_the_lagrange_conditions_and_shrink_with_demand) {
  // Minimising 6 N D + 2 N D_inf on the loss contour A N^-alpha + B D^-beta = L - E: stationarity in N and D gives
  // alpha A N^-alpha / (beta B D^-beta) = 1 + D_inf / (3 D); at D_inf = 0 the Chinchilla balance
  // alpha A N^-alpha = beta B D^-beta.
  const ChinchillaLaw law = Hoffmann();
  ExchangeOptions options;
  const ExchangeSummary s = ComputeExchange({}, {}, {law}, options);
  BOOST_REQUIRE(s.sardana_frankle.size() == 1u);
  const LawOptima& lo = s.sardana_frankle[0];
  // Target: the law's loss of 70B parameters on 1.4T tokens, by hand.
  const double target = 1.69 + 406.4 / std::pow(70e9, 0.34) + 410.7 / std::pow(1.4e12, 0.28);
  BOOST_TEST(lo.target_loss == target, boost::test_tools::tolerance(1e-12));
  BOOST_REQUIRE(lo.points.size() == 5u);
  double last_n = INFINITY, last_ratio = 0;
  for (const DemandOptimum& p : lo.points) {
    const auto& o = p.optimum;
    BOOST_REQUIRE(o.status == FitStatus::kOk);
    BOOST_TEST(law.Loss(o.params, o.train_tokens) == target, boost::test_tools::tolerance(1e-9));
    const double lhs = law.alpha * law.A * std::pow(o.params, -law.alpha) / (law.beta * law.B * std::pow(o.train_tokens, -law.beta));
    BOOST_TEST(lhs == 1 + p.inference_tokens / (3 * o.train_tokens), boost::test_tools::tolerance(1e-6));
    BOOST_TEST(o.params < last_n);  // smaller ...
    BOOST_TEST(o.train_tokens / o.params > last_ratio);  // ... and trained longer per parameter
    last_n = o.params;
    last_ratio = o.train_tokens / o.params;
  }
  const std::string report = s.FullReport();
  BOOST_TEST(report.find("Sardana & Frankle") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(training_workload)

// data/workloads/training.json on the shipped runs (no fits: every option is a stored run). Training is a fixed
// cost, so it only pays once enough queries share it: at a small volume the plan buys no tier (0% training); at
// a large one it trains, and each tier's net value is volume x (value x accuracy - cost per query) less its
// amortised training, recomputed here from the plan's own per-bucket figures.
BOOST_AUTO_TEST_CASE(the_split_moves_towards_training_as_volume_grows) {
  thinkplan::testing::ScratchDir dir;
  store::Database db = store::Database::Open(dir / "t.db");
  CurveSet curves;
  PlanInputs in = thinkplan::testing::ShippedPlanInputs(
      db,
      {"published/systems.csv", "published/hardware.csv", "published/runs.csv", "public/deepseek_r1/runs.csv",
       "public/matharena/runs.csv"},
      "training.json", curves);
  const Workload base = in.workload;
  auto plan_at = [&](double multiplier) {
    in.workload = base;
    for (TaskClassSpec& c : in.workload.classes) c.daily_volume *= multiplier;
    PlanOptions options;
    options.analyse_routing = false;
    options.volume_sweep = {};
    return MakePlan(in, options);
  };
  auto share = [](const PlanResult& p) {
    return p.training_usd_per_month / (p.training_usd_per_month + p.inference_usd_per_month);
  };
  const PlanResult small = plan_at(0.01), large = plan_at(1.0);
  BOOST_REQUIRE(small.feasible);
  BOOST_REQUIRE(large.feasible);
  BOOST_TEST(small.chosen_tier.empty());
  BOOST_TEST(share(small) == 0.0);
  BOOST_TEST(!large.chosen_tier.empty());
  BOOST_TEST(share(large) > share(small));
  // The chosen tier's net value from its buckets: sum of queries x (value x accuracy - cost) - training / horizon.
  double net = 0;
  for (const BucketPlan& b : large.buckets) {
    const TaskClassSpec& c = *in.workload.FindClass(b.class_name);
    net += b.queries_per_month * (c.value_usd * b.accuracy - b.cost_per_query);
  }
  double training = 0;
  for (const TrainingTier& t : in.workload.tiers) if (t.name == large.chosen_tier) training = 6 * t.params * t.train_tokens * 1.47e-18;
  BOOST_TEST(large.training_usd_per_month == training / 12, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(large.objective_value == net - training / 12, boost::test_tools::tolerance(1e-6));
  for (const TierResult& t : large.tiers) {
    if (t.feasible) BOOST_TEST(t.objective <= large.objective_value * (1 + 1e-9), t.name);
  }
}

BOOST_AUTO_TEST_SUITE_END()
