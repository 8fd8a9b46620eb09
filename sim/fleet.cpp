#include "sim/fleet.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <numeric>
#include <thread>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/number_format.h"
#include "core/special_functions.h"
#include "core/timing.h"
#include "sim/fleet_draws.h"
#include "sim/fleet_partition.h"

namespace thinkplan::sim {
namespace {

using fleet_detail::BigVector;
using fleet_detail::kNever;
using fleet_detail::PartitionStats;
using fleet_detail::Query;
using fleet_detail::Sequence;

[[noreturn]] void Invalid(const std::string& field, double value, const std::string& rule) {
  throw InputError({"fleet scenario", 0, field, fmt::format("{}", value)}, rule);
}

void CheckDistribution(const std::vector<double>& weights, const std::string& field) {
  double sum = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (!(weights[i] >= 0) || !std::isfinite(weights[i])) Invalid(fmt::format("{}[{}]", field, i), weights[i], "must be >= 0");
    sum += weights[i];
  }
  if (weights.empty() || std::abs(sum - 1) > 1e-6) Invalid(field, sum, "must sum to 1");
}

// Runs task(i) for i in [0, n) on `threads` workers; task i writes only its own slot, so the result is the same
// for any thread count.
void ParallelFor(std::size_t n, int threads, const std::function<void(std::size_t)>& task) {
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < n; i = next++) task(i);
  };
  const std::size_t workers = std::min<std::size_t>(n, static_cast<std::size_t>(std::max(1, threads)));
  std::vector<std::thread> pool;
  for (std::size_t w = 1; w < workers; ++w) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
}

// Nearest-rank p50, p95 and p99 (selection, not a full sort: the values are partitioned in place).
Percentiles NearestRank(BigVector<double>& values) {
  Percentiles out;
  if (values.empty()) return out;
  auto at = [&](double q) {
    const std::size_t rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
    const auto nth = values.begin() + static_cast<std::ptrdiff_t>(std::min(values.size() - 1, rank == 0 ? 0 : rank - 1));
    std::nth_element(values.begin(), nth, values.end());
    return *nth;
  };
  out.p50 = at(0.5);
  out.p95 = at(0.95);
  out.p99 = at(0.99);
  return out;
}

// Log-spaced latency bins, 4 per decade from 0.1 s to 10^5 s, and a last bin for unserved queries.
std::vector<double> HistogramBounds() {
  std::vector<double> bounds;
  for (int i = 0; i <= 24; ++i) bounds.push_back(0.1 * std::pow(10.0, i / 4.0));
  bounds.push_back(kNever);
  return bounds;
}

ClassOutcome SummariseClass(const FleetScenario& scenario, int cls, const BigVector<Query>& queries,
                            std::size_t first, std::size_t last, double days) {
  const FleetClass& c = scenario.classes[static_cast<std::size_t>(cls)];
  ClassOutcome out;
  out.name = c.name;
  out.slo_p95_s = c.slo_p95_s;
  BigVector<double> ttft, latency;
  ttft.reserve(last - first);
  latency.reserve(last - first);
  double credit = 0, credit2 = 0, usd = 0, latency_sum = 0;
  uint64_t misses = 0, served = 0;
  const std::vector<double> bounds = HistogramBounds();
  for (double b : bounds) out.latency_histogram.push_back({b, 0});
  for (std::size_t i = first; i < last; ++i) {
    const Query& q = queries[i];
    ++out.queries;
    out.sequences += q.samples;
    usd += q.usd;
    const double e2e = q.unserved ? kNever : q.finish - q.arrival;
    if (q.unserved) {
      ++out.unserved;
    } else {
      ++served;
      credit += q.credit;
      credit2 += q.credit * q.credit;
      ttft.push_back(q.ttft - q.arrival);
      latency.push_back(e2e);
      latency_sum += e2e;
    }
    if (c.slo_p95_s > 0 && e2e > c.slo_p95_s) ++misses;
    const std::size_t bin = static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), e2e) - bounds.begin());
    ++out.latency_histogram[std::min(bin, bounds.size() - 1)].second;
  }
  if (served > 0) {
    const double n = static_cast<double>(served);
    out.accuracy = credit / n;
    const double variance = served > 1 ? std::max(0.0, (credit2 - n * out.accuracy * out.accuracy) / (n - 1)) : 0.0;
    const double half = kZ95TwoSided * std::sqrt(variance / n);
    out.accuracy_interval = {out.accuracy - half, out.accuracy + half};
    out.mean_latency_s = latency_sum / n;
  }
  // Unserved queries sit above every served one in the latency distribution.
  latency.resize(latency.size() + out.unserved, kNever);
  out.ttft_s = NearestRank(ttft);
  out.latency_s = NearestRank(latency);
  out.usd_per_month = days > 0 ? usd / days * scenario.days_per_month : 0.0;
  out.slo_miss_fraction = out.queries > 0 ? static_cast<double>(misses) / static_cast<double>(out.queries) : 0.0;
  return out;
}

}  // namespace

