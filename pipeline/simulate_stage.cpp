#include "pipeline/simulate_stage.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/number_format.h"
#include "pipeline/catalogues.h"
#include "pipeline/progress.h"
#include "pipeline/simulate_scenario.h"
#include "store/fits.h"
#include "sim/fleet_shard.h"
#include "store/plans.h"

namespace thinkplan::pipeline {
namespace {

using nlohmann::json;

json IntervalJson(double value, Interval interval) {
  return {{"value", value}, {"low", interval.lower}, {"high", interval.upper}};
}
json PercentilesJson(const sim::Percentiles& p) {
  auto finite = [](double x) { return std::isfinite(x) ? json(x) : json(nullptr); };  // unserved: no latency
  return {{"p50", finite(p.p50)}, {"p95", finite(p.p95)}, {"p99", finite(p.p99)}};
}

// The classes whose traffic reaches `system` in the scenario.
std::set<std::size_t> ClassesOn(const sim::FleetScenario& scenario, int system) {
  std::set<std::size_t> classes;
  for (std::size_t c = 0; c < scenario.classes.size(); ++c) {
    for (const sim::FleetBucket& b : scenario.classes[c].buckets) {
      for (const sim::FleetOption& o : b.options) {
        if (o.system == system) classes.insert(c);
      }
    }
  }
  return classes;
}

// The SLO is a p95 bound: it is met when at most 5% of the class's queries take longer.
bool MeetsSlo(const sim::FleetSummary& summary, const std::set<std::size_t>& classes) {
  return std::all_of(classes.begin(), classes.end(), [&](std::size_t c) {
    const sim::ClassOutcome& o = summary.classes[c];
    return o.slo_p95_s <= 0 || o.slo_miss_fraction <= 0.05;
  });
}

std::string ClassList(const sim::FleetSummary& summary, const std::set<std::size_t>& classes, bool with_p95) {
  std::string out;
  for (std::size_t c : classes) {
    const sim::ClassOutcome& o = summary.classes[c];
    if (!out.empty()) out += ", ";
    out += o.name;
    if (with_p95) {
      out += std::isfinite(o.latency_s.p95) ? fmt::format(" p95 {:.1f} s", o.latency_s.p95) : std::string(" p95 unbounded");
      out += fmt::format(" vs SLO {:.0f} s, {} over", o.slo_p95_s, Percent(o.slo_miss_fraction));
    }
  }
  return out;
}

// Re-simulates with one device fewer on each self-hosted system to show whether the plan's count is the smallest
// that meets the SLO.
std::vector<CapacityCheck> CheckCapacity(const sim::FleetScenario& scenario, const sim::FleetSummary& planned,
                                         const sim::FleetOptions& options, const FleetRunner& run) {
  std::vector<CapacityCheck> checks;
  for (std::size_t s = 0; s < scenario.systems.size(); ++s) {
    const sim::FleetSystem& sys = scenario.systems[s];
    if (sys.api) continue;
    CapacityCheck check;
    check.system = sys.name;
    check.devices_per_replica = sys.devices_per_replica;
    check.planned_devices = sys.replicas * sys.devices_per_replica;
    if (check.planned_devices == 0) continue;
    check.fewer_devices = check.planned_devices - 1;
    check.fewer_replicas = check.fewer_devices / sys.devices_per_replica;
    const std::set<std::size_t> classes = ClassesOn(scenario, static_cast<int>(s));
    check.planned_meets_slo = MeetsSlo(planned, classes);
    sim::FleetScenario fewer = scenario;
    fewer.systems[s].replicas = check.fewer_replicas;
    sim::FleetOptions quiet = options;
    quiet.progress = nullptr;
    const sim::FleetSummary result = run(fewer, quiet);
    check.fewer_meets_slo = MeetsSlo(result, classes);
    std::string why = fmt::format("{}: planned {} device(s) ({} replica(s) of {}): {} ({})", sys.name, check.planned_devices,
                                  sys.replicas, sys.devices_per_replica, check.planned_meets_slo ? "SLO met" : "SLO MISSED",
                                  ClassList(planned, classes, true));
    why += fmt::format("; with {} device(s), {} whole replica(s) of {}", check.fewer_devices, check.fewer_replicas,
                       sys.devices_per_replica);
    if (check.fewer_replicas == 0) {
      why += fmt::format(" (one replica needs {} devices to hold the model), so {} cannot be served", sys.devices_per_replica,
                         ClassList(result, classes, false));
    }
    why += fmt::format(": {} ({})", check.fewer_meets_slo ? "SLO still met, the plan keeps headroom" : "SLO missed",
                       ClassList(result, classes, true));
    check.explanation = why;
    checks.push_back(check);
  }
  return checks;
}

json ToContractJson(long plan_id, const sim::FleetScenario& scenario, const SimulateSettings& settings,
                    const sim::FleetSummary& r, const std::vector<CapacityCheck>& checks, const std::vector<std::string>& notes) {
  json j;
  j["plan_id"] = plan_id;
  j["seed"] = settings.seed;
  j["days"] = settings.days;
  j["threads"] = settings.threads;
  j["version"] = 1;
  j["overall"] = {{"queries", r.queries},
                  {"sequences", r.sequences},
                  {"unserved", r.unserved},
                  {"accuracy", IntervalJson(r.accuracy, r.accuracy_interval)},
                  {"planned_accuracy", IntervalJson(scenario.planned_accuracy, scenario.planned_interval)},
                  {"cost_usd_per_month", r.usd_per_month},
                  {"planned_cost_usd_per_month", scenario.planned_usd_per_month},
                  {"planned_paid_usd_per_month", scenario.planned_paid_usd_per_month},
                  {"gpu_hours", r.gpu_hours},
                  {"slo_miss_fraction", r.slo_miss_fraction},
                  {"simulated_s", r.simulated_s},
                  {"wall_s", r.seconds}};
  j["classes"] = json::array();
  for (std::size_t c = 0; c < r.classes.size(); ++c) {
    const sim::ClassOutcome& o = r.classes[c];
    const sim::FleetClass& fc = scenario.classes[c];
    json histogram = json::array();
    for (const auto& [upper, count] : o.latency_histogram) {
      histogram.push_back({{"upper_s", std::isfinite(upper) ? json(upper) : json(nullptr)}, {"count", count}});
    }
    j["classes"].push_back({{"task_class", o.name},
                            {"queries", o.queries},
                            {"sequences", o.sequences},
                            {"unserved", o.unserved},
                            {"accuracy", IntervalJson(o.accuracy, o.accuracy_interval)},
                            {"planned_accuracy", IntervalJson(fc.planned_accuracy, fc.planned_interval)},
                            {"cost_usd_per_month", o.usd_per_month},
                            {"planned_cost_usd_per_month", fc.planned_usd_per_month},
                            {"ttft_s", PercentilesJson(o.ttft_s)},
                            {"latency_s", PercentilesJson(o.latency_s)},
                            {"slo_p95_s", o.slo_p95_s},
                            {"slo_miss_fraction", o.slo_miss_fraction},
                            {"latency_histogram", histogram}});
  }
  j["fleet"] = json::array();
  for (const sim::SystemOutcome& s : r.systems) {
    if (s.api) continue;
    j["fleet"].push_back({{"system", s.name}, {"hardware", s.hardware}, {"replicas", s.replicas}, {"devices", s.devices},
                          {"planned_devices", s.planned_devices}, {"utilisation", s.utilisation},
                          {"kv_peak_fraction", s.kv_peak_fraction}, {"gpu_hours", s.gpu_hours},
                          {"busy_gpu_hours", s.busy_gpu_hours}, {"mean_batch", s.mean_batch}, {"mean_wait_s", s.mean_wait_s},
                          {"cost_usd_per_month", s.usd_per_month}});
  }
  j["api"] = json::array();
  for (const sim::SystemOutcome& s : r.systems) {
    if (s.api) j["api"].push_back({{"system", s.name}, {"sequences", s.sequences}, {"cost_usd_per_month", s.usd_per_month}});
  }
  j["queue_by_hour"] = json::array();
  for (const sim::HourQueue& h : r.queue_by_hour) {
    j["queue_by_hour"].push_back(
        {{"hour", h.hour}, {"mean_queue", h.mean_queue}, {"max_queue", h.max_queue}, {"mean_in_system", h.mean_in_system}});
  }
  j["little_law"] = {{"arrival_rate_per_s", r.little.arrival_rate_per_s},
                     {"mean_in_system", r.little.mean_in_system},
                     {"mean_time_in_system_s", r.little.mean_time_in_system_s},
                     {"relative_gap", r.little.relative_gap}};
  j["capacity_check"] = json::array();
  for (const CapacityCheck& c : checks) {
    j["capacity_check"].push_back({{"system", c.system}, {"planned_devices", c.planned_devices},
                                   {"fewer_devices", c.fewer_devices}, {"fewer_replicas", c.fewer_replicas},
                                   {"devices_per_replica", c.devices_per_replica},
                                   {"planned_meets_slo", c.planned_meets_slo}, {"fewer_meets_slo", c.fewer_meets_slo},
                                   {"explanation", c.explanation}});
  }
  j["notes"] = notes;
  return j;
}

sim::FleetOptions FleetOptionsOf(const SimulateSettings& settings) {
  sim::FleetOptions options;
  options.seed = settings.seed;
  options.days = settings.days;
  options.threads = settings.threads;
  options.max_queries = settings.max_queries;
  options.max_sequences = settings.max_samples;
  return options;
}

// Scales the traffic and the self-hosted replicas alike (SimulateSettings::volume_scale).
void ScaleVolume(sim::FleetScenario& scenario, double scale) {
  if (scale == 1) return;
  // The plan's cost figures scale with it (API spend with the traffic, the fleet with its replicas), so that the
  // gap report still compares like with like; its accuracy does not change.
  scenario.planned_usd_per_month *= scale;
  scenario.planned_paid_usd_per_month *= scale;
  for (sim::FleetClass& c : scenario.classes) {
    c.daily_volume *= scale;
    c.planned_usd_per_month *= scale;
  }
  for (sim::FleetSystem& s : scenario.systems) {
    if (!s.api) s.replicas = static_cast<long>(std::ceil(static_cast<double>(s.replicas) * scale));
  }
}

}  // namespace

bool SimulateSettings::IsValid(std::string* error) const {
  if (!FleetOptionsOf(*this).IsValid(error)) return false;
  if (!(volume_scale > 0) || volume_scale > 1e6) {
    *error = "the volume scale must be in (0, 1e6]";
    return false;
  }
  for (const auto& [name, count] : devices) {
    if (count < 0) {
      *error = "devices for " + name + " must be >= 0";
      return false;
    }
  }
  return true;
}

SimulateStageResult SimulateStage(store::Database& db, long plan_id,
                                  const SimulateSettings& settings, std::ostream* progress, const SimulateHooks& hooks) {
  std::string error;
  if (!settings.IsValid(&error)) throw UsageError(error);
  const store::StoredPlan plan = store::LoadPlan(db, plan_id);
  BuiltScenario built = BuildScenario(plan, settings.devices, LoadCatalogues(db));
  ScaleVolume(built.scenario, settings.volume_scale);
  for (const auto& [name, count] : settings.devices) {
    const bool known = std::any_of(built.scenario.systems.begin(), built.scenario.systems.end(),
                                   [&](const sim::FleetSystem& s) { return s.name == name && !s.api; });
    if (!known) throw UsageError("--devices: '" + name + "' is not a self-hosted system of plan " + std::to_string(plan_id));
  }
  sim::FleetOptions options = FleetOptionsOf(settings);
  std::unique_ptr<Progress> bar;
  if (progress) {
    bar = std::make_unique<Progress>(*progress, "simulating",
                                     sim::FleetWorkUnits(built.scenario, settings.days, 1).size(), true);
    options.progress = [&](std::size_t done, std::size_t) { bar->Update(done); };
  }
  const FleetRunner run = hooks.runner ? hooks.runner : FleetRunner(sim::SimulateFleet);
  SimulateStageResult out;
  out.summary = run(built.scenario, options);
  if (bar) bar->Finish();
  if (settings.capacity_check) out.capacity_checks = CheckCapacity(built.scenario, out.summary, options, run);
  out.notes = built.notes;
  out.json = ToContractJson(plan_id, built.scenario, settings, out.summary, out.capacity_checks, out.notes);
  if (!hooks.store) return out;
  store::StoredSimulation stored;
  stored.plan_id = plan_id;
  stored.seed = settings.seed;
  stored.result_json = out.json.dump();
  out.id = store::SaveSimulation(db, stored);
  out.json["id"] = out.id;
  return out;
}

}  // namespace thinkplan::pipeline
