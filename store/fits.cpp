#include "store/fits.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <chrono>
#include <cmath>
#include <ctime>

#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "store/plans.h"

namespace thinkplan::store {
namespace {


FitStatus ParseFitStatus(const std::string& text) {
  for (FitStatus s : {FitStatus::kOk, FitStatus::kFallback, FitStatus::kInsufficientData, FitStatus::kNotConverged,
                      FitStatus::kUnidentified}) {
    if (ToString(s) == text) return s;
  }
  throw InternalError("fits table holds an unknown status '" + text + "'");
}

std::vector<double> ParseNumbers(const std::string& text) {
  std::vector<double> out;
  for (const auto& value : nlohmann::json::parse(text)) out.push_back(value.get<double>());
  return out;
}

constexpr const char* kColumns =
    "id, kind, system, task_class, difficulty, form, axis, params, covariance, status, reason, n_points, "
    "log_likelihood, deviance, aic, iterations, summary, input_hash, created_at";

StoredFit FitFromRow(SQLite::Statement& row) {
  StoredFit fit;
  fit.id = row.getColumn(0).getInt64();
  fit.kind = row.getColumn(1).getString();
  fit.key = {row.getColumn(2).getString(), row.getColumn(3).getString(), row.getColumn(4).getString()};
  fit.form = row.getColumn(5).getString();
  fit.axis = row.getColumn(6).getString();
  fit.params = ParseNumbers(row.getColumn(7).getString());
  fit.covariance = ParseNumbers(row.getColumn(8).getString());
  fit.quality.status = ParseFitStatus(row.getColumn(9).getString());
  fit.quality.reason = row.getColumn(10).getString();
  fit.quality.n_points = static_cast<long>(row.getColumn(11).getInt64());
  fit.quality.log_likelihood = row.getColumn(12).getDouble();
  fit.quality.deviance = row.getColumn(13).getDouble();
  fit.quality.aic = row.getColumn(14).getDouble();
  fit.quality.iterations = row.getColumn(15).getInt();
  fit.summary_json = row.getColumn(16).getString();
  fit.input_hash = row.getColumn(17).getString();
  fit.created_at = row.getColumn(18).getString();
  return fit;
}

double At(const StoredFit& fit, std::size_t i) {
  if (i >= fit.params.size()) {
    throw InternalError("stored " + fit.kind + " fit for " + fit.key.ToString() + " has too few parameters");
  }
  return fit.params[i];
}

// The interval of a named parameter from the stored summary, or a zero-width one at `value` if absent.
Interval SummaryInterval(const StoredFit& fit, const std::string& name, double value) {
  const auto summary = nlohmann::json::parse(fit.summary_json, nullptr, false);
  if (summary.is_object() && summary.contains("parameters")) {
    for (const auto& p : summary["parameters"]) {
      if (p.value("name", "") == name && p.contains("lower") && p.contains("upper")) {
        return {p["lower"].get<double>(), p["upper"].get<double>()};
      }
    }
  }
  return {value, value};
}

void AddToCurveSet(const StoredFit& fit, CurveSet& set) {
  if (fit.kind == kCostFitKind) return;  // serving rates are no curve: LoadServingEfficiencies reads them
  if (fit.kind == "training") {
    TrainingSurface surface;
    surface.t0 = At(fit, 0), surface.t1 = At(fit, 1), surface.t2 = At(fit, 2);
    surface.axis = fit.axis == "samples" ? TestTimeAxis::kSamples : TestTimeAxis::kThinkingTokens;
    surface.covariance = fit.covariance;
    surface.quality = fit.quality;
    set.PutTraining({fit.key.system, fit.key.task_class, fit.key.difficulty}, surface);
    return;
  }
  FittedCurves& curves = set.At(fit.key);
  if (fit.kind == "sequential") {
    SequentialCurve curve = fit.form == "sigmoid" ? SequentialCurve::Sigmoid(At(fit, 0), At(fit, 1), At(fit, 2), std::exp(At(fit, 3)))
                                                  : SequentialCurve::LogLinear(At(fit, 0), At(fit, 1));
    curve.axis = fit.axis == "budget" ? TokenAxis::kBudget : TokenAxis::kTokensUsed;
    curve.covariance = fit.covariance;
    curve.quality = fit.quality;
    curves.sequential = curve;
  } else if (fit.kind == "tokens") {
    curves.tokens = TokenModel{At(fit, 0), At(fit, 1), fit.covariance, fit.quality};
  } else if (fit.kind == "parallel") {
    curves.difficulty = BetaDifficulty{At(fit, 0), At(fit, 1), fit.covariance, fit.quality};
  } else if (fit.kind == "difficulty-family") {
    // The row's form is the family held-out likelihood chose; its parameters are the logit-normal's.
    if (fit.form == "logit-normal") {
      curves.logit_normal = LogitNormalDifficulty{At(fit, 0), At(fit, 1), fit.covariance, fit.quality};
    }
  } else if (fit.kind == "rho") {
    curves.rho = RhoEstimate{At(fit, 0), SummaryInterval(fit, "rho", At(fit, 0)), fit.quality};
  } else if (fit.kind == "budget-target") {
    curves.budget_target = BudgetTarget{At(fit, 0), At(fit, 1), At(fit, 2), fit.covariance, fit.quality};
  } else if (fit.kind == "coverage") {
    curves.coverage = CoverageLaw{At(fit, 0), At(fit, 1), fit.covariance, fit.quality};
  }
}

}  // namespace

void SaveFit(Database& db, const StoredFit& fit) {
  SQLite::Statement upsert(
      db.connection(),
      "INSERT INTO fits (kind, system, task_class, difficulty, form, axis, params, covariance, status, reason, "
      "n_points, log_likelihood, deviance, aic, iterations, summary, input_hash, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (kind, system, task_class, difficulty) DO UPDATE SET form = excluded.form, axis = excluded.axis, "
      "params = excluded.params, covariance = excluded.covariance, status = excluded.status, "
      "reason = excluded.reason, n_points = excluded.n_points, log_likelihood = excluded.log_likelihood, "
      "deviance = excluded.deviance, aic = excluded.aic, iterations = excluded.iterations, "
      "summary = excluded.summary, input_hash = excluded.input_hash, created_at = excluded.created_at");
  int i = 0;
  upsert.bind(++i, fit.kind);
  upsert.bind(++i, fit.key.system);
  upsert.bind(++i, fit.key.task_class);
  upsert.bind(++i, fit.key.difficulty);
  upsert.bind(++i, fit.form);
  upsert.bind(++i, fit.axis);
  upsert.bind(++i, nlohmann::json(fit.params).dump());
  upsert.bind(++i, nlohmann::json(fit.covariance).dump());
  upsert.bind(++i, std::string(ToString(fit.quality.status)));
  upsert.bind(++i, fit.quality.reason);
  upsert.bind(++i, static_cast<int64_t>(fit.quality.n_points));
  upsert.bind(++i, fit.quality.log_likelihood);
  upsert.bind(++i, fit.quality.deviance);
  upsert.bind(++i, fit.quality.aic);
  upsert.bind(++i, fit.quality.iterations);
  upsert.bind(++i, fit.summary_json);
  upsert.bind(++i, fit.input_hash);
  upsert.bind(++i, fit.created_at.empty() ? UtcNowIso8601() : fit.created_at);
  upsert.exec();
}

std::optional<StoredFit> FindFit(Database& db, const std::string& kind, const CurveKey& key) {
  SQLite::Statement query(db.connection(), std::string("SELECT ") + kColumns +
                                               " FROM fits WHERE kind = ? AND system = ? AND task_class = ? AND "
                                               "difficulty = ?");
  query.bind(1, kind);
  query.bind(2, key.system);
  query.bind(3, key.task_class);
  query.bind(4, key.difficulty);
  if (!query.executeStep()) return std::nullopt;
  return FitFromRow(query);
}

std::vector<StoredFit> ListFits(Database& db) {
  SQLite::Statement query(db.connection(), std::string("SELECT ") + kColumns +
                                               " FROM fits ORDER BY system, task_class, difficulty, kind");
  std::vector<StoredFit> fits;
  while (query.executeStep()) fits.push_back(FitFromRow(query));
  return fits;
}

std::vector<StoredFit> ListFits(Database& db, const CurveKey& key) {
  SQLite::Statement query(db.connection(), std::string("SELECT ") + kColumns +
                                               " FROM fits WHERE system = ? AND task_class = ? AND difficulty = ? "
                                               "ORDER BY kind");
  query.bind(1, key.system);
  query.bind(2, key.task_class);
  query.bind(3, key.difficulty);
  std::vector<StoredFit> fits;
  while (query.executeStep()) fits.push_back(FitFromRow(query));
  return fits;
}

CurveSet ToCurveSet(const std::vector<StoredFit>& fits) {
  CurveSet set;
  for (const StoredFit& fit : fits) {
    if (fit.quality.usable()) AddToCurveSet(fit, set);
  }
  return set;
}

void DeleteFit(Database& db, const std::string& kind, const CurveKey& key) {
  SQLite::Statement erase(db.connection(),
                          "DELETE FROM fits WHERE kind = ? AND system = ? AND task_class = ? AND difficulty = ?");
  erase.bind(1, kind);
  erase.bind(2, key.system);
  erase.bind(3, key.task_class);
  erase.bind(4, key.difficulty);
  erase.exec();
}

CurveKey CostFitKey(const std::string& hardware, const std::string& framework, long devices, const std::string& dtype) {
  return {hardware, framework, std::to_string(devices) + "x " + dtype};
}

FittedEfficiency EfficiencyOfStoredFit(const StoredFit& fit) {
  if (fit.kind != kCostFitKind) throw InternalError("a " + fit.kind + " fit is not a serving-rate fit");
  const auto summary = nlohmann::json::parse(fit.summary_json, nullptr, false);
  if (!summary.is_object() || !summary.contains("group") || !summary["group"].is_object()) {
    throw InternalError("stored cost fit for " + fit.key.ToString() + " has no group in its summary");
  }
  const nlohmann::json& group = summary["group"];
  auto optional = [&](const char* name) -> std::optional<double> {
    return group.contains(name) && group[name].is_number() ? std::optional<double>(group[name].get<double>())
                                                           : std::nullopt;
  };
  FittedEfficiency row;
  row.hardware = group.value("hardware", fit.key.system);
  row.framework = group.value("framework", fit.key.task_class);
  row.num_devices = group.value("devices", 1L);
  row.dtype = group.value("dtype", std::string());
  row.catalogue_hardware = group.value("catalogue_hardware", std::string());
  row.rows = fit.quality.n_points;
  row.t0_s = At(fit, 0);
  row.flops_per_s = At(fit, 1);
  row.bytes_per_s = At(fit, 2);
  row.flops_fraction = optional("flops_fraction");
  row.bandwidth_fraction = optional("bandwidth_fraction");
  row.median_ape = optional("in_sample_median_ape");
  row.max_context_tokens = group.value("max_context_tokens", 0L);
  return row;
}

std::vector<FittedEfficiency> LoadServingEfficiencies(Database& db) {
  SQLite::Statement query(db.connection(), std::string("SELECT ") + kColumns +
                                               " FROM fits WHERE kind = ? ORDER BY system, task_class, difficulty");
  query.bind(1, std::string(kCostFitKind));
  std::vector<FittedEfficiency> rows;
  while (query.executeStep()) {
    const StoredFit fit = FitFromRow(query);
    if (fit.quality.usable()) rows.push_back(EfficiencyOfStoredFit(fit));
  }
  return rows;
}

CurveSet LoadCurveSet(Database& db) {
  CurveSet set;
  std::string fingerprint;
  for (const StoredFit& fit : ListFits(db)) {
    fingerprint += fit.kind + '\x1f' + fit.key.ToString() + '\x1f' + fit.input_hash + '\x1f' +
                   nlohmann::json(fit.params).dump() + '\x1e';
    if (fit.quality.usable()) AddToCurveSet(fit, set);
  }
  set.fits_hash = Sha256Hex(fingerprint);
  return set;
}

}  // namespace thinkplan::store
