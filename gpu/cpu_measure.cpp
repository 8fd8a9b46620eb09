#include "gpu/cpu_measure.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <ostream>
#include <random>
#include <sstream>

#include "core/timing.h"
#include "thinkplan_harness/attention_reference.h"
#include "thinkplan_harness/grid.h"
#include "thinkplan_harness/system_info.h"

namespace thinkplan::gpu {
namespace {

using harness::CheckResult;
using harness::GridPoint;
using harness::HarnessOptions;
using harness::HarnessSummary;
using harness::MemoryPlan;
using harness::ModelShape;
using harness::Phase;
using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// Uniform in [-scale, scale] from a splitmix64 stream: fast enough for gigabytes, reproducible from the seed.
void FillRandom(float* data, std::size_t count, std::uint64_t seed, float scale) {
  std::uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
  for (std::size_t i = 0; i < count; ++i) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    data[i] = (2.0f * static_cast<float>(z >> 40) * (1.0f / 16777216.0f) - 1.0f) * scale;
  }
}

RowMatrix RandomMatrix(long rows, long cols, std::uint64_t seed, float scale) {
  RowMatrix m(rows, cols);
  FillRandom(m.data(), static_cast<std::size_t>(m.size()), seed, scale);
  return m;
}

struct Timing {
  double median_ms = 0;
  double spread = 0;
};

template <typename Step>
Timing TimeSteps(int warmup, int repeats, Step&& step) {
  for (int i = 0; i < warmup; ++i) step();
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const Stopwatch stopwatch;
    step();
    times.push_back(stopwatch.Milliseconds());
  }
  return {harness::Median(times), harness::RelativeSpread(times)};
}

// The CPU model: the same layers, caches and step structure as the CUDA Transformer, in fp32.
class CpuTransformer {
 public:
  CpuTransformer(const ModelShape& shape, const MemoryPlan& plan, double kv_bytes, std::uint64_t seed)
      : s_(shape), layers_run_(plan.layers_run) {
    const auto scale = [](long fan_in) { return std::sqrt(3.0f / static_cast<float>(fan_in)); };
    for (long l = 0; l < layers_run_; ++l) {
      layers_.push_back({RandomMatrix(s_.hidden, s_.qkv_width(), ++seed, scale(s_.hidden)),
                         RandomMatrix(s_.q_width(), s_.hidden, ++seed, scale(s_.q_width())),
                         RandomMatrix(s_.hidden, 2 * s_.mlp(), ++seed, scale(s_.hidden)),
                         RandomMatrix(s_.mlp(), s_.hidden, ++seed, scale(s_.mlp()))});
    }
    if (s_.vocab > 0) lm_head_ = RandomMatrix(s_.hidden, s_.vocab, ++seed, scale(s_.hidden));
    const long tokens = plan.token_capacity;
    x_ = RandomMatrix(tokens, s_.hidden, ++seed, 1.0f);
    qkv_.resize(tokens, s_.qkv_width());
    attn_.resize(tokens, s_.q_width());
    y_.resize(tokens, s_.hidden);
    gate_up_.resize(tokens, 2 * s_.mlp());
    act_.resize(tokens, s_.mlp());
    logits_.resize(std::max(1L, plan.logit_rows), std::max(1L, s_.vocab));
    kv_.resize(static_cast<std::size_t>(kv_bytes / sizeof(float)));
    FillRandom(kv_.data(), kv_.size(), ++seed, 1.0f);
  }

  void Run(const GridPoint& p) {
    const bool decode = p.phase == Phase::kDecode;
    const long tokens = decode ? p.batch : p.batch * p.context;
    const long n_new = decode ? 1 : p.context;
    const long pos0 = decode ? p.context - 1 : 0;
    const std::size_t per_cache = static_cast<std::size_t>(p.batch) * s_.kv_heads * p.context * s_.head_dim;
    for (long l = 0; l < layers_run_; ++l) {
      const Layer& w = layers_[l];
      qkv_.topRows(tokens).noalias() = x_.topRows(tokens) * w.qkv;
      float* k_cache = kv_.data() + 2 * per_cache * l;
      float* v_cache = k_cache + per_cache;
      Append(k_cache, v_cache, p.batch, n_new, p.context, pos0);
      CpuAttentionArgs a{qkv_.data(), s_.qkv_width(), k_cache, v_cache, p.context, attn_.data(), s_.q_width(),
                         p.batch, n_new, s_.heads, s_.kv_heads, s_.head_dim, p.context, pos0, !decode};
      CpuAttention(a);
      y_.topRows(tokens).noalias() = attn_.topRows(tokens) * w.out;
      gate_up_.topRows(tokens).noalias() = y_.topRows(tokens) * w.gate_up;
      const long m = s_.mlp();
      for (long t = 0; t < tokens; ++t) {
        for (long i = 0; i < m; ++i) {
          const float g = gate_up_(t, i);
          act_(t, i) = g / (1.0f + std::exp(-g)) * gate_up_(t, m + i);
        }
      }
      y_.topRows(tokens).noalias() = act_.topRows(tokens) * w.down;
    }
    if (s_.vocab > 0) {
      // Logits for the last token of each sequence (decode: every row is one).
      for (long b = 0; b < p.batch; ++b) {
        logits_.row(b).noalias() = y_.row(decode ? b : b * p.context + p.context - 1) * lm_head_;
      }
    }
  }

