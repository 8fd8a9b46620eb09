// The measured inputs: a run (one system on one task class at one setting), the per-problem results behind it,
// and the catalogue rows (systems, hardware) they refer to. Field names are the interchange format of
// docs/design.md section 2 and docs/formats.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace thinkplan {

enum class Source { kMeasured, kPublished, kSimulated };
enum class Mode { kFast, kExtended };

// How the samples of one problem are turned into one answer.
enum class AggregationKind {
  kPass1,      // pass@1: one sample scored (averaged over `samples` draws when samples > 1)
  kConsensus,  // cons@k: majority vote over k samples
  kBestOf,     // best@k: a verifier picks one of k samples
  kPassAt,     // pass@k: any of k samples is right (a perfect verifier)
};

struct Aggregation {
  AggregationKind kind = AggregationKind::kPass1;
  long k = 1;

  // "pass@1", "cons@64", ...
  std::string ToString() const;
  // Accepts the four forms above; nullopt for anything else (including k < 1).
  static std::optional<Aggregation> Parse(std::string_view text);
  bool operator==(const Aggregation&) const = default;
};

std::string_view ToString(Source source);
std::string_view ToString(Mode mode);
std::optional<Source> ParseSource(std::string_view text);
std::optional<Mode> ParseMode(std::string_view text);

struct Run {
  std::string run_key;
  Source source = Source::kMeasured;
  std::string system;
  std::string hardware;    // empty for API runs
  std::string task_class;
  std::string difficulty;  // empty when the run covers the whole class
  std::string benchmark;   // optional: the benchmark the run was scored on (AIME-2024, LiveCodeBench, ...)
  // Optional: which problems were scored, named so that two runs over the same problems can be recognised (the
  // 30 problems of AIME-2024 are one set however many reports score them). Runs naming the same set at the same
  // setting are repeated samples of those problems, never more problems (CombineRepeatedRuns).
  std::string problem_set;
  Mode mode = Mode::kExtended;
  std::optional<double> budget_tokens;  // empty: unbounded or model default
  std::string effort;                   // vendor effort level where that is the knob
  long samples = 1;
  Aggregation aggregation;
  long n_problems = 0;
  double n_correct = 0;  // fractional when pass@1 is averaged over several samples
  std::optional<double> mean_output_tokens;    // per sample: thinking and answer together
  std::optional<double> mean_thinking_tokens;  // per sample, where the API reports the split
  std::optional<double> mean_answer_tokens;    // per sample, where the API reports the split
  std::optional<double> mean_input_tokens;
  std::optional<double> latency_p50_s;
  std::optional<double> latency_p95_s;
  std::optional<double> gpu_seconds;
  std::optional<double> cost_usd;
  std::string citation;

  double accuracy() const { return n_problems > 0 ? n_correct / static_cast<double>(n_problems) : 0.0; }
  // Thinking tokens per sample: the measured split where given; none in fast mode (its output is all answer);
  // otherwise the output tokens minus a measured answer, else all of the output (the answer is then counted as
  // thinking: a few hundred tokens against thousands). nullopt when nothing was measured.
  std::optional<double> ThinkingTokens() const;
  // Answer tokens per sample: the measured split, else in fast mode the whole output; nullopt when unknown.
  std::optional<double> AnswerTokens() const;
  bool operator==(const Run&) const = default;
};

// Runs of one setting (system, task class, difficulty, mode, budget, effort, aggregation) over one named problem
// set, combined into one: they are repeated samples of the same problems, so the combination counts the
// problems once (n_problems of the most detailed run), its accuracy is the mean of the runs' accuracies weighted
// by the samples behind each (pass@1 over s samples weighs s; any other run 1), and its tokens, cost and latency
// are means of those that report them. Runs without a problem set are distinct problems and pass through.
struct CombinedRun {
  Run run;                        // run_key: the most detailed run's key (most samples, then most problems)
  std::vector<std::string> keys;  // every run combined, most detailed first
};
std::vector<CombinedRun> CombineRepeatedRuns(const std::vector<Run>& runs);
// The same, keeping only the combined runs (fitting reads runs).
std::vector<Run> CombinedRunsOnly(const std::vector<Run>& runs);

// One problem of a run: how many samples were drawn and how many were right.
struct ProblemResult {
  std::string run_key;
  std::string problem_id;
  long samples = 1;
  double correct = 0;                   // may be fractional when averaged
  std::optional<double> output_tokens;  // mean output tokens per sample on this problem
  bool operator==(const ProblemResult&) const = default;
};

// A system in the catalogue: who makes it, its size where public, its compute knob and list prices.
struct SystemInfo {
  std::string name;
  std::string vendor;
  std::string kind;  // reasoning | fast
  std::optional<double> params_total_b;
  std::optional<double> params_active_b;
  bool open_weights = false;
  std::string compute_knob;  // reasoning_effort, thinking.budget_tokens, thinkingConfig.thinkingBudget, none, ...
  std::string knob_values;
  std::optional<double> price_in_usd_per_mtok;
  std::optional<double> price_out_usd_per_mtok;
  std::string citation;
  // Where the prices above come from: the dated price row in force (store table system_prices), else empty
  // (the systems row's own, undated prices). Set by the catalogue loader, not stored with the system.
  std::optional<double> price_cached_in_usd_per_mtok;  // prompt tokens read from the provider's cache
  std::string price_effective_from;                    // YYYY-MM-DD of the price row in force
  std::string price_citation;
  bool operator==(const SystemInfo&) const = default;
};

// A list price that took effect on a date (store table system_prices): a price change is a new row.
struct SystemPrice {
  std::string system;
  std::string effective_from;  // YYYY-MM-DD
  double price_in_usd_per_mtok = 0;
  std::optional<double> price_cached_in_usd_per_mtok;
  double price_out_usd_per_mtok = 0;
  std::string citation;
  bool operator==(const SystemPrice&) const = default;
};

// An accelerator: datasheet ceilings and an hourly price where one is public.
struct HardwareInfo {
  std::string name;
  std::optional<double> hbm_gib;
  std::optional<double> hbm_tb_per_s;
  std::optional<double> bf16_dense_tflops;
  std::optional<double> fp8_dense_tflops;
  std::optional<double> int8_dense_tops;  // integer matrix peaks (tera-operations per second), where listed
  std::optional<double> int4_dense_tops;
  std::optional<double> usd_per_hour;
  std::string citation;
  // The catalogue part this card is, where its name is another's (a perf benchmark's "Nvidia H100 GPU" is the
  // catalogue's H100-SXM-80GB); empty when it is a part of its own.
  std::string same_part_as;
  std::string note;  // assumptions behind the figures
  bool operator==(const HardwareInfo&) const = default;
};

}  // namespace thinkplan
