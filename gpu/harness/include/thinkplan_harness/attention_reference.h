// The float64 reference for the attention kernels (GPU and CPU): softmax(q k^T / sqrt(d)) v per query row,
// with grouped KV heads and an optional causal mask. Deliberately the plainest loop there is.
#pragma once

#include <string>
#include <vector>

namespace thinkplan::harness {

// Dense layouts: q and out [batch][n_q][heads][head_dim]; k and v [batch][kv_heads][kv_len][head_dim].
// Query i of a sequence sits at position q_pos0 + i; with `causal` it sees keys 0..q_pos0 + i, else all keys.
struct AttentionProblem {
  long batch = 1;
  long n_q = 1;
  long heads = 1;
  long kv_heads = 1;
  long head_dim = 64;
  long kv_len = 1;
  long q_pos0 = 0;
  bool causal = false;
  bool IsValid(std::string* error) const;
  long q_size() const { return batch * n_q * heads * head_dim; }
  long kv_size() const { return batch * kv_heads * kv_len * head_dim; }
};

std::vector<double> ReferenceAttention(const AttentionProblem& problem, const std::vector<float>& q,
                                       const std::vector<float>& k, const std::vector<float>& v);

// ||out - ref||_2 / ||ref||_2; +infinity when `out` holds a NaN or an infinity (an unwritten element counts).
double RelativeError(const std::vector<double>& reference, const std::vector<float>& out);

}  // namespace thinkplan::harness
