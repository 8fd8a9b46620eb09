#include "planner/capacity.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include <fmt/format.h>

#include "core/fleet_model.h"

namespace thinkplan::planner {
namespace {

constexpr double kGib = 1024.0 * 1024.0 * 1024.0;
// Replicas tried beyond the utilisation bound before the SLO is declared out of reach at any fleet size.
constexpr long kMaxExtraReplicas = 10000;

// One chosen share on a self-hosted system: a stream of its samples at peak.
struct Use {
  std::size_t class_index = 0;
  SequenceStream stream;
  double mean_sequences_per_s = 0;
  double queries_per_s = 0;  // at peak
  double slo_p95_s = 0;
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
      u.queries_per_s = mean_queries * std::max(1.0, c.peak_factor);
      u.stream.sequences_per_s = u.queries_per_s * k;
      u.mean_sequences_per_s = mean_queries * k;
      u.stream.samples_per_query = k;
      // The answer the option was scored with: a stored run's measurement where it had one.
      u.stream.prompt_tokens = c.prompt_tokens;  // self-hosted options are scored on the class's prompt (options.cpp)
      u.stream.answer_tokens = sh.figures.answer_measured ? sh.figures.answer_tokens : c.answer_tokens;
      u.stream.thinking = ThinkingLength::FromMeanAndP95(sh.figures.thinking_tokens, sh.figures.thinking_tokens_p95,
                                                         sh.setting.budget.value_or(std::numeric_limits<double>::infinity()));
      u.slo_p95_s = c.slo_p95_s;
      u.peak_factor = c.peak_factor;
      u.serving_usd_per_month = b.queries_per_month * sh.fraction * (sh.figures.cost_usd - sh.figures.verifier_usd);
      SystemUses& su = out[s->name];
      su.system = s;
      su.uses.push_back(u);
    }
  }
  return out;
}

// Arrival variability of samples that come k at a time: E[k^2] / E[k] over the queries.
double ArrivalScv(const std::vector<Use>& uses) {
  double first = 0, second = 0;
  for (const Use& u : uses) {
    first += u.queries_per_s * u.stream.samples_per_query;
    second += u.queries_per_s * u.stream.samples_per_query * u.stream.samples_per_query;
  }
  return first > 0 ? second / first : 1;
}

// The fewest replicas that hold the peak at `peak_utilisation` and keep every class's p95 (wait + service) within
// its SLO; -1 when no fleet up to kMaxExtraReplicas beyond the utilisation bound does.
long ReplicasFor(const ReplicaFit& fit, const std::vector<Use>& uses, double peak_utilisation, QueueWait* wait) {
  double rate = 0;
  for (const Use& u : uses) rate += u.stream.sequences_per_s;
  const double slots = static_cast<double>(fit.batch_limit);
  const long first = std::max(1L, static_cast<long>(std::ceil(rate * fit.service_mean_s / slots / peak_utilisation - 1e-9)));
  const double arrival_scv = ArrivalScv(uses);
  for (long r = first; r <= first + kMaxExtraReplicas; ++r) {
    *wait = FleetQueueWait(rate, fit.service_mean_s, fit.service_scv, arrival_scv, static_cast<double>(r) * slots);
    bool holds = wait->stable;
    for (const Use& u : uses) {
      if (holds && u.slo_p95_s > 0) holds = wait->Quantile(0.95) + QueryServiceQuantile(fit, u.stream, 0.95) <= u.slo_p95_s;
    }
    if (holds) return r;
  }
  return -1;
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
    streams.push_back(u.stream);
    d.profiles.push_back(HourlyProfile(u.peak_factor));
  }
  const double arrival_scv = ArrivalScv(uses), r = static_cast<double>(replicas);
  for (int h = 0; h < 24; ++h) {
    double rate = 0;
    for (std::size_t i = 0; i < uses.size(); ++i) rate += uses[i].mean_sequences_per_s * d.profiles[i][h];
    const double busy = std::ceil(rate * peak.service_mean_s / r - 1e-9);
    const long batch = std::clamp(static_cast<long>(busy), 1L, peak.batch_limit);
    d.fits.push_back(FitReplica(model, streams, FleetModelOptions{}, batch));
    d.waits.push_back(FleetQueueWait(rate, d.fits.back().service_mean_s, d.fits.back().service_scv, arrival_scv,
                                     r * static_cast<double>(peak.batch_limit)));
  }
  return d;
}

