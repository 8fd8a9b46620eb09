#include "elementwise.cuh"

#include <algorithm>

namespace thinkplan::harness::cuda {
namespace {

constexpr int kThreads = 256;

unsigned Blocks(std::size_t work) {
  const std::size_t blocks = (work + kThreads - 1) / kThreads;
  return static_cast<unsigned>(std::clamp<std::size_t>(blocks, 1, 132 * 64));  // grid-stride beyond this
}

__device__ __forceinline__ std::uint64_t Mix(std::uint64_t x) {  // splitmix64's finaliser
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

__global__ void FillRandomKernel(bf16* data, std::size_t count, std::uint64_t seed, float scale) {
  const std::uint64_t key = Mix(seed);
  for (std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; i < count;
       i += std::size_t{gridDim.x} * blockDim.x) {
    const std::uint64_t bits = Mix(key ^ i);
    const float unit = static_cast<float>(bits >> 40) * (1.0f / 16777216.0f);  // [0, 1)
    data[i] = __float2bfloat16((2.0f * unit - 1.0f) * scale);
  }
}

__global__ void FillBitsKernel(bf16* data, std::size_t count, std::uint16_t bits) {
  const bf16 value = __ushort_as_bfloat16(bits);
  for (std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; i < count;
       i += std::size_t{gridDim.x} * blockDim.x) {
    data[i] = value;
  }
}

__global__ void FillFloatKernel(float* data, std::size_t count, float value) {
  for (std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; i < count;
       i += std::size_t{gridDim.x} * blockDim.x) {
    data[i] = value;
  }
}

// One thread per 16 bytes (8 values) of a new key or value row.
__global__ void AppendKvKernel(AppendArgs a) {
  const long vectors_per_row = a.head_dim / 8;
  const long total = a.batch * a.n_new * a.kv_heads * vectors_per_row;
  for (long idx = blockIdx.x * long{blockDim.x} + threadIdx.x; idx < total; idx += long{gridDim.x} * blockDim.x) {
    const long vec = idx % vectors_per_row;
    const long kvh = (idx / vectors_per_row) % a.kv_heads;
    const long token = idx / (vectors_per_row * a.kv_heads);  // b * n_new + i
    const long b = token / a.n_new;
    const long i = token % a.n_new;
    const bf16* row = a.qkv + token * a.qkv_stride;
    const long column = (a.heads + kvh) * a.head_dim + vec * 8;
    const long slot = ((b * a.kv_heads + kvh) * a.cache_len + a.pos0 + i) * a.head_dim + vec * 8;
    *reinterpret_cast<uint4*>(a.k_cache + slot) = *reinterpret_cast<const uint4*>(row + column);
    *reinterpret_cast<uint4*>(a.v_cache + slot) =
        *reinterpret_cast<const uint4*>(row + column + a.kv_heads * a.head_dim);
  }
}

__device__ __forceinline__ float Silu(float x) { return x / (1.0f + __expf(-x)); }

// Eight values per thread when the width allows 16-byte accesses, else one.
template <int kVector>
__global__ void SiluMulKernel(const bf16* gate_up, bf16* out, long tokens, long width) {
  const long per_row = width / kVector;
  const long total = tokens * per_row;
  for (long idx = blockIdx.x * long{blockDim.x} + threadIdx.x; idx < total; idx += long{gridDim.x} * blockDim.x) {
    const long t = idx / per_row;
    const long c = (idx % per_row) * kVector;
    const bf16* gate = gate_up + t * 2 * width + c;
    bf16 g[kVector], u[kVector], o[kVector];
    if constexpr (kVector == 8) {
      *reinterpret_cast<uint4*>(g) = *reinterpret_cast<const uint4*>(gate);
      *reinterpret_cast<uint4*>(u) = *reinterpret_cast<const uint4*>(gate + width);
    } else {
      g[0] = gate[0];
      u[0] = gate[width];
    }
#pragma unroll
    for (int j = 0; j < kVector; ++j) {
      o[j] = __float2bfloat16(Silu(__bfloat162float(g[j])) * __bfloat162float(u[j]));
    }
    if constexpr (kVector == 8) {
      *reinterpret_cast<uint4*>(out + t * width + c) = *reinterpret_cast<const uint4*>(o);
    } else {
      out[t * width + c] = o[0];
    }
  }
}

}  // namespace

void FillRandom(bf16* data, std::size_t count, std::uint64_t seed, float scale, cudaStream_t stream) {
  FillRandomKernel<<<Blocks(count), kThreads, 0, stream>>>(data, count, seed, scale);
  THINKPLAN_LAUNCH_CHECK();
}

void FillBits(bf16* data, std::size_t count, std::uint16_t bits, cudaStream_t stream) {
  FillBitsKernel<<<Blocks(count), kThreads, 0, stream>>>(data, count, bits);
  THINKPLAN_LAUNCH_CHECK();
}

void FillFloat(float* data, std::size_t count, float value, cudaStream_t stream) {
  FillFloatKernel<<<Blocks(count), kThreads, 0, stream>>>(data, count, value);
  THINKPLAN_LAUNCH_CHECK();
}

void AppendKv(const AppendArgs& args, cudaStream_t stream) {
  if (args.head_dim % 8 != 0 || args.qkv_stride % 8 != 0) {
    throw HarnessError("append: head_dim and the QKV row must be multiples of 8 values");
  }
  const std::size_t work = static_cast<std::size_t>(args.batch * args.n_new * args.kv_heads * (args.head_dim / 8));
  AppendKvKernel<<<Blocks(work), kThreads, 0, stream>>>(args);
  THINKPLAN_LAUNCH_CHECK();
}

void SiluMul(const bf16* gate_up, bf16* out, long tokens, long width, cudaStream_t stream) {
  if (width % 8 == 0) {
    SiluMulKernel<8><<<Blocks(static_cast<std::size_t>(tokens * width / 8)), kThreads, 0, stream>>>(
        gate_up, out, tokens, width);
  } else {
    SiluMulKernel<1><<<Blocks(static_cast<std::size_t>(tokens * width)), kThreads, 0, stream>>>(gate_up, out,
                                                                                                tokens, width);
  }
  THINKPLAN_LAUNCH_CHECK();
}

}  // namespace thinkplan::harness::cuda
