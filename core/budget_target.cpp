#include "core/budget_target.h"

#include <cmath>

#include "core/special_functions.h"

namespace thinkplan {

std::string_view ToString(BudgetSemantics semantics) {
  switch (semantics) {
    case BudgetSemantics::kHardCap: return "hard cap";
    case BudgetSemantics::kTarget: return "target";
    case BudgetSemantics::kEffort: return "effort";
  }
  return "hard cap";
}

BudgetSemantics SemanticsOfKnob(std::string_view compute_knob) {
  if (compute_knob == "thinking.budget_tokens" || compute_knob == "thinkingConfig.thinkingBudget") {
    return BudgetSemantics::kTarget;
  }
  if (compute_knob == "reasoning_effort") return BudgetSemantics::kEffort;
  return BudgetSemantics::kHardCap;
}

double BudgetTarget::Ratio(double budget) const {
  if (!(budget > 0)) return 0.0;
  return std::exp(c0 + c1 * (std::log(budget) - ln_reference));
}

Interval BudgetTarget::RatioBand(double budget, double level) const {
  const double ratio = Ratio(budget);
  if (covariance.size() != 4 || !(budget > 0)) return {ratio, ratio};
  const double d = std::log(budget) - ln_reference;
  const double half = TwoSidedZ(level) * std::sqrt(DeltaMethodVariance({1.0, d}, covariance));
  return {ratio * std::exp(-half), ratio * std::exp(half)};
}

}  // namespace thinkplan
