// The plan pipeline (docs/design.md 3.6), one function that reads as a list of named, timed passes: options ->
// routing -> solve -> capacity -> router analysis -> uncertainty (-> training optimum -> volume sweep). Input: a workload, fitted curves, stored runs and the cost
// catalogues; output: the allocation per class and routed bucket with traffic fractions, expected accuracy with its
// interval, cost, latency, the frontier, the fleet at peak and the training / inference split.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/timing.h"
#include "planner/allocation.h"
#include "planner/options.h"
#include "planner/routing.h"
#include "planner/training_optimum.h"
#include "planner/workload.h"

namespace thinkplan::planner {

// The options of one class as generated, with the notes their generation wrote. A re-plan whose changes leave a
// class's options alone (budget, volume, SLO) reuses them instead of scoring every setting again.
struct ClassCandidates {
  std::vector<Candidate> candidates;
  std::vector<std::string> notes;
  std::vector<MissingCurves> missing;  // systems without curves: one plan note for every class alike
};
using SharedCandidates = std::vector<std::shared_ptr<const ClassCandidates>>;

struct PlanInputs {
  Workload workload;
  const CurveSet* curves = nullptr;
  std::vector<Run> runs;
  Catalogues catalogues;
  double load_seconds = 0;  // time the caller spent reading these, reported as the "load" pass
  // Per class: options to use as they are (from an earlier plan on the same curves, runs and catalogues, whose
  // class and systems were the same); a null or missing entry is generated. The caller vouches that they apply.
  SharedCandidates reuse;
};

struct PlanOptions {
  std::optional<double> budget_usd_per_month;  // overrides the workload's
  std::optional<Objective> objective;          // overrides the workload's
  std::optional<double> target_accuracy;       // overrides the workload's (min_cost)
  // Plan on each option's lower confidence bound instead of its expected accuracy. Default false.
  bool robust = false;
  // Re-plan with a perfect router and with none, to price the router's error. Default true.
  bool analyse_routing = true;
  // The continuous optimum on the fitted training surfaces and the per-bucket difficulty effect. Default true.
  bool analyse_training = true;
  // Re-plan the training tiers at other volumes (Sardana-Frankle). Default {0.1, 0.3, 1, 3, 10}.
  std::vector<double> volume_sweep = {0.1, 0.3, 1, 3, 10};
  // Peak utilisation the fleet is sized for (headroom for bursts). Default 0.9.
  double peak_utilisation = 0.9;
  OptionsConfig options;
  bool IsValid(std::string* error) const;
};

struct ChosenShare {
  Setting setting;
  Figures figures;  // mixed over the true buckets routed here
  double fraction = 1;
  std::size_t candidate = 0;
};

struct BucketPlan {
  std::size_t class_index = 0;
  std::string class_name;
  std::string bucket;     // predicted bucket
  double mass = 1;        // share of the class's traffic routed here
  std::vector<double> weights;  // true-bucket mix of that traffic
  double queries_per_month = 0;
  std::vector<ChosenShare> shares;
  double accuracy = 0;
  Interval interval;
  double cost_per_query = 0;
  double latency_p95_s = 0;
  std::size_t options_considered = 0;
  // Share of this bucket's traffic on systems of the chosen training tier (the larger, trained model) rather
  // than on always-available ones: with tiers, how the size-versus-thinking choice moves with difficulty.
  double trained_fraction = 0;
};

struct ClassPlan {
  std::string name;
  double accuracy = 0;
  Interval interval;
  double cost_per_query = 0;
  double usd_per_month = 0;
  double latency_p95_s = 0;
  double slo_p95_s = 0;
  std::string router;  // "none", "confusion", "auc 0.80"
  // Router analysis (classes with several buckets): the same plan with a perfect router and with none.
  std::optional<double> accuracy_perfect_router;
  std::optional<double> usd_per_month_perfect_router;
  std::optional<double> accuracy_no_router;
  std::optional<double> usd_per_month_no_router;
};

struct CapacityLine {
  std::string system, model, hardware;
  long devices_per_replica = 1;
  long replicas = 0;
  long devices = 0;
  double peak_queries_per_s = 0;
  double peak_tokens_per_s = 0;
  double busy_devices_at_peak = 0;
  double peak_utilisation = 0;   // busy slots / provisioned slots at the peak hour
  double mean_utilisation = 0;   // over the day: what the fleet actually reaches on average
  long batch = 0;                // concurrent sequences per replica (core/fleet_model.h FitReplicaForLatency)
  std::string batch_limited_by;  // "KV memory", "latency", "max_num_seqs"
  double sizing_context_tokens = 0;  // the final context KV is sized for (p95 of thinking)
  double kv_gib_per_replica = 0; // at that batch and the sizing context
  double weights_gib = 0, usable_gib = 0;  // weights + KV <= usable
  double wait_p95_s = 0;         // p95 of waiting for a slot at peak (M/G/c, Allen-Cunneen)
  double ttft_p95_s = 0;         // wait p95 + the prompt's prefill + one step of the full batch, at peak
  double tpot_s = 0;             // seconds per output token at the batch limit
  double usd_per_month = 0;      // provisioned for peak, all hours
  // The configuration search's cheapest fleet per devices per replica tried (planner/capacity.h), so that a user
  // sees why this size was chosen; replicas 0 with `refusal` where that size cannot keep the SLOs.
  struct Alternative {
    long devices_per_replica = 0, batch = 0, replicas = 0;
    double usd_per_month = 0;
    std::string refusal;
  };
  std::vector<Alternative> alternatives;
};

struct TierResult {
  std::string name;  // "" = no training (only untiered systems)
  double training_usd = 0;
  double training_usd_per_month = 0;
  double inference_usd_per_month = 0;
  double accuracy = 0;
  double objective = 0;
  bool feasible = false;
  std::string reason;
};

struct VolumePoint {
  double multiplier = 1;
  std::string best_tier;
  double training_share = 0;  // of total monthly spend
  double accuracy = 0;
  // The continuous optimum at this volume (budget scaled alike): its training share and model size.
  std::optional<double> continuous_training_share;
  std::optional<double> continuous_params;
};

// The continuous optimum on the fitted training surface of the tiers' family (docs/design.md 3.4), beside the tiers:
// one model of any size between the smallest and the largest tier, serving every bucket that has a surface. It is
// the best model to train if one is trained; whether training pays at all is the tiers' comparison (which has the
// no-training plan), since the surface's accuracy and the measured runs' are not on one footing.
struct ContinuousTraining {
  std::string family;
  TrainingOptimum optimum;
  std::optional<double> budget_usd_per_month;  // the share of the plan's spend those buckets carry (max_accuracy)
  std::vector<std::string> without_surface;    // buckets left out: "class / bucket"
};

// Snell et al.'s difficulty effect on one fitted surface: whether the optimum spends on thinking (samples) or on
// size (training compute) for one true bucket.
struct DifficultyEffect {
  std::string class_name, bucket, task_class, difficulty, family;
  double t1 = 0, t2 = 0;
  // Unconstrained optimum: t2 / t1 where 0 < t2 < t1; 1 where thinking alone pays (t2 > 0, t2 >= t1 or t1 <= 0);
  // 0 where it does not (t2 <= 0).
  double inference_share = 0;
  // At the workload's prices and the class's whole volume, as if all of it were this bucket (tiers' family only).
  std::optional<double> priced_inference_share;
  std::optional<double> priced_samples;
  std::optional<double> priced_params;
  // "thinking" or "size". Priced: where the optimum's spend beyond the cheapest choice (smallest size, one sample)
  // goes ("neither" when the cheapest is best). Unconstrained: the larger part of the spend.
  std::string spends_on;
  std::string basis;      // "priced" or "unconstrained"
};

struct RoutingTotals {
  double accuracy = 0;
  double usd_per_month = 0;
};

struct PlanResult {
  std::string workload_name;
  Objective objective = Objective::kMaxAccuracy;
  std::optional<double> budget_usd_per_month;
  std::optional<double> target_accuracy;
  bool robust = false;
  bool feasible = false;
  std::string reason;
  std::vector<BucketPlan> buckets;
  std::vector<ClassPlan> classes;
  double accuracy = 0;  // value-weighted over all traffic
  Interval accuracy_interval;
  double objective_value = 0;
  Interval objective_interval;
  double inference_usd_per_month = 0;
  double training_usd_per_month = 0;
  double fleet_usd_per_month = 0;  // self-hosted GPUs provisioned for peak
  std::vector<FrontierPoint> frontier;  // spend per month (inference) against accuracy
  std::vector<CapacityLine> capacity;
  std::vector<TierResult> tiers;
  std::string chosen_tier;
  std::vector<VolumePoint> volume_sweep;
  std::optional<ContinuousTraining> continuous_training;
  std::vector<DifficultyEffect> difficulty_effect;
  std::optional<RoutingTotals> perfect_router;
  std::optional<RoutingTotals> no_router;
  std::vector<TimedPass> passes;  // load, options, routing, solve, ...
  std::vector<std::string> notes;
  std::string fits_hash;
  SharedCandidates candidates;  // the options each class was planned on (not serialised; for reuse)

  nlohmann::json ToJson() const;
  std::string BriefReport() const;
  std::string FullReport() const;
};

PlanResult MakePlan(const PlanInputs& inputs, const PlanOptions& options = {});

}  // namespace thinkplan::planner
