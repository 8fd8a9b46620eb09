#include "pipeline/sweep_stage.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/number_format.h"
#include "core/sample_quantile.h"
#include "core/text_table.h"
#include "core/timing.h"
#include "pipeline/posterior_draw.h"
#include "pipeline/progress.h"
#include "pipeline/simulate_scenario.h"
#include "planner/routing.h"
#include "sim/fleet.h"
#include "sim/portable.h"
#include "store/plans.h"
#include "store/sweeps.h"

namespace thinkplan::pipeline {
namespace {

using nlohmann::json;

// The simulator's own SLO rule (simulate_stage.cpp MeetsSlo): a p95 bound is met when at most 5% are over it.
constexpr double kSloMissAllowed = 0.05;
// Stream tag of the per-draw simulation seeds, apart from the curve streams (posterior_draw.cpp) and the simulator's.
constexpr uint32_t kSimulationSeedTag = 0xC0000000u;

// The simulator's seed for (seed, scenario, draw): a Philox block of those words, so that neighbouring draws get
// unrelated streams and the seed does not depend on which shard runs the draw.
uint64_t SimulationSeed(uint64_t seed, std::size_t scenario, long draw) {
  const auto d = static_cast<uint64_t>(draw);
  const portable::Philox4x32 block = portable::Philox4x32_10(
      {{static_cast<uint32_t>(scenario), static_cast<uint32_t>(d), static_cast<uint32_t>(d >> 32), kSimulationSeedTag}},
      static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
  return static_cast<uint64_t>(block.v[0]) | (static_cast<uint64_t>(block.v[1]) << 32);
}

json Finite(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }
double FiniteOr(const json& j, double fallback) { return j.is_number() ? j.get<double>() : fallback; }

SweepScenario PlanScenario(store::Database& db, long plan_id,
                           const std::vector<std::string>& changes) {
  WhatIfStageOptions whatif;
  whatif.changes = changes;
  whatif.store = false;
  WhatIfStageResult r = WhatIfStage(db, plan_id, whatif);
  SweepScenario s;
  s.changes = changes;
  for (const std::string& c : changes) s.label += (s.label.empty() ? "" : " ") + c;
  if (s.label.empty()) s.label = "as planned";
  s.feasible = r.changed.feasible;
  s.reason = r.changed.reason;
  s.budget_usd_per_month = r.changed.budget_usd_per_month;
  for (const planner::TaskClassSpec& c : r.changed_workload.classes) {
    s.class_names.push_back(c.name);
    s.slo_p95_s.push_back(c.slo_p95_s);
  }
  s.workload_json = planner::ToJson(r.changed_workload).dump();
  s.workload = std::move(r.changed_workload);
  s.plan = std::move(r.changed);
  return s;
}

// The systems a class's chosen options run on: the only ones whose options a draw needs to re-score.
std::vector<std::string> ChosenSystems(const planner::PlanResult& plan, std::size_t class_index) {
  std::set<std::string> systems;
  for (const planner::BucketPlan& b : plan.buckets) {
    if (b.class_index != class_index) continue;
    for (const planner::ChosenShare& s : b.shares) systems.insert(s.setting.system);
  }
  return {systems.begin(), systems.end()};
}

// The class's candidates with the chosen ones re-scored on `curves` (matched by setting); `kept` counts chosen
// options the drawn curves could not score (they keep their fitted figures).
// A proxy bucket's transfer error is drawn with the curves (ProxyTransferNormals), as the plan widens its band for it.
std::shared_ptr<planner::ClassCandidates> RescoreClass(const SweepScenario& sc, std::size_t ci, const CurveSet& curves,
                                                       const std::vector<Run>& runs, const PreparedSweep& sweep,
                                                       long draw, long* kept) {
  auto fresh = std::make_shared<planner::ClassCandidates>(*sc.plan.candidates[ci]);
  planner::TaskClassSpec task_class = sc.workload.classes[ci];
  task_class.systems = ChosenSystems(sc.plan, ci);
  planner::OptionsConfig config;
  config.proxy_sigma_logit = sweep.options.proxy_sigma_logit;
  config.proxy_transfer_z = ProxyTransferNormals(sweep.options.seed, static_cast<uint64_t>(draw),
                                                 static_cast<uint32_t>(ci), task_class.buckets.size());
  std::vector<std::string> notes;
  const std::vector<planner::Candidate> drawn = planner::GenerateCandidates(
      sc.workload, task_class, curves, runs, sweep.inputs->inputs.catalogues, config, &notes);
  std::map<std::string, std::size_t> by_key;
  for (std::size_t i = 0; i < drawn.size(); ++i) by_key.emplace(drawn[i].setting.Key(), i);
  for (const planner::BucketPlan& b : sc.plan.buckets) {
    if (b.class_index != ci) continue;
    for (const planner::ChosenShare& share : b.shares) {
      planner::Candidate& target = fresh->candidates[share.candidate];
      const auto it = by_key.find(target.setting.Key());
      if (it == by_key.end()) {
        ++*kept;
        continue;
      }
      target.per_bucket = drawn[it->second].per_bucket;
    }
  }
  return fresh;
}

// The scenario's plan with each chosen option's accuracy and thinking tokens re-scored on `curves`: per true
// bucket (what the simulator reads) and mixed over the true buckets routed to it, as the planner mixes them. Its
// allocation, fleet and planned totals stay as planned: they are the promise the draw is checked against.
planner::PlanResult RescoreChosenOptions(const SweepScenario& sc, const CurveSet& curves,
                                         const std::vector<Run>& runs, const PreparedSweep& sweep, long draw,
                                         long* kept) {
  planner::PlanResult plan = sc.plan;
  for (std::size_t ci = 0; ci < plan.candidates.size() && ci < sc.workload.classes.size(); ++ci) {
    if (plan.candidates[ci]) plan.candidates[ci] = RescoreClass(sc, ci, curves, runs, sweep, draw, kept);
  }
  for (planner::BucketPlan& b : plan.buckets) {
    if (b.class_index >= plan.candidates.size() || !plan.candidates[b.class_index]) continue;
    const planner::RoutedBucket routed{b.bucket, b.mass, b.weights};
    for (planner::ChosenShare& share : b.shares) {
      const std::vector<planner::RoutedOption> mixed =
          planner::MixOptions({plan.candidates[b.class_index]->candidates[share.candidate]}, routed, 0.0);
      if (mixed.empty()) continue;
      const planner::Figures& f = mixed.front().figures;
      share.figures.accuracy = f.accuracy;
      share.figures.interval = f.interval;
      share.figures.thinking_tokens = f.thinking_tokens;
      share.figures.thinking_tokens_p95 = f.thinking_tokens_p95;
    }
  }
  return plan;
}

DrawOutcome OutcomeOf(const SweepScenario& sc, std::size_t scenario, long draw, const sim::FleetSummary& r) {
  DrawOutcome o;
  o.scenario = static_cast<uint32_t>(scenario);
  o.draw = static_cast<uint32_t>(draw);
  o.accuracy = r.accuracy;
  o.usd_per_month = r.usd_per_month + sc.plan.training_usd_per_month;
  o.slo_miss_fraction = r.slo_miss_fraction;
  for (const sim::ClassOutcome& c : r.classes) {
    o.class_accuracy.push_back(c.accuracy);
    o.class_p95_s.push_back(c.unserved > 0 ? std::numeric_limits<double>::infinity() : c.latency_s.p95);
    o.class_slo_miss_fraction.push_back(c.slo_miss_fraction);
  }
  return o;
}

bool MeetsSlo(const DrawOutcome& o, std::size_t c, double slo_p95_s) {
  return slo_p95_s <= 0 || o.class_slo_miss_fraction[c] <= kSloMissAllowed;
}

ClassRisk ClassRiskOf(const SweepScenario& sc, std::size_t c, const std::vector<const DrawOutcome*>& draws) {
  ClassRisk risk;
  risk.name = sc.class_names[c];
  risk.slo_p95_s = sc.slo_p95_s[c];
  std::vector<double> accuracy, p95, miss;
  long met = 0;
  for (const DrawOutcome* o : draws) {
    accuracy.push_back(o->class_accuracy[c]);
    p95.push_back(o->class_p95_s[c]);
    miss.push_back(o->class_slo_miss_fraction[c]);
    met += MeetsSlo(*o, c, risk.slo_p95_s) ? 1 : 0;
  }
  risk.accuracy = Distribution::Of(accuracy);
  risk.p95_s = Distribution::Of(p95);
  risk.slo_miss_fraction = Distribution::Of(miss);
  if (risk.slo_p95_s > 0) risk.meets_slo = Probability::Of(met, static_cast<long>(draws.size()));
  return risk;
}

ScenarioRisk ScenarioRiskOf(const SweepScenario& sc, const std::vector<const DrawOutcome*>& draws) {
  ScenarioRisk risk;
  risk.label = sc.label;
  risk.changes = sc.changes;
  risk.feasible = sc.feasible;
  risk.reason = sc.reason;
  risk.budget_usd_per_month = sc.budget_usd_per_month;
  if (!sc.feasible) return risk;
  risk.planned_accuracy = sc.plan.accuracy;
  risk.planned_usd_per_month = sc.plan.inference_usd_per_month + sc.plan.training_usd_per_month;
  std::vector<double> accuracy, usd, miss;
  long budget_met = 0, slos_met = 0, all_met = 0;
  const long n = static_cast<long>(draws.size());
  for (const DrawOutcome* o : draws) {
    accuracy.push_back(o->accuracy);
    usd.push_back(o->usd_per_month);
    miss.push_back(o->slo_miss_fraction);
    const bool budget = !sc.budget_usd_per_month || o->usd_per_month <= *sc.budget_usd_per_month;
    bool slos = true;
    for (std::size_t c = 0; c < sc.class_names.size(); ++c) slos = slos && MeetsSlo(*o, c, sc.slo_p95_s[c]);
    budget_met += budget;
    slos_met += slos;
    all_met += budget && slos;
  }
  risk.accuracy = Distribution::Of(accuracy);
  risk.usd_per_month = Distribution::Of(usd);
  risk.slo_miss_fraction = Distribution::Of(miss);
  for (std::size_t c = 0; c < sc.class_names.size(); ++c) risk.classes.push_back(ClassRiskOf(sc, c, draws));
  if (sc.budget_usd_per_month) risk.within_budget = Probability::Of(budget_met, n);
  risk.meets_all_slos = Probability::Of(slos_met, n);
  risk.meets_all = Probability::Of(all_met, n);
  return risk;
}

json DistributionJson(const Distribution& d) {
  return {{"mean", Finite(d.mean)}, {"p5", Finite(d.p5)}, {"p50", Finite(d.p50)}, {"p95", Finite(d.p95)}};
}

json ProbabilityJson(const std::optional<Probability>& p) {
  if (!p) return nullptr;
  return {{"value", p->value}, {"standard_error", p->standard_error}, {"low", p->wilson.lower},
          {"high", p->wilson.upper}, {"successes", p->successes}, {"trials", p->trials}};
}

json ScenarioJson(const ScenarioRisk& s) {
  json j = {{"label", s.label}, {"changes", s.changes}, {"feasible", s.feasible}};
  if (!s.feasible) {
    j["reason"] = s.reason;
    return j;
  }
  j["planned_accuracy"] = s.planned_accuracy;
  j["planned_usd_per_month"] = s.planned_usd_per_month;
  j["budget_usd_per_month"] = s.budget_usd_per_month ? json(*s.budget_usd_per_month) : json(nullptr);
  j["accuracy"] = DistributionJson(s.accuracy);
  j["usd_per_month"] = DistributionJson(s.usd_per_month);
  j["slo_miss_fraction"] = DistributionJson(s.slo_miss_fraction);
  j["within_budget"] = ProbabilityJson(s.within_budget);
  j["meets_all_slos"] = ProbabilityJson(s.meets_all_slos);
  j["meets_all"] = ProbabilityJson(s.meets_all);
  j["classes"] = json::array();
  for (const ClassRisk& c : s.classes) {
    j["classes"].push_back({{"name", c.name}, {"slo_p95_s", c.slo_p95_s}, {"accuracy", DistributionJson(c.accuracy)},
                            {"p95_s", DistributionJson(c.p95_s)},
                            {"slo_miss_fraction", DistributionJson(c.slo_miss_fraction)},
                            {"meets_slo", ProbabilityJson(c.meets_slo)}});
  }
  return j;
}

std::string ProbabilityText(const std::optional<Probability>& p) {
  if (!p) return "-";
  return fmt::format("{} ± {} {}", Percent(p->value), Percent(p->standard_error),
                     PercentInterval(p->wilson.lower, p->wilson.upper));
}

std::string SecondsText(double s) { return std::isfinite(s) ? fmt::format("{:.1f}", s) : std::string("unbounded"); }

}  // namespace

bool SweepOptions::IsValid(std::string* error) const {
  if (draws < 1 || draws > 10'000'000) {
    *error = fmt::format("draws must be in [1, 1e7], not {}", draws);
    return false;
  }
  if (!(days > 0) || !std::isfinite(days)) {
    *error = "days must be a positive number";
    return false;
  }
  if (threads < 0) {
    *error = "threads must be >= 0 (0: all hardware threads)";
    return false;
  }
  if (!(max_queries > 0) || !(max_samples > 0)) {
    *error = "max_queries and max_samples must be positive";
    return false;
  }
  if (proxy_sigma_logit && !(*proxy_sigma_logit >= 0 && std::isfinite(*proxy_sigma_logit))) {
    *error = "proxy_sigma_logit must be a finite number >= 0";
    return false;
  }
  return true;
}

std::vector<std::string> GridValues(const std::string& entry) {
  const std::size_t eq = entry.find('=');
  if (eq == std::string::npos || eq == 0) throw UsageError("--set '" + entry + "' must be KEY=VALUE[,VALUE...]");
  const std::string key = entry.substr(0, eq);
  std::vector<std::string> out;
  std::string rest = entry.substr(eq + 1);
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = rest.find(',', start);
    const std::string value = rest.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (value.empty()) throw UsageError("--set '" + entry + "': an empty value (values are separated by commas)");
    out.push_back(key + "=" + value);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::vector<std::vector<std::string>> GridPoints(const std::vector<std::string>& grid) {
  std::vector<std::vector<std::string>> points = {{}};
  for (const std::string& entry : grid) {
    std::vector<std::vector<std::string>> next;
    const std::vector<std::string> values = GridValues(entry);
    for (const auto& point : points) {
      for (const std::string& value : values) {
        next.push_back(point);
        next.back().push_back(value);
      }
    }
    points = std::move(next);
  }
  return points;
}

PreparedSweep PrepareSweep(store::Database& db, long plan_id,
                           const SweepOptions& options) {
  std::string error;
  if (!options.IsValid(&error)) throw UsageError("sweep: " + error);
  const store::StoredPlan stored = store::LoadPlan(db, plan_id);
  PreparedSweep sweep;
  sweep.plan_id = plan_id;
  sweep.options = options;
  for (const std::vector<std::string>& point : GridPoints(options.grid)) {
    sweep.scenarios.push_back(PlanScenario(db, plan_id, point));
  }
  sweep.inputs = LoadPlanInputs(db, sweep.scenarios.front().workload);
  if (sweep.inputs->curves.fits_hash != stored.fits_hash) {
    sweep.notes.push_back(fmt::format("the fits have changed since plan {} was made: every scenario is planned on the "
                                      "current fits", plan_id));
  }
  return sweep;
}

DrawOutcome EvaluateDraw(const PreparedSweep& sweep, std::size_t scenario, long draw) {
  const SweepScenario& sc = sweep.scenarios[scenario];
  CurveDrawCounts counts;
  const CurveSet curves = DrawCurveSet(sweep.inputs->curves, sweep.options.seed, static_cast<uint64_t>(draw), &counts);
  const std::vector<Run> runs = DrawRuns(sweep.inputs->inputs.runs, sweep.options.seed, static_cast<uint64_t>(draw));
  long kept = 0;
  const planner::PlanResult plan = RescoreChosenOptions(sc, curves, runs, sweep, draw, &kept);
  store::StoredPlan stored;
  stored.id = sweep.plan_id;
  stored.workload_json = sc.workload_json;
  stored.plan_json = plan.ToJson().dump();
  const BuiltScenario built = BuildScenario(stored, {}, sweep.inputs->inputs.catalogues);
  sim::FleetOptions fleet;
  fleet.seed = SimulationSeed(sweep.options.seed, scenario, draw);
  fleet.days = sweep.options.days;
  fleet.threads = 1;  // the sweep's threads run draws side by side
  fleet.max_queries = sweep.options.max_queries;
  fleet.max_sequences = sweep.options.max_samples;
  DrawOutcome o = OutcomeOf(sc, scenario, draw, sim::SimulateFleet(built.scenario, fleet));
  o.curves_drawn = counts.drawn;
  o.curves_fixed = counts.fixed;
  o.options_kept = kept;
  return o;
}

SweepPartial RunSweepShard(const PreparedSweep& sweep, int shard_index, int shard_count, const ShardHooks& hooks) {
  if (shard_count < 1 || shard_index < 0 || shard_index >= shard_count) {
    throw InternalError(fmt::format("sweep shard {} of {} does not exist", shard_index, shard_count));
  }
  SweepPartial partial;
  const auto draws = static_cast<std::size_t>(sweep.options.draws);
  for (std::size_t i = static_cast<std::size_t>(shard_index); i < sweep.items(); i += static_cast<std::size_t>(shard_count)) {
    if (hooks.stop && *hooks.stop) break;
    const std::size_t scenario = i / draws;
    if (sweep.scenarios[scenario].feasible) {
      partial.outcomes.push_back(EvaluateDraw(sweep, scenario, static_cast<long>(i % draws)));
    }
    if (hooks.item_done) hooks.item_done();
  }
  return partial;
}

std::vector<SweepPartial> RunSweepShardsOnThreads(const PreparedSweep& sweep, int first_shard, int threads,
                                                  int shard_count, const std::function<void()>& item_done) {
  std::vector<SweepPartial> partials(static_cast<std::size_t>(threads));
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::exception_ptr failure;
  const auto run = [&](int thread) {
    try {
      ShardHooks hooks;
      hooks.stop = &stop;
      hooks.item_done = [&] {
        const std::lock_guard<std::mutex> lock(mutex);
        if (item_done) item_done();
      };
      partials[static_cast<std::size_t>(thread)] = RunSweepShard(sweep, first_shard + thread, shard_count, hooks);
    } catch (...) {
      const std::lock_guard<std::mutex> lock(mutex);
      if (!failure) failure = std::current_exception();
      stop = true;
    }
  };
  std::vector<std::thread> workers;
  for (int thread = 1; thread < threads; ++thread) workers.emplace_back(run, thread);
  run(0);
  for (std::thread& w : workers) w.join();
  if (failure) std::rethrow_exception(failure);
  return partials;
}

SweepPartial MergeSweepPartials(std::vector<SweepPartial> partials) {
  SweepPartial merged;
  for (SweepPartial& p : partials) {
    for (DrawOutcome& o : p.outcomes) merged.outcomes.push_back(std::move(o));
  }
  const auto order = [](const DrawOutcome& a, const DrawOutcome& b) {
    return std::tie(a.scenario, a.draw) < std::tie(b.scenario, b.draw);
  };
  std::sort(merged.outcomes.begin(), merged.outcomes.end(), order);
  for (std::size_t i = 1; i < merged.outcomes.size(); ++i) {
    if (!order(merged.outcomes[i - 1], merged.outcomes[i])) {
      throw InternalError(fmt::format("sweep merge: scenario {} draw {} is in two partials", merged.outcomes[i].scenario,
                                      merged.outcomes[i].draw));
    }
  }
  return merged;
}

json SweepPartial::ToJson() const {
  json out = json::array();
  for (const DrawOutcome& o : outcomes) {
    json p95 = json::array();
    for (double x : o.class_p95_s) p95.push_back(Finite(x));
    out.push_back({{"scenario", o.scenario}, {"draw", o.draw}, {"accuracy", o.accuracy},
                   {"usd_per_month", o.usd_per_month}, {"slo_miss_fraction", o.slo_miss_fraction},
                   {"class_accuracy", o.class_accuracy}, {"class_p95_s", p95},
                   {"class_slo_miss_fraction", o.class_slo_miss_fraction}, {"curves_drawn", o.curves_drawn},
                   {"curves_fixed", o.curves_fixed}, {"options_kept", o.options_kept}});
  }
  return out;
}

SweepPartial SweepPartial::FromJson(const json& j) {
  SweepPartial p;
  for (const json& x : j) {
    DrawOutcome o;
    o.scenario = x.at("scenario").get<uint32_t>();
    o.draw = x.at("draw").get<uint32_t>();
    o.accuracy = x.at("accuracy").get<double>();
    o.usd_per_month = x.at("usd_per_month").get<double>();
    o.slo_miss_fraction = x.at("slo_miss_fraction").get<double>();
    o.class_accuracy = x.at("class_accuracy").get<std::vector<double>>();
    for (const json& v : x.at("class_p95_s")) o.class_p95_s.push_back(FiniteOr(v, std::numeric_limits<double>::infinity()));
    o.class_slo_miss_fraction = x.at("class_slo_miss_fraction").get<std::vector<double>>();
    o.curves_drawn = x.at("curves_drawn").get<long>();
    o.curves_fixed = x.at("curves_fixed").get<long>();
    o.options_kept = x.at("options_kept").get<long>();
    p.outcomes.push_back(std::move(o));
  }
  return p;
}

Distribution Distribution::Of(const std::vector<double>& values) {
  Distribution d;
  if (values.empty()) return d;
  double sum = 0;
  for (double v : values) sum += v;
  d.mean = sum / static_cast<double>(values.size());
  d.p5 = SampleQuantile(values, 0.05);
  d.p50 = SampleQuantile(values, 0.50);
  d.p95 = SampleQuantile(values, 0.95);
  return d;
}

Probability Probability::Of(long successes, long trials) {
  Probability p;
  p.successes = successes;
  p.trials = trials;
  if (trials <= 0) {
    p.wilson = {0, 1};
    return p;
  }
  p.value = static_cast<double>(successes) / static_cast<double>(trials);
  p.standard_error = std::sqrt(p.value * (1 - p.value) / static_cast<double>(trials));
  p.wilson = WilsonInterval(static_cast<double>(successes), static_cast<double>(trials), 0.95);
  return p;
}

std::string_view ToString(SweepStatus status) {
  switch (status) {
    case SweepStatus::kOk: return "ok";
    case SweepStatus::kSomeInfeasible: return "some scenarios infeasible";
    case SweepStatus::kNoneFeasible: return "no scenario feasible";
  }
  return "unknown";
}

SweepSummary SummariseSweep(const PreparedSweep& sweep, const SweepPartial& merged) {
  SweepSummary s;
  s.plan_id = sweep.plan_id;
  s.seed = sweep.options.seed;
  s.draws = sweep.options.draws;
  s.days = sweep.options.days;
  s.grid = sweep.options.grid;
  s.notes = sweep.notes;
  std::vector<std::vector<const DrawOutcome*>> by_scenario(sweep.scenarios.size());
  long drawn = 0, fixed = 0, kept = 0;
  for (const DrawOutcome& o : merged.outcomes) {
    by_scenario.at(o.scenario).push_back(&o);
    drawn = std::max(drawn, o.curves_drawn);
    fixed = std::max(fixed, o.curves_fixed);
    kept += o.options_kept;
  }
  std::size_t feasible = 0;
  for (std::size_t i = 0; i < sweep.scenarios.size(); ++i) {
    s.scenarios.push_back(ScenarioRiskOf(sweep.scenarios[i], by_scenario[i]));
    feasible += sweep.scenarios[i].feasible;
  }
  s.status = feasible == sweep.scenarios.size() ? SweepStatus::kOk
             : feasible == 0                   ? SweepStatus::kNoneFeasible
                                               : SweepStatus::kSomeInfeasible;
  s.notes.push_back(fmt::format("posterior: {} fitted curve(s) drawn per draw; {} kept at their estimate (no usable "
                                "covariance); every stored run's accuracy is drawn from its Jeffreys posterior; majority-vote rho, "
                                "coverage laws and training surfaces are not drawn",
                                drawn, fixed));
  long proxies = 0;
  for (const planner::TaskClassSpec& c : sweep.scenarios.front().workload.classes) {
    for (const planner::BucketSpec& b : c.buckets) proxies += b.proxy;
  }
  if (proxies > 0) {
    s.notes.push_back(
        sweep.options.proxy_sigma_logit
            ? fmt::format("{} proxy bucket(s): each draw also draws the transfer error, normal on the logit scale with "
                          "sd {:.4f} as set", proxies, *sweep.options.proxy_sigma_logit)
            : fmt::format("{} proxy bucket(s): each draw also draws the transfer error, normal on the logit scale with "
                          "the sd the plan widens its interval by (measured from the stored runs)", proxies));
  }
  if (kept > 0) {
    s.notes.push_back(fmt::format("{} chosen option(s) over all draws could not be re-scored on the drawn curves "
                                  "and kept their fitted figures", kept));
  }
  return s;
}

json SweepSummary::ToJson() const {
  json j = {{"plan_id", plan_id}, {"seed", seed}, {"draws", draws}, {"days", days}, {"grid", grid},
            {"status", std::string(pipeline::ToString(status))}, {"threads", threads}, {"wall_s", wall_s},
            {"slo_rule", "a class meets its SLO in a draw when at most 5% of its simulated queries exceed its p95 bound"},
            {"notes", notes}};
  j["id"] = id ? json(*id) : json(nullptr);
  j["scenarios"] = json::array();
  for (const ScenarioRisk& s : scenarios) j["scenarios"].push_back(ScenarioJson(s));
  return j;
}

std::string SweepSummary::BriefReport() const {
  std::string out = fmt::format("sweep{} of plan {}: {} scenario(s) x {} draw(s), {} day(s) each, {}", 
                                id ? fmt::format(" {}", *id) : std::string(), plan_id, scenarios.size(), draws, days,
                                pipeline::ToString(status));
  return out;
}

std::string SweepSummary::FullReport() const {
  std::ostringstream out;
  out << BriefReport() << fmt::format(", seed {}, {:.1f} s on {} thread(s)\n\n", seed, wall_s, threads);
  TextTable table({{"scenario"}, {"accuracy p5-p95", TextTable::Align::kRight}, {"$/month p50", TextTable::Align::kRight},
                   {"$/month p5-p95", TextTable::Align::kRight}, {"P(within budget)", TextTable::Align::kRight},
                   {"P(all SLOs)", TextTable::Align::kRight}, {"P(both)", TextTable::Align::kRight}});
  for (const ScenarioRisk& s : scenarios) {
    if (!s.feasible) {
      table.AddRow({s.label, "infeasible", "", "", "", "", ""});
      continue;
    }
    table.AddRow({s.label, PercentInterval(s.accuracy.p5, s.accuracy.p95), Usd(s.usd_per_month.p50),
                  Usd(s.usd_per_month.p5) + " - " + Usd(s.usd_per_month.p95), ProbabilityText(s.within_budget),
                  ProbabilityText(s.meets_all_slos), ProbabilityText(s.meets_all)});
  }
  table.Print(out);
  for (const ScenarioRisk& s : scenarios) {
    out << "\n" << s.label;
    if (!s.feasible) {
      out << ": infeasible: " << s.reason << "\n";
      continue;
    }
    out << fmt::format(" (planned accuracy {}, spend {}{})\n", Percent(s.planned_accuracy), UsdPerMonth(s.planned_usd_per_month),
                       s.budget_usd_per_month ? ", budget " + UsdPerMonth(*s.budget_usd_per_month) : std::string());
    TextTable classes({{"class"}, {"accuracy p50", TextTable::Align::kRight}, {"p95 s: p5", TextTable::Align::kRight},
                       {"p50", TextTable::Align::kRight}, {"p95", TextTable::Align::kRight}, {"SLO s", TextTable::Align::kRight},
                       {"over SLO p95", TextTable::Align::kRight}, {"P(meets SLO)", TextTable::Align::kRight}});
    for (const ClassRisk& c : s.classes) {
      classes.AddRow({c.name, Percent(c.accuracy.p50), SecondsText(c.p95_s.p5), SecondsText(c.p95_s.p50),
                      SecondsText(c.p95_s.p95), c.slo_p95_s > 0 ? fmt::format("{:.0f}", c.slo_p95_s) : "-",
                      Percent(c.slo_miss_fraction.p95), ProbabilityText(c.meets_slo)});
    }
    classes.Print(out);
  }
  out << "\nprobabilities: share of draws, ± binomial standard error, [95% Wilson interval]\n";
  for (const std::string& n : notes) out << "note: " << n << "\n";
  return out.str();
}

SweepSummary SweepStage(store::Database& db, long plan_id, const SweepOptions& options, std::ostream* progress,
                        const std::function<void()>& item_done, const SweepHooks& hooks) {
  const Stopwatch stopwatch;
  const PreparedSweep sweep = PrepareSweep(db, plan_id, options);
  const int hardware = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = static_cast<int>(std::clamp<std::size_t>(options.threads > 0 ? options.threads : hardware, 1,
                                                               std::max<std::size_t>(sweep.items(), 1)));
  std::unique_ptr<Progress> bar;
  if (progress) bar = std::make_unique<Progress>(*progress, "sweeping", sweep.items(), true);
  std::size_t done = 0;
  const auto on_item = [&] {
    ++done;
    if (bar) bar->Update(done);
    if (item_done) item_done();
  };
  const SweepPartial merged = hooks.runner ? hooks.runner(sweep, threads, on_item)
                                           : MergeSweepPartials(RunSweepShardsOnThreads(sweep, 0, threads, threads, on_item));
  SweepSummary summary = SummariseSweep(sweep, merged);
  if (bar) bar->Finish();
  summary.threads = threads;
  summary.wall_s = stopwatch.Seconds();
  if (options.store && hooks.store && summary.status != SweepStatus::kNoneFeasible) {
    store::StoredSweep stored;
    stored.plan_id = plan_id;
    stored.seed = options.seed;
    stored.draws = options.draws;
    stored.scenarios = static_cast<long>(summary.scenarios.size());
    stored.body = summary.ToJson().dump();
    summary.id = store::SaveSweep(db, stored);
  }
  return summary;
}

}  // namespace thinkplan::pipeline
