#include "pipeline/plan_stage.h"

#include <chrono>

#include "core/errors.h"
#include "store/fits.h"

namespace thinkplan::pipeline {

std::unique_ptr<LoadedInputs> LoadPlanInputs(store::Database& db, planner::Workload workload,
                                             const std::filesystem::path& data_dir) {
  const auto start = std::chrono::steady_clock::now();
  auto loaded = std::make_unique<LoadedInputs>();
  loaded->curves = store::LoadCurveSet(db);
  loaded->inputs.workload = std::move(workload);
  loaded->inputs.curves = &loaded->curves;
  loaded->inputs.runs = db.ListRuns();
  loaded->inputs.catalogues = planner::Catalogues::Load(data_dir);
  loaded->inputs.load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return loaded;
}

long StorePlan(store::Database& db, const planner::Workload& workload, const planner::PlanResult& result,
               std::optional<long> base_plan_id) {
  store::StoredPlan plan;
  plan.workload_name = workload.name;
  plan.workload_json = planner::ToJson(workload).dump();
  plan.workload_hash = store::Sha256Hex(plan.workload_json);
  plan.fits_hash = result.fits_hash;
  plan.base_plan_id = base_plan_id;
  plan.plan_json = result.ToJson().dump();
  return store::SavePlan(db, std::move(plan));
}

store::Database OpenExistingDatabase(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) {
    throw InputError("database " + path.string() + " does not exist (run `thinkplan demo` or `thinkplan ingest` first)");
  }
  return store::Database::Open(path);
}

nlohmann::json PolicyOfStoredPlan(const store::StoredPlan& stored, std::optional<planner::PolicyTarget> target) {
  planner::PolicyInputs in;
  in.plan_id = stored.id;
  in.plan = nlohmann::json::parse(stored.plan_json);
  in.workload = nlohmann::json::parse(stored.workload_json);
  in.workload_hash = stored.workload_hash;
  in.fits_hash = stored.fits_hash;
  in.created_at = stored.created_at;
  in.target = target;
  return planner::BuildPolicy(in);
}

}  // namespace thinkplan::pipeline
