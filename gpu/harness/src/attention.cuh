// The harness's own attention kernel over a KV cache, for decode (one new token per sequence, keys split across
// blocks flash-decoding style, then combined) and for prefill (many queries, causal mask). bf16 in, fp32
// accumulation and softmax, bf16 out; grouped KV heads share every key and value they load.
#pragma once

#include <cstddef>

#include "cuda_util.cuh"

namespace thinkplan::harness::cuda {

// Layouts: query row (b, i) starts at q + (b * n_q + i) * q_row_stride and holds `heads` vectors of head_dim;
// output likewise with out_row_stride; caches are [batch][kv_heads][cache_len][head_dim]. Query i sits at
// position q_pos0 + i and, with `causal`, sees keys 0..q_pos0 + i; without it, all kv_len keys.
struct AttentionArgs {
  const bf16* q = nullptr;
  long q_row_stride = 0;
  const bf16* k = nullptr;
  const bf16* v = nullptr;
  long cache_len = 0;
  bf16* out = nullptr;
  long out_row_stride = 0;
  int batch = 0;
  int n_q = 0;
  int heads = 0;
  int kv_heads = 0;
  int head_dim = 0;
  long kv_len = 0;
  long q_pos0 = 0;
  bool causal = false;
};

// How one call is spread over the device.
struct AttentionPlan {
  bool prefill = false;     // the many-query kernel (n_q > 1)
  int row_blocks = 0;       // blocks of query rows (heads of a group x query positions) per (batch, kv head)
  int splits = 1;           // key ranges per row block; > 1 needs the workspace and a combine pass
  long keys_per_split = 0;
  std::size_t workspace_floats = 0;
};

bool AttentionSupportsHeadDim(int head_dim);  // 64, 128, 256

// `target_blocks`: enough blocks to fill the device several times over (0: eight per multiprocessor).
AttentionPlan PlanAttention(const AttentionArgs& args, int target_blocks = 0);

// Enqueues the attention (and the combine pass when split). `workspace` holds plan.workspace_floats floats.
void LaunchAttention(const AttentionArgs& args, const AttentionPlan& plan, float* workspace, cudaStream_t stream);

}  // namespace thinkplan::harness::cuda
