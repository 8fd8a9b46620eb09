// libthinkplan_cuda.so: the CUDA harness and Monte Carlo kernel behind the table of gpu/cuda_plugin_api.h.
// Every entry point turns the harness's exceptions into a CudaCallError, because exceptions must not cross a
// dlopen boundary whose two sides may come from different builds.
#include <exception>
#include <functional>

#include "gpu/cuda_plugin_api.h"
#include "thinkplan_harness/harness.h"
#include "thinkplan_harness/model_shape.h"
#include "thinkplan_harness/monte_carlo.h"
#include "thinkplan_harness/options.h"

namespace thinkplan::gpu {
namespace {

bool Guarded(CudaCallError* error, const std::function<void()>& body) {
  try {
    body();
    return true;
  } catch (const harness::DeviceError& e) {
    *error = {CudaCallError::Kind::kDevice, e.what()};
  } catch (const harness::HarnessError& e) {
    *error = {CudaCallError::Kind::kInput, e.what()};
  } catch (const std::exception& e) {
    *error = {CudaCallError::Kind::kOther, e.what()};
  } catch (...) {
    *error = {CudaCallError::Kind::kOther, "unknown exception in the CUDA plugin"};
  }
  return false;
}

bool ProbeDevice(CudaDeviceProbe* out, CudaCallError* error) {
  return Guarded(error, [&] {
    const harness::DeviceProbe probe = harness::ProbeDevice();
    *out = {probe.usable, probe.cuda_error, probe.message, probe.info};
  });
}

bool RunKernelChecks(std::uint64_t seed, std::vector<harness::CheckResult>* out, CudaCallError* error) {
  return Guarded(error, [&] { *out = harness::RunKernelChecks(seed); });
}

bool RunHarness(const harness::HarnessOptions& options, std::ostream* progress, harness::HarnessSummary* out,
                CudaCallError* error) {
  return Guarded(error, [&] { *out = harness::RunHarness(options, progress); });
}

bool RunMonteCarlo(const sim::McProblemSpec& spec, std::uint64_t first, std::uint64_t count,
                   std::vector<double>* credits, CudaCallError* error) {
  return Guarded(error, [&] { *credits = harness::RunMonteCarloOnDevice(spec, first, count, true).credits; });
}

const CudaPluginApi kApi{kCudaPluginAbiVersion, &ProbeDevice, &RunKernelChecks, &RunHarness, &RunMonteCarlo};

}  // namespace
}  // namespace thinkplan::gpu

extern "C" __attribute__((visibility("default"))) const thinkplan::gpu::CudaPluginApi* thinkplan_cuda_plugin_api() {
  return &thinkplan::gpu::kApi;
}
