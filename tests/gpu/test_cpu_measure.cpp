// The CPU path: its attention against the float64 reference, and a whole small measurement whose records must
// be well-formed perf runs in the interchange format (docs/formats.md) that `thinkplan ingest` accepts.
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>

#include "gpu/cpu_measure.h"
#include "gpu/measure.h"
#include "tests/common/test_support.h"
#include "thinkplan_harness/attention_reference.h"
#include "thinkplan_harness/json_output.h"

namespace h = thinkplan::harness;
namespace gpu = thinkplan::gpu;
using thinkplan::testing::ScratchDir;

namespace {

// The perf fields of docs/formats.md, required ones marked.
const std::set<std::string> kPerfFields = {
    "perf_key", "source", "hardware", "num_devices", "framework", "model", "params_b", "active_params_b",
    "layers", "hidden", "heads", "kv_heads", "head_dim", "dtype", "phase", "batch", "context_len", "output_len",
    "step_ms", "latency_s", "tokens_per_s", "achieved_gb_per_s", "achieved_tflops", "layer_scale",
    "tool_version", "measured_at", "citation"};
const std::set<std::string> kRequired = {"perf_key", "hardware", "model", "phase", "batch", "context_len", "step_ms"};

h::HarnessOptions SmallCpuRun(const std::string& out_dir) {
  h::HarnessOptions o = gpu::CpuDefaults();
  o.model_names.clear();
  o.shapes.push_back(h::ParseShapeSpec("mini:layers=2,hidden=128,heads=4,kv_heads=2,head_dim=32,intermediate=256,"
                                       "vocab=512"));
  o.grid.decode_batches = {1, 3};
  o.grid.contexts = {64, 200};
  o.grid.prefill_batches = {2};
  o.grid.max_prefill_tokens = 256;
  o.warmup = 0;
  o.repeats = 2;
  o.prefill_warmup = 0;
  o.prefill_repeats = 1;
  o.output_dir = out_dir;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cpu_measure)

BOOST_AUTO_TEST_CASE(cpu_attention_matches_float64_reference) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (const bool causal : {false, true}) {
    h::AttentionProblem p;
    p.batch = 2;
    p.heads = 6;
    p.kv_heads = 3;
    p.head_dim = 40;
    p.n_q = causal ? 33 : 1;
    p.kv_len = causal ? 33 : 129;
    p.q_pos0 = causal ? 0 : 128;
    p.causal = causal;
    std::vector<float> q(p.q_size()), k(p.kv_size()), v(p.kv_size());
    for (auto* x : {&q, &k, &v}) {
      for (float& value : *x) value = uniform(rng);
    }
    std::vector<float> out(q.size(), std::numeric_limits<float>::quiet_NaN());
    gpu::CpuAttention({q.data(), p.heads * p.head_dim, k.data(), v.data(), p.kv_len, out.data(),
                       p.heads * p.head_dim, p.batch, p.n_q, p.heads, p.kv_heads, p.head_dim, p.kv_len, p.q_pos0,
                       p.causal});
    const double error = h::RelativeError(h::ReferenceAttention(p, q, k, v), out);
    BOOST_TEST_MESSAGE("causal " << causal << ": relative error " << error);
    BOOST_TEST(error < 1e-5);
  }
  for (const h::CheckResult& c : gpu::RunCpuChecks(11)) BOOST_TEST(c.passed, c.name << ": " << c.rel_error);
}

