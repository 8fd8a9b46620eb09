// Sequential-scaling fits: exact recovery on noise-free data, interval coverage on 200 simulated replicates, the
// covariance against the numerical observed information, the published o3-mini / MathArena points and the
// degenerate inputs that must end in a defined status.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "core/errors.h"
#include "fitting/binomial_mle.h"
#include "fitting/sequential_fit.h"

namespace thinkplan::fitting {
namespace {

double TrueSigmoid(double b, double lo, double hi, double k, double b50) {
  return lo + (hi - lo) / (1.0 + std::exp(-k * (std::log(b) - std::log(b50))));
}

std::vector<SequentialPoint> Budgets(double n, const std::vector<double>& acc_or_empty = {}) {
  std::vector<SequentialPoint> points;
  for (int e = 8; e <= 15; ++e) points.push_back({std::pow(2.0, e), n, 0.0});
  for (size_t i = 0; i < acc_or_empty.size(); ++i) points[i].correct = acc_or_empty[i] * n;
  return points;
}

// Minus the binomial log-likelihood of the sigmoid at natural parameters (lo, hi, k, ln b50), written out here.
double NegLogLik(const std::vector<SequentialPoint>& points, const std::vector<double>& th) {
  double nll = 0.0;
  for (const SequentialPoint& p : points) {
    const double q = TrueSigmoid(p.tokens, th[0], th[1], th[2], std::exp(th[3]));
    nll -= p.correct * std::log(q) + (p.n - p.correct) * std::log(1.0 - q);
  }
  return nll;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sequential_fit)

BOOST_AUTO_TEST_CASE(recovers_noise_free_sigmoid_exactly) {
  std::vector<SequentialPoint> points = Budgets(1e6);
  for (auto& p : points) p.correct = p.n * TrueSigmoid(p.tokens, 0.12, 0.88, 1.3, 2500.0);
  Summary summary;
  const SequentialCurve curve = FitSequential(points, TokenAxis::kBudget, Options{}, &summary);
  BOOST_TEST_MESSAGE(summary.FullReport());
  BOOST_REQUIRE(curve.quality.status == FitStatus::kOk);
  BOOST_REQUIRE(curve.form == SequentialForm::kSigmoid);
  BOOST_CHECK_CLOSE(curve.params[0], 0.12, 1e-4);
  BOOST_CHECK_CLOSE(curve.params[1], 0.88, 1e-4);
  BOOST_CHECK_CLOSE(curve.params[2], 1.3, 1e-4);
  BOOST_CHECK_CLOSE(curve.b50(), 2500.0, 1e-4);
  BOOST_CHECK_SMALL(curve.quality.deviance, 1e-8);
  // Slope per doubling at b50: 100 (hi - lo) k ln2 / 4.
  BOOST_CHECK_CLOSE(curve.PointsPerDoubling(2500.0), 100.0 * 0.76 * 1.3 * std::log(2.0) / 4.0, 1e-3);
}

BOOST_AUTO_TEST_CASE(covariance_matches_numerical_observed_information) {
  std::mt19937_64 rng(3);
  std::vector<SequentialPoint> points = Budgets(400);
  for (auto& p : points) {
    std::binomial_distribution<long> draw(400, TrueSigmoid(p.tokens, 0.2, 0.8, 1.5, 3000.0));
    p.correct = static_cast<double>(draw(rng));
  }
  const SequentialCurve curve = FitSequential(points, TokenAxis::kBudget, Options{});
  BOOST_REQUIRE(curve.form == SequentialForm::kSigmoid);
  // Observed information: the Hessian of minus the log-likelihood by central differences, inverted.
  const std::vector<double> th = curve.params;
  double hessian[4][4];
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      const double hi = 1e-4 * std::max(1.0, std::abs(th[i])), hj = 1e-4 * std::max(1.0, std::abs(th[j]));
      auto at = [&](double di, double dj) {
        std::vector<double> x = th;
        x[i] += di;
        x[j] += dj;
        return NegLogLik(points, x);
      };
      hessian[i][j] = (at(hi, hj) - at(hi, -hj) - at(-hi, hj) + at(-hi, -hj)) / (4 * hi * hj);
    }
  }
  // Invert the 4x4 by Gauss-Jordan.
  double a[4][8];
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      a[i][j] = hessian[i][j];
      a[i][4 + j] = i == j;
    }
  }
  for (int c = 0; c < 4; ++c) {
    int pivot = c;
    for (int r = c + 1; r < 4; ++r) {
      if (std::abs(a[r][c]) > std::abs(a[pivot][c])) pivot = r;
    }
    for (int j = 0; j < 8; ++j) std::swap(a[c][j], a[pivot][j]);
    const double d = a[c][c];
    for (int j = 0; j < 8; ++j) a[c][j] /= d;
    for (int r = 0; r < 4; ++r) {
      if (r == c) continue;
      const double f = a[r][c];
      for (int j = 0; j < 8; ++j) a[r][j] -= f * a[c][j];
    }
  }
  for (int i = 0; i < 4; ++i) {
    BOOST_TEST_INFO("parameter " << i);
    // Expected and observed information agree to O(1/sqrt(n)) at the optimum.
    BOOST_CHECK_CLOSE(std::sqrt(curve.covariance[i * 4 + i]), std::sqrt(a[i][4 + i]), 15.0);
  }
}

