// The fit pipeline on fuzzed stored data: runs and per-problem results that ingestion would accept (every field
// within its documented range), grouped into jobs and fitted as `thinkplan fit` does, then stored and read back.
// Properties: fitting throws nothing but InputError; every fit has a defined status; parameters and covariance are
// finite (JSON has no NaN or infinity: a non-finite number would be stored as null and break every later read);
// a stored fit reads back with the same parameters.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "fitting/fit_jobs.h"
#include "fuzz/fuzz_common.h"
#include "store/database.h"
#include "store/fits.h"

namespace {

using thinkplan::fuzz::Violation;
namespace fitting = thinkplan::fitting;

const char* const kSystems[] = {"DSCoder-1.3b-Ins", "DSCoder-6.7b-Ins", "DSCoder-33b-Ins", "sys-a"};
const char* const kClasses[] = {"code", "math"};
const char* const kDifficulties[] = {"", "easy", "hard"};
const char* const kEfforts[] = {"", "low", "high"};

// A number in [lo, hi] that is sometimes exactly an end point, since edges are where fits break.
double Between(FuzzedDataProvider& in, double lo, double hi) {
  switch (in.ConsumeIntegralInRange<int>(0, 5)) {
    case 0: return lo;
    case 1: return hi;
    default: return in.ConsumeFloatingPointInRange<double>(lo, hi);
  }
}

thinkplan::Run MakeRun(FuzzedDataProvider& in, int index) {
  thinkplan::Run run;
  run.run_key = "r" + std::to_string(index);
  run.system = in.PickValueInArray(kSystems);
  run.task_class = in.PickValueInArray(kClasses);
  run.difficulty = in.PickValueInArray(kDifficulties);
  run.mode = in.ConsumeBool() ? thinkplan::Mode::kExtended : thinkplan::Mode::kFast;
  if (in.ConsumeBool()) {
    run.budget_tokens = std::exp2(in.ConsumeIntegralInRange<int>(0, 20)) * Between(in, 0.5, 1.5);
  } else {
    run.effort = in.PickValueInArray(kEfforts);
  }
  run.samples = in.ConsumeIntegralInRange<long>(1, 128);
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: run.aggregation = {thinkplan::AggregationKind::kPass1, 1}; break;
    case 1: run.aggregation = {thinkplan::AggregationKind::kConsensus, run.samples}; break;
    case 2: run.aggregation = {thinkplan::AggregationKind::kBestOf, run.samples}; break;
    default: run.aggregation = {thinkplan::AggregationKind::kPassAt, run.samples}; break;
  }
  run.n_problems = in.ConsumeIntegralInRange<long>(1, 100000);
  const double fraction = Between(in, 0, 1);
  run.n_correct = in.ConsumeBool() ? std::round(fraction * run.n_problems) : fraction * run.n_problems;
  if (in.ConsumeBool()) run.mean_output_tokens = Between(in, 0, 1e6);
  return run;
}

void CheckFinite(const std::vector<double>& values, const std::string& what, const fitting::FitOutcome& fit) {
  for (double v : values) {
    if (!std::isfinite(v)) {
      Violation(what + " of the " + std::string(fitting::ToString(fit.kind)) + " fit for " + fit.key.ToString() +
                " is not finite (status " + std::string(thinkplan::ToString(fit.quality.status)) + ")");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static thinkplan::store::Database db = thinkplan::store::Database::Open(":memory:");
  static const std::vector<fitting::FamilyMember> families =
      fitting::LoadFamilies(std::filesystem::path(THINKPLAN_SOURCE_DIR) / "data/models/families.csv");
  FuzzedDataProvider in(data, size);
  fitting::FitInputs inputs;
  inputs.families = families;
  const int n_runs = in.ConsumeIntegralInRange<int>(1, 24);
  for (int i = 0; i < n_runs; ++i) inputs.runs.push_back(MakeRun(in, i));
  while (in.remaining_bytes() > 0 && in.ConsumeBool()) {
    const thinkplan::Run& run = inputs.runs[in.ConsumeIntegralInRange<int>(0, n_runs - 1)];
    thinkplan::ProblemResult problem;
    problem.run_key = run.run_key;
    problem.problem_id = "p" + std::to_string(inputs.problems[run.run_key].size());
    problem.samples = in.ConsumeIntegralInRange<long>(1, 64);
    problem.correct = in.ConsumeBool() ? in.ConsumeIntegralInRange<long>(0, problem.samples)
                                       : Between(in, 0, static_cast<double>(problem.samples));
    if (in.ConsumeBool()) problem.output_tokens = Between(in, 0, 1e5);
    inputs.problems[run.run_key].push_back(problem);
  }

  const fitting::Options options;
  std::map<thinkplan::CurveKey, thinkplan::DifficultyDistribution> betas;
  thinkplan::fuzz::AcceptsOrRefuses([&] {
    for (const fitting::FitJob& job : fitting::PlanFitJobs(inputs, {})) {
      const auto beta = betas.find(job.key);
      const fitting::FitOutcome fit = fitting::RunFitJob(job, options, beta == betas.end() ? nullptr : &beta->second);
      const std::string status(thinkplan::ToString(fit.quality.status));
      if (status.empty() || (!fit.quality.usable() && fit.quality.reason.empty())) {
        Violation("fit without a defined status or a reason for " + fit.key.ToString());
      }
      CheckFinite(fit.params, "a parameter", fit);
      CheckFinite(fit.covariance, "a covariance entry", fit);
      if (fit.kind == fitting::FitKind::kParallel && fit.params.size() == 2) {
        betas[job.key] = thinkplan::BetaDifficulty{fit.params[0], fit.params[1], fit.covariance, fit.quality};
      }
      thinkplan::store::StoredFit stored;
      stored.kind = std::string(fitting::ToString(fit.kind));
      stored.key = fit.key;
      stored.form = fit.form;
      stored.axis = fit.axis;
      stored.params = fit.params;
      stored.covariance = fit.covariance;
      stored.quality = fit.quality;
      stored.summary_json = "{}";
      stored.input_hash = "fuzz";
      thinkplan::store::SaveFit(db, stored);
      const auto back = thinkplan::store::FindFit(db, stored.kind, stored.key);
      if (!back || back->params != stored.params) Violation("a stored fit did not read back unchanged");
    }
    thinkplan::store::LoadCurveSet(db);
  });
  return 0;
}
