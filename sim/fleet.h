// The fleet simulator (docs/design.md section 3.7): a discrete-event simulation of a serving fleet under a policy.
// Queries arrive per class (Poisson, hourly profile), are routed with the router's confusion, draw an option by
// traffic fraction, and run N samples on an API pool or on self-hosted replicas with continuous batching (step
// times from core/cost_model.h, admission limited by KV memory), then a verifier. Correctness comes from the
// Monte Carlo engine's per-problem code (sim/monte_carlo_problem.h). Every random draw is keyed by
// (seed, query, sample), so a run is reproducible and independent of the thread count. The run streams: arrivals
// are drawn as the clock advances and a query is folded into counts, sums and latency sketches when it finishes,
// so memory follows the queries in flight, not the horizon (sim/fleet_shard.h splits a run over processes).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/cost_model.h"
#include "core/fleet_model.h"
#include "core/statistics.h"
#include "sim/monte_carlo_problem.h"

namespace thinkplan::sim {

// Thinking length of one sample: LogNormal(mu, sigma) capped at `cap` (docs/design.md 3.2), or exponential with the
// given mean (what the queueing tests use: it makes service times geometric, whose moments are known).
struct TokenDraw {
  enum class Kind { kNone, kLogNormal, kExponential } kind = Kind::kNone;
  double mu = 0, sigma = 0;                                  // kLogNormal
  double mean = 0;                                           // kExponential
  double cap = std::numeric_limits<double>::infinity();     // thinking budget
  double answer_tokens = 0;                                  // always generated after the thinking
};

// One option of a routed bucket: where its samples run, how they are aggregated, what they cost.
struct FleetOption {
  std::string label;      // "o3-mini extended pass@1"
  double fraction = 1;    // share of the bucket's traffic
  int system = 0;         // index into FleetScenario::systems
  McProblemSpec correctness;  // Beta(a, b), samples, aggregation, d', rho; the seed keys are set by the simulator
  TokenDraw tokens;
  // Per true bucket of the class (empty: `correctness` and `tokens` for all): a query's difficulty and thinking
  // follow the bucket it truly belongs to, whichever bucket the router sent it to. Same samples and aggregation.
  std::vector<McProblemSpec> correctness_by_true;
  std::vector<TokenDraw> tokens_by_true;
  double usd_fixed_per_query = 0;      // API prompt tokens of all samples plus verifier cost
  double usd_per_output_token = 0;     // API output price (thinking and answer)
  double verifier_s = 0;               // verifier time after the last sample finishes
  // The plan's figures for this option, for the gap report.
  double planned_accuracy = 0;
  double planned_usd_per_query = 0;
};

struct FleetBucket {  // a predicted (routed) bucket
  std::string name;
  std::vector<FleetOption> options;
};

struct FleetClass {
  std::string name;
  double daily_volume = 0;    // queries per day
  double prompt_tokens = 0;
  double slo_p95_s = 0;       // 0 = none
  double value_usd = 1;       // weight of the class in the overall accuracy (with its daily volume), as planned
  // Rate multipliers for the 24 hours of the day, mean 1; empty = flat. See HourlyProfile().
  std::vector<double> hourly_profile;
  std::vector<double> true_shares;              // traffic per true bucket; sums to 1
  std::vector<std::vector<double>> confusion;   // [true][predicted]; empty = identity
  std::vector<FleetBucket> buckets;             // predicted buckets, same count as true_shares
  // The plan's figures for the class, for the gap report (0 where unknown).
  double planned_accuracy = 0;
  Interval planned_interval;
  double planned_usd_per_month = 0;
};

struct FleetSystem {
  std::string name;
  bool api = true;
  // API: every sample is its own request: first token after ttft_s, then output_tokens_per_s.
  double ttft_s = 1.0;
  double output_tokens_per_s = 80;
  // Self-hosted: `replicas` replicas of `devices_per_replica` devices, each running the cost model's steps.
  std::optional<CostModel> model;
  std::string hardware;
  long replicas = 0;
  long devices_per_replica = 1;
  long max_batch = kMaxNumSeqs;     // the scheduler's max_num_seqs, as the planner assumes it
  // The provisioned devices are paid for every hour; each query is charged that cost in proportion to the
  // device-seconds of the steps its samples took part in (a step's time split evenly over its batch).
  double usd_per_device_hour = 0;
  long planned_devices = 0;
};

struct FleetScenario {
  std::vector<FleetClass> classes;
  std::vector<FleetSystem> systems;
  double days_per_month = 30;
  double planned_usd_per_month = 0;
  // What the plan implies is paid: its API and verifier spend plus its provisioned self-hosted fleet (the plan
  // prices self-hosted queries at full batches, which the fleet it provisions may not reach).
  double planned_paid_usd_per_month = 0;
  double planned_accuracy = 0;
  Interval planned_interval;
  // Throws InputError naming the first inconsistent field (shares, fractions, indices, rates).
  void Validate() const;
};

// The day's shape of the traffic, shared with the planner (core/fleet_model.h).
using thinkplan::HourlyProfile;

struct FleetOptions {
  uint64_t seed = 42;
  double days = 1;   // simulated days of arrivals; the fleet then drains. Default 1.
  int threads = 1;   // workers over the run's work units (sim/fleet_shard.h); the result does not depend on it
  // Refuse a run expected to draw more queries or samples than this, before it starts: a guard on the run's
  // length (about 4e6 samples a second per core), not on memory, which does not grow with the run. Defaults
  // 1e10 and 2e10; a day of the default workload draws 0.7 million queries and 1.1 million samples.
  double max_queries = 1e10;
  double max_sequences = 2e10;
  // Called with (work units done, total) from the calling thread's workers, serialised. May be empty.
  std::function<void(std::size_t, std::size_t)> progress;
  bool IsValid(std::string* error) const;
};

struct Percentiles {
  double p50 = 0, p95 = 0, p99 = 0;
};

struct ClassOutcome {
  std::string name;
  uint64_t queries = 0;
  uint64_t unserved = 0;     // routed to a system that cannot serve them (no replica fits)
  uint64_t sequences = 0;    // samples generated
  double accuracy = 0;
  Interval accuracy_interval;  // 95%, normal approximation on the per-query credits
  double usd_per_month = 0;
  // Nearest-rank percentiles estimated from a log-bucketed sketch, within a relative
  // LatencySketch::kRelativeError (0.39%) of the exact ones (sim/latency_sketch.h); unserved queries are +inf.
  Percentiles ttft_s, latency_s;
  double mean_latency_s = 0;
  double slo_p95_s = 0;
  double slo_miss_fraction = 0;  // queries over the SLO bound (unserved count as misses)
  std::vector<std::pair<double, uint64_t>> latency_histogram;  // (upper bound s, count), log-spaced
};

struct SystemOutcome {
  std::string name, hardware;
  bool api = true;
  long replicas = 0, devices = 0, planned_devices = 0;
  uint64_t sequences = 0;
  double utilisation = 0;        // busy replica-time over provisioned replica-time (arrival window)
  double kv_peak_fraction = 0;   // peak KV cache in use over the KV memory available
  double gpu_hours = 0;          // provisioned device-hours over the simulated days
  double busy_gpu_hours = 0;
  double usd_per_month = 0;      // provisioned (self-hosted) or spent (API)
  double mean_batch = 0;         // time-averaged over busy time
  double mean_wait_s = 0;        // arrival to admission, per sequence
};

struct HourQueue {
  int hour = 0;                  // since the start of the simulation
  double mean_queue = 0;         // sequences waiting for admission, time-averaged, all replicas
  uint64_t max_queue = 0;
  double mean_in_system = 0;     // queries arrived and not finished, time-averaged
};

struct LittleCheck {
  double arrival_rate_per_s = 0, mean_in_system = 0, mean_time_in_system_s = 0, relative_gap = 0;
};

struct FleetSummary {
  uint64_t seed = 0;
  double days = 0;
  int threads = 0;
  uint64_t queries = 0, sequences = 0, unserved = 0;
  double accuracy = 0;
  Interval accuracy_interval;
  double usd_per_month = 0;
  double gpu_hours = 0;
  double slo_miss_fraction = 0;
  double simulated_s = 0;   // clock at the last completion
  double seconds = 0;       // wall time
  uint64_t peak_in_flight = 0;  // most queries one work unit held at once: what the run's memory follows
  std::vector<ClassOutcome> classes;
  std::vector<SystemOutcome> systems;
  std::vector<HourQueue> queue_by_hour;
  LittleCheck little;

  std::string BriefReport() const;
  std::string FullReport() const;
};

// Expected queries and samples (sequences) of `days` of the scenario's traffic, what max_queries and
// max_sequences are checked against.
struct ExpectedDraws {
  double queries = 0, sequences = 0;
};
ExpectedDraws ExpectedDrawsOf(const FleetScenario& scenario, double days);

// Throws UsageError when the options are invalid or the run would exceed their limits, InputError when the
// scenario is inconsistent.
FleetSummary SimulateFleet(const FleetScenario& scenario, const FleetOptions& options);

}  // namespace thinkplan::sim
