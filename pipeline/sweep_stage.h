// The sweep stage (`thinkplan sweep`, docs/sweep.md): a grid of what-if changes to a stored plan crossed with
// posterior draws of the fitted curves. Each grid point (scenario) is re-planned once on the fitted curves, as
// `whatif` does; each draw then re-scores the options that plan chose on curves drawn from their posterior
// (pipeline/posterior_draw.h) and simulates the fleet under them (pipeline/simulate_scenario.h, sim/fleet.h). The
// plan is held fixed and the world is drawn: the question is how likely the plan is to hold, not what a re-plan
// would choose. Per scenario: the distribution of accuracy, cost, p95 latency and SLO misses over the draws, and
// the probability of meeting each class's SLO and the budget with its Monte Carlo error.
//
// Work split (threads here, MPI ranks in mpi/main.cpp): the (scenario, draw) items are dealt round-robin to shards;
// RunSweepShard runs one shard into a SweepPartial, MergeSweepPartials puts partials in (scenario, draw) order, so
// the merged result, and everything summarised from it, is the same for any shard count. Every random number is a
// Philox stream keyed by (seed, draw) for the curves and (seed, scenario, draw) for the simulation.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/statistics.h"
#include "pipeline/plan_stage.h"
#include "store/database.h"

namespace thinkplan::pipeline {

struct SweepOptions {
  // One entry per what-if key, "KEY=V1,V2,..." (the keys of planner/whatif.h); the grid is the cross product of the
  // keys' values, in the order given. Default: none, one scenario: the plan as re-planned on the current fits.
  std::vector<std::string> grid;
  // Posterior draws per scenario. Default 100: a Monte Carlo standard error of at most 0.05 on a probability.
  long draws = 100;
  // Simulated days per draw. Default 1: a whole day's profile, peak hour included, which is what an SLO sees.
  double days = 1;
  uint64_t seed = 42;
  // Worker threads; 0 = all hardware threads. The result does not depend on it.
  int threads = 0;
  // Store the sweep (one transaction, after every draw has finished). Default true.
  bool store = true;
  // Per draw, the simulator's memory guards (sim::FleetOptions). Defaults 3e7 and 2e8.
  double max_queries = 3e7;
  double max_samples = 2e8;
  // A proxy bucket's transfer spread sigma_T (logit scale), drawn per draw as a normal error on its accuracies.
  // nullopt (default): as the plan measures it from the stored runs (planner::ProxyTransferSpread); 0: not drawn.
  std::optional<double> proxy_sigma_logit;
  bool IsValid(std::string* error) const;
};

// Splits "KEY=V1,V2" into "KEY=V1", "KEY=V2". A value may not be empty. Throws UsageError.
std::vector<std::string> GridValues(const std::string& entry);
// The grid's points: each a list of "KEY=V" changes, the first key varying slowest.
std::vector<std::vector<std::string>> GridPoints(const std::vector<std::string>& grid);

// One grid point, planned on the fitted curves.
struct SweepScenario {
  std::vector<std::string> changes;  // "budget=0.5x", ... (empty: the plan as it is)
  std::string label;                 // the changes joined by spaces, or "as planned"
  bool feasible = false;
  std::string reason;                // why not, when infeasible
  planner::Workload workload;
  planner::PlanResult plan;
  std::string workload_json;
  std::optional<double> budget_usd_per_month;  // what "within budget" is checked against (none for min_cost)
  std::vector<std::string> class_names;
  std::vector<double> slo_p95_s;     // per class; 0 = none
};

// Everything a shard needs, the same on every thread or rank: read once from the store and the data folder.
struct PreparedSweep {
  long plan_id = 0;
  SweepOptions options;
  std::unique_ptr<LoadedInputs> inputs;  // the fitted curves, runs and catalogues
  std::vector<SweepScenario> scenarios;
  std::vector<std::string> notes;
  std::size_t items() const { return scenarios.size() * static_cast<std::size_t>(options.draws); }
};

// Reads plan `plan_id` and plans every grid point (not stored). Throws UsageError for a bad grid or options,
// InputError for a missing plan.
PreparedSweep PrepareSweep(store::Database& db, long plan_id,
                           const SweepOptions& options);

// What one (scenario, draw) simulated.
struct DrawOutcome {
  uint32_t scenario = 0;
  uint32_t draw = 0;
  double accuracy = 0;
  double usd_per_month = 0;       // simulated spend (API and provisioned fleet) plus the plan's training share
  double slo_miss_fraction = 0;   // all classes
  std::vector<double> class_accuracy, class_p95_s, class_slo_miss_fraction;  // +inf p95: some queries unserved
  long curves_drawn = 0, curves_fixed = 0, options_kept = 0;  // options_kept: chosen options the draw could not re-score
};

// A shard's outcomes: mergeable by concatenation. ToJson/FromJson carry it between processes.
struct SweepPartial {
  std::vector<DrawOutcome> outcomes;
  nlohmann::json ToJson() const;
  static SweepPartial FromJson(const nlohmann::json& j);
};

// What a shard reports while it runs; both may be empty.
struct ShardHooks {
  std::function<void()> item_done;         // after each item; may throw to stop the shard
  const std::atomic<bool>* stop = nullptr; // checked before each item: another shard failed
};

// The items i of `sweep` with i % shard_count == shard_index (item i = scenario i / draws, draw i % draws),
// infeasible scenarios skipped. Thread-safe: reads `sweep` only.
SweepPartial RunSweepShard(const PreparedSweep& sweep, int shard_index, int shard_count, const ShardHooks& hooks = {});
// The partials' outcomes in (scenario, draw) order: the same for any split of the items. Throws InternalError on
// a duplicated item.
SweepPartial MergeSweepPartials(std::vector<SweepPartial> partials);
// Runs shards [first_shard, first_shard + threads) of `shard_count` on `threads` threads and returns their partials
// (unmerged). The first failure stops the other threads and is rethrown after all have joined. `item_done` (may be
// empty) is called after each item, one thread at a time.
std::vector<SweepPartial> RunSweepShardsOnThreads(const PreparedSweep& sweep, int first_shard, int threads,
                                                  int shard_count, const std::function<void()>& item_done);
// One draw, planned-and-simulated (what RunSweepShard does per item).
DrawOutcome EvaluateDraw(const PreparedSweep& sweep, std::size_t scenario, long draw);

// Over the draws of a scenario.
struct Distribution {
  double mean = 0, p5 = 0, p50 = 0, p95 = 0;
  static Distribution Of(const std::vector<double>& values);
};
// A probability estimated from `trials` draws: binomial standard error sqrt(p (1 - p) / n) and the 95% Wilson
// interval (which stays honest at 0 and 1, where the standard error is 0).
struct Probability {
  long successes = 0, trials = 0;
  double value = 0, standard_error = 0;
  Interval wilson;
  static Probability Of(long successes, long trials);
};

struct ClassRisk {
  std::string name;
  double slo_p95_s = 0;
  Distribution accuracy, p95_s, slo_miss_fraction;
  std::optional<Probability> meets_slo;  // at most 5% of the class's queries over its SLO; none without an SLO
};

struct ScenarioRisk {
  std::string label;
  std::vector<std::string> changes;
  bool feasible = false;
  std::string reason;
  double planned_accuracy = 0, planned_usd_per_month = 0;
  std::optional<double> budget_usd_per_month;
  Distribution accuracy, usd_per_month, slo_miss_fraction;
  std::vector<ClassRisk> classes;
  std::optional<Probability> within_budget;  // none without a budget
  Probability meets_all_slos;
  Probability meets_all;                     // every SLO and the budget in the same draw
};

enum class SweepStatus {
  kOk,              // every scenario was feasible and simulated
  kSomeInfeasible,  // some scenarios have no plan; they are listed with their reason
  kNoneFeasible,    // nothing to simulate
};
std::string_view ToString(SweepStatus status);

struct SweepSummary {
  SweepStatus status = SweepStatus::kOk;
  std::optional<long> id;  // stored sweep
  long plan_id = 0;
  uint64_t seed = 0;
  long draws = 0;
  double days = 0;
  int threads = 0;
  double wall_s = 0;
  std::vector<std::string> grid;
  std::vector<ScenarioRisk> scenarios;
  std::vector<std::string> notes;

