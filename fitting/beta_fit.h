// The difficulty distribution within a class, p ~ Beta(a, b) (docs/design.md 3.3): by beta-binomial maximum likelihood
// on per-problem (samples, correct), or by the binomial likelihood of aggregate pass@k points when that is all
// there is.
#pragma once

#include <vector>

#include "core/curves.h"
#include "core/run.h"
#include "fitting/fit_options.h"

namespace thinkplan::fitting {

// One problem: `correct` of `samples` right. A fractional `correct` (an averaged rate times samples) enters the
// beta-binomial likelihood through its continuous extension, B(c + a, n - c + b) / B(a, b) with real c.
struct SampleCount {
  double samples = 0.0;
  double correct = 0.0;
};
std::vector<SampleCount> SampleCountsFromProblems(const std::vector<ProblemResult>& problems);

// Problems with the same (samples, correct) pooled, with how many there are (problems with no sample left out):
// a likelihood over problems needs one term per distinct pair, and shipped slices have hundreds of problems but
// a dozen pairs.
struct SampleCountGroup {
  double samples = 0.0;
  double correct = 0.0;
  double problems = 0.0;
};
std::vector<SampleCountGroup> GroupSampleCounts(const std::vector<SampleCount>& problems);

// Newton's method on (ln a, ln b) with the exact digamma / trigamma derivatives; covariance from the observed
// information in (a, b). Statuses: kInsufficientData when every sample of every problem was right (or every one
// wrong) or when no problem has two samples (then only the mean a / (a + b) is identified); kFallback when a or b
// ends at Options::beta_min / beta_max (e.g. no spread of difficulty detected).
BetaDifficulty FitBetaBinomial(const std::vector<SampleCount>& problems, const Options& options,
                               Summary* summary = nullptr);

// Aggregate coverage points: `n_correct` of `n_problems` solved within k samples (pass@k; k = 1 is pass@1).
struct PassAtKPoint {
  long k = 1;
  double n_problems = 0.0;
  double n_correct = 0.0;
};
// Binomial likelihood of each point under pass@k of Beta(a, b); needs two distinct k. Points computed from the
// same problems are not independent, so the intervals are optimistic; the summary says so.
BetaDifficulty FitBetaFromPassAtK(const std::vector<PassAtKPoint>& points, const Options& options,
                                  Summary* summary = nullptr);

}  // namespace thinkplan::fitting
