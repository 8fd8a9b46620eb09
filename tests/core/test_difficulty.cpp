// The difficulty distribution of a slice (core/difficulty.h) against references computed here: the Beta's pass@k in
// closed form (Beta(1, b): 1 - b / (b + k)), and the logit-normal's pass@k, cons@k and best-of-N against a brute-force
// composite Simpson integral over x = logit p on [mu - 14 sigma, mu + 14 sigma] with 100,000 panels and the exact
// normal density (an independent rule, range and normalisation from the trapezoid rule the code uses), to 1e-9.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <functional>
#include <numbers>
#include <vector>

#include "core/curves.h"
#include "core/difficulty.h"

namespace thinkplan {
namespace {

// E[f(p)], logit p ~ Normal(mu, sigma^2), by composite Simpson over x.
double BruteForce(double mu, double sigma, const std::function<double(double)>& f) {
  constexpr int kPanels = 100'000;
  const double lo = mu - 14 * sigma, hi = mu + 14 * sigma, h = (hi - lo) / kPanels;
  double sum = 0;
  for (int i = 0; i <= kPanels; ++i) {
    const double x = lo + i * h, z = (x - mu) / sigma;
    const double density = std::exp(-0.5 * z * z) / (sigma * std::sqrt(2 * std::numbers::pi));
    const double w = (i == 0 || i == kPanels) ? 1 : (i % 2 ? 4 : 2);
    sum += w * density * f(1 / (1 + std::exp(-x)));
  }
  return sum * h / 3;
}

// sum_j credit[j] P(j of k right | p), the binomial pmf from lgamma (its log-coefficients tabulated once).
struct CreditAt {
  std::vector<double> credit, log_choose;
  explicit CreditAt(std::vector<double> c) : credit(std::move(c)) {
    const long k = static_cast<long>(credit.size()) - 1;
    for (long j = 0; j <= k; ++j) log_choose.push_back(std::lgamma(k + 1.0) - std::lgamma(j + 1.0) - std::lgamma(k - j + 1.0));
  }
  double operator()(double p) const {
    const long k = static_cast<long>(credit.size()) - 1;
    if (p <= 0) return credit[0];
    if (p >= 1) return credit[k];
    double sum = 0;
    for (long j = 0; j <= k; ++j) sum += credit[j] * std::exp(log_choose[j] + j * std::log(p) + (k - j) * std::log1p(-p));
    return sum;
  }
};

struct Case {
  double mu, sigma;
  long k;
};
const Case kCases[] = {{-1.0, 3.0, 16}, {0.5, 1.0, 64}, {-2.0, 2.5, 8}, {1.5, 0.3, 5}, {-0.3, 3.5, 64}};

}  // namespace

BOOST_AUTO_TEST_SUITE(difficulty_distribution)

BOOST_AUTO_TEST_CASE(beta_pass_at_k_matches_its_closed_form_through_the_shared_type) {
  for (double b : {0.3, 1.0, 2.5}) {
    for (long k : {1L, 2L, 16L, 64L}) {
      const DifficultyDistribution d = BetaDifficulty{1.0, b, {}, {}};
      const double closed = 1 - b / (b + static_cast<double>(k));  // B(1, b + k) / B(1, b) = b / (b + k)
      BOOST_TEST(d.PassAtK(k) == closed, boost::test_tools::tolerance(1e-12));
      // The credit form of pass@k (credit 1 for any right sample) agrees.
      std::vector<double> credit(static_cast<size_t>(k) + 1, 1.0);
      credit[0] = 0;
      BOOST_TEST(d.Expectation(credit) == closed, boost::test_tools::tolerance(1e-12));
    }
  }
}

BOOST_AUTO_TEST_CASE(logit_normal_pass_cons_and_best_of_match_a_brute_force_integral_to_1e_9) {
  for (const Case& c : kCases) {
    BOOST_TEST_CONTEXT("mu " << c.mu << " sigma " << c.sigma << " k " << c.k) {
      const DifficultyDistribution d = LogitNormalDifficulty{c.mu, c.sigma, {}, {}};
      BOOST_TEST(std::abs(d.Mean() - BruteForce(c.mu, c.sigma, [](double p) { return p; })) < 1e-9);
      const double pass = BruteForce(c.mu, c.sigma, [&](double p) { return 1 - std::pow(1 - p, c.k); });
      BOOST_TEST(std::abs(d.PassAtK(c.k) - pass) < 1e-9);
      for (double rho : {0.0, 0.3, 0.76}) {
        const std::vector<double> credit = ConsensusCredit(c.k, rho);
        const double cons = BruteForce(c.mu, c.sigma, CreditAt(credit));
        BOOST_TEST(std::abs(d.Expectation(credit) - cons) < 1e-9, "cons@k rho " << rho);
      }
      const std::vector<double> best = BestOfCredit(c.k, 1.5);
      const double best_of = BruteForce(c.mu, c.sigma, CreditAt(best));
      BOOST_TEST(std::abs(d.Expectation(best) - best_of) < 1e-9, "best-of d' 1.5");
    }
  }
}

BOOST_AUTO_TEST_CASE(logit_normal_limits_and_symmetry) {
  // sigma -> 0: every problem has p = sigmoid(mu), so pass@k = 1 - (1 - sigmoid(mu))^k.
  const double p = 1 / (1 + std::exp(0.7));
  BOOST_TEST(LogitNormalDifficulty({-0.7, 1e-6, {}, {}}).PassAtK(10) == 1 - std::pow(1 - p, 10),
             boost::test_tools::tolerance(1e-9));
  // mu = 0: logit p is symmetric about 0, so E[p] = 1/2 exactly.
  BOOST_TEST(std::abs(LogitNormalDifficulty({0.0, 2.7, {}, {}}).Mean() - 0.5) < 1e-15);
}

BOOST_AUTO_TEST_CASE(with_mean_keeps_the_spread_and_reaches_the_mean) {
  const DifficultyDistribution ln = LogitNormalDifficulty{-1.0, 3.0, {}, {}};
  const DifficultyDistribution beta = BetaDifficulty{0.3, 0.5, {}, {}};
  for (double m : {1e-4, 0.05, 0.3, 0.5, 0.8, 0.999}) {
    const DifficultyDistribution moved = ln.WithMean(m);
    BOOST_TEST(moved.logit_normal.sigma == 3.0);
    BOOST_TEST(std::abs(BruteForce(moved.logit_normal.mu, 3.0, [](double p) { return p; }) - m) < 1e-9 * std::max(m, 1e-2));
    const DifficultyDistribution b = beta.WithMean(m);
    BOOST_TEST(b.beta.a + b.beta.b == 0.8, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(b.Mean() == m, boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace thinkplan
