// Fitted curves as plain values: what the fitting stage produces and what the planner and simulator evaluate.
// No Ceres or Eigen here; formulas and their sources are in docs/formulas.md. Parameters come with their
// covariance (row-major, in the documented parameter order) so that every prediction can carry an interval.
#pragma once

#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "core/statistics.h"

namespace thinkplan {

// How a fit ended. Anything but kOk or kFallback means the curve must not be used for planning.
enum class FitStatus {
  kOk,
  kFallback,          // a simpler form or a documented default was used; `reason` says which and why
  kInsufficientData,  // the data cannot identify the curve; parameters are unset (zero), never NaN
  kNotConverged,      // the optimiser stopped without meeting its tolerances; parameters are its last iterate
  kUnidentified,      // the optimiser stopped but the data do not pin every parameter down (singular information,
                      // a covariance Ceres could not compute, a flat likelihood); parameters are its last iterate
};
std::string_view ToString(FitStatus status);


// What every fit reports besides its parameters.
struct FitQuality {
  FitStatus status = FitStatus::kInsufficientData;
  std::string reason;       // empty only when status is kOk
  long n_points = 0;        // observations used (points, problems or token counts)
  double log_likelihood = 0.0;
  double deviance = 0.0;    // 2 (saturated - fitted) log-likelihood; 0 where no saturated model applies
  double aic = 0.0;         // 2 n_params - 2 log_likelihood
  int iterations = 0;

  bool usable() const { return status == FitStatus::kOk || status == FitStatus::kFallback; }
};

// Variance of a scalar function of the parameters by the delta method: g' C g with C row-major.
double DeltaMethodVariance(const std::vector<double>& gradient, const std::vector<double>& covariance);

// ---------------------------------------------------------------------------------------------------------------
// Sequential scaling: accuracy against thinking tokens b (docs/design.md 3.1).
enum class SequentialForm {
  kSigmoid,    // params (lo, hi, k, ln_b50): lo + (hi - lo) sigmoid(k (ln b - ln_b50))
  kLogLinear,  // params (alpha, beta): alpha + beta ln b, clipped to [0, 1]
};
std::string_view ToString(SequentialForm form);

// Which x-axis the curve was fitted on: tokens actually used (mean output tokens) or the budget asked for.
enum class TokenAxis { kTokensUsed, kBudget };
std::string_view ToString(TokenAxis axis);

struct SequentialCurve {
  SequentialForm form = SequentialForm::kSigmoid;
  TokenAxis axis = TokenAxis::kTokensUsed;
  std::vector<double> params;
  std::vector<double> covariance;  // params.size()^2; empty when not estimable
  FitQuality quality;

  static SequentialCurve Sigmoid(double lo, double hi, double k, double b50);
  static SequentialCurve LogLinear(double alpha, double beta);

  double Evaluate(double tokens) const;
  // Pointwise confidence band of Evaluate(tokens) at `level`, by the delta method on the logit scale (so the band
  // stays inside (0, 1)); a zero-width band when the covariance is unknown.
  Interval Band(double tokens, double level = 0.95) const;
  // Slope in percentage points of accuracy per doubling of tokens, d acc / d log2(b) * 100, at `tokens`.
  // For the sigmoid this is 100 (hi - lo) k ln2 s (1 - s) with s the sigmoid at `tokens`: at b50 it is its
  // maximum, 100 (hi - lo) k ln2 / 4. For the log-linear form it is 100 beta ln2 everywhere.
  double PointsPerDoubling(double tokens) const;
  Interval PointsPerDoublingInterval(double tokens, double level = 0.95) const;
  // The midpoint budget of the sigmoid (exp(ln_b50)); NaN-free: 0 for the log-linear form.
  double b50() const;

 private:
  std::vector<double> EvaluateGradient(double tokens) const;
  std::vector<double> SlopeGradient(double tokens) const;
};

// ---------------------------------------------------------------------------------------------------------------
// Tokens actually used under a cap (docs/design.md 3.2): thinking length L ~ LogNormal(mu, sigma), used = min(L, b).
struct TokenModel {
  double mu = 0.0;
  double sigma = 1.0;
  std::vector<double> covariance;  // of (mu, sigma), 2x2; empty when not estimable
  FitQuality quality;

