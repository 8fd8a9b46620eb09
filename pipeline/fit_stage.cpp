#include "pipeline/fit_stage.h"

#include <SQLiteCpp/Transaction.h>

#include <map>
#include <optional>
#include <ostream>

#include <nlohmann/json.hpp>

#include "pipeline/progress.h"
#include "store/plans.h"

namespace thinkplan::pipeline {
namespace {

nlohmann::json EstimatesJson(const std::vector<fitting::Estimate>& estimates) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : estimates) {
    out.push_back({{"name", e.name}, {"value", e.value}, {"lower", e.interval.lower}, {"upper", e.interval.upper}});
  }
  return out;
}

nlohmann::json SummaryJson(const fitting::Summary& s) {
  return {{"kind", s.kind},
          {"form", s.form},
          {"label", s.label},
          {"status", ToString(s.quality.status)},
          {"reason", s.quality.reason},
          {"n", s.quality.n_points},
          {"log_likelihood", s.quality.log_likelihood},
          {"deviance", s.quality.deviance},
          {"aic", s.quality.aic},
          {"iterations", s.quality.iterations},
          {"confidence_level", s.confidence_level},
          {"parameters", EstimatesJson(s.parameters)},
          {"derived", EstimatesJson(s.derived)},
          {"notes", s.notes}};
}

store::StoredFit ToStored(const fitting::FitOutcome& outcome, const std::string& input_hash) {
  store::StoredFit fit;
  fit.kind = std::string(fitting::ToString(outcome.kind));
  fit.key = outcome.key;
  fit.form = outcome.form;
  fit.axis = outcome.axis;
  fit.params = outcome.params;
  fit.covariance = outcome.covariance;
  fit.quality = outcome.quality;
  fit.summary_json = SummaryJson(outcome.summary).dump();
  fit.input_hash = input_hash;
  return fit;
}

}  // namespace

FitStageResult FitStage(store::Database& db, const std::filesystem::path& data_dir, const FitStageOptions& options,
                        std::ostream* progress) {
  fitting::FitInputs inputs;
  inputs.runs = db.ListRuns();
  for (const Run& run : inputs.runs) inputs.problems[run.run_key] = db.ListProblemResults(run.run_key);
  inputs.families = fitting::LoadFamilies(options.families_csv.value_or(data_dir / "models" / "families.csv"));
  for (const SystemInfo& system : db.ListSystems()) inputs.compute_knobs[system.name] = system.compute_knob;
  FitStageResult result;
  const std::vector<fitting::FitJob> jobs = fitting::PlanFitJobs(inputs, options.filter, &result.skipped);

  const fitting::Options fit_options;
  std::vector<FitLine>& lines = result.lines;
  // The chosen difficulty family per key (the Beta of the parallel fit unless the difficulty-family fit chose the
  // logit-normal, as ChosenDifficulty reads them), read by the rho jobs of the same key.
  std::map<CurveKey, DifficultyDistribution> difficulties;
  std::optional<Progress> bar;
  if (progress) bar.emplace(*progress, "fitting", jobs.size(), true);
  for (size_t i = 0; i < jobs.size(); ++i) {
    const fitting::FitJob& job = jobs[i];
    const std::string hash = store::Sha256Hex(job.Fingerprint(fit_options));
    const std::string kind(fitting::ToString(job.kind));
    std::optional<store::StoredFit> stored = store::FindFit(db, kind, job.key);
    if (!stored || stored->input_hash != hash || options.refit) {
      auto difficulty = difficulties.find(job.key);
      const fitting::FitOutcome outcome =
          fitting::RunFitJob(job, fit_options, difficulty == difficulties.end() ? nullptr : &difficulty->second);
      stored = ToStored(outcome, hash);
      lines.push_back({*stored, true});
    } else {
      lines.push_back({*stored, false});
    }
    if (job.kind == fitting::FitKind::kParallel && stored->params.size() == 2) {
      difficulties[job.key] = BetaDifficulty{stored->params[0], stored->params[1], stored->covariance, stored->quality};
    }
    if (job.kind == fitting::FitKind::kDifficultyFamily && stored->form == ToString(DifficultyFamily::kLogitNormal) &&
        stored->params.size() == 2) {
      difficulties[job.key] =
          LogitNormalDifficulty{stored->params[0], stored->params[1], stored->covariance, stored->quality};
    }
    if (bar) bar->Update(i + 1);
  }
  if (bar) bar->Finish();

  // Every new fit in one transaction: an interrupted run leaves the previous fits as they were.
  SQLite::Transaction transaction(db.connection(), SQLite::TransactionBehavior::IMMEDIATE);
  for (const FitLine& line : lines) {
    if (line.refitted) store::SaveFit(db, line.fit);
  }
  transaction.commit();
  for (const FitLine& line : lines) result.refitted += line.refitted, result.usable += line.fit.quality.usable();
  return result;
}

}  // namespace thinkplan::pipeline
