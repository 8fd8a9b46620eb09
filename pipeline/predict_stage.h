// The predict stage that `thinkplan predict` runs: read the stored curves of one (system, task class[, difficulty])
// at a thinking budget or token count, k samples and an aggregation, and say what to expect: the expected accuracy,
// the band of that mean, the band a benchmark of n problems would land in, tokens and cost per query.
// Formulas in docs/formulas.md section 7.
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/curve_set.h"
#include "core/run.h"
#include "store/database.h"

namespace thinkplan::pipeline {

// Majority vote where no cons@k run has fitted rho: the stated prior of core/difficulty.h, shared with the planner.
using ::thinkplan::kAssumedRho;
using ::thinkplan::RhoPrior;

struct PredictOptions {
  // Whose curves. An empty difficulty reads the whole class; a difficulty without fits of its own falls back to it.
  CurveKey key;
  // Thinking budget asked for, in tokens. Unset: the curve is read at `thinking_tokens`, or, with neither, the
  // difficulty (parallel) fit is read at the setting it was measured at.
  std::optional<double> budget_tokens;
  // Thinking tokens actually used per sample. Unset: where the system's budget is a target and a budget-target
  // fit is stored, the budget times the share used (which may exceed 1); else the token model's mean under the
  // budget, E[min(L, budget)] (the budget itself where no token model is fitted, and the notes say so).
  std::optional<double> thinking_tokens;
  // How the samples become one answer: pass@1 (default), pass@k, cons@k (majority vote), best@k (a verifier).
  Aggregation aggregation;
  // Verifier separation for best@k (scores Normal(d', 1) when right, Normal(0, 1) when wrong). Default +inf: a
  // perfect verifier, so best@k = pass@k.
  double d_prime = std::numeric_limits<double>::infinity();
  // Problems of the benchmark the predictive band is for. Default 0: no predictive band.
  long problems = 0;
  // Level of both bands. Default 0.95, as every interval the fits report.
  double level = 0.95;
  // Prompt and final-answer tokens per sample, for tokens and cost per query. Defaults 1000 and 500: a typical
  // reasoning question and its written answer (the default workload's classes range from 300 to 2000).
  double prompt_tokens = 1000;
  double answer_tokens = 500;

  bool IsValid(std::string* error) const;
};

struct Prediction {
  CurveKey key;  // the key whose curves were read (the class's when the difficulty had none of its own)
  Aggregation aggregation;
  std::optional<double> budget_tokens;
  // Thinking tokens per sample the curve was read at, with their band (zero-width unless from the token model);
  // 0 when the prediction comes from the difficulty fit alone and no token model says more.
  double thinking_tokens = 0;
  Interval thinking_tokens_band;
  std::string tokens_source;
  // Single-sample accuracy at these tokens and its band of the mean.
  double single_sample = 0;
  Interval single_sample_band;
  // Expected accuracy of the aggregation, and the band of that mean (parameter uncertainty only).
  double accuracy = 0;
  Interval mean_band;
  // Share of `problems` problems answered right: binomial noise on top of the mean's uncertainty.
  long problems = 0;
  Interval predictive_band;
  double level = 0.95;
  // Per query: samples x prompt tokens in, samples x (thinking + answer) out (unset when the thinking tokens are
  // unknown), and the API list-price cost when the system has prices and the tokens are known.
  double input_tokens_per_query = 0;
  std::optional<double> output_tokens_per_query;
  std::optional<double> cost_usd_per_query;
  // The status the prediction rests on: kFallback when any curve read is a fallback (notes say which), else kOk.
  FitStatus status = FitStatus::kOk;
  // The difficulty family read for k > 1 (or for the fit's own mean): "beta" or "logit-normal"; empty when none.
  std::string difficulty_family;
  std::vector<std::string> curves;  // "sequential sigmoid (ok)", ...: the stored fits read
  std::vector<std::string> notes;

  std::string BriefReport() const;
  std::string FullReport() const;
  nlohmann::json ToJson() const;
};

// The prediction from curves already loaded (no database): what PredictStage computes after reading the fits.
// `system` gives the list prices for the cost (nullptr: no cost). Throws InputError naming the missing curve when
// the curves cannot answer (no usable sequential curve for a budget, no Beta for k > 1, no rho for cons@k).
Prediction Predict(const FittedCurves& curves, const SystemInfo* system, const PredictOptions& options);

// Reads the stored fits of the key (falling back from a difficulty to its class) and the system's prices, then
// Predict. An unusable fit is named with its status and reason.
Prediction PredictStage(store::Database& db, const PredictOptions& options);

// The central `level` band of y / n for y ~ Binomial(n, p) with p uncertain: p = sigmoid(logit(mean) + s Z),
// Z ~ Normal(0, 1), s = (logit(upper) - logit(lower)) / (2 z) from the mean's band at the same level. A band of
// zero width (or a mean of 0 or 1) gives the plain binomial quantiles.
Interval PredictiveBand(double mean, const Interval& mean_band, long n, double level);

}  // namespace thinkplan::pipeline
