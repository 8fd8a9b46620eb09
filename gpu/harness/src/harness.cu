// The run driver: the whole pipeline visible in one function (RunHarness), each stage a named step.
#include <chrono>
#include <filesystem>
#include <ostream>

#include "attention.cuh"
#include "ceilings.cuh"
#include "cuda_util.cuh"
#include "thinkplan_harness/system_info.h"
#include "transformer.cuh"

namespace thinkplan::harness {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kReserveBytes = 1.0 * kGiB;  // cuBLAS workspace, attention workspace, graphs, fragmentation

// core/timing.h's Stopwatch in small: the harness is a standalone CUDA project and cannot link thinkplan_core.
class Clock {
 public:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

std::vector<ModelShape> ModelsToRun(const HarnessOptions& options, std::vector<std::string>* notes) {
  std::vector<ModelShape> catalogue;
  if (!options.catalogue_path.empty()) {
    if (std::filesystem::exists(options.catalogue_path)) {
      catalogue = ReadModelCatalogue(options.catalogue_path);
    } else {
      notes->push_back("catalogue " + options.catalogue_path + " not found: built-in shapes only");
    }
  }
  std::vector<ModelShape> models = ResolveModels(options.model_names, catalogue);
  models.insert(models.end(), options.shapes.begin(), options.shapes.end());
  return models;
}

// The GPU runs every shape in bf16, whatever the catalogue's storage type.
ModelShape AsBf16(ModelShape shape, std::vector<std::string>* notes) {
  if (shape.dtype_bytes != 2) {
    notes->push_back(shape.name + ": run in bf16 (the catalogue stores it as " + shape.dtype() + ")");
    shape.dtype_bytes = 2;
  }
  return shape;
}

void Say(std::ostream* progress, const std::string& line) {
  if (progress) *progress << line << std::endl;
}

std::string Describe(const PerfRecord& r) {
  char line[200];
  std::snprintf(line, sizeof line, "  %s %s batch %ld context %ld: %.3f ms, %.0f GB/s (%.1f%% of copy), %.1f TFLOP/s",
                r.model.c_str(), ToString(r.phase), r.batch, r.context_len, r.step_ms, r.achieved_gb_per_s,
                100 * r.copy_fraction, r.achieved_tflops);
  return line;
}

// Times every point of one model that fits; returns false once the time budget is spent.
bool MeasureModel(const ModelShape& shape, const HarnessOptions& options, const RecordContext& context,
                  cudaStream_t stream, cublasHandle_t handle, const Clock& clock, HarnessSummary* summary,
                  std::ostream* progress) {
  if (!cuda::AttentionSupportsHeadDim(static_cast<int>(shape.head_dim))) {
    summary->notes.push_back(shape.name + ": skipped, head_dim " + std::to_string(shape.head_dim) +
                             " has no attention kernel (64, 128, 256)");
    return true;
  }
  std::size_t free_bytes = 0, total_bytes = 0;
  THINKPLAN_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  const MemoryPlan plan = PlanMemory(shape, options.grid, options.memory_fraction * static_cast<double>(free_bytes),
                                     options.max_weight_fraction, kReserveBytes);
  if (!plan.note.empty()) summary->notes.push_back(shape.name + ": " + plan.note);
  if (plan.layers_run < 1) return true;
  const std::vector<GridPoint> points = PlanGrid(shape, plan, options.grid, &summary->notes);
  if (points.empty()) return true;
  Say(progress, shape.name + ": " + std::to_string(plan.layers_run) + "/" + std::to_string(shape.layers) +
                    " layers, " + std::to_string(points.size()) + " points");
  cuda::Transformer model(shape, plan, MaxKvBytes(shape, plan.layers_run, points), options.seed, stream, handle);
  for (std::size_t i = 0; i < points.size(); ++i) {
    const GridPoint& point = points[i];
    if (options.time_budget_s > 0 && clock.seconds() > options.time_budget_s) {
      summary->notes.push_back(shape.name + ": time budget spent, " + std::to_string(points.size() - i) +
                               " points not timed");
      return false;
    }
    const bool decode = point.phase == Phase::kDecode;
    const cuda::StepTiming timing =
        cuda::TimeOnStream(stream, decode ? options.warmup : options.prefill_warmup,
                           decode ? options.repeats : options.prefill_repeats, [&] { model.Enqueue(point); });
    RecordContext point_context = context;
    point_context.timing = timing.mode;
    summary->records.push_back(MakePerfRecord(point_context, shape, plan.layers_run, point.phase, point.batch,
                                              point.context, timing.median_ms, timing.spread));
    Say(progress, Describe(summary->records.back()));
  }
  return true;
}

}  // namespace

HarnessSummary RunHarness(const HarnessOptions& options, std::ostream* progress) {
  const Clock clock;
  HarnessSummary summary;
  summary.started_at = UtcStamp();
  if (std::string error; !options.IsValid(&error)) throw HarnessError(error);
  const DeviceProbe probe = ProbeDevice();
  if (!probe.usable) throw HarnessError(probe.message);
  summary.device = probe.info;
  if (!options.hardware.empty()) summary.device.hardware = options.hardware;
  Say(progress, probe.message);
  const std::vector<ModelShape> models = ModelsToRun(options, &summary.notes);

  cuda::Stream stream;
  cuda::Cublas cublas(stream.get());
  if (options.ceilings) {
    summary.ceilings = cuda::MeasureCeilings(stream.get(), cublas.get(), 20, options.seed);
    Say(progress, "ceilings: " + std::to_string(summary.ceilings.copy_gb_per_s) + " GB/s copy, " +
                      std::to_string(summary.ceilings.matrix_tflops) + " TFLOP/s bf16 matrix");
  }
  if (options.check) {
    summary.checks = RunKernelChecks(options.seed);
    for (const CheckResult& c : summary.checks) {
      Say(progress, std::string(c.passed ? "check ok   " : "check FAIL ") + c.name + ": " +
                        std::to_string(c.rel_error));
    }
    if (!summary.ChecksPassed()) {
      summary.notes.push_back("a correctness check failed: nothing was timed");
      summary.wall_s = clock.seconds();
      return summary;
    }
  }

  RecordContext context;
  context.device = summary.device;
  context.ceilings = summary.ceilings;
  context.run_stamp = summary.started_at;
  context.measured_at = UtcDate();
  for (const ModelShape& model : models) {
    const ModelShape shape = AsBf16(model, &summary.notes);
    try {
      if (!MeasureModel(shape, options, context, stream.get(), cublas.get(), clock, &summary, progress)) break;
    } catch (const DeviceError& e) {
      // One model failing (out of memory, a launch limit) should not lose the records already taken. After a
      // sticky error (an illegal address) the context is gone: stop, and keep what was measured.
      summary.notes.push_back(shape.name + ": stopped: " + e.what());
      (void)cudaGetLastError();
      if (cudaDeviceSynchronize() != cudaSuccess || cudaGetLastError() != cudaSuccess) {
        summary.notes.push_back("the device is unusable after that error: remaining models not measured");
        break;
      }
    }
  }
  summary.wall_s = clock.seconds();
  return summary;
}

}  // namespace thinkplan::harness
