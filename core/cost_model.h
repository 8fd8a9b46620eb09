// The GPU cost model of docs/design.md section 3.5: what a decode step, a prefill and a whole thinking query cost on a
// serving replica (one device or a tensor-parallel group), and what an API query costs at list prices.
//
//   decode step    t(B, S) = t0 + max(B (2 P_active + A S) / F_eff, (W_read(B) + B S kv) / BW_eff)
//   prefill        t(B, P) = t0 + max(B (2 P_active P + A P^2 / 2) / F_eff, (W_read(B P) + B P kv) / BW_eff)
//   B_max(S)       = floor((HBM - W - reserve) / (S kv))
//
// with A = 4 layers heads head_dim the attention FLOPs per token per context token and kv the KV-cache bytes per
// token. A query of L generated tokens after P prompt tokens integrates the step time over the growing context
// in closed form (both roofline terms are linear in S).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model_shape.h"
#include "core/run.h"

namespace thinkplan {

// Effective rates of one serving replica, as fitted from perf runs or assumed from a datasheet.
struct ServingRates {
  double t0_s = 0;         // fixed time per forward pass: launches, scheduling, sampling, communication
  double flops_per_s = 0;  // effective matrix FLOP/s of the whole replica
  double bytes_per_s = 0;  // effective memory bandwidth of the whole replica
  double hbm_bytes = 0;    // memory of the whole replica; 0 = unknown, no capacity limit is applied
  double reserve_bytes = 0;  // memory not available to weights or KV cache (activations, allocator, runtime)
  long num_devices = 1;

  bool IsValid(std::string* error) const;
};

// Ceilings scaled by efficiencies: how ServingRates come from a datasheet.
struct Efficiency {
  // Defaults: the default row "*" of `thinkplan fit --kind cost` on the Argonne runs, medians over the vLLM and
  // TensorRT-LLM fits on one Nvidia A100, H100 or GH200 (docs/cost_model.md); used when no fit is stored.
  double t0_s = 0.0018;              // fixed time per forward pass
  double flops_fraction = 0.29;      // F_eff / bf16 (fp8 for 1-byte weights) dense peak
  double bandwidth_fraction = 0.77;  // BW_eff / HBM datasheet bandwidth
  double reserve_fraction = 0.10;    // vLLM's default gpu_memory_utilization = 0.9 leaves 10% of HBM aside
  bool IsValid(std::string* error) const;
};

// The dense matrix peak (tera-operations per second) of one card at `weights` precision and the precision whose
// peak it is: int4 falls back to int8, int8 and fp8 to each other and then to bf16, where the datasheet lists
// none. Assumes activations run at the weights' precision (W8A8, FP8, W4A4 kernels); a weight-only quantised
// model that computes in bf16 is served at the bf16 peak by giving bf16 here. nullopt without a bf16 peak.
struct PeakCompute {
  double tflops = 0;
  Precision precision = Precision::kBf16;
};
std::optional<PeakCompute> PeakFor(const HardwareInfo& hardware, Precision weights);

// Rates for `num_devices` of `hardware` at the given efficiencies, with the matrix peak of the weights' precision
// (PeakFor). Throws InputError when the datasheet lacks bandwidth or bf16 peak.
ServingRates RatesFromDatasheet(const HardwareInfo& hardware, long num_devices, const Efficiency& efficiency,
                                Precision weights);
// As above for a weight size in bytes: 1 byte is fp8, less is int4, more is bf16.
ServingRates RatesFromDatasheet(const HardwareInfo& hardware, long num_devices, const Efficiency& efficiency,
                                double weight_dtype_bytes);

// One forward pass split into its roofline terms.
struct StepTime {
  double total_s = 0;
  double compute_s = 0;  // FLOPs / F_eff
  double memory_s = 0;   // bytes / BW_eff
  bool compute_bound() const { return compute_s > memory_s; }
};

class CostModel {
 public:
  CostModel(ModelShape shape, ServingRates rates);
  const ModelShape& shape() const { return shape_; }
  const ServingRates& rates() const { return rates_; }

