// The Monte Carlo accuracy kernel for the rest of thinkplan, behind a plain C++ header: per-problem credits from
// the CUDA device, identical bit for bit to sim::SimulateCredits on the CPU. Builds without CUDA too; the device
// is then reported unavailable.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/monte_carlo_problem.h"

namespace thinkplan::gpu {

// Whether a CUDA device can run the kernel; `why` gets the one-line reason when not.
bool MonteCarloDeviceAvailable(std::string* why);

// Credits of problems first .. first + count - 1 on the device, seeded like sim::SimulateCredits.
// Throws InputError when no device is usable, InternalError on a CUDA failure.
std::vector<double> DeviceSimulateCredits(const sim::McProblemSpec& spec, uint64_t seed, uint64_t first,
                                          uint64_t count);

}  // namespace thinkplan::gpu