  // E[min(L, b)]; b = +inf (the default) gives the uncapped mean exp(mu + sigma^2 / 2); b <= 0 gives 0.
  double MeanUsed(double budget = std::numeric_limits<double>::infinity()) const;
  Interval MeanUsedBand(double budget, double level = 0.95) const;
  // q-quantile of min(L, b): min(exp(mu + sigma z_q), b).
  double Quantile(double q, double budget = std::numeric_limits<double>::infinity()) const;
};

// ---------------------------------------------------------------------------------------------------------------
// Parallel scaling (docs/design.md 3.3): per-problem success probability p ~ Beta(a, b) within a class.
struct BetaDifficulty {
  double a = 1.0;
  double b = 1.0;
  std::vector<double> covariance;  // of (a, b), 2x2; empty when not estimable
  FitQuality quality;

  double Mean() const { return a / (a + b); }
  // Coverage with a perfect verifier: 1 - B(a, b + k) / B(a, b).
  double PassAtK(long k) const;
  // Majority vote over k samples: right answer p, most common wrong answer rho (1 - p), the other wrong answers
  // all distinct, ties split evenly.
  double ConsAtK(long k, double rho) const;
  // The top-scored of n samples is kept; scores Normal(d', 1) when right and Normal(0, 1) when wrong.
  // d' = +inf gives PassAtK(n).
  double BestOfN(long n, double d_prime) const;
  // Mass above a threshold, P(p > t): the limit of ConsAtK as k grows is P(p > rho / (1 + rho)).
  double ProbabilityAbove(double t) const;
  // Delta-method intervals, computed on log(a), log(b) and mapped back (a, b > 0 keep their skew).
  Interval AInterval(double level = 0.95) const;
  Interval BInterval(double level = 0.95) const;
  Interval PassAtKBand(long k, double level = 0.95) const;
};

// Exponentiated power law of repeated-sampling coverage, pass@k = exp(a k^b) (Brown et al. 2024), a, b < 0.
struct CoverageLaw {
  double a = 0.0;
  double b = 0.0;
  std::vector<double> covariance;  // of (a, b), 2x2
  FitQuality quality;
  double Evaluate(double k) const;
};

// Per-problem building blocks of the parallel formulas; the Beta mixtures above are their expectations.
// Expected credit of the right answer in a k-sample majority vote given that R of the k samples are right
// (index R = 0..k). Independent of p: given R, each wrong sample is the top wrong answer with probability rho.
std::vector<double> ConsensusCredit(long k, double rho);
// P(the top-scored of n samples is right | j of them are right) for j = 0..n (index j).
std::vector<double> BestOfCredit(long n, double d_prime);
double ConsAtKGivenP(double p, long k, double rho);
double BestOfNGivenP(double p, long n, double d_prime);
// Chen et al. 2021: 1 - C(n - c, k) / C(n, k), the unbiased estimate of pass@k from c correct of n samples.
double UnbiasedPassAtK(long n, long c, long k);

// ---------------------------------------------------------------------------------------------------------------
// Training compute against test-time compute (docs/design.md 3.4): logit acc = t0 + t1 ln C_train + t2 ln x, where x
// is thinking tokens (sequential) or samples k (parallel).
enum class TestTimeAxis { kThinkingTokens, kSamples };
std::string_view ToString(TestTimeAxis axis);

struct TrainingSurface {
  double t0 = 0.0;
  double t1 = 0.0;
  double t2 = 0.0;
  TestTimeAxis axis = TestTimeAxis::kThinkingTokens;
  std::vector<double> covariance;  // of (t0, t1, t2), 3x3
  FitQuality quality;

  double Evaluate(double train_flops, double test_time) const;
  // How many times more test-time compute (tokens or samples) buys what 10x training compute buys:
  // 10^(t1 / t2). Defined only for t2 > 0; 0 otherwise.
  double ExchangeRate() const;
  // Delta-method interval on log10 of the rate (t1 / t2), exponentiated; {0, 0} when t2 <= 0.
  Interval ExchangeRateInterval(double level = 0.95) const;
};

}  // namespace thinkplan
