// Stored fits: every curve `thinkplan fit` produced, with its parameters, covariance, quality figures and the
// hash of the input rows it came from (unchanged input: no refit). LoadCurveSet turns them into the plain
// curve values the planner and simulator read.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/curve_set.h"
#include "store/database.h"

namespace thinkplan::store {

struct StoredFit {
  long id = 0;
  std::string kind;        // sequential | tokens | parallel | rho | coverage | training
  CurveKey key;            // training fits: system = model family
  std::string form;        // sigmoid | log-linear | lognormal | beta | trinomial | exp-power | logit-linear
  std::string axis;        // sequential: tokens-used | budget; training: thinking-tokens | samples; else empty
  std::vector<double> params;
  std::vector<double> covariance;
  FitQuality quality;
  std::string summary_json;  // the fit's full summary (estimates with intervals, derived figures, notes)
  std::string input_hash;    // SHA-256 of the input rows, in a canonical order
  std::string created_at;
};

// Inserts or replaces the fit with the same (kind, key).
void SaveFit(Database& db, const StoredFit& fit);
std::optional<StoredFit> FindFit(Database& db, const std::string& kind, const CurveKey& key);
std::vector<StoredFit> ListFits(Database& db);
// Usable fits as curves; `fits_hash` is the hash over all stored fits' input hashes and parameters.
CurveSet LoadCurveSet(Database& db);
// The stored fits of one key, every kind, usable or not (what `thinkplan predict` reads: four rows, not all).
std::vector<StoredFit> ListFits(Database& db, const CurveKey& key);
// The usable ones among `fits` as curves, converted as LoadCurveSet converts them (no fits_hash).
CurveSet ToCurveSet(const std::vector<StoredFit>& fits);

}  // namespace thinkplan::store
