// A fleet simulation split into shards whose partial results merge exactly: the entry point of the MPI executable
// (cli/mpi_main.cpp) and of anything else that spreads runs over processes or machines.
//
// The run is cut into work units fixed by the scenario and the options alone: each self-hosted system over the
// whole horizon (its replicas share one queue, whose state carries from hour to hour), and each API system hour
// by hour (an API system is an infinite-server pool: its queries do not interact). Shard i of n runs the units a
// deterministic greedy assignment gives it. A unit generates its arrivals as its clock advances, keeps only the
// queries in flight and folds each finished query into counts, order-free sums (FixedSum) and latency sketches
// (LatencySketch). Merging partials adds them, so the merged result is the same bit for bit for any number of
// shards, threads or processes, and in any merge order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/fleet.h"
#include "sim/latency_sketch.h"

namespace thinkplan::sim {

struct FleetClassPartial {
  uint64_t queries = 0, unserved = 0, served = 0, sequences = 0, slo_misses = 0;
  FixedSum credit, credit_squared, usd, latency_sum;
  LatencySketch ttft, latency;       // latency: unserved queries as +infinity
  std::vector<uint64_t> histogram;   // counts per bin of LatencyHistogramBounds()
  bool operator==(const FleetClassPartial& o) const = default;
};

struct FleetSystemPartial {
  uint64_t sequences = 0;
  FixedSum busy_replica_s, batch_time, wait_s, api_usd;
  double kv_peak_fraction = 0;            // merged by max
  std::vector<FixedSum> device_s_by_class;  // self-hosted device-seconds of each class's queries
  bool operator==(const FleetSystemPartial& o) const = default;
};

struct FleetPartial {
  std::vector<FleetClassPartial> classes;
  std::vector<FleetSystemPartial> systems;
  FixedSum area_in_system, sojourn_s;
  uint64_t served = 0;
  double end_s = 0;                       // merged by max
  uint64_t peak_in_flight = 0;            // most queries any unit held at once (its memory), merged by max
  uint64_t units = 0;                     // work units run
  // By hour since the start: integrals of sequences waiting and of queries in the system; the per-unit maxima
  // of the queue, summed (an upper bound on the fleet-wide maximum: units peak at different times).
  std::vector<FixedSum> queue_area, in_system_area;
  std::vector<uint64_t> queue_max;

  // The empty partial of a scenario (what merging starts from).
  static FleetPartial Empty(const FleetScenario& scenario);
  void Merge(const FleetPartial& other);
  std::string Encode() const;
  // Throws InputError when the bytes are not a partial of a scenario with this many classes and systems.
  static FleetPartial Decode(std::string_view bytes, std::size_t classes, std::size_t systems);
  bool operator==(const FleetPartial& o) const = default;
};

// Log-spaced latency bins, 4 per decade from 0.1 s to 10^5 s, and a last bin (+infinity) for unserved queries.
std::vector<double> LatencyHistogramBounds();

// The work units of a run and the shard each belongs to, for `shard_count` shards.
struct FleetWorkUnit {
  int system = 0;
  long first_hour = 0, end_hour = 0;  // arrivals in [first_hour, end_hour) hours
  double cost = 0;                    // expected work (sequences), what the assignment balances
  int shard = 0;
};
std::vector<FleetWorkUnit> FleetWorkUnits(const FleetScenario& scenario, double days, int shard_count);

// Runs shard `shard_index` of `shard_count` (options.threads workers over its units). Throws UsageError for
// invalid options or shard numbers, InputError for an inconsistent scenario.
FleetPartial SimulateFleetShard(const FleetScenario& scenario, const FleetOptions& options, int shard_index,
                                int shard_count);

// The summary of a merged partial (all shards). `seconds` is the wall time to report.
FleetSummary SummariseFleet(const FleetScenario& scenario, const FleetOptions& options, const FleetPartial& merged,
                            double seconds);

}  // namespace thinkplan::sim
