// Stored sweeps (`thinkplan sweep`): a what-if grid crossed with posterior draws of one plan, planned and simulated.
// The body is the sweep's JSON document (pipeline/sweep_stage.h); `report` reads the sweeps of a plan back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/database.h"

namespace thinkplan::store {

struct StoredSweep {
  long id = 0;               // assigned by SaveSweep
  long plan_id = 0;
  std::string created_at;    // UTC, ISO 8601, assigned by SaveSweep
  uint64_t seed = 0;
  long draws = 0;            // posterior draws per scenario
  long scenarios = 0;        // grid points
  std::string body;          // JSON
};

// Stores the sweep in one transaction and returns its id; an InputError when the plan does not exist.
long SaveSweep(Database& db, const StoredSweep& sweep);
// Throws InputError "no sweep with id N ..." when absent.
StoredSweep LoadSweep(Database& db, long id);
// Newest first; only those of `plan_id` when given.
std::vector<StoredSweep> ListSweeps(Database& db, std::optional<long> plan_id = std::nullopt);

}  // namespace thinkplan::store
