#include "pipeline/holdout_stage.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/number_format.h"
#include "core/text_table.h"
#include "fitting/sequential_fit.h"
#include "pipeline/predict_stage.h"

namespace thinkplan::pipeline {

using fitting::FitJob;
using fitting::FitKind;
using fitting::FitSequential;
using fitting::SequentialData;
using fitting::SequentialPoint;
namespace {

double Median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : 0.5 * (values[mid - 1] + values[mid]);
}

// The refit's prediction at one held-out point: the mean, its band, and the band of the share right out of the
// run's own n problems, exactly as `thinkplan predict --problems n` forms it.
HeldOutPoint PredictHeldOut(const SequentialCurve& refit, const SequentialPoint& point, double x_min, double x_max,
                            double level) {
  HeldOutPoint out;
  out.tokens = point.tokens;
  out.problems = std::lround(point.n);
  out.measured = point.correct / point.n;
  out.refit_status = refit.quality.status;
  out.refit_form = std::string(ToString(refit.form));
  out.extrapolated = point.tokens < x_min || point.tokens > x_max;
  if (!out.predicted_usable()) return out;
  out.predicted = refit.Evaluate(point.tokens);
  out.mean_band = refit.Band(point.tokens, level);
  out.predictive_band = PredictiveBand(out.predicted, out.mean_band, out.problems, level);
  // The measured share is a count over n (or a mean of such counts over samples): compare on the same grid,
  // with a half-step of slack for rounding of fractional counts.
  const double slack = 0.5 / std::max(1.0, point.n);
  out.covered = out.measured >= out.predictive_band.lower - slack && out.measured <= out.predictive_band.upper + slack;
  return out;
}

void Aggregate(const std::vector<HeldOutPoint>& points, long* predicted, double* median_error, double* coverage) {
  std::vector<double> errors;
  long covered = 0;
  for (const HeldOutPoint& p : points) {
    if (!p.predicted_usable()) continue;
    errors.push_back(p.AbsErrorPoints());
    covered += p.covered;
  }
  *predicted = static_cast<long>(errors.size());
  *median_error = Median(errors);
  *coverage = errors.empty() ? 0.0 : static_cast<double>(covered) / static_cast<double>(errors.size());
}

}  // namespace

bool HoldoutOptions::IsValid(std::string* error) const {
  const auto fail = [error](const std::string& why) {
    if (error) *error = why;
    return false;
  };
  if (!fit.IsValid(error)) return false;
  if (!(level > 0 && level < 1)) return fail("level must lie in (0, 1)");
  if (min_distinct_tokens < 3) return fail("min_distinct_tokens must be at least 3 (one out, two to fit)");
  if (!(target_median_error_points >= 0)) return fail("target median error must be >= 0");
  if (!(target_coverage >= 0 && target_coverage <= 1)) return fail("target coverage must lie in [0, 1]");
  return true;
}

double HeldOutPoint::AbsErrorPoints() const { return 100.0 * std::abs(predicted - measured); }

std::string_view ToString(LeaveOneBudgetOutSummary::Status status) {
  switch (status) {
    case LeaveOneBudgetOutSummary::Status::kMeetsTargets: return "meets targets";
    case LeaveOneBudgetOutSummary::Status::kMissesTargets: return "misses targets";
    case LeaveOneBudgetOutSummary::Status::kNoSweeps: return "no sweeps";
  }
  return "unknown";
}

SweepValidation ValidateSweep(const CurveKey& key, const SequentialData& data, const HoldoutOptions& options) {
  SweepValidation sweep;
  sweep.key = key;
  sweep.axis = data.axis;
  std::set<double> distinct;
  for (const SequentialPoint& p : data.points) {
    if (p.n > 0 && p.tokens > 0) distinct.insert(p.tokens);
  }
  sweep.distinct_tokens = static_cast<long>(distinct.size());
  for (const double held : distinct) {
    std::vector<SequentialPoint> train, test;
    for (const SequentialPoint& p : data.points) {
      if (!(p.n > 0 && p.tokens > 0)) continue;
      (p.tokens == held ? test : train).push_back(p);
    }
    double x_min = train.front().tokens, x_max = x_min;
    for (const SequentialPoint& p : train) {
      x_min = std::min(x_min, p.tokens);
      x_max = std::max(x_max, p.tokens);
    }
    const SequentialCurve refit = FitSequential(train, data.axis, options.fit);
    for (const SequentialPoint& p : test) sweep.points.push_back(PredictHeldOut(refit, p, x_min, x_max, options.level));
  }
  Aggregate(sweep.points, &sweep.predicted, &sweep.median_error_points, &sweep.coverage);
  return sweep;
}

