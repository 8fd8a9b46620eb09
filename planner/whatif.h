// What-if changes to a stored plan's workload (`thinkplan whatif --set KEY=VALUE`), parsed strictly, applied to a
// copy of the workload, and the side-by-side comparison of the base and changed plans.
#pragma once

#include <string>
#include <vector>

#include "planner/options.h"
#include "planner/plan.h"
#include "planner/workload.h"

namespace thinkplan::planner {

// One --set. Values are absolute ("50000", "2.10") or relative ("2x", "0.5x").
//   budget=V                        USD per month
//   volume.<class>=V                queries per day
//   price.<system>=V                API: both list prices (relative only); self-hosted: USD per device-hour
//   price.<system>.in|out=V         API list price, USD per million tokens
//   price.<hardware>=V              USD per device-hour of every self-hosted system on that card
//   slo.<class>=V                   p95 latency SLO, seconds
//   verifier.<class>.dprime|auc=V   reward-model discriminability
//   value.<class>=V                 worth of a correct answer, USD (the LP's weight of the class)
//   peak.<class>=V                  peak-to-mean query rate (what the fleet is provisioned for)
//   router.<class>.auc=V            the class's router replaced by one of this AUC (its confusion matrix derived)
//   tokens.<system>[.<setting>]=F   the thinking tokens of the system's options (of one setting: fast, extended,
//                                   low, medium, high) times F, measured or assumed; accuracy kept, cost, latency
//                                   and fleet follow (the workload's thinking_token_factor)
//   devices.<system>=V              a self-hosted system's smallest replica size, devices (the search starts there)
//   hardware.<system>=CARD          a self-hosted system moved to another card of the catalogue, at that card's
//                                   price per device-hour (a price the workload pinned for the old card is dropped)
struct WhatIfChange {
  std::string text;  // as typed
  std::string key;
  double value = 0;
  bool relative = false;
  std::string name;  // hardware.<system>=CARD: the card, as the catalogue names it; tokens: the setting or "*"
};

// Throws UsageError naming the expression and what is wrong (unknown key, class or system with suggestions,
// malformed or out-of-range value).
WhatIfChange ParseWhatIf(const std::string& text, const Workload& workload, const Catalogues& catalogues);
// Applies the changes in order, hardware moves first (a move drops the old card's pinned price, so a price given
// beside it applies to the new card); `budget` is the plan's budget and is updated by budget=...
void ApplyWhatIf(const std::vector<WhatIfChange>& changes, const Catalogues& catalogues, Workload* workload,
                 std::optional<double>* budget);

// Per class of `workload`: whether the changes alter what its options are (prices of systems or cards, its
// verifier, its SLO, which sets its self-hosted batches). Budget and volume changes leave every class's options as
// they were, so a re-plan can reuse the base plan's options for the classes marked false.
std::vector<bool> OptionsChanged(const std::vector<WhatIfChange>& changes, const Workload& workload);

// Side-by-side table: per class and bucket the option(s), accuracy and cost; totals; GPUs per system.
std::string DiffReport(const PlanResult& base, const PlanResult& changed);

}  // namespace thinkplan::planner
