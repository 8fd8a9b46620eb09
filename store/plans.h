// Stored workloads and plans: what `thinkplan plan` writes and `whatif`, `simulate`, `report` and
// `export-policy` read back by id. Bodies are JSON documents; the columns beside them are what is searched on.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/database.h"

namespace thinkplan::store {

// The narrow forms of a stored plan (table plan_views, written with it): of only what the policy export reads, the
// plan's head (compact JSON), its allocation entries (JSON Lines, an entry a line) and its workload (compact JSON);
// and compact JSON of the figures `thinkplan plans` lists. Made by the pipeline (pipeline::PlanViewOf), which
// knows which members those are; the store keeps them as text.
struct PlanView {
  std::string policy_plan_json;
  std::string policy_allocation_lines;
  std::string policy_workload_json;
  std::string summary_json;
};

struct StoredPlan {
  long id = 0;                 // assigned by SavePlan
  std::string created_at;      // UTC, ISO 8601, assigned by SavePlan
  std::string workload_name;
  std::string workload_json;   // the workload as planned (after any what-if changes)
  std::string workload_hash;   // SHA-256 of workload_json
  std::string fits_hash;       // hash of the fits the plan used
  std::optional<long> base_plan_id;  // for what-if plans: the plan they were derived from
  std::string plan_json;       // the plan: allocation, frontier, capacity, policy
  // Stored beside the plan when given (in the plan's transaction); absent for plans stored before schema
  // version 11, whose readers parse plan_json and workload_json instead.
  std::optional<PlanView> view;
};

// Which bodies LoadPlan reads. kUnlessViewed leaves plan_json and workload_json empty when the plan has a view
// (reading a 150 MB plan out of SQLite costs more than a policy export should): for readers that need only the view.
enum class PlanBodies { kAlways, kUnlessViewed };

// Stores the plan in one transaction and returns its id.
long SavePlan(Database& db, StoredPlan plan);
// Throws InputError "no plan with id N (see thinkplan plans)" when absent.
StoredPlan LoadPlan(Database& db, long id, PlanBodies bodies = PlanBodies::kAlways);
std::vector<StoredPlan> ListPlans(Database& db);  // newest first, bodies included

// A stored plan as a listing shows it: its columns and, where the plan has a view, the view's summary; no bodies.
struct PlanListing {
  StoredPlan plan;                          // plan_json, workload_json and view left empty
  std::optional<std::string> summary_json;  // PlanView::summary_json; absent for plans stored before version 11
};
std::vector<PlanListing> ListPlanSummaries(Database& db);  // newest first

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
// The ids of plan `plan_id`'s simulations, newest first, without their bodies (what a listing shows).
std::vector<long> ListSimulationIds(Database& db, long plan_id);

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
