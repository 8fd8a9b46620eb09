#include "fitting/sequential_fit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/special_functions.h"
#include "core/timing.h"
#include "fitting/binomial_mle.h"

namespace thinkplan::fitting {
namespace {

std::vector<BinomialObservation> ToObservations(const std::vector<SequentialPoint>& points) {
  std::vector<BinomialObservation> data;
  data.reserve(points.size());
  for (const SequentialPoint& p : points) data.push_back({std::log(p.tokens), 0.0, p.n, p.correct});
  return data;
}

MleOptions SolverOptions(const Options& options) {
  MleOptions mle;
  mle.max_iterations = options.max_iterations;
  mle.function_tolerance = options.function_tolerance;
  mle.gradient_tolerance = options.gradient_tolerance;
  mle.parameter_tolerance = options.parameter_tolerance;
  return mle;
}

// Bounds on (lo, gap, ln k, ln b50): lo and gap are probabilities; k and b50 wide enough never to bind on data that
// identify the curve, tight enough that a saturating fit stops instead of running to infinity.
void SigmoidBounds(const std::vector<SequentialPoint>& points, MleOptions* mle) {
  double x_min = std::log(points.front().tokens), x_max = x_min;
  for (const SequentialPoint& p : points) {
    x_min = std::min(x_min, std::log(p.tokens));
    x_max = std::max(x_max, std::log(p.tokens));
  }
  mle->lower = {0.0, 0.0, std::log(1e-2), x_min - 10.0};
  mle->upper = {1.0 - 1e-9, 1.0, std::log(1e2), x_max + 10.0};
}

// Weighted least squares of accuracy on ln b: the log-linear start and the sigmoid's slope guess.
std::pair<double, double> LinearStart(const std::vector<SequentialPoint>& points) {
  double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const SequentialPoint& p : points) {
    const double x = std::log(p.tokens), y = p.correct / p.n, w = p.n;
    sw += w;
    sx += w * x;
    sy += w * y;
    sxx += w * x * x;
    sxy += w * x * y;
  }
  const double var = sxx - sx * sx / sw;
  const double beta = var > 0 ? (sxy - sx * sy / sw) / var : 0.0;
  return {sy / sw - beta * sx / sw, beta};
}

SequentialCurve CurveFrom(SequentialForm form, const MleResult& mle, long n_points) {
  SequentialCurve curve;
  curve.form = form;
  curve.params = mle.natural;
  curve.covariance = mle.covariance;
  curve.quality = QualityOf(mle, n_points);
  return curve;
}

SequentialCurve FitSigmoidOnce(const std::vector<SequentialPoint>& points, const std::vector<double>& start,
                               const Options& options) {
  MleOptions mle_options = SolverOptions(options);
  SigmoidBounds(points, &mle_options);
  std::vector<double> natural = {start[0], start[1], start[2], std::log(start[3])};
  std::vector<double> internal = ToInternal(BinomialModel::kSigmoid, natural);
  for (size_t i = 0; i < internal.size(); ++i) {
    internal[i] = std::clamp(internal[i], mle_options.lower[i], mle_options.upper[i]);
  }
  const MleResult mle = FitBinomialMle(BinomialModel::kSigmoid, ToObservations(points), internal, mle_options);
  SequentialCurve curve = CurveFrom(SequentialForm::kSigmoid, mle, static_cast<long>(points.size()));
  if (mle.converged && mle.at_bound) {
    curve.quality.reason = "a parameter ended at its bound (saturating curve); intervals treat it as estimated";
  }
  return curve;
}

SequentialCurve FitLogLinear(const std::vector<SequentialPoint>& points, const Options& options) {
  const auto [alpha, beta] = LinearStart(points);
  const MleResult mle =
      FitBinomialMle(BinomialModel::kLogLinear, ToObservations(points), {alpha, beta}, SolverOptions(options));
  return CurveFrom(SequentialForm::kLogLinear, mle, static_cast<long>(points.size()));
}

void Validate(const std::vector<SequentialPoint>& points) {
  for (size_t i = 0; i < points.size(); ++i) {
    const SequentialPoint& p = points[i];
    const auto where = [&](const char* field, double value) {
      return SourceLocation{"sequential points", static_cast<long>(i + 1), field, fmt::format("{}", value)};
    };
    if (!std::isfinite(p.tokens)) throw InputError(where("tokens", p.tokens), "must be a finite number");
    if (!std::isfinite(p.n)) throw InputError(where("n", p.n), "must be a finite number");
    if (!std::isfinite(p.correct) || p.correct < 0.0 || p.correct > p.n) {
      throw InputError(where("correct", p.correct), "must lie in [0, n]");
    }
  }
}

void FillSummary(const SequentialCurve& curve, const Options& options, Summary* summary) {
  summary->kind = "sequential";
  summary->form = std::string(ToString(curve.form));
  summary->quality = curve.quality;
  summary->confidence_level = options.confidence_level;
  summary->parameters.clear();
  summary->derived.clear();
  const double level = options.confidence_level;
  const double z = TwoSidedZ(level);
  const auto estimate = [&](const std::string& name, size_t i) {
    const size_t m = curve.params.size();
    const double value = curve.params[i];
    if (curve.covariance.size() != m * m) return Estimate{name, value, {value, value}};
    const double half = z * std::sqrt(std::max(0.0, curve.covariance[i * m + i]));
    return Estimate{name, value, {value - half, value + half}};
  };
  if (curve.params.empty()) return;
  // Wald intervals of lo and hi are cut at [0, 1] and of k at 0: the parameters cannot leave their ranges.
  const auto within = [](Estimate e, double low, double high) {
    e.interval = {std::max(e.interval.lower, low), std::min(e.interval.upper, high)};
    return e;
  };
  if (curve.form == SequentialForm::kSigmoid) {
    summary->parameters = {within(estimate("lo", 0), 0.0, 1.0), within(estimate("hi", 1), 0.0, 1.0),
                           within(estimate("k", 2), 0.0, std::numeric_limits<double>::infinity())};
    Estimate b50 = estimate("ln_b50", 3);
    summary->parameters.push_back({"b50", std::exp(b50.value), {std::exp(b50.interval.lower), std::exp(b50.interval.upper)}});
    const double at = curve.b50();
    summary->derived.push_back({"points_per_doubling_at_b50", curve.PointsPerDoubling(at),
                                curve.PointsPerDoublingInterval(at, level)});
  } else {
    summary->parameters = {estimate("alpha", 0), estimate("beta", 1)};
    summary->derived.push_back({"points_per_doubling", curve.PointsPerDoubling(1.0),
                                curve.PointsPerDoublingInterval(1.0, level)});
  }
}

}  // namespace

