// Design (why it looks like this): decode attention is a stream over the KV cache, so the kernel must keep
// several 16-byte loads in flight per thread and do little arithmetic per byte. Each block takes one KV head and
// a range of keys, and all query heads of that KV head as the 16 rows of a tensor-core tile, so every key and
// value is loaded once per group. Keys arrive in tiles through cp.async (two stages, the next tile loading while
// the current one is used). Scores for a chunk of keys go to shared memory, the softmax runs there in fp32, and
// the probabilities (bf16) times the values accumulate in tensor-core fragments; across chunks the running
// output lives in shared memory and is rescaled there, which keeps the fragments' layout opaque (WMMA API).
// Prefill uses the same kernel with four row tiles (64 query rows) per block and the causal mask.
#include "attention.cuh"

#include <mma.h>

#include <algorithm>
#include <cmath>

namespace thinkplan::harness::cuda {
namespace {

using namespace nvcuda;

constexpr int kThreads = 128;  // four warps
constexpr int kWarps = kThreads / 32;

template <int HD, int RT, int TK, int CT>
struct Tile {
  static constexpr int kRows = 16 * RT;         // query rows per block
  static constexpr int kChunk = TK * CT;        // keys per softmax chunk
  static constexpr int kLdK = HD + 8;           // bf16 row stride of Q, K and V tiles (16-byte padding)
  static constexpr int kLdS = kChunk + 4;       // fp32 scores
  static constexpr int kLdP = kChunk + 8;       // bf16 probabilities
  static constexpr int kLdO = HD + 4;           // fp32 running output
  static constexpr std::size_t Align(std::size_t bytes) { return (bytes + 127) / 128 * 128; }
  static constexpr std::size_t kQBytes = Align(sizeof(bf16) * kRows * kLdK);
  static constexpr std::size_t kKvBytes = Align(sizeof(bf16) * 2 * TK * kLdK);
  static constexpr std::size_t kSBytes = Align(sizeof(float) * kRows * kLdS);
  static constexpr std::size_t kPBytes = Align(sizeof(bf16) * kRows * kLdP);
  static constexpr std::size_t kOBytes = Align(sizeof(float) * kRows * kLdO);
  static constexpr std::size_t kRowBytes = Align(sizeof(float) * 3 * kRows);
  static constexpr std::size_t kSharedBytes = kQBytes + kKvBytes + kSBytes + kPBytes + kOBytes + kRowBytes;
  static constexpr int kOutFrags = RT * (HD / 16) / kWarps;  // output fragments each warp accumulates
  static_assert(HD % 16 == 0 && TK % 16 == 0, "tiles are made of 16x16 fragments");
  static_assert(RT * (HD / 16) % kWarps == 0, "output fragments must split evenly over the warps");
};

__device__ __forceinline__ void CopyAsync16(void* shared, const void* global, bool valid) {
  const unsigned address = static_cast<unsigned>(__cvta_generic_to_shared(shared));
  const int bytes = valid ? 16 : 0;  // 0: the 16 bytes are zero-filled, nothing is read
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(address), "l"(global), "r"(bytes));
}
__device__ __forceinline__ void CommitAsync() { asm volatile("cp.async.commit_group;\n" ::); }
template <int kPending>
__device__ __forceinline__ void WaitAsync() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending));
}

// Starts loading keys [key0, key0 + TK) of one cache (rows past `valid` are zero-filled) into `dst`.
template <int HD, int TK, int LD>
__device__ __forceinline__ void LoadTile(bf16* dst, const bf16* base, long key0, int valid) {
  constexpr int kVectors = TK * HD / 8;
  for (int idx = threadIdx.x; idx < kVectors; idx += kThreads) {
    const int row = idx / (HD / 8);
    const int col = (idx % (HD / 8)) * 8;
    const bool ok = row < valid;
    const bf16* src = ok ? base + (key0 + row) * HD + col : base;
    CopyAsync16(dst + row * LD + col, src, ok);
  }
  CommitAsync();
}