 private:
  struct Layer {
    RowMatrix qkv, out, gate_up, down;
  };

  void Append(float* k_cache, float* v_cache, long batch, long n_new, long cache_len, long pos0) {
    const long d = s_.head_dim;
    for (long b = 0; b < batch; ++b) {
      for (long i = 0; i < n_new; ++i) {
        const float* row = qkv_.data() + (b * n_new + i) * s_.qkv_width();
        for (long kvh = 0; kvh < s_.kv_heads; ++kvh) {
          const std::size_t slot = static_cast<std::size_t>(((b * s_.kv_heads + kvh) * cache_len + pos0 + i) * d);
          std::memcpy(k_cache + slot, row + (s_.heads + kvh) * d, d * sizeof(float));
          std::memcpy(v_cache + slot, row + (s_.heads + s_.kv_heads + kvh) * d, d * sizeof(float));
        }
      }
    }
  }

  ModelShape s_;
  long layers_run_;
  std::vector<Layer> layers_;
  RowMatrix lm_head_, x_, qkv_, attn_, y_, gate_up_, act_, logits_;
  std::vector<float> kv_;
};

harness::Ceilings MeasureCpuCeilings(int repeats, std::uint64_t seed) {
  harness::Ceilings c;
  c.repeats = repeats;
  const std::size_t floats = (std::size_t{256} << 20) / sizeof(float);  // 256 MiB: far past the caches
  std::vector<float> source(floats), target(floats);
  FillRandom(source.data(), floats, seed, 1.0f);
  const Timing copy = TimeSteps(1, repeats, [&] { std::memcpy(target.data(), source.data(), floats * 4); });
  c.copy_gb_per_s = 2.0 * floats * sizeof(float) / (copy.median_ms * 1e-3) / 1e9;
  c.copy_buffer_gib = floats * sizeof(float) / kGiB;
  constexpr long kN = 512;
  const RowMatrix a = RandomMatrix(kN, kN, seed + 1, 1.0f), b = RandomMatrix(kN, kN, seed + 2, 1.0f);
  RowMatrix product(kN, kN);
  const Timing gemm = TimeSteps(1, repeats, [&] { product.noalias() = a * b; });
  c.matrix_tflops = 2.0 * kN * kN * kN / (gemm.median_ms * 1e-3) / 1e12;
  c.matrix_shape = "512x512x512";
  c.matrix_dtype = "fp32";
  return c;
}

harness::DeviceInfo CpuDeviceInfo(const std::string& hardware) {
  harness::DeviceInfo info;
  info.kind = "cpu";
  info.name = harness::CpuModelName();
  info.hardware = hardware.empty() ? info.name : hardware;
  info.memory_gib = harness::SystemMemoryGib();
  info.multiprocessors = Eigen::nbThreads();
  std::ostringstream library;
  library << "Eigen " << EIGEN_WORLD_VERSION << "." << EIGEN_MAJOR_VERSION << "." << EIGEN_MINOR_VERSION;
  info.library = library.str();
  return info;
}

void Say(std::ostream* progress, const std::string& line) {
  if (progress) *progress << line << "\n";
}

}  // namespace

void CpuAttention(const CpuAttentionArgs& a) {
  const long d = a.head_dim;
  const long group = a.heads / a.kv_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  std::vector<float> scores(static_cast<std::size_t>(a.kv_len));
  for (long b = 0; b < a.batch; ++b) {
    for (long i = 0; i < a.n_q; ++i) {
      const long visible = a.causal ? std::min(a.kv_len, a.q_pos0 + i + 1) : a.kv_len;
      for (long h = 0; h < a.heads; ++h) {
        const float* q = a.q + (b * a.n_q + i) * a.q_row_stride + h * d;
        const std::size_t cache = static_cast<std::size_t>((b * a.kv_heads + h / group) * a.cache_len * d);
        const float* k = a.k + cache;
        const float* v = a.v + cache;
        float largest = -std::numeric_limits<float>::infinity();
        for (long j = 0; j < visible; ++j) {
          float dot = 0;
          for (long c = 0; c < d; ++c) dot += q[c] * k[j * d + c];
          scores[j] = dot * scale;
          largest = std::max(largest, scores[j]);
        }
        float total = 0;
        for (long j = 0; j < visible; ++j) total += (scores[j] = std::exp(scores[j] - largest));
        float* out = a.out + (b * a.n_q + i) * a.out_row_stride + h * d;
        std::fill(out, out + d, 0.0f);
        for (long j = 0; j < visible; ++j) {
          const float w = scores[j] / total;
          for (long c = 0; c < d; ++c) out[c] += w * v[j * d + c];
        }
      }
    }
  }
}

