#include "pipeline/verify_stage.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/number_format.h"
#include "core/printable_text.h"
#include "store/plans.h"

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
  v.slo_holds = v.slo_p95_s <= 0 || (v.simulated_p95_s <= v.slo_p95_s && v.slo_miss_fraction <= kMaxMissFraction);
  v.p95_agrees = v.simulated_p95_s > 0 && std::abs(v.planned_p95_s / v.simulated_p95_s - 1) <= kP95Tolerance;
  return v;
}

// How far over its SLO a class's simulated p95 is (1 = at it); +inf where queries went unserved.
double OverSlo(const VerifiedClass& c) {
  if (c.slo_p95_s <= 0) return 1;
  const double ratio = c.simulated_p95_s / c.slo_p95_s;
  return std::isfinite(ratio) ? ratio : std::numeric_limits<double>::infinity();
}

const planner::CapacityLine* CapacityOf(const planner::PlanResult& plan, const std::string& system) {
  for (const planner::CapacityLine& l : plan.capacity) {
    if (l.system == system) return &l;
  }
  return nullptr;
}

planner::SystemSpec* Find(planner::Workload& w, const std::string& name) {
  for (planner::SystemSpec& s : w.systems) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

// Per system the chosen shares of class `name` run on, with the worst p95 of its shares there.
std::map<std::string, double> SystemsOfClass(const planner::PlanResult& plan, const std::string& name) {
  std::map<std::string, double> out;
  for (const planner::BucketPlan& b : plan.buckets) {
    if (b.class_name != name) continue;
    for (const planner::ChosenShare& sh : b.shares) {
      double& p95 = out[sh.setting.system];
      p95 = std::max(p95, sh.figures.latency_p95_s);
    }
  }
  return out;
}

// A self-hosted fleet grown by `factor`: more replicas, or, where KV memory bounds the batch while the weights take
// over half the card, twice the devices per replica (the added memory is all KV, so throughput per device grows).
std::string Grow(const planner::CapacityLine& line, double factor, const VerifyLoopOptions& o, planner::SystemSpec& spec) {
  const bool kv_bound = line.batch_limited_by == "KV memory" && line.weights_gib > 0.5 * line.usable_gib;
  // The plan's replica size is the configuration search's (the capacity line), at least the workload's `devices`;
  // raising `devices` past it makes the next search start there.
  if (kv_bound && line.devices_per_replica * 2 <= std::min(o.max_devices_per_replica, spec.max_devices_per_replica)) {
    spec.devices = line.devices_per_replica * 2;
    spec.min_replicas = std::max(1L, static_cast<long>(std::ceil(static_cast<double>(line.replicas) * factor / 2)));
    return fmt::format("{}: {} -> {} devices per replica (batch {} bound by KV memory), at least {} replicas",
                       PrintableText(spec.name), line.devices_per_replica, spec.devices, line.batch, spec.min_replicas);
  }
  const long before = line.replicas;
  spec.min_replicas = std::max(before + 1, static_cast<long>(std::ceil(static_cast<double>(before) * factor)));
  return fmt::format("{}: {} -> {} replicas (x{:.2f})", PrintableText(spec.name), before, spec.min_replicas,
                     static_cast<double>(spec.min_replicas) / static_cast<double>(before));
}

// An API whose latency misses a class's SLO is no fleet to grow: the class's next plan goes without it, if the
// class has another system to go to.
std::string Exclude(const planner::PlanResult& plan, const std::string& class_name, planner::Workload& w) {
  std::string slowest;
  double worst = -1;
  for (const auto& [system, p95] : SystemsOfClass(plan, class_name)) {
    if (p95 > worst) worst = p95, slowest = system;
  }
  for (planner::TaskClassSpec& c : w.classes) {
    if (c.name != class_name) continue;
    if (c.systems.empty()) {
      for (const planner::SystemSpec& s : w.systems) c.systems.push_back(s.name);
    }
    std::erase(c.systems, slowest);
    if (c.systems.empty()) return "";
    return fmt::format("class {}: without {} (planned p95 {:.1f} s)", PrintableText(class_name),
                       PrintableText(slowest), worst);
  }
  return "";
}

// The workload changes that answer the SLO breaks of `v`; empty when none applies. Each self-hosted system grows by
// the worst factor its missing classes call for.
std::vector<std::string> Reprovision(const planner::PlanResult& plan, const Verification& v, const VerifyLoopOptions& o,
                                     planner::Workload& w) {
  std::map<std::string, double> growth;
  std::vector<std::string> changes;
  for (const VerifiedClass& c : v.classes) {
    if (c.slo_holds) continue;
    const double factor = std::clamp(OverSlo(c), o.min_growth, o.max_growth);
    bool self_hosted = false;
    for (const auto& [system, p95] : SystemsOfClass(plan, c.name)) {
      if (!CapacityOf(plan, system)) continue;
      self_hosted = true;
      double& g = growth[system];
      g = std::max(g, factor);
    }
    if (self_hosted) continue;
    if (std::string change = Exclude(plan, c.name, w); !change.empty()) changes.push_back(std::move(change));
  }
  for (const auto& [system, factor] : growth) {
    planner::SystemSpec* spec = Find(w, system);
    if (spec) changes.push_back(Grow(*CapacityOf(plan, system), factor, o, *spec));
  }
  return changes;
}

std::string RoundLine(const VerifyRound& r) {
  std::string line = fmt::format("round {}: plan {}, {}: ", r.round, r.plan_id, UsdPerMonth(r.planned_usd_per_month));
  const std::string breaks = r.verification.Breaks();
  line += breaks.empty() ? "the simulation holds the promise" : "breaks: " + breaks;
  for (const std::string& c : r.changes) line += "\n  re-provision " + c;
  return line + "\n";
}

void StoreRound(store::Database& db, const VerifyRound& r) {
  store::StoredVerification stored;
  stored.plan_id = r.plan_id;
  stored.simulation_id = r.verification.simulation_id;
  stored.round = r.round;
  stored.holds = r.verification.holds();
  nlohmann::json body = r.verification.ToJson();
  body["round"] = r.round;
  stored.body_json = body.dump();
  store::SaveVerification(db, stored);
}

}  // namespace

