#include "sim/fleet_shard.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <numeric>
#include <thread>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/special_functions.h"
#include "sim/fleet_draws.h"
#include "sim/fleet_partition.h"
#include "sim/wire.h"

namespace thinkplan::sim {
namespace {

using fleet_detail::kNever;

// Expected samples per query of class c that go to `system`.
double SamplesOn(const FleetClass& c, int system) {
  double samples = 0;
  for (std::size_t t = 0; t < c.true_shares.size(); ++t) {
    for (std::size_t p = 0; p < c.buckets.size(); ++p) {
      const double routed = c.confusion.empty() ? (p == t ? 1.0 : 0.0) : c.confusion[t][p];
      for (const FleetOption& o : c.buckets[p].options) {
        if (o.system == system) samples += c.true_shares[t] * routed * o.fraction * o.correctness.samples;
      }
    }
  }
  return samples;
}

bool Reaches(const FleetClass& c, int system) {
  return std::any_of(c.buckets.begin(), c.buckets.end(), [&](const FleetBucket& b) {
    return std::any_of(b.options.begin(), b.options.end(), [&](const FleetOption& o) { return o.system == system; });
  });
}

// Expected work of a unit: the sequences it simulates plus a quarter per arrival it draws and routes to decide
// whether the query is its own, a self-hosted sequence counting 1.8 API sequences (its decode steps and queue).
// Both ratios were measured on the default plan (docs/scale.md); they only balance the shards, the results do
// not depend on them.
constexpr double kSelfHostedWeight = 1.8;
double UnitCost(const FleetScenario& scenario, double days, int system, long first_hour, long end_hour) {
  double cost = 0;
  for (const FleetClass& c : scenario.classes) {
    if (!Reaches(c, system)) continue;
    double arrivals = 0;
    for (long h = first_hour; h < end_hour; ++h) {
      const double multiplier = c.hourly_profile.empty() ? 1.0 : c.hourly_profile[static_cast<std::size_t>(h % 24)];
      const double covered = std::clamp(days * 24.0 - static_cast<double>(h), 0.0, 1.0);
      arrivals += c.daily_volume / 24.0 * multiplier * covered;
    }
    const double weight = scenario.systems[static_cast<std::size_t>(system)].api ? 1.0 : kSelfHostedWeight;
    cost += arrivals * (weight * SamplesOn(c, system) + 0.25);
  }
  return cost;
}

void ParallelFor(std::size_t n, int threads, const std::function<void(std::size_t, int)>& task) {
  std::atomic<std::size_t> next{0};
  auto worker = [&](int w) {
    for (std::size_t i = next++; i < n; i = next++) task(i, w);
  };
  const int workers = static_cast<int>(std::min<std::size_t>(n, static_cast<std::size_t>(std::max(1, threads))));
  std::vector<std::thread> pool;
  for (int w = 1; w < workers; ++w) pool.emplace_back(worker, w);
  worker(0);
  for (std::thread& t : pool) t.join();
}

void CheckLimits(const FleetScenario& scenario, const FleetOptions& options) {
  std::string error;
  if (!options.IsValid(&error)) throw UsageError("fleet simulation: " + error);
  scenario.Validate();
  const ExpectedDraws expected = ExpectedDrawsOf(scenario, options.days);
  if (expected.queries > options.max_queries || expected.sequences > options.max_sequences) {
    throw UsageError(fmt::format(
        "fleet simulation: {:g} day(s) of this traffic would draw about {:.3g} queries and {:.3g} samples, above "
        "the limits of {:.3g} queries and {:.3g} samples set on the run's length; simulate fewer days (--days) or "
        "raise the limits (--max-queries, --max-samples)",
        options.days, expected.queries, expected.sequences, options.max_queries, options.max_sequences));
  }
}

}  // namespace

std::vector<double> LatencyHistogramBounds() {
  std::vector<double> bounds;
  for (int i = 0; i <= 24; ++i) bounds.push_back(0.1 * std::pow(10.0, i / 4.0));
  bounds.push_back(kNever);
  return bounds;
}

std::vector<FleetWorkUnit> FleetWorkUnits(const FleetScenario& scenario, double days, int shard_count) {
  const long hours = static_cast<long>(std::ceil(days * 24.0));
  std::vector<FleetWorkUnit> units;
  for (std::size_t s = 0; s < scenario.systems.size(); ++s) {
    const int system = static_cast<int>(s);
    if (!std::any_of(scenario.classes.begin(), scenario.classes.end(), [&](const FleetClass& c) { return Reaches(c, system); })) {
      continue;
    }
    // A self-hosted system's queue carries from hour to hour: one unit. An API pool's queries do not interact.
    const long step = scenario.systems[s].api ? 1 : hours;
    for (long h = 0; h < hours; h += step) {
      const long end = std::min(hours, h + step);
      units.push_back({system, h, end, UnitCost(scenario, days, system, h, end), 0});
    }
  }
  // Longest processing time first onto the least loaded shard: deterministic, and within 4/3 of the best balance.
  std::vector<std::size_t> order(units.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return units[a].cost > units[b].cost; });
  std::vector<double> load(static_cast<std::size_t>(std::max(1, shard_count)), 0.0);
  for (std::size_t i : order) {
    const std::size_t shard = static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    units[i].shard = static_cast<int>(shard);
    load[shard] += units[i].cost;
  }
  return units;
}

