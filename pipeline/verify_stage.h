// `thinkplan plan --verify` (issue 13, item 4, first half): simulate a stored plan for a day and compare what the
// simulator measures with what the plan promised, class by class: the p95 within the SLO with at most 5% of queries
// over it, the planned p95 within 25% of the simulated one, and the monthly cost within 5%. It reports; it does not
// yet re-provision and re-plan when the promise breaks (docs/planner.md).
#pragma once

#include <string>
#include <vector>

#include "pipeline/simulate_stage.h"
#include "planner/plan.h"

namespace thinkplan::pipeline {

struct VerifiedClass {
  std::string name;
  double planned_p95_s = 0, simulated_p95_s = 0, slo_p95_s = 0, slo_miss_fraction = 0;
  bool holds = true;
};

struct Verification {
  long simulation_id = 0;
  std::vector<VerifiedClass> classes;
  double planned_usd_per_month = 0, simulated_usd_per_month = 0;
  bool cost_holds = true;
  bool holds() const;
  std::string FullReport() const;
};

// The promise checks of one simulation of `plan` (stored as `plan_id`).
Verification VerifyPlan(store::Database& db, const planner::PlanResult& plan, long plan_id, const SimulateSettings& settings = {});

}  // namespace thinkplan::pipeline
