#include "pipeline/simulate_scenario.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/curves.h"
#include "core/difficulty.h"
#include "core/errors.h"
#include "core/fleet_model.h"
#include "core/special_functions.h"
#include "planner/options.h"
#include "planner/workload.h"

namespace thinkplan::pipeline {
namespace {

using nlohmann::json;

// Default spread of per-problem difficulty where the plan carries no fitted one (no per-problem data for the
// option's key, or a plan stored before plans carried it): Beta with a + b = 2 (a uniform difficulty at accuracy
// 1/2), at the mean that reproduces the option's planned accuracy.
constexpr double kConcentration = 2.0;

std::string PlanField(long plan_id, const std::string& field) { return fmt::format("plan {}: {}", plan_id, field); }

double Number(const json& j, const char* key, double fallback = 0) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : fallback;
}

// How the option's samples are combined, in the Monte Carlo engine's terms.
sim::McAggregation McKind(const Aggregation& aggregation, double d_prime) {
  switch (aggregation.kind) {
    case AggregationKind::kPass1: return sim::McAggregation::kPass1;
    case AggregationKind::kPassAt: return sim::McAggregation::kPassAt;
    case AggregationKind::kConsensus: return sim::McAggregation::kConsensus;
    case AggregationKind::kBestOf: return std::isfinite(d_prime) ? sim::McAggregation::kBestOf : sim::McAggregation::kPassAt;
  }
  return sim::McAggregation::kPass1;
}

// The Monte Carlo engine's per-problem spec of an option with difficulty Beta(a, b).
sim::McProblemSpec ProblemSpec(double a, double b, const Aggregation& aggregation, double d_prime, double rho) {
  sim::McProblemSpec spec;
  spec.beta_a = a;
  spec.beta_b = b;
  spec.samples = static_cast<int>(aggregation.kind == AggregationKind::kPass1 ? 1 : aggregation.k);
  spec.aggregation = McKind(aggregation, d_prime);
  spec.dprime = std::isfinite(d_prime) ? d_prime : 0.0;
  spec.rho = rho;
  return spec;
}

// How many options (per true bucket) draw from a fitted distribution, from the stated default, or from the
// default because the stored plan predates carried distributions: the scenario's note reports them.
struct DrawSources {
  long fitted = 0, no_fit = 0, not_stored = 0;
  std::set<std::string> fits;
};

// An option's correctness on one true bucket: drawn from the difficulty distribution the plan carries (`figures`'
// "difficulty"), else from the default spread at the mean that reproduces the planned accuracy.
sim::McProblemSpec CorrectnessOf(const json& figures, double accuracy, const Aggregation& aggregation, double d_prime,
                                 DrawSources& sources) {
  const json difficulty = figures.value("difficulty", json());
  if (difficulty.is_object() && difficulty.value("family", "") == ToString(DifficultyFamily::kLogitNormal)) {
    const double mu = Number(difficulty, "mu", NAN), sigma = Number(difficulty, "sigma", NAN);
    if (std::isfinite(mu) && sigma > 0 && std::isfinite(sigma)) {
      ++sources.fitted;
      sources.fits.insert(difficulty.value("source", ""));
      sim::McProblemSpec spec =
          ProblemSpec(1, 1, aggregation, d_prime, Number(difficulty, "rho", planner::kDefaultRho));
      spec.family = sim::McDifficulty::kLogitNormal;
      spec.logit_mu = mu;
      spec.logit_sigma = sigma;
      return spec;
    }
  }
  if (difficulty.is_object() && difficulty.contains("a") && difficulty.contains("b")) {
    const double a = Number(difficulty, "a"), b = Number(difficulty, "b");
    if (a > 0 && b > 0 && std::isfinite(a) && std::isfinite(b)) {
      ++sources.fitted;
      sources.fits.insert(difficulty.value("source", ""));
      return ProblemSpec(a, b, aggregation, d_prime, Number(difficulty, "rho", planner::kDefaultRho));
    }
  }
  ++(difficulty.is_object() ? sources.no_fit : sources.not_stored);
  return CorrectnessMatching(accuracy, aggregation, d_prime, planner::kDefaultRho, kConcentration);
}

sim::FleetSystem ApiSystem(const planner::SystemSpec& spec) {
  sim::FleetSystem s;
  s.name = spec.name;
  s.api = true;
  s.ttft_s = spec.ttft_s;
  s.output_tokens_per_s = spec.output_tokens_per_s;
  return s;
}

sim::FleetSystem SelfHostedSystem(long plan_id, const planner::SystemSpec& spec, const planner::Catalogues& catalogues,
                                  const json& capacity, const std::map<std::string, long>& devices,
                                  std::vector<std::string>& notes) {
  const ModelShape* shape = catalogues.models.Find(spec.model);
  const HardwareInfo* card = catalogues.FindHardware(spec.hardware);
  if (!shape) throw InputError(PlanField(plan_id, "system " + spec.name) + ": model '" + spec.model + "' is not in the stored model shapes (ingest it: thinkplan ingest models.csv)");
  if (!card) throw InputError(PlanField(plan_id, "system " + spec.name) + ": hardware '" + spec.hardware + "' is not in the stored hardware (ingest it: thinkplan ingest hardware.csv)");
  // The replica size the plan's configuration search chose (planner/capacity.h); the workload's own otherwise.
  long per_replica = spec.devices;
  const json* planned = nullptr;
  for (const json& line : capacity) {
    if (line.value("system", "") == spec.name) planned = &line;
  }
  if (planned) per_replica = planned->value("devices_per_replica", spec.devices);
  if (per_replica < 1) {
    throw InputError(PlanField(plan_id, "capacity " + spec.name + " devices_per_replica") + ": must be >= 1");
  }
  const EfficiencyChoice choice = ChooseEfficiency(catalogues.efficiencies, card->name, spec.framework, per_replica,
                                                   ToString(shape->weight_precision));
  const Efficiency& efficiency = choice.efficiency;
  notes.push_back(spec.name + ": serving rates " + DescribeEfficiencySource(choice, per_replica));
  sim::FleetSystem s;
  s.name = spec.name;
  s.api = false;
  s.hardware = card->name;
  s.model.emplace(*shape, RatesFromDatasheet(*card, per_replica, efficiency, shape->weight_precision));
  s.devices_per_replica = per_replica;
  s.usd_per_device_hour = spec.usd_per_device_hour.value_or(card->usd_per_hour.value_or(0.0));
  if (planned) {
    s.replicas = planned->value("replicas", 0L);
    s.planned_devices = planned->value("devices", 0L);
    // The batch limit the configuration search chose: the scheduler's max_num_seqs per replica, enforced beside
    // the KV cache (a plan stored before the search carried one runs at the scheduler's default).
    s.max_batch = planned->value("batch", kMaxNumSeqs);
    if (s.max_batch < 1) throw InputError(PlanField(plan_id, "capacity " + spec.name + " batch") + ": must be >= 1");
  }
  if (const auto it = devices.find(spec.name); it != devices.end()) {
    s.replicas = it->second / per_replica;
    if (it->second % per_replica != 0) {
      notes.push_back(fmt::format("{}: {} devices make {} whole replica(s) of {}; the remaining {} device(s) serve nothing",
                                  spec.name, it->second, s.replicas, per_replica, it->second % per_replica));
    }
  }
  return s;
}

// What each query's correctness was drawn from, in one note.
std::string CorrectnessNote(const DrawSources& draws) {
  std::string note = fmt::format(
      "correctness: each query's problem difficulty is drawn per the option and the bucket it truly belongs to (a "
      "misrouted query keeps its difficulty), then its samples and their aggregation; {} option figure(s) draw from "
      "the plan's fitted difficulty distribution",
      draws.fitted);
  if (draws.no_fit > 0) {
    note += fmt::format(", {} have no per-problem fit and draw from Beta with a + b = {} at the mean that reproduces "
                        "the planned accuracy (stated assumption)", draws.no_fit, kConcentration);
  }
  if (draws.not_stored > 0) {
    note += fmt::format(", {} come from a plan stored before plans carried their distributions and draw from Beta "
                        "with a + b = {} at the mean that reproduces the planned accuracy (re-plan to draw from the fits)",
                        draws.not_stored, kConcentration);
  }
  for (const std::string& fit : draws.fits) note += "; " + fit;
  return note;
}

}  // namespace