SequentialData SequentialPointsFromRuns(const std::vector<Run>& runs) {
  SequentialData data;
  // Tokens actually used where known, else the budget: whichever axis more of the pass@1 runs have, tokens used
  // on a tie. Runs of one group can come from several sources, some with token counts and some without.
  long with_tokens = 0, with_budget = 0;
  // Fast-mode runs think no tokens: they are no point on a thinking curve.
  const auto on_curve = [](const Run& run) {
    return run.aggregation.kind == AggregationKind::kPass1 && run.mode == Mode::kExtended;
  };
  for (const Run& run : runs) {
    if (!on_curve(run)) continue;
    with_tokens += run.ThinkingTokens().has_value();
    with_budget += run.budget_tokens.has_value();
  }
  data.axis = with_tokens >= with_budget ? TokenAxis::kTokensUsed : TokenAxis::kBudget;
  for (const Run& run : runs) {
    const std::optional<double> x =
        data.axis == TokenAxis::kTokensUsed ? run.ThinkingTokens() : run.budget_tokens;
    if (!on_curve(run) || !x) {
      ++data.dropped;
      continue;
    }
    data.points.push_back({*x, static_cast<double>(run.n_problems), run.n_correct});
  }
  return data;
}

std::vector<double> SigmoidStart(const std::vector<SequentialPoint>& points) {
  double acc_min = 1.0, acc_max = 0.0, x_sum = 0.0, w_sum = 0.0;
  for (const SequentialPoint& p : points) {
    acc_min = std::min(acc_min, p.correct / p.n);
    acc_max = std::max(acc_max, p.correct / p.n);
    x_sum += p.n * std::log(p.tokens);
    w_sum += p.n;
  }
  const double lo = std::clamp(0.5 * acc_min, 1e-3, 0.9);
  const double hi = std::clamp(acc_max + 0.5 * (1.0 - acc_max), lo + 1e-3, 0.999);
  const double slope = LinearStart(points).second;
  const double k = std::clamp(4.0 * slope / (hi - lo), 0.1, 10.0);
  return {lo, hi, k, std::exp(x_sum / w_sum)};
}

SequentialCurve FitSigmoidFrom(const std::vector<SequentialPoint>& points, const std::vector<double>& start,
                               const Options& options) {
  Validate(points);
  return FitSigmoidOnce(points, start, options);
}