void FleetScenario::Validate() const {
  if (classes.empty()) Invalid("classes", 0, "at least one class is needed");
  if (!(days_per_month > 0)) Invalid("days_per_month", days_per_month, "must be > 0");
  for (std::size_t s = 0; s < systems.size(); ++s) {
    const FleetSystem& sys = systems[s];
    const std::string at = fmt::format("systems[{}]", s);
    if (sys.api) {
      if (!(sys.output_tokens_per_s > 0)) Invalid(at + ".output_tokens_per_s", sys.output_tokens_per_s, "must be > 0");
      if (!(sys.ttft_s >= 0)) Invalid(at + ".ttft_s", sys.ttft_s, "must be >= 0");
    } else {
      if (!sys.model) Invalid(at + ".model", 0, "a self-hosted system needs a cost model");
      if (sys.replicas < 0) Invalid(at + ".replicas", static_cast<double>(sys.replicas), "must be >= 0");
      if (sys.max_batch < 1) Invalid(at + ".max_batch", static_cast<double>(sys.max_batch), "must be >= 1");
      if (!(sys.usd_per_device_hour >= 0)) Invalid(at + ".usd_per_device_hour", sys.usd_per_device_hour, "must be >= 0");
    }
  }
  for (std::size_t i = 0; i < classes.size(); ++i) {
    const FleetClass& c = classes[i];
    const std::string at = fmt::format("classes[{}]", i);
    if (!(c.daily_volume >= 0) || !std::isfinite(c.daily_volume)) Invalid(at + ".daily_volume", c.daily_volume, "must be >= 0");
    if (!c.hourly_profile.empty() && c.hourly_profile.size() != 24) {
      Invalid(at + ".hourly_profile", static_cast<double>(c.hourly_profile.size()), "must have 24 entries");
    }
    CheckDistribution(c.true_shares, at + ".true_shares");
    if (c.buckets.size() != c.true_shares.size()) {
      Invalid(at + ".buckets", static_cast<double>(c.buckets.size()), "one predicted bucket per true bucket");
    }
    if (!c.confusion.empty()) {
      if (c.confusion.size() != c.true_shares.size()) Invalid(at + ".confusion", static_cast<double>(c.confusion.size()), "one row per bucket");
      for (std::size_t t = 0; t < c.confusion.size(); ++t) {
        if (c.confusion[t].size() != c.buckets.size()) Invalid(fmt::format("{}.confusion[{}]", at, t), 0, "one column per bucket");
        CheckDistribution(c.confusion[t], fmt::format("{}.confusion[{}]", at, t));
      }
    }
    for (std::size_t b = 0; b < c.buckets.size(); ++b) {
      const std::string bat = fmt::format("{}.buckets[{}]", at, b);
      std::vector<double> fractions;
      for (std::size_t o = 0; o < c.buckets[b].options.size(); ++o) {
        const FleetOption& opt = c.buckets[b].options[o];
        const std::string oat = fmt::format("{}.options[{}]", bat, o);
        fractions.push_back(opt.fraction);
        if (opt.system < 0 || static_cast<std::size_t>(opt.system) >= systems.size()) {
          Invalid(oat + ".system", opt.system, "must name a system");
        }
        if (opt.correctness.samples < 1 || opt.correctness.samples > 65535) {
          Invalid(oat + ".samples", opt.correctness.samples, "must be in 1..65535");
        }
        if (!(opt.correctness.beta_a > 0) || !(opt.correctness.beta_b > 0)) Invalid(oat + ".beta", opt.correctness.beta_a, "a, b must be > 0");
        if (!(opt.verifier_s >= 0)) Invalid(oat + ".verifier_s", opt.verifier_s, "must be >= 0");
        if (!opt.correctness_by_true.empty() && opt.correctness_by_true.size() != c.true_shares.size()) {
          Invalid(oat + ".correctness_by_true", static_cast<double>(opt.correctness_by_true.size()), "one entry per true bucket");
        }
        if (!opt.tokens_by_true.empty() && opt.tokens_by_true.size() != c.true_shares.size()) {
          Invalid(oat + ".tokens_by_true", static_cast<double>(opt.tokens_by_true.size()), "one entry per true bucket");
        }
        for (std::size_t t = 0; t < opt.correctness_by_true.size(); ++t) {
          const McProblemSpec& spec = opt.correctness_by_true[t];
          if (spec.samples != opt.correctness.samples || spec.aggregation != opt.correctness.aggregation) {
            Invalid(fmt::format("{}.correctness_by_true[{}].samples", oat, t), spec.samples, "must match the option's samples and aggregation");
          }
          if (!(spec.beta_a > 0) || !(spec.beta_b > 0)) Invalid(fmt::format("{}.correctness_by_true[{}].beta", oat, t), spec.beta_a, "a, b must be > 0");
        }
      }
      CheckDistribution(fractions, bat + ".options.fraction");
    }
  }
}

