// Parallel-scaling formulas (core/curves.h) against brute force, Monte Carlo and docs/design.md 3.3's reference values.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "core/curves.h"
#include "core/special_functions.h"
#include "fitting/quadrature.h"
#include "tests/fitting/reference_math.h"

namespace thinkplan {
namespace {

using testing::BetaIntegral;
using testing::SampleBeta;

BetaDifficulty MakeBeta(double a, double b) {
  BetaDifficulty beta;
  beta.a = a;
  beta.b = b;
  return beta;
}

// Majority vote over every one of the 3^k sequences of draws: 0 = right, 1 = the top wrong answer, 2 = a wrong
// answer seen nowhere else. Ties for the most votes are split evenly among the tied answers.
double ConsByEnumeration(double p, long k, double rho) {
  const double q = rho * (1.0 - p), r = 1.0 - p - q;
  long total = 1;
  for (long i = 0; i < k; ++i) total *= 3;
  double sum = 0.0;
  for (long code = 0; code < total; ++code) {
    long c = code, right = 0, top = 0, unique = 0;
    double prob = 1.0;
    for (long i = 0; i < k; ++i, c /= 3) {
      const long draw = c % 3;
      right += draw == 0;
      top += draw == 1;
      unique += draw == 2;
      prob *= draw == 0 ? p : (draw == 1 ? q : r);
    }
    if (right == 0) continue;
    const long best_other = std::max(top, unique > 0 ? 1L : 0L);
    if (right > best_other) {
      sum += prob;
    } else if (right == best_other) {
      const long tied = 1 + (top == right ? 1 : 0) + (right == 1 ? unique : 0);
      sum += prob / tied;
    }
  }
  return sum;
}

double BestOfMonteCarlo(double a, double b, long n, double d_prime, int reps, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  long wins = 0;
  for (int rep = 0; rep < reps; ++rep) {
    const double p = SampleBeta(rng, a, b);
    double best = -1e300;
    bool best_right = false;
    for (long i = 0; i < n; ++i) {
      const bool right = uniform(rng) < p;
      const double score = normal(rng) + (right ? d_prime : 0.0);
      if (score > best) {
        best = score;
        best_right = right;
      }
    }
    wins += best_right;
  }
  return static_cast<double>(wins) / reps;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(parallel_math)

BOOST_AUTO_TEST_CASE(pass_at_k_matches_design_reference_integration_and_monte_carlo) {
  const BetaDifficulty beta = MakeBeta(0.4, 0.6);
  BOOST_CHECK_SMALL(beta.PassAtK(16) - 0.7801, 5e-5);
  BOOST_CHECK_SMALL(beta.PassAtK(64) - 0.873, 5e-4);
  for (long k : {1L, 2L, 5L, 16L, 100L}) {
    const double integral =
        BetaIntegral([k](double p) { return 1.0 - std::pow(1.0 - p, static_cast<double>(k)); }, 0.4, 0.6);
    BOOST_TEST_INFO("k=" << k);
    BOOST_CHECK_SMALL(beta.PassAtK(k) - integral, 1e-6);
  }
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const int reps = 200000;
  long covered = 0;
  for (int rep = 0; rep < reps; ++rep) {
    const double p = SampleBeta(rng, 0.4, 0.6);
    for (int s = 0; s < 16; ++s) {
      if (uniform(rng) < p) {
        ++covered;
        break;
      }
    }
  }
  const double mc = static_cast<double>(covered) / reps;  // standard error ~ 0.001
  BOOST_CHECK_SMALL(beta.PassAtK(16) - mc, 0.005);
  BOOST_CHECK_EQUAL(beta.PassAtK(0), 0.0);
  BOOST_CHECK_SMALL(beta.PassAtK(1) - 0.4, 1e-12);
}

BOOST_AUTO_TEST_CASE(pass_at_k_large_k_follows_the_power_law_tail) {
  // 1 - pass@k ~ Gamma(a+b)/Gamma(b) k^(-a) for large k (Schaeffer et al. 2025).
  const BetaDifficulty beta = MakeBeta(0.4, 0.6);
  const double k = 1e6;
  const double tail = std::exp(std::lgamma(1.0) - std::lgamma(0.6)) * std::pow(k, -0.4);
  BOOST_CHECK_CLOSE(1.0 - beta.PassAtK(static_cast<long>(k)), tail, 0.01);
}

BOOST_AUTO_TEST_CASE(unbiased_pass_at_k_matches_the_binomial_ratio) {
  const auto choose = [](long n, long k) {
    double c = 1.0;
    for (long i = 1; i <= k; ++i) c = c * (n - k + i) / i;
    return c;
  };
  for (long n : {1L, 5L, 10L, 20L}) {
    for (long c = 0; c <= n; ++c) {
      for (long k = 1; k <= n; ++k) {
        const double expected = n - c < k ? 1.0 : 1.0 - choose(n - c, k) / choose(n, k);
        BOOST_TEST_INFO("n=" << n << " c=" << c << " k=" << k);
        BOOST_CHECK_SMALL(UnbiasedPassAtK(n, c, k) - expected, 1e-12);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(gauss_jacobi_integrates_moments_exactly) {
  for (auto [a, b] : std::vector<std::pair<double, double>>{{0.4, 0.6}, {0.1, 0.2}, {2.5, 7.0}, {1.0, 1.0}}) {
    const fitting::QuadratureRule rule = fitting::GaussJacobiBeta(12, a, b);
    for (int m = 0; m <= 23; ++m) {
      double moment = 1.0;  // E[p^m] = prod_{i<m} (a + i) / (a + b + i)
      for (int i = 0; i < m; ++i) moment *= (a + i) / (a + b + i);
      BOOST_TEST_INFO("a=" << a << " b=" << b << " m=" << m);
      BOOST_CHECK_CLOSE(fitting::Expectation(rule, [m](double p) { return std::pow(p, m); }), moment, 1e-9);
    }
  }
}

BOOST_AUTO_TEST_CASE(cons_at_k_matches_exhaustive_enumeration) {
  for (long k = 1; k <= 7; ++k) {
    for (double rho : {0.0, 0.3, 0.5, 0.9, 1.0}) {
      for (double p : {0.05, 0.3, 0.5, 0.77}) {
        BOOST_TEST_INFO("k=" << k << " rho=" << rho << " p=" << p);
        BOOST_CHECK_SMALL(ConsAtKGivenP(p, k, rho) - ConsByEnumeration(p, k, rho), 1e-12);
      }
      // Over the Beta: the enumeration is a polynomial of degree k in p, which an (k/2 + 1)-node Gauss-Jacobi
      // rule integrates exactly.
      const fitting::QuadratureRule rule = fitting::GaussJacobiBeta(static_cast<int>(k / 2 + 1), 0.4, 0.6);
      const double by_enumeration =
          fitting::Expectation(rule, [&](double p) { return ConsByEnumeration(p, k, rho); });
      BOOST_CHECK_SMALL(MakeBeta(0.4, 0.6).ConsAtK(k, rho) - by_enumeration, 1e-12);
    }
  }
}

BOOST_AUTO_TEST_CASE(cons_at_k_reference_values_and_plateau) {
  const BetaDifficulty beta = MakeBeta(0.4, 0.6);
  BOOST_CHECK_SMALL(beta.ConsAtK(5, 0.5) - 0.479, 5e-4);
  BOOST_CHECK_SMALL(beta.ProbabilityAbove(1.0 / 3.0) - 0.4906, 5e-5);
  const double plateau = BetaIntegral([](double p) { return p > 1.0 / 3.0 ? 1.0 : 0.0; }, 0.4, 0.6, 200000);
  BOOST_CHECK_SMALL(beta.ProbabilityAbove(1.0 / 3.0) - plateau, 1e-4);
  BOOST_CHECK_SMALL(beta.ConsAtK(2001, 0.5) - 0.4906, 2e-3);
  // With rho = 0 every wrong answer is unique: from k >= 3 two right votes always win.
  BOOST_CHECK_GT(beta.ConsAtK(64, 0.0), beta.ConsAtK(64, 0.5));
}

BOOST_AUTO_TEST_CASE(best_of_n_matches_design_reference_and_monte_carlo) {
  const BetaDifficulty beta = MakeBeta(0.4, 0.6);
  BOOST_CHECK_SMALL(beta.BestOfN(16, 1.0) - 0.599, 1e-3);
  BOOST_CHECK_SMALL(beta.BestOfN(16, 3.0) - 0.765, 1e-3);
  BOOST_CHECK_SMALL(beta.BestOfN(64, 1.0) - 0.660, 1e-3);
  BOOST_CHECK_SMALL(beta.PassAtK(64) - 0.873, 1e-3);
  // Monte Carlo: 100,000 problems, standard error ~ 0.0016.
  BOOST_CHECK_SMALL(beta.BestOfN(16, 1.0) - BestOfMonteCarlo(0.4, 0.6, 16, 1.0, 100000, 11), 0.007);
  BOOST_CHECK_SMALL(beta.BestOfN(8, 3.0) - BestOfMonteCarlo(0.4, 0.6, 8, 3.0, 100000, 12), 0.007);
  // Per problem, against a direct Monte Carlo at fixed p.
  BOOST_CHECK_SMALL(BestOfNGivenP(0.3, 10, 1.5) - BestOfMonteCarlo(1e6 * 0.3, 1e6 * 0.7, 10, 1.5, 100000, 13), 0.007);
}

BOOST_AUTO_TEST_CASE(best_of_n_tends_to_pass_at_n_as_the_verifier_sharpens) {
  const BetaDifficulty beta = MakeBeta(0.4, 0.6);
  BOOST_CHECK_SMALL(beta.BestOfN(16, 12.0) - beta.PassAtK(16), 1e-6);
  BOOST_CHECK_EQUAL(beta.BestOfN(16, std::numeric_limits<double>::infinity()), beta.PassAtK(16));
  // d' = 0 is a random pick: the accuracy of one sample.
  BOOST_CHECK_SMALL(beta.BestOfN(16, 0.0) - 0.4, 1e-6);
  // A finite verifier saturates well below coverage.
  BOOST_CHECK_LT(beta.BestOfN(64, 1.0), beta.PassAtK(64) - 0.2);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace thinkplan
