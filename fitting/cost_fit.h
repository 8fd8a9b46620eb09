// Fitting the GPU cost model (core/cost_model.h) to measured perf runs: t0, F_eff and BW_eff per (hardware,
// framework, device count) by Ceres on log latency, and the held-out validation that says how far the fitted
// model can be trusted (by batch size and by sequence length).
//
// End-to-end runs (Argonne: B sequences of L input and L output tokens) are predicted as prefill(B, L) plus the
// L - 1 decode steps over the growing context, in waves when the KV cache of B sequences does not fit.
// Tensor parallelism: a group of n devices is treated as one replica with n times the memory; its F_eff and
// BW_eff are fitted for the group, so the fitted rate over n x the datasheet peak is the scaling efficiency.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/cost_model.h"
#include "core/curves.h"
#include "core/model_shape.h"
#include "core/perf_run.h"

namespace thinkplan::fitting {

// Datasheet figures of the accelerators perf runs name (the stored hardware rows): memory per device for the
// capacity limit and ceilings for the fraction of peak. Empty figures are unknown.
struct AcceleratorSpec {
  std::string hardware;
  std::optional<double> hbm_gib;
  std::optional<double> hbm_tb_per_s;
  std::optional<double> bf16_dense_tflops;
  std::string catalogue_hardware;  // the catalogue part it is the same as (same_part_as), else its own name
};
// The specs of stored hardware rows (store::Database::ListHardware), by name: the one way cards reach the fit.
std::map<std::string, AcceleratorSpec> AcceleratorSpecsOf(const std::vector<HardwareInfo>& cards);

// Argonne LLM-Inference-Bench runs as e2e perf runs. Reads either the project's perf CSV
// (data/public/argonne/perf.csv, perf columns) or the upstream All_results.csv (Hardware, Num of Hardware,
// Framework, Model, Input Output Length, Batch Size, Latency, Throughput).
std::vector<PerfRun> LoadArgonneRuns(const std::filesystem::path& csv_path);

struct CostFitOptions {
  int max_iterations = 200;              // Ceres iterations per fit
  double memory_utilisation = 0.9;       // share of HBM the server may fill (vLLM gpu_memory_utilization default)
  bool memory_limited = true;            // run a batch in waves when its KV cache does not fit
  // Frameworks whose "batch" is the prompt-processing batch of one sequence, not concurrent sequences. In the
  // Argonne llama.cpp runs throughput x latency = 2 L whatever the batch: one sequence, prefilled in passes of
  // `batch` tokens.
  std::vector<std::string> prompt_batch_frameworks = {"llama.cpp"};
  // Their prompt passes run as a pipeline over the devices the layers are split across (1/n of the serial time).
  bool pipelined_prompt_passes = true;
  // Cauchy loss scale on the log-latency residual; 0 = plain least squares. Damps the odd run that stalled.
  double loss_scale = 0.25;
  // Starting point; the fit is in log space, so only the order of magnitude matters.
  double initial_t0_s = 0.005;
  double initial_tflops = 100;
  double initial_tb_per_s = 1.0;
  bool IsValid(std::string* error) const;
};

// One (hardware, framework, device count, weight dtype) group of runs. A run without a dtype is taken as bf16 (every
// Argonne run serves 16-bit weights).
struct GroupKey {
  std::string hardware;
  std::string framework;
  long num_devices = 1;
  std::string dtype = "bf16";
  auto operator<=>(const GroupKey&) const = default;
  std::string ToString() const;
};

struct CostFitSummary {
  GroupKey group;
  size_t rows_used = 0;
  size_t rows_skipped = 0;  // no catalogue shape, not e2e, or does not fit in memory
  bool converged = false;
  double t0_s = 0;
  double flops_per_s = 0;
  double bytes_per_s = 0;
  // A rate is identified when the fitted runs depend on it at all: F_eff is not when no pass of any run is
  // compute-bound (llama.cpp decoding one sequence), and then its value is only the starting point.
  bool flops_identified = true;
  bool bandwidth_identified = true;
  double median_ape = 0;  // in-sample, percent
  double p90_ape = 0;
  std::string BriefReport() const;
  std::string FullReport() const;
};

// Fits t0, F_eff, BW_eff to the e2e runs of one group. `hbm_gib_per_device` sizes the replica's memory (nullopt:
// unknown, no capacity limit). Runs whose model is not in `catalogue` are skipped and counted.
CostFitSummary FitServingRates(const std::vector<PerfRun>& runs, const ModelCatalogue& catalogue,
                               std::optional<double> hbm_gib_per_device, const CostFitOptions& options);

// The ServingRates a summary stands for (memory as in the fit).
ServingRates RatesOf(const CostFitSummary& fit, std::optional<double> hbm_gib_per_device,
                     const CostFitOptions& options);

// Predicted wall time of one e2e run under `rates` (its latency is not read); nullopt when its model is unknown,
// it is not an e2e run, or one sequence does not fit.
std::optional<double> PredictLatency(const PerfRun& run, const ModelCatalogue& catalogue, const ServingRates& rates,
                                     const CostFitOptions& options);

// ---- held-out validation ----

enum class HoldoutScheme {
  kLeaveOneBatchOut,     // for each batch size: fit on the others, predict it
  kBatchExtrapolation,   // fit on batch <= batch_split, predict the larger batches
  kLeaveOneLengthOut,    // for each sequence length: fit on the others, predict it
  kLengthExtrapolation,  // fit on length <= length_split, predict the longer ones
  kInSample,             // fit on everything, predict everything (the floor the others are compared with)
};
std::string ToString(HoldoutScheme scheme);

struct ValidationOptions {
  CostFitOptions fit;
  size_t min_group_rows = 40;  // groups with fewer usable runs are not validated
  size_t min_train_rows = 12;  // a held-out fold needs at least this many training runs
  long batch_split = 32;
  long length_split = 512;
  // The default row of the efficiency table: medians over single-device groups of this hardware family and
  // these serving frameworks (llama.cpp and research stacks left out: they are not what one deploys at scale).
  std::string default_hardware_prefix = "Nvidia";
  std::vector<std::string> default_frameworks = {"vLLM", "TensorRT-LLM"};
  bool IsValid(std::string* error) const;
};

struct HeldOutPrediction {
  GroupKey group;
  std::string model;
  long batch = 0;
  long length = 0;
  double observed_s = 0;
  double predicted_s = 0;
  double ape = 0;  // |predicted - observed| / observed, percent
};

struct ValidationSummary {
  HoldoutScheme scheme = HoldoutScheme::kInSample;
  std::vector<HeldOutPrediction> predictions;
  size_t groups = 0;
  size_t implausible = 0;  // runs faster than reading the active weights each step at datasheet bandwidth
  double median_ape = 0;
  double p90_ape = 0;
  // Per hardware: (runs predicted, median APE, 90th percentile APE).
  struct Row {
    size_t n = 0;
    double median_ape = 0, p90_ape = 0;
  };
  std::map<std::string, Row> by_hardware;
  std::string BriefReport() const;
  std::string FullReport() const;  // the per-hardware table
};

// Validates every group with enough runs under `scheme`. `accelerators` supplies the memory per device.
ValidationSummary ValidateHoldout(const std::vector<PerfRun>& runs, const ModelCatalogue& catalogue,
                                  const std::map<std::string, AcceleratorSpec>& accelerators, HoldoutScheme scheme,
                                  const ValidationOptions& options);

// Fits every group with enough runs and returns one FittedEfficiency per group (fractions of the datasheet
// ceilings where `accelerators` gives them; empty where the rate is not identified), plus a default row "*"
// holding the median fractions and t0 over the groups options.default_* select.
std::vector<FittedEfficiency> FitEfficiencyTable(const std::vector<PerfRun>& runs, const ModelCatalogue& catalogue,
                                                 const std::map<std::string, AcceleratorSpec>& accelerators,
                                                 const ValidationOptions& options);
// Writes the table in the format LoadFittedEfficiencies reads, with a comment-free header.
void WriteEfficiencyTable(const std::filesystem::path& path, const std::vector<FittedEfficiency>& table);

// ---- one group as `thinkplan fit --kind cost` stores it ----

// The dtype a run is grouped under: its own, else bf16.
std::string DtypeOf(const PerfRun& run);
// The runs of each (hardware, framework, devices, dtype) group.
std::map<GroupKey, std::vector<PerfRun>> GroupPerfRuns(const std::vector<PerfRun>& runs);

// A fitted rate with its 95% interval (Wald on the log scale, from the curvature of the log-latency fit, the
// residual spread estimated from the runs). `identified` is false when no run's prediction moves with the rate;
// `at_bound` when the optimum sits on the search bound (t0 at 1 us: the runs need no fixed time per pass); the
// interval is then [value, value].
struct RateEstimate {
  double value = 0;
  double lower = 0, upper = 0;
  bool identified = true;
  bool at_bound = false;
};

struct CostGroupFit {
  CostFitSummary fit;  // rates, in-sample APE, runs used and skipped
  RateEstimate t0_s, flops_per_s, bytes_per_s;
  // 3 x 3 row-major covariance of (t0_s, flops_per_s, bytes_per_s) by the delta method; zero rows and columns for
  // a rate that is not identified or at its bound.
  std::vector<double> covariance;
  double residual_sd = 0;  // of log(predicted / observed) over the runs used
  std::optional<double> flops_fraction, bandwidth_fraction;  // of n x the datasheet ceilings, where known
  std::string catalogue_hardware;
  // Leave-one-batch-out: each batch size predicted by a fit on the others.
  size_t held_out_runs = 0;
  double held_out_median_ape = 0, held_out_p90_ape = 0;
  // The measured range the fit is validated on: contexts (input + output tokens per sequence) and batches.
  long max_context_tokens = 0;
  long min_batch = 0, max_batch = 0;
  size_t implausible = 0;  // runs below the datasheet-bandwidth floor, left out
  FitStatus status = FitStatus::kInsufficientData;
  std::string reason;
  std::vector<std::string> notes;
  std::string BriefReport() const;
  std::string FullReport() const;
};

// Fits one group (all `runs` must share a GroupKey): the rates with intervals, which rates the runs identify, and
// the leave-one-batch-out validation. Fewer than options.min_group_rows usable runs: status insufficient data.
CostGroupFit FitCostGroup(const std::vector<PerfRun>& runs, const ModelCatalogue& catalogue,
                          const std::map<std::string, AcceleratorSpec>& accelerators,
                          const ValidationOptions& options);

// The efficiency row a usable group fit stands for (empty fractions for rates not identified).
FittedEfficiency EfficiencyOf(const CostGroupFit& fit);
// The default row "*": median t0 and fractions over the single-device groups options.default_* select; nullopt
// when none qualifies.
std::optional<FittedEfficiency> DefaultEfficiencyRow(const std::vector<FittedEfficiency>& rows,
                                                     const ValidationOptions& options);

// Median and q-quantile (linear interpolation) of a non-empty sample.
double Quantile(std::vector<double> values, double q);

}  // namespace thinkplan::fitting
