// What a harness run produces: the device, its measured ceilings, the correctness checks and the perf records,
// with the reports printed at the end. Shared by the GPU and CPU paths.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "thinkplan_harness/model_shape.h"

namespace thinkplan::harness {

struct DeviceInfo {
  std::string kind;      // "cuda" or "cpu"
  std::string name;      // as the device reports it ("NVIDIA H200", the CPU model name)
  std::string hardware;  // the name written into perf records (the catalogue's name where one is known)
  double memory_gib = 0;
  int multiprocessors = 0;         // SMs, or CPU threads
  std::string compute_capability;  // "9.0"; empty on the CPU
  double l2_mib = 0;
  std::string driver;   // NVIDIA driver version, where readable
  std::string runtime;  // "CUDA 13.0", or the compiler on the CPU path
  std::string library;  // "cuBLAS 13.0.0", "Eigen 3.4.0"
};

// The card's own limits, measured before anything else: every step is reported as a fraction of these.
struct Ceilings {
  double copy_gb_per_s = 0;     // device-to-device copy, bytes read + bytes written
  double copy_buffer_gib = 0;   // size of the copied buffer
  double matrix_tflops = 0;     // dense matrix product on random data
  std::string matrix_shape;     // "8192x8192x8192"
  std::string matrix_dtype;     // "bf16 in, fp32 accumulate"
  int repeats = 0;              // timed repeats behind each median
};

struct CheckResult {
  std::string name;
  double rel_error = 0;  // ||out - ref|| / ||ref||; infinite when an element was left unwritten (NaN)
  double tolerance = 0;
  bool passed = false;
  std::string detail;
};

// One perf run in the interchange format (docs/formats.md, "perf"). Fields after the marked line are not
// written as JSON keys: they go into `citation` and the printed table.
struct PerfRecord {
  std::string perf_key;
  std::string source = "measured";
  std::string hardware;
  long num_devices = 1;
  std::string framework = "thinkplan-harness";
  std::string model;
  std::optional<double> params_b;
  std::optional<double> active_params_b;
  long layers = 0;
  long hidden = 0;
  long heads = 0;
  long kv_heads = 0;
  long head_dim = 0;
  std::string dtype;
  Phase phase = Phase::kDecode;
  long batch = 1;
  long context_len = 0;
  double step_ms = 0;
  double tokens_per_s = 0;
  double achieved_gb_per_s = 0;
  double achieved_tflops = 0;
  double layer_scale = 1;
  std::string tool_version;
  std::string measured_at;
  std::string citation;
  // --- not written as fields ---
  long layers_run = 0;
  double copy_fraction = 0;    // achieved_gb_per_s / ceiling copy bandwidth
  double matrix_fraction = 0;  // achieved_tflops / ceiling matrix rate
  double spread = 0;           // (max - min) / median of the timed repeats
};

// What every record of one run shares.
struct RecordContext {
  DeviceInfo device;
  Ceilings ceilings;
  std::string run_stamp;    // UTC, "20261120T101500Z": part of every perf_key, so reruns never collide
  std::string measured_at;  // UTC date
  std::string timing;       // how the step was timed ("CUDA graph replay, median of 10 after 3 warm-up")
};

// Fills a record from the step time and the step's cost (model_shape.h): throughput, achieved bandwidth and
// rate, their fractions of the ceilings, and a citation that says all of it in words.
PerfRecord MakePerfRecord(const RecordContext& context, const ModelShape& shape, long layers_run, Phase phase,
                          long batch, long context_len, double step_ms, double spread);

struct HarnessSummary {
  DeviceInfo device;
  Ceilings ceilings;
  std::vector<CheckResult> checks;
  std::vector<PerfRecord> records;
  std::vector<std::string> notes;  // models or points left out, and why
  std::string started_at;          // UTC stamp
  double wall_s = 0;

  bool ChecksPassed() const;
  // One line: device, ceilings, checks, record count.
  std::string BriefReport() const;
  // Everything: device, ceilings, checks, notes and the table of all records.
  std::string FullReport() const;
  // The short table printed at the end of a run: ceilings, then a few points (step ms, GB/s, % of copy
  // bandwidth, TFLOP/s, % of matrix rate), `max_rows` at most, chosen to span batches and contexts.
  std::string Table(std::size_t max_rows = 12) const;
};

}  // namespace thinkplan::harness
