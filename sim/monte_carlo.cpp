#include "sim/monte_carlo.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

#include <fmt/format.h>

#include "core/errors.h"

namespace thinkplan::sim {
namespace {

struct ChunkSums {
  double credit = 0;
  double credit_squared = 0;
  uint64_t trials = 0;
};

// The build targets baseline x86-64; the hot loop (eight Philox blocks in vector lanes, branch-free counting) is
// also compiled for AVX2 and picked at load time (flatten: the per-problem code must be inlined into each clone). Integer arithmetic only in the vectorised part, and AVX2 does
// not bring FMA, so both versions give the same bits.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define THINKPLAN_MC_CLONES __attribute__((target_clones("avx2", "default"), flatten))
#else
#define THINKPLAN_MC_CLONES
#endif

THINKPLAN_MC_CLONES ChunkSums SimulateChunk(const McProblemSpec& spec, uint64_t first, uint64_t last) {
  ChunkSums sums;
  for (uint64_t problem = first; problem < last; ++problem) {
    const McProblemOutcome outcome = SimulateProblem(spec, problem);
    sums.credit += outcome.credit;
    sums.credit_squared += outcome.credit * outcome.credit;
    sums.trials += outcome.trials;
  }
  return sums;
}

}  // namespace

bool MonteCarloOptions::IsValid(std::string* error) const {
  if (problems < 2) {
    *error = "problems must be at least 2 (a standard error needs two)";
    return false;
  }
  if (threads < 0) {
    *error = "threads must be 0 (all) or a positive count";
    return false;
  }
  if (chunk < 1) {
    *error = "chunk must be at least 1";
    return false;
  }
  return true;
}

void ValidateSpec(const McProblemSpec& spec) {
  auto fail = [](const char* field, double value, const char* rule) {
    throw InputError({"monte carlo option", 0, field, fmt::format("{}", value)}, rule);
  };
  if (!(spec.beta_a > 0) || !std::isfinite(spec.beta_a)) fail("beta_a", spec.beta_a, "must be a finite number > 0");
  if (!(spec.beta_b > 0) || !std::isfinite(spec.beta_b)) fail("beta_b", spec.beta_b, "must be a finite number > 0");
  if (spec.samples < 1) fail("samples", spec.samples, "must be at least 1");
  if (!(spec.rho >= 0 && spec.rho <= 1)) fail("rho", spec.rho, "must be in [0, 1]");
  if (!std::isfinite(spec.dprime)) fail("dprime", spec.dprime, "must be finite");
  if (spec.aggregation == McAggregation::kPass1 && spec.samples != 1) fail("samples", spec.samples, "pass@1 takes 1 sample");
}

McProblemSpec WithSeed(McProblemSpec spec, uint64_t seed) {
  spec.key0 = static_cast<uint32_t>(seed);
  spec.key1 = static_cast<uint32_t>(seed >> 32);
  return spec;
}

std::vector<double> SimulateCredits(const McProblemSpec& spec, uint64_t seed, uint64_t first, uint64_t count) {
  ValidateSpec(spec);
  const McProblemSpec seeded = WithSeed(spec, seed);
  std::vector<double> credits(count);
  for (uint64_t i = 0; i < count; ++i) credits[i] = SimulateProblem(seeded, first + i).credit;
  return credits;
}

MonteCarloSummary RunMonteCarlo(const McProblemSpec& spec, const MonteCarloOptions& options) {
  std::string error;
  if (!options.IsValid(&error)) throw InputError("monte carlo options: " + error);
  ValidateSpec(spec);
  const McProblemSpec seeded = WithSeed(spec, options.seed);
  const auto start = std::chrono::steady_clock::now();

  const uint64_t chunks = (options.problems + options.chunk - 1) / options.chunk;
  std::vector<ChunkSums> sums(chunks);
  std::atomic<uint64_t> next{0};
  auto worker = [&] {
    for (uint64_t c = next++; c < chunks; c = next++) {
      const uint64_t first = c * options.chunk;
      sums[c] = SimulateChunk(seeded, first, std::min(options.problems, first + options.chunk));
    }
  };
  const unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
  const int threads = static_cast<int>(std::min<uint64_t>(options.threads > 0 ? options.threads : hardware, chunks));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& thread : pool) thread.join();

  ChunkSums total;
  for (const ChunkSums& chunk : sums) {  // in chunk order: the same sum whatever thread computed which chunk
    total.credit += chunk.credit;
    total.credit_squared += chunk.credit_squared;
    total.trials += chunk.trials;
  }
  const double n = static_cast<double>(options.problems);
  MonteCarloSummary summary;
  summary.problems = options.problems;
  summary.accuracy = total.credit / n;
  const double variance = std::max(0.0, (total.credit_squared / n - summary.accuracy * summary.accuracy) * n / (n - 1));
  summary.std_error = std::sqrt(variance / n);
  summary.trials = total.trials;
  summary.threads = threads;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

std::string MonteCarloSummary::BriefReport() const {
  return fmt::format("accuracy {:.4f} +/- {:.4f} (1 s.e.) from {} problems, {} trials, {:.3f} s on {} threads",
                     accuracy, std_error, problems, trials, seconds, threads);
}

}  // namespace thinkplan::sim