bool FleetOptions::IsValid(std::string* error) const {
  if (!(days > 0) || days > 366) {
    *error = "days must be in (0, 366]";
    return false;
  }
  if (threads < 1 || threads > 1024) {
    *error = "threads must be in 1..1024";
    return false;
  }
  // Query and sample indices are 32-bit.
  if (!(max_queries >= 1 && max_queries <= 4e9) || !(max_sequences >= 1 && max_sequences <= 4e9)) {
    *error = "the query and sample limits must be in [1, 4e9]";
    return false;
  }
  return true;
}

ExpectedDraws ExpectedDrawsOf(const FleetScenario& scenario, double days) {
  ExpectedDraws out;
  for (const FleetClass& c : scenario.classes) {
    // Samples per query: over true buckets, the router's predicted buckets and their options' fractions.
    double samples = 0;
    for (std::size_t t = 0; t < c.true_shares.size(); ++t) {
      for (std::size_t p = 0; p < c.buckets.size(); ++p) {
        const double routed = c.confusion.empty() ? (p == t ? 1.0 : 0.0) : c.confusion[t][p];
        for (const FleetOption& o : c.buckets[p].options) samples += c.true_shares[t] * routed * o.fraction * o.correctness.samples;
      }
    }
    out.queries += c.daily_volume * days;
    out.sequences += c.daily_volume * days * samples;
  }
  return out;
}