FleetPartial FleetPartial::Empty(const FleetScenario& scenario) {
  FleetPartial p;
  p.classes.resize(scenario.classes.size());
  for (FleetClassPartial& c : p.classes) c.histogram.assign(LatencyHistogramBounds().size(), 0);
  p.systems.resize(scenario.systems.size());
  for (FleetSystemPartial& s : p.systems) s.device_s_by_class.resize(scenario.classes.size());
  return p;
}

void FleetPartial::Merge(const FleetPartial& o) {
  for (std::size_t c = 0; c < classes.size(); ++c) {
    FleetClassPartial& a = classes[c];
    const FleetClassPartial& b = o.classes[c];
    a.queries += b.queries;
    a.unserved += b.unserved;
    a.served += b.served;
    a.sequences += b.sequences;
    a.slo_misses += b.slo_misses;
    a.credit.Merge(b.credit);
    a.credit_squared.Merge(b.credit_squared);
    a.usd.Merge(b.usd);
    a.latency_sum.Merge(b.latency_sum);
    a.ttft.Merge(b.ttft);
    a.latency.Merge(b.latency);
    for (std::size_t i = 0; i < a.histogram.size(); ++i) a.histogram[i] += b.histogram[i];
  }
  for (std::size_t s = 0; s < systems.size(); ++s) {
    FleetSystemPartial& a = systems[s];
    const FleetSystemPartial& b = o.systems[s];
    a.sequences += b.sequences;
    a.busy_replica_s.Merge(b.busy_replica_s);
    a.batch_time.Merge(b.batch_time);
    a.wait_s.Merge(b.wait_s);
    a.api_usd.Merge(b.api_usd);
    a.kv_peak_fraction = std::max(a.kv_peak_fraction, b.kv_peak_fraction);
    for (std::size_t c = 0; c < a.device_s_by_class.size(); ++c) a.device_s_by_class[c].Merge(b.device_s_by_class[c]);
  }
  area_in_system.Merge(o.area_in_system);
  sojourn_s.Merge(o.sojourn_s);
  served += o.served;
  end_s = std::max(end_s, o.end_s);
  peak_in_flight = std::max(peak_in_flight, o.peak_in_flight);
  units += o.units;
  if (queue_area.size() < o.queue_area.size()) {
    queue_area.resize(o.queue_area.size());
    in_system_area.resize(o.queue_area.size());
    queue_max.resize(o.queue_area.size(), 0);
  }
  for (std::size_t h = 0; h < o.queue_area.size(); ++h) {
    queue_area[h].Merge(o.queue_area[h]);
    in_system_area[h].Merge(o.in_system_area[h]);
    queue_max[h] += o.queue_max[h];
  }
}

std::string FleetPartial::Encode() const {
  std::string out;
  auto sums = [&](const std::vector<FixedSum>& v) {
    wire::Put<uint64_t>(out, v.size());
    for (const FixedSum& x : v) x.Encode(out);
  };
  wire::Put<uint64_t>(out, classes.size());
  wire::Put<uint64_t>(out, systems.size());
  for (const FleetClassPartial& c : classes) {
    for (uint64_t n : {c.queries, c.unserved, c.served, c.sequences, c.slo_misses}) wire::Put(out, n);
    for (const FixedSum* x : {&c.credit, &c.credit_squared, &c.usd, &c.latency_sum}) x->Encode(out);
    c.ttft.Encode(out);
    c.latency.Encode(out);
    wire::PutVector(out, c.histogram);
  }
  for (const FleetSystemPartial& s : systems) {
    wire::Put(out, s.sequences);
    for (const FixedSum* x : {&s.busy_replica_s, &s.batch_time, &s.wait_s, &s.api_usd}) x->Encode(out);
    wire::Put(out, s.kv_peak_fraction);
    sums(s.device_s_by_class);
  }
  area_in_system.Encode(out);
  sojourn_s.Encode(out);
  for (uint64_t n : {served, peak_in_flight, units}) wire::Put(out, n);
  wire::Put(out, end_s);
  sums(queue_area);
  sums(in_system_area);
  wire::PutVector(out, queue_max);
  return out;
}

