// Each scored option carries the difficulty distribution its accuracy was computed with (planner/options.h
// PlannedDifficulty), for the simulator to draw from: the fitted Beta's concentration a + b kept, the mean at the
// setting's single-sample accuracy, or, for a run measured at k samples, the mean whose pass@k is the measured one.
// References: pass@k under Beta(a, b) is 1 - B(a, b + k) / B(a, b), computed here from std::lgamma.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include <nlohmann/json.hpp>

#include "core/curve_set.h"
#include "planner/options.h"
#include "planner/workload.h"
#include "tests/planner/planner_fixtures.h"

namespace thinkplan::planner {
namespace {

using json = nlohmann::json;

double LogBeta(double a, double b) { return std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b); }
double PassAtK(double a, double b, long k) { return 1 - std::exp(LogBeta(a, b + static_cast<double>(k)) - LogBeta(a, b)); }

// The one-class workload checked by unit tests (a perfect verifier: pass@k is offered).
Workload UnitTestedClass() { return testing::MiniOneClassWorkload("unit_tests", 1000); }

Run Measured(const std::string& key, long k, long n, double correct) {
  Run r;
  r.run_key = key;
  r.source = Source::kPublished;
  r.system = "mini";
  r.task_class = "x";
  r.mode = Mode::kFast;
  r.samples = k;
  r.aggregation = k == 1 ? Aggregation{AggregationKind::kPass1, 1} : Aggregation{AggregationKind::kPassAt, k};
  r.n_problems = n;
  r.n_correct = correct;
  r.mean_output_tokens = 300;
  return r;
}

// A U-shaped fitted Beta(0.3, 0.2) on "mini / x": far from the default spread a + b = 2.
CurveSet FittedBeta() {
  CurveSet curves;
  BetaDifficulty beta;
  beta.a = 0.3;
  beta.b = 0.2;
  beta.quality.status = FitStatus::kOk;
  beta.quality.n_points = 120;
  curves.At({"mini", "x", ""}).difficulty = beta;
  return curves;
}

const Figures& Find(const std::vector<Candidate>& candidates, long k, bool from_curve) {
  for (const Candidate& c : candidates) {
    if (c.setting.aggregation.k == k && c.setting.from_curve == from_curve && c.per_bucket[0]) return *c.per_bucket[0];
  }
  BOOST_FAIL("no candidate at k = " << k);
  static const Figures kNone;
  return kNone;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(planned_difficulty)

BOOST_AUTO_TEST_CASE(a_measured_single_sample_run_carries_the_fitted_spread_at_its_measured_mean) {
  const Workload w = UnitTestedClass();
  const CurveSet curves = FittedBeta();
  const std::vector<Candidate> candidates =
      GenerateCandidates(w, w.classes[0], curves, {Measured("one", 1, 100, 40)}, Catalogues{}, OptionsConfig{}, nullptr);
  const Figures& one = Find(candidates, 1, false);
  BOOST_REQUIRE(one.difficulty.has_value());
  BOOST_TEST(one.difficulty->a + one.difficulty->b == 0.5, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(one.difficulty->a / (one.difficulty->a + one.difficulty->b) == 0.4, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(one.difficulty->Source().find("mini / x") != std::string::npos);
  // Its pass@4 extension: the planned accuracy is pass@4 of Beta(0.2, 0.3) = 0.54894, and the extension carries
  // that Beta; with a + b = 2 at the same mean pass@4 would be 0.70432 (Beta(0.8, 1.2)).
  const Figures& four = Find(candidates, 4, true);
  BOOST_REQUIRE(four.difficulty.has_value());
  BOOST_TEST(four.difficulty->a == 0.2, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(four.difficulty->b == 0.3, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(four.accuracy == PassAtK(0.2, 0.3, 4), boost::test_tools::tolerance(1e-9));
  BOOST_TEST(four.accuracy == 0.5489371428571432, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(std::abs(PassAtK(0.8, 1.2, 4) - four.accuracy) > 0.1);
}

BOOST_AUTO_TEST_CASE(a_run_measured_at_k_samples_carries_the_mean_that_reproduces_it) {
  const Workload w = UnitTestedClass();
  const CurveSet curves = FittedBeta();
  const std::vector<Candidate> candidates =
      GenerateCandidates(w, w.classes[0], curves, {Measured("eight", 8, 100, 70)}, Catalogues{}, OptionsConfig{}, nullptr);
  const Figures& eight = Find(candidates, 8, false);
  BOOST_TEST(eight.accuracy == 0.7, boost::test_tools::tolerance(1e-12));
  BOOST_REQUIRE(eight.difficulty.has_value());
  const double a = eight.difficulty->a, b = eight.difficulty->b;
  BOOST_TEST(a + b == 0.5, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(PassAtK(a, b, 8) == 0.7, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(eight.difficulty->solved_at.has_value());
}

BOOST_AUTO_TEST_CASE(an_option_without_a_per_problem_fit_carries_no_distribution) {
  const Workload w = UnitTestedClass();
  const CurveSet no_curves;
  const std::vector<Candidate> candidates =
      GenerateCandidates(w, w.classes[0], no_curves, {Measured("one", 1, 100, 40)}, Catalogues{}, OptionsConfig{}, nullptr);
  BOOST_TEST(!Find(candidates, 1, false).difficulty.has_value());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace thinkplan::planner