__device__ __forceinline__ float WarpMax(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
  return v;
}
__device__ __forceinline__ float WarpSum(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

struct KernelArgs {
  AttentionArgs a;
  long keys_per_split;
  int splits;
  float scale_log2;  // log2(e) / sqrt(head_dim): scores in base-2 units, so the softmax uses exp2
  float* partial_o;  // [row][split][HD] unnormalised outputs, when splits > 1
  float* partial_ml; // [row][split][2] running max and sum
};

template <int HD, int RT, int TK, int CT>
__global__ void __launch_bounds__(kThreads) AttentionKernel(const KernelArgs p) {
  using T = Tile<HD, RT, TK, CT>;
  constexpr int kRows = T::kRows, kChunk = T::kChunk, kLdK = T::kLdK, kLdS = T::kLdS, kLdP = T::kLdP,
                kLdO = T::kLdO;
  extern __shared__ __align__(128) unsigned char shared[];
  bf16* q_tile = reinterpret_cast<bf16*>(shared);
  bf16* kv_tiles = reinterpret_cast<bf16*>(shared + T::kQBytes);
  float* scores = reinterpret_cast<float*>(shared + T::kQBytes + T::kKvBytes);
  bf16* probs = reinterpret_cast<bf16*>(shared + T::kQBytes + T::kKvBytes + T::kSBytes);
  float* acc = reinterpret_cast<float*>(shared + T::kQBytes + T::kKvBytes + T::kSBytes + T::kPBytes);
  float* row_max = reinterpret_cast<float*>(shared + T::kQBytes + T::kKvBytes + T::kSBytes + T::kPBytes +
                                            T::kOBytes);
  float* row_sum = row_max + kRows;
  float* row_scale = row_sum + kRows;

  const AttentionArgs& a = p.a;
  const int warp = threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  const int split = blockIdx.x % p.splits;
  const long row_block = blockIdx.x / p.splits;
  const int kvh = blockIdx.y;
  const int b = blockIdx.z;
  const int group = a.heads / a.kv_heads;
  const long rows_total = static_cast<long>(a.n_q) * group;  // row r = query i * group + head within group
  const long row0 = row_block * kRows;

  long key_begin = static_cast<long>(split) * p.keys_per_split;
  long key_end = min(a.kv_len, key_begin + p.keys_per_split);
  if (a.causal) {
    const long last_row = min(rows_total, row0 + kRows) - 1;
    key_end = min(key_end, a.q_pos0 + last_row / group + 1);
  }

  // Query rows (zero beyond the last row), running state.
  for (int idx = threadIdx.x; idx < kRows * HD / 8; idx += kThreads) {
    const int r = idx / (HD / 8);
    const int c = (idx % (HD / 8)) * 8;
    const long gr = row0 + r;
    uint4 value = make_uint4(0, 0, 0, 0);
    if (gr < rows_total) {
      const long i = gr / group;
      const long head = static_cast<long>(kvh) * group + gr % group;
      value = *reinterpret_cast<const uint4*>(a.q + (b * static_cast<long>(a.n_q) + i) * a.q_row_stride +
                                              head * HD + c);
    }
    *reinterpret_cast<uint4*>(q_tile + r * kLdK + c) = value;
  }
  for (int idx = threadIdx.x; idx < kRows * kLdO; idx += kThreads) acc[idx] = 0.0f;
  for (int r = threadIdx.x; r < kRows; r += kThreads) {
    row_max[r] = -INFINITY;
    row_sum[r] = 0.0f;
    row_scale[r] = 1.0f;
  }
  __syncthreads();

  const long cache_offset = (static_cast<long>(b) * a.kv_heads + kvh) * a.cache_len * HD;
  const bf16* k_base = a.k + cache_offset;
  const bf16* v_base = a.v + cache_offset;

  for (long chunk0 = key_begin; chunk0 < key_end; chunk0 += kChunk) {
    const int n_keys = static_cast<int>(min(static_cast<long>(kChunk), key_end - chunk0));
    const int n_tiles = (n_keys + TK - 1) / TK;

    // Scores: S[rows][keys] = Q K^T, one 16x16 fragment at a time, tile t+1 loading while tile t is used.
    LoadTile<HD, TK, kLdK>(kv_tiles, k_base, chunk0, min(TK, n_keys));
    for (int t = 0; t < n_tiles; ++t) {
      if (t + 1 < n_tiles) {
        LoadTile<HD, TK, kLdK>(kv_tiles + ((t + 1) & 1) * TK * kLdK, k_base, chunk0 + (t + 1) * TK,
                               min(TK, n_keys - (t + 1) * TK));
        WaitAsync<1>();
      } else {
        WaitAsync<0>();
      }
      __syncthreads();
      const bf16* k_tile = kv_tiles + (t & 1) * TK * kLdK;
      for (int f = warp; f < RT * (TK / 16); f += kWarps) {
        const int rt = f / (TK / 16);
        const int kt = f % (TK / 16);
        wmma::fragment<wmma::accumulator, 16, 16, 16, float> s;
        wmma::fill_fragment(s, 0.0f);
#pragma unroll
        for (int k0 = 0; k0 < HD; k0 += 16) {
          wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> qa;
          wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::col_major> kb;
          wmma::load_matrix_sync(qa, q_tile + rt * 16 * kLdK + k0, kLdK);
          wmma::load_matrix_sync(kb, k_tile + kt * 16 * kLdK + k0, kLdK);
          wmma::mma_sync(s, qa, kb, s);
        }
        wmma::store_matrix_sync(scores + rt * 16 * kLdS + t * TK + kt * 16, s, kLdS, wmma::mem_row_major);
      }
      __syncthreads();
    }

    // The first value tile loads during the softmax.
    LoadTile<HD, TK, kLdK>(kv_tiles, v_base, chunk0, min(TK, n_keys));

    // Online softmax per row: new running max, the factor that rescales what came before, probabilities.
    const int padded = n_tiles * TK;
    for (int r = warp; r < kRows; r += kWarps) {
      const long gr = row0 + r;
      long visible = 0;
      if (gr < rows_total) {
        visible = a.causal ? a.q_pos0 + gr / group + 1 - chunk0 : n_keys;
        visible = max(0L, min(visible, static_cast<long>(n_keys)));
      }
      float chunk_max = -INFINITY;
      for (int j = lane; j < padded; j += 32) {
        if (j < visible) chunk_max = fmaxf(chunk_max, scores[r * kLdS + j] * p.scale_log2);
      }
      chunk_max = WarpMax(chunk_max);
      const float old_max = row_max[r];
      const float new_max = fmaxf(old_max, chunk_max);
      const float rescale = new_max == -INFINITY ? 1.0f : exp2f(old_max - new_max);
      float sum = 0.0f;
      for (int j = lane; j < padded; j += 32) {
        float prob = 0.0f;
        if (j < visible) prob = exp2f(scores[r * kLdS + j] * p.scale_log2 - new_max);
        const bf16 rounded = __float2bfloat16(prob);
        probs[r * kLdP + j] = rounded;
        sum += __bfloat162float(rounded);  // the sum of what is multiplied, not of what was computed
      }
      sum = WarpSum(sum);
      if (lane == 0) {
        row_max[r] = new_max;
        row_sum[r] = row_sum[r] * rescale + sum;
        row_scale[r] = rescale;
      }
    }
    __syncthreads();
    for (int idx = threadIdx.x; idx < kRows * HD; idx += kThreads) {
      const int r = idx / HD;
      acc[r * kLdO + idx % HD] *= row_scale[r];
    }
    __syncthreads();

    // Output: acc[rows][HD] += P V, each warp owning kOutFrags fragments for the whole chunk.
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> o[T::kOutFrags];
#pragma unroll
    for (int i = 0; i < T::kOutFrags; ++i) {
      const int f = warp * T::kOutFrags + i;
      wmma::load_matrix_sync(o[i], acc + (f / (HD / 16)) * 16 * kLdO + (f % (HD / 16)) * 16, kLdO,
                             wmma::mem_row_major);
    }
    for (int t = 0; t < n_tiles; ++t) {
      if (t + 1 < n_tiles) {
        LoadTile<HD, TK, kLdK>(kv_tiles + ((t + 1) & 1) * TK * kLdK, v_base, chunk0 + (t + 1) * TK,
                               min(TK, n_keys - (t + 1) * TK));
        WaitAsync<1>();
      } else {
        WaitAsync<0>();
      }
      __syncthreads();
      const bf16* v_tile = kv_tiles + (t & 1) * TK * kLdK;
#pragma unroll
      for (int i = 0; i < T::kOutFrags; ++i) {
        const int f = warp * T::kOutFrags + i;
        const int rt = f / (HD / 16);
        const int ct = f % (HD / 16);
#pragma unroll
        for (int kk = 0; kk < TK; kk += 16) {
          wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> pa;
          wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::row_major> vb;
          wmma::load_matrix_sync(pa, probs + rt * 16 * kLdP + t * TK + kk, kLdP);
          wmma::load_matrix_sync(vb, v_tile + kk * kLdK + ct * 16, kLdK);
          wmma::mma_sync(o[i], pa, vb, o[i]);
        }
      }
      __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < T::kOutFrags; ++i) {
      const int f = warp * T::kOutFrags + i;
      wmma::store_matrix_sync(acc + (f / (HD / 16)) * 16 * kLdO + (f % (HD / 16)) * 16, o[i], kLdO,
                              wmma::mem_row_major);
    }
    __syncthreads();
  }

  // Normalised bf16 output, or this split's unnormalised partial for the combine pass.
  for (int idx = threadIdx.x; idx < kRows * HD; idx += kThreads) {
    const int r = idx / HD;
    const int c = idx % HD;
    const long gr = row0 + r;
    if (gr >= rows_total) continue;
    const long i = gr / group;
    const long head = static_cast<long>(kvh) * group + gr % group;
    const long token = static_cast<long>(b) * a.n_q + i;
    if (p.splits == 1) {
      const float total = row_sum[r];
      a.out[token * a.out_row_stride + head * HD + c] =
          __float2bfloat16(total > 0.0f ? acc[r * kLdO + c] / total : 0.0f);
    } else {
      const long slot = (token * a.heads + head) * p.splits + split;
      p.partial_o[slot * HD + c] = acc[r * kLdO + c];
      if (c == 0) {
        p.partial_ml[slot * 2] = row_max[r];
        p.partial_ml[slot * 2 + 1] = row_sum[r];
      }
    }
  }
}

// Merges the splits of each (token, head): weights 2^(m_s - M), normalised by the merged sum.
__global__ void CombineKernel(const float* partial_o, const float* partial_ml, bf16* out, long out_row_stride,
                              int heads, int head_dim, int splits) {
  const long row = blockIdx.x;  // token * heads + head
  const long token = row / heads;
  const long head = row % heads;
  const float* ml = partial_ml + row * splits * 2;
  float merged_max = -INFINITY;
  for (int s = 0; s < splits; ++s) merged_max = fmaxf(merged_max, ml[2 * s]);
  for (int c = threadIdx.x; c < head_dim; c += blockDim.x) {
    float total = 0.0f, value = 0.0f;
    for (int s = 0; s < splits; ++s) {
      const float m = ml[2 * s];
      const float w = m == -INFINITY ? 0.0f : exp2f(m - merged_max);
      total += ml[2 * s + 1] * w;
      value += partial_o[(row * splits + s) * head_dim + c] * w;
    }
    out[token * out_row_stride + head * head_dim + c] = __float2bfloat16(total > 0.0f ? value / total : 0.0f);
  }
}

template <int HD, int RT, int TK, int CT>
void Launch(const KernelArgs& args, dim3 grid, cudaStream_t stream) {
  using T = Tile<HD, RT, TK, CT>;
  static const cudaError_t configured = cudaFuncSetAttribute(
      AttentionKernel<HD, RT, TK, CT>, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(T::kSharedBytes));
  THINKPLAN_CUDA_CHECK(configured);
  AttentionKernel<HD, RT, TK, CT><<<grid, kThreads, T::kSharedBytes, stream>>>(args);
  THINKPLAN_LAUNCH_CHECK();
}

// Decode: one row tile, 256-key chunks. Prefill: four row tiles (two for head_dim 256), one tile per chunk.
void Dispatch(const KernelArgs& args, const AttentionPlan& plan, dim3 grid, cudaStream_t stream) {
  switch (args.a.head_dim) {
    case 64:
      plan.prefill ? Launch<64, 4, 64, 1>(args, grid, stream) : Launch<64, 1, 64, 4>(args, grid, stream);
      break;
    case 128:
      plan.prefill ? Launch<128, 4, 64, 1>(args, grid, stream) : Launch<128, 1, 64, 4>(args, grid, stream);
      break;
    case 256:
      plan.prefill ? Launch<256, 2, 32, 2>(args, grid, stream) : Launch<256, 1, 32, 8>(args, grid, stream);
      break;
    default:
      throw HarnessError("attention: head_dim " + std::to_string(args.a.head_dim) +
                         " is not supported (64, 128 or 256)");
  }
}

int RowsPerBlock(bool prefill, int head_dim) { return prefill ? (head_dim == 256 ? 32 : 64) : 16; }

}  // namespace

