#include "gpu/monte_carlo_gpu.h"

#include "core/errors.h"
#include "gpu/cuda_loader.h"
#include "gpu/measure.h"
#include "sim/monte_carlo.h"

namespace thinkplan::gpu {

bool MonteCarloDeviceAvailable(std::string* why) {
  const DeviceStatus status = ProbeDevice(Device::kCuda);
  if (!status.usable && why != nullptr) *why = status.message;
  return status.usable;
}

std::vector<double> DeviceSimulateCredits(const sim::McProblemSpec& spec, uint64_t seed, uint64_t first,
                                          uint64_t count) {
  std::string why;
  if (!MonteCarloDeviceAvailable(&why)) throw InputError(why);
  sim::ValidateSpec(spec);
  std::vector<double> credits;
  CudaCallError error;
  if (!CudaPlugin(nullptr)->run_monte_carlo(sim::WithSeed(spec, seed), first, count, &credits, &error)) {
    throw InternalError("Monte Carlo kernel: " + error.message);
  }
  return credits;
}

}  // namespace thinkplan::gpu
