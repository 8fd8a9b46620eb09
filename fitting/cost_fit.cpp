#include "fitting/cost_fit.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>

#include <Eigen/Dense>
#include <ceres/ceres.h>
#include <fmt/format.h>

#include "core/errors.h"
#include "core/text.h"
#include "fitting/ceres_setup.h"

namespace thinkplan::fitting {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// The fit works on x = (log t0 [ms], log F [TFLOP/s], log BW [TB/s]): positive rates, and steps of similar size.
ServingRates RatesFromLogParameters(const double* x, double hbm_bytes, double reserve_bytes, long num_devices) {
  ServingRates r;
  r.t0_s = std::exp(x[0]) * 1e-3;
  r.flops_per_s = std::exp(x[1]) * 1e12;
  r.bytes_per_s = std::exp(x[2]) * 1e12;
  r.hbm_bytes = hbm_bytes;
  r.reserve_bytes = reserve_bytes;
  r.num_devices = num_devices;
  return r;
}

struct Memory {
  double hbm_bytes = 0, reserve_bytes = 0;
};

Memory MemoryOf(std::optional<double> hbm_gib_per_device, long num_devices, const CostFitOptions& options) {
  if (!hbm_gib_per_device) return {};
  const double hbm = *hbm_gib_per_device * kGiB * static_cast<double>(num_devices);
  return {hbm, hbm * (1.0 - options.memory_utilisation)};
}

ServingRates RatesFromFit(const CostFitSummary& fit, Memory memory) {
  ServingRates r;
  r.t0_s = fit.t0_s;
  r.flops_per_s = fit.flops_per_s;
  r.bytes_per_s = fit.bytes_per_s;
  r.hbm_bytes = memory.hbm_bytes;
  r.reserve_bytes = memory.reserve_bytes;
  r.num_devices = fit.group.num_devices;
  return r;
}

// The measured time a run predicts: an e2e run's whole batch, a decode or prefill run's one step.
double Observed(const PerfRun& run) { return run.phase == PerfPhase::kEndToEnd ? *run.latency_s : *run.step_ms / 1e3; }

// The shape a run exercised: the harness runs a fraction `layer_scale` of the layers when the whole model does not
// fit the card, so the weights, cache and FLOPs it moves scale with it (the embedding is a few percent of them).
ModelShape ShapeOf(const PerfRun& run, const ModelShape& full) {
  if (!run.layer_scale || !(*run.layer_scale > 0 && *run.layer_scale < 1)) return full;
  ModelShape shape = full;
  const double scale = *run.layer_scale;
  shape.layers = std::max(1L, std::lround(static_cast<double>(full.layers) * scale));
  shape.params_total *= scale;
  shape.params_active *= scale;
  if (shape.kv_bytes_per_token_override) *shape.kv_bytes_per_token_override *= scale;
  return shape;
}

// One sequence of a prompt-batch framework (llama.cpp): the prompt in passes of `batch` tokens, then the decode
// steps. Split by layers over n devices, consecutive prompt passes run as a pipeline (each device works on the next
// pass while the following device runs the previous one), so the prompt takes 1/n of the serial passes' time; a
// decode step needs the previous token and cannot overlap. Argonne shows it: at a prompt batch of 1 the latency is
// 1.75x that of batch 16 on one device, 1.4x on two, 1.2x on four.
std::optional<double> OneSequenceLatency(const PerfRun& run, const CostModel& model, const CostFitOptions& options) {
  if (!options.pipelined_prompt_passes) {
    return model.EndToEndLatency(1, run.context_len, run.output_len, options.memory_limited, run.batch);
  }
  if (const std::optional<long> fits = model.MaxBatch(static_cast<double>(run.context_len + run.output_len));
      options.memory_limited && fits && *fits < 1) {
    return std::nullopt;
  }
  const double stages = static_cast<double>(std::max(1L, run.num_devices));
  return model.ChunkedPrefill(1, run.context_len, run.batch) / stages +
         model.DecodeSteps(1, static_cast<double>(run.context_len + 1), run.output_len - 1);
}

std::optional<double> Latency(const PerfRun& run, const CostModel& model, const CostFitOptions& options) {
  if (run.phase == PerfPhase::kDecode) return model.DecodeStep(static_cast<double>(run.batch), static_cast<double>(run.context_len)).total_s;
  if (run.phase == PerfPhase::kPrefill) return model.Prefill(static_cast<double>(run.batch), static_cast<double>(run.context_len)).total_s;
  const auto& one_sequence = options.prompt_batch_frameworks;
  if (std::find(one_sequence.begin(), one_sequence.end(), run.framework) != one_sequence.end()) {
    return OneSequenceLatency(run, model, options);
  }
  return model.EndToEndLatency(run.batch, run.context_len, run.output_len, options.memory_limited);
}

// Relative error of one run, as a log-ratio: log(predicted) - log(observed).
class LogLatencyResidual {
 public:
  LogLatencyResidual(const PerfRun& run, const ModelShape& shape, Memory memory, const CostFitOptions& options)
      : run_(run), shape_(ShapeOf(run, shape)), memory_(memory), options_(options) {}
  bool operator()(const double* x, double* residual) const {
    const CostModel model(shape_, RatesFromLogParameters(x, memory_.hbm_bytes, memory_.reserve_bytes, 1));
    const std::optional<double> predicted = Latency(run_, model, options_);
    if (!predicted || !(*predicted > 0)) return false;
    residual[0] = std::log(*predicted) - std::log(Observed(run_));
    return true;
  }

