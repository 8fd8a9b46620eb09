// The difficulty distribution of a slice (issue 15, item 6): per-problem success probability p as the Beta or as
// the logit-normal, whichever the fit chose by held-out likelihood (fitting/difficulty_family.h). One value that
// predict, the planner's pass@k / cons@k / best-of figures and the Monte Carlo problem model all read, so that a
// slice fitted as logit-normal gives the same pass@k in each. Formulas: docs/formulas.md section 4.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/curves.h"
#include "core/statistics.h"

namespace thinkplan {

// Nodes and weights of E[f(Z)], Z ~ Normal(0, 1): the trapezoid rule on [-9, 9] in steps of 0.02 (901 nodes,
// weights normalised to 1). The integrands met here are analytic in z with their nearest poles (those of the
// sigmoid) at imaginary distance pi / sigma, so the rule's error is of order exp(-pi^2 / (sigma h)) (below 1e-10
// for sigma <= 20) and the mass beyond |z| = 9 is 2e-19. Gauss-Hermite with 64 nodes was tried first: for
// sigma = 3.5 and k = 64 its error is 2e-4, since (1 - p)^k is a steep step in z.
struct NormalRule {
  std::vector<double> nodes, weights;
};
const NormalRule& StandardNormalRule();

// ln(sigmoid(x)) without overflow; ln(1 - sigmoid(x)) is LogSigmoid(-x).
double LogSigmoid(double x);

// Per-problem success probability with logit p ~ Normal(mu, sigma^2).
struct LogitNormalDifficulty {
  double mu = 0.0;
  double sigma = 1.0;
  std::vector<double> covariance;  // of (mu, sigma), 2x2; empty when not estimable
  FitQuality quality;

  double Mean() const;
  // Coverage with a perfect verifier: 1 - E[(1 - p)^k].
  double PassAtK(long k) const;
  // E[sum_j credit[j] P(j of k right | p)], k = credit.size() - 1: cons@k and best-of-N with the per-count credits
  // of core/curves.h (ConsensusCredit, BestOfCredit).
  double Expectation(const std::vector<double>& credit) const;
  // Delta-method band of PassAtK(k) on the logit scale; zero width without a covariance.
  Interval PassAtKBand(long k, double level = 0.95) const;
};

enum class DifficultyFamily { kBeta, kLogitNormal };
std::string_view ToString(DifficultyFamily family);  // "beta", "logit-normal"

struct DifficultyDistribution {
  DifficultyFamily family = DifficultyFamily::kBeta;
  BetaDifficulty beta;                 // read when family is kBeta
  LogitNormalDifficulty logit_normal;  // read when family is kLogitNormal

  DifficultyDistribution() = default;
  // Implicit on purpose: a Beta or a logit-normal is a difficulty distribution wherever one is asked for.
  DifficultyDistribution(const BetaDifficulty& b);          // NOLINT(google-explicit-constructor)
  DifficultyDistribution(const LogitNormalDifficulty& ln);  // NOLINT(google-explicit-constructor)

  const FitQuality& quality() const;
  double Mean() const;
  double PassAtK(long k) const;
  double Expectation(const std::vector<double>& credit) const;
  Interval PassAtKBand(long k, double level = 0.95) const;
  // The same spread at another mean (clamped to [1e-9, 1 - 1e-9]): the Beta keeps a + b, the logit-normal keeps
  // sigma and moves mu. How a fitted shape is carried to another thinking budget.
  DifficultyDistribution WithMean(double mean) const;
  // "beta a=0.4 b=0.6" or "logit-normal mu=-1.2 sigma=2.5", with 4 significant digits.
  std::string Describe() const;
};

// Majority vote where no cons@k run has fitted rho: a stated prior, marked assumed wherever it is used (predict
// and the planner). Source: rho fitted to the shipped cons@64 points on AIME 2024 (OpenAI's o1 post; DeepSeek-R1's
// distill table; GPT-4o) whose key has a usable Beta: 0.13, 0.22, 0.28, 0.44 and 0.76 (ok) and two clamped at 0
// (fallback); `rho` is their median, the band their range
// (`rho_prior/matches_the_rho_fits_of_the_shipped_cons_at_k_points`). Fitted under the family each key chose, o1 and
// -Qwen-32B give 0.40 and 0.29 in place of 0.44 and 0.28: median and range unchanged. All from competition maths:
// an assumption elsewhere.
struct RhoPrior {
  double rho = 0.22;
  double lower = 0.0;
  double upper = 0.76;
};
inline constexpr RhoPrior kAssumedRho{};

}  // namespace thinkplan