BOOST_AUTO_TEST_CASE(intervals_cover_the_truth_in_200_replicates) {
  const double lo = 0.15, hi = 0.85, k = 1.5, b50 = 3000.0, n = 300;
  std::mt19937_64 rng(20240501);
  int replicates = 0, converged = 0;
  int covered[4] = {0, 0, 0, 0}, band_covered = 0, slope_covered = 0;
  const std::vector<double> truth = {lo, hi, k, std::log(b50)};
  const double true_slope = 100.0 * (hi - lo) * k * std::log(2.0) / 4.0;
  for (int rep = 0; rep < 200; ++rep) {
    std::vector<SequentialPoint> points = Budgets(n);
    for (auto& p : points) {
      std::binomial_distribution<long> draw(static_cast<long>(n), TrueSigmoid(p.tokens, lo, hi, k, b50));
      p.correct = static_cast<double>(draw(rng));
    }
    Options options;
    options.select_by_aic = false;  // coverage of the sigmoid's own intervals
    const SequentialCurve curve = FitSequential(points, TokenAxis::kBudget, options);
    ++replicates;
    if (curve.quality.status != FitStatus::kOk || curve.covariance.empty()) continue;
    ++converged;
    const double z = 1.959963984540054;
    for (int i = 0; i < 4; ++i) {
      const double half = z * std::sqrt(curve.covariance[i * 4 + i]);
      covered[i] += std::abs(curve.params[i] - truth[i]) <= half;
    }
    band_covered += curve.Band(4096.0).Contains(TrueSigmoid(4096.0, lo, hi, k, b50));
    slope_covered += curve.PointsPerDoublingInterval(b50).Contains(true_slope);
  }
  BOOST_CHECK_EQUAL(converged, replicates);
  for (int i = 0; i < 4; ++i) {
    const double coverage = static_cast<double>(covered[i]) / converged;
    BOOST_TEST_MESSAGE("parameter " << i << " coverage " << coverage);
    BOOST_CHECK_GE(coverage, 0.90);
    BOOST_CHECK_LE(coverage, 0.99);
  }
  const double band = static_cast<double>(band_covered) / converged;
  const double slope = static_cast<double>(slope_covered) / converged;
  BOOST_TEST_MESSAGE("band coverage " << band << ", slope coverage " << slope);
  BOOST_CHECK_GE(band, 0.90);
  BOOST_CHECK_LE(band, 0.99);
  BOOST_CHECK_GE(slope, 0.90);
  BOOST_CHECK_LE(slope, 0.99);
}

BOOST_AUTO_TEST_CASE(aic_prefers_log_linear_on_log_linear_data) {
  std::vector<SequentialPoint> points = Budgets(100);
  for (auto& p : points) p.correct = p.n * (0.2 + 0.07 * std::log(p.tokens / 256.0));
  const SequentialCurve curve = FitSequential(points, TokenAxis::kBudget, Options{});
  BOOST_CHECK(curve.form == SequentialForm::kLogLinear);
  BOOST_CHECK(curve.quality.status == FitStatus::kFallback);
  BOOST_CHECK_NE(curve.quality.reason.find("AIC"), std::string::npos);
  BOOST_CHECK_CLOSE(curve.params[1], 0.07, 1e-3);
  BOOST_CHECK_CLOSE(curve.PointsPerDoubling(1000.0), 7.0 * std::log(2.0), 1e-3);
}

