// The logit-normal difficulty family beside the Beta, its choice by held-out likelihood, and the half-sample pass@k
// check on the shipped per-problem data (issue 15, items 2 and 3). References: brute-force integration over the
// normal, closed forms where one exists, and the Chen et al. unbiased estimator on data the fit did not see.
#include <boost/test/unit_test.hpp>

#include <array>
#include <cmath>
#include <iostream>
#include <functional>
#include <map>
#include <random>

#include "core/errors.h"
#include "core/special_functions.h"
#include "fitting/holdout_validation.h"
#include "fitting/parallel_scaling.h"
#include "tests/fitting/shipped_runs.h"

using namespace thinkplan;
using namespace thinkplan::fitting;

namespace {

// E[f(Z)], Z ~ Normal(0, 1), by composite Simpson's rule on [-12, 12] with 24000 intervals: a different rule and
// resolution from the library's trapezoid rule, and for these smooth bounded integrands accurate to ~1e-12.
template <typename F>
double Simpson(F f) {
  const int n = 24000;
  const double lo = -12.0, h = 24.0 / n;
  double sum = f(lo) * NormalPdf(lo) + f(-lo) * NormalPdf(-lo);
  for (int i = 1; i < n; ++i) {
    const double z = lo + i * h;
    sum += (i % 2 == 1 ? 4.0 : 2.0) * f(z) * NormalPdf(z);
  }
  return sum * h / 3.0;
}

// ln L of per-problem counts under the logit-normal by Simpson's rule on `intervals` intervals of [-12, 12]: the
// test's own likelihood, independent of the library's thinned trapezoid rule.
double SimpsonLogLikelihood(const std::vector<SampleCount>& data, double mu, double sigma, int intervals) {
  double total = 0;
  for (const SampleCount& s : data) {
    const double lo = -12.0, h = 24.0 / intervals;
    const auto f = [&](double z) {
      const double x = mu + sigma * z;
      const double log_p = -std::log1p(std::exp(-x)), log_q = -std::log1p(std::exp(x));
      return std::exp(s.correct * log_p + (s.samples - s.correct) * log_q) * NormalPdf(z);
    };
    double sum = f(lo) + f(-lo);
    for (int i = 1; i < intervals; ++i) sum += (i % 2 == 1 ? 4.0 : 2.0) * f(lo + i * h);
    total += LogChoose(s.samples, s.correct) + std::log(sum * h / 3.0);
  }
  return total;
}

// The maximum of SimpsonLogLikelihood over (mu, ln sigma) by brute force: a global grid (mu in [-24, 24] by 2,
// ln sigma in [ln 0.05, ln 20] by 0.5), then six 9 x 9 grids about the best point, each a third the width of the
// last. Returns {mu, sigma, ln L}.
std::array<double, 3> GridOptimum(const std::vector<SampleCount>& data) {
  std::map<std::pair<double, double>, long> counts;
  for (const SampleCount& s : data) counts[{s.samples, s.correct}] += 1;
  const auto ll = [&](double mu, double log_sigma) {
    double total = 0;
    for (const auto& [nc, count] : counts) {
      total += static_cast<double>(count) *
               SimpsonLogLikelihood({{nc.first, nc.second}}, mu, std::exp(log_sigma), 4000);
    }
    return total;
  };
  std::array<double, 3> best = {0, 0, -INFINITY};
  const auto consider = [&](double mu, double log_sigma) {
    if (log_sigma > std::log(20.0)) return;
    if (const double v = ll(mu, log_sigma); v > best[2]) best = {mu, log_sigma, v};
  };
  for (double mu = -24; mu <= 24; mu += 2) {
    for (double ls = std::log(0.05); ls <= std::log(20.0); ls += 0.5) consider(mu, ls);
  }
  double half_mu = 2, half_ls = 0.5;
  for (int level = 0; level < 6; ++level) {
    const double mu0 = best[0], ls0 = best[1];
    for (int i = -4; i <= 4; ++i) {
      for (int j = -4; j <= 4; ++j) consider(mu0 + half_mu * i / 4, ls0 + half_ls * j / 4);
    }
    half_mu /= 3, half_ls /= 3;
  }
  return {best[0], std::exp(best[1]), best[2]};
}

// Per-problem counts drawn from a known difficulty distribution.
std::vector<SampleCount> Simulate(const std::function<double(std::mt19937&)>& draw_p, int problems, int samples,
                                  unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<SampleCount> out;
  for (int i = 0; i < problems; ++i) {
    std::binomial_distribution<int> binomial(samples, draw_p(rng));
    out.push_back({static_cast<double>(samples), static_cast<double>(binomial(rng))});
  }
  return out;
}

std::map<std::string, std::vector<SampleCount>> ShippedSlices(const std::string& run_prefix) {
  const FitInputs inputs = testing::ShippedFitInputs();
  std::map<std::string, std::vector<SampleCount>> slices;
  for (const auto& [run_key, problems] : inputs.problems) {
    if (run_key.rfind(run_prefix, 0) == 0) slices[run_key] = SampleCountsFromProblems(problems);
  }
  return slices;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(difficulty_family)

BOOST_AUTO_TEST_CASE(logit_normal_pass_at_k_matches_integration_and_closed_forms) {
  for (const auto& [mu, sigma] : std::vector<std::pair<double, double>>{{-1.0, 2.0}, {0.5, 0.7}, {-3.0, 3.5}}) {
    LogitNormalDifficulty family;
    family.mu = mu;
    family.sigma = sigma;
    for (long k : {1L, 2L, 10L, 64L}) {
      const double brute = 1.0 - Simpson([&](double z) { return std::pow(1.0 - Sigmoid(mu + sigma * z), k); });
      BOOST_TEST(family.PassAtK(k) == brute, boost::test_tools::tolerance(1e-9));
    }
    BOOST_TEST(family.Mean() == Simpson([&](double z) { return Sigmoid(mu + sigma * z); }),
               boost::test_tools::tolerance(1e-9));
  }
  // sigma -> 0: every problem at sigmoid(mu), so pass@k = 1 - (1 - sigmoid(mu))^k exactly.
  LogitNormalDifficulty point;
  point.mu = 0.3;
  point.sigma = 1e-9;
  for (long k : {1L, 5L, 40L}) {
    BOOST_TEST(point.PassAtK(k) == 1.0 - std::pow(1.0 - Sigmoid(0.3), k), boost::test_tools::tolerance(1e-12));
  }
  // pass@1 is the mean; pass@k rises with k.
  LogitNormalDifficulty spread;
  spread.mu = -1;
  spread.sigma = 2;
  BOOST_TEST(spread.PassAtK(1) == spread.Mean(), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(spread.PassAtK(16) > spread.PassAtK(8));
}

BOOST_AUTO_TEST_CASE(likelihoods_match_brute_force_sums) {
  // Beta: beta-binomial pmf against integration over p on a fine grid; logit-normal against the trapezoid rule.
  BetaDifficulty beta;
  beta.a = 1.7;
  beta.b = 2.3;
  const std::vector<SampleCount> data = {{10, 3}, {10, 0}, {5, 5}};
  double brute_beta = 0;
  for (const SampleCount& s : data) {
    double sum = 0;
    const int steps = 200000;
    for (int i = 0; i < steps; ++i) {
      const double p = (i + 0.5) / steps;
      sum += std::exp(LogChoose(s.samples, s.correct) + s.correct * std::log(p) + (s.samples - s.correct) * std::log1p(-p) +
                      (beta.a - 1) * std::log(p) + (beta.b - 1) * std::log1p(-p) - LogBeta(beta.a, beta.b)) / steps;
    }
    brute_beta += std::log(sum);
  }
  BOOST_TEST(LogLikelihood(beta, data) == brute_beta, boost::test_tools::tolerance(1e-6));
  LogitNormalDifficulty ln;
  ln.mu = -0.4;
  ln.sigma = 1.3;
  double brute_ln = 0;
  for (const SampleCount& s : data) {
    brute_ln += std::log(Simpson([&](double z) {
      const double p = Sigmoid(ln.mu + ln.sigma * z);
      return std::exp(LogChoose(s.samples, s.correct)) * std::pow(p, s.correct) * std::pow(1 - p, s.samples - s.correct);
    }));
  }
  BOOST_TEST(LogLikelihood(ln, data) == brute_ln, boost::test_tools::tolerance(1e-7));
}

BOOST_AUTO_TEST_CASE(thinned_rule_matches_a_high_order_reference) {
  // The likelihood thins the 901-node rule where the integrand is wide (difficulty_family.cpp, Stride): against
  // Simpson's rule on 48,000 intervals, for n up to 200 samples and sigma up to the largest the 0.02 rule resolves
  // at that n (sigma^2 n / 4 <= 625), every count c, and mu from -4 to 3.
  struct Case {
    double n;
    std::vector<double> sigmas;
  };
  double worst = 0;
  for (const Case& k : std::vector<Case>{{2, {0.01, 0.3, 1, 4, 12, 19}}, {10, {0.05, 0.5, 1.5, 4, 12, 19}},
                                         {64, {0.05, 0.4, 1, 3, 6}}, {200, {0.05, 0.2, 1, 3.5}}}) {
    for (const double sigma : k.sigmas) {
      for (const double mu : {-4.0, -0.5, 3.0}) {
        // Counts the distribution can produce: c / n within sigmoid(mu +- 4 sigma) widened by three binomial
        // standard deviations. (A count far outside puts the posterior of z beyond the rule's |z| <= 9, thinned or
        // not; at a fitted optimum no group lies there.)
        const double noise = 1.5 * std::sqrt(k.n) + 1;
        const double lo = k.n * Sigmoid(mu - 4 * sigma) - noise, hi = k.n * Sigmoid(mu + 4 * sigma) + noise;
        std::vector<SampleCount> data;
        for (double c = 0; c <= k.n; c += std::max(1.0, std::floor(k.n / 9))) {
          if (c >= lo && c <= hi) data.push_back({k.n, c});
        }
        const double library = LogLikelihood(LogitNormalDifficulty{mu, sigma, {}, {}}, data);
        const double reference = SimpsonLogLikelihood(data, mu, sigma, 48000);
        worst = std::max(worst, std::abs(library - reference) / std::abs(reference));
        BOOST_TEST_CONTEXT("n " << k.n << " sigma " << sigma << " mu " << mu) {
          BOOST_TEST(library == reference, boost::test_tools::tolerance(1e-10));
        }
      }
    }
  }
  BOOST_TEST_MESSAGE("thinned rule: largest relative error " << worst);
}

BOOST_AUTO_TEST_CASE(logit_normal_optimum_matches_a_grid_search) {
  // The Newton fit's optimum against a brute-force grid maximum of an independent likelihood (Simpson's rule):
  // simulated data, and two shipped LiveCodeBench slices, one of whose spread ends near the sigma bound of 20.
  const auto draw = [](std::mt19937& rng) {
    std::normal_distribution<double> z(0.0, 1.0);
    return Sigmoid(-0.7 + 1.8 * z(rng));
  };
  std::vector<std::vector<SampleCount>> sets = {Simulate(draw, 300, 10, 5)};
  for (const std::string key : {"lcb-2024-04:Claude-Instant-1:easy", "lcb-2024-04:Claude-2:easy"}) {
    const auto slices = ShippedSlices(key);
    BOOST_REQUIRE(slices.count(key) == 1u);
    sets.push_back(slices.at(key));
  }
  for (const std::vector<SampleCount>& data : sets) {
    const LogitNormalDifficulty fit = FitLogitNormal(data, Options{});
    const std::array<double, 3> grid = GridOptimum(data);
    const double at_fit = SimpsonLogLikelihood(data, fit.mu, fit.sigma, 4000);
    BOOST_TEST_MESSAGE("fit mu " << fit.mu << " sigma " << fit.sigma << " ln L " << at_fit << "; grid mu " << grid[0]
                                 << " sigma " << grid[1] << " ln L " << grid[2]);
    BOOST_TEST(at_fit >= grid[2] - 1e-7);  // no grid point is better than the fit
    BOOST_TEST(fit.quality.log_likelihood == at_fit, boost::test_tools::tolerance(1e-10));
    BOOST_TEST(fit.mu == grid[0], boost::test_tools::tolerance(2e-3));
    BOOST_TEST(fit.sigma == grid[1], boost::test_tools::tolerance(2e-3));
  }
}

BOOST_AUTO_TEST_CASE(rho_is_fitted_under_the_logit_normal_when_it_is_chosen) {
  // cons@k under a logit-normal by Simpson's rule over z of ConsAtKGivenP (the trinomial vote for one p): FitRho given
  // the logit-normal recovers the rho that produced it.
  LogitNormalDifficulty ln;
  ln.mu = -0.8;
  ln.sigma = 2.5;
  ln.quality.status = FitStatus::kOk;
  for (const double rho : {0.1, 0.3, 0.6}) {
    const double cons = Simpson([&](double z) { return ConsAtKGivenP(Sigmoid(ln.mu + ln.sigma * z), 16, rho); });
    const RhoFit fit = FitRho(ln, 16, 1e6, 1e6 * cons, Options{});
    BOOST_TEST_INFO("rho " << rho);
    BOOST_TEST((fit.quality.status == FitStatus::kOk));
    BOOST_TEST(std::abs(fit.rho - rho) < 1e-6);
    BOOST_TEST(fit.interval.Contains(rho));
  }
}

BOOST_AUTO_TEST_CASE(fits_recover_their_own_family_and_held_out_likelihood_picks_it) {
  // 1000 problems x 32 samples from a logit-normal (mu -1, sigma 3) and from a Beta(0.3, 0.5): each family's fit
  // recovers its truth within a few standard errors, and the two-fold held-out likelihood picks the true family.
  // (With 8 samples per problem and sigma 2 the two families are indistinguishable: held-out log-likelihoods
  // within 0.3 of each other in 600 problems.)
  const auto logit_normal_draw = [](std::mt19937& rng) {
    std::normal_distribution<double> z(0.0, 1.0);
    return Sigmoid(-1.0 + 3.0 * z(rng));
  };
  const std::vector<SampleCount> ln_data = Simulate(logit_normal_draw, 1000, 32, 11);
  const LogitNormalDifficulty fit = FitLogitNormal(ln_data, Options{});
  BOOST_REQUIRE((fit.quality.status == FitStatus::kOk));
  BOOST_REQUIRE(fit.covariance.size() == 4u);
  BOOST_TEST(std::abs(fit.mu - (-1.0)) < 4 * std::sqrt(fit.covariance[0]));
  BOOST_TEST(std::abs(fit.sigma - 3.0) < 4 * std::sqrt(fit.covariance[3]));
  const DifficultyFamilyChoice ln_choice = ChooseDifficultyFamily(ln_data, Options{});
  BOOST_TEST_MESSAGE("logit-normal truth: " << ln_choice.BriefReport());
  BOOST_TEST(ln_choice.decided);
  BOOST_TEST((ln_choice.chosen == DifficultyFamilyChoice::Family::kLogitNormal));

  const auto beta_draw = [](std::mt19937& rng) {
    std::gamma_distribution<double> ga(0.3, 1.0), gb(0.5, 1.0);
    const double x = ga(rng), y = gb(rng);
    return x / (x + y);
  };
  const DifficultyFamilyChoice beta_choice = ChooseDifficultyFamily(Simulate(beta_draw, 1000, 32, 12), Options{});
  BOOST_TEST_MESSAGE("beta truth: " << beta_choice.BriefReport());
  BOOST_TEST(beta_choice.decided);
  BOOST_TEST((beta_choice.chosen == DifficultyFamilyChoice::Family::kBeta));
}

BOOST_AUTO_TEST_CASE(thin_data_is_insufficient_not_fitted) {
  BOOST_TEST((FitLogitNormal({{1, 1}, {1, 0}}, Options{}).quality.status == FitStatus::kInsufficientData));
  BOOST_TEST((FitLogitNormal({{4, 4}, {4, 4}}, Options{}).quality.status == FitStatus::kInsufficientData));
  const DifficultyFamilyChoice choice = ChooseDifficultyFamily({{4, 4}, {4, 4}, {4, 4}}, Options{});
  BOOST_TEST(!choice.decided);
  BOOST_TEST((choice.chosen == DifficultyFamilyChoice::Family::kBeta));
}

BOOST_AUTO_TEST_CASE(half_samples_are_hypergeometric_draws) {
  // 4000 halvings of (10 samples, 4 right): the count of right samples among 5 has the hypergeometric mean 2 and
  // variance 5 (4/10)(6/10)(5/9) = 2/3.
  std::vector<SampleCount> many(4000, SampleCount{10, 4});
  const std::vector<SampleCount> halves = HalfSamples(many, 7);
  double mean = 0, square = 0;
  for (const SampleCount& h : halves) {
    BOOST_TEST(h.samples == 5.0);
    BOOST_TEST((h.correct >= 0 && h.correct <= 4));
    mean += h.correct / 4000.0;
    square += h.correct * h.correct / 4000.0;
  }
  BOOST_TEST(mean == 2.0, boost::test_tools::tolerance(0.03));
  BOOST_TEST(square - mean * mean == 2.0 / 3.0, boost::test_tools::tolerance(0.06));
  BOOST_TEST(HalfSamples({{1, 1}}, 7).empty());  // one sample cannot be halved
}

BOOST_AUTO_TEST_CASE(livecodebench_half_sample_forecasts_within_the_unbiased_interval) {
  // Every LiveCodeBench (model x difficulty) run with 10 samples per problem: both families fitted on 5 of each
  // problem's samples forecast pass@1..10 on all 10; the forecasts are compared with the unbiased estimator's 95%
  // interval (normal, from the spread across problems). The figures are printed for docs/curves.md.
  long forecasts = 0, beta_inside = 0, ln_inside = 0, chosen_inside = 0, chose_ln = 0, decided = 0;
  long halves_chose_ln = 0, slices = 0;
  for (const std::string prefix : {"lcb-2024-04:", "lcb-2025-01:"}) {
    for (const auto& [run_key, problems] : ShippedSlices(prefix)) {
      const HalfSampleCheck check = HalfSamplePassAtK(problems);
      const DifficultyFamilyChoice choice = ChooseDifficultyFamily(problems, Options{});
      std::cout << run_key << ": " << check.BriefReport() << "; family " << ToString(choice.chosen)
                << (choice.decided ? "" : " (undecided)") << " [" << choice.reason << "]\n";
      forecasts += static_cast<long>(check.forecasts.size());
      beta_inside += check.beta_inside;
      ln_inside += check.logit_normal_inside;
      chosen_inside += check.chosen_inside;
      slices += !check.forecasts.empty();
      halves_chose_ln += !check.forecasts.empty() && check.chosen == DifficultyFamily::kLogitNormal;
      decided += choice.decided;
      chose_ln += choice.decided && choice.chosen == DifficultyFamilyChoice::Family::kLogitNormal;
    }
  }
  std::cout << "LiveCodeBench half-sample: " << forecasts << " forecasts, beta inside " << beta_inside
            << ", logit-normal inside " << ln_inside << ", the family chosen on the halves inside " << chosen_inside
            << " (logit-normal chosen on the halves of " << halves_chose_ln << " of " << slices
            << " slices); logit-normal chosen in " << chose_ln << " of " << decided << " decided slices\n";
  BOOST_TEST(forecasts >= 100);
  BOOST_TEST(static_cast<double>(beta_inside) >= 0.9 * static_cast<double>(forecasts));
  BOOST_WARN(static_cast<double>(ln_inside) >= 0.9 * static_cast<double>(forecasts));
  // What `fit` stores and predict, the planner and the simulator read: the family chosen per slice.
  BOOST_TEST(static_cast<double>(chosen_inside) >= 0.9 * static_cast<double>(forecasts));
}

BOOST_AUTO_TEST_CASE(arc_agi_has_one_sample_per_task_so_no_half_sample_check) {
  // ARC-AGI-1 per task: one submission per task and run (data/public/arc_agi_v1_effort/README.md), so no problem
  // can be halved and neither family's spread is identified: the check reports itself as not possible rather than
  // passing.
  const auto slices = ShippedSlices("arc1-eval:");
  BOOST_REQUIRE(!slices.empty());
  for (const auto& [run_key, problems] : slices) {
    const HalfSampleCheck check = HalfSamplePassAtK(problems);
    BOOST_TEST(check.problems == 0);
    BOOST_TEST(check.forecasts.empty());
    BOOST_TEST((FitLogitNormal(problems, Options{}).quality.status == FitStatus::kInsufficientData));
  }
}

BOOST_AUTO_TEST_SUITE_END()
