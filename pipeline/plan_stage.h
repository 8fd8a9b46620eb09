// The plan stages: plan a workload on the stored fits and runs and store the plan (`thinkplan plan`, the demo),
// re-plan a stored plan under changed assumptions (`thinkplan whatif`), and export a stored plan's serving policy
// (`thinkplan export-policy`, the demo). Also what the commands share around them: reading the planner's inputs
// from the store and the data folder, storing a plan with the hashes of its inputs, and opening the store.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "planner/plan.h"
#include "planner/policy.h"
#include "planner/whatif.h"
#include "store/database.h"
#include "store/plans.h"

namespace thinkplan::pipeline {

// The curve set lives beside the inputs that point at it.
struct LoadedInputs {
  CurveSet curves;
  planner::PlanInputs inputs;
};

// Fits, runs and catalogues from the store for `workload`; the time taken is recorded as the
// "load" pass.
std::unique_ptr<LoadedInputs> LoadPlanInputs(store::Database& db, planner::Workload workload);

// Stores the plan (workload JSON and its SHA-256, fits hash, plan JSON) and returns its id. With `catalogues`,
// the plan body records the prices it used (`prices_used`, PricesUsed in pipeline/catalogues.h).
long StorePlan(store::Database& db, const planner::Workload& workload, const planner::PlanResult& result,
               std::optional<long> base_plan_id, const planner::Catalogues* catalogues = nullptr);

// The narrow forms stored beside a plan (store::PlanView): of the plan and workload texts as stored, only the
// members the policy export reads (planner::PolicyPlanMembers, PolicyWorkloadMembers) and the figures `thinkplan
// plans` lists (PlanSummaryMembers), each as compact JSON. StorePlan stores them with every plan.
store::PlanView PlanViewOf(const std::string& plan_json, const std::string& workload_json);

// The members of a stored plan that `thinkplan plans` shows, in the form of core/json_subset.h's `keep`.
const nlohmann::json& PlanSummaryMembers();

struct ExportPolicyOptions;
// The serving policy of a stored plan (docs/design.md section 2, docs/policy.md), each option in the request format
// of the API that serves it (the API catalogue in `db`). Throws InputError when an API refuses the plan's choice.
nlohmann::json PolicyOfStoredPlan(store::Database& db, const store::StoredPlan& stored,
                                  const ExportPolicyOptions& options);

// Opens an existing database; a missing file is an InputError that says how to make one.
store::Database OpenExistingDatabase(const std::filesystem::path& path);

struct PlanStageOptions {
  // Budget, objective, target accuracy, robustness. Default: the workload's own.
  planner::PlanOptions plan;
  // Store the plan when it is feasible. Default true.
  bool store = true;
};

struct PlanStageResult {
  planner::PlanResult plan;
  std::optional<long> plan_id;  // the stored plan; empty when infeasible or not stored
};

// Plans `workload` on the stored fits, runs and catalogues; stores a feasible plan.
// An infeasible plan is returned, not thrown: `plan.feasible` is false and `plan.reason` says why.
PlanStageResult PlanStage(store::Database& db, planner::Workload workload,
                          const PlanStageOptions& options = {});

struct WhatIfStageOptions {
  // KEY=VALUE changes (planner/whatif.h lists the keys); a key given twice is a UsageError. Default: none.
  std::vector<std::string> changes;
  // Store a feasible what-if plan, with the base plan as its base. Default true.
  bool store = true;
  // Router, training and volume analyses for both plans, for a caller that shows them in full (JSON). A stored
  // what-if plan always has them. Default false.
  bool analyses = false;
};

struct WhatIfStageResult {
  long base_plan_id = 0;
  std::vector<planner::WhatIfChange> changes;  // as parsed, in the order given
  planner::PlanResult base;     // the base plan re-planned on the current fits, so the difference is the changes'
  planner::PlanResult changed;  // the what-if plan
  planner::Workload changed_workload;  // the workload it was planned for (the base's with the changes applied)
  planner::PlanOptions changed_options;  // and its plan options (the budget after budget=...)
  std::optional<long> plan_id;  // the stored what-if plan; empty when infeasible or not stored
};

// Re-plans stored plan `base_plan_id` with its own options and again with `options.changes` applied; the what-if
// plan reuses the base's options for every class the changes leave alone.
WhatIfStageResult WhatIfStage(store::Database& db, long base_plan_id,
                              const WhatIfStageOptions& options);

// What export-policy writes: the policy itself, or a gateway config made from it.
enum class PolicyDocument { kPolicy, kLiteLlm, kSemanticRouter };

struct ExportPolicyOptions {
  // Require every option to be served by this API (an error naming the system when one is not). Default: each
  // system's own.
  std::optional<planner::PolicyTarget> target;
  // Default Responses, OpenAI's current endpoint for reasoning models.
  planner::OpenAiApi openai_api = planner::OpenAiApi::kResponses;
  // Default: the policy.
  PolicyDocument document = PolicyDocument::kPolicy;
  // Layout of the Semantic Router config. Default: the current release's (v0.3).
  planner::SemanticRouterLayout semantic_router_layout = planner::SemanticRouterLayout::kCanonical;
  // Also write the document there as indented JSON (a temporary file, then renamed). Default: not written.
  std::optional<std::filesystem::path> path;
  // The policy (document kPolicy) only: write it as indented JSON and a newline to this stream, one route at a
  // time, instead of returning it (ExportPolicyResult::document stays null; a refusal writes nothing). What
  // export-policy does: a 100,000-class policy is never held whole. Not with `path`. Default: returned.
  std::ostream* stream = nullptr;
};

struct ExportPolicyResult {
  nlohmann::json document;                    // the policy, or the gateway config made from it
  std::optional<std::filesystem::path> path;  // where it was written, if it was
};

// The serving policy of stored plan `plan_id`.
ExportPolicyResult ExportPolicyStage(store::Database& db, long plan_id, const ExportPolicyOptions& options = {});

}  // namespace thinkplan::pipeline
