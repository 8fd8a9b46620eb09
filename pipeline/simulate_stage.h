// The simulate stage shared by `thinkplan simulate` and `thinkplan demo`: build the fleet scenario of a stored
// plan, run the simulation, check the planned GPU count against one device fewer, store the result (the JSON
// contract that `thinkplan report` reads) and return it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/fleet.h"
#include "store/database.h"

namespace thinkplan::pipeline {

struct SimulateSettings {
  uint64_t seed = 42;
  double days = 1;   // simulated days of traffic. Default 1.
  int threads = 1;   // the result does not depend on it. Default 1.
  // Devices per self-hosted system instead of the plan's (system name -> devices); whole replicas only.
  std::map<std::string, long> devices;
  // Traffic scaled by this factor: every class's daily volume, and every self-hosted system's replicas (rounded
  // up), so that the load per replica stays the plan's. For runs at a scale the plan was not made for
  // (docs/scale.md). Default 1.
  double volume_scale = 1;
  // Re-run each self-hosted system with one device fewer to show whether the planned count is the smallest that
  // meets the SLO. Default true.
  bool capacity_check = true;
  // Guards on the run's length, refused before it starts (see sim::FleetOptions). Defaults 1e10 and 2e10.
  double max_queries = 1e10;
  double max_samples = 2e10;
  bool IsValid(std::string* error) const;
};

struct CapacityCheck {
  std::string system;
  long planned_devices = 0, fewer_devices = 0;
  long fewer_replicas = 0, devices_per_replica = 1;
  bool planned_meets_slo = true;  // every class served by the system has its p95 within the SLO
  bool fewer_meets_slo = true;
  std::string explanation;
};

struct SimulateStageResult {
  long id = 0;  // stored simulation id
  sim::FleetSummary summary;
  std::vector<CapacityCheck> capacity_checks;
  std::vector<std::string> notes;  // how the scenario was built from the plan, and what it leaves out
  nlohmann::json json;             // as stored
};

// How the fleet is run: sim::SimulateFleet in this process when empty. The MPI executable passes one that
// shards each run over the job's ranks (sim/fleet_shard.h) and returns the merged summary on every rank, and
// stores on rank 0 only.
using FleetRunner = std::function<sim::FleetSummary(const sim::FleetScenario&, const sim::FleetOptions&)>;
struct SimulateHooks {
  FleetRunner runner;
  bool store = true;  // false: the result is built but not saved (id 0)
};

// Simulates stored plan `plan_id` with the stored catalogues and stores the result. Invalid settings and
// --devices naming no self-hosted system of the plan are UsageErrors. `progress` (nullptr for none) gets a
// progress bar.
SimulateStageResult SimulateStage(store::Database& db, long plan_id,
                                  const SimulateSettings& settings = {}, std::ostream* progress = nullptr,
                                  const SimulateHooks& hooks = {});

}  // namespace thinkplan::pipeline
