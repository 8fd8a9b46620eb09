// Internal to the fleet simulator: the discrete-event loop of one system (an API pool or a set of self-hosted
// replicas) over the queries routed to it. Systems share no state, so each runs on its own thread and the
// results are merged in a fixed order.
#pragma once

#include <vector>

#include "sim/fleet_draws.h"

namespace thinkplan::sim::fleet_detail {

struct PartitionStats {
  double busy_replica_s = 0;     // sum over replicas of time with a step in progress
  double batch_time = 0;         // integral of the batch size over busy time
  double kv_peak_fraction = 0;
  double wait_s = 0;             // sum over sequences of arrival-to-admission
  uint64_t sequences = 0;        // admitted sequences
  double area_in_system = 0;     // integral of queries in system over time
  double end_s = 0;              // clock at the last event
  std::vector<double> queue_area;        // per hour: integral of sequences waiting
  std::vector<uint64_t> queue_max;       // per hour
  std::vector<double> in_system_area;    // per hour
};

// Runs the event loop for `system` over queries[order[i]] (ascending arrival). Writes ttft, finish, unserved and
// the self-hosted device cost into those queries only.
PartitionStats RunPartition(const FleetScenario& scenario, int system, const BigVector<uint32_t>& order,
                            BigVector<Query>& queries, const BigVector<Sequence>& sequences);

}  // namespace thinkplan::sim::fleet_detail
