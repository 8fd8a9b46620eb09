// The one fleet model (docs/planner.md, "Fleet, cost and latency"): whether a replica of a model on a card holds
// its sequences, its batch limit, its step and service times, its throughput, and the queueing wait of a fleet of
// such replicas at a given load. The planner provisions with it and the simulator admits against the same KV
// capacity, so what the plan promises is what its simulation measures.
//
//   usable       = HBM - reserve                          (ServingRates)
//   KV capacity  = (usable - weights) / KV bytes per token  [tokens]
//   sizing ctx   = prompt + answer + thinking quantile q    (each sequence's final context, not the mean)
//   batch limit  = min(max_num_seqs, floor(KV capacity / sizing ctx))
//   step         = DecodeStep(batch limit, prompt + E[L^2] / (2 E[L]))   (length-biased mean context in flight)
//   service      = L x (step + batch limit / E[L] x prefill(1, prompt))   (a slot's time per sequence of L tokens)
#pragma once

#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/cost_model.h"

namespace thinkplan {

// The scheduler's default cap on concurrent sequences (vLLM's max_num_seqs), shared by planner and simulator.
inline constexpr long kMaxNumSeqs = 256;

// Thinking tokens of one sample: LogNormal(mu, sigma) matched to a mean and a p95 and capped at the budget, as
// the simulator draws them (docs/design.md 3.2). sigma = 0: every sample thinks exactly exp(mu) tokens.
struct ThinkingLength {
  double mu = 0, sigma = 0;
  double cap = std::numeric_limits<double>::infinity();
  bool none = true;  // no thinking at all (mean 0)
  // ln(p95 / mean) = z sigma - sigma^2 / 2; beyond its largest root (sigma = z) the widest fits.
  static ThinkingLength FromMeanAndP95(double mean, double p95, double cap = std::numeric_limits<double>::infinity());
  double Quantile(double p) const;  // of the capped length
  double Cdf(double x) const;       // P(min(X, cap) <= x)
  double Moment(int n) const;       // E[min(X, cap)^n], n = 1 or 2, closed form
  // E[min(T1, T2)] of two independent capped lengths, = integral of P(T > x)^2 dx: how long two samples of one
  // query hold slots together (uncapped LogNormal: 2 E[T] Phi(-sigma / sqrt 2)). By quadrature over the normal.
  double PairMinimumMean() const;
};

// One stream of sequences a replica serves: a class's samples on the system.
struct SequenceStream {
  double sequences_per_s = 0;  // arrival rate of samples (queries x samples per query)
  double samples_per_query = 1;
  double prompt_tokens = 0;
  double answer_tokens = 0;
  ThinkingLength thinking;
  double OutputMean() const { return answer_tokens + thinking.Moment(1); }
  double OutputSecondMoment() const;
  double OutputPairMinimumMean() const { return answer_tokens + thinking.PairMinimumMean(); }
};

struct FleetModelOptions {
  // Final context a replica is sized for, as a quantile of each sequence's thinking. Default 0.95: the
  // simulator admits a sequence only when its whole final context fits, so sizing at the mean overfills.
  double sizing_quantile = 0.95;
  long max_num_seqs = kMaxNumSeqs;
  bool IsValid(std::string* error) const;
};

// What one replica does with the streams it serves, at its batch limit.
struct ReplicaFit {
  bool fits = false;
  std::string refusal;  // why not, with the numbers, when !fits
  double weight_bytes = 0, usable_bytes = 0, kv_bytes_per_token = 0;
  double kv_capacity_tokens = 0;
  double sizing_context_tokens = 0;
  long batch_limit = 0;
  std::string batch_limited_by;  // "KV memory", "max_num_seqs", "latency"
  double kv_bytes_at_limit = 0;  // batch limit x sizing context x KV bytes per token
  double in_flight_context_tokens = 0;
  StepTime step;                 // decode step at the batch limit and the in-flight context
  double prefill_s = 0;          // one sequence's prompt, alone
  double seconds_per_token = 0;  // a slot's time per output token, prefills of the replacements included
  double service_mean_s = 0;     // a slot's time per sequence
  double service_scv = 0;        // squared coefficient of variation of that time
  double sequences_per_s = 0;    // the replica's throughput at the batch limit
};

// Tokens of KV cache a replica holds beside its weights; +infinity when its memory is unknown.
double KvCapacityTokens(const CostModel& model);
// The replica at its largest batch (at most `batch_cap`, 0 = no cap beyond the options). Refused, with the numbers,
// when one sequence at the sizing context does not fit.
ReplicaFit FitReplica(const CostModel& model, const std::vector<SequenceStream>& streams, const FleetModelOptions& options,
                      long batch_cap = 0);
// Throughput at a given latency: the largest batch whose `quantile` service time of a query (its slowest of
// `samples_per_query` samples) is at most `latency_s` for every stream; refused when not even batch 1 is.
ReplicaFit FitReplicaForLatency(const CostModel& model, const std::vector<SequenceStream>& streams,
                                const FleetModelOptions& options, double latency_s, double quantile = 0.95);
// Service time of a query of `stream` at quantile p: its slowest sample's output tokens x the per-token time.
double QueryServiceQuantile(const ReplicaFit& fit, const SequenceStream& stream, double p);

// Waiting for a slot in a fleet of `servers` slots (replicas x batch limit) fed by one FIFO queue of sequences.
// A query of k samples brings k sequences at once, so the slots' occupancy fluctuates more than Poisson traffic's:
// in the infinite-slot system its variance is z times its mean a, with the peakedness (exact for M^X/G/inf)
//   z = 1 + sum_i q_i k_i (k_i - 1) E[min(L_i, L_i')] / sum_i q_i k_i E[L_i]
// (q_i queries/s of stream i, L_i a sample's output; two samples of one query overlap for the shorter one's time).
// The wait follows Hayward's approximation for peaked traffic (Fredericks 1980): the fleet waits like M/M/c with
// c / z servers and offered load a / z, so P(wait) = C(c / z, a / z); the wait beyond is exponential with mean
// z (1 + cs^2) / 2 / (c mu - lambda), the service's variability taken as Allen-Cunneen's factor:
//   P(W > t) = C(c / z, a / z) exp(-t (c mu - lambda) / g),   g = z (1 + cs^2) / 2.
// With single-sample queries (z = 1) this is Allen-Cunneen's M/G/c with Poisson arrivals. Keeping Erlang C at
// the full c for best-of-64 queries put the chance of waiting at 1-3% where the simulator's queue of 64-sequence
// bursts made chat wait 98 s at p95 (docs/planner.md).
struct QueueWait {
  bool stable = false;
  double utilisation = 0;       // lambda E[S] / c
  double probability_wait = 0;  // Erlang C
  double mean_wait_s = 0;
  double tail_scale_s = 0;      // g / (c mu - lambda)
  double Quantile(double p) const;  // of the wait; +infinity when unstable
};
QueueWait FleetQueueWait(double sequences_per_s, double service_mean_s, double service_scv, double peakedness,
                         double servers);
// The peakedness z above of the streams' sequences (1 for single-sample queries).
double SlotPeakedness(const std::vector<SequenceStream>& streams);
// P(wait + service > t) for a query of `stream`: the wait's atom at 0 and exponential tail (above) convolved with
// the service of its slowest sample, by quadrature over the wait.
double QueryLatencyExceedance(const ReplicaFit& fit, const SequenceStream& stream, const QueueWait& wait, double t);
// The t at which a mixture of such exceedances (weights summing to 1) falls to 1 - p, by bisection.
double MixtureQuantile(const std::vector<double>& weights,
                       const std::vector<std::function<double(double)>>& exceedances, double p);

// Hourly rate multipliers with mean 1 and maximum `peak_factor`: a raised cosine peaking mid-afternoon,
// sharpened (cosine to a power) until the peak can be reached. Flat for peak_factor <= 1. The simulator's
// arrivals follow it, and the planner's day-level p95 averages over it.
std::vector<double> HourlyProfile(double peak_factor);

// Erlang C: the probability that an arrival waits in M/M/c with offered load a = lambda / mu, stable recursion.
// A fractional number of servers (Hayward's c / z) interpolates linearly between the whole counts either side.
double ErlangC(double servers, double offered_load);

}  // namespace thinkplan
