// A second family for the difficulty distribution beside the Beta (issue 15, item 6): the logit-normal,
// logit p ~ Normal(mu, sigma^2), and the choice between the two per slice by held-out likelihood. The Beta's pass@k
// tail is a power law in k (1 - pass@k ~ k^-a); the logit-normal's falls more slowly at large k when sigma is large,
// so the two part ways exactly where the Beta was seen to drift (pass@16 forecast 0.754 against 0.716 measured).
// Formulas: docs/formulas.md section 4.
#pragma once

#include <string>
#include <vector>

#include "core/curves.h"
#include "core/difficulty.h"
#include "fitting/beta_fit.h"
#include "fitting/fit_options.h"

namespace thinkplan::fitting {


// The logit-normal family itself (LogitNormalDifficulty) is a plain value of core/difficulty.h.
// Marginal maximum likelihood on per-problem (samples, correct): ln L = sum_i ln C(n_i, c_i) +
// ln E[p^c_i (1 - p)^(n_i - c_i)], the expectation by the same rule (thinned where the integrand is wide); maximised
// over (mu, ln sigma) by damped Newton with the analytic gradient and Hessian from three starts at the pooled logit;
// covariance the inverse of the observed information (the same analytic Hessian).
// Statuses: kInsufficientData as for the Beta (no spread identifiable); kFallback when sigma ends at its bound
// [0.01, 20]; kUnidentified when the observed information is not positive definite.
// `start`: one start at its (mu, sigma) in place of the three (how the held-out folds are refitted).
LogitNormalDifficulty FitLogitNormal(const std::vector<SampleCount>& problems, const Options& options,
                                     const LogitNormalDifficulty* start = nullptr);

// Log-likelihood of per-problem counts under each family (the binomial coefficient included, so the two compare).
double LogLikelihood(const BetaDifficulty& beta, const std::vector<SampleCount>& problems);
double LogLikelihood(const LogitNormalDifficulty& family, const std::vector<SampleCount>& problems);

// Which family a slice's per-problem data support, by two-fold held-out likelihood over problems (fit on the even
// problems, score the odd ones, and the other way round; summed).
struct DifficultyFamilyChoice {
  using Family = DifficultyFamily;
  Family chosen = Family::kBeta;
  long problems = 0;
  double heldout_log_likelihood_beta = 0.0;
  double heldout_log_likelihood_logit_normal = 0.0;
  BetaDifficulty beta;                 // fitted on every problem
  LogitNormalDifficulty logit_normal;  // fitted on every problem
  bool decided = false;  // false when either family could not be fitted on a fold: the Beta is kept, the reason says why
  std::string reason;

  std::string BriefReport() const;
};
DifficultyFamilyChoice ChooseDifficultyFamily(const std::vector<SampleCount>& problems, const Options& options);

}  // namespace thinkplan::fitting