std::vector<CheckResult> RunCpuChecks(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  const auto random = [&](long n) {
    std::vector<float> values(static_cast<std::size_t>(n));
    for (float& x : values) x = uniform(rng);
    return values;
  };
  std::vector<CheckResult> results;
  const auto check = [&](const std::string& name, const harness::AttentionProblem& p) {
    const std::vector<float> q = random(p.q_size()), k = random(p.kv_size()), v = random(p.kv_size());
    std::vector<float> out(q.size(), std::numeric_limits<float>::quiet_NaN());
    CpuAttention({q.data(), p.heads * p.head_dim, k.data(), v.data(), p.kv_len, out.data(), p.heads * p.head_dim,
                  p.batch, p.n_q, p.heads, p.kv_heads, p.head_dim, p.kv_len, p.q_pos0, p.causal});
    CheckResult r;
    r.name = name;
    r.rel_error = harness::RelativeError(harness::ReferenceAttention(p, q, k, v), out);
    r.tolerance = 1e-4;  // fp32 throughout
    r.passed = std::isfinite(r.rel_error) && r.rel_error < r.tolerance;
    results.push_back(r);
  };
  harness::AttentionProblem decode;
  decode.batch = 3;
  decode.heads = 8;
  decode.kv_heads = 2;
  decode.head_dim = 64;
  decode.kv_len = 300;
  decode.q_pos0 = 299;
  check("CPU decode attention, GQA 4", decode);
  harness::AttentionProblem prefill = decode;
  prefill.batch = 2;
  prefill.n_q = 90;
  prefill.kv_len = 90;
  prefill.q_pos0 = 0;
  prefill.causal = true;
  check("CPU prefill attention, causal, GQA 4", prefill);
  return results;
}

HarnessSummary RunCpuMeasurement(const HarnessOptions& options, std::ostream* progress) {
  const Stopwatch start;
  if (std::string error; !options.IsValid(&error)) throw harness::HarnessError(error);
  HarnessSummary summary;
  summary.started_at = harness::UtcStamp();
  summary.device = CpuDeviceInfo(options.hardware);

  std::vector<ModelShape> catalogue;
  if (!options.catalogue_path.empty() && std::filesystem::exists(options.catalogue_path)) {
    catalogue = harness::ReadModelCatalogue(options.catalogue_path);
  }
  std::vector<ModelShape> models = harness::ResolveModels(options.model_names, catalogue);
  models.insert(models.end(), options.shapes.begin(), options.shapes.end());

  if (options.ceilings) summary.ceilings = MeasureCpuCeilings(options.repeats, options.seed);
  if (options.check) {
    summary.checks = RunCpuChecks(options.seed);
    if (!summary.ChecksPassed()) {
      summary.wall_s = start.Seconds();
      return summary;
    }
  }
  harness::RecordContext context;
  context.device = summary.device;
  context.ceilings = summary.ceilings;
  context.run_stamp = summary.started_at;
  context.measured_at = harness::UtcDate();
  // The CPU path keeps to a few GiB whatever the machine (it exercises the pipeline, it is no benchmark):
  // --memory-fraction is a fraction of the smaller of 8 GiB and half the RAM.
  const double budget = options.memory_fraction * std::min(8.0 * kGiB, 0.5 * summary.device.memory_gib * kGiB);
  for (ModelShape shape : models) {
    shape.dtype_bytes = 4;
    const MemoryPlan plan = harness::PlanMemory(shape, options.grid, budget, options.max_weight_fraction, 0.0);
    if (!plan.note.empty()) summary.notes.push_back(shape.name + ": " + plan.note);
    if (plan.layers_run < 1) continue;
    const std::vector<GridPoint> points = harness::PlanGrid(shape, plan, options.grid, &summary.notes);
    if (points.empty()) continue;
    CpuTransformer model(shape, plan, harness::MaxKvBytes(shape, plan.layers_run, points), options.seed);
    for (const GridPoint& p : points) {
      if (options.time_budget_s > 0 && start.Seconds() > options.time_budget_s) {
        summary.notes.push_back(shape.name + ": time budget spent, remaining points not timed");
        break;
      }
      const bool decode = p.phase == Phase::kDecode;
      const int warmup = decode ? options.warmup : options.prefill_warmup;
      const int repeats = decode ? options.repeats : options.prefill_repeats;
      const Timing t = TimeSteps(warmup, repeats, [&] { model.Run(p); });
      context.timing = "wall clock, median of " + std::to_string(repeats) + " after " + std::to_string(warmup) +
                       " warm-up, fp32 on " + std::to_string(Eigen::nbThreads()) + " thread(s)";
      summary.records.push_back(
          harness::MakePerfRecord(context, shape, plan.layers_run, p.phase, p.batch, p.context, t.median_ms, t.spread));
      Say(progress, "  " + shape.name + " " + harness::ToString(p.phase) + " batch " + std::to_string(p.batch) +
                        " context " + std::to_string(p.context) + ": " + std::to_string(t.median_ms) + " ms");
    }
  }
  summary.wall_s = start.Seconds();
  return summary;
}

}  // namespace thinkplan::gpu
