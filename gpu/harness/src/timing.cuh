// TimeOnStream (cuda_util.cuh): graph capture, warm-up and event timing of one enqueued step.
#pragma once

#include <vector>

#include "thinkplan_harness/system_info.h"

namespace thinkplan::harness::cuda {

template <typename Enqueue>
StepTiming TimeOnStream(cudaStream_t stream, int warmup, int repeats, Enqueue&& enqueue) {
  // One direct run first: module loading and cuBLAS's first-call set-up stay out of the capture and the
  // timings, and a launch error surfaces here with its source line.
  enqueue();
  THINKPLAN_CUDA_CHECK(cudaStreamSynchronize(stream));

  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  bool captured = false;
  if (cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal) == cudaSuccess) {
    bool enqueued = true;
    try {
      enqueue();
    } catch (const DeviceError&) {
      enqueued = false;  // a call refused under capture: fall back to direct launches
    } catch (...) {
      if (cudaStreamEndCapture(stream, &graph) == cudaSuccess && graph != nullptr) cudaGraphDestroy(graph);
      throw;
    }
    const cudaError_t ended = cudaStreamEndCapture(stream, &graph);
    captured = enqueued && ended == cudaSuccess && graph != nullptr &&
               cudaGraphInstantiate(&exec, graph, 0) == cudaSuccess;
  }
  if (!captured) {
    if (exec != nullptr) cudaGraphExecDestroy(exec);
    exec = nullptr;
    (void)cudaGetLastError();  // the failed capture's error is not the step's
  }
  const auto run = [&] {
    if (captured) {
      THINKPLAN_CUDA_CHECK(cudaGraphLaunch(exec, stream));
    } else {
      enqueue();
    }
  };
  for (int i = 0; i < warmup; ++i) run();
  std::vector<Event> starts(repeats), stops(repeats);
  for (int i = 0; i < repeats; ++i) {
    THINKPLAN_CUDA_CHECK(cudaEventRecord(starts[i].get(), stream));
    run();
    THINKPLAN_CUDA_CHECK(cudaEventRecord(stops[i].get(), stream));
  }
  THINKPLAN_CUDA_CHECK(cudaStreamSynchronize(stream));
  std::vector<double> times(repeats);
  for (int i = 0; i < repeats; ++i) {
    float ms = 0;
    THINKPLAN_CUDA_CHECK(cudaEventElapsedTime(&ms, starts[i].get(), stops[i].get()));
    times[i] = ms;
  }
  if (exec != nullptr) cudaGraphExecDestroy(exec);
  if (graph != nullptr) cudaGraphDestroy(graph);
  StepTiming timing;
  timing.median_ms = Median(times);
  timing.spread = RelativeSpread(times);
  timing.mode = (captured ? "CUDA graph replay, median of " : "direct launches, median of ") +
                std::to_string(repeats) + " after " + std::to_string(warmup) + " warm-up";
  return timing;
}

}  // namespace thinkplan::harness::cuda
