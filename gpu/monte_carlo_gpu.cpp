#include "gpu/monte_carlo_gpu.h"

#include "core/errors.h"
#include "gpu/measure.h"
#include "sim/monte_carlo.h"

#if defined(THINKPLAN_HAVE_CUDA)
#include "thinkplan_harness/monte_carlo.h"
#endif

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
#if defined(THINKPLAN_HAVE_CUDA)
  try {
    return harness::RunMonteCarloOnDevice(sim::WithSeed(spec, seed), first, count, true).credits;
  } catch (const std::exception& e) {
    throw InternalError(std::string("Monte Carlo kernel: ") + e.what());
  }
#else
  (void)first;
  (void)count;
  (void)seed;
  throw InputError("this build has no CUDA support");
#endif
}

}  // namespace thinkplan::gpu
