// Fits and estimates around parallel scaling (docs/design.md 3.3) beyond the Beta itself: the wrong-answer concentration
// rho from a majority-vote point, Brown et al.'s exponentiated power law of coverage, the empirical unbiased pass@k
// with its interval, and expectations over a Beta by Gauss-Jacobi quadrature.
#pragma once

#include <functional>
#include <vector>

#include "core/curves.h"
#include "core/difficulty.h"
#include "fitting/beta_fit.h"
#include "fitting/fit_options.h"

namespace thinkplan::fitting {

struct RhoFit {
  double rho = 0.0;
  Interval interval;  // from the binomial sampling of the cons@k point only (the Beta is taken as known)
  FitQuality quality;
};

// The rho for which cons@k under the difficulty distribution (the Beta or the logit-normal the slice chose:
// E[sum_j ConsensusCredit(k, rho)[j] P(j of k right | p)]) equals cons_correct / n_problems. cons@k falls as rho
// grows, so the root is found by bisection on [0, 1]; a target beyond what rho in [0, 1] can give is clamped and
// reported as kFallback.
RhoFit FitRho(const DifficultyDistribution& difficulty, long k, double n_problems, double cons_correct, const Options& options,
              Summary* summary = nullptr);

// pass@k = exp(a k^b) by binomial maximum likelihood on aggregate coverage points (a < 0, b < 0).
CoverageLaw FitCoverageLaw(const std::vector<PassAtKPoint>& points, const Options& options,
                           Summary* summary = nullptr);

// Mean over problems of the unbiased pass@k estimate 1 - C(n - c, k) / C(n, k) (Chen et al. 2021), with a normal
// interval from the spread across problems. Problems with fewer than k samples are skipped; `correct` is rounded.
struct EmpiricalPassAtK {
  double value = 0.0;
  Interval interval;
  long problems = 0;
};
EmpiricalPassAtK EmpiricalPassAt(const std::vector<SampleCount>& problems, long k, double level = 0.95);

// E[f(p)] for p ~ Beta(beta.a, beta.b) with an n-node Gauss-Jacobi rule: exact for polynomials of degree 2n - 1,
// accurate for smooth f even when the Beta is U-shaped.
double ExpectOverBeta(const BetaDifficulty& beta, const std::function<double(double)>& f, int nodes = 64);

}  // namespace thinkplan::fitting
