// Independent references for the fitting tests: brute-force integration and Monte Carlo written without the
// library's formulas, so that agreement means something.
#pragma once

#include <cmath>
#include <functional>
#include <random>

namespace thinkplan::testing {

// E[f(p)] for p ~ Beta(a, b) by composite Simpson after substitutions that remove the endpoint singularities:
// p = t^(1/a) on [0, 1/2] and 1 - p = t^(1/b) on [1/2, 1] make the integrand bounded for any a, b > 0.
inline double BetaIntegral(const std::function<double(double)>& f, double a, double b, int intervals = 20000) {
  const double log_norm = std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b);
  const double t_left = std::pow(0.5, a), t_right = std::pow(0.5, b);
  // On the left: p^(a-1) dp = dt / a, leaving (1-p)^(b-1).
  const auto left = [&](double t) {
    const double p = std::pow(t, 1.0 / a);
    return f(p) * std::pow(1.0 - p, b - 1.0) / a;
  };
  const auto right = [&](double t) {
    const double q = std::pow(t, 1.0 / b);
    return f(1.0 - q) * std::pow(1.0 - q, a - 1.0) / b;
  };
  const auto simpson = [&](const std::function<double(double)>& g, double upper) {
    const double h = upper / intervals;
    double sum = g(0.0) + g(upper);
    for (int i = 1; i < intervals; ++i) sum += (i % 2 ? 4.0 : 2.0) * g(i * h);
    return sum * h / 3.0;
  };
  return (simpson(left, t_left) + simpson(right, t_right)) / std::exp(log_norm);
}

inline double SampleBeta(std::mt19937_64& rng, double a, double b) {
  std::gamma_distribution<double> ga(a, 1.0), gb(b, 1.0);
  const double x = ga(rng), y = gb(rng);
  return x / (x + y);
}

}  // namespace thinkplan::testing