BOOST_AUTO_TEST_CASE(o3_mini_effort_levels_on_matharena_tokens) {
  // MathArena AIME 2025 I: o3-mini low / medium / high, mean output tokens per problem and mean accuracy over 15
  // problems x 4 runs (aime2025I_model_tokens_prices.csv, aime2025I_per_problem_accuracy_4runs.csv).
  std::vector<Run> runs;
  const double tokens[] = {2308.016666666667, 6272.716666666666, 12046.85};
  const double accuracy[] = {0.5333333333333333, 0.7333333333333333, 0.80};
  const char* effort[] = {"low", "medium", "high"};
  for (int i = 0; i < 3; ++i) {
    Run run;
    run.system = "o3-mini";
    run.effort = effort[i];
    run.n_problems = 15;
    run.n_correct = 15 * accuracy[i];
    run.mean_output_tokens = tokens[i];
    runs.push_back(run);
  }
  Summary summary;
  const SequentialCurve curve = FitSequential(runs, Options{}, &summary);
  BOOST_TEST_MESSAGE(summary.FullReport());
  BOOST_CHECK(curve.axis == TokenAxis::kTokensUsed);
  BOOST_CHECK(curve.form == SequentialForm::kLogLinear);  // three points: the sigmoid is not identifiable
  BOOST_CHECK(curve.quality.status == FitStatus::kFallback);
  // Least squares through the three points gives 0.161 per unit ln b, 11.2 points per doubling; the binomial MLE
  // weighs the points by their precision and lands close to it.
  BOOST_CHECK_GT(curve.PointsPerDoubling(6000.0), 8.0);
  BOOST_CHECK_LT(curve.PointsPerDoubling(6000.0), 14.0);
  const Interval slope = curve.PointsPerDoublingInterval(6000.0);
  BOOST_CHECK_LT(slope.lower, curve.PointsPerDoubling(6000.0));
  BOOST_CHECK_GT(slope.upper - slope.lower, 10.0);  // 15 problems: the slope is far from pinned down
  BOOST_CHECK_CLOSE(curve.Evaluate(6272.7), 0.70, 8.0);
}

BOOST_AUTO_TEST_CASE(degenerate_inputs_end_in_a_defined_status) {
  const Options options;
  const auto finite = [](const SequentialCurve& c) {
    for (double v : c.params) {
      if (!std::isfinite(v)) return false;
    }
    for (double v : c.covariance) {
      if (!std::isfinite(v)) return false;
    }
    return std::isfinite(c.Evaluate(1000.0)) && std::isfinite(c.quality.aic);
  };
  {  // all correct
    std::vector<SequentialPoint> points = Budgets(30, std::vector<double>(8, 1.0));
    const SequentialCurve c = FitSequential(points, TokenAxis::kBudget, options);
    BOOST_CHECK(c.quality.status == FitStatus::kFallback);
    BOOST_CHECK_EQUAL(c.Evaluate(1000.0), 1.0);
    BOOST_CHECK(finite(c));
  }
  {  // all wrong
    std::vector<SequentialPoint> points = Budgets(30, std::vector<double>(8, 0.0));
    const SequentialCurve c = FitSequential(points, TokenAxis::kBudget, options);
    BOOST_CHECK(c.quality.status == FitStatus::kFallback);
    BOOST_CHECK_EQUAL(c.Evaluate(1000.0), 0.0);
  }
  {  // one point
    const SequentialCurve c = FitSequential({{1000.0, 30.0, 12.0}}, TokenAxis::kBudget, options);
    BOOST_CHECK(c.quality.status == FitStatus::kInsufficientData);
    BOOST_CHECK(finite(c));
  }
  {  // duplicate budgets: two distinct values among four points
    const SequentialCurve c = FitSequential({{1000, 30, 10}, {1000, 30, 12}, {4000, 30, 20}, {4000, 30, 19}},
                                            TokenAxis::kBudget, options);
    BOOST_CHECK(c.quality.status == FitStatus::kFallback);
    BOOST_CHECK(c.form == SequentialForm::kLogLinear);
    BOOST_CHECK(finite(c));
  }
  {  // zero tokens: dropped, leaving one point
    Summary summary;
    const SequentialCurve c = FitSequential({{0.0, 30, 5}, {1000, 30, 12}}, TokenAxis::kBudget, options, &summary);
    BOOST_CHECK(c.quality.status == FitStatus::kInsufficientData);
    BOOST_CHECK_NE(summary.FullReport().find("dropped"), std::string::npos);
  }
  {  // huge counts
    std::vector<SequentialPoint> points = Budgets(1e9);
    for (auto& p : points) p.correct = std::round(p.n * TrueSigmoid(p.tokens, 0.1, 0.9, 1.0, 2000.0));
    const SequentialCurve c = FitSequential(points, TokenAxis::kBudget, options);
    BOOST_CHECK(c.quality.usable());
    BOOST_CHECK(finite(c));
    BOOST_CHECK_CLOSE(c.Evaluate(2000.0), 0.5, 1e-3);
  }
  {  // NaN is rejected with its location
    BOOST_CHECK_THROW(FitSequential({{1000, 30, std::nan("")}, {2000, 30, 3}}, TokenAxis::kBudget, options),
                      InputError);
    BOOST_CHECK_THROW(FitSequential({{1000, 30, 31}, {2000, 30, 3}}, TokenAxis::kBudget, options), InputError);
  }
}

