#include "gpu/measure.h"

#include "core/errors.h"
#include "gpu/cpu_measure.h"
#include "gpu/cuda_loader.h"
#include "thinkplan_harness/model_shape.h"
#include "thinkplan_harness/system_info.h"

namespace thinkplan::gpu {
namespace {

// The plugin's error as the CLI's error classes: a bad input stays an input error (exit 2), a failed CUDA call is
// the environment's (exit 3).
[[noreturn]] void ThrowPluginError(const CudaCallError& error, const std::string& what) {
  if (error.kind == CudaCallError::Kind::kInput) throw InputError(error.message);
  throw InternalError(what + ": " + error.message);
}

}  // namespace

std::optional<Device> ParseDevice(std::string_view text) {
  if (text == "cuda" || text == "gpu") return Device::kCuda;
  if (text == "cpu") return Device::kCpu;
  return std::nullopt;
}

bool BuiltWithCuda() {
#ifdef THINKPLAN_HAVE_CUDA
  return true;
#else
  return false;
#endif
}

DeviceStatus ProbeDevice(Device device) {
  DeviceStatus status;
  if (device == Device::kCpu) {
    status.usable = true;
    status.info.kind = "cpu";
    status.info.name = harness::CpuModelName();
    status.info.hardware = status.info.name;
    status.info.memory_gib = harness::SystemMemoryGib();
    status.message = "using the CPU: " + status.info.name;
    return status;
  }
  const CudaPluginApi* plugin = CudaPlugin(&status.message);
  if (plugin == nullptr) return status;
  CudaDeviceProbe probe;
  CudaCallError error;
  if (!plugin->probe_device(&probe, &error)) {
    status.message = "CUDA device probe failed: " + error.message;
    return status;
  }
  status.usable = probe.usable;
  status.cuda_error = probe.cuda_error;
  status.message = probe.message;
  status.info = probe.info;
  return status;
}

bool MeasureOptions::IsValid(std::string* error) const { return harness.IsValid(error); }

harness::HarnessOptions CpuDefaults() {
  harness::HarnessOptions o;
  o.model_names = {"tiny-cpu"};
  o.grid.decode_batches = {1, 4, 16};
  o.grid.contexts = {256, 1024, 4096};
  o.grid.prefill_batches = {1};
  o.grid.max_prefill_tokens = 512;
  o.warmup = 1;
  o.repeats = 5;
  o.prefill_warmup = 1;
  o.prefill_repeats = 3;
  return o;
}

harness::HarnessSummary Measure(const MeasureOptions& options, std::ostream* progress) {
  if (std::string error; !options.IsValid(&error)) throw UsageError(error);
  const DeviceStatus status = ProbeDevice(options.device);
  if (!status.usable) throw InputError(status.message + "; use --device cpu to measure on the CPU");
  if (options.device == Device::kCpu) {
    try {
      return RunCpuMeasurement(options.harness, progress);
    } catch (const harness::HarnessError& e) {
      throw InputError(e.what());
    }
  }
  std::string why;
  const CudaPluginApi* plugin = CudaPlugin(&why);
  if (plugin == nullptr) throw InputError(why);  // unreachable after a usable probe, kept for clarity
  harness::HarnessSummary summary;
  CudaCallError error;
  if (!plugin->run_harness(options.harness, progress, &summary, &error)) ThrowPluginError(error, "CUDA failure");
  return summary;
}

KernelChecks CheckCudaKernels(std::uint64_t seed) {
  KernelChecks checks;
  const DeviceStatus status = ProbeDevice(Device::kCuda);
  if (!status.usable) {
    checks.skip_reason = status.message;
    return checks;
  }
  CudaCallError error;
  if (!CudaPlugin(nullptr)->run_kernel_checks(seed, &checks.results, &error)) {
    ThrowPluginError(error, "CUDA kernel checks");
  }
  checks.ran = true;
  return checks;
}

PerfRun ToPerfRun(const harness::PerfRecord& r) {
  PerfRun run;
  run.perf_key = r.perf_key;
  run.source = r.source;
  run.hardware = r.hardware;
  run.num_devices = r.num_devices;
  run.framework = r.framework;
  run.model = r.model;
  run.params_b = r.params_b;
  run.active_params_b = r.active_params_b;
  run.layers = r.layers;
  run.hidden = r.hidden;
  run.heads = r.heads;
  run.kv_heads = r.kv_heads;
  run.head_dim = r.head_dim;
  run.dtype = r.dtype;
  run.phase = r.phase == harness::Phase::kDecode ? PerfPhase::kDecode : PerfPhase::kPrefill;
  run.batch = r.batch;
  run.context_len = r.context_len;
  run.step_ms = r.step_ms;
  run.tokens_per_s = r.tokens_per_s;
  run.achieved_gb_per_s = r.achieved_gb_per_s;
  run.achieved_tflops = r.achieved_tflops;
  run.layer_scale = r.layer_scale;
  run.tool_version = r.tool_version;
  run.measured_at = r.measured_at;
  run.citation = r.citation;
  return run;
}

}  // namespace thinkplan::gpu
