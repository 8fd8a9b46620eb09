// The CPU path of the measurement (`thinkplan measure --device cpu`): the same decode and prefill steps as the
// CUDA harness, in fp32 with Eigen matrix products and a plain attention loop, for small shapes, so that the
// pipeline from measurement to ingest and fit runs on every machine.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <vector>

#include "thinkplan_harness/options.h"
#include "thinkplan_harness/summary.h"

namespace thinkplan::gpu {

// The CPU twin of the CUDA attention kernel, same layouts (harness attention.cuh): query row (b, i) at
// q + (b * n_q + i) * q_row_stride holding `heads` vectors; caches [batch][kv_heads][cache_len][head_dim].
struct CpuAttentionArgs {
  const float* q = nullptr;
  long q_row_stride = 0;
  const float* k = nullptr;
  const float* v = nullptr;
  long cache_len = 0;
  float* out = nullptr;
  long out_row_stride = 0;
  long batch = 0;
  long n_q = 0;
  long heads = 0;
  long kv_heads = 0;
  long head_dim = 0;
  long kv_len = 0;
  long q_pos0 = 0;
  bool causal = false;
};
void CpuAttention(const CpuAttentionArgs& args);

// The CPU attention against the float64 reference on fresh random inputs, output poisoned first.
std::vector<harness::CheckResult> RunCpuChecks(std::uint64_t seed);

// Ceilings (memcpy bandwidth, Eigen fp32 matrix rate), checks, then every model over the grid, in fp32.
// Throws harness::HarnessError on bad options.
harness::HarnessSummary RunCpuMeasurement(const harness::HarnessOptions& options, std::ostream* progress);

}  // namespace thinkplan::gpu
