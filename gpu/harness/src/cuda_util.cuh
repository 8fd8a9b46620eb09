// CUDA plumbing shared by the harness's .cu files: checked calls that throw DeviceError, and owning handles for
// device memory, streams, events and cuBLAS. Internal: never included by plain C++ code.
#pragma once

#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <string>
#include <utility>

#include "thinkplan_harness/harness.h"

namespace thinkplan::harness::cuda {

using bf16 = __nv_bfloat16;

[[noreturn]] void ThrowCuda(cudaError_t error, const char* call, const char* file, int line);
[[noreturn]] void ThrowCublas(cublasStatus_t status, const char* call, const char* file, int line);

#define THINKPLAN_CUDA_CHECK(call)                                                       \
  do {                                                                                   \
    const cudaError_t thinkplan_error_ = (call);                                         \
    if (thinkplan_error_ != cudaSuccess) {                                               \
      ::thinkplan::harness::cuda::ThrowCuda(thinkplan_error_, #call, __FILE__, __LINE__); \
    }                                                                                    \
  } while (0)

#define THINKPLAN_CUBLAS_CHECK(call)                                                        \
  do {                                                                                      \
    const cublasStatus_t thinkplan_status_ = (call);                                        \
    if (thinkplan_status_ != CUBLAS_STATUS_SUCCESS) {                                       \
      ::thinkplan::harness::cuda::ThrowCublas(thinkplan_status_, #call, __FILE__, __LINE__); \
    }                                                                                       \
  } while (0)

// After every kernel launch: a bad configuration shows up here, not at the next synchronisation.
#define THINKPLAN_LAUNCH_CHECK() THINKPLAN_CUDA_CHECK(cudaGetLastError())

// Device memory of `count` elements of T, freed on destruction.
template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t count) : count_(count) {
    if (count > 0) THINKPLAN_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&data_), count * sizeof(T)));
  }
  ~DeviceBuffer() {
    if (data_ != nullptr) cudaFree(data_);
  }
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), count_(std::exchange(other.count_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(count_, other.count_);
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  T* data() const { return data_; }
  std::size_t size() const { return count_; }
  std::size_t bytes() const { return count_ * sizeof(T); }

 private:
  T* data_ = nullptr;
  std::size_t count_ = 0;
};

class Stream {
 public:
  Stream() { THINKPLAN_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
  ~Stream() { cudaStreamDestroy(stream_); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

class Event {
 public:
  Event() { THINKPLAN_CUDA_CHECK(cudaEventCreate(&event_)); }
  ~Event() {
    if (event_ != nullptr) cudaEventDestroy(event_);
  }
  Event(Event&& other) noexcept : event_(std::exchange(other.event_, nullptr)) {}
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  cudaEvent_t get() const { return event_; }

 private:
  cudaEvent_t event_ = nullptr;
};

// A cuBLAS handle bound to `stream`, with a workspace of its own so that its calls can be captured in a graph.
class Cublas {
 public:
  explicit Cublas(cudaStream_t stream);
  ~Cublas();
  Cublas(const Cublas&) = delete;
  Cublas& operator=(const Cublas&) = delete;
  cublasHandle_t get() const { return handle_; }

 private:
  cublasHandle_t handle_ = nullptr;
  DeviceBuffer<unsigned char> workspace_;
};

// Row-major Y[m x n] = X[m x k] W[k x n] in bf16 with fp32 accumulation; X's rows are `ldx` elements apart.
void Gemm(cublasHandle_t handle, const bf16* x, long ldx, const bf16* w, bf16* y, long m, long n, long k);

// Median and relative spread of `repeats` timings of `enqueue` on `stream` after `warmup` untimed runs. The work
// is captured into a CUDA graph and the graph is replayed (launch gaps out of the numbers); when capture fails
// the work is launched directly. `mode` says which happened.
struct StepTiming {
  double median_ms = 0;
  double spread = 0;
  std::string mode;
};
template <typename Enqueue>
StepTiming TimeOnStream(cudaStream_t stream, int warmup, int repeats, Enqueue&& enqueue);

int MultiprocessorCount();

}  // namespace thinkplan::harness::cuda

#include "timing.cuh"