 private:
  const PerfRun& run_;
  const ModelShape shape_;
  Memory memory_;
  const CostFitOptions& options_;
};

double Ape(double predicted, double observed) { return 100.0 * std::abs(predicted - observed) / observed; }

// e2e runs (a whole batch) and the harness's decode and prefill steps (one pass).
bool IsPredictable(const PerfRun& run) {
  if (run.batch < 1 || run.context_len < 0) return false;
  switch (run.phase) {
    case PerfPhase::kEndToEnd: return run.output_len >= 1;
    case PerfPhase::kDecode: return true;
    case PerfPhase::kPrefill: return run.context_len >= 1;
  }
  return false;
}

bool IsMeasured(const PerfRun& run) {
  if (!IsPredictable(run)) return false;
  if (run.phase == PerfPhase::kEndToEnd) return run.latency_s && *run.latency_s > 0;
  return run.step_ms && *run.step_ms > 0;
}

CostModel ModelFor(const PerfRun& run, const ModelCatalogue& catalogue, const ServingRates& rates) {
  return CostModel(ShapeOf(run, *catalogue.Find(run.model)), rates);
}

// The runs of one group that the model can predict at all: e2e, a known shape, one sequence fits in memory.
// With the datasheet bandwidth of the group (`peak_bytes_per_s` > 0), runs faster than reading the active
// weights once per decode step at that bandwidth are measurement faults (a generation that stopped early) and are
// left out and counted in `implausible`.
std::vector<const PerfRun*> UsableRuns(const std::vector<const PerfRun*>& runs, const ModelCatalogue& catalogue,
                                       Memory memory, const CostFitOptions& options, double peak_bytes_per_s = 0,
                                       size_t* implausible = nullptr) {
  std::vector<const PerfRun*> out;
  for (const PerfRun* run : runs) {
    if (!IsMeasured(*run)) continue;
    const ModelShape* shape = catalogue.Find(run->model);
    if (shape == nullptr) continue;
    const bool e2e = run->phase == PerfPhase::kEndToEnd;
    const double floor_s = peak_bytes_per_s > 0 && e2e
                               ? static_cast<double>(run->output_len - 1) * shape->WeightBytesRead(1) / peak_bytes_per_s
                               : 0;
    if (Observed(*run) < floor_s) {
      if (implausible) ++*implausible;
      continue;
    }
    ServingRates probe;
    probe.flops_per_s = probe.bytes_per_s = 1;
    probe.hbm_bytes = memory.hbm_bytes;
    probe.reserve_bytes = memory.reserve_bytes;
    if (!Latency(*run, CostModel(ShapeOf(*run, *shape), probe), options)) continue;
    out.push_back(run);
  }
  return out;
}

// `start` (optional): rates to start from instead of the options' initial values; the held-out refits start from
// the full fit, which they differ from by one batch size, and so take a few iterations instead of dozens.
CostFitSummary FitUsable(const GroupKey& group, const std::vector<const PerfRun*>& runs,
                         const ModelCatalogue& catalogue, Memory memory, const CostFitOptions& options,
                         const CostFitSummary* start = nullptr) {
  CostFitSummary summary;
  summary.group = group;
  double x[3] = {std::log(options.initial_t0_s * 1e3), std::log(options.initial_tflops),
                 std::log(options.initial_tb_per_s)};
  if (start != nullptr && start->t0_s > 0 && start->flops_per_s > 0 && start->bytes_per_s > 0) {
    x[0] = std::log(start->t0_s * 1e3), x[1] = std::log(start->flops_per_s / 1e12), x[2] = std::log(start->bytes_per_s / 1e12);
  }
  ceres::Problem problem;
  for (const PerfRun* run : runs) {
    auto* cost = new ceres::NumericDiffCostFunction<LogLatencyResidual, ceres::CENTRAL, 1, 3>(
        new LogLatencyResidual(*run, *catalogue.Find(run->model), memory, options));
    problem.AddResidualBlock(cost, options.loss_scale > 0 ? new ceres::CauchyLoss(options.loss_scale) : nullptr, x);
  }
  if (runs.empty()) return summary;
  // Keep the search inside physically sensible ranges: 1 us .. 10 s per step, 0.01 .. 1e5 TFLOP/s,
  // 1 GB/s .. 1000 TB/s.
  const double lower[3] = {std::log(1e-3), std::log(1e-2), std::log(1e-3)};
  const double upper[3] = {std::log(1e4), std::log(1e5), std::log(1e3)};
  for (int i = 0; i < 3; ++i) {
    problem.SetParameterLowerBound(x, i, lower[i]);
    problem.SetParameterUpperBound(x, i, upper[i]);
  }
  ceres::Solver::Summary ceres_summary;
  ceres::Solve(LeastSquaresOptions(options.max_iterations), &problem, &ceres_summary);
  summary.converged = Converged(ceres_summary.termination_type);
  const ServingRates rates = RatesFromLogParameters(x, memory.hbm_bytes, memory.reserve_bytes, group.num_devices);
  summary.t0_s = rates.t0_s;
  summary.flops_per_s = rates.flops_per_s;
  summary.bytes_per_s = rates.bytes_per_s;
  std::vector<double> apes, predictions;
  for (const PerfRun* run : runs) {
    const std::optional<double> p = Latency(*run, ModelFor(*run, catalogue, rates), options);
    if (p) apes.push_back(Ape(*p, Observed(*run)));
    predictions.push_back(p.value_or(0));
  }
  // Does any prediction move when the rate doubles?
  auto matters = [&](ServingRates changed) {
    for (size_t i = 0; i < runs.size(); ++i) {
      const std::optional<double> p = Latency(*runs[i], ModelFor(*runs[i], catalogue, changed), options);
      if (p && std::abs(*p / predictions[i] - 1) > 1e-3) return true;
    }
    return false;
  };
  ServingRates faster_compute = rates, faster_memory = rates;
  faster_compute.flops_per_s *= 2;
  faster_memory.bytes_per_s *= 2;
  summary.flops_identified = matters(faster_compute);
  summary.bandwidth_identified = matters(faster_memory);
  summary.rows_used = apes.size();
  if (!apes.empty()) {
    summary.median_ape = Quantile(apes, 0.5);
    summary.p90_ape = Quantile(apes, 0.9);
  }
  return summary;
}

GroupKey KeyOf(const PerfRun& run) { return GroupKey{run.hardware, run.framework, run.num_devices, DtypeOf(run)}; }

std::map<GroupKey, std::vector<const PerfRun*>> GroupRuns(const std::vector<PerfRun>& runs) {
  std::map<GroupKey, std::vector<const PerfRun*>> groups;
  for (const PerfRun& run : runs) groups[KeyOf(run)].push_back(&run);
  return groups;
}

std::optional<double> HbmOf(const std::map<std::string, AcceleratorSpec>& accelerators, const std::string& name) {
  auto it = accelerators.find(name);
  return it == accelerators.end() ? std::nullopt : it->second.hbm_gib;
}

// Datasheet bandwidth of a group of devices, 0 when unknown.
double PeakBandwidthOf(const std::map<std::string, AcceleratorSpec>& accelerators, const GroupKey& group) {
  auto it = accelerators.find(group.hardware);
  if (it == accelerators.end() || !it->second.hbm_tb_per_s) return 0;
  return *it->second.hbm_tb_per_s * 1e12 * static_cast<double>(group.num_devices);
}

// The training and test runs of each fold of a scheme.
struct Fold {
  std::vector<const PerfRun*> train, test;
};

std::vector<Fold> Folds(const std::vector<const PerfRun*>& runs, HoldoutScheme scheme, const ValidationOptions& o) {
  auto split = [&](auto&& held_out) {
    Fold fold;
    for (const PerfRun* run : runs) (held_out(*run) ? fold.test : fold.train).push_back(run);
    return fold;
  };
  std::vector<Fold> folds;
  switch (scheme) {
    case HoldoutScheme::kInSample:
      folds.push_back(Fold{runs, runs});
      break;
    case HoldoutScheme::kBatchExtrapolation:
      folds.push_back(split([&](const PerfRun& r) { return r.batch > o.batch_split; }));
      break;
    case HoldoutScheme::kLengthExtrapolation:
      folds.push_back(split([&](const PerfRun& r) { return r.context_len > o.length_split; }));
      break;
    case HoldoutScheme::kLeaveOneBatchOut:
    case HoldoutScheme::kLeaveOneLengthOut: {
      const bool by_batch = scheme == HoldoutScheme::kLeaveOneBatchOut;
      std::set<long> values;
      for (const PerfRun* run : runs) values.insert(by_batch ? run->batch : run->context_len);
      for (long v : values) {
        folds.push_back(split([&](const PerfRun& r) { return (by_batch ? r.batch : r.context_len) == v; }));
      }
      break;
    }
  }
  return folds;
}

// Every held-out prediction of one group's usable runs under `scheme`.
std::vector<HeldOutPrediction> PredictHeldOut(const GroupKey& group, const std::vector<const PerfRun*>& usable,
                                              const ModelCatalogue& catalogue, Memory memory, HoldoutScheme scheme,
                                              const ValidationOptions& options,
                                              const CostFitSummary* start = nullptr) {
  std::vector<HeldOutPrediction> out;
  for (const Fold& fold : Folds(usable, scheme, options)) {
    if (fold.test.empty() || fold.train.size() < options.min_train_rows) continue;
    const CostFitSummary fit = FitUsable(group, fold.train, catalogue, memory, options.fit, start);
    const ServingRates rates = RatesFromFit(fit, memory);
    for (const PerfRun* run : fold.test) {
      const std::optional<double> p = Latency(*run, ModelFor(*run, catalogue, rates), options.fit);
      if (!p) continue;
      out.push_back(HeldOutPrediction{group, run->model, run->batch, run->context_len, Observed(*run), *p,
                                      Ape(*p, Observed(*run))});
    }
  }
  return out;
}

ValidationSummary::Row RowOf(std::vector<double> apes) {
  ValidationSummary::Row row;
  row.n = apes.size();
  if (!apes.empty()) {
    row.median_ape = Quantile(apes, 0.5);
    row.p90_ape = Quantile(apes, 0.9);
  }
  return row;
}

}  // namespace

