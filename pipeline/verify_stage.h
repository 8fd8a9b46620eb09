// `thinkplan plan --verify` and the demo (issue 13, item 4): the closed loop between the planner and the simulator.
// A stored plan is simulated for a day and compared, class by class, with what it promised: the simulated p95 within
// the SLO with at most 5% of queries over it, the planned p95 within 25% of the simulated one, and the monthly cost
// within 5%. Where the SLO breaks, the loop re-provisions through the workload (a self-hosted system's
// `min_replicas` or `devices`, or a class's `systems` without the API that misses) and re-plans, so that the LP's
// budget binds on the re-provisioned fleet's bill, until the simulation holds or the round limit is reached. Every
// round's plan, simulation and verification are stored (docs/planner.md, "Verification").
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/plan_stage.h"
#include "pipeline/simulate_stage.h"
#include "planner/plan.h"

namespace thinkplan::pipeline {

struct VerifiedClass {
  std::string name;
  double planned_p95_s = 0, simulated_p95_s = 0, slo_p95_s = 0, slo_miss_fraction = 0;
  bool slo_holds = true;   // simulated p95 within the SLO, at most 5% of queries over it
  bool p95_agrees = true;  // planned p95 within 25% of the simulated one
  bool holds() const { return slo_holds && p95_agrees; }
};

struct Verification {
  long plan_id = 0;
  long simulation_id = 0;
  std::vector<VerifiedClass> classes;
  double planned_usd_per_month = 0, simulated_usd_per_month = 0;
  bool cost_holds = true;
  bool holds() const;
  // "competition p95 43000 s over its 900 s SLO (93% over); cost +8%": what breaks, empty when it holds.
  std::string Breaks() const;
  nlohmann::json ToJson() const;
  std::string FullReport() const;
};

// The promise checks of one simulation of `plan` (stored as `plan_id`); the simulation is stored, the verification
// is not (PlanAndVerify stores it with its round).
Verification VerifyPlan(store::Database& db, const planner::PlanResult& plan, long plan_id,
                        const SimulateSettings& settings = {});

struct VerifyLoopOptions {
  // Plans simulated at most, the first included. Default 5.
  int max_rounds = 5;
  // A self-hosted system whose classes miss their SLO gets its replicas multiplied by the worst simulated p95 over
  // the SLO, clamped to [min_growth, max_growth]: queueing makes the p95 fall much faster than the fleet grows, so
  // the ratio is an upper bound on what is needed and the clamp keeps a round from overshooting. Defaults 1.25, 2.
  double min_growth = 1.25;
  double max_growth = 2;
  // A system whose batch is bounded by KV memory while its weights take over half the card doubles its devices per
  // replica instead (the extra memory goes to KV, so throughput per device grows), up to this. Default 8.
  long max_devices_per_replica = 8;
  // The simulation each round runs (seed, days). Default SimulateSettings{}: one day, seed 42.
  SimulateSettings simulate;
  bool IsValid(std::string* error) const;
};

enum class VerifyStatus {
  kHolds,            // the last round's simulation holds the promise
  kInfeasible,       // a round's plan is infeasible (the plan's reason says why)
  kRoundLimit,       // max_rounds plans were simulated and the last still breaks the promise
  kNothingToChange,  // it breaks only where re-provisioning does not reach (cost, or p95 agreement within the SLO)
};

struct VerifyRound {
  int round = 1;
  long plan_id = 0;
  double planned_usd_per_month = 0;
  Verification verification;
  std::vector<std::string> changes;  // what this round changed in the workload for the next one
};

struct VerifyLoopSummary {
  VerifyStatus status = VerifyStatus::kHolds;
  std::vector<VerifyRound> rounds;
  PlanStageResult final_plan;       // the last round's plan (stored, unless infeasible)
  planner::Workload final_workload;  // the workload it was planned from, with the loop's changes
  std::string message;              // why it stopped, one line
  bool holds() const { return status == VerifyStatus::kHolds; }
  nlohmann::json ToJson() const;
  std::string BriefReport() const;
  std::string FullReport() const;  // every round, then the last verification's table
};

// Plans `workload`, simulates the plan and re-provisions until the simulation holds the promise or the loop stops
// (VerifyStatus). `log` (nullptr for none) gets a line per round as it finishes. `first_round`, when given, is
// round 1's plan, already made from `workload` and stored (a what-if plan, stored with its base plan); later
// rounds plan the re-provisioned workload afresh.
VerifyLoopSummary PlanAndVerify(store::Database& db, planner::Workload workload, const PlanStageOptions& plan_options,
                                const VerifyLoopOptions& options = {}, std::ostream* log = nullptr,
                                const PlanStageResult* first_round = nullptr);

}  // namespace thinkplan::pipeline