sim::McProblemSpec CorrectnessMatching(double accuracy, const Aggregation& aggregation, double d_prime, double rho,
                                       double concentration) {
  const BetaDifficulty shape{concentration / 2, concentration / 2, {}, {}};
  const BetaDifficulty beta = planner::BetaForAccuracy(shape, accuracy, aggregation, d_prime, rho);
  return ProblemSpec(beta.a, beta.b, aggregation, d_prime, rho);
}

sim::TokenDraw TokensFromMeanAndP95(double mean, double p95, double cap, double answer_tokens) {
  sim::TokenDraw draw;
  draw.answer_tokens = answer_tokens;
  draw.cap = cap;
  // The same LogNormal the planner sizes its replicas on (core/fleet_model.h).
  const ThinkingLength length = ThinkingLength::FromMeanAndP95(mean, p95, cap);
  if (length.none) return draw;
  draw.kind = sim::TokenDraw::Kind::kLogNormal;
  draw.sigma = length.sigma;
  draw.mu = length.mu;
  return draw;
}

BuiltScenario BuildScenario(const store::StoredPlan& plan, const std::map<std::string, long>& devices,
                            const planner::Catalogues& catalogues) {
  const json body = json::parse(plan.plan_json);
  if (!body.value("feasible", false)) {
    throw InputError(PlanField(plan.id, "feasible") + " is false: " + body.value("reason", "") + "; there is nothing to simulate");
  }
  const planner::Workload workload = planner::ParseWorkload(json::parse(plan.workload_json), fmt::format("plan {} workload", plan.id));
  BuiltScenario out;
  sim::FleetScenario& s = out.scenario;
  s.days_per_month = workload.days_per_month;
  s.planned_accuracy = Number(body, "accuracy");
  if (body.contains("accuracy_interval") && body["accuracy_interval"].size() == 2) {
    s.planned_interval = {body["accuracy_interval"][0].get<double>(), body["accuracy_interval"][1].get<double>()};
  }
  s.planned_usd_per_month = Number(body, "inference_usd_per_month");
  double self_hosted_serving = 0;  // the plan's per-query price of self-hosted serving, summed over the month

  DrawSources draws;
  std::map<std::string, int> system_index;
  auto system_of = [&](const std::string& name) {
    if (const auto it = system_index.find(name); it != system_index.end()) return it->second;
    const planner::SystemSpec* spec = workload.FindSystem(name);
    if (!spec) throw InputError(PlanField(plan.id, "allocation") + ": system '" + name + "' is not in the plan's workload");
    s.systems.push_back(spec->kind == planner::SystemKind::kApi
                            ? ApiSystem(*spec)
                            : SelfHostedSystem(plan.id, *spec, catalogues, body.value("capacity", json::array()), devices, out.notes));
    const int index = static_cast<int>(s.systems.size()) - 1;
    system_index[name] = index;
    return index;
  };

  for (const planner::TaskClassSpec& c : workload.classes) {
    sim::FleetClass fc;
    fc.name = c.name;
    fc.daily_volume = c.daily_volume;
    fc.prompt_tokens = c.prompt_tokens;
    fc.slo_p95_s = c.slo_p95_s;
    fc.value_usd = c.value_usd;
    fc.hourly_profile = sim::HourlyProfile(c.peak_factor);
    for (const planner::BucketSpec& b : c.buckets) fc.true_shares.push_back(b.share);
    if (c.router && c.buckets.size() > 1) fc.confusion = c.router->confusion;
    if (c.buckets.size() > 1 && !c.router) {
      // Without a router the class gets one choice: every true bucket lands on the plan's single routed bucket.
      fc.confusion.assign(c.buckets.size(), std::vector<double>(c.buckets.size(), 0.0));
      for (auto& row : fc.confusion) row[0] = 1.0;
    }
    for (const planner::BucketSpec& b : c.buckets) fc.buckets.push_back({b.name, {}});
    for (const json& cls : body.value("classes", json::array())) {
      if (cls.value("name", "") != c.name) continue;
      fc.planned_accuracy = Number(cls, "accuracy");
      if (cls.contains("accuracy_interval") && cls["accuracy_interval"].size() == 2) {
        fc.planned_interval = {cls["accuracy_interval"][0].get<double>(), cls["accuracy_interval"][1].get<double>()};
      }
      fc.planned_usd_per_month = Number(cls, "usd_per_month");
    }
    const double d_prime = c.verifier.perfect() ? std::numeric_limits<double>::infinity() : c.verifier.d_prime;
    for (const json& a : body.value("allocation", json::array())) {
      if (a.value("class", "") != c.name) continue;
      const std::string bucket = a.value("bucket", "");
      auto it = std::find_if(fc.buckets.begin(), fc.buckets.end(), [&](const sim::FleetBucket& fb) { return fb.name == bucket; });
      if (it == fc.buckets.end()) it = fc.buckets.begin();  // a class without a router is planned as one bucket
      for (const json& o : a.value("options", json::array())) {
        sim::FleetOption option;
        const std::string system = o.value("system", "");
        option.system = system_of(system);
        const std::string aggregation_text = o.value("aggregation", "pass@1");
        const std::optional<Aggregation> aggregation = Aggregation::Parse(aggregation_text);
        if (!aggregation) throw InputError(PlanField(plan.id, "allocation aggregation") + " '" + aggregation_text + "' is not understood");
        const int samples = static_cast<int>(aggregation->kind == AggregationKind::kPass1 ? 1 : aggregation->k);
        option.fraction = Number(o, "fraction", 1);
        option.planned_accuracy = Number(o, "accuracy");
        option.planned_usd_per_query = Number(o, "cost_usd_per_query");
        option.correctness = CorrectnessOf(o, option.planned_accuracy, *aggregation, d_prime, draws);
        const double cap = o.contains("budget_tokens") && o["budget_tokens"].is_number() ? o["budget_tokens"].get<double>()
                                                                                        : std::numeric_limits<double>::infinity();
        // The answer and prompt the plan scored the option with (a stored run's measurement, or the class's);
        // plans made before they were stored use the class's.
        const double answer_tokens = Number(o, "answer_tokens", c.answer_tokens);
        const double prompt_tokens = Number(o, "prompt_tokens", c.prompt_tokens);
        option.tokens = TokensFromMeanAndP95(Number(o, "thinking_tokens_mean"), Number(o, "thinking_tokens_p95"), cap, answer_tokens);
        // Per true bucket where the plan gives it (plans made before it did mix them): a misrouted query keeps
        // its own difficulty and thinking length.
        const json by_true = o.value("by_true_bucket", json::array());
        if (by_true.is_array() && by_true.size() == fc.true_shares.size() && by_true.size() > 1) {
          for (const json& t : by_true) {
            if (!t.is_object()) {  // traffic the plan does not route here: the mixed figures stand in
              option.correctness_by_true.push_back(option.correctness);
              option.tokens_by_true.push_back(option.tokens);
              continue;
            }
            option.correctness_by_true.push_back(CorrectnessOf(t, Number(t, "accuracy"), *aggregation, d_prime, draws));
            option.tokens_by_true.push_back(
                TokensFromMeanAndP95(Number(t, "thinking_tokens_mean"), Number(t, "thinking_tokens_p95"), cap, answer_tokens));
          }
        }
        option.label = fmt::format("{} {} {}", system, o.value("mode", ""), aggregation_text);
        const double verifier_usd = Number(o, "verifier_usd_per_query");
        const planner::SystemSpec* spec = workload.FindSystem(system);
        if (spec->kind == planner::SystemKind::kApi) {
          const SystemInfo* info = catalogues.FindSystem(spec->catalogue_name.empty() ? spec->name : spec->catalogue_name);
          const std::optional<double> in = spec->price_in_usd_per_mtok ? spec->price_in_usd_per_mtok
                                           : info ? info->price_in_usd_per_mtok : std::nullopt;
          const std::optional<double> out_price = spec->price_out_usd_per_mtok ? spec->price_out_usd_per_mtok
                                                  : info ? info->price_out_usd_per_mtok : std::nullopt;
          if (!in || !out_price) throw InputError(PlanField(plan.id, "system " + system) + ": no API price in the workload or catalogue");
          // The per-token rates the plan charged (cached-input share, a measured cost); plans made before they
          // were stored: the list prices.
          const double usd_per_input_token = Number(o, "usd_per_input_token", *in * 1e-6);
          option.usd_fixed_per_query = samples * usd_per_input_token * prompt_tokens + verifier_usd;
          option.usd_per_output_token = Number(o, "usd_per_output_token", *out_price * 1e-6);
        } else {
          option.usd_fixed_per_query = verifier_usd;
          self_hosted_serving += Number(a, "queries_per_month") * option.fraction * (option.planned_usd_per_query - verifier_usd);
        }
        it->options.push_back(option);
      }
    }
    for (std::size_t b = 0; b < fc.buckets.size(); ++b) {
      if (!fc.buckets[b].options.empty()) continue;
      // A routed bucket with no planned option receives no traffic in the plan; route it to the first bucket.
      const bool receives = std::any_of(fc.confusion.begin(), fc.confusion.end(), [&](const auto& row) { return row[b] > 0; }) ||
                            (fc.confusion.empty() && fc.true_shares[b] > 0);
      if (receives) {
        throw InputError(PlanField(plan.id, "allocation") + ": class " + c.name + " bucket " + fc.buckets[b].name + " has no option");
      }
      fc.buckets[b].options = fc.buckets[0].options;
    }
    s.classes.push_back(std::move(fc));
  }
  s.planned_paid_usd_per_month = s.planned_usd_per_month - self_hosted_serving + Number(body, "fleet_usd_per_month");
  // Plans price self-hosted queries at their provisioned fleet's cost, so the two agree; older plans did not.
  if (self_hosted_serving > 0 && std::abs(self_hosted_serving - Number(body, "fleet_usd_per_month")) > 0.01 * self_hosted_serving) {
    out.notes.push_back(fmt::format(
        "cost: the plan prices self-hosted queries at ${:.0f}/month but provisions a fleet costing ${:.0f}/month; "
        "the simulation charges the provisioned fleet, so it is compared with the plan's API spend plus its fleet: ${:.0f}/month",
        self_hosted_serving, Number(body, "fleet_usd_per_month"), s.planned_paid_usd_per_month));
  }
  out.notes.push_back(CorrectnessNote(draws));
  out.notes.push_back("thinking tokens: LogNormal matched to the plan's mean and p95 per option and true bucket, capped at the budget; "
                      "verifier time is 0 (the workload gives none)");
  return out;
}

}  // namespace thinkplan::pipeline
