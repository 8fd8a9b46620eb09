// The entry points of the CUDA plugin (libthinkplan_cuda.so, built from gpu/plugin/), which the rest of thinkplan
// loads with dlopen only when a command asks for the device. Keeping cudart and cuBLAS out of the `thinkplan`
// executable is what lets every other command start in milliseconds: loading them cost about half of each
// command's start-up.
//
// Both sides are built by the same compiler from the same sources, so C++ types cross the boundary; exceptions do
// not (each entry point catches and reports through CudaCallError), so that a plugin from another build fails with
// a message instead of terminating.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "sim/monte_carlo_problem.h"
#include "thinkplan_harness/options.h"
#include "thinkplan_harness/summary.h"

namespace thinkplan::gpu {

// Raised when the ABI changes, so that a stale plugin is refused by name rather than misread.
inline constexpr int kCudaPluginAbiVersion = 1;

struct CudaCallError {
  enum class Kind { kNone, kInput, kDevice, kOther };
  Kind kind = Kind::kNone;
  std::string message;
};

struct CudaDeviceProbe {
  bool usable = false;
  int cuda_error = 0;
  std::string message;
  harness::DeviceInfo info;
};

struct CudaPluginApi {
  int abi_version = 0;
  // Each returns false and fills `error` when the call failed.
  bool (*probe_device)(CudaDeviceProbe* out, CudaCallError* error) = nullptr;
  bool (*run_kernel_checks)(std::uint64_t seed, std::vector<harness::CheckResult>* out,
                            CudaCallError* error) = nullptr;
  bool (*run_harness)(const harness::HarnessOptions& options, std::ostream* progress, harness::HarnessSummary* out,
                      CudaCallError* error) = nullptr;
  // Credits of problems first .. first + count - 1; `spec` has its keys set.
  bool (*run_monte_carlo)(const sim::McProblemSpec& spec, std::uint64_t first, std::uint64_t count,
                          std::vector<double>* credits, CudaCallError* error) = nullptr;
};

// The plugin's one exported symbol.
inline constexpr const char* kCudaPluginEntryPoint = "thinkplan_cuda_plugin_api";
using CudaPluginEntryPoint = const CudaPluginApi* (*)();

}  // namespace thinkplan::gpu