bool Verification::holds() const {
  bool all = cost_holds;
  for (const VerifiedClass& c : classes) all = all && c.holds();
  return all;
}

std::string Verification::Breaks() const {
  std::vector<std::string> parts;
  for (const VerifiedClass& c : classes) {
    if (!c.slo_holds) {
      parts.push_back(fmt::format("{} p95 {:.1f} s against its {:g} s SLO ({} over)", PrintableText(c.name),
                                  c.simulated_p95_s, c.slo_p95_s, Percent(c.slo_miss_fraction)));
    } else if (!c.p95_agrees) {
      parts.push_back(fmt::format("{} planned p95 {:.1f} s, simulated {:.1f} s", PrintableText(c.name),
                                  c.planned_p95_s, c.simulated_p95_s));
    }
  }
  if (!cost_holds) {
    parts.push_back(fmt::format("cost planned {}, simulated {}", UsdPerMonth(planned_usd_per_month),
                                UsdPerMonth(simulated_usd_per_month)));
  }
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

nlohmann::json Verification::ToJson() const {
  nlohmann::json j = {{"plan_id", plan_id}, {"simulation_id", simulation_id}, {"holds", holds()},
                      {"planned_usd_per_month", planned_usd_per_month},
                      {"simulated_usd_per_month", simulated_usd_per_month}, {"cost_holds", cost_holds},
                      {"classes", nlohmann::json::array()}};
  for (const VerifiedClass& c : classes) {
    j["classes"].push_back({{"name", c.name}, {"planned_p95_s", c.planned_p95_s},
                            {"simulated_p95_s", std::isfinite(c.simulated_p95_s) ? nlohmann::json(c.simulated_p95_s) : nlohmann::json(nullptr)},
                            {"slo_p95_s", c.slo_p95_s}, {"slo_miss_fraction", c.slo_miss_fraction},
                            {"slo_holds", c.slo_holds}, {"p95_agrees", c.p95_agrees}});
  }
  return j;
}

Verification VerifyPlan(store::Database& db, const planner::PlanResult& plan, long plan_id, const SimulateSettings& settings) {
  const SimulateStageResult sim = SimulateStage(db, plan_id, settings);
  Verification v;
  v.plan_id = plan_id;
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
  std::string out = fmt::format("\nverification of plan {} (simulation {}, one day):\n{:<16} {:>12} {:>14} {:>8} {:>9}  {}\n",
                                plan_id, simulation_id, "class", "planned p95", "simulated p95", "SLO", "over SLO", "holds");
  for (const VerifiedClass& c : classes) {
    out += fmt::format("{:<16} {:>12.1f} {:>14.1f} {:>8.0f} {:>9}  {}\n", PrintableText(c.name), c.planned_p95_s,
                       c.simulated_p95_s, c.slo_p95_s, Percent(c.slo_miss_fraction), c.holds() ? "yes" : "NO");
  }
  out += fmt::format("cost: planned {}, simulated {}: {}\n", UsdPerMonth(planned_usd_per_month),
                     UsdPerMonth(simulated_usd_per_month), cost_holds ? "holds" : "BREAKS");
  out += holds() ? "the simulation holds the plan's promise\n" : "the simulation breaks the plan's promise\n";
  return out;
}

bool VerifyLoopOptions::IsValid(std::string* error) const {
  auto fail = [&](const std::string& text) {
    if (error) *error = text;
    return false;
  };
  if (max_rounds < 1 || max_rounds > 100) return fail("max rounds must be in 1..100");
  if (!(min_growth > 1) || !(max_growth >= min_growth) || !std::isfinite(max_growth)) {
    return fail("replica growth must satisfy 1 < min_growth <= max_growth < inf");
  }
  if (max_devices_per_replica < 1) return fail("max devices per replica must be >= 1");
  return true;
}

// True when the fleet grew and nothing moved: every class that breaks now broke in the round before with a
// simulated p95 and a share over the SLO no more than 1% higher. The service time itself then misses the SLO
// (more replicas only shorten the wait), and further rounds would only add cost.
bool GrowthMovedNothing(const Verification& before, const Verification& after) {
  bool breaks = false;
  for (const VerifiedClass& a : after.classes) {
    if (a.holds()) continue;
    const auto b = std::find_if(before.classes.begin(), before.classes.end(),
                                [&](const VerifiedClass& c) { return c.name == a.name; });
    if (b == before.classes.end() || b->holds()) return false;
    if (a.simulated_p95_s < 0.99 * b->simulated_p95_s || a.slo_miss_fraction < 0.99 * b->slo_miss_fraction) return false;
    breaks = true;
  }
  return breaks;
}

VerifyLoopSummary PlanAndVerify(store::Database& db, planner::Workload workload, const PlanStageOptions& plan_options,
                                const VerifyLoopOptions& options, std::ostream* log, const PlanStageResult* first_round) {
  if (first_round && first_round->plan.feasible && !first_round->plan_id) {
    throw UsageError("verify: the first round's plan must be stored (the simulation reads it)");
  }
  std::string error;
  if (!options.IsValid(&error)) throw UsageError("verify: " + error);
  PlanStageOptions stage = plan_options;
  stage.store = true;  // the simulation reads the stored plan
  VerifyLoopSummary out;
  for (int round = 1;; ++round) {
    out.final_workload = workload;
    out.final_plan = round == 1 && first_round ? *first_round : PlanStage(db, workload, stage);
    const planner::PlanResult& plan = out.final_plan.plan;
    if (!plan.feasible) {
      out.status = VerifyStatus::kInfeasible;
      out.message = fmt::format("round {}: the plan is infeasible: {}", round, plan.reason);
      break;
    }
    VerifyRound r;
    r.round = round;
    r.plan_id = *out.final_plan.plan_id;
    r.planned_usd_per_month = plan.inference_usd_per_month;
    r.verification = VerifyPlan(db, plan, r.plan_id, options.simulate);
    const bool holds = r.verification.holds();
    const bool stalled = !holds && !out.rounds.empty() && !out.rounds.back().changes.empty() &&
                         GrowthMovedNothing(out.rounds.back().verification, r.verification);
    if (!holds && !stalled && round < options.max_rounds) r.changes = Reprovision(plan, r.verification, options, workload);
    StoreRound(db, r);
    if (log) *log << RoundLine(r) << std::flush;
    out.rounds.push_back(r);
    if (holds) {
      out.status = VerifyStatus::kHolds;
      out.message = fmt::format("plan {} holds in simulation {} (round {})", r.plan_id, r.verification.simulation_id, round);
      break;
    }
    if (stalled) {
      out.status = VerifyStatus::kNothingToChange;
      out.message = fmt::format("plan {} breaks its promise and the fleet grown in round {} moved nothing: {}; the "
                                "service time itself misses the SLO, so a larger replica (the system's "
                                "max_devices_per_replica) or a faster option is needed",
                                r.plan_id, round - 1, r.verification.Breaks());
      break;
    }
    if (round >= options.max_rounds) {
      out.status = VerifyStatus::kRoundLimit;
      out.message = fmt::format("plan {} still breaks its promise after {} rounds (the limit): {}", r.plan_id, round,
                                r.verification.Breaks());
      break;
    }
    if (r.changes.empty()) {
      out.status = VerifyStatus::kNothingToChange;
      out.message = fmt::format("plan {} breaks its promise where re-provisioning does not reach: {}", r.plan_id,
                                r.verification.Breaks());
      break;
    }
  }
  return out;
}

nlohmann::json VerifyLoopSummary::ToJson() const {
  static constexpr const char* kStatus[] = {"holds", "infeasible", "round_limit", "nothing_to_change"};
  nlohmann::json j = {{"status", kStatus[static_cast<int>(status)]}, {"holds", holds()}, {"message", message},
                      {"rounds", nlohmann::json::array()}};
  for (const VerifyRound& r : rounds) {
    nlohmann::json round = r.verification.ToJson();
    round["round"] = r.round;
    round["changes"] = r.changes;
    j["rounds"].push_back(std::move(round));
  }
  if (!rounds.empty()) {
    j["plan_id"] = rounds.back().plan_id;
    j["simulation_id"] = rounds.back().verification.simulation_id;
  }
  return j;
}

std::string VerifyLoopSummary::BriefReport() const {
  return fmt::format("verification: {} ({} round{})\n", message, rounds.size(), rounds.size() == 1 ? "" : "s");
}

std::string VerifyLoopSummary::FullReport() const {
  std::string out;
  if (!rounds.empty()) out += rounds.back().verification.FullReport();
  return out + BriefReport();
}

}  // namespace thinkplan::pipeline
