// A transformer of a given shape with random bf16 weights, resident on the device, that enqueues one decode
// step or one prefill: cuBLAS products for QKV, output and MLP projections and the LM head, the harness's own
// attention over a KV cache, and the small kernels between them.
#pragma once

#include <cstdint>

#include "attention.cuh"
#include "cuda_util.cuh"
#include "thinkplan_harness/grid.h"

namespace thinkplan::harness::cuda {

class Transformer {
 public:
  // Allocates the weights of plan.layers_run layers and the LM head, the activations of plan.token_capacity
  // tokens (plan.logit_rows rows of logits) and a KV cache of `kv_bytes`, all filled with random values.
  // Throws DeviceError when memory runs out.
  Transformer(const ModelShape& shape, const MemoryPlan& plan, double kv_bytes, std::uint64_t seed,
              cudaStream_t stream, cublasHandle_t handle);

  // Enqueue one step on the stream (capturable into a graph). The point must fit what was allocated.
  void EnqueueDecode(long batch, long context);
  void EnqueuePrefill(long batch, long context);
  void Enqueue(const GridPoint& point);

 private:
  struct LayerWeights {
    bf16* qkv;
    bf16* out;
    bf16* gate_up;
    bf16* down;
  };
  LayerWeights Layer(long layer) const;
  // The layer's K and V caches when the cache holds `batch` sequences of `cache_len` positions.
  bf16* KeyCache(long layer, long batch, long cache_len) const;
  // Everything after the attention: output projection and the MLP, for `tokens` rows.
  void EnqueueProjections(const LayerWeights& w, long tokens);
  void EnqueueAttention(const AttentionArgs& args);
  void CheckFits(long tokens, long batch, long context) const;

  ModelShape shape_;
  long layers_run_;
  long token_capacity_;
  long logit_rows_;
  cudaStream_t stream_;
  cublasHandle_t handle_;
  DeviceBuffer<bf16> weights_;
  DeviceBuffer<bf16> x_, qkv_, attn_, y_, gate_up_, act_, logits_;
  DeviceBuffer<bf16> kv_;
  DeviceBuffer<float> workspace_;
};

}  // namespace thinkplan::harness::cuda
