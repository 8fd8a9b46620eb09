// The capacity pass of MakePlan (docs/planner.md, "Fleet, cost and latency"): per self-hosted system, the fleet
// that serves the peak load of every class routed to it, sized with the one fleet model of core/fleet_model.h
// (KV at the p95 final context, the batch that keeps the SLO, M/G/c waiting by Allen-Cunneen), in whole replicas.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "planner/plan.h"

namespace thinkplan::planner {

struct FleetPlan {
  std::vector<CapacityLine> lines;
  // Per self-hosted system: the monthly cost of its fleet over what the plan's per-query prices add up to for
  // the traffic it serves (1 when they agree); what MakePlan rescales the LP's prices by.
  std::map<std::string, double> price_factor;
  // Per (class index, system): p95 of waiting at peak plus the query's service p95 on that fleet.
  std::map<std::pair<std::size_t, std::string>, double> latency_p95_s;
  std::vector<std::string> notes;
  double usd_per_month = 0;
};

// `buckets` as MakePlan assembles them (shares with their figures and traffic). Systems whose replica cannot be
// built are left out with a note.
FleetPlan ProvisionFleet(const Workload& workload, const Catalogues& catalogues, const std::vector<BucketPlan>& buckets,
                         double peak_utilisation);

}  // namespace thinkplan::planner
