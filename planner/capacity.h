// The capacity pass of MakePlan (docs/planner.md, "Fleet, cost and latency"): per self-hosted system, the fleet
// that serves the peak load of every class routed to it, sized with the one fleet model of core/fleet_model.h
// (KV at the p95 final context, the batch that keeps the SLO, M/G/c waiting by Allen-Cunneen), in whole replicas.
//
// The configuration search (SearchServingConfig), as NVIDIA's AIConfigurator does for one model: per system, the
// devices per replica (1/2/4/8, each with the serving rates fitted for that tensor-parallel count), the batch limit
// and the replica count that meet every class's SLOs (p95 end to end, p95 time to first token, time per output
// token) at the least monthly cost.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/fleet_model.h"
#include "planner/options.h"
#include "planner/plan.h"

namespace thinkplan::planner {

// One class's traffic on a self-hosted system at its peak, with the SLOs it must keep there (0 = none).
struct ServingDemand {
  SequenceStream stream;  // sequences_per_s at the peak
  double queries_per_s = 0;
  double slo_p95_s = 0;       // wait p95 + the query's service p95
  double slo_ttft_p95_s = 0;  // wait p95 + the prompt's prefill + one decode step of the full batch
  double slo_tpot_s = 0;      // the replica's seconds per output token at its batch limit
};

struct ServingSearchOptions {
  // Replica sizes tried; each is costed with the serving rates stored for that device count (tensor-parallel
  // efficiency, core/cost_model.h ChooseEfficiency). Default {1, 2, 4, 8}.
  std::vector<long> devices_per_replica = {1, 2, 4, 8};
  // Busy slots over provisioned slots at the peak, at most (headroom for bursts). Default 0.9.
  double peak_utilisation = 0.9;
  double days_per_month = 30;  // Default 30, as Workload's.
  // The fewest replicas of any size (the verification loop's floor, SystemSpec::min_replicas): the replica loop
  // starts there, so every size's cheapest fleet, not only the chosen one, respects it. Default 0: no floor.
  long min_replicas = 0;
  FleetModelOptions fleet;
  bool IsValid(std::string* error) const;
};

// One (devices per replica, batch limit, replicas) and what it costs and delivers at the peak.
struct ServingConfig {
  long devices_per_replica = 0;
  long batch = 0;
  long replicas = 0;
  double usd_per_month = 0;
  bool holds_model = false;  // one sequence at the sizing context fits beside the weights
  bool meets_slo = false;
  std::string refusal;  // why no configuration of this size serves, when !meets_slo
  ReplicaFit fit;       // at `batch`
  QueueWait wait;       // at the peak on `replicas` replicas
  double ttft_p95_s = 0, tpot_s = 0;
};

enum class ServingSearchStatus {
  kMeetsSlo,         // `best` keeps every SLO at the least cost found
  kNoConfiguration,  // the model fits somewhere, but no size, batch and fleet keeps the SLOs
  kNoReplica,        // no size tried holds the model (or its catalogue entries are missing)
};

struct ServingSearch {
  ServingSearchStatus status = ServingSearchStatus::kNoReplica;
  ServingConfig best;
  std::vector<ServingConfig> by_devices;  // the cheapest per size tried, in the options' order
  long configurations_evaluated = 0;      // (size, batch) pairs whose fleet was sized
  std::string BriefReport() const;
  std::string FullReport() const;
};

// Exact over the grid: for each size and each batch limit up to the KV limit, the fewest replicas, at least
// `min_replicas`, that keep the SLOs; batches are visited by their utilisation bound on replicas and dropped once that bound
// costs more than the best found, so the answer is the enumeration's minimum without sizing every pair. Ties keep
// the system's own `devices`, then the smaller replica, then the larger batch.
ServingSearch SearchServingConfig(const SystemSpec& system, const Catalogues& catalogues,
                                  const std::vector<ServingDemand>& demands, const ServingSearchOptions& options);
// The system's replica at `devices` devices (its catalogue entries, the fitted rates for that count).
std::optional<ReplicaModel> ReplicaModelWithDevices(const SystemSpec& system, const Catalogues& catalogues, long devices,
                                                    std::string* reason);

struct FleetPlan {
  std::vector<CapacityLine> lines;
  // Per self-hosted system: the monthly cost of its fleet over what the plan's per-query prices add up to for
  // the traffic it serves (1 when they agree); what MakePlan rescales the LP's prices by.
  std::map<std::string, double> price_factor;
  // Per self-hosted system: the replica as provisioned (batch limit and service times at the peak).
  std::map<std::string, ReplicaFit> fits;
  // Per self-hosted system: the devices per replica the search chose.
  std::map<std::string, long> devices_per_replica;
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
