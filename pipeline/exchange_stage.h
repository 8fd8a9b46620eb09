// The exchange stage of `thinkplan exchange` (docs/design.md 3.4): the stored training fits against the published
// scaling laws of the data folder, as exchange rates, Snell's FLOPs-matched table and the Sardana-Frankle optimum.
#pragma once

#include <filesystem>
#include <vector>

#include "planner/exchange.h"
#include "store/database.h"

namespace thinkplan::pipeline {

// The stored training fits that are not usable, with their status and reason, so that the tables can say why a
// surface has no rate.
std::vector<planner::UnusableSurface> UnusableTrainingFits(store::Database& db);

// Reads the stored training fits and <data_dir>/published/training_scaling.csv and computes the three tables.
// `options` are planner::ExchangeOptions' documented defaults unless given; they must be valid.
planner::ExchangeSummary ExchangeStage(store::Database& db, const std::filesystem::path& data_dir,
                                       const planner::ExchangeOptions& options = {});

}  // namespace thinkplan::pipeline
