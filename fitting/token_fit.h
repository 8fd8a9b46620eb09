// Tokens actually used under a budget (docs/design.md 3.2): thinking length L ~ LogNormal(mu, sigma), used = min(L, b).
// Two fits: from mean tokens at several budgets (aggregate runs) and from per-problem token counts (censored MLE).
#pragma once

#include <limits>
#include <vector>

#include "core/curves.h"
#include "core/run.h"
#include "fitting/fit_options.h"

namespace thinkplan::fitting {

constexpr double kUncapped = std::numeric_limits<double>::infinity();

// Mean tokens used at one budget (kUncapped when none). `weight` is how much the point counts (problems behind it).
struct TokenMeanPoint {
  double budget = kUncapped;
  double mean_tokens = 0.0;
  double weight = 1.0;
};

// One problem's tokens; censored (the true length is only known to be >= budget) when tokens >= budget.
struct TokenCount {
  double tokens = 0.0;
  double budget = kUncapped;
};

// Runs with mean_output_tokens as points: budget from budget_tokens (uncapped when empty), weight n_problems.
std::vector<TokenMeanPoint> TokenMeansFromRuns(const std::vector<Run>& runs);
// Per-problem output_tokens under one budget (kUncapped when the run had none).
std::vector<TokenCount> TokenCountsFromProblems(const std::vector<ProblemResult>& problems, double budget);

// Weighted least squares on log means: sum_i w_i (ln E[min(L, b_i)] - ln m_i)^2. A mean is an aggregate whose
// sampling variance is not in the data, so this is a moment fit, not a likelihood; intervals use the residual
// variance and need at least three points. With fewer than two distinct budgets sigma is not identified: it is
// fixed at Options::fallback_token_sigma, mu is solved from the mean, and the status is kFallback.
TokenModel FitTokensFromMeans(const std::vector<TokenMeanPoint>& points, const Options& options,
                              Summary* summary = nullptr);

// Maximum likelihood with right-censoring at the budget; covariance from the observed information.
// Counts <= 0 are dropped (a LogNormal length is positive); fewer than two uncensored counts: kInsufficientData.
TokenModel FitTokensFromCounts(const std::vector<TokenCount>& counts, const Options& options,
                               Summary* summary = nullptr);

}  // namespace thinkplan::fitting
