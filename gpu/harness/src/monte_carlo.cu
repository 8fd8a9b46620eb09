#include <chrono>
#include <cstring>

#include <cstdio>

#include "cuda_util.cuh"
#include "thinkplan_harness/model_shape.h"
#include "thinkplan_harness/monte_carlo.h"

namespace thinkplan::harness {
namespace {

constexpr int kThreads = 256;

// One thread per problem. Per-block sums of credits and trials go to `block_credit` / `block_trials` so that the
// host adds them in a fixed order; `credits` (optional) receives every problem's credit.
__global__ void MonteCarloKernel(sim::McProblemSpec spec, uint64_t first, uint64_t count, double* credits,
                                 double* block_credit, unsigned long long* block_trials) {
  __shared__ double credit_share[kThreads];
  __shared__ unsigned long long trial_share[kThreads];
  const uint64_t i = static_cast<uint64_t>(blockIdx.x) * kThreads + threadIdx.x;
  double credit = 0;
  unsigned long long trials = 0;
  if (i < count) {
    const sim::McProblemOutcome outcome = sim::SimulateProblem(spec, first + i);
    credit = outcome.credit;
    trials = outcome.trials;
    if (credits != nullptr) credits[i] = credit;
  }
  credit_share[threadIdx.x] = credit;
  trial_share[threadIdx.x] = trials;
  __syncthreads();
  for (int stride = kThreads / 2; stride > 0; stride /= 2) {  // a fixed tree: the same sum on every run
    if (threadIdx.x < stride) {
      credit_share[threadIdx.x] += credit_share[threadIdx.x + stride];
      trial_share[threadIdx.x] += trial_share[threadIdx.x + stride];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    block_credit[blockIdx.x] = credit_share[0];
    block_trials[blockIdx.x] = trial_share[0];
  }
}

}  // namespace

McDeviceResult RunMonteCarloOnDevice(const sim::McProblemSpec& spec, uint64_t first, uint64_t count,
                                     bool keep_credits) {
  if (!ProbeDevice().usable) throw HarnessError("no usable CUDA device for the Monte Carlo kernel");
  McDeviceResult result;
  if (count == 0) return result;
  const uint64_t blocks = (count + kThreads - 1) / kThreads;
  cuda::DeviceBuffer<double> credits(keep_credits ? count : 0);
  cuda::DeviceBuffer<double> block_credit(blocks);
  cuda::DeviceBuffer<unsigned long long> block_trials(blocks);
  cudaEvent_t start, stop;
  THINKPLAN_CUDA_CHECK(cudaEventCreate(&start));
  THINKPLAN_CUDA_CHECK(cudaEventCreate(&stop));
  THINKPLAN_CUDA_CHECK(cudaEventRecord(start));
  MonteCarloKernel<<<static_cast<unsigned>(blocks), kThreads>>>(spec, first, count, credits.data(),
                                                                 block_credit.data(), block_trials.data());
  THINKPLAN_LAUNCH_CHECK();
  THINKPLAN_CUDA_CHECK(cudaEventRecord(stop));
  THINKPLAN_CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0;
  THINKPLAN_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  result.kernel_seconds = ms / 1e3;
  std::vector<double> sums(blocks);
  std::vector<unsigned long long> trials(blocks);
  THINKPLAN_CUDA_CHECK(cudaMemcpy(sums.data(), block_credit.data(), blocks * sizeof(double), cudaMemcpyDeviceToHost));
  THINKPLAN_CUDA_CHECK(cudaMemcpy(trials.data(), block_trials.data(), blocks * sizeof(unsigned long long),
                                  cudaMemcpyDeviceToHost));
  for (uint64_t b = 0; b < blocks; ++b) {
    result.credit_sum += sums[b];
    result.trials += trials[b];
  }
  if (keep_credits) {
    result.credits.resize(count);
    THINKPLAN_CUDA_CHECK(cudaMemcpy(result.credits.data(), credits.data(), count * sizeof(double), cudaMemcpyDeviceToHost));
  }
  return result;
}

McCheckResult CheckMonteCarlo(const std::string& name, const sim::McProblemSpec& spec, uint64_t check,
                              uint64_t problems, uint64_t cpu_problems) {
  McCheckResult result;
  result.option = name;
  result.checked = check;
  const McDeviceResult device = RunMonteCarloOnDevice(spec, 0, check, true);
  for (uint64_t i = 0; i < check; ++i) {
    const double cpu = sim::SimulateProblem(spec, i).credit;
    if (std::memcmp(&cpu, &device.credits[i], sizeof(double)) != 0) ++result.mismatches;
  }
  RunMonteCarloOnDevice(spec, 0, 1 << 16, false);  // warm-up
  const McDeviceResult timed = RunMonteCarloOnDevice(spec, 0, problems, false);
  result.device_trials_per_s = static_cast<double>(timed.trials) / timed.kernel_seconds;
  result.device_accuracy = timed.credit_sum / static_cast<double>(problems);
  // A steady-clock read of its own, not core/timing.h: the harness is standalone and cannot link thinkplan_core.
  const auto start = std::chrono::steady_clock::now();
  uint64_t cpu_trials = 0;
  for (uint64_t i = 0; i < cpu_problems; ++i) cpu_trials += sim::SimulateProblem(spec, i).trials;
  const double cpu_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.cpu_trials_per_s = static_cast<double>(cpu_trials) / cpu_seconds;
  return result;
}

std::string McCheckResult::Line() const {
  char line[256];
  std::snprintf(line, sizeof line, "%-22s checked %8llu  mismatches %llu  device %.3e trials/s  cpu core %.3e  "
                "ratio %.0fx  accuracy %.5f",
                option.c_str(), static_cast<unsigned long long>(checked), static_cast<unsigned long long>(mismatches),
                device_trials_per_s, cpu_trials_per_s, device_trials_per_s / cpu_trials_per_s, device_accuracy);
  return line;
}

}  // namespace thinkplan::harness
