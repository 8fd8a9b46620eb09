// The harness's plain C++ half: shapes and step costs against published parameter counts, the memory grid, the
// float64 attention reference against closed forms, JSON output, flag parsing.
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "tests/common/test_support.h"
#include "thinkplan_harness/attention_reference.h"
#include "thinkplan_harness/bf16.h"
#include "thinkplan_harness/grid.h"
#include "thinkplan_harness/json_output.h"
#include "thinkplan_harness/model_shape.h"
#include "thinkplan_harness/options.h"
#include "thinkplan_harness/system_info.h"

namespace h = thinkplan::harness;
using thinkplan::testing::ScratchDir;
using thinkplan::testing::WriteFile;

namespace {

const h::ModelShape& Builtin(const std::string& name) {
  for (const h::ModelShape& s : h::BuiltinShapes()) {
    if (s.name == name) return s;
  }
  throw std::runtime_error("no built-in shape " + name);
}

bool Throws(const std::function<void()>& f, const std::string& part) {
  try {
    f();
  } catch (const h::HarnessError& e) {
    BOOST_TEST_MESSAGE("error: " << e.what());
    return std::string(e.what()).find(part) != std::string::npos;
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(harness_common)

BOOST_AUTO_TEST_CASE(bf16_rounds_to_nearest_even) {
  BOOST_TEST(h::FloatToBf16(1.0f) == 0x3F80);
  BOOST_TEST(h::FloatToBf16(-2.0f) == 0xC000);
  // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1).
  BOOST_TEST(h::FloatToBf16(1.0f + std::ldexp(1.0f, -8)) == 0x3F80);
  // 1 + 3 * 2^-8 lies halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even): rounds up.
  BOOST_TEST(h::FloatToBf16(1.0f + 3 * std::ldexp(1.0f, -8)) == 0x3F82);
  BOOST_TEST(h::FloatToBf16(1.0f + std::ldexp(1.0f, -8) + std::ldexp(1.0f, -12)) == 0x3F81);
  BOOST_TEST(std::isnan(h::Bf16ToFloat(h::FloatToBf16(std::numeric_limits<float>::quiet_NaN()))));
  BOOST_TEST(std::isnan(h::Bf16ToFloat(h::kBf16PoisonBits)));
  BOOST_TEST(h::Bf16ToFloat(0x4049) == 3.140625f);
}

// Llama-3.1-8B has 8,030,261,248 parameters (its safetensors index): the embedding (128256 x 4096) and 65 RMSNorm
// vectors of 4096 are not matrix weights a decode step reads in full; everything else is.
BOOST_AUTO_TEST_CASE(llama_8b_step_cost_matches_published_parameter_count) {
  const h::ModelShape& s = Builtin("Llama-3.1-8B");
  const double published = 8030261248.0;
  const double embedding = 128256.0 * 4096.0;
  const double norms = 65.0 * 4096.0;
  const h::StepCost cost = h::DecodeStepCost(s, s.layers, 1, 1);
  BOOST_TEST(cost.weight_bytes == 2.0 * (published - embedding - norms));
  BOOST_TEST(cost.matrix_flops == 2.0 * (published - embedding - norms));
  BOOST_TEST(s.ShapeParams() == published - norms);
  // 128 KiB of KV cache per token: 32 layers x 8 KV heads x 128 x (K and V) x 2 bytes.
  BOOST_TEST(s.KvBytesPerTokenPerLayer() * s.layers == 131072.0);
  const h::StepCost long_context = h::DecodeStepCost(s, s.layers, 8, 32768);
  BOOST_TEST(long_context.kv_bytes == 8.0 * 32768 * 131072);
  BOOST_TEST(long_context.attention_flops == 32.0 * 8 * 32768 * 32 * 128 * 4);
}

BOOST_AUTO_TEST_CASE(llama_70b_and_qwen_32b_shapes_match_published_counts) {
  // 70,553,706,496 and 32,763,876,352 parameters; both have untied embeddings, norms are a rounding error.
  BOOST_TEST(Builtin("Llama-3.1-70B").ShapeParams() / 70553706496.0 == 1.0, boost::test_tools::tolerance(1e-4));
  // Qwen2.5 adds QKV biases (a few million): within 0.1%.
  BOOST_TEST(Builtin("Qwen2.5-32B").ShapeParams() / 32763876352.0 == 1.0, boost::test_tools::tolerance(1e-3));
}

BOOST_AUTO_TEST_CASE(prefill_counts_causal_pairs_and_one_logit_row_per_sequence) {
  h::ModelShape s;
  s.name = "small";
  s.layers = 2;
  s.hidden = 64;
  s.heads = 4;
  s.kv_heads = 2;
  s.head_dim = 16;
  s.intermediate = 128;
  s.vocab = 1000;
  s.mlp_width = 128;
  const long batch = 3, tokens = 37;
  long pairs = 0;  // brute force: query i sees keys 0..i
  for (long i = 0; i < tokens; ++i) {
    for (long j = 0; j <= i; ++j) ++pairs;
  }
  const h::StepCost cost = h::PrefillStepCost(s, 2, batch, tokens);
  BOOST_TEST(cost.attention_flops == 2.0 * batch * s.heads * pairs * s.head_dim * 4);
  const double layer_matrix = 64.0 * 128 + 64.0 * 64 + 3.0 * 64 * 128;  // qkv, out, gate+up, down
  BOOST_TEST(cost.matrix_flops == 2.0 * batch * tokens * 2 * layer_matrix + 2.0 * batch * 64 * 1000);
  BOOST_TEST(cost.kv_bytes == 2.0 * batch * tokens * 2 * 2 * 16 * 2);
}

BOOST_AUTO_TEST_CASE(mixture_of_experts_gets_the_width_of_its_active_experts) {
  // Mixtral-8x7B: 12.88B active = 2 of 8 experts of width 14336 per token.
  h::ModelShape s = h::ParseShapeSpec(
      "Mixtral:layers=32,hidden=4096,heads=32,kv_heads=8,head_dim=128,intermediate=14336,vocab=32000,"
      "params_b=46.7,active_params_b=12.88");
  BOOST_TEST(std::abs(s.mlp() - 2 * 14336) <= 64);
  BOOST_TEST(!s.note.empty());
  // A dense model within 20% of its count keeps its width.
  BOOST_TEST(Builtin("Llama-3.1-8B").mlp() == 14336);
}

BOOST_AUTO_TEST_CASE(catalogue_is_read_by_header_names) {
  ScratchDir dir;
  WriteFile(dir / "models.csv",
            "note,model,vocab,layers,hidden,heads,kv_heads,head_dim,intermediate,params_total_b,extra\n"
            "\"quoted, with comma\",Tiny-A,1000,2,64,4,2,16,128,,x\n"
            "\"two\nlines\",Tiny-B,0,3,128,8,,,256,,y\n"
            "api only,Closed-Model,,,,,,,,,z\n");
  const std::vector<h::ModelShape> shapes = h::ReadModelCatalogue((dir / "models.csv").string());
  BOOST_TEST_REQUIRE(shapes.size() == 2u);
  BOOST_TEST(shapes[0].name == "Tiny-A");
  BOOST_TEST(shapes[0].kv_heads == 2);
  BOOST_TEST(shapes[1].name == "Tiny-B");
  BOOST_TEST(shapes[1].kv_heads == 8);      // defaults to heads
  BOOST_TEST(shapes[1].head_dim == 16);     // defaults to hidden / heads
  WriteFile(dir / "bad.csv", "model,layers,hidden\nX,2,sixty\n");
  BOOST_TEST(Throws([&] { h::ReadModelCatalogue((dir / "bad.csv").string()); }, "bad.csv:2: field 'hidden'"));
  BOOST_TEST(Throws([&] { h::ReadModelCatalogue((dir / "none.csv").string()); }, "cannot open"));
}

BOOST_AUTO_TEST_CASE(shipped_catalogue_shapes_resolve) {
  const auto path = thinkplan::testing::DataDir() / "models" / "models.csv";
  if (!std::filesystem::exists(path)) {
    BOOST_TEST_MESSAGE("skipped: no data/models/models.csv");
    return;
  }
  const std::vector<h::ModelShape> catalogue = h::ReadModelCatalogue(path.string());
  const std::vector<h::ModelShape> models = h::ResolveModels({"llama-3.1-8b", "QwQ-32B"}, catalogue);
  BOOST_TEST(models[0].hidden == 4096);
  BOOST_TEST(models[1].layers == 64);
}

BOOST_AUTO_TEST_CASE(unknown_models_and_bad_shapes_are_named) {
  BOOST_TEST(Throws([] { h::ResolveModels({"No-Such-Model"}, {}); }, "Llama-3.1-8B"));
  BOOST_TEST(Throws([] { h::ParseShapeSpec("x:layers=2,hidden=64,heads=3,kv_heads=2,intermediate=8"); },
                    "multiple of kv_heads"));
  BOOST_TEST(Throws([] { h::ParseShapeSpec("x:layers=2,colour=blue"); }, "unknown field"));
  BOOST_TEST(Throws([] { h::ParseShapeSpec("no-colon"); }, "expected NAME:"));
}

BOOST_AUTO_TEST_CASE(layers_are_dropped_only_as_far_as_needed) {
  const h::ModelShape& s = Builtin("Llama-3.1-70B");
  const double budget = 128.0 * (1u << 30);
  h::GridSpec grid;
  const h::MemoryPlan plan = h::PlanMemory(s, grid, budget, 0.75, 1u << 30);
  const double cap = (budget - (1u << 30)) * 0.75;
  BOOST_TEST(plan.layers_run < s.layers);
  BOOST_TEST(h::WeightBytes(s, plan.layers_run) <= cap);
  BOOST_TEST(h::WeightBytes(s, plan.layers_run + 1) > cap);
  BOOST_TEST(plan.layer_scale == static_cast<double>(plan.layers_run) / 80.0);
  BOOST_TEST(!plan.note.empty());
  // Every point the grid keeps fits the KV budget; every decode point it drops does not.
  std::vector<std::string> skipped;
  const std::vector<h::GridPoint> points = h::PlanGrid(s, plan, grid, &skipped);
  BOOST_TEST(!points.empty());
  BOOST_TEST(!skipped.empty());
  long kept_decode = 0, fitting_decode = 0;
  for (const h::GridPoint& p : points) {
    const double kv = static_cast<double>(plan.layers_run) * p.batch * p.context * 2 * 8 * 128 * 2;
    BOOST_TEST(kv <= plan.kv_budget_bytes);
    kept_decode += p.phase == h::Phase::kDecode;
  }
  for (long b : grid.decode_batches) {
    for (long c : grid.contexts) {
      fitting_decode += static_cast<double>(plan.layers_run) * b * c * 4096 <= plan.kv_budget_bytes;
    }
  }
  BOOST_TEST(kept_decode == fitting_decode);
  // A small model keeps all its layers.
  BOOST_TEST(h::PlanMemory(Builtin("Llama-3.1-8B"), grid, budget, 0.75, 1u << 30).layer_scale == 1.0);
}

BOOST_AUTO_TEST_CASE(reference_attention_matches_closed_forms) {
  // q = 0: every visible key gets the same weight, so each output is the mean of the visible values.
  h::AttentionProblem p;
  p.batch = 2;
  p.n_q = 5;
  p.heads = 4;
  p.kv_heads = 2;
  p.head_dim = 3;
  p.kv_len = 5;
  p.causal = true;
  std::vector<float> q(p.q_size(), 0.0f), k(p.kv_size()), v(p.kv_size());
  for (std::size_t i = 0; i < k.size(); ++i) {
    k[i] = static_cast<float>(std::sin(1.0 + i));
    v[i] = static_cast<float>(i % 7) - 3.0f;
  }
  const std::vector<double> out = h::ReferenceAttention(p, q, k, v);
  for (long b = 0; b < p.batch; ++b) {
    for (long i = 0; i < p.n_q; ++i) {
      for (long head = 0; head < p.heads; ++head) {
        for (long c = 0; c < p.head_dim; ++c) {
          double mean = 0;
          for (long j = 0; j <= i; ++j) mean += v[((b * p.kv_heads + head / 2) * p.kv_len + j) * p.head_dim + c];
          mean /= static_cast<double>(i + 1);
          BOOST_TEST(out[((b * p.n_q + i) * p.heads + head) * p.head_dim + c] == mean,
                     boost::test_tools::tolerance(1e-12));
        }
      }
    }
  }
  // Two keys: softmax weights are the logistic function of the score difference.
  h::AttentionProblem two;
  two.head_dim = 1;
  two.kv_len = 2;
  two.q_pos0 = 1;
  const std::vector<double> mix = h::ReferenceAttention(two, {2.0f}, {0.5f, -1.0f}, {10.0f, 20.0f});
  const double w0 = 1.0 / (1.0 + std::exp(2.0 * (-1.0 - 0.5)));
  BOOST_TEST(mix[0] == w0 * 10 + (1 - w0) * 20, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(std::isinf(h::RelativeError({1.0, 2.0}, {1.0f, std::numeric_limits<float>::quiet_NaN()})));
  BOOST_TEST(h::RelativeError({3.0, 4.0}, {3.0f, 4.0f}) == 0.0);
}

BOOST_AUTO_TEST_CASE(json_strings_escape_and_round_trip) {
  const std::string nasty = std::string("quote \" backslash \\ newline \n tab \t bell \x07 nul-free, ünïcode");
  const nlohmann::json parsed = nlohmann::json::parse(h::JsonString(nasty));
  BOOST_TEST(parsed.get<std::string>() == nasty);
  BOOST_TEST(h::JsonNumber(std::numeric_limits<double>::quiet_NaN()) == "null");
  BOOST_TEST(h::JsonNumber(std::numeric_limits<double>::infinity()) == "null");
  BOOST_TEST(std::stod(h::JsonNumber(0.1)) == 0.1);
  BOOST_TEST(h::JsonNumber(3.0) == "3");
}

BOOST_AUTO_TEST_CASE(count_lists_and_flags) {
  BOOST_TEST(h::ParseCountList("1K, 8k,3", "contexts") == std::vector<long>({1024, 8192, 3}));
  BOOST_TEST(Throws([] { h::ParseCountList("1,0", "batches"); }, "--batches"));
  BOOST_TEST(Throws([] { h::ParseCountList("", "batches"); }, "empty"));
  bool help = false;
  const h::HarnessOptions o = h::ParseHarnessArguments({"--batches", "2,4", "--quick", "--out=x"}, &help);
  BOOST_TEST(!help);
  BOOST_TEST(o.grid.decode_batches == std::vector<long>({2, 4}));  // given after --quick, applied after it
  BOOST_TEST(o.grid.contexts == std::vector<long>({1024, 8192, 32768, 131072}));
  BOOST_TEST(o.output_dir == "x");
  const h::HarnessOptions shaped =
      h::ParseHarnessArguments({"--shape", "s:layers=1,hidden=64,heads=4,intermediate=128"}, &help);
  BOOST_TEST(shaped.model_names.empty());
  BOOST_TEST(shaped.shapes.size() == 1u);
  BOOST_TEST(Throws([&] { h::ParseHarnessArguments({"--frobnicate"}, &help); }, "unknown option --frobnicate"));
  BOOST_TEST(Throws([&] { h::ParseHarnessArguments({"--repeats"}, &help); }, "needs a value"));
  h::ParseHarnessArguments({"-h"}, &help);
  BOOST_TEST(help);
  std::string why;
  h::HarnessOptions bad;
  bad.repeats = 0;
  BOOST_TEST(!bad.IsValid(&why));
  BOOST_TEST(why.find("repeat") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(statistics_and_names) {
  BOOST_TEST(h::Median({5, 1, 3}) == 3.0);
  BOOST_TEST(h::Median({4, 1, 3, 2}) == 2.5);
  BOOST_TEST(h::RelativeSpread({9, 10, 11}) == 0.2, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(h::Slug("NVIDIA H200 / Llama-3.1-8B") == "nvidia-h200-llama-3.1-8b");
  // The catalogue name must be one the shipped hardware table knows.
  const std::string name = h::CatalogueHardwareName("NVIDIA H200", 139.8);
  const std::string table = thinkplan::testing::ReadFile(thinkplan::testing::DataDir() / "published" / "hardware.csv");
  BOOST_TEST(table.find("\n" + name + ",") != std::string::npos);
  BOOST_TEST(h::CatalogueHardwareName("Some Future GPU", 200) == "Some Future GPU");
}

BOOST_AUTO_TEST_SUITE_END()
