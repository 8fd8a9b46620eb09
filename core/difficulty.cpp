#include "core/difficulty.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/special_functions.h"

namespace thinkplan {
namespace {

template <typename F>
double ExpectNormal(F f) {
  const NormalRule& rule = StandardNormalRule();
  double sum = 0;
  for (size_t i = 0; i < rule.nodes.size(); ++i) sum += rule.weights[i] * f(rule.nodes[i]);
  return sum;
}

// sum_j credit[j] P(j of k right) for one p = sigmoid(x). The binomial pmf is run from its larger end (q^k when
// p <= 1/2, p^k otherwise), so its start cannot underflow; q = sigmoid(-x) exactly, not 1 - p.
double BinomialExpectationAt(double x, const std::vector<double>& credit) {
  const long k = static_cast<long>(credit.size()) - 1;
  const double kk = static_cast<double>(k);
  double total = 0;
  if (x <= 0) {
    const double ratio = std::exp(x);  // p / q
    double pmf = std::exp(kk * LogSigmoid(-x));
    for (long j = 0; j <= k; ++j) {
      total += credit[j] * pmf;
      pmf *= (kk - static_cast<double>(j)) / static_cast<double>(j + 1) * ratio;
    }
  } else {
    const double ratio = std::exp(-x);  // q / p
    double pmf = std::exp(kk * LogSigmoid(x));
    for (long j = k; j >= 0; --j) {
      total += credit[j] * pmf;
      pmf *= static_cast<double>(j) / (kk - static_cast<double>(j) + 1.0) * ratio;
    }
  }
  return total;
}

// Expected credit under Beta(a, b): sum_j credit[j] P(j of k right), the beta-binomial pmf in closed form.
// The credits do not depend on p, so one vector serves every Beta: far cheaper than quadrature.
double BetaBinomialExpectation(const std::vector<double>& credit, double a, double b) {
  const long k = static_cast<long>(credit.size()) - 1;
  const double kk = static_cast<double>(k);
  // pmf(0) = B(a, k + b) / B(a, b); pmf(j + 1) / pmf(j) = (k - j) / (j + 1) * (j + a) / (k - j - 1 + b).
  double pmf = std::exp(std::lgamma(kk + b) + std::lgamma(a + b) - std::lgamma(b) - std::lgamma(kk + a + b));
  double total = 0;
  for (long j = 0; j <= k; ++j) {
    total += credit[j] * pmf;
    const double jj = static_cast<double>(j);
    if (j < k) pmf *= (kk - jj) / (jj + 1) * (jj + a) / (kk - jj - 1 + b);
  }
  return total;
}

// The logit-normal's mu at which its mean is `mean`, sigma kept: Newton on mu (dE[p]/dmu = E[p (1 - p)]) inside a
// bracket that bisection keeps, from the probit approximation E[p] ~ sigmoid(mu / sqrt(1 + pi sigma^2 / 8)).
double MuForMean(double sigma, double mean) {
  const double target = Logit(mean);
  double lo = -60.0 - 10.0 * sigma, hi = 60.0 + 10.0 * sigma;
  double mu = std::clamp(target * std::sqrt(1.0 + 3.14159265358979 * sigma * sigma / 8.0), lo, hi);
  for (int i = 0; i < 100; ++i) {
    double value = 0, slope = 0;
    const NormalRule& rule = StandardNormalRule();
    for (size_t j = 0; j < rule.nodes.size(); ++j) {
      const double p = Sigmoid(mu + sigma * rule.nodes[j]);
      value += rule.weights[j] * p;
      slope += rule.weights[j] * p * (1.0 - p);
    }
    const double error = value - mean;
    if (std::abs(error) <= 1e-15 * std::max(mean, 1e-300) || hi - lo < 1e-14) break;
    (error > 0 ? hi : lo) = mu;
    const double step = slope > 0 ? mu - error / slope : 0.5 * (lo + hi);
    mu = step > lo && step < hi ? step : 0.5 * (lo + hi);
  }
  return mu;
}

Interval LogitBand(double value, double sd, double level) {
  constexpr double kEdge = 1e-12;
  if (!(value > kEdge && value < 1.0 - kEdge) || !(sd > 0)) return {value, value};
  const double half = TwoSidedZ(level) * sd / (value * (1.0 - value));
  return {Sigmoid(Logit(value) - half), Sigmoid(Logit(value) + half)};
}

}  // namespace

const NormalRule& StandardNormalRule() {
  static const NormalRule rule = [] {
    NormalRule r;
    constexpr int kHalf = 450;
    constexpr double kStep = 0.02;
    double total = 0;
    for (int i = -kHalf; i <= kHalf; ++i) {
      r.nodes.push_back(i * kStep);
      r.weights.push_back(NormalPdf(i * kStep));
      total += r.weights.back();
    }
    for (double& w : r.weights) w /= total;
    return r;
  }();
  return rule;
}

double LogSigmoid(double x) { return x >= 0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x)); }