double Quantile(std::vector<double> values, double q) {
  if (values.empty()) throw InternalError("quantile of an empty sample");
  std::sort(values.begin(), values.end());
  const double position = q * static_cast<double>(values.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(position));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (position - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

std::string GroupKey::ToString() const {
  return fmt::format("{} / {} / {} device(s) / {}", hardware, framework, num_devices, dtype);
}

std::string DtypeOf(const PerfRun& run) { return run.dtype.empty() ? "bf16" : Lower(run.dtype); }

bool CostFitOptions::IsValid(std::string* error) const {
  auto fail = [&](const char* why) {
    if (error) *error = why;
    return false;
  };
  if (max_iterations < 1) return fail("max_iterations must be >= 1");
  if (!(memory_utilisation > 0 && memory_utilisation <= 1)) return fail("memory_utilisation must be in (0, 1]");
  if (!(loss_scale >= 0)) return fail("loss_scale must be >= 0");
  if (!(initial_t0_s > 0 && initial_tflops > 0 && initial_tb_per_s > 0)) return fail("initial values must be > 0");
  return true;
}

bool ValidationOptions::IsValid(std::string* error) const {
  if (!fit.IsValid(error)) return false;
  if (min_train_rows < 3) {
    if (error) *error = "min_train_rows must be >= 3 (three parameters)";
    return false;
  }
  return true;
}

std::string CostFitSummary::BriefReport() const {
  return fmt::format("{}: t0 {:.2f} ms, F_eff {:.0f} TFLOP/s, BW_eff {:.2f} TB/s; {} runs, median APE {:.1f}%{}",
                     group.ToString(), t0_s * 1e3, flops_per_s / 1e12, bytes_per_s / 1e12, rows_used, median_ape,
                     converged ? "" : " (not converged)");
}

std::string CostFitSummary::FullReport() const {
  return BriefReport() + fmt::format("\n  runs skipped {}, 90th percentile APE {:.1f}%\n", rows_skipped, p90_ape);
}

std::map<std::string, AcceleratorSpec> AcceleratorSpecsOf(const std::vector<HardwareInfo>& cards) {
  std::map<std::string, AcceleratorSpec> out;
  for (const HardwareInfo& card : cards) {
    // Runs that name a catalogue part (`thinkplan measure --hardware H100-SXM-80GB`) fit for that part; runs that
    // name a benchmark's card fit for the part it is the same as, or for its own name where it is none.
    const std::string part = card.same_part_as.empty() ? card.name : card.same_part_as;
    out.emplace(card.name, AcceleratorSpec{card.name, card.hbm_gib, card.hbm_tb_per_s, card.bf16_dense_tflops, part});
  }
  return out;
}

std::vector<PerfRun> LoadArgonneRuns(const std::filesystem::path& csv_path) {
  const CsvTable table = CsvTable::Read(csv_path);
  const bool upstream = table.HasColumn("Input Output Length");
  if (!upstream && !table.HasColumn("perf_key")) {
    throw InputError(SourceLocation{csv_path.string(), 1, "", ""},
                     "neither a perf CSV (perf_key, ...) nor Argonne's All_results.csv header");
  }
  std::vector<PerfRun> runs;
  for (size_t i = 0; i < table.size(); ++i) {
    const CsvRow row = table.row(i);
    PerfRun run;
    run.phase = PerfPhase::kEndToEnd;
    run.source = "measured";
    if (upstream) {
      run.perf_key = fmt::format("argonne-{}", row.line());
      run.hardware = std::string(TrimBlanks(row.RequiredText("Hardware")));
      run.num_devices = row.Integer("Num of Hardware");
      run.framework = std::string(TrimBlanks(row.RequiredText("Framework")));
      run.model = std::string(TrimBlanks(row.RequiredText("Model")));
      run.context_len = run.output_len = row.Integer("Input Output Length");
      run.batch = row.Integer("Batch Size");
      run.latency_s = row.Number("Latency");
      run.tokens_per_s = row.OptionalNumber("Throughput");
      run.citation = "argonne-lcf/LLM-Inference-Bench, Plots/All_results.csv";
    } else {
      const std::optional<PerfPhase> phase = ParsePerfPhase(row.RequiredText("phase"));
      if (!phase) row.Fail("phase", "expected prefill, decode or e2e");
      run.phase = *phase;
      run.perf_key = row.RequiredText("perf_key");
      run.hardware = row.RequiredText("hardware");
      run.num_devices = row.OptionalInteger("num_devices").value_or(1);
      run.framework = row.Text("framework");
      run.model = row.RequiredText("model");
      run.context_len = row.Integer("context_len");
      run.output_len = row.OptionalInteger("output_len").value_or(0);
      run.batch = row.Integer("batch");
      run.latency_s = row.OptionalNumber("latency_s");
      run.tokens_per_s = row.OptionalNumber("tokens_per_s");
      run.citation = row.Text("citation");
    }
    if (run.num_devices < 1) row.Fail(upstream ? "Num of Hardware" : "num_devices", "must be >= 1");
    if (run.batch < 1) row.Fail(upstream ? "Batch Size" : "batch", "must be >= 1");
    if (run.phase == PerfPhase::kEndToEnd && !(run.latency_s && *run.latency_s > 0)) {
      row.Fail(upstream ? "Latency" : "latency_s", "an e2e run needs a positive latency");
    }
    runs.push_back(std::move(run));
  }
  return runs;
}

CostFitSummary FitServingRates(const std::vector<PerfRun>& runs, const ModelCatalogue& catalogue,
                               std::optional<double> hbm_gib_per_device, const CostFitOptions& options) {
  std::string error;
  if (!options.IsValid(&error)) throw InputError("cost fit options: " + error);
  if (runs.empty()) throw InputError("cost fit: no perf runs");
  const GroupKey group = KeyOf(runs.front());
  std::vector<const PerfRun*> all;
  for (const PerfRun& run : runs) {
    if (KeyOf(run) != group) {
      throw InputError("cost fit: runs of several (hardware, framework, devices, dtype) groups; fit them one at a time");
    }
    all.push_back(&run);
  }
  const Memory memory = MemoryOf(hbm_gib_per_device, group.num_devices, options);
  const std::vector<const PerfRun*> usable = UsableRuns(all, catalogue, memory, options);
  CostFitSummary summary = FitUsable(group, usable, catalogue, memory, options);
  summary.rows_skipped = runs.size() - usable.size();
  return summary;
}

ServingRates RatesOf(const CostFitSummary& fit, std::optional<double> hbm_gib_per_device,
                     const CostFitOptions& options) {
  return RatesFromFit(fit, MemoryOf(hbm_gib_per_device, fit.group.num_devices, options));
}

std::optional<double> PredictLatency(const PerfRun& run, const ModelCatalogue& catalogue, const ServingRates& rates,
                                     const CostFitOptions& options) {
  const ModelShape* shape = catalogue.Find(run.model);
  if (shape == nullptr || !IsPredictable(run)) return std::nullopt;
  return Latency(run, CostModel(ShapeOf(run, *shape), rates), options);
}

std::string ToString(HoldoutScheme scheme) {
  switch (scheme) {
    case HoldoutScheme::kLeaveOneBatchOut: return "leave-one-batch-out";
    case HoldoutScheme::kBatchExtrapolation: return "batch extrapolation";
    case HoldoutScheme::kLeaveOneLengthOut: return "leave-one-length-out";
    case HoldoutScheme::kLengthExtrapolation: return "length extrapolation";
    case HoldoutScheme::kInSample: return "in-sample";
  }
  return "?";
}

ValidationSummary ValidateHoldout(const std::vector<PerfRun>& runs, const ModelCatalogue& catalogue,
                                  const std::map<std::string, AcceleratorSpec>& accelerators, HoldoutScheme scheme,
                                  const ValidationOptions& options) {
  std::string error;
  if (!options.IsValid(&error)) throw InputError("validation options: " + error);
  ValidationSummary summary;
  summary.scheme = scheme;
  for (const auto& [group, group_runs] : GroupRuns(runs)) {
    const Memory memory = MemoryOf(HbmOf(accelerators, group.hardware), group.num_devices, options.fit);
    const std::vector<const PerfRun*> usable = UsableRuns(group_runs, catalogue, memory, options.fit,
                                                          PeakBandwidthOf(accelerators, group), &summary.implausible);
    if (usable.size() < options.min_group_rows) continue;
    std::vector<HeldOutPrediction> predicted = PredictHeldOut(group, usable, catalogue, memory, scheme, options);
    summary.groups += predicted.empty() ? 0 : 1;
    summary.predictions.insert(summary.predictions.end(), predicted.begin(), predicted.end());
  }
  std::vector<double> all;
  std::map<std::string, std::vector<double>> per_hardware;
  for (const HeldOutPrediction& p : summary.predictions) {
    all.push_back(p.ape);
    per_hardware[p.group.hardware].push_back(p.ape);
  }
  const ValidationSummary::Row overall = RowOf(all);
  summary.median_ape = overall.median_ape;
  summary.p90_ape = overall.p90_ape;
  for (auto& [hardware, apes] : per_hardware) summary.by_hardware[hardware] = RowOf(std::move(apes));
  return summary;
}

std::string ValidationSummary::BriefReport() const {
  return fmt::format("{}: {} predictions in {} groups, median APE {:.1f}%, p90 APE {:.1f}% ({} runs faster than "
                     "the datasheet bandwidth allows left out)",
                     ToString(scheme), predictions.size(), groups, median_ape, p90_ape, implausible);
}

std::string ValidationSummary::FullReport() const {
  std::string out = BriefReport() + "\n";
  out += fmt::format("  {:<20} {:>6} {:>10} {:>10}\n", "hardware", "runs", "median %", "p90 %");
  for (const auto& [hardware, row] : by_hardware) {
    out += fmt::format("  {:<20} {:>6} {:>10.1f} {:>10.1f}\n", hardware, row.n, row.median_ape, row.p90_ape);
  }
  std::vector<const HeldOutPrediction*> worst;
  for (const HeldOutPrediction& p : predictions) worst.push_back(&p);
  const size_t shown = std::min<size_t>(5, worst.size());
  std::partial_sort(worst.begin(), worst.begin() + static_cast<long>(shown), worst.end(),
                    [](const auto* a, const auto* b) { return a->ape > b->ape; });
  for (size_t i = 0; i < shown; ++i) {
    const HeldOutPrediction& p = *worst[i];
    out += fmt::format("  worst: {} {} batch {} length {}: observed {:.2f} s, predicted {:.2f} s ({:.0f}%)\n",
                       p.group.ToString(), p.model, p.batch, p.length, p.observed_s, p.predicted_s, p.ape);
  }
  return out;
}

// ---- one group as `thinkplan fit --kind cost` stores it ----
namespace {

// The search bounds of FitUsable, on the log scale of its parameters.
constexpr double kLowerLog[3] = {-6.907755278982137, -4.605170185988091, -6.907755278982137};  // 1e-3 ms, 1e-2, 1e-3

// 95% Wald intervals of the three rates from the curvature of the log-latency fit: J is the Jacobian of the
// residuals log(predicted / observed) in the log parameters, the residual variance s^2 = sum r^2 / (n - p) over
// the free rates (identified and off their bound), and cov(log) = s^2 (J'J)^-1 on them. The Cauchy loss of the
// fit down-weights outliers; the plain s^2 here does not, so the intervals are on the wide side where runs stall.
// Returns false when J'J of the free rates is singular.
bool RateIntervals(const std::vector<const PerfRun*>& runs, const ModelCatalogue& catalogue, Memory memory,
                   const CostFitOptions& options, CostGroupFit& out) {
  const CostFitSummary& fit = out.fit;
  const double x[3] = {std::log(fit.t0_s * 1e3), std::log(fit.flops_per_s / 1e12), std::log(fit.bytes_per_s / 1e12)};
  RateEstimate* rates[3] = {&out.t0_s, &out.flops_per_s, &out.bytes_per_s};
  const double values[3] = {fit.t0_s, fit.flops_per_s, fit.bytes_per_s};
  std::vector<int> free;
  for (int i = 0; i < 3; ++i) {
    *rates[i] = RateEstimate{values[i], values[i], values[i], true, false};
    rates[i]->identified = i == 1 ? fit.flops_identified : i == 2 ? fit.bandwidth_identified : true;
    rates[i]->at_bound = x[i] < kLowerLog[i] + 1e-3;
    if (rates[i]->identified && !rates[i]->at_bound) free.push_back(i);
  }
  const size_t n = runs.size(), p = free.size();
  out.covariance.assign(9, 0.0);
  if (n <= p) return p == 0;
  auto residual = [&](const double* at, const PerfRun& run) {
    const CostModel model = ModelFor(run, catalogue, RatesFromLogParameters(at, memory.hbm_bytes, memory.reserve_bytes, 1));
    return std::log(Latency(run, model, options).value_or(Observed(run))) - std::log(Observed(run));
  };
  Eigen::MatrixXd jacobian(n, p);
  double sum_squares = 0;
  constexpr double kStep = 1e-4;
  for (size_t r = 0; r < n; ++r) {
    const double base = residual(x, *runs[r]);
    sum_squares += base * base;
    for (size_t c = 0; c < p; ++c) {
      double up[3] = {x[0], x[1], x[2]}, down[3] = {x[0], x[1], x[2]};
      up[free[c]] += kStep;
      down[free[c]] -= kStep;
      jacobian(static_cast<long>(r), static_cast<long>(c)) = (residual(up, *runs[r]) - residual(down, *runs[r])) / (2 * kStep);
    }
  }
  out.residual_sd = std::sqrt(sum_squares / static_cast<double>(n));
  if (p == 0) return true;
  const Eigen::MatrixXd information = jacobian.transpose() * jacobian;
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd(information);
  const Eigen::VectorXd singular = svd.singularValues();
  if (!(singular(static_cast<long>(p) - 1) > 1e-10 * singular(0))) return false;
  const double s2 = sum_squares / static_cast<double>(n - p);
  const Eigen::MatrixXd log_covariance = s2 * information.inverse();
  for (size_t a = 0; a < p; ++a) {
    const double sd = std::sqrt(log_covariance(static_cast<long>(a), static_cast<long>(a)));
    RateEstimate& rate = *rates[free[a]];
    rate.lower = rate.value * std::exp(-1.959964 * sd);
    rate.upper = rate.value * std::exp(1.959964 * sd);
    for (size_t b = 0; b < p; ++b) {
      out.covariance[static_cast<size_t>(free[a]) * 3 + static_cast<size_t>(free[b])] =
          values[free[a]] * values[free[b]] * log_covariance(static_cast<long>(a), static_cast<long>(b));
    }
  }
  return true;
}

void FillDatasheetFractions(const std::map<std::string, AcceleratorSpec>& accelerators, CostGroupFit& out) {
  const auto it = accelerators.find(out.fit.group.hardware);
  if (it == accelerators.end()) return;
  const AcceleratorSpec& spec = it->second;
  const double n = static_cast<double>(out.fit.group.num_devices);
  out.catalogue_hardware = spec.catalogue_hardware;
  if (spec.bf16_dense_tflops && out.flops_per_s.identified) {
    out.flops_fraction = out.fit.flops_per_s / (n * *spec.bf16_dense_tflops * 1e12);
  }
  if (spec.hbm_tb_per_s && out.bytes_per_s.identified) {
    out.bandwidth_fraction = out.fit.bytes_per_s / (n * *spec.hbm_tb_per_s * 1e12);
  }
}

void FillMeasuredRange(const std::vector<const PerfRun*>& runs, CostGroupFit& out) {
  for (const PerfRun* run : runs) {
    out.max_context_tokens = std::max(out.max_context_tokens, run->context_len + run->output_len);
    out.min_batch = out.min_batch == 0 ? run->batch : std::min(out.min_batch, run->batch);
    out.max_batch = std::max(out.max_batch, run->batch);
  }
}

// Status and reason from convergence and identification: a group whose bandwidth (the rate every decode step
// reads) is not identified is unusable; an unidentified F_eff is usable, its fraction comes from the default row.
void JudgeGroup(bool intervals_ok, CostGroupFit& out) {
  if (!out.fit.converged) {
    out.status = FitStatus::kNotConverged;
    out.reason = "the solver stopped before its tolerances";
  } else if (!out.bytes_per_s.identified || !intervals_ok) {
    out.status = FitStatus::kUnidentified;
    out.reason = !out.bytes_per_s.identified ? "BW_eff is not identified: no run depends on the memory bandwidth"
                                             : "the runs do not separate the rates (singular information)";
  } else {
    out.status = FitStatus::kOk;
  }
  if (!out.flops_per_s.identified) {
    out.notes.push_back("F_eff is not identified: no pass of any run is compute-bound; the default fraction of peak "
                        "is used for this group");
  }
  if (out.t0_s.at_bound) out.notes.push_back("t0 is at its lower bound (1 us): the runs need no fixed time per pass");
}

}  // namespace

std::map<GroupKey, std::vector<PerfRun>> GroupPerfRuns(const std::vector<PerfRun>& runs) {
  std::map<GroupKey, std::vector<PerfRun>> groups;
  for (const PerfRun& run : runs) groups[KeyOf(run)].push_back(run);
  return groups;
}

CostGroupFit FitCostGroup(const std::vector<PerfRun>& runs, const ModelCatalogue& catalogue,
                          const std::map<std::string, AcceleratorSpec>& accelerators,
                          const ValidationOptions& options) {
  std::string error;
  if (!options.IsValid(&error)) throw InputError("cost fit options: " + error);
  if (runs.empty()) throw InputError("cost fit: no perf runs");
  CostGroupFit out;
  out.fit.group = KeyOf(runs.front());
  const GroupKey& group = out.fit.group;
  std::vector<const PerfRun*> all;
  for (const PerfRun& run : runs) {
    if (KeyOf(run) != group) throw InputError("cost fit: runs of several groups; fit them one at a time");
    all.push_back(&run);
  }
  const Memory memory = MemoryOf(HbmOf(accelerators, group.hardware), group.num_devices, options.fit);
  const std::vector<const PerfRun*> usable =
      UsableRuns(all, catalogue, memory, options.fit, PeakBandwidthOf(accelerators, group), &out.implausible);
  out.fit.rows_skipped = runs.size() - usable.size();
  out.fit.rows_used = usable.size();
  if (usable.size() < options.min_group_rows) {
    out.status = FitStatus::kInsufficientData;
    out.reason = fmt::format("{} usable e2e runs, {} needed ({} without a known model shape, not e2e, or below "
                             "the bandwidth floor)", usable.size(), options.min_group_rows, out.fit.rows_skipped);
    return out;
  }
  const size_t skipped = out.fit.rows_skipped;
  out.fit = FitUsable(group, usable, catalogue, memory, options.fit);
  out.fit.rows_skipped = skipped;
  const bool intervals_ok = RateIntervals(usable, catalogue, memory, options.fit, out);
  FillDatasheetFractions(accelerators, out);
  FillMeasuredRange(usable, out);
  std::vector<double> apes;
  for (const HeldOutPrediction& p :
       PredictHeldOut(group, usable, catalogue, memory, HoldoutScheme::kLeaveOneBatchOut, options, &out.fit)) {
    apes.push_back(p.ape);
  }
  out.held_out_runs = apes.size();
  if (!apes.empty()) {
    out.held_out_median_ape = Quantile(apes, 0.5);
    out.held_out_p90_ape = Quantile(apes, 0.9);
  } else {
    out.notes.push_back("no leave-one-batch-out validation: fewer than two batch sizes with enough training runs");
  }
  JudgeGroup(intervals_ok, out);
  return out;
}

std::string CostGroupFit::BriefReport() const {
  if (status == FitStatus::kInsufficientData) return fit.group.ToString() + ": insufficient data (" + reason + ")";
  const std::string held_out =
      held_out_runs == 0 ? std::string("no leave-one-batch-out validation")
                         : fmt::format("leave-one-batch-out median {:.1f}%, p90 {:.1f}% ({} runs)", held_out_median_ape,
                                       held_out_p90_ape, held_out_runs);
  return fmt::format("{}; {}; {}", fit.BriefReport(), held_out, ToString(status));
}

std::string CostGroupFit::FullReport() const {
  std::string out = BriefReport() + "\n";
  out += fmt::format("  t0 {:.3g} ms [{:.3g}, {:.3g}], F_eff {:.3g} TFLOP/s [{:.3g}, {:.3g}], BW_eff {:.3g} TB/s "
                     "[{:.3g}, {:.3g}]\n", t0_s.value * 1e3, t0_s.lower * 1e3, t0_s.upper * 1e3,
                     flops_per_s.value / 1e12, flops_per_s.lower / 1e12, flops_per_s.upper / 1e12,
                     bytes_per_s.value / 1e12, bytes_per_s.lower / 1e12, bytes_per_s.upper / 1e12);
  out += fmt::format("  measured range: batch {}-{}, context up to {} tokens\n", min_batch, max_batch, max_context_tokens);
  for (const std::string& note : notes) out += "  note: " + note + "\n";
  return out;
}

FittedEfficiency EfficiencyOf(const CostGroupFit& fit) {
  FittedEfficiency row;
  row.hardware = fit.fit.group.hardware;
  row.framework = fit.fit.group.framework;
  row.num_devices = fit.fit.group.num_devices;
  row.dtype = fit.fit.group.dtype;
  row.catalogue_hardware = fit.catalogue_hardware;
  row.rows = static_cast<long>(fit.fit.rows_used);
  row.t0_s = fit.fit.t0_s;
  row.flops_per_s = fit.flops_per_s.identified ? fit.fit.flops_per_s : 0;
  row.bytes_per_s = fit.bytes_per_s.identified ? fit.fit.bytes_per_s : 0;
  row.flops_fraction = fit.flops_fraction;
  row.bandwidth_fraction = fit.bandwidth_fraction;
  row.median_ape = fit.fit.median_ape;
  row.max_context_tokens = fit.max_context_tokens;
  return row;
}

std::optional<FittedEfficiency> DefaultEfficiencyRow(const std::vector<FittedEfficiency>& rows,
                                                     const ValidationOptions& options) {
  std::vector<double> t0s, f_fractions, bw_fractions;
  long max_context = 0;
  const auto& frameworks = options.default_frameworks;
  for (const FittedEfficiency& row : rows) {
    if (row.num_devices == 1 && row.hardware.starts_with(options.default_hardware_prefix) &&
        std::find(frameworks.begin(), frameworks.end(), row.framework) != frameworks.end() && row.flops_fraction &&
        row.bandwidth_fraction) {
      t0s.push_back(row.t0_s);
      f_fractions.push_back(*row.flops_fraction);
      bw_fractions.push_back(*row.bandwidth_fraction);
      max_context = std::max(max_context, row.max_context_tokens);
    }
  }
  if (t0s.empty()) return std::nullopt;
  FittedEfficiency fallback;
  fallback.hardware = "*";
  fallback.framework = "*";
  fallback.rows = static_cast<long>(t0s.size());
  fallback.t0_s = Quantile(t0s, 0.5);
  fallback.flops_fraction = Quantile(f_fractions, 0.5);
  fallback.bandwidth_fraction = Quantile(bw_fractions, 0.5);
  fallback.max_context_tokens = max_context;
  return fallback;
}

std::vector<FittedEfficiency> FitEfficiencyTable(const std::vector<PerfRun>& runs, const ModelCatalogue& catalogue,
                                                 const std::map<std::string, AcceleratorSpec>& accelerators,
                                                 const ValidationOptions& options) {
  std::string error;
  if (!options.IsValid(&error)) throw InputError("validation options: " + error);
  std::vector<FittedEfficiency> table;
  for (const auto& [group, group_runs] : GroupRuns(runs)) {
    const Memory memory = MemoryOf(HbmOf(accelerators, group.hardware), group.num_devices, options.fit);
    const std::vector<const PerfRun*> usable =
        UsableRuns(group_runs, catalogue, memory, options.fit, PeakBandwidthOf(accelerators, group));
    if (usable.size() < options.min_group_rows) continue;
    CostGroupFit fit;
    fit.fit = FitUsable(group, usable, catalogue, memory, options.fit);
    fit.flops_per_s.identified = fit.fit.flops_identified;
    fit.bytes_per_s.identified = fit.fit.bandwidth_identified;
    FillDatasheetFractions(accelerators, fit);
    FillMeasuredRange(usable, fit);
    table.push_back(EfficiencyOf(fit));
  }
  if (std::optional<FittedEfficiency> fallback = DefaultEfficiencyRow(table, options)) table.push_back(*fallback);
  return table;
}

void WriteEfficiencyTable(const std::filesystem::path& path, const std::vector<FittedEfficiency>& table) {
  std::ofstream out(path);
  if (!out) throw InputError(SourceLocation{path.string(), 0, "", ""}, "cannot write file");
  auto optional = [](const std::optional<double>& v, int digits) {
    return v ? fmt::format("{:.{}f}", *v, digits) : std::string();
  };
  auto quoted = [](const std::string& s) {
    return s.find_first_of(",\"") == std::string::npos ? s : "\"" + s + "\"";
  };
  out << "hardware,framework,num_devices,catalogue_hardware,rows,t0_ms,f_eff_tflops,bw_eff_tb_per_s,"
         "f_fraction_of_peak,bw_fraction_of_peak,fit_median_ape_pct\n";
  for (const FittedEfficiency& e : table) {
    out << quoted(e.hardware) << ',' << quoted(e.framework) << ',' << e.num_devices << ','
        << quoted(e.catalogue_hardware) << ',' << e.rows << ',' << fmt::format("{:.3f}", e.t0_s * 1e3) << ','
        << (e.flops_per_s > 0 ? fmt::format("{:.1f}", e.flops_per_s / 1e12) : "") << ','
        << (e.bytes_per_s > 0 ? fmt::format("{:.3f}", e.bytes_per_s / 1e12) : "") << ','
        << optional(e.flops_fraction, 3) << ',' << optional(e.bandwidth_fraction, 3) << ','
        << optional(e.median_ape, 1) << '\n';
  }
  if (!out) throw InputError(SourceLocation{path.string(), 0, "", ""}, "write failed");
}

}  // namespace thinkplan::fitting
