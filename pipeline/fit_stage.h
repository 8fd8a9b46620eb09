// Pipeline stages that more than one command runs (`thinkplan demo` runs them all in a row).
#pragma once

#include <filesystem>
#include <iosfwd>
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

// Fits what the stored data support (filtered), refitting only changed inputs unless `refit`, and stores the new
// fits in one transaction. `families_csv` is data/models/families.csv or another family table.
std::vector<FitLine> FitStoredData(store::Database& db, const fitting::FitJobFilter& filter, bool refit,
                                   const std::filesystem::path& families_csv, bool show_progress, std::ostream& err);

}  // namespace thinkplan::pipeline
