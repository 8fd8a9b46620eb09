#include "fitting/training_fit.h"

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/special_functions.h"
#include "core/timing.h"
#include "fitting/binomial_mle.h"

namespace thinkplan::fitting {
namespace {

void FillSummary(const TrainingSurface& surface, const Options& options, Summary* summary) {
  summary->kind = "training";
  summary->form = "logit-linear";
  summary->quality = surface.quality;
  summary->confidence_level = options.confidence_level;
  if (!surface.quality.usable()) return;
  const double z = TwoSidedZ(options.confidence_level);
  const double values[3] = {surface.t0, surface.t1, surface.t2};
  const char* names[3] = {"t0", "t1", "t2"};
  for (int i = 0; i < 3; ++i) {
    const double half = surface.covariance.size() == 9 ? z * std::sqrt(surface.covariance[i * 4]) : 0.0;
    summary->parameters.push_back({names[i], values[i], {values[i] - half, values[i] + half}});
  }
  const std::string unit = surface.axis == TestTimeAxis::kThinkingTokens ? "tokens" : "samples";
  if (surface.t2 > 0.0) {
    summary->derived.push_back({"test_time_x_per_10x_training", surface.ExchangeRate(),
                                surface.ExchangeRateInterval(options.confidence_level)});
    summary->notes.push_back(fmt::format("10x training compute is worth {:.3g}x test-time {}", surface.ExchangeRate(), unit));
  } else {
    summary->notes.push_back(fmt::format("t2 <= 0: more test-time {} does not help here; no exchange rate", unit));
  }
}

}  // namespace

TrainingSurface FitTrainingSurface(const std::vector<TrainingPoint>& input, TestTimeAxis axis, const Options& options,
                                   Summary* summary) {
  const Stopwatch started;
  std::string error;
  if (!options.IsValid(&error)) throw UsageError("fit options: " + error);
  std::vector<TrainingPoint> points;
  std::set<double> computes, settings;
  double m1 = 0.0, m2 = 0.0, trials = 0.0, right = 0.0;
  for (size_t i = 0; i < input.size(); ++i) {
    const TrainingPoint& p = input[i];
    if (!std::isfinite(p.train_flops) || !std::isfinite(p.test_time) || !std::isfinite(p.n) ||
        !std::isfinite(p.correct) || p.correct < 0 || p.correct > p.n) {
      throw InputError(SourceLocation{"training points", static_cast<long>(i + 1), "correct", fmt::format("{}", p.correct)},
                       "values must be finite numbers with 0 <= correct <= n");
    }
    if (p.train_flops <= 0 || p.test_time <= 0 || p.n <= 0) continue;
    points.push_back(p);
    trials += p.n;
    right += p.correct;
    computes.insert(p.train_flops);
    settings.insert(p.test_time);
    m1 += std::log(p.train_flops);
    m2 += std::log(p.test_time);
  }
  TrainingSurface surface;
  surface.axis = axis;
  surface.quality.n_points = static_cast<long>(points.size());
  if (computes.size() < 2 || settings.size() < 2 || points.size() < 4) {
    surface.quality.reason = fmt::format(
        "needs 2 distinct training computes ({}), 2 distinct test-time settings ({}) and 4 points ({})",
        computes.size(), settings.size(), points.size());
  } else if (right == 0.0 || right == trials) {
    surface.quality.reason = right == 0.0 ? "every point at 0%: no slope identifiable"
                                          : "every point at 100%: no slope identifiable";
  } else {
    // Centred covariates: ln C is ~50, and an uncentred intercept would be a large, ill-conditioned number.
    m1 /= static_cast<double>(points.size());
    m2 /= static_cast<double>(points.size());
    std::vector<BinomialObservation> data;
    for (const TrainingPoint& p : points) {
      data.push_back({std::log(p.train_flops) - m1, std::log(p.test_time) - m2, p.n, p.correct});
    }
    MleOptions mle;
    mle.max_iterations = options.max_iterations;
    mle.function_tolerance = options.function_tolerance;
    mle.gradient_tolerance = options.gradient_tolerance;
    mle.parameter_tolerance = options.parameter_tolerance;
    mle.lower = {-50.0, -50.0, -50.0};
    mle.upper = {50.0, 50.0, 50.0};
    const MleResult fit = FitBinomialMle(BinomialModel::kLogitLinear, data, {0.0, 0.0, 0.0}, mle);
    surface.t1 = fit.natural[1];
    surface.t2 = fit.natural[2];
    surface.t0 = fit.natural[0] - surface.t1 * m1 - surface.t2 * m2;
    if (fit.covariance.size() == 9) {
      // t = A t_centred with A = [[1, -m1, -m2], [0, 1, 0], [0, 0, 1]]: covariance A C A'.
      const double a[3][3] = {{1, -m1, -m2}, {0, 1, 0}, {0, 0, 1}};
      surface.covariance.assign(9, 0.0);
      for (int i = 0; i < 3; ++i) {
        for (int j = 0; j < 3; ++j) {
          for (int k = 0; k < 3; ++k) {
            for (int l = 0; l < 3; ++l) surface.covariance[i * 3 + j] += a[i][k] * fit.covariance[k * 3 + l] * a[j][l];
          }
        }
      }
    }
    surface.quality = QualityOf(fit, surface.quality.n_points, "a coefficient at its bound (|t| = 50): separable data");
  }
  if (summary != nullptr) {
    *summary = Summary{};
    FillSummary(surface, options, summary);
    summary->seconds = started.Seconds();
  }
  return surface;
}

}  // namespace thinkplan::fitting
