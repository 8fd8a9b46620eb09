// The summary of a fleet run from its merged partial result (sim/fleet_shard.h): per class, per system, per
// hour and Little's law, as the report and the gap against the plan read them.
#include <algorithm>
#include <cmath>

#include "core/special_functions.h"
#include "sim/fleet_shard.h"

namespace thinkplan::sim {
namespace {

Percentiles QuantilesOf(const LatencySketch& sketch) {
  return {sketch.Quantile(0.5), sketch.Quantile(0.95), sketch.Quantile(0.99)};
}

// The provisioned cost of each self-hosted system over the arrival window, shared among the classes by the
// device-seconds their queries used.
std::vector<double> SelfHostedUsdByClass(const FleetScenario& scenario, const FleetOptions& options, const FleetPartial& p) {
  std::vector<double> usd(scenario.classes.size(), 0.0);
  for (std::size_t s = 0; s < scenario.systems.size(); ++s) {
    const FleetSystem& sys = scenario.systems[s];
    if (sys.api) continue;
    double used = 0;
    for (const FixedSum& x : p.systems[s].device_s_by_class) used += x.Value();
    if (!(used > 0)) continue;
    const double paid = static_cast<double>(sys.replicas * sys.devices_per_replica) * sys.usd_per_device_hour * options.days * 24.0;
    for (std::size_t c = 0; c < usd.size(); ++c) usd[c] += paid * p.systems[s].device_s_by_class[c].Value() / used;
  }
  return usd;
}

ClassOutcome ClassOf(const FleetScenario& scenario, const FleetOptions& options, const FleetPartial& p, std::size_t c,
                     double self_hosted_usd) {
  const FleetClassPartial& x = p.classes[c];
  ClassOutcome out;
  out.name = scenario.classes[c].name;
  out.slo_p95_s = scenario.classes[c].slo_p95_s;
  out.queries = x.queries;
  out.unserved = x.unserved;
  out.sequences = x.sequences;
  if (x.served > 0) {
    const double n = static_cast<double>(x.served);
    out.accuracy = x.credit.Value() / n;
    const double variance = x.served > 1 ? std::max(0.0, (x.credit_squared.Value() - n * out.accuracy * out.accuracy) / (n - 1)) : 0.0;
    const double half = kZ95TwoSided * std::sqrt(variance / n);
    out.accuracy_interval = {out.accuracy - half, out.accuracy + half};
    out.mean_latency_s = x.latency_sum.Value() / n;
  }
  out.ttft_s = QuantilesOf(x.ttft);
  out.latency_s = QuantilesOf(x.latency);
  out.usd_per_month = (x.usd.Value() + self_hosted_usd) / options.days * scenario.days_per_month;
  out.slo_miss_fraction = x.queries > 0 ? static_cast<double>(x.slo_misses) / static_cast<double>(x.queries) : 0.0;
  const std::vector<double> bounds = LatencyHistogramBounds();
  for (std::size_t i = 0; i < bounds.size(); ++i) out.latency_histogram.push_back({bounds[i], x.histogram[i]});
  return out;
}

// Overall accuracy: classes weighted by daily volume times value, as the planner weighs them.
void AddClasses(const FleetScenario& scenario, const FleetOptions& options, const FleetPartial& p, FleetSummary& out) {
  const std::vector<double> self_hosted = SelfHostedUsdByClass(scenario, options, p);
  double weight_total = 0, weighted_accuracy = 0, weighted_variance = 0;
  uint64_t misses = 0;
  for (std::size_t c = 0; c < scenario.classes.size(); ++c) {
    ClassOutcome outcome = ClassOf(scenario, options, p, c, self_hosted[c]);
    const double w = scenario.classes[c].daily_volume * scenario.classes[c].value_usd;
    weight_total += w;
    weighted_accuracy += w * outcome.accuracy;
    const double se = (outcome.accuracy_interval.upper - outcome.accuracy) / kZ95TwoSided;
    weighted_variance += w * w * se * se;
    out.usd_per_month += outcome.usd_per_month;
    misses += p.classes[c].slo_misses;
    out.queries += outcome.queries;
    out.sequences += outcome.sequences;
    out.unserved += outcome.unserved;
    out.classes.push_back(std::move(outcome));
  }
  if (weight_total > 0) {
    out.accuracy = weighted_accuracy / weight_total;
    const double half = kZ95TwoSided * std::sqrt(weighted_variance) / weight_total;
    out.accuracy_interval = {out.accuracy - half, out.accuracy + half};
  }
  out.slo_miss_fraction = out.queries > 0 ? static_cast<double>(misses) / static_cast<double>(out.queries) : 0.0;
}

void AddQueuesAndLittle(const FleetPartial& p, FleetSummary& out) {
  const double end = p.end_s;
  out.simulated_s = end;
  for (std::size_t h = 0; h < p.queue_area.size(); ++h) {
    HourQueue row;
    row.hour = static_cast<int>(h);
    const double span = std::min(3600.0, std::max(1e-9, end - 3600.0 * static_cast<double>(h)));
    row.mean_queue = p.queue_area[h].Value() / span;
    row.max_queue = p.queue_max[h];
    row.mean_in_system = p.in_system_area[h].Value() / span;
    out.queue_by_hour.push_back(row);
  }
  if (end > 0 && p.served > 0) {
    out.little.arrival_rate_per_s = static_cast<double>(p.served) / end;
    out.little.mean_in_system = p.area_in_system.Value() / end;
    out.little.mean_time_in_system_s = p.sojourn_s.Value() / static_cast<double>(p.served);
    const double predicted = out.little.arrival_rate_per_s * out.little.mean_time_in_system_s;
    out.little.relative_gap =
        out.little.mean_in_system > 0 ? std::abs(out.little.mean_in_system - predicted) / out.little.mean_in_system : 0.0;
  }
}

void AddSystems(const FleetScenario& scenario, const FleetOptions& options, const FleetPartial& p, FleetSummary& out) {
  const double window = std::max(p.end_s, options.days * 86400.0);
  for (std::size_t s = 0; s < scenario.systems.size(); ++s) {
    const FleetSystem& sys = scenario.systems[s];
    const FleetSystemPartial& st = p.systems[s];
    SystemOutcome o;
    o.name = sys.name;
    o.hardware = sys.hardware;
    o.api = sys.api;
    o.sequences = st.sequences;
    if (!sys.api) {
      const double busy = st.busy_replica_s.Value();
      o.replicas = sys.replicas;
      o.devices = sys.replicas * sys.devices_per_replica;
      o.planned_devices = sys.planned_devices;
      const double replica_time = static_cast<double>(sys.replicas) * window;
      o.utilisation = replica_time > 0 ? busy / replica_time : 0.0;
      o.kv_peak_fraction = st.kv_peak_fraction;
      o.gpu_hours = static_cast<double>(o.devices) * options.days * 24.0;
      o.busy_gpu_hours = busy * static_cast<double>(sys.devices_per_replica) / 3600.0;
      o.usd_per_month = static_cast<double>(o.devices) * sys.usd_per_device_hour * 24.0 * scenario.days_per_month;
      o.mean_batch = busy > 0 ? st.batch_time.Value() / busy : 0.0;
      o.mean_wait_s = st.sequences > 0 ? st.wait_s.Value() / static_cast<double>(st.sequences) : 0.0;
      out.gpu_hours += o.gpu_hours;
    } else {
      o.usd_per_month = st.api_usd.Value() / options.days * scenario.days_per_month;
    }
    out.systems.push_back(o);
  }
}

}  // namespace

FleetSummary SummariseFleet(const FleetScenario& scenario, const FleetOptions& options, const FleetPartial& merged,
                            double seconds) {
  FleetSummary out;
  out.seed = options.seed;
  out.days = options.days;
  out.threads = options.threads;
  out.peak_in_flight = merged.peak_in_flight;
  AddClasses(scenario, options, merged, out);
  AddQueuesAndLittle(merged, out);
  AddSystems(scenario, options, merged, out);
  out.seconds = seconds;
  return out;
}

}  // namespace thinkplan::sim
