// The card's ceilings, measured before any model step: what "a fraction of the hardware" is a fraction of.
#pragma once

#include "cuda_util.cuh"
#include "thinkplan_harness/summary.h"

namespace thinkplan::harness::cuda {

// Device-to-device copy of a buffer well past the L2 (bytes read + written), and a bf16 matrix product through
// cuBLAS (fp32 accumulation) on random data; each the median of `repeats` after three warm-up runs.
Ceilings MeasureCeilings(cudaStream_t stream, cublasHandle_t handle, int repeats, std::uint64_t seed);

}  // namespace thinkplan::harness::cuda
