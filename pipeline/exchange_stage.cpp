#include "pipeline/exchange_stage.h"

#include "core/training_economics.h"
#include "store/fits.h"

namespace thinkplan::pipeline {

std::vector<planner::UnusableSurface> UnusableTrainingFits(store::Database& db) {
  std::vector<planner::UnusableSurface> out;
  for (const store::StoredFit& fit : store::ListFits(db)) {
    if (fit.kind != "training" || fit.quality.usable()) continue;
    out.push_back({{fit.key.system, fit.key.task_class, fit.key.difficulty},
                   fit.axis == "samples" ? TestTimeAxis::kSamples : TestTimeAxis::kThinkingTokens,
                   fit.quality.status, fit.quality.reason, fit.quality.n_points});
  }
  return out;
}

planner::ExchangeSummary ExchangeStage(store::Database& db, const std::filesystem::path& data_dir,
                                       const planner::ExchangeOptions& options) {
  const CurveSet curves = store::LoadCurveSet(db);
  const auto laws = LoadChinchillaLaws(data_dir / "published" / "training_scaling.csv");
  return planner::ComputeExchange(curves.training(), UnusableTrainingFits(db), laws, options);
}

}  // namespace thinkplan::pipeline