bool AttentionSupportsHeadDim(int head_dim) { return head_dim == 64 || head_dim == 128 || head_dim == 256; }

AttentionPlan PlanAttention(const AttentionArgs& a, int target_blocks) {
  if (!AttentionSupportsHeadDim(a.head_dim)) {
    throw HarnessError("attention: head_dim " + std::to_string(a.head_dim) + " is not supported (64, 128 or 256)");
  }
  if (a.heads % a.kv_heads != 0) throw HarnessError("attention: heads must be a multiple of kv_heads");
  AttentionPlan plan;
  plan.prefill = a.n_q > 1;
  const long rows = static_cast<long>(a.n_q) * (a.heads / a.kv_heads);
  const int per_block = RowsPerBlock(plan.prefill, a.head_dim);
  plan.row_blocks = static_cast<int>((rows + per_block - 1) / per_block);
  plan.keys_per_split = a.kv_len;
  if (!plan.prefill) {
    // Split the keys until the device has enough blocks to hide memory latency; splits stay >= 64 keys.
    if (target_blocks <= 0) target_blocks = 8 * MultiprocessorCount();
    const long blocks = static_cast<long>(a.batch) * a.kv_heads * plan.row_blocks;
    const long wanted = std::clamp<long>((target_blocks + blocks - 1) / blocks, 1, (a.kv_len + 63) / 64);
    const long per_split = (a.kv_len + wanted - 1) / wanted;
    plan.keys_per_split = (per_split + 63) / 64 * 64;
    plan.splits = static_cast<int>((a.kv_len + plan.keys_per_split - 1) / plan.keys_per_split);
  }
  if (plan.splits > 1) {
    const std::size_t slots = static_cast<std::size_t>(a.batch) * a.n_q * a.heads * plan.splits;
    plan.workspace_floats = slots * (a.head_dim + 2);
  }
  return plan;
}