  double KvBytesPerToken() const { return shape_.KvBytesPerToken(); }
  // One decode step of `batch` sequences, each attending to `context` cached tokens.
  StepTime DecodeStep(double batch, double context) const;
  // Sum of `steps` decode steps at contexts first_context, first_context + 1, ... (exact, closed form).
  double DecodeSteps(double batch, double first_context, long steps) const;
  // Prefill of `prompt_tokens` per sequence for `batch` sequences in one pass, causal attention.
  StepTime Prefill(double batch, double prompt_tokens) const { return PrefillChunk(batch, 0, prompt_tokens); }
  // One pass over prompt tokens start .. start + tokens - 1 of each sequence: the new tokens attend to the cached
  // ones and to each other, and the pass reads the cache of the first `start` tokens and writes the rest.
  StepTime PrefillChunk(double batch, double start, double tokens) const;
  // The prompt in passes of at most `chunk` tokens (llama.cpp's n_batch, chunked prefill); total seconds.
  double ChunkedPrefill(double batch, long prompt_tokens, long chunk) const;
  // Largest batch whose KV cache at `context` tokens per sequence fits beside the weights; nullopt when the
  // replica's memory is unknown; 0 when not even one sequence fits.
  std::optional<long> MaxBatch(double context) const;
  // Batch at which the compute term overtakes the memory term at `context`; nullopt if it never does.
  std::optional<double> CrossoverBatch(double context) const;
  // Output tokens per second of the replica at one decode step.
  double TokensPerSecond(double batch, double context) const { return batch / DecodeStep(batch, context).total_s; }
  // Wall time of one synchronous batch of `batch` sequences with `input_len` prompt and `output_len` generated
  // tokens each (first token from the prefill). When the KV cache at the final context does not fit (and
  // `memory_limited` is set), the batch runs in the fewest equal waves that do; nullopt if one sequence does not fit.
  // `prefill_chunk` > 0 splits each wave's prefill into passes of that many prompt tokens.
  std::optional<double> EndToEndLatency(long batch, long input_len, long output_len, bool memory_limited = true,
                                        long prefill_chunk = 0) const;

 private:
  ModelShape shape_;
  ServingRates rates_;
};

// How a whole thinking query is served.
struct QueryOptions {
  double prompt_tokens = 0;  // P: prompt tokens per query
  double output_tokens = 0;  // L: generated tokens per query (thinking + answer)
  long batch = 0;            // concurrent queries on the replica; 0 = the largest that fits at the admission context
  long max_batch = 256;      // cap for the automatic batch (the scheduler's max_num_seqs)
  // Where KV memory is sized. kFinalContext: a synchronous batch whose every sequence reaches P + L (safe;
  // what a batch benchmark does). kMeanContext: continuous batching with staggered sequences, whose mean context
  // is P + L / 2.
  enum class Admission { kFinalContext, kMeanContext } admission = Admission::kFinalContext;
  double usd_per_hour = 0;   // price of the whole replica (all its devices)
  double utilisation = 1.0;  // fraction of paid hours doing useful work, 0 < u <= 1

  bool IsValid(std::string* error) const;
};

// A thinking query on a self-hosted replica, broken down.
struct QueryCost {
  bool feasible = false;
  std::string infeasible_reason;  // why no batch fits, when !feasible
  long batch = 0;
  std::string batch_limited_by;   // "requested", "KV memory", "max_batch"
  std::optional<long> max_batch_at_admission;  // B_max at the admission context
  double kv_bytes_per_token = 0;
  double kv_bytes_per_query = 0;  // at the final context
  double weight_bytes = 0;
  double prefill_s = 0;
  double decode_s = 0;
  double latency_s = 0;  // prefill + decode: the wall time a user waits (no queueing)
  StepTime first_step;   // at context P
  StepTime last_step;    // at context P + L - 1
  double compute_bound_fraction = 0;  // of the decode steps
  double tokens_per_s = 0;            // output tokens per second of the replica over the whole query
  double tokens_per_s_first = 0;      // at the first decode step
  double tokens_per_s_last = 0;       // at the last decode step
  double replica_seconds_per_query = 0;  // latency / batch: the replica's time one query occupies
  double device_seconds_per_query = 0;   // times the number of devices
  double usd_per_query = 0;
  double usd_per_mtok = 0;        // averaged over the query's output tokens
  double usd_per_mtok_first = 0;  // marginal price of a token at the first decode step
  double usd_per_mtok_last = 0;   // marginal price of a token at the last decode step