FleetSummary SimulateFleet(const FleetScenario& scenario, const FleetOptions& options) {
  std::string error;
  if (!options.IsValid(&error)) throw UsageError("fleet simulation: " + error);
  scenario.Validate();
  const ExpectedDraws expected = ExpectedDrawsOf(scenario, options.days);
  if (expected.queries > options.max_queries || expected.sequences > options.max_sequences) {
    throw UsageError(fmt::format(
        "fleet simulation: {:g} day(s) of this traffic would draw about {:.3g} queries and {:.3g} samples, above "
        "the limits of {:.3g} queries and {:.3g} samples that keep its memory in bounds; simulate fewer days "
        "(--days) or raise the limits (--max-queries, --max-samples)",
        options.days, expected.queries, expected.sequences, options.max_queries, options.max_sequences));
  }
  const Stopwatch start;
  const std::size_t n_classes = scenario.classes.size(), n_systems = scenario.systems.size();
  std::mutex progress_mutex;
  std::size_t done = 0;
  const std::size_t total_units = n_classes + n_systems;
  auto report = [&] {
    if (!options.progress) return;
    std::lock_guard<std::mutex> lock(progress_mutex);
    options.progress(++done, total_units);
  };

  // 1. Draw each class's queries (independent streams per class): arrivals first, which fix where each class's
  // queries go in the one array, then everything else about them in place.
  std::vector<BigVector<double>> arrivals(n_classes);
  ParallelFor(n_classes, options.threads, [&](std::size_t c) {
    arrivals[c] = fleet_detail::DrawArrivals(scenario, static_cast<int>(c), options.seed, options.days);
  });
  std::vector<std::size_t> class_first(n_classes + 1, 0);
  for (std::size_t c = 0; c < n_classes; ++c) class_first[c + 1] = class_first[c] + arrivals[c].size();
  BigVector<Query> queries(class_first[n_classes]);
  std::vector<BigVector<Sequence>> class_sequences(n_classes);
  ParallelFor(n_classes, options.threads, [&](std::size_t c) {
    fleet_detail::DrawQueries(scenario, static_cast<int>(c), options.seed, arrivals[c], queries, class_first[c],
                              class_sequences[c]);
    arrivals[c] = {};
    report();
  });
  // The sequences of the classes, one after another.
  std::size_t total_sequences = 0;
  for (const BigVector<Sequence>& s : class_sequences) total_sequences += s.size();
  BigVector<Sequence> sequences;
  sequences.reserve(total_sequences);
  for (std::size_t c = 0; c < n_classes; ++c) {
    const uint32_t offset = static_cast<uint32_t>(sequences.size());
    for (std::size_t i = class_first[c]; i < class_first[c + 1]; ++i) queries[i].first_sequence += offset;
    sequences.insert(sequences.end(), class_sequences[c].begin(), class_sequences[c].end());
    class_sequences[c] = {};
  }

  // 2. Each system runs its own event loop over the queries routed to it, in arrival order.
  std::vector<BigVector<uint32_t>> routed(n_systems);
  std::vector<std::size_t> routed_count(n_systems, 0);
  for (const Query& q : queries) ++routed_count[static_cast<std::size_t>(q.system)];
  for (std::size_t s = 0; s < n_systems; ++s) routed[s].reserve(routed_count[s]);
  for (uint32_t i = 0; i < queries.size(); ++i) routed[static_cast<std::size_t>(queries[i].system)].push_back(i);
  std::vector<PartitionStats> stats(n_systems);
  ParallelFor(n_systems, options.threads, [&](std::size_t s) {
    // Each class's queries are already in arrival order and the classes follow one another: merge the runs.
    BigVector<uint32_t>& order = routed[s];
    auto earlier = [&](uint32_t a, uint32_t b) { return queries[a].arrival < queries[b].arrival; };
    std::size_t merged = 0;
    for (std::size_t i = 1; i <= order.size(); ++i) {
      if (i == order.size() || queries[order[i]].cls != queries[order[i - 1]].cls) {
        std::inplace_merge(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(merged),
                           order.begin() + static_cast<std::ptrdiff_t>(i), earlier);
        merged = i;
      }
    }
    stats[s] = fleet_detail::RunPartition(scenario, static_cast<int>(s), order, queries, sequences);
    report();
  });

  // 3. The provisioned cost of each self-hosted system over the arrival window, shared by device-seconds.
  for (std::size_t s = 0; s < n_systems; ++s) {
    const FleetSystem& sys = scenario.systems[s];
    if (sys.api) continue;
    double used = 0;
    for (uint32_t q : routed[s]) used += queries[q].device_s;
    const double paid = static_cast<double>(sys.replicas * sys.devices_per_replica) * sys.usd_per_device_hour * options.days * 24.0;
    if (used > 0) {
      for (uint32_t q : routed[s]) queries[q].usd += paid * queries[q].device_s / used;
    }
  }

  // 4. Summaries, merged in a fixed order.
  FleetSummary out;
  out.seed = options.seed;
  out.days = options.days;
  out.threads = options.threads;
  out.queries = queries.size();
  out.sequences = sequences.size();
  double weight_total = 0, weighted_accuracy = 0, weighted_variance = 0, usd = 0;
  uint64_t misses = 0;
  for (std::size_t c = 0; c < n_classes; ++c) {
    ClassOutcome outcome = SummariseClass(scenario, static_cast<int>(c), queries, class_first[c], class_first[c + 1], options.days);
    const double w = scenario.classes[c].daily_volume * scenario.classes[c].value_usd;
    weight_total += w;
    weighted_accuracy += w * outcome.accuracy;
    const double se = (outcome.accuracy_interval.upper - outcome.accuracy) / kZ95TwoSided;
    weighted_variance += w * w * se * se;
    usd += outcome.usd_per_month;
    misses += static_cast<uint64_t>(std::llround(outcome.slo_miss_fraction * static_cast<double>(outcome.queries)));
    out.unserved += outcome.unserved;
    out.classes.push_back(std::move(outcome));
  }
  if (weight_total > 0) {
    out.accuracy = weighted_accuracy / weight_total;
    const double half = kZ95TwoSided * std::sqrt(weighted_variance) / weight_total;
    out.accuracy_interval = {out.accuracy - half, out.accuracy + half};
  }
  out.slo_miss_fraction = out.queries > 0 ? static_cast<double>(misses) / static_cast<double>(out.queries) : 0.0;

  double area = 0, end = 0, sojourn = 0;
  uint64_t served = 0;
  std::size_t hours = 0;
  for (const PartitionStats& s : stats) {
    area += s.area_in_system;
    end = std::max(end, s.end_s);
    hours = std::max(hours, s.queue_area.size());
  }
  for (const Query& q : queries) {
    if (q.unserved) continue;
    ++served;
    sojourn += q.finish - q.arrival;
  }
  out.simulated_s = end;
  const double window = std::max(end, options.days * 86400.0);
  for (std::size_t h = 0; h < hours; ++h) {
    HourQueue row;
    row.hour = static_cast<int>(h);
    const double span = std::min(3600.0, std::max(1e-9, end - 3600.0 * static_cast<double>(h)));
    for (const PartitionStats& s : stats) {
      if (h >= s.queue_area.size()) continue;
      row.mean_queue += s.queue_area[h] / span;
      row.max_queue += s.queue_max[h];  // an upper bound on the fleet-wide maximum: partitions peak at different times
      row.mean_in_system += s.in_system_area[h] / span;
    }
    out.queue_by_hour.push_back(row);
  }
  if (end > 0 && served > 0) {
    out.little.arrival_rate_per_s = static_cast<double>(served) / end;
    out.little.mean_in_system = area / end;
    out.little.mean_time_in_system_s = sojourn / static_cast<double>(served);
    const double predicted = out.little.arrival_rate_per_s * out.little.mean_time_in_system_s;
    out.little.relative_gap = out.little.mean_in_system > 0 ? std::abs(out.little.mean_in_system - predicted) / out.little.mean_in_system : 0.0;
  }

  for (std::size_t s = 0; s < n_systems; ++s) {
    const FleetSystem& sys = scenario.systems[s];
    const PartitionStats& st = stats[s];
    SystemOutcome o;
    o.name = sys.name;
    o.hardware = sys.hardware;
    o.api = sys.api;
    o.sequences = st.sequences;
    if (!sys.api) {
      o.replicas = sys.replicas;
      o.devices = sys.replicas * sys.devices_per_replica;
      o.planned_devices = sys.planned_devices;
      const double replica_time = static_cast<double>(sys.replicas) * window;
      o.utilisation = replica_time > 0 ? st.busy_replica_s / replica_time : 0.0;
      o.kv_peak_fraction = st.kv_peak_fraction;
      o.gpu_hours = static_cast<double>(o.devices) * options.days * 24.0;
      o.busy_gpu_hours = st.busy_replica_s * static_cast<double>(sys.devices_per_replica) / 3600.0;
      o.usd_per_month = static_cast<double>(o.devices) * sys.usd_per_device_hour * 24.0 * scenario.days_per_month;
      o.mean_batch = st.busy_replica_s > 0 ? st.batch_time / st.busy_replica_s : 0.0;
      o.mean_wait_s = st.sequences > 0 ? st.wait_s / static_cast<double>(st.sequences) : 0.0;
      out.gpu_hours += o.gpu_hours;
    } else {
      double spent = 0;
      for (uint32_t q : routed[s]) spent += queries[q].usd;
      o.usd_per_month = spent / options.days * scenario.days_per_month;
    }
    out.systems.push_back(o);
  }
  out.usd_per_month = usd;
  out.seconds = start.Seconds();
  return out;
}

