// Monte Carlo engine throughput: Bernoulli trials (samples scored) per second on one core and on all cores,
// for the aggregations the planner uses. Usage: bench_monte_carlo [problems]
#include <cstdio>
#include <cstdlib>

#include "sim/monte_carlo.h"

using namespace thinkplan::sim;

int main(int argc, char** argv) {
  const uint64_t problems = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 400000;
  struct Case {
    const char* name;
    McProblemSpec spec;
  };
  auto spec = [](int samples, McAggregation aggregation, double dprime, double rho) {
    McProblemSpec s;
    s.beta_a = 0.4;
    s.beta_b = 0.6;
    s.samples = samples;
    s.aggregation = aggregation;
    s.dprime = dprime;
    s.rho = rho;
    return s;
  };
  const Case cases[] = {
      {"cons@64 (rho 0.5)", spec(64, McAggregation::kConsensus, 0, 0.5)},
      {"cons@256 (rho 0)", spec(256, McAggregation::kConsensus, 0, 0.0)},
      {"pass@64", spec(64, McAggregation::kPassAt, 0, 0)},
      {"best@16 (d'=1)", spec(16, McAggregation::kBestOf, 1.0, 0)},
  };
  std::printf("%-20s %8s %12s %14s %10s\n", "option", "threads", "accuracy", "trials/s", "seconds");
  for (const Case& c : cases) {
    for (int threads : {1, 0}) {
      MonteCarloOptions options;
      options.problems = problems;
      options.threads = threads;
      const MonteCarloSummary s = RunMonteCarlo(c.spec, options);
      std::printf("%-20s %8d %12.5f %14.3e %10.3f\n", c.name, s.threads, s.accuracy,
                  static_cast<double>(s.trials) / s.seconds, s.seconds);
    }
  }
  return 0;
}
