// Correctness before timing: the attention kernel (decode with and without split keys, prefill with the causal
// mask, each head_dim it supports) and the row-major matrix-product convention, against float64 references
// on fresh random inputs. Outputs are poisoned with NaN first, so an element left unwritten fails the check.
#include <cmath>
#include <limits>
#include <random>
#include <sstream>

#include "attention.cuh"
#include "elementwise.cuh"
#include "thinkplan_harness/attention_reference.h"
#include "thinkplan_harness/bf16.h"

namespace thinkplan::harness {
namespace {

constexpr double kTolerance = 1e-2;  // bf16 operands: errors land between 1e-3 and 1e-2

// Random values rounded to bf16, as floats (for the reference) and as bits (for the device).
struct Bf16Data {
  std::vector<float> values;
  std::vector<std::uint16_t> bits;
};

Bf16Data RandomBf16(std::size_t count, std::mt19937_64& rng, float scale) {
  std::uniform_real_distribution<float> uniform(-scale, scale);
  Bf16Data data;
  data.values.resize(count);
  data.bits.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    data.bits[i] = FloatToBf16(uniform(rng));
    data.values[i] = Bf16ToFloat(data.bits[i]);
  }
  return data;
}

cuda::DeviceBuffer<cuda::bf16> Upload(const Bf16Data& data) {
  cuda::DeviceBuffer<cuda::bf16> buffer(data.bits.size());
  THINKPLAN_CUDA_CHECK(cudaMemcpy(buffer.data(), data.bits.data(), data.bits.size() * 2, cudaMemcpyHostToDevice));
  return buffer;
}

std::vector<float> Download(const cuda::DeviceBuffer<cuda::bf16>& buffer) {
  std::vector<std::uint16_t> bits(buffer.size());
  THINKPLAN_CUDA_CHECK(cudaMemcpy(bits.data(), buffer.data(), bits.size() * 2, cudaMemcpyDeviceToHost));
  std::vector<float> values(bits.size());
  for (std::size_t i = 0; i < bits.size(); ++i) values[i] = Bf16ToFloat(bits[i]);
  return values;
}

CheckResult Judge(std::string name, double error, std::string detail) {
  CheckResult result;
  result.name = std::move(name);
  result.rel_error = error;
  result.tolerance = kTolerance;
  result.passed = std::isfinite(error) && error < kTolerance;
  result.detail = std::move(detail);
  return result;
}

CheckResult CheckAttentionCase(const std::string& name, const AttentionProblem& problem, int target_blocks,
                               std::mt19937_64& rng, cudaStream_t stream) {
  const Bf16Data q = RandomBf16(problem.q_size(), rng, 1.0f);
  const Bf16Data k = RandomBf16(problem.kv_size(), rng, 1.0f);
  const Bf16Data v = RandomBf16(problem.kv_size(), rng, 1.0f);
  const cuda::DeviceBuffer<cuda::bf16> q_dev = Upload(q), k_dev = Upload(k), v_dev = Upload(v);
  cuda::DeviceBuffer<cuda::bf16> out(problem.q_size());

  cuda::AttentionArgs a;
  a.q = q_dev.data();
  a.q_row_stride = problem.heads * problem.head_dim;
  a.k = k_dev.data();
  a.v = v_dev.data();
  a.cache_len = problem.kv_len;
  a.out = out.data();
  a.out_row_stride = problem.heads * problem.head_dim;
  a.batch = static_cast<int>(problem.batch);
  a.n_q = static_cast<int>(problem.n_q);
  a.heads = static_cast<int>(problem.heads);
  a.kv_heads = static_cast<int>(problem.kv_heads);
  a.head_dim = static_cast<int>(problem.head_dim);
  a.kv_len = problem.kv_len;
  a.q_pos0 = problem.q_pos0;
  a.causal = problem.causal;
  const cuda::AttentionPlan plan = cuda::PlanAttention(a, target_blocks);
  cuda::DeviceBuffer<float> workspace(plan.workspace_floats);
  cuda::FillBits(out.data(), out.size(), kBf16PoisonBits, stream);
  if (workspace.size() > 0) cuda::FillFloat(workspace.data(), workspace.size(), NAN, stream);
  cuda::LaunchAttention(a, plan, workspace.data(), stream);
  THINKPLAN_CUDA_CHECK(cudaStreamSynchronize(stream));

  const std::vector<double> reference = ReferenceAttention(problem, q.values, k.values, v.values);
  std::ostringstream detail;
  detail << "batch " << problem.batch << ", " << problem.n_q << " queries, heads " << problem.heads << "/"
         << problem.kv_heads << ", head_dim " << problem.head_dim << ", " << problem.kv_len << " keys, "
         << plan.splits << " split(s) of " << plan.keys_per_split << " keys";
  return Judge(name, RelativeError(reference, Download(out)), detail.str());
}

// Y = X W with X's rows further apart than its width, as the prefill's LM head uses it.
CheckResult CheckGemm(std::mt19937_64& rng, cudaStream_t stream, cublasHandle_t handle) {
  const long m = 37, n = 200, k = 96, ldx = 160;
  const Bf16Data x = RandomBf16(static_cast<std::size_t>(m * ldx), rng, 1.0f);
  const Bf16Data w = RandomBf16(static_cast<std::size_t>(k * n), rng, 1.0f);
  const cuda::DeviceBuffer<cuda::bf16> x_dev = Upload(x), w_dev = Upload(w);
  cuda::DeviceBuffer<cuda::bf16> y(static_cast<std::size_t>(m * n));
  cuda::FillBits(y.data(), y.size(), kBf16PoisonBits, stream);
  cuda::Gemm(handle, x_dev.data(), ldx, w_dev.data(), y.data(), m, n, k);
  THINKPLAN_CUDA_CHECK(cudaStreamSynchronize(stream));
  std::vector<double> reference(static_cast<std::size_t>(m * n), 0.0);
  for (long i = 0; i < m; ++i) {
    for (long j = 0; j < n; ++j) {
      double sum = 0;
      for (long c = 0; c < k; ++c) sum += static_cast<double>(x.values[i * ldx + c]) * w.values[c * n + j];
      reference[i * n + j] = sum;
    }
  }
  return Judge("matrix product (row-major, strided rows)", RelativeError(reference, Download(y)),
               "37x96 times 96x200, rows 160 apart");
}

}  // namespace

