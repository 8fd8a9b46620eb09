// The catalogues every stage reads, from the database (issue 14: the database is the one source of truth; data/
// is only what `demo` ingests). Systems with their prices in force, hardware, model shapes and the API catalogue
// come from the store, and so do the serving efficiencies (the stored cost fits, store::LoadServingEfficiencies).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/run.h"
#include "planner/options.h"
#include "planner/workload.h"
#include "store/database.h"

namespace thinkplan::pipeline {

struct CatalogueOptions {
  // The date whose prices are in force (YYYY-MM-DD): of each system's dated price rows, the latest that took
  // effect on or before it. Default empty: today (UTC). A system without dated rows keeps its systems-row price.
  std::string prices_as_of;
  bool IsValid(std::string* error) const;
};

// Systems (with the price rows in force applied), hardware, model shapes, API rows and the stored serving-rate
// fits from `db`. Throws InputError for a malformed option.
planner::Catalogues LoadCatalogues(store::Database& db, const CatalogueOptions& options = {});

// Sets each system's prices to its row in force on `as_of` (YYYY-MM-DD) among `prices`; systems without one keep
// their own prices and an empty price_effective_from.
void ApplyPricesInForce(const std::vector<SystemPrice>& prices, const std::string& as_of,
                        std::vector<SystemInfo>* systems);

// Which prices a plan used, for its stored body: per API system of the workload, the workload's own prices or
// the catalogue row's, with the date its price took effect and the price row's citation.
nlohmann::json PricesUsed(const planner::Workload& workload, const planner::Catalogues& catalogues);

// Today's date in UTC, YYYY-MM-DD.
std::string TodayUtc();

}  // namespace thinkplan::pipeline
