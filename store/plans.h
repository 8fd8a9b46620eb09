// Stored workloads and plans: what `thinkplan plan` writes and `whatif`, `simulate`, `report` and
// `export-policy` read back by id. Bodies are JSON documents; the columns beside them are what is searched on.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/database.h"

namespace thinkplan::store {

struct StoredPlan {
  long id = 0;                 // assigned by SavePlan
  std::string created_at;      // UTC, ISO 8601, assigned by SavePlan
  std::string workload_name;
  std::string workload_json;   // the workload as planned (after any what-if changes)
  std::string workload_hash;   // SHA-256 of workload_json
  std::string fits_hash;       // hash of the fits the plan used
  std::optional<long> base_plan_id;  // for what-if plans: the plan they were derived from
  std::string plan_json;       // the plan: allocation, frontier, capacity, policy
};

// Stores the plan in one transaction and returns its id.
long SavePlan(Database& db, StoredPlan plan);
// Throws InputError "no plan with id N (see thinkplan plans)" when absent.
StoredPlan LoadPlan(Database& db, long id);
std::vector<StoredPlan> ListPlans(Database& db);  // newest first, bodies included

struct StoredSimulation {
  long id = 0;
  long plan_id = 0;
  std::string created_at;
  unsigned long long seed = 0;
  std::string result_json;
};
long SaveSimulation(Database& db, StoredSimulation simulation);
StoredSimulation LoadSimulation(Database& db, long id);
std::vector<StoredSimulation> ListSimulations(Database& db, std::optional<long> plan_id = std::nullopt);

// One check of a stored plan by a stored simulation (`plan --verify`): whether it held the plan's promise, in which
// round of the re-provisioning loop, and the figures compared (pipeline/verify_stage.h Verification::ToJson).
struct StoredVerification {
  long id = 0;
  long plan_id = 0;
  long simulation_id = 0;
  std::string created_at;
  int round = 1;
  bool holds = false;
  std::string body_json;
};
long SaveVerification(Database& db, StoredVerification verification);
// The newest verification of plan `plan_id`; empty when it was never verified.
std::optional<StoredVerification> LatestVerification(Database& db, long plan_id);

// The current time, UTC, ISO 8601 to the second ("2026-11-30T07:10:24Z"): the created_at of stored records.
std::string UtcNowIso8601();

// SHA-256 of a byte string, lower-case hex: the hash used for workloads, fit inputs and plans.
std::string Sha256Hex(const std::string& bytes);

}  // namespace thinkplan::store
