// Is the difficulty distribution right on samples it did not see? Half-sample pass@k (issue 15): each family fitted
// on half the samples of each problem forecasts pass@k on all of them. Figures on the shipped data: docs/curves.md.
#pragma once

#include <string>
#include <vector>

#include "fitting/difficulty_family.h"
#include "fitting/fit_options.h"
#include "fitting/parallel_scaling.h"

namespace thinkplan::fitting {

// Half-sample pass@k: the difficulty distribution fitted on half the samples of each problem forecasts pass@k on
// all of them, and the forecast is checked against the unbiased estimator (Chen et al. 2021) on every sample, with
// the normal interval from the spread of the per-problem estimates across problems (EmpiricalPassAt: the variance
// form, not a bootstrap). The halves are drawn without replacement (a hypergeometric count of the right samples
// among floor(n / 2)), seeded, so a check is reproducible.
struct HalfSampleOptions {
  Options fit;                 // default Options{}
  double level = 0.95;         // of the estimator's interval
  unsigned seed = 20261207;    // of the draw of the halves
  bool IsValid(std::string* error) const;
};

struct HalfSampleForecast {
  long k = 1;
  double beta = 0;          // the Beta's pass@k, fitted on the halves
  double logit_normal = 0;  // the logit-normal's pass@k, fitted on the halves
  EmpiricalPassAtK measured;  // the unbiased estimator on every sample, with its interval
  bool beta_inside = false;
  bool logit_normal_inside = false;
  double chosen = 0;  // the pass@k of the family held-out likelihood chose on the halves (as `fit` would store it)
  bool chosen_inside = false;
};

struct HalfSampleCheck {
  long problems = 0;      // problems with at least 2 samples (the others cannot be halved)
  long max_k = 0;         // the fewest samples of any such problem: the largest k every problem estimates
  BetaDifficulty beta;    // fitted on the halves
  LogitNormalDifficulty logit_normal;
  std::vector<HalfSampleForecast> forecasts;  // k = 1 .. max_k; empty when either fit is unusable
  DifficultyFamily chosen = DifficultyFamily::kBeta;  // chosen on the halves by ChooseDifficultyFamily
  long beta_inside = 0, logit_normal_inside = 0, chosen_inside = 0;
  std::string BriefReport() const;
};

// Halves each problem's samples: floor(n / 2) samples drawn without replacement from n with c right.
std::vector<SampleCount> HalfSamples(const std::vector<SampleCount>& problems, unsigned seed);
HalfSampleCheck HalfSamplePassAtK(const std::vector<SampleCount>& problems, const HalfSampleOptions& options = {});

}  // namespace thinkplan::fitting