FleetPartial FleetPartial::Decode(std::string_view in, std::size_t n_classes, std::size_t n_systems) {
  auto sums = [&] {
    const uint64_t n = wire::Get<uint64_t>(in);
    if (n > in.size() / 16) throw InputError({"fleet partial result", 0, "sums", std::to_string(n)}, "longer than its bytes");
    std::vector<FixedSum> v;
    for (uint64_t i = 0; i < n; ++i) v.push_back(FixedSum::Decode(in));
    return v;
  };
  const uint64_t classes_in = wire::Get<uint64_t>(in), systems_in = wire::Get<uint64_t>(in);
  if (classes_in != n_classes || systems_in != n_systems) {
    throw InputError({"fleet partial result", 0, "shape", fmt::format("{} classes, {} systems", classes_in, systems_in)},
                     fmt::format("the scenario has {} classes and {} systems", n_classes, n_systems));
  }
  FleetPartial p;
  p.classes.resize(n_classes);
  for (FleetClassPartial& c : p.classes) {
    for (uint64_t* n : {&c.queries, &c.unserved, &c.served, &c.sequences, &c.slo_misses}) *n = wire::Get<uint64_t>(in);
    for (FixedSum* x : {&c.credit, &c.credit_squared, &c.usd, &c.latency_sum}) *x = FixedSum::Decode(in);
    c.ttft = LatencySketch::Decode(in);
    c.latency = LatencySketch::Decode(in);
    c.histogram = wire::GetVector<uint64_t>(in);
  }
  p.systems.resize(n_systems);
  for (FleetSystemPartial& s : p.systems) {
    s.sequences = wire::Get<uint64_t>(in);
    for (FixedSum* x : {&s.busy_replica_s, &s.batch_time, &s.wait_s, &s.api_usd}) *x = FixedSum::Decode(in);
    s.kv_peak_fraction = wire::Get<double>(in);
    s.device_s_by_class = sums();
  }
  p.area_in_system = FixedSum::Decode(in);
  p.sojourn_s = FixedSum::Decode(in);
  for (uint64_t* n : {&p.served, &p.peak_in_flight, &p.units}) *n = wire::Get<uint64_t>(in);
  p.end_s = wire::Get<double>(in);
  p.queue_area = sums();
  p.in_system_area = sums();
  p.queue_max = wire::GetVector<uint64_t>(in);
  if (!in.empty() || p.queue_max.size() != p.queue_area.size()) {
    throw InputError({"fleet partial result", 0, "bytes", std::to_string(in.size())}, "trailing or inconsistent data");
  }
  return p;
}

FleetPartial SimulateFleetShard(const FleetScenario& scenario, const FleetOptions& options, int shard_index,
                                int shard_count) {
  if (shard_count < 1 || shard_index < 0 || shard_index >= shard_count) {
    throw UsageError(fmt::format("fleet simulation: shard {} of {} does not exist", shard_index, shard_count));
  }
  CheckLimits(scenario, options);
  std::vector<FleetWorkUnit> mine;
  for (const FleetWorkUnit& u : FleetWorkUnits(scenario, options.days, shard_count)) {
    if (u.shard == shard_index) mine.push_back(u);
  }
  // Each worker folds its units into its own partial; merging them adds integers, so the split is invisible.
  const int workers = std::max(1, std::min<int>(options.threads, static_cast<int>(mine.size())));
  std::vector<FleetPartial> partials(static_cast<std::size_t>(workers), FleetPartial::Empty(scenario));
  std::mutex progress_mutex;
  std::size_t done = 0;
  ParallelFor(mine.size(), workers, [&](std::size_t i, int w) {
    fleet_detail::RunUnit(scenario, options.seed, options.days, mine[i], partials[static_cast<std::size_t>(w)]);
    if (!options.progress) return;
    std::lock_guard<std::mutex> lock(progress_mutex);
    options.progress(++done, mine.size());
  });
  for (std::size_t w = 1; w < partials.size(); ++w) partials[0].Merge(partials[w]);
  return std::move(partials[0]);
}

}  // namespace thinkplan::sim
