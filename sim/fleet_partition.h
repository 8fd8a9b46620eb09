// Internal to the fleet simulator: the discrete-event loop of one work unit (one system over a range of hours of
// arrivals, see sim/fleet_shard.h). Arrivals are drawn as the clock reaches them; a query lives in a pool slot
// while it is in flight and is folded into the partial result when it finishes, so memory follows the queries
// in flight, not the horizon.
#pragma once

#include "sim/fleet_shard.h"

namespace thinkplan::sim::fleet_detail {

// Runs `unit` and adds its counts, sums and sketches to `out` (a partial of the same scenario).
void RunUnit(const FleetScenario& scenario, uint64_t seed, double days, const FleetWorkUnit& unit, FleetPartial& out);

}  // namespace thinkplan::sim::fleet_detail
