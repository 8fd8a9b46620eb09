// The workload a plan is made for (docs/design.md section 2): task classes with their traffic, value, latency SLO,
// verifier and router; the candidate systems (API or self-hosted); the budget or accuracy target, the objective,
// and optional training tiers. Read from JSON with strict validation: every error names file, JSON path and value.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace thinkplan::planner {

enum class VerifierKind { kNone, kExact, kUnitTests, kRewardModel, kHuman };
std::string_view ToString(VerifierKind kind);

struct VerifierSpec {
  VerifierKind kind = VerifierKind::kNone;
  // Reward model: discriminability of its scores (right ~ N(d', 1), wrong ~ N(0, 1)). Given as `dprime` or as
  // `auc` (AUC = Phi(d' / sqrt 2)); exact, unit tests and human review are perfect verifiers (d' = +inf).
  double d_prime = 0;
  double usd_per_sample = 0;  // cost of scoring one sample (reward model inference, a test run)
  double usd_per_review = 0;  // human: cost of one review; every sample of a multi-sample option is reviewed
  // True when the verifier can pick the right sample whenever one exists (pass@k coverage).
  bool perfect() const { return kind == VerifierKind::kExact || kind == VerifierKind::kUnitTests || kind == VerifierKind::kHuman; }
};

// A difficulty bucket of a class: the stored (task_class, difficulty) whose curves and runs describe it.
struct BucketSpec {
  std::string name;
  std::string task_class;
  std::string difficulty;  // empty: the stored class as a whole
  double share = 1;        // fraction of the class's traffic that truly belongs here
  // The stored task class stands in for queries nobody measured (chat scored on GPQA-Diamond): the plan's notes
  // say so, with the problem sets and distinct problems the bucket's figures rest on. Default false.
  bool proxy = false;
};

// A difficulty classifier in front of the class. confusion[t][p] = P(predicted p | true bucket t).
struct RouterSpec {
  std::vector<std::vector<double>> confusion;
  std::optional<double> auc;  // the input, when the matrix was derived from an AUC
};

struct TaskClassSpec {
  std::string name;
  std::vector<BucketSpec> buckets;
  double daily_volume = 0;   // queries per day
  double peak_factor = 1;    // peak-to-mean query rate
  double value_usd = 1;      // worth of a correct answer (1 = plain accuracy)
  double slo_p95_s = 0;      // p95 end-to-end latency bound; 0 = none
  // Streaming SLOs a self-hosted fleet is configured for (planner/capacity.h SearchServingConfig); 0 = none.
  // Time to first token at p95: the wait for a slot, the prompt's prefill and one step of the full batch, at peak.
  double slo_ttft_p95_s = 0;
  // Time per output token: a full replica's decode step with its share of the replacements' prefills.
  double slo_tpot_s = 0;
  VerifierSpec verifier;
  bool exact_match_answers = false;  // answers can be compared for equality (majority vote possible)
  double prompt_tokens = 0;
  double answer_tokens = 0;          // visible answer tokens generated after the thinking
  // Share of the prompt's tokens an API serves from its prompt cache (a shared system prompt, a conversation's
  // earlier turns), priced at the system's cached-input price. Default 0: no reuse is assumed, so input is priced
  // in full unless the user states the share. A self-hosted fleet prefills every prompt token (prefix caching is
  // not modelled), so the share prices API options only.
  double cached_input_share = 0;
  // Without a router the whole class gets one choice (traffic cannot be told apart); with one, each predicted
  // bucket gets its own. An identity matrix is a perfect router.
  std::optional<RouterSpec> router;
  std::vector<std::string> systems;        // restriction to these candidate systems; empty = all
  std::optional<double> target_accuracy;   // per-class floor for the min-cost objective
};

enum class SystemKind { kApi, kSelfHosted };

