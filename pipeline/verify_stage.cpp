#include "pipeline/verify_stage.h"

#include <cmath>

#include <fmt/format.h>

#include "core/number_format.h"
#include "core/printable_text.h"

namespace thinkplan::pipeline {
namespace {

// The promise's tolerances (issue 13's evidence): SLO misses, planned-to-simulated p95 and cost.
constexpr double kMaxMissFraction = 0.05;
constexpr double kP95Tolerance = 0.25;
constexpr double kCostTolerance = 0.05;

VerifiedClass Check(const planner::ClassPlan& planned, const sim::ClassOutcome& simulated) {
  VerifiedClass v;
  v.name = planned.name;
  v.planned_p95_s = planned.latency_p95_s;
  v.simulated_p95_s = simulated.latency_s.p95;
  v.slo_p95_s = planned.slo_p95_s;
  v.slo_miss_fraction = simulated.slo_miss_fraction;
  const bool slo = v.slo_p95_s <= 0 || (v.simulated_p95_s <= v.slo_p95_s && v.slo_miss_fraction <= kMaxMissFraction);
  const bool p95 = v.simulated_p95_s > 0 && std::abs(v.planned_p95_s / v.simulated_p95_s - 1) <= kP95Tolerance;
  v.holds = slo && p95;
  return v;
}

}  // namespace

bool Verification::holds() const {
  bool all = cost_holds;
  for (const VerifiedClass& c : classes) all = all && c.holds;
  return all;
}

Verification VerifyPlan(store::Database& db, const planner::PlanResult& plan, long plan_id, const SimulateSettings& settings) {
  const SimulateStageResult sim = SimulateStage(db, plan_id, settings);
  Verification v;
  v.simulation_id = sim.id;
  for (const planner::ClassPlan& planned : plan.classes) {
    for (const sim::ClassOutcome& simulated : sim.summary.classes) {
      if (simulated.name == planned.name) v.classes.push_back(Check(planned, simulated));
    }
  }
  v.planned_usd_per_month = plan.inference_usd_per_month;
  v.simulated_usd_per_month = sim.summary.usd_per_month;
  v.cost_holds = v.planned_usd_per_month <= 0 ||
                 std::abs(v.simulated_usd_per_month / v.planned_usd_per_month - 1) <= kCostTolerance;
  return v;
}

std::string Verification::FullReport() const {
  std::string out = fmt::format("\nverification (simulation {}, one day):\n{:<16} {:>12} {:>14} {:>8} {:>9}  {}\n",
                                simulation_id, "class", "planned p95", "simulated p95", "SLO", "over SLO", "holds");
  for (const VerifiedClass& c : classes) {
    out += fmt::format("{:<16} {:>12.1f} {:>14.1f} {:>8.0f} {:>9}  {}\n", PrintableText(c.name), c.planned_p95_s,
                       c.simulated_p95_s, c.slo_p95_s, Percent(c.slo_miss_fraction), c.holds ? "yes" : "NO");
  }
  out += fmt::format("cost: planned {}, simulated {}: {}\n", UsdPerMonth(planned_usd_per_month),
                     UsdPerMonth(simulated_usd_per_month), cost_holds ? "holds" : "BREAKS");
  out += holds() ? "the simulation holds the plan's promise\n"
                 : "the simulation breaks the plan's promise (re-provisioning is not built yet)\n";
  return out;
}

}  // namespace thinkplan::pipeline
