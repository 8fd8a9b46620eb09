#include "pipeline/plan_stage.h"

#include <set>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/errors.h"
#include "core/json_subset.h"
#include "core/timing.h"
#include "pipeline/catalogues.h"
#include "store/fits.h"

namespace thinkplan::pipeline {
std::unique_ptr<LoadedInputs> LoadPlanInputs(store::Database& db, planner::Workload workload) {
  const Stopwatch stopwatch;
  auto loaded = std::make_unique<LoadedInputs>();
  loaded->curves = store::LoadCurveSet(db);
  loaded->inputs.workload = std::move(workload);
  loaded->inputs.curves = &loaded->curves;
  loaded->inputs.runs = db.ListRuns();
  loaded->inputs.catalogues = LoadCatalogues(db);
  loaded->inputs.load_seconds = stopwatch.Seconds();
  return loaded;
}

long StorePlan(store::Database& db, const planner::Workload& workload, const planner::PlanResult& result,
               std::optional<long> base_plan_id, const planner::Catalogues* catalogues) {
  store::StoredPlan plan;
  plan.workload_name = workload.name;
  plan.workload_json = planner::ToJson(workload).dump();
  plan.workload_hash = store::Sha256Hex(plan.workload_json);
  plan.fits_hash = result.fits_hash;
  plan.base_plan_id = base_plan_id;
  nlohmann::json body = result.ToJson();
  if (catalogues != nullptr) body["prices_used"] = PricesUsed(workload, *catalogues);
  plan.plan_json = body.dump();
  plan.view = PlanViewOf(plan.plan_json, plan.workload_json);
  return store::SavePlan(db, std::move(plan));
}

const nlohmann::json& PlanSummaryMembers() {
  static const nlohmann::json members = {{"objective", true},
                                         {"accuracy", true},
                                         {"accuracy_interval", true},
                                         {"training_usd_per_month", true},
                                         {"inference_usd_per_month", true}};
  return members;
}

store::PlanView PlanViewOf(const std::string& plan_json, const std::string& workload_json) {
  // Made from the texts as stored, by the parser the export falls back on, so that a plan read through its view
  // and one read whole give the policy the same values (tests/store/test_plan_views.cpp).
  store::PlanView view;
  planner::PolicyPlanForm form =
      planner::SplitAllocation(ParseJsonSubset(plan_json, planner::PolicyPlanMembers(), "plan (to store)"));
  view.policy_plan_json = std::move(form.head);
  view.policy_allocation_lines = std::move(form.allocation_lines);
  view.policy_workload_json =
      ParseJsonSubset(workload_json, planner::PolicyWorkloadMembers(), "workload (to store)").dump();
  view.summary_json = ParseJsonSubset(plan_json, PlanSummaryMembers(), "plan (to store)").dump();
  return view;
}

store::Database OpenExistingDatabase(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) {
    throw InputError("database " + path.string() + " does not exist (run `thinkplan demo` or `thinkplan ingest` first)");
  }
  return store::Database::Open(path);
}

namespace {

// How the workload's classes reach the policy: parsed (BuildPolicy), or as the workload's text (WritePolicy).
enum class ClassesAs { kJson, kText };

// What BuildPolicy needs of a stored plan. Only the members the policy reads are parsed: a large plan's JSON is
// mostly what it does not (core/json_subset.h).
planner::PolicyInputs PolicyInputsOf(store::Database& db, store::StoredPlan stored, const ExportPolicyOptions& options,
                                     ClassesAs classes = ClassesAs::kJson) {
  planner::PolicyInputs in;
  in.plan_id = stored.id;
  const std::string what = fmt::format("plan {}", stored.id);
  // The narrow form stored beside the plan when there is one (schema version 11 on); else the members parsed out
  // of the whole texts, as for plans stored before it.
  const bool viewed = stored.view.has_value();
  in.plan = ParseJsonSubset(viewed ? stored.view->policy_plan_json : stored.plan_json, planner::PolicyPlanMembers(),
                            what + (viewed ? " (stored policy view)" : " (stored plan)"));
  std::string& workload_text = viewed ? stored.view->policy_workload_json : stored.workload_json;
  static const nlohmann::json systems_only = {{"systems", true}};
  in.workload = ParseJsonSubset(workload_text,
                                classes == ClassesAs::kText ? systems_only : planner::PolicyWorkloadMembers(),
                                what + (viewed ? " (stored policy view of its workload)" : " (stored workload)"));
  if (classes == ClassesAs::kText) in.workload_text = std::move(workload_text);
  if (viewed) in.allocation_lines = std::move(stored.view->policy_allocation_lines);
  in.workload_hash = stored.workload_hash;
  in.fits_hash = stored.fits_hash;
  in.created_at = stored.created_at;
  in.target = options.target;
  in.openai_api = options.openai_api;
  in.apis = db.ListSystemApis();
  return in;
}

}  // namespace

nlohmann::json PolicyOfStoredPlan(store::Database& db, const store::StoredPlan& stored,
                                  const ExportPolicyOptions& options) {
  return planner::BuildPolicy(PolicyInputsOf(db, stored, options));
}