SequentialCurve FitSequential(const std::vector<SequentialPoint>& input, TokenAxis axis, const Options& options,
                              Summary* summary) {
  const Stopwatch started;
  std::string error;
  if (!options.IsValid(&error)) throw UsageError("fit options: " + error);
  Validate(input);
  std::vector<SequentialPoint> points;
  long dropped = 0;
  for (const SequentialPoint& p : input) {
    if (p.n > 0.0 && p.tokens > 0.0) {
      points.push_back(p);
    } else {
      ++dropped;
    }
  }
  std::set<double> distinct;
  double total = 0.0, right = 0.0;
  for (const SequentialPoint& p : points) {
    distinct.insert(p.tokens);
    total += p.n;
    right += p.correct;
  }

  SequentialCurve curve;
  curve.quality.n_points = static_cast<long>(points.size());
  if (distinct.size() < 2) {
    curve.form = SequentialForm::kLogLinear;
    curve.quality.status = FitStatus::kInsufficientData;
    curve.quality.reason = fmt::format("needs at least 2 distinct token values, got {}", distinct.size());
  } else if (right == 0.0 || right == total) {
    // Every point at 0% (or 100%): the curve is flat at that value and no slope can be estimated.
    curve = SequentialCurve::LogLinear(right == 0.0 ? 0.0 : 1.0, 0.0);
    curve.quality.status = FitStatus::kFallback;
    curve.quality.n_points = static_cast<long>(points.size());
    curve.quality.reason = right == 0.0 ? "every point at 0%: flat curve, no slope identifiable"
                                        : "every point at 100%: flat curve, no slope identifiable";
  } else {
    SequentialCurve linear = FitLogLinear(points, options);
    const bool thin = static_cast<int>(distinct.size()) < options.min_distinct_x_for_sigmoid;
    if (thin) {
      curve = linear;
      curve.quality.status = linear.quality.status == FitStatus::kOk ? FitStatus::kFallback : linear.quality.status;
      curve.quality.reason = fmt::format("log-linear: {} distinct token values, the sigmoid needs {}{}",
                                         distinct.size(), options.min_distinct_x_for_sigmoid,
                                         linear.quality.reason.empty() ? "" : "; " + linear.quality.reason);
    } else {
      // The sigmoid's likelihood can have several local optima; start from the data's own guess and from the
      // midpoint at either end of the range, and keep the best.
      std::vector<double> start = SigmoidStart(points);
      SequentialCurve best = FitSigmoidOnce(points, start, options);
      for (double end : {*distinct.begin(), *distinct.rbegin()}) {
        start[3] = end;
        SequentialCurve other = FitSigmoidOnce(points, start, options);
        const bool better_status = other.quality.status == FitStatus::kOk && best.quality.status != FitStatus::kOk;
        if (better_status || (other.quality.status == best.quality.status && other.quality.deviance < best.quality.deviance)) {
          best = other;
        }
      }
      const bool sigmoid_ok = best.quality.status == FitStatus::kOk;
      const bool aic_prefers_linear = options.select_by_aic && linear.quality.aic < best.quality.aic;
      if (sigmoid_ok && !aic_prefers_linear) {
        curve = best;
      } else if (linear.quality.status == FitStatus::kOk) {
        curve = linear;
        curve.quality.status = FitStatus::kFallback;
        curve.quality.reason =
            sigmoid_ok ? fmt::format("log-linear: AIC {:.2f} below the sigmoid's {:.2f}", linear.quality.aic,
                                     best.quality.aic)
                       : fmt::format("log-linear: the sigmoid is {} ({})", ToString(best.quality.status),
                                      best.quality.reason);
      } else {
        curve = best;  // neither converged: report the sigmoid's last iterate as not converged
      }
    }
  }
  curve.axis = axis;
  if (summary != nullptr) {
    *summary = Summary{};
    FillSummary(curve, options, summary);
    summary->notes.push_back(fmt::format("x-axis: {}", ToString(axis)));
    if (dropped > 0) summary->notes.push_back(fmt::format("{} point(s) with n <= 0 or tokens <= 0 dropped", dropped));
    summary->seconds = started.Seconds();
  }
  return curve;
}

SequentialCurve FitSequential(const std::vector<Run>& runs, const Options& options, Summary* summary) {
  const SequentialData data = SequentialPointsFromRuns(runs);
  SequentialCurve curve = FitSequential(data.points, data.axis, options, summary);
  if (summary != nullptr && data.dropped > 0) {
    summary->notes.push_back(fmt::format("{} run(s) without pass@1 or without {} left out", data.dropped,
                                         ToString(data.axis)));
    std::set<std::string> levels;
    for (const Run& run : runs) {
      if (!run.ThinkingTokens() && !run.budget_tokens && !run.effort.empty()) levels.insert(run.effort);
    }
    for (const std::string& level : levels) {
      summary->notes.push_back("effort level '" + level + "' gives no tokens used or budget, and no run of the "
                               "system reports tokens at it: it places no point");
    }
  }
  return curve;
}

}  // namespace thinkplan::fitting
