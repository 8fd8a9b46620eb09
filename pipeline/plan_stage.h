// What `plan`, `whatif` and `export-policy` share: reading the planner's inputs from the store and the data
// folder, storing a plan with the hashes of its inputs, and reading one back.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "planner/plan.h"
#include "planner/policy.h"
#include "store/database.h"
#include "store/plans.h"

namespace thinkplan::pipeline {

// The curve set lives beside the inputs that point at it.
struct LoadedInputs {
  CurveSet curves;
  planner::PlanInputs inputs;
};

// Fits and runs from the store and catalogues from `data_dir` for `workload`; the time taken is recorded as the
// "load" pass.
std::unique_ptr<LoadedInputs> LoadPlanInputs(store::Database& db, planner::Workload workload,
                                             const std::filesystem::path& data_dir);

// Stores the plan (workload JSON and its SHA-256, fits hash, plan JSON) and returns its id.
long StorePlan(store::Database& db, const planner::Workload& workload, const planner::PlanResult& result,
               std::optional<long> base_plan_id);

// The serving policy of a stored plan (DESIGN.md section 2), in each system's own request format or `target`'s.
nlohmann::json PolicyOfStoredPlan(const store::StoredPlan& stored, std::optional<planner::PolicyTarget> target);

// Opens an existing database; a missing file is an InputError that says how to make one.
store::Database OpenExistingDatabase(const std::filesystem::path& path);

}  // namespace thinkplan::pipeline
