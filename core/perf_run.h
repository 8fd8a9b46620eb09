// A performance run: the measured cost of serving a model shape on an accelerator (docs/design.md section 2,
// "Performance runs"). Produced by `thinkplan measure` or imported from public measurements.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace thinkplan {

enum class PerfPhase {
  kPrefill,  // one forward pass over `context_len` prompt tokens per sequence
  kDecode,   // one decode step at `batch` sequences with `context_len` tokens already in the KV cache
  kEndToEnd, // whole requests: `context_len` input tokens then `output_len` generated tokens per sequence
};

std::string_view ToString(PerfPhase phase);
std::optional<PerfPhase> ParsePerfPhase(std::string_view text);

struct PerfRun {
  std::string perf_key;
  std::string source = "measured";  // measured | published | simulated
  std::string hardware;
  long num_devices = 1;
  std::string framework;  // vLLM, TensorRT-LLM, thinkplan-harness, ...
  std::string model;
  // Model shape; empty where the source does not give it (the catalogue in data/ fills it in).
  std::optional<double> params_b;
  std::optional<double> active_params_b;
  std::optional<long> layers;
  std::optional<long> hidden;
  std::optional<long> heads;
  std::optional<long> kv_heads;
  std::optional<long> head_dim;
  std::string dtype;  // bf16, fp16, fp8, ...
  PerfPhase phase = PerfPhase::kDecode;
  long batch = 1;
  long context_len = 0;
  long output_len = 0;  // end-to-end runs only
  std::optional<double> step_ms;     // prefill / decode: time of one step
  std::optional<double> latency_s;   // end-to-end: time of the whole batch
  std::optional<double> tokens_per_s;
  std::optional<double> achieved_gb_per_s;
  std::optional<double> achieved_tflops;
  std::optional<double> layer_scale;  // fraction of the model's layers actually run (1 when all fit)
  std::string tool_version;
  std::string measured_at;  // ISO date
  std::string citation;
  bool operator==(const PerfRun&) const = default;
};

}  // namespace thinkplan
