// Binomial maximum likelihood for the curves whose data are counts (y successes of n trials at a covariate):
// the sequential sigmoid and log-linear forms, pass@k of a Beta from aggregate points, Brown et al.'s coverage law
// and the training surface. One Ceres problem whose residuals are signed square roots of the binomial deviance,
// so that Ceres's 0.5 sum r^2 is minus the log-likelihood plus a constant: its minimiser is exactly the MLE.
// Ceres stays inside binomial_mle.cpp.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/curves.h"

namespace thinkplan::fitting {

enum class BinomialModel {
  // internal (lo, gap, ln_k, ln_b50); natural (lo, hi, k, ln_b50); x1 = ln b. hi = lo + (1 - lo) gap with
  // lo in [0, 1) and gap in [0, 1] as box bounds, so 0 <= lo <= hi <= 1 and k > 0 hold. Box bounds rather than
  // logits: an MLE on the edge (lo = 0 for hard tasks, hi = 1 for easy ones) is reached exactly instead of
  // approached along a logit whose gradient vanishes.
  kSigmoid,
  // internal = natural (alpha, beta); p = alpha + beta x1 clipped to [eps, 1 - eps]; x1 = ln b.
  kLogLinear,
  // internal (ln a, ln b); natural (a, b); p = pass@k of Beta(a, b) with k = x1.
  kBetaPassAtK,
  // internal (ln(-a), ln(-b)); natural (a, b), both negative; p = exp(a k^b) with k = x1.
  kCoverageLaw,
  // internal = natural (t0, t1, t2); p = sigmoid(t0 + t1 x1 + t2 x2).
  kLogitLinear,
};

int ParameterCount(BinomialModel model);

struct BinomialObservation {
  double x1 = 0.0;
  double x2 = 0.0;
  double n = 0.0;  // trials
  double y = 0.0;  // successes, 0 <= y <= n; fractional values use the continuous extension of the likelihood
};

struct MleOptions {
  int max_iterations = 200;
  double function_tolerance = 1e-12;
  double gradient_tolerance = 1e-12;
  double parameter_tolerance = 1e-10;
  // Bounds on the internal parameters (empty: unbounded); keep a saturating optimiser from running to infinity.
  std::vector<double> lower;
  std::vector<double> upper;
};

struct MleResult {
  std::vector<double> internal;     // the optimum in the internal parametrisation
  std::vector<double> natural;      // the same point in natural parameters
  // Covariance of the natural parameters: the inverse of the expected (Fisher) information
  // sum_i n_i grad p_i grad p_i' / (p_i (1 - p_i)), taken with respect to the natural parameters so that a
  // parameter sitting at the edge of its internal range (lo -> 0) keeps a finite, honest variance.
  std::vector<double> covariance;   // empty when the information matrix is singular
  double log_likelihood = 0.0;      // full binomial log-likelihood including ln C(n, y)
  double deviance = 0.0;            // 2 (saturated - fitted)
  int iterations = 0;
  bool converged = false;
  bool at_bound = false;            // some internal parameter ended within 1e-6 of a bound
  std::string message;              // the optimiser's own account when it did not converge
  std::vector<std::string> solver_log;  // what Ceres logged during the fit (captured, never printed)
  BinomialModel model = BinomialModel::kLogLinear;
};

MleResult FitBinomialMle(BinomialModel model, const std::vector<BinomialObservation>& data,
                         const std::vector<double>& internal_start, const MleOptions& options);

// Model probability at natural parameters (no Ceres): for starts, residual checks and tests.
double NaturalProbability(BinomialModel model, const std::vector<double>& natural, const BinomialObservation& obs);
std::vector<double> ToInternal(BinomialModel model, const std::vector<double>& natural);
std::vector<double> ToNatural(BinomialModel model, const std::vector<double>& internal);

// The binomial deviance of one observation, 2 [y ln(y / np) + (n - y) ln((n - y) / (n (1 - p)))] with 0 ln 0 = 0.
double BinomialDeviance(double n, double y, double p);
double BinomialLogLikelihood(double n, double y, double p);

// Names of the natural parameters, in order (for messages).
std::vector<std::string> ParameterNames(BinomialModel model);

// A natural parameter whose standard error exceeds this multiple of max(1, |value|) is not identified by the data:
// its likelihood is flat (separable data, a curve that saturates everywhere). On the shipped data identified fits
// stay below 130 and unidentified ones are above 10^4 (docs/formulas.md section 1).
constexpr double kMaxRelativeStandardError = 1e3;

// The quality record of a finished MLE: likelihood, deviance, AIC (2 per natural parameter), iterations and the
// status. A fit that did not converge says so with the optimiser's message; when `at_bound_reason` is given, a
// converged fit with a parameter at its bound is a fallback with that reason (what the bound means for the model).
// Otherwise a converged fit whose information matrix is singular, or with a parameter whose standard error passes
// kMaxRelativeStandardError, is `unidentified` with the reason.
FitQuality QualityOf(const MleResult& mle, long n_points, std::optional<std::string> at_bound_reason = std::nullopt);

}  // namespace thinkplan::fitting
