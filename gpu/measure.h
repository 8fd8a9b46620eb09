// GPU measurement for the rest of thinkplan, behind a plain C++ header (docs/design.md section 6): probe a device,
// run the harness on it (CUDA) or the same steps at small scale on the CPU (Eigen), and turn its records into
// PerfRuns. Builds without CUDA too; the CUDA device then reports that it is unavailable.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/perf_run.h"
#include "thinkplan_harness/options.h"
#include "thinkplan_harness/summary.h"

namespace thinkplan::gpu {

enum class Device { kCuda, kCpu };
std::optional<Device> ParseDevice(std::string_view text);  // "cuda" (or "gpu") | "cpu"

// Whether this build includes the CUDA harness (THINKPLAN_CUDA on and nvcc found).
bool BuiltWithCuda();

struct DeviceStatus {
  bool usable = false;
  int cuda_error = 0;   // cudaGetDeviceCount's error code; 0 when it succeeded or CUDA is not built in
  std::string message;  // one line: why the device cannot be used, or what will be used
  harness::DeviceInfo info;
};

// CUDA: checks cudaGetDeviceCount's error code, not just the count; in a build without CUDA, says so. The CPU
// is always usable.
DeviceStatus ProbeDevice(Device device);

struct MeasureOptions {
  Device device = Device::kCuda;
  harness::HarnessOptions harness;  // the same flags on both devices (see CpuDefaults)
  bool IsValid(std::string* error) const;
};

// Harness options scaled for the CPU path: the built-in `tiny-cpu` shape, decode at batches 1, 4, 16 and
// contexts 256, 1K, 4K, prefill of one sequence up to 512 tokens, 1 warm-up and 5 repeats.
harness::HarnessOptions CpuDefaults();

// Runs the measurement. Throws InputError with the one-line reason when the device is unusable (exit code 2),
// InputError for a bad catalogue or options, InternalError when a CUDA call fails. A failed correctness check is
// not thrown: the summary says so (ChecksPassed) and holds no records.
harness::HarnessSummary Measure(const MeasureOptions& options, std::ostream* progress);

// The attention kernels and the matrix-product convention on the CUDA device against float64 references.
// `ran` is false (with the reason) when no CUDA device is usable or CUDA is not built in.
struct KernelChecks {
  bool ran = false;
  std::string skip_reason;
  std::vector<harness::CheckResult> results;
};
KernelChecks CheckCudaKernels(std::uint64_t seed);

// A harness record as the store's PerfRun (the same fields, the same meaning).
PerfRun ToPerfRun(const harness::PerfRecord& record);

}  // namespace thinkplan::gpu
