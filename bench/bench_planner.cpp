// The planner's budget allocation (planner/allocation.h) on a large random instance: CLASSES classes of OPTIONS
// options each (seeded), solved REPEAT times by the hull walk; prints the median and best time and the optimum,
// and writes the same LP to a file for bench/planner_vs_scipy.py. Format of the file, one number per field:
//   line 1: classes options budget
//   then per class: volume value, followed by OPTIONS lines "cost accuracy".
//
//   bench_planner [--classes 1000] [--options 200] [--seed 42] [--repeat 7] [--lp FILE]
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <time.h>
#include <vector>

#include "planner/allocation.h"

using thinkplan::planner::AllocationResult;
using thinkplan::planner::ClassOptions;
using thinkplan::planner::MaximiseAccuracy;

namespace {

struct Args {
  long classes = 1000;
  long options = 200;
  unsigned seed = 42;
  int repeat = 7;
  std::string lp;
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n", flag.c_str());
      std::exit(1);
    }
    const char* value = argv[++i];
    if (flag == "--classes") a.classes = std::atol(value);
    else if (flag == "--options") a.options = std::atol(value);
    else if (flag == "--seed") a.seed = static_cast<unsigned>(std::atol(value));
    else if (flag == "--repeat") a.repeat = std::atoi(value);
    else if (flag == "--lp") a.lp = value;
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      std::exit(1);
    }
  }
  if (a.classes < 1 || a.options < 1 || a.repeat < 1) {
    std::fprintf(stderr, "--classes, --options and --repeat must be >= 1\n");
    std::exit(1);
  }
  return a;
}

// Options shaped like real ones: accuracy rising with the log of cost along a class-specific sigmoid, with noise,
// so that each class's upper hull keeps a realistic number of points and many options sit below it.
std::vector<ClassOptions> Instance(const Args& a, double* budget) {
  std::mt19937_64 rng(a.seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> noise(0.0, 0.35);
  std::vector<ClassOptions> classes(static_cast<std::size_t>(a.classes));
  double cheapest = 0, dearest = 0;
  for (long i = 0; i < a.classes; ++i) {
    ClassOptions& c = classes[static_cast<std::size_t>(i)];
    c.name = "c" + std::to_string(i);
    c.volume = std::round(std::exp(std::log(100.0) + unit(rng) * std::log(1000.0)));  // 100 .. 100,000 queries
    c.value = 0.01 + unit(rng);
    const double midpoint = -7 + 4 * unit(rng), slope = 0.5 + unit(rng);
    double low = INFINITY, best_accuracy = -1, best_cost = 0;
    for (long j = 0; j < a.options; ++j) {
      const double log_cost = -9 + 8 * unit(rng);  // 1.2e-4 .. 0.37 USD per query
      const double accuracy = 1 / (1 + std::exp(-(slope * (log_cost - midpoint) + noise(rng))));
      c.options.push_back({std::exp(log_cost), accuracy});
      low = std::min(low, std::exp(log_cost));
      if (accuracy > best_accuracy) best_accuracy = accuracy, best_cost = std::exp(log_cost);
    }
    cheapest += c.volume * low;
    dearest += c.volume * best_cost;
  }
  // A budget part-way between the cheapest plan and the most accurate one, so the walk stops mid-frontier.
  *budget = cheapest + 0.35 * (std::max(dearest, cheapest) - cheapest);
  return classes;
}

void WriteLp(const std::string& path, const std::vector<ClassOptions>& classes, double budget) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) {
    std::fprintf(stderr, "cannot write %s: %s\n", path.c_str(), std::strerror(errno));
    std::exit(2);
  }
  std::fprintf(f, "%zu %zu %.17g\n", classes.size(), classes.front().options.size(), budget);
  for (const ClassOptions& c : classes) {
    std::fprintf(f, "%.17g %.17g\n", c.volume, c.value);
    for (const auto& o : c.options) std::fprintf(f, "%.17g %.17g\n", o.cost, o.accuracy);
  }
  std::fclose(f);
}

// CPU time of this process (one thread), so that a loaded machine does not inflate the figure as wall time does.
double ProcessCpuMs() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = Parse(argc, argv);
  double budget = 0;
  const std::vector<ClassOptions> classes = Instance(args, &budget);
  std::vector<double> ms, cpu_ms;
  AllocationResult result;
  for (int r = 0; r < args.repeat; ++r) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = ProcessCpuMs();
    result = MaximiseAccuracy(classes, budget);
    cpu_ms.push_back(ProcessCpuMs() - cpu_start);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  std::sort(cpu_ms.begin(), cpu_ms.end());
  if (!result.feasible) {
    std::fprintf(stderr, "infeasible: %s\n", result.reason.c_str());
    return 3;
  }
  long split = 0;
  for (const auto& c : result.classes) split += c.shares.size() > 1;
  if (!args.lp.empty()) WriteLp(args.lp, classes, budget);
  std::printf("{\"classes\": %ld, \"options\": %ld, \"seed\": %u, \"budget\": %.17g, \"objective\": %.17g, "
              "\"spend\": %.17g, \"split_classes\": %ld, \"frontier_points\": %zu, \"median_ms\": %.4f, "
              "\"best_ms\": %.4f, \"median_cpu_ms\": %.4f, \"repeat\": %d}\n",
              args.classes, args.options, args.seed, budget, result.objective, result.spend, split,
              result.frontier.size(), ms[ms.size() / 2], ms.front(), cpu_ms[cpu_ms.size() / 2], args.repeat);
  return 0;
}