std::vector<CheckResult> RunKernelChecks(std::uint64_t seed) {
  const DeviceProbe probe = ProbeDevice();
  if (!probe.usable) throw HarnessError(probe.message);
  std::mt19937_64 rng(seed);
  cuda::Stream stream;
  cuda::Cublas cublas(stream.get());
  std::vector<CheckResult> results;
  // A CUDA error in one case (a bad address, say) becomes that case's failure, so that the run still writes
  // what it found; after a sticky error the remaining cases fail the same way.
  const auto guarded = [&](const std::string& name, const auto& run) {
    try {
      results.push_back(run());
    } catch (const DeviceError& e) {
      results.push_back(Judge(name, std::numeric_limits<double>::infinity(), e.what()));
    }
  };
  const auto problem = [](long batch, long n_q, long heads, long kv_heads, long head_dim, long kv_len) {
    AttentionProblem p;
    p.batch = batch;
    p.n_q = n_q;
    p.heads = heads;
    p.kv_heads = kv_heads;
    p.head_dim = head_dim;
    p.kv_len = kv_len;
    p.causal = n_q > 1;                       // prefill: queries at 0..n_q-1 over their own keys
    p.q_pos0 = n_q > 1 ? 0 : kv_len - 1;      // decode: the newest token sees the whole cache
    return p;
  };
  struct Case {
    const char* name;
    AttentionProblem problem;
    int target_blocks;  // small targets force decode keys into several splits
  };
  // Key counts that are no multiple of the 64-key tiles or the 256-key chunks.
  const Case cases[] = {
      {"decode attention, GQA 4, split keys", problem(3, 1, 16, 4, 128, 1000), 24},
      {"decode attention, GQA 8, one split", problem(2, 1, 64, 8, 128, 77), 1},
      {"decode attention, multi-head, head_dim 64", problem(2, 1, 4, 4, 64, 700), 16},
      {"decode attention, GQA 2, head_dim 256", problem(1, 1, 4, 2, 256, 300), 8},
      {"decode attention, 32 query heads per KV head", problem(2, 1, 32, 1, 128, 333), 16},
      {"prefill attention, causal, GQA 8", problem(2, 150, 16, 2, 128, 150), 0},
      {"prefill attention, causal, GQA 5, head_dim 64", problem(1, 200, 10, 2, 64, 200), 0},
      {"prefill attention, causal, head_dim 256", problem(1, 100, 4, 2, 256, 100), 0},
  };
  for (const Case& c : cases) {
    guarded(c.name, [&] { return CheckAttentionCase(c.name, c.problem, c.target_blocks, rng, stream.get()); });
  }
  guarded("matrix product (row-major, strided rows)", [&] { return CheckGemm(rng, stream.get(), cublas.get()); });
  return results;
}

}  // namespace thinkplan::harness
