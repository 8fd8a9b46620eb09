#include "core/special_functions.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/erf.hpp>
#include <boost/math/special_functions/gamma.hpp>

namespace thinkplan {

double NormalPdf(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi); }

double NormalCdf(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }

double NormalQuantile(double p) {
  if (!(p > 0.0)) return p == 0.0 ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  if (!(p < 1.0)) return p == 1.0 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  return -std::numbers::sqrt2 * boost::math::erfc_inv(2.0 * p);
}

double TwoSidedZ(double level) { return NormalQuantile(0.5 + 0.5 * level); }

double LogGamma(double x) { return boost::math::lgamma(x); }

double LogBeta(double a, double b) { return LogGamma(a) + LogGamma(b) - LogGamma(a + b); }

double LogChoose(double n, double k) {
  if (k <= 0.0 || k >= n) return 0.0;
  return LogGamma(n + 1.0) - LogGamma(k + 1.0) - LogGamma(n - k + 1.0);
}

double BetaCdf(double x, double a, double b) {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  return boost::math::ibeta(a, b, x);
}

double Sigmoid(double x) {
  if (x >= 0.0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}

double Logit(double p) { return std::log(p) - std::log1p(-p); }

std::vector<double> BinomialPmf(long k, double p) {
  std::vector<double> pmf(static_cast<size_t>(k) + 1, 0.0);
  if (p <= 0.0) {
    pmf.front() = 1.0;
    return pmf;
  }
  if (p >= 1.0) {
    pmf.back() = 1.0;
    return pmf;
  }
  const double lp = std::log(p), lq = std::log1p(-p);
  for (long j = 0; j <= k; ++j) pmf[j] = std::exp(LogChoose(k, j) + j * lp + (k - j) * lq);
  return pmf;
}

std::vector<double> BetaBinomialPmf(long k, double a, double b) {
  std::vector<double> pmf(static_cast<size_t>(k) + 1, 0.0);
  const double norm = LogBeta(a, b);
  for (long j = 0; j <= k; ++j) pmf[j] = std::exp(LogChoose(k, j) + LogBeta(j + a, k - j + b) - norm);
  return pmf;
}

double BinomialProbability(long x, long m, double p) {
  if (x < 0 || x > m) return 0.0;
  if (p <= 0.0) return x == 0 ? 1.0 : 0.0;
  if (p >= 1.0) return x == m ? 1.0 : 0.0;
  return std::exp(LogChoose(m, x) + x * std::log(p) + (m - x) * std::log1p(-p));
}

double BinomialCdf(long x, long m, double p) {
  if (x < 0) return 0.0;
  if (x >= m) return 1.0;
  // P(X <= x) = I_{1-p}(m - x, x + 1), the regularized incomplete beta function.
  return BetaCdf(1.0 - p, static_cast<double>(m - x), static_cast<double>(x + 1));
}

}  // namespace thinkplan
