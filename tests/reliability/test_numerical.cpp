// Numerical robustness: on random valid stored data and on edge cases, no fit emits NaN or infinity in its
// parameters or covariance and every fit has a defined status; the Monte Carlo engine gives an accuracy in [0, 1]
// with a finite standard error across the whole valid range of its inputs.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <map>
#include <random>

#include "fitting/fit_jobs.h"
#include "sim/monte_carlo.h"
#include "tests/common/test_support.h"

namespace thinkplan::testing {
namespace {

struct Tally {
  int fits = 0, usable = 0;
  std::map<std::string, int> by_status;
};

// Fits every job the inputs support, checking each outcome.
void FitAll(const fitting::FitInputs& inputs, Tally* tally) {
  std::map<CurveKey, DifficultyDistribution> betas;
  for (const fitting::FitJob& job : fitting::PlanFitJobs(inputs, {})) {
    const auto beta = betas.find(job.key);
    const fitting::FitOutcome fit = fitting::RunFitJob(job, {}, beta == betas.end() ? nullptr : &beta->second);
    BOOST_TEST_INFO(fitting::ToString(fit.kind) << " " << fit.key.ToString() << " " << ToString(fit.quality.status));
    for (double v : fit.params) BOOST_TEST(std::isfinite(v));
    for (double v : fit.covariance) BOOST_TEST(std::isfinite(v));
    BOOST_TEST((fit.quality.usable() || !fit.quality.reason.empty()));
    if (fit.kind == fitting::FitKind::kParallel && fit.params.size() == 2) {
      betas[job.key] = BetaDifficulty{fit.params[0], fit.params[1], fit.covariance, fit.quality};
    }
    ++tally->fits;
    tally->usable += fit.quality.usable();
    ++tally->by_status[std::string(ToString(fit.quality.status))];
  }
}

Run MakeRun(std::mt19937_64& random, int index, const std::string& system) {
  auto uniform = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(random); };
  auto integer = [&](long lo, long hi) { return std::uniform_int_distribution<long>(lo, hi)(random); };
  Run run;
  run.run_key = "r" + std::to_string(index);
  run.system = system;
  run.task_class = integer(0, 1) ? "code" : "math";
  run.mode = Mode::kExtended;
  if (integer(0, 3) > 0) {
    run.budget_tokens = std::exp2(static_cast<double>(integer(6, 16))) * uniform(0.9, 1.1);
  } else {
    run.effort = integer(0, 1) ? "low" : "high";
  }
  run.samples = integer(1, 3) == 1 ? integer(2, 64) : 1;
  run.aggregation = run.samples == 1 ? Aggregation{} : Aggregation{AggregationKind::kConsensus, run.samples};
  run.n_problems = integer(1, 2000);
  const double p = integer(0, 9) == 0 ? static_cast<double>(integer(0, 1)) : uniform(0, 1);  // edges: 0 and 1
  run.n_correct = std::round(p * run.n_problems);
  if (integer(0, 1)) run.mean_output_tokens = run.budget_tokens ? *run.budget_tokens * uniform(0.1, 1.0) : 800.0;
  return run;
}

BOOST_AUTO_TEST_CASE(fits_on_random_valid_data_are_finite) {
  const std::vector<fitting::FamilyMember> families = fitting::LoadFamilies(DataDir() / "models" / "families.csv");
  std::mt19937_64 random(99);
  Tally tally;
  const long datasets = 150;
  for (long d = 0; d < datasets; ++d) {
    fitting::FitInputs inputs;
    inputs.families = families;
    const int n = std::uniform_int_distribution<int>(1, 12)(random);
    for (int i = 0; i < n; ++i) {
      inputs.runs.push_back(MakeRun(random, i, families[static_cast<std::size_t>(i) % 3].system));
    }
    // Per-problem results for the first run, with every problem all right, all wrong or in between.
    const Run& first = inputs.runs.front();
    const long samples = std::uniform_int_distribution<long>(1, 16)(random);
    for (long p = 0; p < std::uniform_int_distribution<long>(0, 60)(random); ++p) {
      const long correct = std::uniform_int_distribution<long>(0, samples)(random);
      inputs.problems[first.run_key].push_back({first.run_key, "p" + std::to_string(p), samples,
                                                static_cast<double>(d % 5 == 0 ? samples : correct), 100.0 * p});
    }
    FitAll(inputs, &tally);
  }
  std::string statuses;
  for (const auto& [status, count] : tally.by_status) statuses += status + " " + std::to_string(count) + "; ";
  BOOST_TEST_MESSAGE("numerical: " << datasets << " random data sets, " << tally.fits << " fits (" << statuses
                                   << "), all finite");
  BOOST_TEST(tally.usable > 0);
}

BOOST_AUTO_TEST_CASE(fits_on_edge_cases_are_finite) {
  Tally tally;
  auto runs_at = [](std::vector<double> budgets, std::vector<double> accuracies, long n) {
    fitting::FitInputs inputs;
    for (std::size_t i = 0; i < budgets.size(); ++i) {
      Run run;
      run.run_key = "e" + std::to_string(i);
      run.system = "edge";
      run.task_class = "math";
      run.budget_tokens = budgets[i];
      run.n_problems = n;
      run.n_correct = accuracies[i] * n;
      run.mean_output_tokens = budgets[i] / 2;
      inputs.runs.push_back(run);
    }
    return inputs;
  };
  FitAll(runs_at({1000, 2000, 4000, 8000}, {0, 0, 0, 0}, 30), &tally);              // all wrong
  FitAll(runs_at({1000, 2000, 4000, 8000}, {1, 1, 1, 1}, 30), &tally);              // all right
  FitAll(runs_at({1000, 2000, 4000, 8000}, {1, 0, 1, 0}, 1), &tally);               // one problem, alternating
  FitAll(runs_at({4000, 4000, 4000, 4000}, {0.2, 0.4, 0.6, 0.8}, 100), &tally);     // one budget only
  FitAll(runs_at({1, 2, 4, 8, 16}, {0.1, 0.2, 0.3, 0.4, 0.5}, 10), &tally);        // tiny budgets
  FitAll(runs_at({1e9, 2e9, 4e9, 8e9}, {0.5, 0.6, 0.7, 0.9}, 100000), &tally);     // huge budgets and counts
  FitAll(runs_at({1000, 1001, 1002, 1003}, {0.9, 0.1, 0.9, 0.1}, 1000), &tally);   // noise, no trend
  FitAll(runs_at({1000, 2000, 4000, 8000}, {0.9, 0.7, 0.5, 0.3}, 100), &tally);     // falling with budget
  FitAll(runs_at({1000}, {0.5}, 100), &tally);                                      // one point
  BOOST_TEST_MESSAGE("numerical edge cases: " << tally.fits << " fits, all finite");
}

BOOST_AUTO_TEST_CASE(monte_carlo_is_finite_across_its_valid_range) {
  std::mt19937_64 random(5);
  const double shapes[] = {1e-3, 0.05, 1, 40, 1e5};
  const sim::McAggregation kinds[] = {sim::McAggregation::kPass1, sim::McAggregation::kPassAt,
                                      sim::McAggregation::kConsensus, sim::McAggregation::kBestOf};
  int cases = 0;
  for (double a : shapes) {
    for (double b : shapes) {
      for (sim::McAggregation kind : kinds) {
        sim::McProblemSpec spec;
        spec.beta_a = a;
        spec.beta_b = b;
        spec.aggregation = kind;
        spec.samples = kind == sim::McAggregation::kPass1 ? 1 : std::uniform_int_distribution<int>(1, 64)(random);
        spec.rho = std::uniform_int_distribution<int>(0, 2)(random) / 2.0;  // 0, 0.5, 1
        spec.dprime = std::uniform_real_distribution<double>(0, 8)(random);
        sim::ValidateSpec(spec);
        sim::MonteCarloOptions options;
        options.problems = 2000;
        options.threads = 1;
        const sim::MonteCarloSummary result = sim::RunMonteCarlo(spec, options);
        BOOST_TEST_INFO("a " << a << " b " << b << " kind " << static_cast<int>(kind) << " k " << spec.samples);
        BOOST_TEST(std::isfinite(result.accuracy));
        BOOST_TEST(result.accuracy >= 0.0);
        BOOST_TEST(result.accuracy <= 1.0);
        BOOST_TEST(std::isfinite(result.std_error));
        BOOST_TEST(result.std_error >= 0.0);
        ++cases;
      }
    }
  }
  BOOST_TEST_MESSAGE("numerical: " << cases << " Monte Carlo specs, accuracy in [0, 1] and finite errors");
}

}  // namespace
}  // namespace thinkplan::testing