PlanStageResult PlanStage(store::Database& db, planner::Workload workload,
                          const PlanStageOptions& options) {
  const auto loaded = LoadPlanInputs(db, std::move(workload));
  PlanStageResult result;
  result.plan = planner::MakePlan(loaded->inputs, options.plan);
  if (result.plan.feasible && options.store) {
    result.plan_id = StorePlan(db, loaded->inputs.workload, result.plan, std::nullopt, &loaded->inputs.catalogues);
  }
  return result;
}

WhatIfStageResult WhatIfStage(store::Database& db, long base_plan_id,
                              const WhatIfStageOptions& options) {
  const store::StoredPlan stored = store::LoadPlan(db, base_plan_id);
  planner::Workload workload = planner::ParseWorkload(nlohmann::json::parse(stored.workload_json),
                                                      fmt::format("plan {} workload", stored.id));
  const nlohmann::json base_json = nlohmann::json::parse(stored.plan_json);
  planner::PlanOptions base_options;
  if (base_json["budget_usd_per_month"].is_number()) base_options.budget_usd_per_month = base_json["budget_usd_per_month"].get<double>();
  base_options.objective = planner::ParseObjective(base_json.value("objective", "max_accuracy"));
  if (base_json["target_accuracy"].is_number()) base_options.target_accuracy = base_json["target_accuracy"].get<double>();
  base_options.robust = base_json.value("robust", false);

  WhatIfStageResult result;
  result.base_plan_id = stored.id;
  auto loaded = LoadPlanInputs(db, workload);
  std::vector<planner::WhatIfChange>& changes = result.changes;
  std::set<std::string> keys;
  for (const std::string& text : options.changes) {
    changes.push_back(planner::ParseWhatIf(text, workload, loaded->inputs.catalogues));
    if (!keys.insert(changes.back().key).second) throw UsageError("--set '" + text + "': " + changes.back().key + " is set twice");
  }
  planner::Workload changed_workload = loaded->inputs.workload;
  planner::PlanOptions changed_options = base_options;
  planner::ApplyWhatIf(changes, loaded->inputs.catalogues, &changed_workload, &changed_options.budget_usd_per_month);

  // The base is re-planned on the current fits so that the difference shows the changes alone. The what-if plan
  // reuses the base's options for every class the changes leave alone (budget and volume changes touch none;
  // an SLO change regenerates its class, whose self-hosted batches keep that SLO).
  // The router, training and volume analyses are made only for a plan that is shown in full or stored.
  const auto skip_analyses = [](planner::PlanOptions& o) {
    o.analyse_routing = false;
    o.analyse_training = false;
    o.volume_sweep.clear();
  };
  if (!options.analyses) {
    skip_analyses(base_options);
    if (!options.store) skip_analyses(changed_options);
  }
  result.base = planner::MakePlan(loaded->inputs, base_options);
  planner::PlanInputs changed_inputs = std::move(loaded->inputs);
  changed_inputs.workload = std::move(changed_workload);
  const std::vector<bool> regenerate = planner::OptionsChanged(changes, changed_inputs.workload);
  changed_inputs.reuse.assign(result.base.candidates.size(), nullptr);
  for (std::size_t ci = 0; ci < result.base.candidates.size(); ++ci) {
    if (!regenerate[ci]) changed_inputs.reuse[ci] = result.base.candidates[ci];
  }
  result.changed = planner::MakePlan(changed_inputs, changed_options);
  result.changed_workload = changed_inputs.workload;
  result.changed_options = changed_options;
  if (result.changed.feasible && options.store) {
    result.plan_id = StorePlan(db, changed_inputs.workload, result.changed, stored.id, &changed_inputs.catalogues);
  }
  return result;
}

ExportPolicyResult ExportPolicyStage(store::Database& db, long plan_id, const ExportPolicyOptions& options) {
  if (options.stream && options.path) throw InternalError("ExportPolicyOptions: stream and path together");
  ExportPolicyResult result;
  store::StoredPlan stored = store::LoadPlan(db, plan_id, store::PlanBodies::kUnlessViewed);
  if (options.stream && options.document == PolicyDocument::kPolicy) {
    planner::WritePolicy(PolicyInputsOf(db, std::move(stored), options, ClassesAs::kText), *options.stream, 2);
    *options.stream << '\n';
  } else {
    nlohmann::json policy = PolicyOfStoredPlan(db, stored, options);
    // The policy is handed on, not copied: a 100,000-class policy is millions of JSON values.
    switch (options.document) {
      case PolicyDocument::kPolicy: result.document = std::move(policy); break;
      case PolicyDocument::kLiteLlm: result.document = planner::LiteLlmConfig(policy); break;
      case PolicyDocument::kSemanticRouter:
        result.document = planner::SemanticRouterConfig(policy, options.semantic_router_layout);
        break;
    }
  }
  if (options.path) {
    WriteFileAtomically(*options.path, result.document.dump(2) + "\n");
    result.path = options.path;
  }
  return result;
}

}  // namespace thinkplan::pipeline
