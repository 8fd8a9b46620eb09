#include "ceilings.cuh"

#include <algorithm>

#include "elementwise.cuh"

namespace thinkplan::harness::cuda {
namespace {

constexpr int kWarmup = 3;

// The copy: 2 GiB (or a tenth of free memory when that is less), far past any L2, so the figure is HBM's.
double CopyBandwidth(cudaStream_t stream, int repeats, std::uint64_t seed, double* buffer_gib) {
  std::size_t free_bytes = 0, total_bytes = 0;
  THINKPLAN_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  const std::size_t bytes = std::min<std::size_t>(std::size_t{2} << 30, free_bytes / 10) / 256 * 256;
  DeviceBuffer<bf16> source(bytes / sizeof(bf16)), target(bytes / sizeof(bf16));
  FillRandom(source.data(), source.size(), seed, 1.0f, stream);
  const StepTiming timing = TimeOnStream(stream, kWarmup, repeats, [&] {
    THINKPLAN_CUDA_CHECK(cudaMemcpyAsync(target.data(), source.data(), bytes, cudaMemcpyDeviceToDevice, stream));
  });
  *buffer_gib = static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0);
  return 2.0 * static_cast<double>(bytes) / (timing.median_ms * 1e-3) / 1e9;
}

double MatrixRate(cudaStream_t stream, cublasHandle_t handle, int repeats, std::uint64_t seed, long n) {
  const std::size_t elements = static_cast<std::size_t>(n) * n;
  DeviceBuffer<bf16> a(elements), b(elements), c(elements);
  // Random operands: zeros run measurably faster (fewer bits toggle) and would overstate the ceiling.
  FillRandom(a.data(), elements, seed + 1, 1.0f, stream);
  FillRandom(b.data(), elements, seed + 2, 1.0f, stream);
  const StepTiming timing =
      TimeOnStream(stream, kWarmup, repeats, [&] { Gemm(handle, a.data(), n, b.data(), c.data(), n, n, n); });
  return 2.0 * static_cast<double>(n) * n * n / (timing.median_ms * 1e-3) / 1e12;
}

}  // namespace

Ceilings MeasureCeilings(cudaStream_t stream, cublasHandle_t handle, int repeats, std::uint64_t seed) {
  Ceilings ceilings;
  ceilings.repeats = repeats;
  ceilings.copy_gb_per_s = CopyBandwidth(stream, repeats, seed, &ceilings.copy_buffer_gib);
  constexpr long kN = 8192;
  ceilings.matrix_tflops = MatrixRate(stream, handle, repeats, seed, kN);
  ceilings.matrix_shape = "8192x8192x8192";
  ceilings.matrix_dtype = "bf16";
  return ceilings;
}

}  // namespace thinkplan::harness::cuda
