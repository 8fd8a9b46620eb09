#include "planner/capacity.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/fleet_model.h"

namespace thinkplan::planner {
namespace {

constexpr double kGib = 1024.0 * 1024.0 * 1024.0;
// Replicas tried beyond the utilisation bound before the SLO is declared out of reach at any fleet size.
constexpr long kMaxExtraReplicas = 10000;

// One chosen share on a self-hosted system: a stream of its samples at peak.
struct Use {
  std::size_t class_index = 0;
  ServingDemand demand;  // at peak
  double mean_sequences_per_s = 0;
  double peak_factor = 1;
  double serving_usd_per_month = 0;  // what the plan's per-query prices charge for it
};

struct SystemUses {
  const SystemSpec* system = nullptr;
  std::vector<Use> uses;
};

std::map<std::string, SystemUses> GatherUses(const Workload& w, const std::vector<BucketPlan>& buckets) {
  std::map<std::string, SystemUses> out;
  for (const BucketPlan& b : buckets) {
    const TaskClassSpec& c = w.classes[b.class_index];
    for (const ChosenShare& sh : b.shares) {
      const SystemSpec* s = w.FindSystem(sh.setting.system);
      if (!s || s->kind != SystemKind::kSelfHosted) continue;
      Use u;
      u.class_index = b.class_index;
      const double k = static_cast<double>(sh.setting.samples);
      const double mean_queries = c.daily_volume * b.mass * sh.fraction / 86400.0;
      u.demand.queries_per_s = mean_queries * std::max(1.0, c.peak_factor);
      u.demand.stream.sequences_per_s = u.demand.queries_per_s * k;
      u.mean_sequences_per_s = mean_queries * k;
      u.demand.stream.samples_per_query = k;
      // The answer the option was scored with: a stored run's measurement where it had one.
      u.demand.stream.prompt_tokens = c.prompt_tokens;  // self-hosted options are scored on the class's prompt (options.cpp)
      u.demand.stream.answer_tokens = sh.figures.answer_measured ? sh.figures.answer_tokens : c.answer_tokens;
      u.demand.stream.thinking = ThinkingLength::FromMeanAndP95(sh.figures.thinking_tokens, sh.figures.thinking_tokens_p95,
                                                         sh.setting.budget.value_or(std::numeric_limits<double>::infinity()));
      u.demand.slo_p95_s = c.slo_p95_s;
      u.demand.slo_ttft_p95_s = c.slo_ttft_p95_s;
      u.demand.slo_tpot_s = c.slo_tpot_s;
      u.peak_factor = c.peak_factor;
      u.serving_usd_per_month = b.queries_per_month * sh.fraction * (sh.figures.cost_usd - sh.figures.verifier_usd);
      SystemUses& su = out[s->name];
      su.system = s;
      su.uses.push_back(u);
    }
  }
  return out;
}

std::vector<SequenceStream> Streams(const std::vector<ServingDemand>& demands) {
  std::vector<SequenceStream> out;
  for (const ServingDemand& d : demands) out.push_back(d.stream);
  return out;
}

// How much more the slots' occupancy fluctuates than Poisson traffic's, from queries that bring k samples at once
// (core/fleet_model.h SlotPeakedness).
double Peakedness(const std::vector<ServingDemand>& demands) { return SlotPeakedness(Streams(demands)); }

double PeakSequenceRate(const std::vector<ServingDemand>& demands) {
  double rate = 0;
  for (const ServingDemand& d : demands) rate += d.stream.sequences_per_s;
  return rate;
}

// From a slot to the first token: the prompt's prefill, then the step of the full batch that emits it.
double FirstTokenS(const ReplicaFit& fit) { return fit.prefill_s + fit.step.total_s; }

// The SLOs that depend on the batch alone: service p95, prefill and time per token, with no wait.
bool BatchCanMeet(const ReplicaFit& fit, const std::vector<ServingDemand>& demands) {
  for (const ServingDemand& d : demands) {
    if (d.slo_p95_s > 0 && QueryServiceQuantile(fit, d.stream, 0.95) > d.slo_p95_s) return false;
    if (d.slo_ttft_p95_s > 0 && FirstTokenS(fit) > d.slo_ttft_p95_s) return false;
    if (d.slo_tpot_s > 0 && fit.seconds_per_token > d.slo_tpot_s) return false;
  }
  return true;
}

bool FleetMeets(const ReplicaFit& fit, const QueueWait& wait, const std::vector<ServingDemand>& demands) {
  if (!wait.stable) return false;
  const double wait_p95 = wait.Quantile(0.95);
  for (const ServingDemand& d : demands) {
    if (d.slo_p95_s > 0 && wait_p95 + QueryServiceQuantile(fit, d.stream, 0.95) > d.slo_p95_s) return false;
    if (d.slo_ttft_p95_s > 0 && wait_p95 + FirstTokenS(fit) > d.slo_ttft_p95_s) return false;
    if (d.slo_tpot_s > 0 && fit.seconds_per_token > d.slo_tpot_s) return false;
  }
  return true;
}

// The fewest replicas the peak needs at `peak_utilisation`, and at least the floor `min_replicas`: the bound the
// search orders batches by.
long UtilisationBound(const ReplicaFit& fit, double rate, double peak_utilisation, long min_replicas) {
  const double slots = static_cast<double>(fit.batch_limit);
  const long bound = static_cast<long>(std::ceil(rate * fit.service_mean_s / slots / peak_utilisation - 1e-9));
  return std::max({1L, min_replicas, bound});
}

// The fewest replicas, from the bound above to at most `max_replicas`, that hold the peak at `peak_utilisation` and
// keep every SLO; -1 when none up to there does.
long ReplicasFor(const ReplicaFit& fit, const std::vector<ServingDemand>& demands, const ServingSearchOptions& options,
                 long max_replicas, QueueWait* wait) {
  const double rate = PeakSequenceRate(demands);
  const double slots = static_cast<double>(fit.batch_limit), peakedness = Peakedness(demands);
  for (long r = UtilisationBound(fit, rate, options.peak_utilisation, options.min_replicas); r <= max_replicas; ++r) {
    *wait = FleetQueueWait(rate, fit.service_mean_s, fit.service_scv, peakedness, static_cast<double>(r) * slots);
    if (FleetMeets(fit, *wait, demands)) return r;
  }
  return -1;
}

std::vector<ServingDemand> Demands(const std::vector<Use>& uses) {
  std::vector<ServingDemand> out;
  for (const Use& u : uses) out.push_back(u.demand);
  return out;
}

// A use's latency over a whole day on `replicas` replicas, as exceedance functions by hour with their weights:
// hour by hour, the batch its load fills (Little's law, at the peak's service time), that batch's service time
// and the M/G/c wait at that hour's rate.
struct DayModel {
  std::vector<ReplicaFit> fits;  // by hour
  std::vector<QueueWait> waits;  // by hour
  std::vector<std::vector<double>> profiles;  // by use, by hour
};

DayModel Day(const CostModel& model, const ReplicaFit& peak, const std::vector<Use>& uses, long replicas) {
  DayModel d;
  std::vector<SequenceStream> streams;
  for (const Use& u : uses) {
    streams.push_back(u.demand.stream);
    d.profiles.push_back(HourlyProfile(u.peak_factor));
  }
  const double r = static_cast<double>(replicas);
  for (int h = 0; h < 24; ++h) {
    double rate = 0;
    std::vector<SequenceStream> hourly = streams;  // the mix of the hour: classes peak by their own factors
    for (std::size_t i = 0; i < uses.size(); ++i) {
      hourly[i].sequences_per_s = uses[i].mean_sequences_per_s * d.profiles[i][h];
      rate += hourly[i].sequences_per_s;
    }
    const double busy = std::ceil(rate * peak.service_mean_s / r - 1e-9);
    const long batch = std::clamp(static_cast<long>(busy), 1L, peak.batch_limit);
    d.fits.push_back(FitReplica(model, streams, FleetModelOptions{}, batch));
    d.waits.push_back(FleetQueueWait(rate, d.fits.back().service_mean_s, d.fits.back().service_scv, SlotPeakedness(hourly),
                                     r * static_cast<double>(peak.batch_limit)));
  }
  return d;
}

CapacityLine Line(const SystemSpec& s, const ServingConfig& config, const std::vector<Use>& uses, double usd_per_device_hour,
                  double days_per_month) {
  const ReplicaFit& fit = config.fit;
  CapacityLine l;
  l.system = s.name;
  l.model = s.model;
  l.hardware = s.hardware;
  l.devices_per_replica = config.devices_per_replica;
  l.replicas = config.replicas;
  l.devices = config.replicas * config.devices_per_replica;
  double mean_rate = 0;
  for (const Use& u : uses) {
    l.peak_queries_per_s += u.demand.queries_per_s;
    l.peak_tokens_per_s += u.demand.stream.sequences_per_s * u.demand.stream.OutputMean();
    mean_rate += u.mean_sequences_per_s;
  }
  const double slots = static_cast<double>(config.replicas * fit.batch_limit);
  l.busy_devices_at_peak = config.wait.utilisation * static_cast<double>(l.devices);
  l.peak_utilisation = config.wait.utilisation;
  l.mean_utilisation = mean_rate * fit.service_mean_s / slots;
  l.batch = fit.batch_limit;
  l.batch_limited_by = fit.batch_limited_by;
  l.sizing_context_tokens = fit.sizing_context_tokens;
  l.kv_gib_per_replica = fit.kv_bytes_at_limit / kGib;
  l.weights_gib = fit.weight_bytes / kGib;
  l.usable_gib = fit.usable_bytes / kGib;
  l.wait_p95_s = config.wait.Quantile(0.95);
  l.ttft_p95_s = config.ttft_p95_s;
  l.tpot_s = config.tpot_s;
  l.usd_per_month = static_cast<double>(l.devices) * usd_per_device_hour * 24 * days_per_month;
  return l;
}

double UsdPerReplicaMonth(const ReplicaModel& replica, long devices, double days_per_month) {
  return static_cast<double>(devices) * replica.usd_per_device_hour * 24 * days_per_month;
}

void Finish(ServingConfig& c, const ReplicaModel& replica, double days_per_month) {
  c.batch = c.fit.batch_limit;
  c.usd_per_month = static_cast<double>(c.replicas) * UsdPerReplicaMonth(replica, c.devices_per_replica, days_per_month);
  c.ttft_p95_s = c.wait.Quantile(0.95) + FirstTokenS(c.fit);
  c.tpot_s = c.fit.seconds_per_token;
}

// The cheapest fleet of replicas of `devices` devices: every batch limit up to the KV limit, visited by its
// utilisation bound on replicas; stops once that bound alone costs more than the best found.
ServingConfig SearchOneSize(const ReplicaModel& replica, long devices, const std::vector<ServingDemand>& demands,
                            const ServingSearchOptions& options, long* evaluated) {
  ServingConfig best;
  best.devices_per_replica = devices;
  const std::vector<SequenceStream> streams = Streams(demands);
  const ReplicaFit largest = FitReplica(replica.model, streams, options.fleet);
  if (!largest.fits) {
    best.refusal = largest.refusal;
    return best;
  }
  best.holds_model = true;
  const double rate = PeakSequenceRate(demands);
  std::vector<std::pair<long, ReplicaFit>> batches;  // (utilisation bound, fit)
  for (long b = largest.batch_limit; b >= 1; --b) {
    ReplicaFit fit = FitReplica(replica.model, streams, options.fleet, b);
    if (b < largest.batch_limit) fit.batch_limited_by = "latency";
    if (BatchCanMeet(fit, demands)) {
      batches.emplace_back(UtilisationBound(fit, rate, options.peak_utilisation, options.min_replicas), std::move(fit));
    }
  }
  if (batches.empty()) {
    best.refusal = "even alone on a replica a query misses its SLO";
    return best;
  }
  std::stable_sort(batches.begin(), batches.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  long best_replicas = std::numeric_limits<long>::max();
  for (const auto& [bound, fit] : batches) {
    if (bound >= best_replicas) break;
    QueueWait wait;
    ++*evaluated;
    const long r = ReplicasFor(fit, demands, options, std::min(best_replicas - 1, bound + kMaxExtraReplicas), &wait);
    if (r < 0) continue;
    best_replicas = r;
    best.fit = fit;
    best.wait = wait;
    best.replicas = r;
    best.meets_slo = true;
  }
  if (!best.meets_slo) best.refusal = fmt::format("no fleet up to {} replicas beyond the utilisation bound keeps the SLOs", kMaxExtraReplicas);
  else Finish(best, replica, options.days_per_month);
  return best;
}

// Prefer the cheaper; on a tie the system's own size, then the smaller replica.
bool Better(const ServingConfig& x, const ServingConfig& y, long own_devices) {
  if (!y.meets_slo) return x.meets_slo;
  if (!x.meets_slo) return false;
  if (x.usd_per_month != y.usd_per_month) return x.usd_per_month < y.usd_per_month;
  if ((x.devices_per_replica == own_devices) != (y.devices_per_replica == own_devices)) return x.devices_per_replica == own_devices;
  return x.devices_per_replica < y.devices_per_replica;
}

// No configuration keeps the SLOs: the smallest size that holds the model at the batch and fleet the utilisation
// bound gives, so that the plan still shows (and bills) a fleet, with a note.
std::optional<ServingConfig> Fallback(const SystemSpec& system, const Catalogues& catalogues,
                                      const std::vector<ServingDemand>& demands, const ServingSearchOptions& options) {
  const std::vector<SequenceStream> streams = Streams(demands);
  for (long n : options.devices_per_replica) {
    std::string reason;
    const std::optional<ReplicaModel> replica = ReplicaModelWithDevices(system, catalogues, n, &reason);
    if (!replica) continue;
    ServingConfig c;
    c.devices_per_replica = n;
    c.fit = FitReplica(replica->model, streams, options.fleet);
    if (!c.fit.fits) continue;
    const double rate = PeakSequenceRate(demands);
    c.replicas = UtilisationBound(c.fit, rate, options.peak_utilisation, options.min_replicas);
    c.wait = FleetQueueWait(rate, c.fit.service_mean_s, c.fit.service_scv, Peakedness(demands),
                            static_cast<double>(c.replicas * c.fit.batch_limit));
    Finish(c, *replica, options.days_per_month);
    return c;
  }
  return std::nullopt;
}

// Where the search moved off the workload's replica size: the user should see it, and whether the rates of the
// chosen size were fitted at that size or borrowed from a smaller one (then tensor parallelism is assumed free).
std::string SizeNote(const SystemSpec& system, const Catalogues& catalogues, const ServingConfig& chosen) {
  const HardwareInfo* card = catalogues.FindHardware(system.hardware);
  const ModelShape* shape = catalogues.models.Find(system.model);
  const std::string rates =
      card ? DescribeEfficiencySource(ChooseEfficiency(catalogues.efficiencies, card->name, system.framework,
                                                       chosen.devices_per_replica,
                                                       shape ? ToString(shape->weight_precision) : std::string_view()),
                                      chosen.devices_per_replica)
           : "unknown";
  return fmt::format("capacity: {}: the configuration search serves it on replicas of {} device(s) (the workload "
                     "says {}), {} x batch {}; serving rates {}",
                     system.name, chosen.devices_per_replica, system.devices, chosen.replicas, chosen.batch, rates);
}

CapacityLine::Alternative AlternativeOf(const ServingConfig& c) {
  return {c.devices_per_replica, c.meets_slo ? c.batch : 0, c.meets_slo ? c.replicas : 0,
          c.meets_slo ? c.usd_per_month : 0, c.refusal};
}

}  // namespace

bool ServingSearchOptions::IsValid(std::string* error) const {
  auto fail = [&](const std::string& text) {
    if (error) *error = text;
    return false;
  };
  if (devices_per_replica.empty()) return fail("at least one device count per replica is needed");
  for (long n : devices_per_replica) if (n < 1) return fail("devices per replica must be >= 1");
  if (!(peak_utilisation > 0 && peak_utilisation <= 1)) return fail("peak utilisation must be in (0, 1]");
  if (!(days_per_month > 0)) return fail("days per month must be > 0");
  if (min_replicas < 0) return fail("the floor on replicas must be >= 0");
  return fleet.IsValid(error);
}

std::optional<ReplicaModel> ReplicaModelWithDevices(const SystemSpec& system, const Catalogues& catalogues, long devices,
                                                    std::string* reason) {
  SystemSpec sized = system;
  sized.devices = devices;
  return ReplicaModelOf(sized, catalogues, reason);
}

ServingSearch SearchServingConfig(const SystemSpec& system, const Catalogues& catalogues,
                                  const std::vector<ServingDemand>& demands, const ServingSearchOptions& options) {
  std::string error;
  if (!options.IsValid(&error)) throw UsageError("serving configuration search: " + error);
  if (demands.empty()) throw InternalError("serving configuration search: no demand on " + system.name);
  ServingSearch out;
  bool any_replica = false;
  for (long n : options.devices_per_replica) {
    std::string reason;
    const std::optional<ReplicaModel> replica = ReplicaModelWithDevices(system, catalogues, n, &reason);
    ServingConfig c;
    if (replica) {
      c = SearchOneSize(*replica, n, demands, options, &out.configurations_evaluated);
      any_replica = any_replica || c.holds_model;
    } else {
      c.devices_per_replica = n;
      c.refusal = reason;
    }
    if (Better(c, out.best, system.devices) || out.by_devices.empty()) out.best = c;
    out.by_devices.push_back(std::move(c));
  }
  out.status = out.best.meets_slo ? ServingSearchStatus::kMeetsSlo
               : any_replica      ? ServingSearchStatus::kNoConfiguration
                                  : ServingSearchStatus::kNoReplica;
  return out;
}

std::string ServingSearch::BriefReport() const {
  if (status != ServingSearchStatus::kMeetsSlo) {
    return fmt::format("no serving configuration keeps the SLOs ({})", best.refusal);
  }
  return fmt::format("{} replica(s) of {} device(s) at batch {}: ${:.0f}/month, {} (size, batch) pairs sized",
                     best.replicas, best.devices_per_replica, best.batch, best.usd_per_month, configurations_evaluated);
}

std::string ServingSearch::FullReport() const {
  std::string out = BriefReport() + "\n";
  for (const ServingConfig& c : by_devices) {
    out += c.meets_slo ? fmt::format("  {} device(s): {} replica(s) at batch {}, ${:.0f}/month, TTFT p95 {:.2f} s, "
                                     "TPOT {:.1f} ms\n",
                                     c.devices_per_replica, c.replicas, c.batch, c.usd_per_month, c.ttft_p95_s, 1e3 * c.tpot_s)
                       : fmt::format("  {} device(s): {}\n", c.devices_per_replica, c.refusal);
  }
  return out;
}

FleetPlan ProvisionFleet(const Workload& w, const Catalogues& catalogues, const std::vector<BucketPlan>& buckets,
                         double peak_utilisation) {
  FleetPlan out;
  for (auto& [name, su] : GatherUses(w, buckets)) {
    // The workload's `devices` is the smallest replica the search considers (the verification loop raises it when
    // KV memory bounds the batch), its `max_devices_per_replica` the largest.
    ServingSearchOptions options;
    options.peak_utilisation = peak_utilisation;
    options.days_per_month = w.days_per_month;
    options.min_replicas = su.system->min_replicas;  // the verification loop's floor (planner/workload.h)
    const SystemSpec& system = *su.system;  // a structured binding cannot be captured by clang 14's lambdas
    std::erase_if(options.devices_per_replica,
                  [&](long n) { return n < system.devices || n > system.max_devices_per_replica; });
    if (options.devices_per_replica.empty()) options.devices_per_replica = {su.system->devices};
    const std::vector<ServingDemand> demands = Demands(su.uses);
    const ServingSearch search = SearchServingConfig(*su.system, catalogues, demands, options);
    std::optional<ServingConfig> chosen;
    if (search.status == ServingSearchStatus::kMeetsSlo) {
      chosen = search.best;
    } else {
      out.notes.push_back(fmt::format("capacity: {}: {}", name, search.BriefReport()));
      chosen = Fallback(*su.system, catalogues, demands, options);
      if (!chosen) continue;
    }
    std::string reason;
    const std::optional<ReplicaModel> replica =
        ReplicaModelWithDevices(*su.system, catalogues, chosen->devices_per_replica, &reason);
    CapacityLine line = Line(*su.system, *chosen, su.uses, replica->usd_per_device_hour, w.days_per_month);
    for (const ServingConfig& c : search.by_devices) line.alternatives.push_back(AlternativeOf(c));
    if (chosen->devices_per_replica != su.system->devices) out.notes.push_back(SizeNote(*su.system, catalogues, *chosen));
    double planned = 0;
    for (const Use& u : su.uses) planned += u.serving_usd_per_month;
    out.fits[name] = chosen->fit;
    out.devices_per_replica[name] = chosen->devices_per_replica;
    out.price_factor[name] = planned > 0 ? line.usd_per_month / planned : 1.0;
    out.usd_per_month += line.usd_per_month;
    out.lines.push_back(line);
  }
  return out;
}

void FleetLatencies(const Workload& w, const Catalogues& catalogues, const std::vector<BucketPlan>& buckets,
                    FleetPlan& fleet) {
  // Per class, every (weight, exceedance) of its self-hosted queries by system and hour; the days' models live here.
  std::vector<DayModel> days;
  std::vector<std::vector<Use>> all_uses;
  std::map<std::string, SystemUses> by_system = GatherUses(w, buckets);
  days.reserve(by_system.size());
  all_uses.reserve(by_system.size());
  std::map<std::size_t, std::pair<std::vector<double>, std::vector<std::function<double(double)>>>> by_class;
  for (const CapacityLine& line : fleet.lines) {
    std::string reason;
    const std::optional<ReplicaModel> replica =
        ReplicaModelWithDevices(*by_system[line.system].system, catalogues, line.devices_per_replica, &reason);
    if (!replica) continue;
    all_uses.push_back(by_system[line.system].uses);
    const std::vector<Use>& uses = all_uses.back();
    days.push_back(Day(replica->model, fleet.fits.at(line.system), uses, line.replicas));
    const DayModel& d = days.back();
    for (std::size_t i = 0; i < uses.size(); ++i) {
      std::vector<double> weights;
      std::vector<std::function<double(double)>> over;
      for (std::size_t h = 0; h < 24; ++h) {
        over.push_back([&d, &uses, i, h](double t) { return QueryLatencyExceedance(d.fits[h], uses[i].demand.stream, d.waits[h], t); });
        weights.push_back(d.profiles[i][h] / 24);
        auto& mix = by_class[uses[i].class_index];
        mix.first.push_back(d.profiles[i][h] * uses[i].demand.queries_per_s);
        mix.second.push_back(over.back());
      }
      double& p95 = fleet.latency_p95_s[{uses[i].class_index, line.system}];
      p95 = std::max(p95, MixtureQuantile(weights, over, 0.95));
    }
  }
  for (auto& [class_index, mix] : by_class) {
    double total = 0;
    for (double x : mix.first) total += x;
    for (double& x : mix.first) x /= total;
    fleet.class_latency_p95_s[class_index] = MixtureQuantile(mix.first, mix.second, 0.95);
  }
}

}  // namespace thinkplan::planner
