#include "sim/monte_carlo.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <fmt/format.h>

#include "core/errors.h"
#include "core/timing.h"

namespace thinkplan::sim {
namespace {

struct ChunkSums {
  double credit = 0;
  double credit_squared = 0;
  uint64_t trials = 0;
};

template <class Philox8>
ChunkSums SimulateChunkWith(const McProblemSpec& spec, uint64_t first, uint64_t last, Philox8 philox8) {
  ChunkSums sums;
  for (uint64_t problem = first; problem < last; ++problem) {
    const McProblemOutcome outcome = SimulateProblem(spec, problem, philox8);
    sums.credit += outcome.credit;
    sums.credit_squared += outcome.credit * outcome.credit;
    sums.trials += outcome.trials;
  }
  return sums;
}

// The build targets baseline x86-64, whose vector multiply cannot run eight Philox blocks well, and the
// compiler's own AVX2 version of Philox4x32_10x8 spends most of its time shuffling. So where the CPU has AVX2 the
// chunk loop is compiled for it (flatten: the per-problem code must be inlined into it) with a hand-written
// 8-lane Philox. The vector part is integer arithmetic, and AVX2 does not bring FMA, so the bits are the same.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define THINKPLAN_MC_AVX2 1

// Philox4x32-10 on eight counters in the eight 32-bit lanes of a 256-bit register. A 32x32->64 multiply
// (vpmuludq) covers the even lanes; the odd lanes are shifted down, multiplied, and both are blended back.
struct Avx2Philox8 {
  __attribute__((target("avx2"))) static void MulHiLo(__m256i x, __m256i multiplier, __m256i* hi, __m256i* lo) {
    const __m256i even = _mm256_mul_epu32(x, multiplier);
    const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(x, 32), multiplier);
    *hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
    *lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  }

  __attribute__((target("avx2"))) void operator()(uint32_t c0, uint32_t c1, uint32_t first, uint32_t c3,
                                                  uint32_t key0, uint32_t key1, uint32_t out[4][8]) const {
    const __m256i mul0 = _mm256_set1_epi64x(0xD2511F53), mul1 = _mm256_set1_epi64x(0xCD9E8D57);
    __m256i x0 = _mm256_set1_epi32(static_cast<int>(c0)), x1 = _mm256_set1_epi32(static_cast<int>(c1));
    __m256i x2 =
        _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(first)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256i x3 = _mm256_set1_epi32(static_cast<int>(c3));
    for (int round = 0; round < 10; ++round) {
      if (round > 0) {
        key0 += 0x9E3779B9u;
        key1 += 0xBB67AE85u;
      }
      __m256i hi0, lo0, hi1, lo1;
      MulHiLo(x0, mul0, &hi0, &lo0);
      MulHiLo(x2, mul1, &hi1, &lo1);
      x0 = _mm256_xor_si256(_mm256_xor_si256(hi1, x1), _mm256_set1_epi32(static_cast<int>(key0)));
      x2 = _mm256_xor_si256(_mm256_xor_si256(hi0, x3), _mm256_set1_epi32(static_cast<int>(key1)));
      x1 = lo1;
      x3 = lo0;
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out[0]), x0);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out[1]), x1);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out[2]), x2);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out[3]), x3);
  }
};

__attribute__((target("avx2"), flatten)) ChunkSums SimulateChunkAvx2(const McProblemSpec& spec, uint64_t first,
                                                                     uint64_t last) {
  return SimulateChunkWith(spec, first, last, Avx2Philox8{});
}
#endif

ChunkSums SimulateChunk(const McProblemSpec& spec, uint64_t first, uint64_t last) {
#ifdef THINKPLAN_MC_AVX2
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return SimulateChunkAvx2(spec, first, last);
#endif
  return SimulateChunkWith(spec, first, last, PortablePhilox8{});
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
  if (spec.family == McDifficulty::kLogitNormal &&
      (!std::isfinite(spec.logit_mu) || !(spec.logit_sigma > 0) || !std::isfinite(spec.logit_sigma))) {
    fail("logit_sigma", spec.logit_sigma, "a logit-normal needs a finite mu and a finite sigma > 0");
  }
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
  const Stopwatch start;

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
  summary.seconds = start.Seconds();
  return summary;
}

std::string MonteCarloSummary::BriefReport() const {
  return fmt::format("accuracy {:.4f} +/- {:.4f} (1 s.e.) from {} problems, {} trials, {:.3f} s on {} threads",
                     accuracy, std_error, problems, trials, seconds, threads);
}

}  // namespace thinkplan::sim
