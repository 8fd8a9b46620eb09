// The serving-rate fit that `thinkplan fit --kind cost`, plain `thinkplan fit`, `thinkplan measure --db` and the
// demo run: t0, F_eff and BW_eff per (hardware, framework, devices, dtype) group of the stored perf runs
// (fitting::FitCostGroup), each group stored as a fit of kind "cost" with the hash of its input rows, so an
// unchanged group is not refitted and a changed one is. `cost`, `plan` and `simulate` read the stored fits through
// store::LoadServingEfficiencies.
#pragma once

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "core/model_shape.h"
#include "fitting/cost_fit.h"
#include "store/database.h"
#include "store/fits.h"

namespace thinkplan::pipeline {

// What the fit reads besides the runs: model shapes (to predict a run) and the accelerators' datasheet ceilings
// (memory for the capacity limit, bandwidth for the plausibility floor and the fractions of peak).
struct CostFitCatalogues {
  ModelCatalogue shapes;
  std::map<std::string, fitting::AcceleratorSpec> accelerators;
};
// From the database, like every other catalogue: the stored model shapes and the stored hardware rows, both the
// catalogue's parts and the cards perf benchmarks name (data/models/accelerators.csv, ingested by `demo`). A card
// whose row says `same_part_as` fits for that part; any other fits for the name it has.
CostFitCatalogues LoadCostFitCatalogues(const store::Database& db);

struct CostFitStageOptions {
  // Fit again even where a group's input rows are unchanged. Default false.
  bool refit = false;
  // Group size threshold, held-out folds, the default row's selection, Ceres settings (fitting/cost_fit.h).
  fitting::ValidationOptions validation;
  bool IsValid(std::string* error) const;
};

struct CostFitLine {
  store::StoredFit fit;
  bool refitted = false;
};

struct CostFitStageResult {
  std::vector<CostFitLine> lines;  // one per group, then the default row "*" when one qualifies
  std::size_t perf_runs = 0;       // stored perf runs read
  std::size_t usable = 0;          // lines whose fit is usable
  std::size_t refitted = 0;        // lines fitted by this call
  std::size_t removed = 0;         // stored cost fits whose group has no perf runs any more, deleted
  std::string BriefReport() const;
};

// Reads the stored perf runs, groups them, fits each group whose input hash changed (all with `refit`), derives
// the default row, deletes the cost fits of groups that no longer have runs, and stores everything in one
// transaction. `progress` (nullptr for none) gets a progress bar.
CostFitStageResult CostFitStage(store::Database& db, const CostFitCatalogues& catalogues,
                                const CostFitStageOptions& options = {}, std::ostream* progress = nullptr);

}  // namespace thinkplan::pipeline