void LaunchAttention(const AttentionArgs& a, const AttentionPlan& plan, float* workspace, cudaStream_t stream) {
  if (plan.splits > 1 && workspace == nullptr) throw HarnessError("attention: split plan without a workspace");
  KernelArgs args{a, plan.keys_per_split, plan.splits,
                  static_cast<float>(1.4426950408889634 / std::sqrt(static_cast<double>(a.head_dim))), nullptr,
                  nullptr};
  if (plan.splits > 1) {
    const std::size_t slots = static_cast<std::size_t>(a.batch) * a.n_q * a.heads * plan.splits;
    args.partial_o = workspace;
    args.partial_ml = workspace + slots * a.head_dim;
  }
  // Row blocks and splits share x (up to 2^31 - 1 blocks), so long prefills fit; y and z stay small.
  const dim3 grid(static_cast<unsigned>(static_cast<long>(plan.row_blocks) * plan.splits), a.kv_heads, a.batch);
  Dispatch(args, plan, grid, stream);
  if (plan.splits > 1) {
    const unsigned rows = static_cast<unsigned>(static_cast<long>(a.batch) * a.n_q * a.heads);
    CombineKernel<<<rows, a.head_dim, 0, stream>>>(args.partial_o, args.partial_ml, a.out, a.out_row_stride,
                                                     a.heads, a.head_dim, plan.splits);
    THINKPLAN_LAUNCH_CHECK();
  }
}

}  // namespace thinkplan::harness::cuda
