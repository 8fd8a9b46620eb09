// Tokens used when a thinking budget is a target rather than a cap (docs/formulas.md section 8). Anthropic documents
// `thinking.budget_tokens` and Google `thinkingConfig.thinkingBudget` as targets the model may land above or below;
// OpenAI's `reasoning_effort` names no number at all; a self-hosted cap (vLLM max tokens, s1's budget forcing) cannot
// be exceeded, which is what TokenModel (core/curves.h) describes. A plain value, no Ceres: the planner and `predict`
// may evaluate it without the fitting library.
#pragma once

#include <string_view>
#include <vector>

#include "core/curves.h"

namespace thinkplan {

enum class BudgetSemantics {
  kHardCap,  // tokens used <= budget: TokenModel's min(L, b)
  kTarget,   // the budget steers the length; tokens used may exceed it: BudgetTarget
  kEffort,   // a named level, no token number: effort levels must be mapped to tokens from data
};
std::string_view ToString(BudgetSemantics semantics);
// From a system's compute knob as data/published/systems.csv names it: thinking.budget_tokens (Anthropic) and
// thinkingConfig.thinkingBudget (Google) are targets, reasoning_effort (OpenAI) is an effort, anything else
// (budget forcing, max tokens, none) a hard cap.
BudgetSemantics SemanticsOfKnob(std::string_view compute_knob);

// ln(mean tokens used / budget) = c0 + c1 (ln budget - ln_reference): c0 is the log of the share of the budget used
// at the reference budget (the weighted geometric mean of the budgets fitted), c1 how that share moves with the
// budget (0: a fixed share; -1: the same tokens whatever the budget). exp(c0) > 1 is an overshoot.
struct BudgetTarget {
  double c0 = 0.0;
  double c1 = 0.0;
  double ln_reference = 0.0;
  std::vector<double> covariance;  // of (c0, c1), 2x2 row-major; empty when not estimable
  FitQuality quality;

  // Mean tokens used over mean budget: exp(c0 + c1 (ln b - ln_reference)); 0 for b <= 0.
  double Ratio(double budget) const;
  double MeanUsed(double budget) const { return budget > 0 ? budget * Ratio(budget) : 0.0; }
  // Delta-method band of Ratio(budget) on the log scale (gradient (1, ln b - ln_reference)); zero-width without
  // a covariance.
  Interval RatioBand(double budget, double level = 0.95) const;
};

}  // namespace thinkplan
