// The joint between stages for the difficulty family (issue 15, item 6): per-problem results drawn from a logit-normal
// are ingested, `fit` chooses the logit-normal by held-out likelihood and stores it, and then predict, the plan and
// the simulation all read that family. References computed here: pass@k of a logit-normal by a composite Simpson
// integral over x = logit p (the code uses the trapezoid rule in z), and the Monte Carlo standard error.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/catalogues.h"
#include "pipeline/fit_stage.h"
#include "pipeline/plan_stage.h"
#include "pipeline/predict_stage.h"
#include "pipeline/report_stage.h"
#include "pipeline/simulate_scenario.h"
#include "planner/workload.h"
#include "sim/monte_carlo.h"
#include "store/database.h"
#include "store/fits.h"
#include "store/plans.h"
#include "tests/common/test_support.h"
#include "tests/planner/planner_fixtures.h"
#include "tests/store/store_fixtures.h"

namespace thinkplan::testing {
namespace {

using nlohmann::json;
using store::fixtures::Csv;
using store::fixtures::Fields;

// pass@k = 1 - E[(1 - p)^k], logit p ~ Normal(mu, sigma^2), by Simpson over x on mu +- 14 sigma.
double PassAtKLogitNormal(double mu, double sigma, long k) {
  constexpr int kPanels = 40'000;
  const double lo = mu - 14 * sigma, h = 28 * sigma / kPanels;
  double sum = 0;
  for (int i = 0; i <= kPanels; ++i) {
    const double x = lo + i * h, z = (x - mu) / sigma;
    const double w = (i == 0 || i == kPanels) ? 1 : (i % 2 ? 4 : 2);
    sum += w * std::exp(-0.5 * z * z) / (sigma * std::sqrt(2 * std::numbers::pi)) * (1 - std::pow(1 / (1 + std::exp(x)), k));
  }
  return sum * h / 3;
}

// 1000 problems x 16 samples, logit p ~ Normal(-1, 3^2), ingested as one measured pass@1 run of "mini" on class "x"
// with its per-problem results, then fitted as `thinkplan fit` does.
struct LogitNormalSlice {
  ScratchDir dir{"thinkplan-family-joint"};
  store::Database db = store::Database::Open(dir / "t.db");
  double measured = 0;  // the run's pass@1
  LogitNormalSlice() {
    std::mt19937 rng(2026);
    std::normal_distribution<double> z(-1.0, 3.0);
    std::vector<Fields> problems;
    long correct_total = 0;
    for (int i = 0; i < 1000; ++i) {
      std::binomial_distribution<int> draw(16, 1 / (1 + std::exp(-z(rng))));
      const int correct = draw(rng);
      correct_total += correct;
      problems.push_back({{"run_key", "r1"}, {"problem_id", "p" + std::to_string(i)}, {"samples", "16"},
                          {"correct", std::to_string(correct)}});
    }
    measured = correct_total / 16000.0;
    const Fields run = {{"run_key", "r1"}, {"source", "measured"}, {"system", "mini"}, {"task_class", "x"},
                        {"benchmark", "synthetic"}, {"mode", "fast"}, {"samples", "16"}, {"aggregation", "pass@1"},
                        {"n_problems", "1000"}, {"n_correct", std::to_string(correct_total / 16.0)},
                        {"mean_output_tokens", "300"}, {"citation", "simulated for this test"}};
    WriteFile(dir / "runs.csv", Csv({run}));
    WriteFile(dir / "problems.csv", Csv(problems));
    db.Ingest(dir / "runs.csv");
    db.Ingest(dir / "problems.csv");
    pipeline::FitStage(db, DataDir(), {});
  }
};

// The one-class workload checked by unit tests (pass@k is offered), with a budget that never binds.
planner::Workload MaxAccuracyWorkload() { return testing::MiniOneClassWorkload("unit_tests", 100000); }

}  // namespace

BOOST_AUTO_TEST_SUITE(difficulty_family_joint)

BOOST_AUTO_TEST_CASE(a_slice_fitted_as_logit_normal_gives_one_pass_at_k_in_predict_plan_and_simulation) {
  LogitNormalSlice slice;
  // fit: the family row chose the logit-normal.
  const std::optional<store::StoredFit> family = store::FindFit(slice.db, "difficulty-family", {"mini", "x", ""});
  BOOST_TEST_REQUIRE(family.has_value());
  BOOST_TEST_MESSAGE("difficulty-family row: form " << family->form << ", mu " << family->params.at(0) << ", sigma "
                                                     << family->params.at(1) << " (" << ToString(family->quality.status) << ")");
  BOOST_TEST_REQUIRE(family->form == "logit-normal");
  const double mu = family->params.at(0), sigma = family->params.at(1);

  // predict, pass@16 at the fit's own setting: the logit-normal's, not the Beta's.
  pipeline::PredictOptions o;
  o.key = {"mini", "x", ""};
  o.aggregation = {AggregationKind::kPassAt, 16};
  const pipeline::Prediction predicted = pipeline::PredictStage(slice.db, o);
  BOOST_TEST(predicted.difficulty_family == "logit-normal");
  BOOST_TEST(std::abs(predicted.accuracy - PassAtKLogitNormal(mu, sigma, 16)) < 1e-9);
  const CurveSet stored = store::LoadCurveSet(slice.db);
  const BetaDifficulty& beta = *stored.Find({"mini", "x", ""})->difficulty;
  BOOST_TEST_MESSAGE("predict pass@16 " << predicted.accuracy << "; the Beta would say " << beta.PassAtK(16));

  // plan: the chosen option is a parallel extension of the measured run, composed through the logit-normal with the
  // fitted sigma at the run's measured mean; the plan records the family.
  const pipeline::PlanStageResult planned = pipeline::PlanStage(slice.db, MaxAccuracyWorkload());
  BOOST_TEST_REQUIRE(planned.plan.feasible);
  const store::StoredPlan plan = store::LoadPlan(slice.db, *planned.plan_id);
  const json option = json::parse(plan.plan_json).at("allocation").at(0).at("options").at(0);
  const std::optional<Aggregation> agg = Aggregation::Parse(option.at("aggregation").get<std::string>());
  BOOST_TEST_REQUIRE(agg.has_value());
  BOOST_TEST_REQUIRE((agg->kind == AggregationKind::kPassAt));
  const json& carried = option.at("difficulty");
  BOOST_TEST(carried.at("family").get<std::string>() == "logit-normal");
  BOOST_TEST(carried.at("sigma").get<double>() == sigma, boost::test_tools::tolerance(1e-12));
  const double carried_mu = carried.at("mu").get<double>();
  const double planned_accuracy = option.at("accuracy").get<double>();
  BOOST_TEST(std::abs(planned_accuracy - PassAtKLogitNormal(carried_mu, sigma, agg->k)) < 1e-9);
  BOOST_TEST(std::abs(PassAtKLogitNormal(carried_mu, sigma, 1) - slice.measured) < 1e-9);
  // The same number as predict where predict reads the same point: predict's pass@k at the plan's k differs from
  // the plan's only by the fit's mean against the run's measured mean.
  o.aggregation = *agg;
  const double predicted_at_k = pipeline::PredictStage(slice.db, o).accuracy;
  const double mean_gap = std::abs(predicted.single_sample - slice.measured);
  BOOST_TEST_MESSAGE("plan " << agg->ToString() << " " << planned_accuracy << " at mean " << slice.measured
                             << "; predict " << predicted_at_k << " at the fit's mean " << predicted.single_sample);
  BOOST_TEST(std::abs(planned_accuracy - predicted_at_k) <= 2 * mean_gap + 1e-9);

  // report: the parallel-scaling curve of the slice is the logit-normal's pass@k, not the Beta's.
  const reports::ReportInputs report = pipeline::GatherReportInputs(slice.db, *planned.plan_id, std::nullopt, DataDir());
  long drawn_samples = 0;
  for (const reports::CurveSeries& series : report.parallel) {
    if (series.system != "mini" || series.measure != "pass@k") continue;
    BOOST_TEST(series.fit.form == "logit-normal");
    for (const reports::CurveSample& sample : series.curve) {
      BOOST_TEST(std::abs(sample.accuracy - PassAtKLogitNormal(mu, sigma, std::lround(sample.x))) < 1e-9);
      BOOST_TEST((sample.lower <= sample.accuracy && sample.accuracy <= sample.upper));
      ++drawn_samples;
    }
  }
  BOOST_TEST(drawn_samples >= 5);

  // simulate: the scenario draws the logit-normal and reproduces the planned figure within Monte Carlo error.
  const pipeline::BuiltScenario built = pipeline::BuildScenario(plan, {}, pipeline::LoadCatalogues(slice.db));
  const sim::McProblemSpec& spec = built.scenario.classes.at(0).buckets.at(0).options.at(0).correctness;
  BOOST_TEST_REQUIRE((spec.family == sim::McDifficulty::kLogitNormal));
  sim::MonteCarloOptions mc;
  mc.problems = 400'000;
  mc.threads = 1;
  const sim::MonteCarloSummary drawn = sim::RunMonteCarlo(sim::WithSeed(spec, 11), mc);
  BOOST_TEST_MESSAGE("simulated " << drawn.accuracy << " +- " << drawn.std_error << " against planned " << planned_accuracy);
  BOOST_TEST(std::abs(drawn.accuracy - planned_accuracy) <= 4 * drawn.std_error);
  // The Beta at the same mean would be many standard errors away: the family matters here.
  const double beta_at_k = DifficultyDistribution(beta).WithMean(slice.measured).PassAtK(agg->k);
  BOOST_TEST_MESSAGE("Beta at the same mean: " << beta_at_k);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace thinkplan::testing
