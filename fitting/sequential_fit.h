// Sequential scaling (docs/design.md 3.1): accuracy against thinking tokens, fitted by binomial maximum likelihood.
// The sigmoid lo + (hi - lo) sigmoid(k (ln b - ln b50)) where the data can carry it, else (or where AIC prefers
// it) the log-linear alpha + beta ln b, with the status saying which and why.
#pragma once

#include <vector>

#include "core/curves.h"
#include "core/run.h"
#include "fitting/fit_options.h"

namespace thinkplan::fitting {

// One measured setting: `correct` of `n` right at `tokens` (tokens used or budget). Fractional `correct` (pass@1
// averaged over several samples) enters the binomial likelihood through its continuous extension.
struct SequentialPoint {
  double tokens = 0.0;
  double n = 0.0;
  double correct = 0.0;
};

struct SequentialData {
  std::vector<SequentialPoint> points;
  TokenAxis axis = TokenAxis::kTokensUsed;
  long dropped = 0;  // runs that had neither the chosen x nor a pass@1 aggregation
};

// The pass@1 runs of one (system, class[, difficulty]) as points. The x-axis is tokens used (mean output tokens)
// when every pass@1 run has it, else the budget; runs lacking the chosen x are dropped and counted.
// n = n_problems, correct = n_correct.
SequentialData SequentialPointsFromRuns(const std::vector<Run>& runs);

// Throws InputError for NaN / infinite values or correct outside [0, n]. Points with n <= 0 or tokens <= 0 are
// dropped (noted in the summary): a zero-token point has no place on a log axis.
SequentialCurve FitSequential(const std::vector<SequentialPoint>& points, TokenAxis axis, const Options& options,
                              Summary* summary = nullptr);
SequentialCurve FitSequential(const std::vector<Run>& runs, const Options& options, Summary* summary = nullptr);

// The sigmoid alone from one given start (lo, hi, k, b50), without the fallback logic: what the benchmark times
// against SciPy on the same objective from the same start.
SequentialCurve FitSigmoidFrom(const std::vector<SequentialPoint>& points, const std::vector<double>& start,
                               const Options& options);
// The start FitSequential uses first, from the data alone: (lo, hi, k, b50).
std::vector<double> SigmoidStart(const std::vector<SequentialPoint>& points);

}  // namespace thinkplan::fitting
