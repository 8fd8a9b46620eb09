// The Monte Carlo accuracy engine: estimates the accuracy of an option (samples, aggregation, verifier) on a
// class whose per-problem success probability follows Beta(a, b), by simulating problems one by one.
// Results depend only on the seed: not on the thread count, and not on CPU vs GPU (gpu/ runs the same
// per-problem code, sim/monte_carlo_problem.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/monte_carlo_problem.h"

namespace thinkplan::sim {

struct MonteCarloOptions {
  uint64_t seed = 1;
  // Problems simulated. Default 1,000,000: a standard error of at most 0.0005 on an accuracy.
  uint64_t problems = 1'000'000;
  // Worker threads; 0 = all hardware threads. The result does not depend on it.
  int threads = 0;
  // Problems per reduction chunk. Chunk sums are added in chunk order, which is what makes the result
  // independent of the thread count. Default 4096.
  uint64_t chunk = 4096;

  bool IsValid(std::string* error) const;
};

struct MonteCarloSummary {
  double accuracy = 0;
  double std_error = 0;   // of the accuracy estimate
  uint64_t problems = 0;
  uint64_t trials = 0;    // Bernoulli trials (samples scored)
  double seconds = 0;
  int threads = 0;

  std::string BriefReport() const;
};

// Checks the spec (a, b > 0, samples >= 1, rho in [0, 1], finite d') and throws InputError naming the field.
void ValidateSpec(const McProblemSpec& spec);

// Sets key0/key1 of `spec` from the seed.
McProblemSpec WithSeed(McProblemSpec spec, uint64_t seed);

MonteCarloSummary RunMonteCarlo(const McProblemSpec& spec, const MonteCarloOptions& options);

// The per-problem credits in order, single-threaded: what the GPU kernel is compared with bit for bit.
std::vector<double> SimulateCredits(const McProblemSpec& spec, uint64_t seed, uint64_t first, uint64_t count);

}  // namespace thinkplan::sim
