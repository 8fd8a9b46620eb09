// Device probing and the CUDA plumbing of cuda_util.cuh.
#include <cstdio>
#include <sstream>

#include "cuda_util.cuh"
#include "thinkplan_harness/system_info.h"

namespace thinkplan::harness {
namespace cuda {

void ThrowCuda(cudaError_t error, const char* call, const char* file, int line) {
  std::ostringstream message;
  message << call << " failed: " << cudaGetErrorName(error) << " (" << cudaGetErrorString(error) << ") at " << file
          << ":" << line;
  throw DeviceError(message.str());
}

void ThrowCublas(cublasStatus_t status, const char* call, const char* file, int line) {
  std::ostringstream message;
  message << call << " failed: " << cublasGetStatusName(status) << " (" << cublasGetStatusString(status) << ") at "
          << file << ":" << line;
  throw DeviceError(message.str());
}

Cublas::Cublas(cudaStream_t stream) : workspace_(64u << 20) {
  THINKPLAN_CUBLAS_CHECK(cublasCreate(&handle_));
  THINKPLAN_CUBLAS_CHECK(cublasSetStream(handle_, stream));
  // A workspace of our own: cuBLAS then allocates nothing while a graph is being captured.
  THINKPLAN_CUBLAS_CHECK(cublasSetWorkspace(handle_, workspace_.data(), workspace_.bytes()));
}

Cublas::~Cublas() {
  if (handle_ != nullptr) cublasDestroy(handle_);
}

void Gemm(cublasHandle_t handle, const bf16* x, long ldx, const bf16* w, bf16* y, long m, long n, long k) {
  // Row-major Y = X W is column-major Y^T = W^T X^T: cuBLAS sees W as an n x k matrix (ld n), X as k x m
  // (ld ldx) and writes Y as n x m (ld n).
  const float one = 1.0f, zero = 0.0f;
  THINKPLAN_CUBLAS_CHECK(cublasGemmEx(handle, CUBLAS_OP_N, CUBLAS_OP_N, static_cast<int>(n), static_cast<int>(m),
                                      static_cast<int>(k), &one, w, CUDA_R_16BF, static_cast<int>(n), x, CUDA_R_16BF,
                                      static_cast<int>(ldx), &zero, y, CUDA_R_16BF, static_cast<int>(n),
                                      CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

int MultiprocessorCount() {
  static const int count = [] {
    int device = 0, value = 0;
    THINKPLAN_CUDA_CHECK(cudaGetDevice(&device));
    THINKPLAN_CUDA_CHECK(cudaDeviceGetAttribute(&value, cudaDevAttrMultiProcessorCount, device));
    return value;
  }();
  return count;
}

}  // namespace cuda

namespace {

std::string VersionText(int version) {  // 13000 -> "13.0"
  return std::to_string(version / 1000) + "." + std::to_string((version % 1000) / 10);
}

std::string CublasVersion() {
  int major = 0, minor = 0, patch = 0;
  if (cublasGetProperty(MAJOR_VERSION, &major) != CUBLAS_STATUS_SUCCESS) return "cuBLAS";
  cublasGetProperty(MINOR_VERSION, &minor);
  cublasGetProperty(PATCH_LEVEL, &patch);
  return "cuBLAS " + std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

}  // namespace

DeviceProbe ProbeDevice() {
  DeviceProbe probe;
  int count = 0;
  const cudaError_t error = cudaGetDeviceCount(&count);
  probe.cuda_error = static_cast<int>(error);
  if (error != cudaSuccess) {
    probe.message = std::string("no usable CUDA device: cudaGetDeviceCount returned error ") +
                    std::to_string(static_cast<int>(error)) + " (" + cudaGetErrorName(error) + ": " +
                    cudaGetErrorString(error) + ")";
    (void)cudaGetLastError();
    return probe;
  }
  if (count < 1) {
    probe.message = "no usable CUDA device: the CUDA runtime reports no device";
    return probe;
  }
  cudaDeviceProp prop{};
  cudaError_t step = cudaGetDeviceProperties(&prop, 0);
  if (step == cudaSuccess) step = cudaSetDevice(0);
  if (step == cudaSuccess) step = cudaFree(nullptr);  // creates the context: a busy or broken device fails here
  if (step != cudaSuccess) {
    probe.cuda_error = static_cast<int>(step);
    probe.message = std::string("no usable CUDA device: device 0 failed to start: ") + cudaGetErrorName(step) +
                    " (" + cudaGetErrorString(step) + ")";
    (void)cudaGetLastError();
    return probe;
  }
  DeviceInfo& info = probe.info;
  info.kind = "cuda";
  info.name = prop.name;
  info.memory_gib = static_cast<double>(prop.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0);
  info.multiprocessors = prop.multiProcessorCount;
  info.compute_capability = std::to_string(prop.major) + "." + std::to_string(prop.minor);
  info.l2_mib = prop.l2CacheSize / (1024.0 * 1024.0);
  info.hardware = CatalogueHardwareName(info.name, info.memory_gib);
  info.driver = NvidiaDriverVersion();
  int driver_api = 0, runtime = 0;
  cudaDriverGetVersion(&driver_api);
  cudaRuntimeGetVersion(&runtime);
  if (info.driver.empty()) info.driver = "CUDA " + VersionText(driver_api) + " capable";
  info.runtime = "CUDA runtime " + VersionText(runtime);
  info.library = CublasVersion();
  if (prop.major < 8) {
    probe.message = "no usable CUDA device: " + info.name + " has compute capability " + info.compute_capability +
                    "; the attention kernels need 8.0 or newer";
    return probe;
  }
  probe.usable = true;
  probe.message = "using " + info.name + " (" + info.compute_capability + ", " + std::to_string(info.multiprocessors) +
                  " SMs, driver " + info.driver + ", " + info.runtime + ")";
  return probe;
}

}  // namespace thinkplan::harness
