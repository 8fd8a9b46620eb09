// Are the fitted sequential curves right on data they did not see? Leave-one-budget-out: every sequential curve
// with at least three distinct token values is refitted without one of them, and the refit predicts the held-out
// accuracy with the predictive band `thinkplan predict` gives for a benchmark of that run's n problems.
// It lives with the stages because it joins two: the fit (fitting/) and the band `predict` gives (predict_stage.h).
// Figures on the shipped data: docs/curves.md.
#pragma once

#include <string>
#include <vector>

#include "core/curve_set.h"
#include "core/statistics.h"
#include "fitting/fit_jobs.h"
#include "fitting/fit_options.h"
#include "fitting/sequential_fit.h"

namespace thinkplan::pipeline {

struct HoldoutOptions {
  // How every refit is made: the options `thinkplan fit` uses. Default: Options{}.
  fitting::Options fit;
  // Level of the predictive band. Default 0.95, as every interval the fits report.
  double level = 0.95;
  // A curve is checked when it has at least this many distinct token values (one held out, at least two left to
  // fit). Default 3, as issue 15 asks; at least 3.
  int min_distinct_tokens = 3;
  // The targets the summary is judged against. Defaults: median absolute error at most 4 points, coverage of the
  // predictive band at least 90%.
  double target_median_error_points = 4.0;
  double target_coverage = 0.90;

  bool IsValid(std::string* error) const;
};

// One held-out point: what was measured, and what the curve fitted without its token value predicted.
struct HeldOutPoint {
  double tokens = 0;     // the held-out x (tokens used or budget, the curve's axis)
  long problems = 0;     // n of the run: the predictive band is for a benchmark of this size
  double measured = 0;   // correct / n
  FitStatus refit_status = FitStatus::kInsufficientData;
  std::string refit_form;       // sigmoid | log-linear
  bool extrapolated = false;    // the held-out x lies outside the range the refit saw
  double predicted = 0;         // the refit's expected accuracy at `tokens` (0 when the refit is unusable)
  Interval mean_band;           // band of that mean
  Interval predictive_band;     // band of the share right out of `problems`
  bool covered = false;

  bool predicted_usable() const { return refit_status == FitStatus::kOk || refit_status == FitStatus::kFallback; }
  double AbsErrorPoints() const;  // 100 |predicted - measured|
};

// One curve's check: every distinct token value held out in turn.
struct SweepValidation {
  CurveKey key;
  TokenAxis axis = TokenAxis::kTokensUsed;
  long distinct_tokens = 0;
  std::vector<HeldOutPoint> points;
  long predicted = 0;                  // points whose refit is usable
  double median_error_points = 0;      // over the predicted points
  double coverage = 0;                 // share of predicted points inside their predictive band
};

struct LeaveOneBudgetOutSummary {
  enum class Status {
    kMeetsTargets,   // median error and coverage both meet their targets
    kMissesTargets,  // at least one does not: the figures say which
    kNoSweeps,       // no curve has enough distinct token values
  };
  Status status = Status::kNoSweeps;
  std::vector<SweepValidation> sweeps;
  long held_out = 0;    // points held out over every sweep
  long predicted = 0;   // of them, with a usable refit
  double median_error_points = 0;
  double coverage = 0;
  double level = 0.95;
  double target_median_error_points = 4.0;
  double target_coverage = 0.90;
  long skipped_thin = 0;  // sequential curves with fewer distinct token values than needed

  // One line: sweeps, points, median error and coverage against the targets.
  std::string BriefReport() const;
  // A table of every sweep (key, points, median error, coverage), then the brief line.
  std::string FullReport() const;
};
std::string_view ToString(LeaveOneBudgetOutSummary::Status status);

// Holds out each distinct token value of one curve's points in turn.
SweepValidation ValidateSweep(const CurveKey& key, const fitting::SequentialData& data, const HoldoutOptions& options);

// Every sequential job among `jobs` (others are ignored) with enough distinct token values, checked; the overall
// median and coverage pool the held-out points of every sweep.
LeaveOneBudgetOutSummary LeaveOneBudgetOut(const std::vector<fitting::FitJob>& jobs, const HoldoutOptions& options = {});

}  // namespace thinkplan::pipeline
