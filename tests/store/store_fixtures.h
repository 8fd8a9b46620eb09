// Small builders for the store tests: valid records of each kind as ordered (field, value) lists, so that a test
// can change one field and write the record as CSV or JSON Lines.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace thinkplan::store::fixtures {

using Fields = std::vector<std::pair<std::string, std::string>>;

// A run with every field given.
inline Fields ValidRun(const std::string& key = "r1") {
  return {{"run_key", key},          {"source", "measured"},       {"system", "o3-mini"},
          {"hardware", "H100"},      {"task_class", "math-hard"},  {"difficulty", "3"},
          {"benchmark", "AIME-2024"}, {"mode", "extended"},        {"budget_tokens", "8192"},
          {"effort", "high"},        {"samples", "8"},             {"aggregation", "cons@8"},
          {"n_problems", "30"},      {"n_correct", "21.5"},        {"mean_output_tokens", "5000"},
          {"mean_input_tokens", "120"}, {"latency_p50_s", "10.5"}, {"latency_p95_s", "30.25"},
          {"gpu_seconds", "3600"},   {"cost_usd", "0.75"},         {"citation", "https://example.org/a"}};
}

inline Fields ValidProblem(const std::string& run_key = "r1", const std::string& id = "p1") {
  return {{"run_key", run_key}, {"problem_id", id}, {"samples", "8"}, {"correct", "5"}, {"output_tokens", "4100"}};
}

inline Fields ValidPerf(const std::string& key = "k1") {
  return {{"perf_key", key},        {"source", "measured"},   {"hardware", "H100"},     {"num_devices", "1"},
          {"framework", "vLLM"},    {"model", "Llama-3-8B"},  {"params_b", "8"},        {"active_params_b", "8"},
          {"layers", "32"},         {"hidden", "4096"},       {"heads", "32"},          {"kv_heads", "8"},
          {"head_dim", "128"},      {"dtype", "bf16"},        {"phase", "decode"},      {"batch", "16"},
          {"context_len", "2048"},  {"output_len", ""},       {"step_ms", "12.5"},      {"latency_s", ""},
          {"tokens_per_s", "1280"}, {"achieved_gb_per_s", "2100"}, {"achieved_tflops", "35"},
          {"layer_scale", "1"},     {"tool_version", "0.1.0"}, {"measured_at", "2025-02-14"},
          {"citation", "bench"}};
}

inline Fields ValidSystem(const std::string& name = "o3-mini") {
  return {{"system", name},           {"vendor", "OpenAI"},          {"kind", "reasoning"},
          {"params_total_b", ""},     {"params_active_b", ""},       {"open_weights", "no"},
          {"compute_knob", "reasoning_effort"}, {"knob_values", "low|medium|high"},
          {"price_in_usd_per_mtok", "1.1"}, {"price_out_usd_per_mtok", "4.4"}, {"citation", "openai.com"}};
}

inline Fields ValidHardware(const std::string& name = "H100") {
  return {{"hardware", name},        {"hbm_gib", "80"},           {"hbm_tb_per_s", "3.35"},
          {"bf16_dense_tflops", "989"}, {"fp8_dense_tflops", "1979"}, {"usd_per_hour", "4.25"},
          {"citation", "datasheet"}};
}

inline Fields With(Fields fields, const std::string& name, const std::string& value) {
  for (auto& [key, old] : fields) {
    if (key == name) {
      old = value;
      return fields;
    }
  }
  fields.emplace_back(name, value);
  return fields;
}

inline Fields Without(Fields fields, const std::string& name) {
  std::erase_if(fields, [&](const auto& field) { return field.first == name; });
  return fields;
}

inline std::string CsvQuote(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

inline std::string CsvHeader(const Fields& fields) {
  std::string out;
  for (const auto& [name, value] : fields) out += (out.empty() ? "" : ",") + CsvQuote(name);
  return out + "\n";
}

inline std::string CsvRow(const Fields& fields) {
  std::string out;
  bool first = true;
  for (const auto& [name, value] : fields) {
    out += (first ? "" : ",") + CsvQuote(value);
    first = false;
  }
  return out + "\n";
}

// A CSV file: the header of the first record, then every record.
inline std::string Csv(const std::vector<Fields>& records) {
  std::string out = CsvHeader(records.at(0));
  for (const auto& record : records) out += CsvRow(record);
  return out;
}

}  // namespace thinkplan::store::fixtures
