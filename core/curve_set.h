// The fitted curves the planner and the simulator read, keyed by (system, task class, difficulty bucket).
// Filled from the store's fits table (store/fits.h) after `thinkplan fit`; plain values, no Ceres.
#pragma once

#include <compare>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/budget_target.h"
#include "core/curves.h"
#include "core/difficulty.h"

namespace thinkplan {

struct CurveKey {
  std::string system;
  std::string task_class;
  std::string difficulty;  // empty: the whole class
  auto operator<=>(const CurveKey&) const = default;
  std::string ToString() const;  // "system / class[ / difficulty]"
};

// Majority-vote wrong-answer concentration fitted from a cons@k point (docs/design.md 3.3).
struct RhoEstimate {
  double rho = 0;
  Interval interval;
  FitQuality quality;
};

// Everything fitted for one key. Each part is present only when its fit is usable (status ok or fallback).
struct FittedCurves {
  std::optional<SequentialCurve> sequential;  // accuracy against thinking tokens
  std::optional<TokenModel> tokens;           // thinking tokens used under a budget
  // Tokens used when the budget is a target (Anthropic, Google): a share of the budget that may exceed 1. Read
  // in place of `tokens` at a budget, since min(L, b) cannot exceed the budget (docs/formulas.md section 8).
  std::optional<BudgetTarget> budget_target;
  std::optional<BetaDifficulty> difficulty;   // per-problem success probability: pass@k, cons@k, best-of-N
  // The logit-normal fitted on the same per-problem data, present only where the fit chose it over the Beta by
  // held-out likelihood (fit kind "difficulty-family"). Read through ChosenDifficulty, not directly.
  std::optional<LogitNormalDifficulty> logit_normal;
  std::optional<RhoEstimate> rho;
  std::optional<CoverageLaw> coverage;        // Brown et al.'s exp(a k^b), for comparison only
};

// The difficulty distribution the fit chose for the key: the logit-normal where it won on held-out likelihood,
// else the Beta; empty without a usable Beta. What predict, the planner and the simulator read.
std::optional<DifficultyDistribution> ChosenDifficulty(const FittedCurves& curves);

// Training-compute surfaces are per (model family, task class[, difficulty]).
struct TrainingKey {
  std::string family;
  std::string task_class;
  std::string difficulty;  // empty: the whole class
  auto operator<=>(const TrainingKey&) const = default;
};

class CurveSet {
 public:
  FittedCurves& At(const CurveKey& key) { return curves_[key]; }
  // The curves of a key; falls back from (system, class, difficulty) to (system, class) when the bucket has
  // none of its own. nullptr when neither exists.
  const FittedCurves* Find(const CurveKey& key) const;
  const std::map<CurveKey, FittedCurves>& all() const { return curves_; }

  void PutTraining(const TrainingKey& key, TrainingSurface surface) { training_[key] = std::move(surface); }
  const TrainingSurface* FindTraining(const TrainingKey& key) const;
  const std::map<TrainingKey, TrainingSurface>& training() const { return training_; }

  // Hash of the fits the set was built from (stored with every plan).
  std::string fits_hash;

 private:
  std::map<CurveKey, FittedCurves> curves_;
  std::map<TrainingKey, TrainingSurface> training_;
};

}  // namespace thinkplan
