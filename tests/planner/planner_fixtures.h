// What the planner tests build again and again: a stored run of task class "x", and plan inputs made from shipped
// data files ingested into a scratch database.
#pragma once

#include <initializer_list>
#include <string>

#include "core/run.h"
#include "planner/plan.h"
#include "store/database.h"
#include "tests/common/test_support.h"

namespace thinkplan::testing {

// A run of `system` on 100 problems of class "x" at `difficulty`, keyed "system:difficulty".
inline Run MakeRun(const std::string& system, const std::string& difficulty, Mode mode, double correct, double tokens) {
  Run r;
  r.run_key = system + ":" + difficulty;
  r.system = system;
  r.task_class = "x";
  r.difficulty = difficulty;
  r.mode = mode;
  r.n_problems = 100;
  r.n_correct = correct;
  r.mean_output_tokens = tokens;
  return r;
}

// Ingests `files` (paths under data/) into `db`, then returns the inputs for planning data/workloads/`workload`
// on the stored runs, the shipped catalogues and `curves` (which must outlive the inputs).
inline planner::PlanInputs ShippedPlanInputs(store::Database& db, std::initializer_list<const char*> files,
                                             const std::string& workload, const CurveSet& curves) {
  for (const char* file : files) db.Ingest(DataDir() / file);
  planner::PlanInputs in;
  in.workload = planner::LoadWorkload(DataDir() / "workloads" / workload);
  in.curves = &curves;
  in.runs = db.ListRuns();
  in.catalogues = planner::Catalogues::Load(DataDir());
  return in;
}

}  // namespace thinkplan::testing