BOOST_AUTO_TEST_CASE(deviance_residuals_are_the_binomial_deviance) {
  // Against the textbook form with the 0 ln 0 limits spelled out.
  for (double n : {1.0, 10.0, 1e9}) {
    for (double y_share : {0.0, 0.3, 1.0}) {
      for (double p : {1e-6, 0.3, 0.9}) {
        const double y = y_share * n;
        double expected = 0.0;
        if (y > 0) expected += y * std::log(y / (n * p));
        if (n - y > 0) expected += (n - y) * std::log((n - y) / (n * (1.0 - p)));
        BOOST_TEST_INFO("n=" << n << " y=" << y << " p=" << p);
        BOOST_CHECK_CLOSE(BinomialDeviance(n, y, p), 2.0 * expected, 1e-8);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(singular_or_flat_likelihoods_are_unidentified_not_ok) {
  // The rule of QualityOf on hand-made optimiser results: a converged fit is ok only when its information matrix
  // inverts and every standard error stays below kMaxRelativeStandardError x max(1, |value|).
  MleResult mle;
  mle.model = BinomialModel::kLogLinear;
  mle.converged = true;
  mle.natural = {0.2, 0.05};
  mle.covariance = {0.01, 0.0, 0.0, 0.0001};
  BOOST_CHECK(QualityOf(mle, 5).status == FitStatus::kOk);
  mle.covariance.clear();  // singular information
  FitQuality q = QualityOf(mle, 5);
  BOOST_CHECK(q.status == FitStatus::kUnidentified);
  BOOST_CHECK_NE(q.reason.find("singular"), std::string::npos);
  const double se = 1.01 * kMaxRelativeStandardError;  // beta = 0.05: the bound is 1000 x max(1, 0.05)
  mle.covariance = {0.01, 0.0, 0.0, se * se};
  q = QualityOf(mle, 5);
  BOOST_CHECK(q.status == FitStatus::kUnidentified);
  BOOST_CHECK_NE(q.reason.find("beta"), std::string::npos);
  mle.covariance = {0.01, 0.0, 0.0, 0.99 * 0.99 * kMaxRelativeStandardError * kMaxRelativeStandardError};
  BOOST_CHECK(QualityOf(mle, 5).status == FitStatus::kOk);
  // A parameter on its bound with a stated meaning stays the documented fallback.
  mle.covariance.clear();
  mle.at_bound = true;
  BOOST_CHECK(QualityOf(mle, 5, std::string("at bound")).status == FitStatus::kFallback);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace thinkplan::fitting
