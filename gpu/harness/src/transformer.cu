#include "transformer.cuh"

#include <cmath>

#include "elementwise.cuh"

namespace thinkplan::harness::cuda {
namespace {

// Weights uniform in [-sqrt(3/k), sqrt(3/k)]: unit variance in, unit variance out, so activations stay in range.
float WeightScale(long fan_in) { return std::sqrt(3.0f / static_cast<float>(fan_in)); }

std::size_t LayerElements(const ModelShape& s) { return static_cast<std::size_t>(s.LayerParams()); }

// Split-attention workspace for any decode point of up to `max_batch` sequences. PlanAttention makes at most
// ceil(target / (batch * kv_heads)) splits, so batch * splits <= target / kv_heads + batch.
std::size_t WorkspaceFloats(const ModelShape& s, long max_batch) {
  const long target = 8L * MultiprocessorCount();
  const long slots = target / s.kv_heads + max_batch + 1;
  return static_cast<std::size_t>(slots) * s.heads * (s.head_dim + 2);
}

}  // namespace

Transformer::Transformer(const ModelShape& shape, const MemoryPlan& plan, double kv_bytes, std::uint64_t seed,
                         cudaStream_t stream, cublasHandle_t handle)
    : shape_(shape),
      layers_run_(plan.layers_run),
      token_capacity_(plan.token_capacity),
      logit_rows_(plan.logit_rows),
      stream_(stream),
      handle_(handle),
      weights_(LayerElements(shape) * plan.layers_run + static_cast<std::size_t>(shape.LmHeadParams())),
      x_(static_cast<std::size_t>(plan.token_capacity) * shape.hidden),
      qkv_(static_cast<std::size_t>(plan.token_capacity) * shape.qkv_width()),
      attn_(static_cast<std::size_t>(plan.token_capacity) * shape.q_width()),
      y_(static_cast<std::size_t>(plan.token_capacity) * shape.hidden),
      gate_up_(static_cast<std::size_t>(plan.token_capacity) * 2 * shape.mlp()),
      act_(static_cast<std::size_t>(plan.token_capacity) * shape.mlp()),
      logits_(static_cast<std::size_t>(plan.logit_rows) * shape.vocab),
      kv_(static_cast<std::size_t>(kv_bytes / sizeof(bf16))),
      workspace_(WorkspaceFloats(shape, plan.token_capacity)) {
  std::uint64_t stream_seed = seed;
  for (long l = 0; l < layers_run_; ++l) {
    const LayerWeights w = Layer(l);
    FillRandom(w.qkv, static_cast<std::size_t>(shape_.hidden) * shape_.qkv_width(), ++stream_seed,
               WeightScale(shape_.hidden), stream_);
    FillRandom(w.out, static_cast<std::size_t>(shape_.q_width()) * shape_.hidden, ++stream_seed,
               WeightScale(shape_.q_width()), stream_);
    FillRandom(w.gate_up, static_cast<std::size_t>(shape_.hidden) * 2 * shape_.mlp(),
               ++stream_seed, WeightScale(shape_.hidden), stream_);
    FillRandom(w.down, static_cast<std::size_t>(shape_.mlp()) * shape_.hidden, ++stream_seed,
               WeightScale(shape_.mlp()), stream_);
  }
  if (shape_.vocab > 0) {
    FillRandom(weights_.data() + LayerElements(shape_) * layers_run_, static_cast<std::size_t>(shape_.LmHeadParams()),
               ++stream_seed, WeightScale(shape_.hidden), stream_);
  }
  // Every layer reads the same random hidden state and writes its own outputs: the step moves exactly the
  // bytes a chained model would, and values stay where random weights put them, never drifting to zero.
  FillRandom(x_.data(), x_.size(), ++stream_seed, 1.0f, stream_);
  FillRandom(kv_.data(), kv_.size(), ++stream_seed, 1.0f, stream_);
  THINKPLAN_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

Transformer::LayerWeights Transformer::Layer(long layer) const {
  bf16* base = weights_.data() + LayerElements(shape_) * layer;
  LayerWeights w;
  w.qkv = base;
  w.out = w.qkv + static_cast<std::size_t>(shape_.hidden) * shape_.qkv_width();
  w.gate_up = w.out + static_cast<std::size_t>(shape_.q_width()) * shape_.hidden;
  w.down = w.gate_up + static_cast<std::size_t>(shape_.hidden) * 2 * shape_.mlp();
  return w;
}

bf16* Transformer::KeyCache(long layer, long batch, long cache_len) const {
  const std::size_t per_cache = static_cast<std::size_t>(batch) * shape_.kv_heads * cache_len * shape_.head_dim;
  return kv_.data() + 2 * per_cache * layer;  // K, then V right after it
}

void Transformer::CheckFits(long tokens, long batch, long context) const {
  if (tokens > token_capacity_ || batch > logit_rows_) {
    throw HarnessError("step of " + std::to_string(tokens) + " tokens exceeds the activation buffers");
  }
  const double needed = KvCacheBytes(shape_, layers_run_, batch, context);
  if (needed > static_cast<double>(kv_.bytes())) throw HarnessError("step's KV cache exceeds the allocated cache");
}

void Transformer::EnqueueProjections(const LayerWeights& w, long tokens) {
  const long h = shape_.hidden, m = shape_.mlp();
  Gemm(handle_, attn_.data(), shape_.q_width(), w.out, y_.data(), tokens, h, shape_.q_width());
  Gemm(handle_, y_.data(), h, w.gate_up, gate_up_.data(), tokens, 2 * m, h);
  SiluMul(gate_up_.data(), act_.data(), tokens, m, stream_);
  Gemm(handle_, act_.data(), m, w.down, y_.data(), tokens, h, m);
}

void Transformer::EnqueueAttention(const AttentionArgs& args) {
  const AttentionPlan plan = PlanAttention(args);
  if (plan.workspace_floats > workspace_.size()) throw HarnessError("attention workspace too small for this point");
  LaunchAttention(args, plan, workspace_.data(), stream_);
}

void Transformer::EnqueueDecode(long batch, long context) {
  CheckFits(batch, batch, context);
  const long h = shape_.hidden;
  for (long l = 0; l < layers_run_; ++l) {
    const LayerWeights w = Layer(l);
    Gemm(handle_, x_.data(), h, w.qkv, qkv_.data(), batch, shape_.qkv_width(), h);
    bf16* k_cache = KeyCache(l, batch, context);
    bf16* v_cache = k_cache + static_cast<std::size_t>(batch) * shape_.kv_heads * context * shape_.head_dim;
    AppendKv({qkv_.data(), shape_.qkv_width(), k_cache, v_cache, batch, 1, shape_.heads, shape_.kv_heads,
              shape_.head_dim, context, context - 1},
             stream_);
    AttentionArgs a;
    a.q = qkv_.data();
    a.q_row_stride = shape_.qkv_width();
    a.k = k_cache;
    a.v = v_cache;
    a.cache_len = context;
    a.out = attn_.data();
    a.out_row_stride = shape_.q_width();
    a.batch = static_cast<int>(batch);
    a.n_q = 1;
    a.heads = static_cast<int>(shape_.heads);
    a.kv_heads = static_cast<int>(shape_.kv_heads);
    a.head_dim = static_cast<int>(shape_.head_dim);
    a.kv_len = context;
    a.q_pos0 = context - 1;
    EnqueueAttention(a);
    EnqueueProjections(w, batch);
  }
  if (shape_.vocab > 0) {
    Gemm(handle_, y_.data(), h, weights_.data() + LayerElements(shape_) * layers_run_, logits_.data(), batch,
         shape_.vocab, h);
  }
}

void Transformer::EnqueuePrefill(long batch, long context) {
  const long tokens = batch * context;
  CheckFits(tokens, batch, context);
  const long h = shape_.hidden;
  for (long l = 0; l < layers_run_; ++l) {
    const LayerWeights w = Layer(l);
    Gemm(handle_, x_.data(), h, w.qkv, qkv_.data(), tokens, shape_.qkv_width(), h);
    bf16* k_cache = KeyCache(l, batch, context);
    bf16* v_cache = k_cache + static_cast<std::size_t>(batch) * shape_.kv_heads * context * shape_.head_dim;
    AppendKv({qkv_.data(), shape_.qkv_width(), k_cache, v_cache, batch, context, shape_.heads, shape_.kv_heads,
              shape_.head_dim, context, 0},
             stream_);
    AttentionArgs a;
    a.q = qkv_.data();
    a.q_row_stride = shape_.qkv_width();
    a.k = k_cache;
    a.v = v_cache;
    a.cache_len = context;
    a.out = attn_.data();
    a.out_row_stride = shape_.q_width();
    a.batch = static_cast<int>(batch);
    a.n_q = static_cast<int>(context);
    a.heads = static_cast<int>(shape_.heads);
    a.kv_heads = static_cast<int>(shape_.kv_heads);
    a.head_dim = static_cast<int>(shape_.head_dim);
    a.kv_len = context;
    a.q_pos0 = 0;
    a.causal = true;
    EnqueueAttention(a);
    EnqueueProjections(w, tokens);
  }
  if (shape_.vocab > 0) {
    // Logits for the last position of each sequence: rows context-1, 2*context-1, ... of the last output.
    Gemm(handle_, y_.data() + (context - 1) * h, context * h, weights_.data() + LayerElements(shape_) * layers_run_,
         logits_.data(), batch, shape_.vocab, h);
  }
}

void Transformer::Enqueue(const GridPoint& point) {
  point.phase == Phase::kDecode ? EnqueueDecode(point.batch, point.context)
                                : EnqueuePrefill(point.batch, point.context);
}

}  // namespace thinkplan::harness::cuda
