#include "thinkplan_harness/json_output.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "thinkplan_harness/model_shape.h"

namespace thinkplan::harness {

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string JsonNumber(double value) {
  if (!std::isfinite(value)) return "null";
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc() ? std::string(buffer, end) : "null";
}

void JsonObject::Key(std::string_view key) {
  if (!body_.empty()) body_ += ',';
  body_ += JsonString(key);
  body_ += ':';
}

JsonObject& JsonObject::String(std::string_view key, std::string_view value) {
  Key(key);
  body_ += JsonString(value);
  return *this;
}

JsonObject& JsonObject::Number(std::string_view key, double value) {
  Key(key);
  body_ += JsonNumber(value);
  return *this;
}

JsonObject& JsonObject::Integer(std::string_view key, long value) {
  Key(key);
  body_ += std::to_string(value);
  return *this;
}

JsonObject& JsonObject::Bool(std::string_view key, bool value) {
  Key(key);
  body_ += value ? "true" : "false";
  return *this;
}

JsonObject& JsonObject::Raw(std::string_view key, std::string_view json) {
  Key(key);
  body_ += json;
  return *this;
}

std::string ToJsonLine(const PerfRecord& r) {
  JsonObject o;
  o.String("perf_key", r.perf_key).String("source", r.source).String("hardware", r.hardware);
  o.Integer("num_devices", r.num_devices).String("framework", r.framework).String("model", r.model);
  if (r.params_b) o.Number("params_b", *r.params_b);
  if (r.active_params_b) o.Number("active_params_b", *r.active_params_b);
  o.Integer("layers", r.layers).Integer("hidden", r.hidden).Integer("heads", r.heads);
  o.Integer("kv_heads", r.kv_heads).Integer("head_dim", r.head_dim).String("dtype", r.dtype);
  o.String("phase", ToString(r.phase)).Integer("batch", r.batch).Integer("context_len", r.context_len);
  o.Number("step_ms", r.step_ms).Number("tokens_per_s", r.tokens_per_s);
  o.Number("achieved_gb_per_s", r.achieved_gb_per_s).Number("achieved_tflops", r.achieved_tflops);
  o.Number("layer_scale", r.layer_scale).String("tool_version", r.tool_version);
  o.String("measured_at", r.measured_at).String("citation", r.citation);
  return o.str();
}

namespace {

std::string DeviceJson(const DeviceInfo& d) {
  JsonObject o;
  o.String("kind", d.kind).String("name", d.name).String("hardware", d.hardware);
  o.Number("memory_gib", d.memory_gib).Integer("multiprocessors", d.multiprocessors);
  o.String("compute_capability", d.compute_capability).Number("l2_mib", d.l2_mib);
  o.String("driver", d.driver).String("runtime", d.runtime).String("library", d.library);
  return o.str();
}

std::string CeilingsObject(const Ceilings& c) {
  JsonObject o;
  o.Number("copy_gb_per_s", c.copy_gb_per_s).Number("copy_buffer_gib", c.copy_buffer_gib);
  o.Number("matrix_tflops", c.matrix_tflops).String("matrix_shape", c.matrix_shape);
  o.String("matrix_dtype", c.matrix_dtype).Integer("repeats", c.repeats);
  return o.str();
}

}  // namespace

std::string CeilingsJson(const HarnessSummary& s) {
  std::string checks = "[";
  for (const CheckResult& c : s.checks) {
    if (checks.size() > 1) checks += ",";
    JsonObject o;
    o.String("name", c.name).Number("rel_error", c.rel_error).Number("tolerance", c.tolerance);
    o.Bool("passed", c.passed).String("detail", c.detail);
    checks += o.str();
  }
  checks += "]";
  std::string notes = "[";
  for (const std::string& n : s.notes) {
    if (notes.size() > 1) notes += ',';
    notes += JsonString(n);
  }
  notes += "]";
  JsonObject root;
  root.String("tool", "thinkplan-harness").String("tool_version", THINKPLAN_HARNESS_VERSION);
  root.String("started_at", s.started_at).Number("wall_s", s.wall_s);
  root.Raw("device", DeviceJson(s.device)).Raw("ceilings", CeilingsObject(s.ceilings));
  root.Raw("checks", checks).Integer("records", static_cast<long>(s.records.size())).Raw("notes", notes);
  return root.str() + "\n";
}

std::string WriteResults(const HarnessSummary& summary, const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw HarnessError(dir + ": cannot create the output directory: " + ec.message());
  const auto write = [&](const std::string& name, const std::string& content) {
    const fs::path path = fs::path(dir) / name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    if (!out) throw HarnessError(path.string() + ": cannot write");
    return path.string();
  };
  std::string lines;
  for (const PerfRecord& r : summary.records) lines += ToJsonLine(r) + "\n";
  const std::string perf = write("perf.jsonl", lines);
  write("ceilings.json", CeilingsJson(summary));
  write("table.txt", summary.FullReport());
  return perf;
}

}  // namespace thinkplan::harness
