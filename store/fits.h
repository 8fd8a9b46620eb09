// Stored fits: every curve `thinkplan fit` produced, with its parameters, covariance, quality figures and the
// hash of the input rows it came from (unchanged input: no refit). LoadCurveSet turns them into the plain
// curve values the planner and simulator read.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/cost_model.h"
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
// Deletes the fit of (kind, key), if stored.
void DeleteFit(Database& db, const std::string& kind, const CurveKey& key);

// ---- serving-rate fits (kind "cost", written by `thinkplan fit --kind cost`) ----
// Key: system = the perf runs' hardware, task_class = framework, difficulty = "<devices>x <dtype>"; the default row
// has the key ("*", "*", ""). params = (t0_s, flops_per_s, bytes_per_s), 0 for a rate the runs do not identify;
// covariance 3 x 3 of the same. The summary object carries, besides the common fields, "group":
// {hardware, framework, devices, dtype, catalogue_hardware, flops_fraction, bandwidth_fraction,
// max_context_tokens, in_sample_median_ape} (fractions null where unknown) and "validation".
inline constexpr const char* kCostFitKind = "cost";
CurveKey CostFitKey(const std::string& hardware, const std::string& framework, long devices, const std::string& dtype);
// The usable serving-rate fits as the efficiency table the cost model reads (core/cost_model.h ChooseEfficiency),
// the default row "*" included when stored. Empty when no cost fit is stored: callers fall back to Efficiency's
// compiled-in defaults and say so.
std::vector<FittedEfficiency> LoadServingEfficiencies(Database& db);
// The efficiency row of one stored cost fit (whatever its status).
FittedEfficiency EfficiencyOfStoredFit(const StoredFit& fit);

// The usable ones among `fits` as curves, converted as LoadCurveSet converts them (no fits_hash).
CurveSet ToCurveSet(const std::vector<StoredFit>& fits);

}  // namespace thinkplan::store
