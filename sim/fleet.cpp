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
#include "sim/fleet_shard.h"

namespace thinkplan::sim {
namespace {

using fleet_detail::kNever;

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
    // A query id holds the class in 16 bits and its index within an hour in 32 (sim/fleet_draws.h).
    const double peak = c.hourly_profile.empty() ? 1.0 : *std::max_element(c.hourly_profile.begin(), c.hourly_profile.end());
    if (c.daily_volume / 24.0 * peak > 3e9) Invalid(at + ".daily_volume", c.daily_volume, "at most 3e9 queries an hour");
    if (i >= 65536) Invalid("classes", static_cast<double>(classes.size()), "at most 65536 classes");
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
  // Guards on the run's length (its memory does not grow with them).
  if (!(max_queries >= 1 && max_queries <= 1e15) || !(max_sequences >= 1 && max_sequences <= 1e15)) {
    *error = "the query and sample limits must be in [1, 1e15]";
    return false;
  }
  return true;
}

FleetSummary SimulateFleet(const FleetScenario& scenario, const FleetOptions& options) {
  const Stopwatch start;
  const FleetPartial merged = SimulateFleetShard(scenario, options, 0, 1);
  return SummariseFleet(scenario, options, merged, start.Seconds());
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
