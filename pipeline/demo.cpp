#include "pipeline/demo.h"

#include <cctype>
#include <fstream>
#include <functional>
#include <ostream>

#include "core/errors.h"
#include "pipeline/plan_stage.h"
#include "pipeline/simulate_stage.h"
#include "pipeline/verify_stage.h"
#include "planner/workload.h"

namespace thinkplan::pipeline {
namespace {

// Runs each stage under its name as a timed pass (core/timing.h), announcing it on the log as it starts.
class Stages {
 public:
  Stages(std::ostream* log, std::vector<StageTiming>* timings) : log_(log), passes_(timings) {}
  void Run(const std::string& name, const std::function<void()>& body) {
    if (log_) *log_ << "== " << name << "\n";
    passes_.Run(name, body);
  }

 private:
  std::ostream* log_;
  TimedPasses passes_;
};

}  // namespace

std::vector<std::filesystem::path> ReadManifest(const std::filesystem::path& data_dir) {
  const auto manifest = data_dir / "demo_manifest.txt";
  std::ifstream in(manifest);
  if (!in) throw InputError("cannot read " + manifest.string() + " (is --data the project's data/ folder?)");
  std::vector<std::filesystem::path> files;
  std::string line;
  while (std::getline(in, line)) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (!line.empty()) files.push_back(data_dir / line);
  }
  return files;
}

IngestStageResult IngestStage(store::Database& db, const std::vector<std::filesystem::path>& files, std::ostream* log) {
  IngestStageResult result;
  for (const auto& file : files) {
    result.files.push_back(db.Ingest(file));
    if (log) *log << "   " << result.files.back().BriefReport() << "\n";
    for (const std::string& warning : result.files.back().warnings) {
      if (log) *log << "   warning: " << warning << "\n";
    }
  }
  return result;
}

DemoResult RunDemoPipeline(store::Database& db, const std::filesystem::path& data_dir, const DemoOptions& options) {
  const std::filesystem::path shipped = options.shipped_data.value_or(data_dir);
  DemoResult r;
  Stages stages(options.log, &r.stages);

  stages.Run("ingest shipped data", [&] { r.ingested = IngestStage(db, ReadManifest(shipped), options.log).files; });

  stages.Run("fit scaling curves", [&] {
    FitStageOptions fit;
    fit.families_csv = shipped / "models" / "families.csv";
    r.fits = FitStage(db, data_dir, fit, options.progress);
  });

  stages.Run("fit serving rates", [&] {
    r.cost_fits = CostFitStage(db, LoadCostFitCatalogues(db), CostFitStageOptions{}, options.progress);
  });

  stages.Run("plan the default workload and verify it in simulation", [&] {
    // The closed loop of `plan --verify`: a plan that breaks its promise is re-provisioned and re-planned, and the
    // simulation that verifies the final plan is the demo's simulation (seed 42, one day, stored).
    VerifyLoopSummary verified = PlanAndVerify(db, planner::LoadWorkload(shipped / "workloads" / "default.json"),
                                               PlanStageOptions{}, VerifyLoopOptions{}, options.log);
    if (!verified.final_plan.plan.feasible) {
      throw InternalError("the default workload has no feasible plan: " + verified.final_plan.plan.reason);
    }
    r.plan = std::move(verified.final_plan.plan);
    r.plan_id = *verified.final_plan.plan_id;
    r.simulation_id = verified.rounds.back().verification.simulation_id;
    r.verification = std::move(verified);
  });

  stages.Run("export the serving policy", [&] {
    ExportPolicyOptions policy;
    policy.path = options.out_dir / "policy.json";
    r.policy_path = *ExportPolicyStage(db, r.plan_id, policy).path;
  });

  stages.Run("write the report", [&] {
    r.report = ReportStage(db, r.plan_id, r.simulation_id, data_dir, ReportFilesIn(options.out_dir));
  });

  r.counts = db.Counts();
  return r;
}

}  // namespace thinkplan::pipeline
