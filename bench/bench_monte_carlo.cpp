// Monte Carlo engine throughput: Bernoulli trials (samples scored) per CPU-second, for the aggregations the
// planner uses. CPU time rather than wall time, because a shared machine's other load would otherwise show up as
// a slower engine: one thread is timed by its own thread clock, all threads by the process's CPU time (so the
// figure is per core). Each case runs several times; best and median are reported.
// Problems per CPU-second (median) are printed too: the unit bench/monte_carlo_vs_numpy.sh compares, since an
// engine that stops early (pass@k at the first right sample) scores fewer trials for the same answer.
// Usage: bench_monte_carlo [problems] [repeats] [--one-thread]   (--one-thread: skip the all-threads rows)
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "sim/monte_carlo.h"

using namespace thinkplan::sim;

namespace {

double CpuSeconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t problems = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 400000;
  const int repeats = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  const bool one_thread = argc > 3 && std::string(argv[3]) == "--one-thread";
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
  std::printf("%-20s %8s %12s %16s %16s %18s %10s\n", "option", "threads", "accuracy", "best trials/cpu-s",
              "median trials/cpu-s", "median problems/cpu-s", "wall s");
  for (const Case& c : cases) {
    for (int threads : {1, 0}) {
      if (one_thread && threads != 1) continue;
      MonteCarloOptions options;
      options.problems = problems;
      options.threads = threads;
      // One thread runs on the calling thread, so its thread clock is exact; otherwise the process clock.
      const clockid_t clock = threads == 1 ? CLOCK_THREAD_CPUTIME_ID : CLOCK_PROCESS_CPUTIME_ID;
      std::vector<double> rates, problem_rates;
      MonteCarloSummary s;
      for (int r = 0; r < repeats; ++r) {
        const double start = CpuSeconds(clock);
        s = RunMonteCarlo(c.spec, options);
        const double cpu = CpuSeconds(clock) - start;
        rates.push_back(static_cast<double>(s.trials) / cpu);
        problem_rates.push_back(static_cast<double>(problems) / cpu);
      }
      std::sort(rates.begin(), rates.end());
      std::sort(problem_rates.begin(), problem_rates.end());
      std::printf("%-20s %8d %12.5f %16.3e %16.3e %18.3e %10.3f\n", c.name, s.threads, s.accuracy, rates.back(),
                  rates[rates.size() / 2], problem_rates[problem_rates.size() / 2], s.seconds);
    }
  }
  return 0;
}
