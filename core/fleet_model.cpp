#include "core/fleet_model.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/special_functions.h"

namespace thinkplan {
namespace {

constexpr double kGib = 1024.0 * 1024.0 * 1024.0;

// Sequence-rate weights of the streams (equal weights when none carries traffic).
std::vector<double> RateWeights(const std::vector<SequenceStream>& streams) {
  double total = 0;
  for (const SequenceStream& s : streams) total += s.sequences_per_s;
  std::vector<double> w;
  for (const SequenceStream& s : streams) {
    w.push_back(total > 0 ? s.sequences_per_s / total : 1.0 / static_cast<double>(streams.size()));
  }
  return w;
}

std::string Refusal(const ReplicaFit& f, const CostModel& model, double quantile) {
  const ServingRates& r = model.rates();
  return fmt::format(
      "one sequence does not fit: weights {:.1f} GiB + KV cache {:.1f} GiB at {:.0f} tokens (p{:.0f} final context) "
      "> {:.1f} GiB usable of {:.1f} GiB on {} device(s)",
      f.weight_bytes / kGib, f.sizing_context_tokens * f.kv_bytes_per_token / kGib, f.sizing_context_tokens,
      100 * quantile, f.usable_bytes / kGib, r.hbm_bytes / kGib, r.num_devices);
}

// Step, per-token and service times of a replica running `batch` sequences of the streams.
void Timing(ReplicaFit& f, const CostModel& model, const std::vector<SequenceStream>& streams) {
  const std::vector<double> w = RateWeights(streams);
  double mean_l = 0, second_l = 0, prefill = 0, in_flight = 0, time_weight = 0;
  for (std::size_t i = 0; i < streams.size(); ++i) {
    const SequenceStream& s = streams[i];
    const double l = s.OutputMean(), l2 = s.OutputSecondMoment();
    mean_l += w[i] * l;
    second_l += w[i] * l2;
    prefill += w[i] * model.Prefill(1, s.prompt_tokens).total_s;
    // A sequence is in flight for a time proportional to its length: the context seen at a random step is
    // length-biased, prompt + E[L^2] / (2 E[L]).
    in_flight += w[i] * (s.prompt_tokens * l + l2 / 2);
    time_weight += w[i] * l;
  }
  const double b = static_cast<double>(f.batch_limit);
  f.in_flight_context_tokens = time_weight > 0 ? in_flight / time_weight : 0;
  f.step = model.DecodeStep(b, f.in_flight_context_tokens);
  f.prefill_s = prefill;
  // Each step retires batch / E[L] sequences on average, and their replacements' prefills stall the batch.
  f.seconds_per_token = f.step.total_s + (mean_l > 0 ? b / mean_l * prefill : 0);
  f.service_mean_s = std::max(mean_l, 1.0) * f.seconds_per_token;
  f.service_scv = mean_l > 0 ? std::max(0.0, second_l / (mean_l * mean_l) - 1) : 0;
  f.sequences_per_s = b / f.service_mean_s;
  f.kv_bytes_at_limit = b * f.sizing_context_tokens * f.kv_bytes_per_token;
}

}  // namespace

std::vector<double> HourlyProfile(double peak_factor) {
  std::vector<double> profile(24, 1.0);
  if (!(peak_factor > 1)) return profile;
  // s_h = ((1 - cos(2 pi (h + 0.5 - 3) / 24)) / 2)^n: lowest at 03:00, highest at 15:00. Raise n until the
  // shape's own peak-to-mean reaches the target, then mix with a flat floor to hit it exactly.
  for (int n = 1; n <= 64; ++n) {
    std::vector<double> shape(24);
    for (int h = 0; h < 24; ++h) shape[h] = std::pow((1 - std::cos(2 * M_PI * (h + 0.5 - 3) / 24)) / 2, n);
    const double mean = std::accumulate(shape.begin(), shape.end(), 0.0) / 24;
    const double top = *std::max_element(shape.begin(), shape.end()) / mean;
    if (top < peak_factor && n < 64) continue;
    const double alpha = top > peak_factor ? (top - peak_factor) / (top - 1) : 0.0;  // flat share
    for (int h = 0; h < 24; ++h) profile[h] = alpha + (1 - alpha) * shape[h] / mean;
    break;
  }
  return profile;
}

ThinkingLength ThinkingLength::FromMeanAndP95(double mean, double p95, double cap) {
  ThinkingLength t;
  t.cap = cap;
  if (!(mean > 0)) return t;
  t.none = false;
  const double z = kZ95OneSided;
  const double r = p95 > mean ? std::log(p95 / mean) : 0.0;
  t.sigma = r >= z * z / 2 ? z : z - std::sqrt(z * z - 2 * r);
  t.mu = std::log(mean) - t.sigma * t.sigma / 2;
  return t;
}

double ThinkingLength::Quantile(double p) const {
  if (none) return 0;
  return std::min(cap, std::exp(mu + sigma * NormalQuantile(p)));
}

double ThinkingLength::Cdf(double x) const {
  if (none || x >= cap) return x >= 0 ? 1.0 : 0.0;
  if (x <= 0) return 0;
  if (sigma <= 0) return x >= std::exp(mu) ? 1.0 : 0.0;
  return NormalCdf((std::log(x) - mu) / sigma);
}

double ThinkingLength::Moment(int n) const {
  if (none) return 0;
  const double k = static_cast<double>(n);
  if (sigma <= 0) return std::pow(std::min(cap, std::exp(mu)), k);
  const double uncapped = std::exp(k * mu + k * k * sigma * sigma / 2);
  if (!std::isfinite(cap)) return uncapped;
  const double lc = std::log(cap);
  return uncapped * NormalCdf((lc - mu - k * sigma * sigma) / sigma) + std::pow(cap, k) * (1 - NormalCdf((lc - mu) / sigma));
}

double ThinkingLength::PairMinimumMean() const {
  if (none) return 0;
  if (sigma <= 0) return std::min(cap, std::exp(mu));
  // integral of P(T > x)^2 dx over [0, cap], with x = exp(mu + sigma v): Simpson's rule in v on [-9, v_cap];
  // below v = -9, P(T > x) = 1 to double precision and the integral is exp(mu - 9 sigma) itself.
  const double lo = -9, top = std::min(9.0, std::isfinite(cap) ? (std::log(cap) - mu) / sigma : 9.0);
  if (top <= lo) return cap;
  constexpr int kIntervals = 600;  // even
  const double h = (top - lo) / kIntervals;
  double sum = 0;
  for (int i = 0; i <= kIntervals; ++i) {
    const double v = lo + h * i, tail = NormalCdf(-v);
    const double f = tail * tail * sigma * std::exp(mu + sigma * v);
    sum += f * (i == 0 || i == kIntervals ? 1 : (i % 2 == 1 ? 4 : 2));
  }
  return std::exp(mu + sigma * lo) + sum * h / 3;
}

double SequenceStream::OutputSecondMoment() const {
  return answer_tokens * answer_tokens + 2 * answer_tokens * thinking.Moment(1) + thinking.Moment(2);
}

bool FleetModelOptions::IsValid(std::string* error) const {
  if (!(sizing_quantile > 0 && sizing_quantile < 1)) {
    if (error) *error = "sizing quantile must be in (0, 1)";
    return false;
  }
  if (max_num_seqs < 1) {
    if (error) *error = "max_num_seqs must be >= 1";
    return false;
  }
  return true;
}

double KvCapacityTokens(const CostModel& model) {
  const ServingRates& r = model.rates();
  if (r.hbm_bytes <= 0) return std::numeric_limits<double>::infinity();
  return std::max(0.0, (r.hbm_bytes - r.reserve_bytes - model.shape().WeightBytes()) / model.KvBytesPerToken());
}

ReplicaFit FitReplica(const CostModel& model, const std::vector<SequenceStream>& streams, const FleetModelOptions& options,
                      long batch_cap) {
  std::string error;
  if (!options.IsValid(&error)) throw UsageError("fleet model: " + error);
  if (streams.empty()) throw InternalError("fleet model: a replica with no streams");
  ReplicaFit f;
  const ServingRates& r = model.rates();
  f.weight_bytes = model.shape().WeightBytes();
  f.usable_bytes = r.hbm_bytes > 0 ? r.hbm_bytes - r.reserve_bytes : std::numeric_limits<double>::infinity();
  f.kv_bytes_per_token = model.KvBytesPerToken();
  f.kv_capacity_tokens = KvCapacityTokens(model);
  for (const SequenceStream& s : streams) {
    f.sizing_context_tokens = std::max(
        f.sizing_context_tokens, s.prompt_tokens + s.answer_tokens + s.thinking.Quantile(options.sizing_quantile));
  }
  const double memory_cap = f.sizing_context_tokens > 0 ? std::floor(f.kv_capacity_tokens / f.sizing_context_tokens)
                                                        : std::numeric_limits<double>::infinity();
  if (memory_cap < 1) {
    f.refusal = Refusal(f, model, options.sizing_quantile);
    return f;
  }
  const long requested = batch_cap > 0 ? std::min(batch_cap, options.max_num_seqs) : options.max_num_seqs;
  f.fits = true;
  if (memory_cap < static_cast<double>(requested)) {
    f.batch_limit = static_cast<long>(memory_cap);
    f.batch_limited_by = "KV memory";
  } else {
    f.batch_limit = requested;
    f.batch_limited_by = requested < options.max_num_seqs ? "latency" : "max_num_seqs";
  }
  Timing(f, model, streams);
  return f;
}

double QueryServiceQuantile(const ReplicaFit& fit, const SequenceStream& stream, double p) {
  // The slowest of k independent samples is below its p-quantile when each is below the p^(1/k) quantile.
  const double k = std::max(1.0, stream.samples_per_query);
  const double tokens = stream.answer_tokens + stream.thinking.Quantile(std::pow(p, 1 / k));
  return fit.prefill_s + std::max(tokens, 1.0) * fit.seconds_per_token;
}

ReplicaFit FitReplicaForLatency(const CostModel& model, const std::vector<SequenceStream>& streams,
                                const FleetModelOptions& options, double latency_s, double quantile) {
  ReplicaFit best = FitReplica(model, streams, options);
  if (!best.fits || !(latency_s > 0)) return best;
  auto meets = [&](const ReplicaFit& f) {
    for (const SequenceStream& s : streams) {
      if (QueryServiceQuantile(f, s, quantile) > latency_s) return false;
    }
    return true;
  };
  if (meets(best)) return best;
  // Service time grows with the batch (longer steps, more prefills per step): bisect on the largest that meets.
  long lo = 0, hi = best.batch_limit;  // lo meets (0 = none found), hi does not
  while (hi - lo > 1) {
    const long mid = lo + (hi - lo) / 2;
    (meets(FitReplica(model, streams, options, mid)) ? lo : hi) = mid;
  }
  if (lo == 0) {
    ReplicaFit alone = FitReplica(model, streams, options, 1);
    double worst = 0;
    for (const SequenceStream& s : streams) worst = std::max(worst, QueryServiceQuantile(alone, s, quantile));
    alone.fits = false;
    alone.refusal = fmt::format("even alone on a replica a query takes {:.0f} s at p{:.0f} > {:.0f} s", worst,
                                100 * quantile, latency_s);
    return alone;
  }
  ReplicaFit fit = FitReplica(model, streams, options, lo);
  fit.batch_limited_by = "latency";
  return fit;
}

namespace {

// P(service > s) of a query whose slowest of k samples sets its time.
double ServiceExceedance(const ReplicaFit& fit, const SequenceStream& stream, double s) {
  const double tokens = (s - fit.prefill_s) / fit.seconds_per_token - stream.answer_tokens;
  const double k = std::max(1.0, stream.samples_per_query);
  return 1 - std::pow(stream.thinking.Cdf(tokens), k);
}

}  // namespace

double QueryLatencyExceedance(const ReplicaFit& fit, const SequenceStream& stream, const QueueWait& wait, double t) {
  if (!wait.stable) return 1;
  const double waits = wait.probability_wait;
  double out = (1 - waits) * ServiceExceedance(fit, stream, t);
  if (waits <= 0 || wait.tail_scale_s <= 0) return out + waits * ServiceExceedance(fit, stream, t);
  // Over the wait w = tau u, u ~ Exp(1): the part with w < t by the midpoint rule, beyond it the query is late.
  constexpr int kPoints = 32;
  const double u_max = t / wait.tail_scale_s;
  const double du = std::min(u_max, 40.0) / kPoints;
  double inner = 0;
  for (int i = 0; i < kPoints; ++i) {
    const double u = (i + 0.5) * du;
    inner += std::exp(-u) * ServiceExceedance(fit, stream, t - u * wait.tail_scale_s) * du;
  }
  return out + waits * (inner + std::exp(-std::min(u_max, 40.0)));
}

double MixtureQuantile(const std::vector<double>& weights, const std::vector<std::function<double(double)>>& exceedances,
                       double p) {
  auto over = [&](double t) {
    double sum = 0;
    for (std::size_t i = 0; i < weights.size(); ++i) sum += weights[i] * exceedances[i](t);
    return sum;
  };
  double hi = 1;
  while (over(hi) > 1 - p) {
    hi *= 4;
    if (hi > 1e9) return std::numeric_limits<double>::infinity();
  }
  double lo = 0;
  while (hi - lo > 1e-4 * hi) {  // a ten-thousandth of the answer
    const double mid = 0.5 * (lo + hi);
    (over(mid) > 1 - p ? lo : hi) = mid;
  }
  return hi;
}

namespace {

double ErlangCWhole(long servers, double offered_load) {
  if (offered_load <= 0) return 0;
  if (servers < 1 || offered_load >= static_cast<double>(servers)) return 1;
  double b = 1;  // Erlang B, by the recursion B(n) = a B(n-1) / (n + a B(n-1)), which never overflows
  for (long n = 1; n <= servers; ++n) b = offered_load * b / (static_cast<double>(n) + offered_load * b);
  const double rho = offered_load / static_cast<double>(servers);
  return b / (1 - rho * (1 - b));
}

}  // namespace

double ErlangC(double servers, double offered_load) {
  const double whole = std::floor(servers);
  const long n = static_cast<long>(whole);
  const double below = ErlangCWhole(n, offered_load);
  if (servers == whole) return below;
  return below + (servers - whole) * (ErlangCWhole(n + 1, offered_load) - below);
}

double SlotPeakedness(const std::vector<SequenceStream>& streams) {
  double together = 0, load = 0;
  for (const SequenceStream& s : streams) {
    const double k = std::max(1.0, s.samples_per_query);
    together += s.sequences_per_s * (k - 1) * s.OutputPairMinimumMean();
    load += s.sequences_per_s * std::max(s.OutputMean(), 1.0);
  }
  return load > 0 ? 1 + together / load : 1;
}

QueueWait FleetQueueWait(double sequences_per_s, double service_mean_s, double service_scv, double peakedness,
                         double servers) {
  QueueWait q;
  const double a = sequences_per_s * service_mean_s;
  q.utilisation = servers > 0 ? a / servers : std::numeric_limits<double>::infinity();
  if (!(q.utilisation < 1)) {
    q.mean_wait_s = q.tail_scale_s = std::numeric_limits<double>::infinity();
    q.probability_wait = 1;
    return q;
  }
  q.stable = true;
  const double z = std::max(1.0, peakedness);
  q.probability_wait = ErlangC(servers / z, a / z);
  const double g = z * (1 + service_scv) / 2;
  q.tail_scale_s = g / (servers / service_mean_s - sequences_per_s);
  q.mean_wait_s = q.probability_wait * q.tail_scale_s;
  return q;
}

double QueueWait::Quantile(double p) const {
  if (!stable) return std::numeric_limits<double>::infinity();
  if (probability_wait <= 1 - p) return 0;
  return tail_scale_s * std::log(probability_wait / (1 - p));
}

}  // namespace thinkplan