LeaveOneBudgetOutSummary LeaveOneBudgetOut(const std::vector<FitJob>& jobs, const HoldoutOptions& options) {
  std::string error;
  if (!options.IsValid(&error)) throw UsageError("leave-one-budget-out options: " + error);
  LeaveOneBudgetOutSummary summary;
  summary.level = options.level;
  summary.target_median_error_points = options.target_median_error_points;
  summary.target_coverage = options.target_coverage;
  std::vector<HeldOutPoint> all;
  for (const FitJob& job : jobs) {
    if (job.kind != FitKind::kSequential) continue;
    const SequentialData data = fitting::SequentialPointsFromRuns(job.runs);
    std::set<double> distinct;
    for (const SequentialPoint& p : data.points) {
      if (p.n > 0 && p.tokens > 0) distinct.insert(p.tokens);
    }
    if (static_cast<int>(distinct.size()) < options.min_distinct_tokens) {
      ++summary.skipped_thin;
      continue;
    }
    summary.sweeps.push_back(ValidateSweep(job.key, data, options));
    all.insert(all.end(), summary.sweeps.back().points.begin(), summary.sweeps.back().points.end());
  }
  summary.held_out = static_cast<long>(all.size());
  Aggregate(all, &summary.predicted, &summary.median_error_points, &summary.coverage);
  if (summary.sweeps.empty() || summary.predicted == 0) {
    summary.status = LeaveOneBudgetOutSummary::Status::kNoSweeps;
  } else if (summary.median_error_points <= options.target_median_error_points &&
             summary.coverage >= options.target_coverage) {
    summary.status = LeaveOneBudgetOutSummary::Status::kMeetsTargets;
  } else {
    summary.status = LeaveOneBudgetOutSummary::Status::kMissesTargets;
  }
  return summary;
}

std::string LeaveOneBudgetOutSummary::BriefReport() const {
  return fmt::format(
      "leave-one-budget-out: {} sweep(s), {} point(s) held out, {} predicted; median |error| {} points (target <= {}), "
      "{:.0f}% predictive band coverage {} (target >= {}): {}",
      sweeps.size(), held_out, predicted, FormatFixed(median_error_points, 2), FormatFixed(target_median_error_points, 1),
      100 * level, Percent(coverage), Percent(target_coverage, 0), ToString(status));
}

std::string LeaveOneBudgetOutSummary::FullReport() const {
  TextTable table({{"curve"},
                   {"axis"},
                   {"distinct x", TextTable::Align::kRight},
                   {"held out", TextTable::Align::kRight},
                   {"predicted", TextTable::Align::kRight},
                   {"median |err| (pts)", TextTable::Align::kRight},
                   {"coverage", TextTable::Align::kRight}});
  for (const SweepValidation& s : sweeps) {
    table.AddRow({s.key.ToString(), std::string(ToString(s.axis)), std::to_string(s.distinct_tokens),
                  std::to_string(s.points.size()), std::to_string(s.predicted),
                  s.predicted > 0 ? FormatFixed(s.median_error_points, 2) : "n/a",
                  s.predicted > 0 ? Percent(s.coverage) : "n/a"});
  }
  std::string out = table.ToString();
  if (skipped_thin > 0) {
    out += fmt::format("{} sequential curve(s) with fewer distinct token values were not checked\n", skipped_thin);
  }
  return out + BriefReport() + "\n";
}

}  // namespace thinkplan::pipeline
