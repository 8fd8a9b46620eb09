// The fit stage that `thinkplan fit` and `thinkplan demo` run: fit every curve the stored data support, refitting
// only what changed, and store the new fits in one transaction.
#pragma once

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <vector>

#include "fitting/fit_jobs.h"
#include "store/database.h"
#include "store/fits.h"

namespace thinkplan::pipeline {

// One fit as stored, and whether this call fitted it (false: its input rows were unchanged).
struct FitLine {
  store::StoredFit fit;
  bool refitted = false;
};

struct FitStageOptions {
  // Which curves. Default: every curve the stored data support.
  fitting::FitJobFilter filter;
  // Fit again even where the input rows are unchanged. Default false.
  bool refit = false;
  // The model-family table of the training fits. Default: <data folder>/models/families.csv.
  std::optional<std::filesystem::path> families_csv;
};

struct FitStageResult {
  std::vector<FitLine> lines;  // one per fit job, in job order
  std::size_t usable = 0;      // lines whose fit is usable
  std::size_t refitted = 0;    // lines fitted by this call
  std::vector<fitting::SkippedSlice> skipped;  // curves the filter asked for that the data cannot support, and why
};

// Loads the stored runs, plans the fit jobs, fits those whose input hash changed (all of them with `refit`) and
// stores the new fits in one transaction: an interrupted run leaves the previous fits as they were. `progress`
// (nullptr for none) gets a progress bar.
FitStageResult FitStage(store::Database& db, const std::filesystem::path& data_dir, const FitStageOptions& options = {},
                        std::ostream* progress = nullptr);

}  // namespace thinkplan::pipeline
