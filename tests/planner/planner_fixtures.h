// What the planner tests build again and again: a stored run of task class "x", a one-class workload on it, and plan
// inputs made from shipped data files ingested into a scratch database.
#pragma once

#include <initializer_list>
#include <string>

#include <nlohmann/json.hpp>

#include "core/run.h"
#include "planner/plan.h"
#include "planner/workload.h"
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

// One API system "mini" ($0.15 in, $0.60 out per million tokens, 100 tokens/s after 0.5 s) and one class "c" of
// 1,000 queries a day with 400 prompt and 300 answer tokens on stored task class "x", checked by `verifier_kind`.
inline planner::Workload MiniOneClassWorkload(const std::string& verifier_kind, double budget_usd_per_month) {
  nlohmann::json w = nlohmann::json::parse(R"({
    "name": "t", "objective": "max_accuracy",
    "systems": [{"name": "mini", "kind": "api", "price_in_usd_per_mtok": 0.15, "price_out_usd_per_mtok": 0.60,
                 "budget_knob": false, "ttft_s": 0.5, "output_tokens_per_s": 100}],
    "classes": [{"name": "c", "daily_volume": 1000, "value_usd": 1,
                 "prompt_tokens": 400, "answer_tokens": 300, "buckets": [{"task_class": "x"}]}]
  })");
  w["budget_usd_per_month"] = budget_usd_per_month;
  w["classes"][0]["verifier"] = {{"kind", verifier_kind}};
  return planner::ParseWorkload(w, "w.json");
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
