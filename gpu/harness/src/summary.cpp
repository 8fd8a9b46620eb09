#include "thinkplan_harness/summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "thinkplan_harness/system_info.h"

namespace thinkplan::harness {
namespace {

std::string Format(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

std::string DeviceLine(const DeviceInfo& d) {
  std::ostringstream out;
  out << d.name;
  if (d.hardware != d.name) out << " (" << d.hardware << ")";
  if (d.kind == "cuda") {
    out << ", " << d.multiprocessors << " SMs, " << Format("%.1f", d.memory_gib) << " GiB, CC "
        << d.compute_capability << ", L2 " << Format("%.0f", d.l2_mib) << " MiB";
  } else {
    out << ", " << d.multiprocessors << " thread(s), " << Format("%.1f", d.memory_gib) << " GiB";
  }
  if (!d.driver.empty()) out << ", driver " << d.driver;
  if (!d.runtime.empty()) out << ", " << d.runtime;
  if (!d.library.empty()) out << ", " << d.library;
  return out.str();
}

std::string CeilingsLine(const Ceilings& c) {
  if (c.copy_gb_per_s <= 0 && c.matrix_tflops <= 0) return "not measured";
  return "copy " + Format("%.0f", c.copy_gb_per_s) + " GB/s (read + write, " + Format("%.2g", c.copy_buffer_gib) +
         " GiB buffer), matrix " + Format("%.4g", c.matrix_tflops) + " TFLOP/s (" + c.matrix_dtype + ", " +
         c.matrix_shape + "), median of " + std::to_string(c.repeats);
}

std::string ChecksLine(const std::vector<CheckResult>& checks) {
  if (checks.empty()) return "none run";
  long passed = 0;
  double worst = 0;
  for (const CheckResult& c : checks) {
    passed += c.passed;
    worst = std::max(worst, c.rel_error);
  }
  return std::to_string(passed) + "/" + std::to_string(checks.size()) + " passed (largest relative error " +
         Format("%.2e", worst) + ")";
}

std::string RowHeader() {
  char line[160];
  std::snprintf(line, sizeof line, "%-30s %-7s %5s %7s %7s %9s %8s %6s %8s %7s\n", "model", "phase", "batch",
                "context", "layers", "step ms", "GB/s", "%copy", "TFLOP/s", "%matrix");
  return line;
}

std::string Row(const PerfRecord& r) {
  char line[200];
  const std::string layers = std::to_string(r.layers_run) + "/" + std::to_string(r.layers);
  std::snprintf(line, sizeof line, "%-30.30s %-7s %5ld %7ld %7s %9.3f %8.1f %6.1f %8.4g %7.1f\n", r.model.c_str(),
                ToString(r.phase), r.batch, r.context_len, layers.c_str(), r.step_ms, r.achieved_gb_per_s,
                100 * r.copy_fraction, r.achieved_tflops, 100 * r.matrix_fraction);
  return line;
}

// Per model, the decode step closest to the copy bandwidth: the harness's headline figure.
std::string BestDecodeLines(const std::vector<PerfRecord>& records) {
  std::map<std::string, const PerfRecord*> best;
  for (const PerfRecord& r : records) {
    if (r.phase != Phase::kDecode) continue;
    const PerfRecord*& b = best[r.model];
    if (b == nullptr || r.copy_fraction > b->copy_fraction) b = &r;
  }
  std::string out;
  for (const auto& [model, r] : best) {
    out += "best decode step of " + model + ": " + Format("%.1f", 100 * r->copy_fraction) +
           "% of the copy bandwidth (batch " + std::to_string(r->batch) + ", context " +
           std::to_string(r->context_len) + ", " + Format("%.3f", r->step_ms) + " ms)\n";
  }
  return out;
}

}  // namespace

PerfRecord MakePerfRecord(const RecordContext& ctx, const ModelShape& shape, long layers_run, Phase phase,
                          long batch, long context_len, double step_ms, double spread) {
  PerfRecord r;
  r.hardware = ctx.device.hardware;
  r.model = shape.name;
  r.params_b = shape.params_total_b ? *shape.params_total_b : shape.ShapeParams() / 1e9;
  r.active_params_b = shape.params_active_b ? *shape.params_active_b : *r.params_b;
  if (*r.active_params_b > *r.params_b) r.active_params_b = r.params_b;
  r.layers = shape.layers;
  r.hidden = shape.hidden;
  r.heads = shape.heads;
  r.kv_heads = shape.kv_heads;
  r.head_dim = shape.head_dim;
  r.dtype = shape.dtype();
  r.phase = phase;
  r.batch = batch;
  r.context_len = context_len;
  r.step_ms = step_ms;
  r.layers_run = layers_run;
  r.layer_scale = static_cast<double>(layers_run) / static_cast<double>(shape.layers);
  r.spread = spread;
  const double seconds = step_ms / 1000.0;
  const StepCost cost = StepCostFor(phase, shape, layers_run, batch, context_len);
  r.tokens_per_s = (phase == Phase::kDecode ? batch : batch * context_len) / seconds;
  r.achieved_gb_per_s = cost.bytes() / seconds / 1e9;
  r.achieved_tflops = cost.flops() / seconds / 1e12;
  const Ceilings& c = ctx.ceilings;
  r.copy_fraction = c.copy_gb_per_s > 0 ? r.achieved_gb_per_s / c.copy_gb_per_s : 0;
  r.matrix_fraction = c.matrix_tflops > 0 ? r.achieved_tflops / c.matrix_tflops : 0;
  r.tool_version = THINKPLAN_HARNESS_VERSION;
  r.measured_at = ctx.measured_at;
  r.perf_key = "harness:" + Slug(r.hardware) + ":" + Slug(shape.name) + ":" + ToString(phase) + ":b" +
               std::to_string(batch) + ":s" + std::to_string(context_len) + ":" + ctx.run_stamp;
  std::ostringstream cite;
  cite << "thinkplan-harness " << THINKPLAN_HARNESS_VERSION << " on " << DeviceLine(ctx.device)
       << "; ceilings: copy " << Format("%.0f", c.copy_gb_per_s) << " GB/s, " << c.matrix_dtype << " matrix "
       << Format("%.4g", c.matrix_tflops) << " TFLOP/s; this step: " << Format("%.1f", 100 * r.copy_fraction)
       << "% of copy bandwidth, " << Format("%.1f", 100 * r.matrix_fraction) << "% of matrix rate ("
       << Format("%.4g", cost.bytes() / 1e9) << " GB, " << Format("%.4g", cost.flops() / 1e12) << " TFLOP); "
       << layers_run << " of " << shape.layers << " layers run";
  if (!shape.note.empty()) cite << "; " << shape.note;
  cite << "; " << ctx.timing << " (spread " << Format("%.1f", 100 * spread) << "%)";
  r.citation = cite.str();
  return r;
}

bool HarnessSummary::ChecksPassed() const {
  return std::all_of(checks.begin(), checks.end(), [](const CheckResult& c) { return c.passed; });
}

std::string HarnessSummary::BriefReport() const {
  return device.name + ": ceilings " + CeilingsLine(ceilings) + "; checks " + ChecksLine(checks) + "; " +
         std::to_string(records.size()) + " perf records in " + Format("%.0f", wall_s) + " s";
}

std::string HarnessSummary::Table(std::size_t max_rows) const {
  std::string out = "device   " + DeviceLine(device) + "\n";
  out += "ceilings " + CeilingsLine(ceilings) + "\n";
  out += "checks   " + ChecksLine(checks) + "\n";
  if (records.empty()) return out + "no perf records\n";
  out += RowHeader();
  const std::size_t n = records.size();
  const std::size_t rows = std::min(n, std::max<std::size_t>(max_rows, 2));
  std::size_t last = n;  // evenly spaced rows, first and last included
  for (std::size_t i = 0; i < rows; ++i) {
    const std::size_t index = rows == 1 ? 0 : i * (n - 1) / (rows - 1);
    if (index == last) continue;
    out += Row(records[index]);
    last = index;
  }
  if (rows < n) out += "(" + std::to_string(rows) + " of " + std::to_string(n) + " records; all in table.txt)\n";
  return out + BestDecodeLines(records);
}

std::string HarnessSummary::FullReport() const {
  std::string out = "thinkplan-harness " THINKPLAN_HARNESS_VERSION ", started " + started_at + ", " +
                    Format("%.0f", wall_s) + " s\n";
  out += "device   " + DeviceLine(device) + "\n";
  out += "ceilings " + CeilingsLine(ceilings) + "\n";
  out += "checks   " + ChecksLine(checks) + "\n";
  for (const CheckResult& c : checks) {
    out += std::string("  ") + (c.passed ? "ok   " : "FAIL ") + c.name + ": relative error " +
           Format("%.3e", c.rel_error) + " (tolerance " + Format("%.0e", c.tolerance) + ")" +
           (c.detail.empty() ? "" : "; " + c.detail) + "\n";
  }
  for (const std::string& note : notes) out += "note: " + note + "\n";
  if (records.empty()) return out + "no perf records\n";
  out += RowHeader();
  for (const PerfRecord& r : records) out += Row(r);
  return out + BestDecodeLines(records);
}

}  // namespace thinkplan::harness