std::string FleetSummary::BriefReport() const {
  return fmt::format("fleet simulation: {} queries ({} sequences) over {} day(s), accuracy {} [{:.2f}, {:.2f}], "
                     "{}, {:.1f} GPU-hours, SLO misses {}, {:.2f} s wall\n",
                     queries, sequences, days, Percent(accuracy, 2), 100 * accuracy_interval.lower,
                     100 * accuracy_interval.upper, UsdPerMonth(usd_per_month), gpu_hours, Percent(slo_miss_fraction, 2),
                     seconds);
}

std::string FleetSummary::FullReport() const {
  std::string out = BriefReport();
  out += fmt::format("\n{:<14} {:>9} {:>17} {:>12} {:>9} {:>9} {:>9} {:>7} {:>7}\n", "class", "queries", "accuracy [95%]",
                     "$/month", "ttft p95", "e2e p50", "e2e p95", "SLO", "missed");
  for (const ClassOutcome& c : classes) {
    out += fmt::format("{:<14} {:>9} {:>5.1f} [{:>4.1f},{:>5.1f}] {:>12} {:>9.2f} {:>9.2f} {:>9.2f} {:>7.0f} {:>7}\n", c.name,
                       c.queries, 100 * c.accuracy, 100 * c.accuracy_interval.lower, 100 * c.accuracy_interval.upper,
                       Usd(c.usd_per_month), c.ttft_s.p95, c.latency_s.p50, c.latency_s.p95, c.slo_p95_s,
                       Percent(c.slo_miss_fraction, 2));
  }
  out += fmt::format("\n{:<26} {:>8} {:>8} {:>7} {:>7} {:>8} {:>10} {:>12}\n", "system", "replicas", "devices", "util",
                     "KV peak", "batch", "GPU-hours", "$/month");
  for (const SystemOutcome& s : systems) {
    out += fmt::format("{:<26} {:>8} {:>8} {:>7} {:>7} {:>8.1f} {:>10.1f} {:>12}\n", s.name, s.api ? "api" : std::to_string(s.replicas),
                       s.devices, Percent(s.utilisation), Percent(s.kv_peak_fraction), s.mean_batch, s.gpu_hours,
                       Usd(s.usd_per_month));
  }
  out += fmt::format("\nLittle's law: L = {:.3f}, lambda W = {:.3f} ({:.4f} q/s x {:.3f} s), relative gap {:.2e}\n",
                     little.mean_in_system, little.arrival_rate_per_s * little.mean_time_in_system_s, little.arrival_rate_per_s,
                     little.mean_time_in_system_s, little.relative_gap);
  return out;
}

}  // namespace thinkplan::sim
