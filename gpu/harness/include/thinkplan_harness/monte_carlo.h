// The Monte Carlo accuracy engine on a CUDA device: one thread per simulated problem, running the same
// per-problem code as the CPU engine (sim/monte_carlo_problem.h) on the same Philox streams, so that the credits
// agree bit for bit. Plain C++ header: no CUDA types.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/monte_carlo_problem.h"

namespace thinkplan::harness {

struct McDeviceResult {
  std::vector<double> credits;  // per problem, in order (empty unless asked for)
  double credit_sum = 0;        // summed on the host in problem order from per-block sums
  uint64_t trials = 0;          // Bernoulli trials (samples scored)
  double kernel_seconds = 0;    // CUDA-event time of the kernel alone
};

// Simulates problems first .. first + count - 1 with `spec` (keys already set). Throws DeviceError on a CUDA
// failure and HarnessError when no device is usable.
McDeviceResult RunMonteCarloOnDevice(const sim::McProblemSpec& spec, uint64_t first, uint64_t count,
                                     bool keep_credits);

// The bit-for-bit comparison and the throughput comparison, for one option: the device's credits for `check`
// problems against the CPU's (same header, one core), then trials per second on the device for `problems`
// problems against one CPU core for `cpu_problems`.
struct McCheckResult {
  std::string option;
  uint64_t checked = 0;
  uint64_t mismatches = 0;  // problems whose credit differs in any bit
  double device_trials_per_s = 0;
  double cpu_trials_per_s = 0;  // one core
  double device_accuracy = 0;
  std::string Line() const;
};
McCheckResult CheckMonteCarlo(const std::string& name, const sim::McProblemSpec& spec, uint64_t check,
                              uint64_t problems, uint64_t cpu_problems);

}  // namespace thinkplan::harness
