// `thinkplan demo` as a whole: the shipped data through every stage into one database, each stage named and
// timed. RunDemoPipeline reads as the list of stages; the stages themselves live in the other pipeline/ files.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "core/timing.h"
#include "pipeline/cost_fit_stage.h"
#include "pipeline/fit_stage.h"
#include "pipeline/report_stage.h"
#include "pipeline/verify_stage.h"
#include "planner/plan.h"
#include "store/database.h"

namespace thinkplan::pipeline {

// The shipped files in ingest order (catalogues before the runs that name them, runs before their problems), as
// listed in <shipped data>/demo_manifest.txt ('#' starts a comment). Throws InputError when it cannot be read.
std::vector<std::filesystem::path> ReadManifest(const std::filesystem::path& shipped_data);

struct IngestStageResult {
  std::vector<store::IngestSummary> files;  // one per file, in order
};

// Ingests `files` in order; `log` (nullptr for none) gets each file's one-line summary as it is stored.
IngestStageResult IngestStage(store::Database& db, const std::vector<std::filesystem::path>& files,
                              std::ostream* log = nullptr);

struct DemoOptions {
  // The folder whose demo_manifest.txt, models/families.csv and workloads/default.json the demo reads (`demo
  // --data`). Default: the data folder. The catalogues and published laws come from the data folder either way.
  std::optional<std::filesystem::path> shipped_data;
  // Where policy.json, report.html and report.md (with report_specs/) are written. Default "out".
  std::filesystem::path out_dir = "out";
  // "== <stage>" before each stage and a line per ingested file. Default nullptr: none.
  std::ostream* log = nullptr;
  // Progress bars of the fit and simulate stages. Default nullptr: none.
  std::ostream* progress = nullptr;
};

// One named stage and its wall time.
using StageTiming = TimedPass;

struct DemoResult {
  std::vector<store::IngestSummary> ingested;
  FitStageResult fits;
  CostFitStageResult cost_fits;
  planner::PlanResult plan;
  long plan_id = 0;
  std::filesystem::path policy_path;
  long simulation_id = 0;          // the simulation that verified the plan
  VerifyLoopSummary verification;  // the rounds of `plan --verify` the demo ran
  ReportStageResult report;        // report.html, then report.md
  store::StoreCounts counts;       // rows in the store afterwards
  std::vector<StageTiming> stages;  // every stage that ran, in order
};

// ingest the shipped data -> fit scaling curves -> fit serving rates -> plan the default workload and verify it in
// simulation (a day, seed 42; re-provisioned and re-planned until it holds; all stored) -> export its serving
// policy -> write the report. Throws what the failing stage
// throws; an infeasible default plan is an InternalError. Running it again on the same database is safe:
// identical rows are no-ops.
DemoResult RunDemoPipeline(store::Database& db, const std::filesystem::path& data_dir, const DemoOptions& options = {});

}  // namespace thinkplan::pipeline
