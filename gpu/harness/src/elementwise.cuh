// The small kernels around the matrix products and attention: random fills, poisoning, writing new keys and
// values into the cache, and the gated MLP's activation.
#pragma once

#include <cstdint>

#include "cuda_util.cuh"

namespace thinkplan::harness::cuda {

// Uniform values in [-scale, scale] from a counter-based hash of (seed, index): any size, any order, no state.
void FillRandom(bf16* data, std::size_t count, std::uint64_t seed, float scale, cudaStream_t stream);
void FillBits(bf16* data, std::size_t count, std::uint16_t bits, cudaStream_t stream);
void FillFloat(float* data, std::size_t count, float value, cudaStream_t stream);

// Copies the K and V parts of `n_new` QKV rows per sequence (row t = b * n_new + i, `qkv_stride` elements
// apart, K at column heads*head_dim, V after it) into the caches [batch][kv_heads][cache_len][head_dim] at
// positions pos0 + i.
struct AppendArgs {
  const bf16* qkv = nullptr;
  long qkv_stride = 0;
  bf16* k_cache = nullptr;
  bf16* v_cache = nullptr;
  long batch = 0;
  long n_new = 0;
  long heads = 0;
  long kv_heads = 0;
  long head_dim = 0;
  long cache_len = 0;
  long pos0 = 0;
};
void AppendKv(const AppendArgs& args, cudaStream_t stream);

// out[t][i] = silu(gate_up[t][i]) * gate_up[t][width + i] for `tokens` rows.
void SiluMul(const bf16* gate_up, bf16* out, long tokens, long width, cudaStream_t stream);

}  // namespace thinkplan::harness::cuda
