// The CUDA harness behind a plain C++ header: probe the device, check the kernels against float64 references,
// and time decode and prefill steps of model shapes after measuring the card's ceilings. Only the .cu files
// that implement this see CUDA.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <vector>

#include "thinkplan_harness/options.h"
#include "thinkplan_harness/summary.h"

namespace thinkplan::harness {

// A CUDA or cuBLAS call failed while the harness ran (out of memory, a launch error): the environment, not the
// input. The message names the call, its error and the source line.
class DeviceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DeviceProbe {
  bool usable = false;
  int cuda_error = 0;   // what cudaGetDeviceCount returned (35: the driver is missing or too old)
  std::string message;  // one line: why no device is usable, or which one will be used
  DeviceInfo info;
};

// Asks the CUDA runtime for a device and checks the returned error code, never just the count.
DeviceProbe ProbeDevice();

// The attention kernels (decode with split keys, prefill with the causal mask) and the row-major matrix
// product convention, each against a float64 CPU reference on fresh random inputs drawn from `seed`, with the
// output poisoned (NaN) before every run. Throws HarnessError when no device is usable.
std::vector<CheckResult> RunKernelChecks(std::uint64_t seed);

// The whole run: probe, ceilings, checks, then every model over the grid. Progress lines go to `progress`
// (may be null). Throws HarnessError when no device is usable or the options are invalid. When a check fails
// nothing is timed: the summary carries the checks and no records.
HarnessSummary RunHarness(const HarnessOptions& options, std::ostream* progress);

}  // namespace thinkplan::harness