  std::string BriefReport() const;
  std::string FullReport() const;
};

QueryCost CostQuery(const CostModel& model, const QueryOptions& options);

// A query through a priced API: price_in x fresh prompt + price_cached_in x cached prompt + price_out x (thinking +
// answer).
struct ApiQueryCost {
  double prompt_tokens = 0, thinking_tokens = 0, answer_tokens = 0;
  double cached_prompt_tokens = 0;  // part of prompt_tokens, priced at the cached-input price
  double input_usd = 0, thinking_usd = 0, answer_usd = 0, total_usd = 0;
  std::string BriefReport() const;
};
// Throws InputError when the system has no list prices. `cached_input_share` (in [0, 1]) of the prompt is read from
// the provider's prompt cache: priced at the system's cached-input price, or at the full input price where it has
// none (no discount is invented).
ApiQueryCost CostApiQuery(const SystemInfo& system, double prompt_tokens, double thinking_tokens,
                          double answer_tokens, double cached_input_share = 0);
// USD per input token when `cached_input_share` of the prompt hits the cache (the same rule as CostApiQuery).
double InputUsdPerToken(const SystemInfo& system, double cached_input_share);

// Efficiencies fitted on one (hardware, framework, devices) group: a stored cost fit (store::LoadServingEfficiencies)
// or a row of the table the validation test writes (LoadFittedEfficiencies).
struct FittedEfficiency {
  std::string hardware;            // as the perf runs name it ("Nvidia H100 GPU"), or "*" for the default row
  std::string framework;           // vLLM, TensorRT-LLM, ...
  long num_devices = 1;
  std::string catalogue_hardware;  // the hardware.csv part it corresponds to, when one does
  long rows = 0;
  double t0_s = 0;
  double flops_per_s = 0;          // fitted, whole group
  double bytes_per_s = 0;          // fitted, whole group
  std::optional<double> flops_fraction;      // of num_devices x datasheet peak
  std::optional<double> bandwidth_fraction;  // of num_devices x datasheet bandwidth
  std::optional<double> median_ape;          // in-sample median absolute percentage error of the fit
  std::string dtype;                         // weights of the fitted runs (bf16, fp8, ...); empty: unknown
  long max_context_tokens = 0;               // longest measured context (input + output); 0: unknown
};
std::vector<FittedEfficiency> LoadFittedEfficiencies(const std::filesystem::path& csv_path);

// The efficiencies for `devices` of `hardware` under `framework`: the fitted row of that card and framework with
// the largest device count not above `devices` (tensor-parallel efficiency falls with the count, so an unmeasured
// count borrows the nearest smaller measured one rather than the single-device figures); fractions that row leaves
// empty come from the default ("*") row, else Efficiency's defaults. Names compare case-insensitively. With a
// weight precision `dtype` ("bf16", "fp8", ...), a row measured at that precision is preferred over one at
// another (kernels and the fraction of peak they reach differ by precision); a row of another precision is used
// only where the card and framework have none at it, and the choice says so. A row without a dtype is bf16.
struct EfficiencyChoice {
  Efficiency efficiency;
  const FittedEfficiency* row = nullptr;          // the matched row, in `table`; nullptr when none matched
  const FittedEfficiency* default_row = nullptr;  // the "*" row used, in `table`; nullptr: built-in defaults
  std::string requested_dtype;                    // the `dtype` asked for; empty: any
  bool precision_matched() const;                 // no row, no request, or the row's dtype is the requested one
};
EfficiencyChoice ChooseEfficiency(const std::vector<FittedEfficiency>& table, const std::string& hardware,
                                  const std::string& framework, long devices, std::string_view dtype = {});

// Where the chosen efficiencies come from, in one line: the fitted group (runs, devices), the stored default row,
// or the compiled-in defaults when no serving-rate fit is stored (`thinkplan fit --kind cost` stores them).
std::string DescribeEfficiencySource(const EfficiencyChoice& choice, long devices);
// A warning when a query's context (prompt + generated tokens) exceeds the longest context the chosen fit was
// measured at: what is extrapolated and how far. nullopt when it is within range or the range is unknown.
std::optional<std::string> ContextExtrapolationWarning(const EfficiencyChoice& choice, double context_tokens);

// Sum over integers s = first .. first + n - 1 of max(a0 + a1 s, b0 + b1 s), exactly.
double SumMaxOfLines(double a0, double a1, double b0, double b1, double first, long n);

}  // namespace thinkplan