struct SystemSpec {
  std::string name;  // as the plan and the policy call it
  SystemKind kind = SystemKind::kApi;
  // The stored system whose runs and curves describe it, per stored task class ("*" = default). Default: name.
  std::map<std::string, std::string> curves;
  // API: list prices (USD per million tokens); taken from the system catalogue unless given here.
  std::optional<double> price_in_usd_per_mtok;
  std::optional<double> price_out_usd_per_mtok;
  std::string catalogue_name;  // systems.csv row for prices and the compute knob; default: first curve name
  // The model id the exported policy sends, overriding the API catalogue's (a fine-tuned or self-hosted served
  // name, vLLM's --served-model-name). Default: the catalogue's api_model_id.
  std::string api_model_id;
  double output_tokens_per_s = 80;  // API decode speed per request, for latency
  double ttft_s = 1.0;              // API time to first token
  // Self-hosted: model shape (data/models/models.csv), card (hardware.csv), price per device-hour, replica size.
  std::string model;
  std::string hardware;
  std::optional<double> usd_per_device_hour;
  long devices = 1;
  // The fewest replicas its fleet is provisioned with: what `plan --verify` raises where the simulation found the
  // sized fleet too small (pipeline/verify_stage.h). Default 0: the capacity pass alone sizes the fleet.
  long min_replicas = 0;
  // The largest replica the configuration search may choose (1 to 64; default 8): the tensor-parallel sizes a
  // user's serving stack or cluster offers (a framework without tensor parallelism, one-card nodes). The search
  // tries 1, 2, 4 and 8 devices between `devices` and this.
  long max_devices_per_replica = 8;
  double utilisation = 0.7;  // share of paid GPU hours doing useful work at the mean rate
  std::string framework = "vLLM";
  // Thinking tokens assumed where no run or token fit measures them, keyed by effort level or mode
  // ("low", "medium", "high", "fast", "extended").
  std::map<std::string, double> thinking_tokens;
  // Multiplies the thinking tokens the planner expects of this system's options, measured or assumed (prompts
  // longer than the benchmark's, a model version that thinks more): "*" scales every setting, a setting key
  // ("fast", "extended", "low", "medium", "high") that setting, and the two multiply. The accuracy of a setting
  // is kept; its cost, latency and fleet follow the tokens. Default: none (a factor of 1).
  std::map<std::string, double> thinking_token_factor;
  // The factor of a setting: "*" times the entry of its key (an effort level, else "fast" or "extended").
  double ThinkingTokenFactor(std::string_view setting_key) const;
  double max_thinking_tokens = 32768;  // top of the budget grid
  double min_thinking_tokens = 256;    // bottom of the budget grid
  bool budget_knob = true;             // the system accepts a thinking budget (else only its stored settings)
  std::string tier;                    // training tier it belongs to; empty = always available

  const std::string& CurveName(const std::string& task_class) const;
};

enum class Objective { kMaxAccuracy, kMinCost, kMaxNetValue };
std::string_view ToString(Objective objective);
std::optional<Objective> ParseObjective(std::string_view text);

// A model to train (or buy): its systems become available at a fixed cost amortised over the horizon.
struct TrainingTier {
  std::string name;
  double params = 0;        // N
  double train_tokens = 0;  // D
  double training_usd = 0;  // 6 N D x usd_per_flop unless given
  std::string family;       // training-surface family, for the continuous optimum
};

struct Workload {
  std::string name;
  std::string description;
  std::string file;  // where it was read from, for messages
  std::vector<TaskClassSpec> classes;
  std::vector<SystemSpec> systems;
  Objective objective = Objective::kMaxAccuracy;
  std::optional<double> budget_usd_per_month;
  std::optional<double> target_accuracy;
  double days_per_month = 30;
  double horizon_months = 12;
  double confidence = 0.95;  // level of every interval and of the robust bound
  double usd_per_flop = 0;   // training price, stated in the file
  std::vector<TrainingTier> tiers;

  const TaskClassSpec* FindClass(std::string_view name) const;
  const SystemSpec* FindSystem(std::string_view name) const;
  // Checks cross-references and ranges; throws InputError naming the JSON path.
  void Validate() const;
};

// Limits on what the workload reader accepts, so that a hostile or mistaken file is refused with a message naming
// the limit instead of exhausting memory. The defaults are far above any real workload (a 100,000-class workload
// with 1.4 buckets per class is a 33 MB file).
struct WorkloadReaderOptions {
  std::size_t max_file_bytes = 64u << 20;     // LoadWorkload: checked while reading, before parsing
  std::size_t max_classes = 1'000'000;
  std::size_t max_systems = 10'000;
  std::size_t max_buckets_per_class = 100;    // each class's router matrix is buckets x buckets
  std::size_t max_buckets = 2'000'000;        // over all classes
  bool IsValid(std::string* error) const;
};

// Strict parse: unknown keys, wrong types and out-of-range values are InputErrors with
// SourceLocation{file, 0, "classes[2].verifier.dprime", value}; so is a count beyond `limits`.
Workload ParseWorkload(const nlohmann::json& json, const std::string& file, const WorkloadReaderOptions& limits = {});
Workload LoadWorkload(const std::filesystem::path& path, const WorkloadReaderOptions& limits = {});
nlohmann::json ToJson(const Workload& workload);

// Confusion matrix of an ordered-bucket router with the given AUC between adjacent buckets: equal-variance
// Gaussian scores with means 0, d', 2 d', ... (d' = sqrt 2 Phi^-1(AUC)) cut at the midpoints.
std::vector<std::vector<double>> ConfusionFromAuc(double auc, std::size_t buckets);

}  // namespace thinkplan::planner