  nlohmann::json ToJson() const;  // what is stored, printed with --json and read by the report
  std::string BriefReport() const;
  std::string FullReport() const;
};

SweepSummary SummariseSweep(const PreparedSweep& sweep, const SweepPartial& merged);

// How SweepStage runs the items. By default on `threads` threads of this process. The MPI executable
// (mpi/main.cpp) supplies a runner that runs this rank's shards, reduces the partials to rank 0 and returns the
// merged partial there (its own elsewhere), and stores on rank 0 only. `threads` is the stage's resolved thread
// count; `item_done` must be called after each item the caller runs.
using SweepRunner =
    std::function<SweepPartial(const PreparedSweep& sweep, int threads, const std::function<void()>& item_done)>;
struct SweepHooks {
  SweepRunner runner;  // empty: threads in this process
  bool store = true;   // false: the summary is built but not saved (no id)
};

// Prepare, run the shards on `options.threads` threads (or through `hooks.runner`), merge, summarise, store (when
// asked, in one transaction after everything has finished: a failed or interrupted sweep stores nothing).
// `progress` (nullptr for none) gets a progress bar.
SweepSummary SweepStage(store::Database& db, long plan_id,
                        const SweepOptions& options, std::ostream* progress = nullptr,
                        const std::function<void()>& item_done = nullptr, const SweepHooks& hooks = {});

}  // namespace thinkplan::pipeline