BOOST_AUTO_TEST_CASE(cpu_measurement_writes_well_formed_perf_records) {
  ScratchDir dir;
  gpu::MeasureOptions options;
  options.device = gpu::Device::kCpu;
  options.harness = SmallCpuRun((dir / "out").string());
  const h::HarnessSummary summary = gpu::Measure(options, nullptr);
  BOOST_TEST(summary.ChecksPassed());
  BOOST_TEST(summary.ceilings.copy_gb_per_s > 0);
  BOOST_TEST(summary.ceilings.matrix_tflops > 0);
  // Decode: 2 batches x 2 contexts; prefill: batch 2 x context 64 (2 x 200 exceeds 256 tokens).
  BOOST_TEST_REQUIRE(summary.records.size() == 5u);
  const std::string written = h::WriteResults(summary, options.harness.output_dir);

  std::ifstream in(written);
  std::string line;
  std::set<std::string> keys;
  std::size_t lines = 0;
  const std::regex iso_date(R"(\d{4}-\d{2}-\d{2})");
  while (std::getline(in, line)) {
    ++lines;
    const nlohmann::json record = nlohmann::json::parse(line);
    for (const auto& [key, value] : record.items()) BOOST_TEST(kPerfFields.count(key) == 1u, "unknown field " << key);
    for (const std::string& key : kRequired) BOOST_TEST(record.contains(key), "missing " << key);
    BOOST_TEST(record["source"] == "measured");
    BOOST_TEST(record["framework"] == "thinkplan-harness");
    BOOST_TEST(record["hardware"] == summary.device.name);
    BOOST_TEST(record["dtype"] == "fp32");
    BOOST_TEST(std::regex_match(record["measured_at"].get<std::string>(), iso_date));
    const std::string phase = record["phase"];
    BOOST_TEST((phase == "decode" || phase == "prefill"));
    const double step_ms = record["step_ms"];
    BOOST_TEST(step_ms > 0);
    const long batch = record["batch"], context = record["context_len"];
    const double tokens = phase == "decode" ? batch : batch * context;
    BOOST_TEST(record["tokens_per_s"].get<double>() == tokens / (step_ms / 1000), boost::test_tools::tolerance(1e-9));
    BOOST_TEST(record["layer_scale"].get<double>() == 1.0);
    BOOST_TEST(record["active_params_b"].get<double>() <= record["params_b"].get<double>());
    BOOST_TEST(record["achieved_gb_per_s"].get<double>() > 0);
    BOOST_TEST(!record["citation"].get<std::string>().empty());
    BOOST_TEST(keys.insert(record["perf_key"].get<std::string>()).second);
  }
  BOOST_TEST(lines == summary.records.size());
  const nlohmann::json ceilings = nlohmann::json::parse(thinkplan::testing::ReadFile(dir / "out" / "ceilings.json"));
  BOOST_TEST(ceilings["device"]["kind"] == "cpu");
  BOOST_TEST(ceilings["checks"].size() == summary.checks.size());
  BOOST_TEST(ceilings["ceilings"]["copy_gb_per_s"].get<double>() == summary.ceilings.copy_gb_per_s);
  BOOST_TEST(std::filesystem::exists(dir / "out" / "table.txt"));
  BOOST_TEST(summary.Table().find("step ms") != std::string::npos);

  const thinkplan::PerfRun run = gpu::ToPerfRun(summary.records.front());
  BOOST_TEST(run.perf_key == summary.records.front().perf_key);
  BOOST_TEST((run.phase == thinkplan::PerfPhase::kDecode));
  BOOST_TEST(*run.step_ms == summary.records.front().step_ms);
}

BOOST_AUTO_TEST_CASE(cpu_path_drops_layers_that_do_not_fit) {
  // A model far larger than the CPU path's few GiB runs a fraction of its layers and records the fraction.
  ScratchDir dir;
  gpu::MeasureOptions options;
  options.device = gpu::Device::kCpu;
  options.harness = SmallCpuRun((dir / "out").string());
  options.harness.shapes = {h::ParseShapeSpec(
      "deep:layers=200,hidden=512,heads=8,kv_heads=2,head_dim=64,intermediate=1536,vocab=1000")};
  options.harness.memory_fraction = 0.01;  // of min(8 GiB, half the RAM): a few tens of MB, 12 MB a layer
  options.harness.grid.decode_batches = {1};
  options.harness.grid.contexts = {64};
  options.harness.grid.prefill = false;
  options.harness.ceilings = false;
  options.harness.check = false;
  const h::HarnessSummary summary = gpu::Measure(options, nullptr);
  BOOST_TEST_REQUIRE(summary.records.size() == 1u);
  const h::PerfRecord& r = summary.records.front();
  BOOST_TEST(r.layers_run >= 1);
  BOOST_TEST(r.layer_scale < 1.0);
  BOOST_TEST(r.layer_scale == static_cast<double>(r.layers_run) / 200.0);
  BOOST_TEST(r.copy_fraction == 0.0);  // no ceilings measured
}

BOOST_AUTO_TEST_SUITE_END()
