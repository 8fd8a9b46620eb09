// The capacity pass of MakePlan (docs/planner.md, "Fleet, cost and latency"): per self-hosted system, the fleet
// that serves the peak load of every class routed to it, sized with the one fleet model of core/fleet_model.h
// (KV at the p95 final context, the batch that keeps the SLO, M/G/c waiting by Allen-Cunneen), in whole replicas.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/fleet_model.h"
#include "planner/plan.h"

namespace thinkplan::planner {

struct FleetPlan {
  std::vector<CapacityLine> lines;
  // Per self-hosted system: the monthly cost of its fleet over what the plan's per-query prices add up to for
  // the traffic it serves (1 when they agree); what MakePlan rescales the LP's prices by.
  std::map<std::string, double> price_factor;
  // Per self-hosted system: the replica as provisioned (batch limit and service times at the peak).
  std::map<std::string, ReplicaFit> fits;
  // Filled by FleetLatencies. Per (class index, system): the p95 over a day of that class's queries there; per
  // class: the p95 over a day of all its self-hosted queries together.
  std::map<std::pair<std::size_t, std::string>, double> latency_p95_s;
  std::map<std::size_t, double> class_latency_p95_s;
  std::vector<std::string> notes;
  double usd_per_month = 0;
};

// `buckets` as MakePlan assembles them (shares with their figures and traffic). Systems whose replica cannot be
// built are left out with a note.
FleetPlan ProvisionFleet(const Workload& workload, const Catalogues& catalogues, const std::vector<BucketPlan>& buckets,
                         double peak_utilisation);
// The day-level p95s of `fleet` as the simulator measures them: hour by hour (core/fleet_model.h HourlyProfile),
// the batch the load fills by Little's law, its service time and the M/G/c wait, mixed by traffic.
void FleetLatencies(const Workload& workload, const Catalogues& catalogues, const std::vector<BucketPlan>& buckets,
                    FleetPlan& fleet);

}  // namespace thinkplan::planner