CapacityLine Line(const SystemSpec& s, const ReplicaFit& fit, const std::vector<Use>& uses, long replicas,
                  const QueueWait& wait, double usd_per_device_hour, double days_per_month) {
  CapacityLine l;
  l.system = s.name;
  l.model = s.model;
  l.hardware = s.hardware;
  l.devices_per_replica = s.devices;
  l.replicas = replicas;
  l.devices = replicas * s.devices;
  double mean_rate = 0;
  for (const Use& u : uses) {
    l.peak_queries_per_s += u.queries_per_s;
    l.peak_tokens_per_s += u.stream.sequences_per_s * u.stream.OutputMean();
    mean_rate += u.mean_sequences_per_s;
  }
  const double slots = static_cast<double>(replicas * fit.batch_limit);
  l.busy_devices_at_peak = wait.utilisation * static_cast<double>(l.devices);
  l.peak_utilisation = wait.utilisation;
  l.mean_utilisation = mean_rate * fit.service_mean_s / slots;
  l.batch = fit.batch_limit;
  l.batch_limited_by = fit.batch_limited_by;
  l.sizing_context_tokens = fit.sizing_context_tokens;
  l.kv_gib_per_replica = fit.kv_bytes_at_limit / kGib;
  l.weights_gib = fit.weight_bytes / kGib;
  l.usable_gib = fit.usable_bytes / kGib;
  l.wait_p95_s = wait.Quantile(0.95);
  l.usd_per_month = static_cast<double>(l.devices) * usd_per_device_hour * 24 * days_per_month;
  return l;
}

}  // namespace

FleetPlan ProvisionFleet(const Workload& w, const Catalogues& catalogues, const std::vector<BucketPlan>& buckets,
                         double peak_utilisation) {
  FleetPlan out;
  for (auto& [name, su] : GatherUses(w, buckets)) {
    std::string reason;
    const std::optional<ReplicaModel> replica = ReplicaModelOf(*su.system, catalogues, &reason);
    if (!replica) {
      out.notes.push_back(fmt::format("capacity: {}: {}", name, reason));
      continue;
    }
    std::vector<SequenceStream> streams;
    double slo = 0;
    for (const Use& u : su.uses) {
      streams.push_back(u.stream);
      if (u.slo_p95_s > 0) slo = slo > 0 ? std::min(slo, u.slo_p95_s) : u.slo_p95_s;
    }
    ReplicaFit fit = FitReplicaForLatency(replica->model, streams, FleetModelOptions{}, slo);
    if (!fit.fits) {  // the classes together need a smaller batch than any one alone; serve at batch 1
      out.notes.push_back(fmt::format("capacity: {}: {}", name, fit.refusal));
      fit = FitReplica(replica->model, streams, FleetModelOptions{}, 1);
      if (!fit.fits) continue;
    }
    QueueWait wait;
    long replicas = ReplicasFor(fit, su.uses, peak_utilisation, &wait);
    if (replicas < 0) {
      replicas = std::max(1L, static_cast<long>(std::ceil(fit.sequences_per_s > 0 ? 1 / peak_utilisation : 1)));
      out.notes.push_back(fmt::format("capacity: {}: no fleet size keeps the p95 within the SLO", name));
    }
    if (replicas < su.system->min_replicas) {  // the verification loop's floor (planner/workload.h)
      replicas = su.system->min_replicas;
      double rate = 0;
      for (const Use& u : su.uses) rate += u.stream.sequences_per_s;
      wait = FleetQueueWait(rate, fit.service_mean_s, fit.service_scv, ArrivalScv(su.uses),
                            static_cast<double>(replicas * fit.batch_limit));
    }
    CapacityLine line = Line(*su.system, fit, su.uses, replicas, wait, replica->usd_per_device_hour, w.days_per_month);
    double planned = 0;
    for (const Use& u : su.uses) planned += u.serving_usd_per_month;
    out.fits[name] = fit;
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
    const std::optional<ReplicaModel> replica = ReplicaModelOf(*by_system[line.system].system, catalogues, &reason);
    if (!replica) continue;
    all_uses.push_back(by_system[line.system].uses);
    const std::vector<Use>& uses = all_uses.back();
    days.push_back(Day(replica->model, fleet.fits.at(line.system), uses, line.replicas));
    const DayModel& d = days.back();
    for (std::size_t i = 0; i < uses.size(); ++i) {
      std::vector<double> weights;
      std::vector<std::function<double(double)>> over;
      for (std::size_t h = 0; h < 24; ++h) {
        over.push_back([&d, &uses, i, h](double t) { return QueryLatencyExceedance(d.fits[h], uses[i].stream, d.waits[h], t); });
        weights.push_back(d.profiles[i][h] / 24);
        auto& mix = by_class[uses[i].class_index];
        mix.first.push_back(d.profiles[i][h] * uses[i].queries_per_s);
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
