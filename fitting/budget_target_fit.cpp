#include "fitting/budget_target_fit.h"

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/special_functions.h"
#include "core/timing.h"

namespace thinkplan::fitting {
namespace {

// One point on the fitting scale: x = ln b - reference, y = ln(m / b), weight w.
struct LogPoint {
  double x = 0, y = 0, w = 0;
};

// Weighted sums of the normal equations and the residual variance estimate s^2 = sum w r^2 / (n - p).
struct WeightedLine {
  double c0 = 0, c1 = 0, sw = 0, swxx = 0, rss = 0;
};

WeightedLine SolveLine(const std::vector<LogPoint>& points, bool with_slope) {
  WeightedLine line;
  double swy = 0, swxy = 0;
  for (const LogPoint& p : points) {
    line.sw += p.w;
    line.swxx += p.w * p.x * p.x;
    swy += p.w * p.y;
    swxy += p.w * p.x * p.y;
  }
  // x is centred at the weighted mean of ln b, so the normal equations decouple: c0 = mean y, c1 = Sxy / Sxx.
  line.c0 = swy / line.sw;
  line.c1 = with_slope && line.swxx > 0 ? swxy / line.swxx : 0.0;
  for (const LogPoint& p : points) line.rss += p.w * std::pow(p.y - line.c0 - line.c1 * p.x, 2);
  return line;
}

void FillSummary(const BudgetTarget& fit, const Options& options, Summary* summary) {
  summary->kind = "budget-target";
  summary->form = "log-linear share of the budget";
  summary->quality = fit.quality;
  summary->confidence_level = options.confidence_level;
  if (!fit.quality.usable()) return;
  const double z = TwoSidedZ(options.confidence_level);
  const auto estimate = [&](const char* name, double value, int i) {
    if (fit.covariance.size() != 4) return Estimate{name, value, {value, value}};
    const double half = z * std::sqrt(fit.covariance[i * 3]);
    return Estimate{name, value, {value - half, value + half}};
  };
  summary->parameters = {estimate("c0", fit.c0, 0), estimate("c1", fit.c1, 1)};
  const double reference = std::exp(fit.ln_reference);
  summary->derived.push_back({fmt::format("share_used_at_{:.0f}", reference), fit.Ratio(reference),
                              fit.RatioBand(reference, options.confidence_level)});
}

}  // namespace

BudgetTarget FitBudgetTarget(const std::vector<TokenMeanPoint>& input, const Options& options, Summary* summary) {
  const Stopwatch started;
  std::string error;
  if (!options.IsValid(&error)) throw UsageError("fit options: " + error);
  std::vector<LogPoint> points;
  std::set<double> budgets;
  double reference = 0, weight = 0;
  for (const TokenMeanPoint& p : input) {
    if (!(std::isfinite(p.budget) && p.budget > 0 && p.mean_tokens > 0 && p.weight > 0)) continue;
    points.push_back({std::log(p.budget), std::log(p.mean_tokens / p.budget), p.weight});
    budgets.insert(p.budget);
    reference += p.weight * std::log(p.budget);
    weight += p.weight;
  }
  BudgetTarget fit;
  fit.quality.n_points = static_cast<long>(points.size());
  if (points.empty()) {
    fit.quality.reason = "no mean tokens at a finite budget: nothing says where the budget lands";
  } else {
    fit.ln_reference = reference / weight;
    for (LogPoint& p : points) p.x -= fit.ln_reference;
    const bool slope = budgets.size() >= 2;
    const WeightedLine line = SolveLine(points, slope);
    fit.c0 = line.c0;
    fit.c1 = line.c1;
    const long df = static_cast<long>(points.size()) - (slope ? 2 : 1);
    if (df > 0) {
      // Var(ln m_i) = s^2 / w_i: Var c0 = s^2 / sum w, Var c1 = s^2 / sum w x^2, uncorrelated (x centred).
      const double s2 = line.rss / static_cast<double>(df);
      fit.covariance = {s2 / line.sw, 0.0, 0.0, slope ? s2 / line.swxx : 0.0};
    }
    fit.quality.status = slope && df > 0 ? FitStatus::kOk : FitStatus::kFallback;
    if (!slope) fit.quality.reason = "one budget: the share used is assumed the same at every budget (c1 = 0)";
    if (df <= 0) fit.quality.reason += std::string(slope ? "" : "; ") + "an exact fit: no residuals for an interval";
  }
  if (summary != nullptr) {
    *summary = Summary{};
    FillSummary(fit, options, summary);
    summary->notes.push_back(fmt::format("{} of {} point(s) with a finite budget", points.size(), input.size()));
    summary->seconds = started.Seconds();
  }
  return fit;
}

}  // namespace thinkplan::fitting
