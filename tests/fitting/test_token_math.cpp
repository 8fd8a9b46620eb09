// The truncated LogNormal model of tokens used (core/curves.h, docs/design.md 3.2) against direct integration.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>

#include "core/curves.h"

namespace thinkplan {
namespace {

// E[min(L, b)] = integral_0^b P(L > x) dx, by Simpson in u = ln x so that the small-x range is resolved.
double MeanUsedByIntegration(double mu, double sigma, double budget) {
  const auto survival = [&](double x) { return 0.5 * std::erfc((std::log(x) - mu) / (sigma * std::sqrt(2.0))); };
  const double u0 = mu - 12.0 * sigma, u1 = std::log(budget);
  const int n = 200000;
  const double h = (u1 - u0) / n;
  double sum = 0.0;
  for (int i = 0; i <= n; ++i) {
    const double u = u0 + i * h;
    const double weight = (i == 0 || i == n) ? 1.0 : (i % 2 ? 4.0 : 2.0);
    sum += weight * survival(std::exp(u)) * std::exp(u);
  }
  return std::exp(u0) + sum * h / 3.0;  // the mass below e^u0 contributes ~e^u0
}

}  // namespace

BOOST_AUTO_TEST_SUITE(token_math)

BOOST_AUTO_TEST_CASE(truncated_lognormal_mean_matches_integration) {
  for (double mu : {6.0, 8.5, 10.0}) {
    for (double sigma : {0.3, 0.8, 1.5}) {
      for (double budget : {500.0, 4096.0, 32768.0}) {
        TokenModel model;
        model.mu = mu;
        model.sigma = sigma;
        BOOST_TEST_INFO("mu=" << mu << " sigma=" << sigma << " b=" << budget);
        BOOST_CHECK_CLOSE(model.MeanUsed(budget), MeanUsedByIntegration(mu, sigma, budget), 1e-4);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(limits_and_quantiles) {
  TokenModel model;
  model.mu = 8.0;
  model.sigma = 0.7;
  const double uncapped = std::exp(8.0 + 0.5 * 0.49);
  BOOST_CHECK_CLOSE(model.MeanUsed(), uncapped, 1e-12);
  BOOST_CHECK_CLOSE(model.MeanUsed(1e12), uncapped, 1e-9);
  BOOST_CHECK_CLOSE(model.MeanUsed(1.0), 1.0, 1e-6);  // a tiny cap binds almost surely
  BOOST_CHECK_EQUAL(model.MeanUsed(0.0), 0.0);
  // The median of L is e^mu; P(min(L, b) <= Quantile(q, b)) = q below the cap and the cap above it.
  BOOST_CHECK_CLOSE(model.Quantile(0.5), std::exp(8.0), 1e-9);
  const double q95 = model.Quantile(0.95);
  BOOST_CHECK_CLOSE(0.5 * std::erfc(-(std::log(q95) - 8.0) / (0.7 * std::sqrt(2.0))), 0.95, 1e-9);
  BOOST_CHECK_EQUAL(model.Quantile(0.99, 3000.0), 3000.0);
  BOOST_CHECK_LT(model.Quantile(0.05, 3000.0), 3000.0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace thinkplan
