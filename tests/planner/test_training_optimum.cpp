// The continuous training-versus-inference optimum (planner/training_optimum.h) against independent references:
// the closed form of the budget-constrained optimum (logit accuracy is Cobb-Douglas in training and inference
// spend, so the spend splits (t1 - t2) / t1 : t2 / t1), brute force over a grid for the net-value objective with two
// streams, and, inside a plan on data/workloads/training.json, Snell et al.'s difficulty effect on surfaces whose
// split is known in advance, with the priced optimum checked by brute force from the workload's own prices.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>

#include "core/special_functions.h"
#include "planner/plan.h"
#include "planner/training_optimum.h"
#include "store/database.h"
#include "tests/common/test_support.h"
#include "tests/planner/planner_fixtures.h"

using namespace thinkplan;
using namespace thinkplan::planner;

namespace {

TrainingSurface Surface(double t0, double t1, double t2) {
  TrainingSurface s;
  s.t0 = t0, s.t1 = t1, s.t2 = t2;
  s.axis = TestTimeAxis::kSamples;
  s.quality.status = FitStatus::kOk;
  return s;
}

double Logistic(double x) { return 1 / (1 + std::exp(-x)); }

// Net value per month of training compute e^s and ln-samples y[d], written out from the definitions.
double NetValue(const std::vector<TrainingDemand>& demands, const TrainingOptimumOptions& o, double s,
                const std::vector<double>& y) {
  const double c = std::exp(s), n = c / (6 * o.train_tokens);
  double v = -o.usd_per_flop * c / o.horizon_months;
  for (std::size_t d = 0; d < demands.size(); ++d) {
    const TrainingDemand& x = demands[d];
    v += x.queries_per_month * (x.value_usd * Logistic(x.surface.t0 + x.surface.t1 * s + x.surface.t2 * y[d]) -
                                x.usd_per_param_sample * n * std::exp(y[d]));
  }
  return v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(training_optimum)

// Maximise t1 s + t2 y subject to (p / H) e^s + q k n e^(s + y) = B: with u and v the two spends, the logit is
// (t1 - t2) ln u + t2 ln v + const, so u = B (t1 - t2) / t1 and v = B t2 / t1, whence C and k in closed form.
BOOST_AUTO_TEST_CASE(budget_optimum_matches_the_closed_form) {
  const double t1 = 0.5, t2 = 0.2, q = 1e6, kappa = 1e-14, p = 1.47e-18, h = 12, d = 1e12, b = 1e5;
  TrainingOptimumOptions o;
  o.usd_per_flop = p, o.horizon_months = h, o.train_tokens = d;
  o.min_train_flops = 1e20, o.max_train_flops = 1e26, o.max_samples = 1e6;
  o.budget_usd_per_month = b;
  const TrainingOptimum r = OptimiseTraining({{"x", Surface(-20, t1, t2), q, 1.0, kappa}}, o);
  BOOST_REQUIRE(r.feasible);
  const double c = b * (t1 - t2) / t1 * h / p;
  const double k = b * t2 / t1 / (q * kappa * c / (6 * d));
  BOOST_TEST(r.train_flops == c, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(r.demands.at(0).samples == k, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(r.training_share == (t1 - t2) / t1, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(r.training_usd_per_month + r.inference_usd_per_month == b, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(!r.at_size_bound);
  BOOST_TEST(*UnconstrainedInferenceShare(Surface(0, t1, t2)) == t2 / t1);
  // Ten times the traffic at the same budget: k would fall below one, so it sits at k = 1 and the model shrinks to
  // what the budget then allows: (p / H + q kappa / (6 D)) C = B.
  const TrainingOptimum busy = OptimiseTraining({{"x", Surface(-20, t1, t2), 1000 * q, 1.0, kappa}}, o);
  BOOST_REQUIRE(busy.feasible);
  BOOST_TEST(busy.demands.at(0).samples == 1.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(busy.train_flops == b / (p / h + 1000 * q * kappa / (6 * d)), boost::test_tools::tolerance(1e-6));
  BOOST_TEST(busy.training_share < r.training_share);
}

// Two streams, net value, against the best point of a grid over (ln C, ln k1, ln k2).
BOOST_AUTO_TEST_CASE(net_value_optimum_matches_brute_force) {
  TrainingOptimumOptions o;
  o.usd_per_flop = 1.47e-18, o.horizon_months = 12, o.train_tokens = 2e12;
  o.min_train_flops = 1e22, o.max_train_flops = 1e25, o.max_samples = 64;
  const std::vector<TrainingDemand> demands = {{"easy", Surface(-24, 0.45, 0.35), 3e7, 0.05, 2e-15},
                                               {"hard", Surface(-33, 0.60, 0.15), 1e7, 0.20, 2e-15}};
  const TrainingOptimum r = OptimiseTraining(demands, o);
  BOOST_REQUIRE(r.feasible);
  const double s_lo = std::log(o.min_train_flops), s_hi = std::log(o.max_train_flops), y_hi = std::log(o.max_samples);
  const int ns = 240, ny = 160;
  double best = -std::numeric_limits<double>::infinity(), best_s = 0;
  for (int i = 0; i <= ns; ++i) {
    const double s = s_lo + (s_hi - s_lo) * i / ns;
    for (int a = 0; a <= ny; ++a) {
      for (int b = 0; b <= ny; ++b) {
        const double v = NetValue(demands, o, s, {y_hi * a / ny, y_hi * b / ny});
        if (v > best) best = v, best_s = s;
      }
    }
  }
  std::vector<double> y;
  for (const DemandChoice& d : r.demands) y.push_back(std::log(d.samples));
  const double mine = NetValue(demands, o, std::log(r.train_flops), y);
  BOOST_TEST(mine == r.objective, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(mine >= best - 1e-9 * std::abs(best));
  BOOST_TEST(mine <= best + 1e-3 * std::abs(best));
  BOOST_TEST(std::abs(std::log(r.train_flops) - best_s) < 3 * (s_hi - s_lo) / ns);
}

// Where neither bound binds, the net-value optimum spends t2 / t1 of its spend on inference too.
BOOST_AUTO_TEST_CASE(net_value_interior_optimum_splits_t2_over_t1) {
  TrainingOptimumOptions o;
  o.usd_per_flop = 1.47e-18, o.horizon_months = 12, o.train_tokens = 2e12;
  o.min_train_flops = 1e20, o.max_train_flops = 1e27, o.max_samples = 1e6;
  const TrainingSurface s = Surface(-26, 0.5, 0.2);
  const TrainingOptimum r = OptimiseTraining({{"x", s, 1e8, 0.1, 1e-15}}, o);
  BOOST_REQUIRE(r.feasible);
  BOOST_TEST(!r.at_size_bound);
  BOOST_TEST(r.demands.at(0).samples > 1.0);
  BOOST_TEST(r.demands.at(0).samples < 1e6);
  BOOST_TEST(1 - r.training_share == s.t2 / s.t1, boost::test_tools::tolerance(1e-5));
}

BOOST_AUTO_TEST_CASE(bad_options_are_refused) {
  TrainingOptimumOptions o;
  std::string why;
  BOOST_TEST(!o.IsValid(&why));
  BOOST_TEST(!OptimiseTraining({}, o).feasible);
  BOOST_TEST(!UnconstrainedInferenceShare(Surface(0, 0.2, 0.3)).has_value());
  BOOST_TEST(!UnconstrainedInferenceShare(Surface(0, 0.2, -0.1)).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(training_in_the_plan)

// training.json on the shipped runs, with two hand-made surfaces of the tiers' family: school maths ("math", the
// medium bucket) where samples pay almost as much as size (t2 / t1 = 0.8) and competition maths (the hard bucket)
// where size pays five times as much (t2 / t1 = 0.2). The plan must report those shares, say thinking for the
// medium bucket and size for the hard one, and its priced optimum for a bucket must be the best point of a grid
// computed here from the workload's prices and the tiers' own serving cost.
BOOST_AUTO_TEST_CASE(difficulty_effect_and_continuous_optimum) {
  thinkplan::testing::ScratchDir dir;
  store::Database db = store::Database::Open(dir / "t.db");
  CurveSet curves;
  const std::string family = "DeepSeek-R1-Distill-Qwen";
  // Both surfaces are at 50% on the smallest tier (7B on 18T tokens) with one sample, where a point of logit is
  // worth most; from there samples pay on the medium bucket and size on the hard one.
  const double ln_c7 = std::log(6 * 7e9 * 18e12);
  const TrainingSurface medium = Surface(-ln_c7, 1.0, 0.8), hard = Surface(-ln_c7, 1.0, 0.2);
  curves.PutTraining({family, "math", ""}, medium);
  curves.PutTraining({family, "math-competition", ""}, hard);
  PlanInputs in = thinkplan::testing::ShippedPlanInputs(
      db,
      {"published/systems.csv", "published/hardware.csv", "published/runs.csv", "public/deepseek_r1/runs.csv",
       "public/matharena/runs.csv"},
      "training.json", curves);
  PlanOptions options;
  options.analyse_routing = false;
  const PlanResult plan = MakePlan(in, options);
  BOOST_REQUIRE(plan.feasible);

  std::map<std::string, const DifficultyEffect*> by_bucket;
  for (const DifficultyEffect& e : plan.difficulty_effect) by_bucket[e.bucket] = &e;
  BOOST_REQUIRE(by_bucket.count("medium"));
  BOOST_REQUIRE(by_bucket.count("hard"));
  BOOST_TEST(by_bucket["medium"]->inference_share == 0.8, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(by_bucket["hard"]->inference_share == 0.2, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(by_bucket["medium"]->spends_on == "thinking");
  BOOST_TEST(by_bucket["hard"]->spends_on == "size");
  BOOST_TEST(*by_bucket["medium"]->priced_samples > 1.0);
  BOOST_TEST(*by_bucket["hard"]->priced_samples == 1.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(*by_bucket["hard"]->priced_params > 7e9 * 1.01);

  // Independent priced optimum of the hard bucket: the class's whole volume, net value (the workload's
  // objective), a size between the smallest and largest tier, samples in 1..64, inference USD per parameter-sample
  // from the tiers' systems at their stated thinking tokens.
  const Workload& w = in.workload;
  const TaskClassSpec& math = *w.FindClass("math");
  double kappa = 0;
  int n = 0;
  double c_lo = std::numeric_limits<double>::infinity(), c_hi = 0;
  for (const TrainingTier& t : w.tiers) {
    c_lo = std::min(c_lo, 6 * t.params * t.train_tokens);
    c_hi = std::max(c_hi, 6 * t.params * t.train_tokens);
    for (const SystemSpec& s : w.systems) {
      if (s.tier != t.name) continue;
      const double tokens = s.thinking_tokens.at("extended");
      kappa += CostOfServing(s, math, in.catalogues, tokens, tokens, 1).usd / t.params, ++n;
    }
  }
  kappa /= n;
  const double q = math.daily_volume * w.days_per_month, d = w.tiers.front().train_tokens;
  double best = -std::numeric_limits<double>::infinity(), best_share = 0;
  const int ns = 400, ny = 400;
  for (int i = 0; i <= ns; ++i) {
    const double s = std::log(c_lo) + (std::log(c_hi) - std::log(c_lo)) * i / ns;
    const double c = std::exp(s), training = w.usd_per_flop * c / w.horizon_months;
    for (int j = 0; j <= ny; ++j) {
      const double y = std::log(64.0) * j / ny;
      const double inference = q * kappa * c / (6 * d) * std::exp(y);
      const double v = q * math.value_usd * Logistic(hard.t0 + hard.t1 * s + hard.t2 * y) - training - inference;
      if (v > best) best = v, best_share = inference / (inference + training);
    }
  }
  BOOST_REQUIRE(by_bucket["hard"]->priced_inference_share.has_value());
  BOOST_TEST(*by_bucket["hard"]->priced_inference_share == best_share, boost::test_tools::tolerance(0.02));

  // The continuous optimum covers both math buckets and leaves science (no surface) out; it stays inside the
  // tiers' size range, and its split is stated.
  BOOST_REQUIRE(plan.continuous_training.has_value());
  const TrainingOptimum& o = plan.continuous_training->optimum;
  BOOST_REQUIRE(o.feasible);
  BOOST_TEST(o.demands.size() == 2u);
  BOOST_TEST(plan.continuous_training->without_surface.size() == 1u);
  BOOST_TEST(o.train_flops >= c_lo * (1 - 1e-9));
  BOOST_TEST(o.train_flops <= c_hi * (1 + 1e-9));
  BOOST_TEST(o.training_share + o.inference_usd_per_month / (o.training_usd_per_month + o.inference_usd_per_month) ==
             1.0, boost::test_tools::tolerance(1e-12));
  const std::string report = plan.FullReport();
  BOOST_TEST(report.find("continuous optimum if a model is trained") != std::string::npos);
  BOOST_TEST(report.find("training vs thinking by difficulty") != std::string::npos);
  BOOST_TEST(plan.ToJson().contains("difficulty_effect"));
}

BOOST_AUTO_TEST_SUITE_END()