double LogitNormalDifficulty::Mean() const {
  return ExpectNormal([&](double z) { return Sigmoid(mu + sigma * z); });
}

double LogitNormalDifficulty::PassAtK(long k) const {
  if (k <= 0) return 0.0;
  return 1.0 - ExpectNormal([&](double z) { return std::exp(static_cast<double>(k) * LogSigmoid(-(mu + sigma * z))); });
}

double LogitNormalDifficulty::Expectation(const std::vector<double>& credit) const {
  if (credit.empty()) return 0.0;
  return ExpectNormal([&](double z) { return BinomialExpectationAt(mu + sigma * z, credit); });
}

Interval LogitNormalDifficulty::PassAtKBand(long k, double level) const {
  const double value = PassAtK(k);
  if (covariance.size() != 4) return {value, value};
  const double h0 = 1e-6 * std::max(1.0, std::abs(mu)), h1 = 1e-6 * std::max(1.0, sigma);
  const auto at = [k](double m, double s) { return LogitNormalDifficulty{m, s, {}, {}}.PassAtK(k); };
  const std::vector<double> gradient = {(at(mu + h0, sigma) - at(mu - h0, sigma)) / (2 * h0),
                                        (at(mu, sigma + h1) - at(mu, sigma - h1)) / (2 * h1)};
  return LogitBand(value, std::sqrt(DeltaMethodVariance(gradient, covariance)), level);
}

std::string_view ToString(DifficultyFamily family) {
  return family == DifficultyFamily::kBeta ? "beta" : "logit-normal";
}

DifficultyDistribution::DifficultyDistribution(const BetaDifficulty& b) : family(DifficultyFamily::kBeta), beta(b) {}

DifficultyDistribution::DifficultyDistribution(const LogitNormalDifficulty& ln)
    : family(DifficultyFamily::kLogitNormal), logit_normal(ln) {}

const FitQuality& DifficultyDistribution::quality() const {
  return family == DifficultyFamily::kBeta ? beta.quality : logit_normal.quality;
}

double DifficultyDistribution::Mean() const {
  return family == DifficultyFamily::kBeta ? beta.Mean() : logit_normal.Mean();
}

double DifficultyDistribution::PassAtK(long k) const {
  return family == DifficultyFamily::kBeta ? beta.PassAtK(k) : logit_normal.PassAtK(k);
}

double DifficultyDistribution::Expectation(const std::vector<double>& credit) const {
  if (family == DifficultyFamily::kLogitNormal) return logit_normal.Expectation(credit);
  return credit.empty() ? 0.0 : BetaBinomialExpectation(credit, beta.a, beta.b);
}

Interval DifficultyDistribution::PassAtKBand(long k, double level) const {
  return family == DifficultyFamily::kBeta ? beta.PassAtKBand(k, level) : logit_normal.PassAtKBand(k, level);
}

DifficultyDistribution DifficultyDistribution::WithMean(double mean) const {
  const double m = std::clamp(mean, 1e-9, 1 - 1e-9);
  DifficultyDistribution out = *this;
  if (family == DifficultyFamily::kBeta) {
    const double concentration = beta.a + beta.b;
    out.beta.a = m * concentration;
    out.beta.b = (1 - m) * concentration;
    out.beta.covariance.clear();
  } else {
    out.logit_normal.mu = MuForMean(logit_normal.sigma, m);
    out.logit_normal.covariance.clear();
  }
  return out;
}

std::string DifficultyDistribution::Describe() const {
  if (family == DifficultyFamily::kBeta) return fmt::format("beta a={:.4g} b={:.4g}", beta.a, beta.b);
  return fmt::format("logit-normal mu={:.4g} sigma={:.4g}", logit_normal.mu, logit_normal.sigma);
}

}  // namespace thinkplan
