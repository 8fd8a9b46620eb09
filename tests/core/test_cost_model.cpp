// The cost model's formulas against hand-computed values, brute-force sums and exact enumeration, and the shipped
// model catalogue against the architecture arithmetic of each config.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "tests/common/test_support.h"
#include "core/cost_model.h"
#include "core/errors.h"
#include "core/model_shape.h"

namespace thinkplan {
namespace {

ModelShape Llama31_8B() {
  ModelShape s;
  s.name = "Llama-3.1-8B";
  s.params_total = s.params_active = 8.03e9;
  s.layers = 32;
  s.hidden = 4096;
  s.heads = 32;
  s.kv_heads = 8;
  s.head_dim = 128;
  s.intermediate = 14336;
  s.vocab = 128256;
  s.dtype_bytes = s.kv_dtype_bytes = 2;
  return s;
}

ModelShape Mixtral() {
  ModelShape s = Llama31_8B();
  s.name = "Mixtral-8x7B";
  s.params_total = 46.70e9;
  s.params_active = 12.88e9;
  s.n_experts = 8;
  s.experts_per_token = 2;
  return s;
}

ServingRates Rates(double t0, double tflops, double tb_per_s, double hbm_gib = 0, double reserve_fraction = 0) {
  ServingRates r;
  r.t0_s = t0;
  r.flops_per_s = tflops * 1e12;
  r.bytes_per_s = tb_per_s * 1e12;
  r.hbm_bytes = hbm_gib * 1024.0 * 1024.0 * 1024.0;
  r.reserve_bytes = r.hbm_bytes * reserve_fraction;
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cost_model)

BOOST_AUTO_TEST_CASE(kv_bytes_and_weights_by_hand) {
  // 2 (K and V) x 32 layers x 8 KV heads x 128 dims x 2 bytes.
  BOOST_TEST(Llama31_8B().KvBytesPerToken() == 131072.0);
  BOOST_TEST(Llama31_8B().WeightBytes() == 16.06e9);
  ModelShape llama2 = Llama31_8B();
  llama2.kv_heads = 32;  // Llama-2-7B: multi-head attention, four times the cache
  BOOST_TEST(llama2.KvBytesPerToken() == 524288.0);
  ModelShape mla = Llama31_8B();
  mla.kv_bytes_per_token_override = 61.0 * 576 * 2;
  BOOST_TEST(mla.KvBytesPerToken() == 70272.0);
}

BOOST_AUTO_TEST_CASE(decode_step_by_hand) {
  const CostModel m(Llama31_8B(), Rates(0.005, 500, 2));
  const StepTime t = m.DecodeStep(1, 1000);
  // compute: (2 x 8.03e9 + 4 x 32 x 32 x 128 x 1000) / 500e12 = 16.584288e9 / 5e14
  BOOST_TEST(t.compute_s == 16.584288e9 / 5e14, boost::test_tools::tolerance(1e-12));
  // memory: (16.06e9 + 1000 x 131072) / 2e12
  BOOST_TEST(t.memory_s == 16.191072e9 / 2e12, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(t.total_s == 0.005 + 16.191072e9 / 2e12, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(!t.compute_bound());
  BOOST_TEST(m.TokensPerSecond(1, 1000) == 1.0 / t.total_s, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(prefill_by_hand) {
  const CostModel m(Llama31_8B(), Rates(0.002, 400, 2));
  const StepTime t = m.Prefill(4, 1024);
  // 4096 tokens x 2 x 8.03e9 + 4 x 524288 x 1024^2 / 2 FLOPs at 400 TFLOP/s
  const double flops = 4096.0 * 16.06e9 + 4.0 * 524288.0 * 1024.0 * 1024.0 / 2.0;
  BOOST_TEST(t.compute_s == flops / 4e14, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(t.compute_bound());
  BOOST_TEST(t.total_s == 0.002 + flops / 4e14, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(chunked_prefill_does_the_same_flops_in_more_passes) {
  // Bandwidth so high that every pass is compute-bound, t0 = 0: the causal attention FLOPs of the chunks
  // (n x start + n^2 / 2 each) add up to the one-pass P^2 / 2, so the times agree.
  const CostModel m(Llama31_8B(), Rates(0, 400, 1e6));
  for (long chunk : {1L, 7L, 64L, 512L, 5000L}) {
    BOOST_TEST(m.ChunkedPrefill(3, 1000, chunk) == m.Prefill(3, 1000).total_s, boost::test_tools::tolerance(1e-9));
  }
  // With a per-pass overhead the passes cost t0 each: ceil(1000 / 64) = 16 of them.
  const CostModel slow(Llama31_8B(), Rates(0.01, 400, 1e6));
  BOOST_TEST(slow.ChunkedPrefill(3, 1000, 64) - slow.Prefill(3, 1000).total_s == 15 * 0.01,
             boost::test_tools::tolerance(1e-9));
}

// The closed form against the passes added one by one, where passes switch between memory- and compute-bound
// along the prompt (a mixture of experts, so the weights read depend on the tokens in the pass too).
BOOST_AUTO_TEST_CASE(chunked_prefill_equals_the_passes_added_one_by_one) {
  const auto passes = [](const CostModel& m, double batch, long prompt, long chunk) {
    double total = 0;
    for (long start = 0; start < prompt; start += chunk) {
      total += m.PrefillChunk(batch, static_cast<double>(start), static_cast<double>(std::min(chunk, prompt - start))).total_s;
    }
    return total;
  };
  for (const ServingRates& rates : {Rates(0.002, 400, 3.35), Rates(0, 50, 0.5), Rates(0.01, 1000, 8)}) {
    for (const ModelShape& shape : {Llama31_8B(), Mixtral()}) {
      const CostModel m(shape, rates);
      for (long prompt : {1L, 2L, 999L, 2048L, 4097L}) {
        for (long chunk : {1L, 3L, 16L, 512L, 2048L}) {
          for (double batch : {1.0, 8.0, 64.0}) {
            BOOST_TEST(m.ChunkedPrefill(batch, prompt, chunk) == passes(m, batch, prompt, chunk),
                       boost::test_tools::tolerance(1e-10));
          }
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(max_batch_from_hbm_by_hand) {
  // H100 80 GiB, 10% reserve: 85,899,345,920 x 0.9 - 16.06e9 = 61,249,411,328 bytes for the cache;
  // one sequence at 8192 tokens holds 8192 x 131072 = 1,073,741,824 bytes: 57.04 -> 57.
  const CostModel m(Llama31_8B(), Rates(0.005, 500, 2, 80, 0.10));
  BOOST_TEST(m.MaxBatch(8192).value() == 57);
  BOOST_TEST(m.MaxBatch(32768).value() == 14);  // 61,249,411,328 / 4,294,967,296 = 14.26
  // 70B in bf16 does not fit on one 80 GiB card at all.
  ModelShape big = Llama31_8B();
  big.params_total = big.params_active = 70.55e9;
  BOOST_TEST(CostModel(big, Rates(0.005, 500, 2, 80, 0.10)).MaxBatch(1000).value() == 0);
  BOOST_TEST(!CostModel(big, Rates(0.005, 500, 2)).MaxBatch(1000).has_value());  // memory unknown
}

BOOST_AUTO_TEST_CASE(roofline_crossover_by_hand) {
  // Peak H100 rates. At S = 0 the crossover is where 2 P B / F = W / BW; with 2-byte weights W = 2 P, so
  // B* = F / BW = 989 / 3.35 = 295.22.
  const CostModel peak(Llama31_8B(), Rates(0, 989, 3.35));
  BOOST_TEST(peak.CrossoverBatch(0).value() == 989.0 / 3.35, boost::test_tools::tolerance(1e-6));
  // At context S: B* = (W / BW) / ((2P + A S) / F - S kv / BW), A = 524288.
  const double s = 256;
  const double expected = (16.06e9 / 3.35e12) / ((16.06e9 + 524288.0 * s) / 989e12 - s * 131072.0 / 3.35e12);
  BOOST_TEST(peak.CrossoverBatch(s).value() == expected, boost::test_tools::tolerance(1e-6));
  // Past S = 2P BW / (F kv) - a few hundred tokens - reading the cache outgrows the FLOPs: never compute-bound.
  BOOST_TEST(!peak.CrossoverBatch(4096).has_value());
}

BOOST_AUTO_TEST_CASE(sum_of_max_of_lines_matches_brute_force) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-5, 5);
  for (int trial = 0; trial < 500; ++trial) {
    const double a0 = u(rng), a1 = u(rng) / 10, b0 = u(rng), b1 = trial % 7 == 0 ? a1 : u(rng) / 10;
    const double first = std::floor(u(rng) * 20);
    const long n = 1 + trial % 97;
    double brute = 0;
    for (long i = 0; i < n; ++i) {
      const double s = first + static_cast<double>(i);
      brute += std::max(a0 + a1 * s, b0 + b1 * s);
    }
    BOOST_TEST(SumMaxOfLines(a0, a1, b0, b1, first, n) == brute, boost::test_tools::tolerance(1e-9));
  }
  BOOST_TEST(SumMaxOfLines(1, 0, 2, 0, 0, 0) == 0.0);
}

BOOST_AUTO_TEST_CASE(decode_steps_equal_the_loop_over_the_growing_context) {
  // Rates chosen so the steps switch from compute- to memory-bound inside the range.
  const CostModel m(Llama31_8B(), Rates(0.003, 60, 3.35));
  for (double batch : {1.0, 64.0, 256.0}) {
    double loop = 0;
    for (long i = 0; i < 3000; ++i) loop += m.DecodeStep(batch, 100 + static_cast<double>(i)).total_s;
    BOOST_TEST(m.DecodeSteps(batch, 100, 3000) == loop, boost::test_tools::tolerance(1e-10));
  }
}

BOOST_AUTO_TEST_CASE(moe_weight_reads_match_exact_enumeration) {
  const ModelShape s = Mixtral();
  BOOST_TEST(s.WeightBytesRead(1) == 12.88e9 * 2, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(s.WeightBytesRead(1e6) == s.WeightBytes(), boost::test_tools::tolerance(1e-12));
  // Two tokens, each routed to 2 of 8 experts uniformly: enumerate every pair of choices.
  std::vector<std::set<int>> choices;
  for (int a = 0; a < 8; ++a)
    for (int b = a + 1; b < 8; ++b) choices.push_back({a, b});
  double distinct = 0;
  for (const auto& x : choices)
    for (const auto& y : choices) {
      std::set<int> u = x;
      u.insert(y.begin(), y.end());
      distinct += static_cast<double>(u.size());
    }
  distinct /= static_cast<double>(choices.size() * choices.size());
  BOOST_TEST(distinct == 3.5, boost::test_tools::tolerance(1e-12));
  const double expert = (46.70e9 - 12.88e9) / 6, shared = 46.70e9 - 8 * expert;
  BOOST_TEST(s.WeightBytesRead(2) == (shared + distinct * expert) * 2, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(end_to_end_latency_runs_in_waves_when_the_cache_does_not_fit) {
  const CostModel m(Llama31_8B(), Rates(0.004, 400, 2.5, 40, 0.10));
  // 40 GiB x 0.9 - 16.06e9 = 22,594,705,664 bytes; at 2048 + 2048 tokens a sequence holds 536,870,912: 42 fit.
  BOOST_TEST(m.MaxBatch(4096).value() == 42);
  const double one_wave = m.Prefill(32, 2048).total_s + m.DecodeSteps(32, 2049, 2047);
  BOOST_TEST(m.EndToEndLatency(64, 2048, 2048).value() == 2 * one_wave, boost::test_tools::tolerance(1e-12));
  const double unlimited = m.Prefill(64, 2048).total_s + m.DecodeSteps(64, 2049, 2047);
  BOOST_TEST(m.EndToEndLatency(64, 2048, 2048, false).value() == unlimited, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(whole_query_integrates_the_growing_context) {
  const CostModel m(Llama31_8B(), Rates(0.005, 500, 2.68, 80, 0.10));
  QueryOptions o;
  o.prompt_tokens = 500;
  o.output_tokens = 16000;
  o.usd_per_hour = 4.25;
  o.utilisation = 0.5;
  const QueryCost q = CostQuery(m, o);
  BOOST_REQUIRE(q.feasible);
  // 61,249,411,328 / (16,500 x 131,072) = 28.3 -> 28 concurrent queries, below the default cap of 256.
  BOOST_TEST(q.batch == 28);
  BOOST_TEST(q.batch_limited_by == "KV memory");
  double loop = m.Prefill(28, 500).total_s;
  for (long i = 0; i < 15999; ++i) loop += m.DecodeStep(28, 501 + static_cast<double>(i)).total_s;
  BOOST_TEST(q.latency_s == loop, boost::test_tools::tolerance(1e-10));
  BOOST_TEST(q.usd_per_query == 4.25 / 3600 / 0.5 * loop / 28, boost::test_tools::tolerance(1e-10));
  BOOST_TEST(q.usd_per_mtok == q.usd_per_query / 16000 * 1e6, boost::test_tools::tolerance(1e-10));
  // The cache grows as it thinks: the last token is dearer than the first.
  BOOST_TEST(q.usd_per_mtok_last > 1.5 * q.usd_per_mtok_first);
  // A longer thought admits fewer concurrent queries, so every one of its tokens costs more on average.
  o.output_tokens = 32000;
  const QueryCost longer = CostQuery(m, o);
  BOOST_TEST(longer.batch == 14);
  BOOST_TEST(longer.usd_per_mtok > q.usd_per_mtok);
  // Staggered continuous batching sizes memory at the mean context and fits more.
  o.admission = QueryOptions::Admission::kMeanContext;
  BOOST_TEST(CostQuery(m, o).batch > longer.batch);
}

BOOST_AUTO_TEST_CASE(infeasible_query_says_why) {
  ModelShape big = Llama31_8B();
  big.params_total = big.params_active = 70.55e9;
  QueryOptions o;
  o.output_tokens = 1000;
  const QueryCost q = CostQuery(CostModel(big, Rates(0.005, 500, 2, 80, 0.10)), o);
  BOOST_TEST(!q.feasible);
  BOOST_TEST(q.infeasible_reason.find("does not fit") != std::string::npos);
  o.utilisation = 0;
  BOOST_CHECK_THROW(CostQuery(CostModel(big, Rates(0.005, 500, 2)), o), InputError);
}

BOOST_AUTO_TEST_CASE(api_query_by_hand) {
  SystemInfo o3mini;
  o3mini.name = "o3-mini";
  o3mini.price_in_usd_per_mtok = 1.10;
  o3mini.price_out_usd_per_mtok = 4.40;
  const ApiQueryCost c = CostApiQuery(o3mini, 1000, 10000, 500);
  BOOST_TEST(c.input_usd == 0.0011, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(c.thinking_usd == 0.044, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(c.total_usd == 0.0473, boost::test_tools::tolerance(1e-12));
  SystemInfo open;
  open.name = "DeepSeek-R1-Distill-Qwen-7B";
  BOOST_CHECK_THROW(CostApiQuery(open, 1, 1, 1), InputError);
}

BOOST_AUTO_TEST_CASE(datasheet_rates) {
  HardwareInfo h100;
  h100.name = "H100-SXM-80GB";
  h100.hbm_gib = 80;
  h100.hbm_tb_per_s = 3.35;
  h100.bf16_dense_tflops = 989;
  h100.fp8_dense_tflops = 1979;
  Efficiency e;
  e.flops_fraction = 0.5;
  e.bandwidth_fraction = 0.8;
  const ServingRates r = RatesFromDatasheet(h100, 2, e, 2);
  BOOST_TEST(r.flops_per_s == 2 * 989e12 * 0.5, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(r.bytes_per_s == 2 * 3.35e12 * 0.8, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(r.hbm_bytes == 160.0 * 1073741824.0);
  BOOST_TEST(RatesFromDatasheet(h100, 1, e, 1).flops_per_s == 1979e12 * 0.5, boost::test_tools::tolerance(1e-12));
  h100.bf16_dense_tflops.reset();
  BOOST_CHECK_THROW(RatesFromDatasheet(h100, 1, e, 2), InputError);
}

// A card and framework fitted at two precisions: the fit at the served weights' precision wins over a larger
// device count at another; another precision is borrowed only where none matches, and the source says so.
BOOST_AUTO_TEST_CASE(efficiency_prefers_the_served_precision) {
  const auto row = [](long devices, std::string dtype, double flops_fraction) {
    FittedEfficiency e;
    e.hardware = "Nvidia H100 GPU";
    e.catalogue_hardware = "H100-SXM-80GB";
    e.framework = "vLLM";
    e.num_devices = devices;
    e.dtype = std::move(dtype);
    e.rows = 10;
    e.flops_fraction = flops_fraction;
    e.bandwidth_fraction = 0.7;
    return e;
  };
  const std::vector<FittedEfficiency> table = {row(2, "", 0.30), row(1, "fp8", 0.45), row(4, "bf16", 0.25)};
  // fp8 weights on 2 devices: the 1-device fp8 fit, not the 2-device bf16 one.
  const EfficiencyChoice fp8 = ChooseEfficiency(table, "H100-SXM-80GB", "vllm", 2, "fp8");
  BOOST_REQUIRE(fp8.row == &table[1]);
  BOOST_TEST(fp8.efficiency.flops_fraction == 0.45);
  BOOST_TEST(fp8.precision_matched());
  // bf16 (a row without a dtype is bf16) on 2 devices: the 2-device row; on 4: the 4-device bf16 row.
  BOOST_TEST(ChooseEfficiency(table, "H100-SXM-80GB", "vLLM", 2, "bf16").row == &table[0]);
  BOOST_TEST(ChooseEfficiency(table, "H100-SXM-80GB", "vLLM", 4, "bf16").row == &table[2]);
  // No request: the largest device count, as before precisions were told apart.
  BOOST_TEST(ChooseEfficiency(table, "H100-SXM-80GB", "vLLM", 4).row == &table[2]);
  // int4 was never measured: the largest device count at any precision, said so.
  const EfficiencyChoice int4 = ChooseEfficiency(table, "H100-SXM-80GB", "vLLM", 4, "int4");
  BOOST_REQUIRE(int4.row == &table[2]);
  BOOST_TEST(!int4.precision_matched());
  const std::string source = DescribeEfficiencySource(int4, 4);
  BOOST_TEST(source.find("measured with bf16 weights and applied to int4") != std::string::npos, source);
}

BOOST_AUTO_TEST_CASE(shipped_catalogue_matches_architecture_arithmetic) {
  const ModelCatalogue catalogue = ModelCatalogue::Load(testing::DataDir() / "models" / "models.csv");
  for (const char* name : {"Llama-3.1-8B", "Llama-3.1-70B", "Qwen2.5-32B", "QwQ-32B", "DeepSeek-R1",
                           "DeepSeek-R1-Distill-Qwen-1.5B", "DeepSeek-R1-Distill-Qwen-7B",
                           "DeepSeek-R1-Distill-Qwen-14B", "DeepSeek-R1-Distill-Qwen-32B",
                           "DeepSeek-R1-Distill-Llama-8B", "DeepSeek-R1-Distill-Llama-70B", "Mistral-7B-v0.1",
                           "Llama-2-7b", "Llama-2-70b", "Meta-Llama-3-8B", "Meta-Llama-3-70B", "Mixtral-8x7B-v0.1",
                           "Qwen2-7B"}) {
    BOOST_TEST_CONTEXT(name) { BOOST_TEST(catalogue.Find(name) != nullptr); }
  }
  // Argonne names the models by Hugging Face id.
  BOOST_TEST(catalogue.Find("meta-llama/Llama-2-7b-hf")->name == "Llama-2-7b");
  BOOST_TEST(catalogue.Find("mistralai/mixtral-8x7b-v0.1")->name == "Mixtral-8x7B-v0.1");
  BOOST_TEST(catalogue.Find("DeepSeek-R1")->KvBytesPerToken() == 61.0 * (512 + 64) * 2);
  BOOST_TEST(catalogue.Find("DeepSeek-R1")->params_active == 37e9);
  BOOST_TEST(catalogue.Find("Llama-3.1-8B")->KvBytesPerToken() == 131072.0);
  // Dense decoders: embeddings and LM head (untied) + per layer Q, K, V, O and a gated MLP of three matrices.
  // Recomputing the total from the shape checks the shape columns against the published parameter count.
  for (const ModelShape& s : catalogue.shapes()) {
    if (s.IsMoe() || s.name == "DeciLM-7B") continue;  // DeciLM: per-layer KV heads; MoE: expert layout
    const double h = static_cast<double>(s.hidden), qd = static_cast<double>(s.heads * s.head_dim),
                 kvd = static_cast<double>(s.kv_heads * s.head_dim);
    const double per_layer = h * qd + 2 * h * kvd + qd * h + 3 * h * static_cast<double>(s.intermediate);
    const double total = 2 * static_cast<double>(s.vocab) * h + static_cast<double>(s.layers) * per_layer;
    BOOST_TEST_CONTEXT(s.name) { BOOST_TEST(std::abs(total / s.params_total - 1) < 0.005); }
  }
  // Mixtral: attention + 8 experts of a three-matrix MLP per layer; active: 2 experts.
  const ModelShape& mix = *catalogue.Find("Mixtral-8x7B-v0.1");
  const double attn = 2 * 4096.0 * 4096 + 2 * 4096.0 * 1024, expert = 3 * 4096.0 * 14336, embed = 2 * 32000.0 * 4096;
  BOOST_TEST(std::abs((embed + 32 * (attn + 8 * expert)) / mix.params_total - 1) < 0.005);
  BOOST_TEST(std::abs((embed + 32 * (attn + 2 * expert)) / mix.params_active - 1) < 0.005);
}

BOOST_AUTO_TEST_CASE(catalogue_errors_name_file_line_and_field) {
  testing::ScratchDir dir;
  const auto path = dir / "models.csv";
  testing::WriteFile(path,
                     "model,params_total_b,layers,hidden,heads,kv_heads,head_dim,dtype_bytes\n"
                     "A,8,32,4096,32,8,128,2\n"
                     "\n"
                     "B,8,thirty,4096,32,8,128,2\n");
  try {
    ModelCatalogue::Load(path);
    BOOST_FAIL("expected an InputError");
  } catch (const InputError& e) {
    BOOST_TEST(e.where().line == 4);
    BOOST_TEST(e.where().field == "layers");
    BOOST_TEST(std::string(e.what()).find("models.csv:4") != std::string::npos);
  }
  testing::WriteFile(path,
                     "model,params_total_b,layers,hidden,heads,kv_heads,head_dim,dtype_bytes\n"
                     "A,8,32,4096,32,6,128,2\n");
  BOOST_CHECK_THROW(ModelCatalogue::Load(path), InputError);  // 6 KV heads do not divide 32 query heads
  testing::WriteFile(path, "model,layers\nA,32\n");
  BOOST_CHECK_THROW(ModelCatalogue::Load(path), InputError);  // required columns missing
  BOOST_CHECK_THROW(ModelCatalogue::Load(dir / "absent.csv"), InputError);
}

BOOST_AUTO_TEST_CASE(closest_names_for_suggestions) {
  const std::vector<std::string> names = {"H100-SXM-80GB", "H200-SXM-141GB", "A100-SXM-80GB"};
  BOOST_TEST(ClosestNames("h200", names).front() == "H200-SXM-141GB");
  BOOST_TEST(ClosestNames("H100-SXM-80G", names).front() == "H100-SXM-80GB");
  BOOST_TEST(ClosestNames("TPUv5", names).empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace thinkplan
