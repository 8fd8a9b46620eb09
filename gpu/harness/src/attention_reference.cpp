#include "thinkplan_harness/attention_reference.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "thinkplan_harness/model_shape.h"

namespace thinkplan::harness {

bool AttentionProblem::IsValid(std::string* error) const {
  const auto fail = [&](const char* why) {
    if (error) *error = why;
    return false;
  };
  if (batch < 1 || n_q < 1 || heads < 1 || kv_heads < 1 || head_dim < 1 || kv_len < 1 || q_pos0 < 0) {
    return fail("attention problem: sizes must be >= 1 and q_pos0 >= 0");
  }
  if (heads % kv_heads != 0) return fail("attention problem: heads must be a multiple of kv_heads");
  if (causal && q_pos0 + n_q > kv_len) return fail("attention problem: causal queries past the end of the cache");
  return true;
}

std::vector<double> ReferenceAttention(const AttentionProblem& p, const std::vector<float>& q,
                                       const std::vector<float>& k, const std::vector<float>& v) {
  if (std::string error; !p.IsValid(&error)) throw HarnessError(error);
  if (static_cast<long>(q.size()) != p.q_size() || static_cast<long>(k.size()) != p.kv_size() ||
      static_cast<long>(v.size()) != p.kv_size()) {
    throw HarnessError("attention reference: input sizes do not match the problem");
  }
  const long d = p.head_dim;
  const long group = p.heads / p.kv_heads;
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  std::vector<double> out(q.size());
  std::vector<double> scores(p.kv_len);
  for (long b = 0; b < p.batch; ++b) {
    for (long i = 0; i < p.n_q; ++i) {
      const long visible = p.causal ? p.q_pos0 + i + 1 : p.kv_len;
      for (long h = 0; h < p.heads; ++h) {
        const long kvh = h / group;
        const float* qrow = &q[((b * p.n_q + i) * p.heads + h) * d];
        const float* kbase = &k[(b * p.kv_heads + kvh) * p.kv_len * d];
        const float* vbase = &v[(b * p.kv_heads + kvh) * p.kv_len * d];
        double largest = -std::numeric_limits<double>::infinity();
        for (long j = 0; j < visible; ++j) {
          double dot = 0;
          for (long c = 0; c < d; ++c) dot += static_cast<double>(qrow[c]) * kbase[j * d + c];
          scores[j] = dot * scale;
          largest = std::max(largest, scores[j]);
        }
        double total = 0;
        for (long j = 0; j < visible; ++j) {
          scores[j] = std::exp(scores[j] - largest);
          total += scores[j];
        }
        double* orow = &out[((b * p.n_q + i) * p.heads + h) * d];
        for (long c = 0; c < d; ++c) {
          double acc = 0;
          for (long j = 0; j < visible; ++j) acc += scores[j] * vbase[j * d + c];
          orow[c] = acc / total;
        }
      }
    }
  }
  return out;
}

double RelativeError(const std::vector<double>& reference, const std::vector<float>& out) {
  if (reference.size() != out.size()) return std::numeric_limits<double>::infinity();
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!std::isfinite(out[i])) return std::numeric_limits<double>::infinity();
    const double e = static_cast<double>(out[i]) - reference[i];
    diff += e * e;
    norm += reference[i] * reference[i];
  }
  return norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

}  // namespace thinkplan::harness
