// The fleet model (core/fleet_model.h) against hand computation: weight and KV bytes from the model shape
// (Qwen2.5-32B's config: 64 layers, 8 KV heads of 128), the batch limit as a floor of a quotient, the capped
// LogNormal's moments against numerical integration, Erlang C against its closed forms for one and two servers,
// and the Allen-Cunneen wait against M/M/1's rho / (mu - lambda).
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>

#include "core/cost_model.h"
#include "core/fleet_model.h"
#include "core/special_functions.h"

namespace thinkplan {
namespace {

constexpr double kGib = 1024.0 * 1024.0 * 1024.0;

ModelShape Qwen32B() {
  ModelShape s;
  s.name = "QwQ-32B-Preview";
  s.params_total = s.params_active = 32.76e9;
  s.layers = 64;
  s.hidden = 5120;
  s.heads = 40;
  s.kv_heads = 8;
  s.head_dim = 128;
  s.intermediate = 27648;
  s.vocab = 152064;
  s.dtype_bytes = s.kv_dtype_bytes = 2;
  return s;
}

CostModel H100(long devices) {
  HardwareInfo h100;
  h100.name = "H100-SXM-80GB";
  h100.hbm_gib = 80;
  h100.hbm_tb_per_s = 3.35;
  h100.bf16_dense_tflops = 989;
  return CostModel(Qwen32B(), RatesFromDatasheet(h100, devices, Efficiency{}, 2));
}

SequenceStream Competition(double thinking_mean, double thinking_p95) {
  SequenceStream s;
  s.sequences_per_s = 0.1;
  s.prompt_tokens = 250;
  s.answer_tokens = 50;
  s.thinking = ThinkingLength::FromMeanAndP95(thinking_mean, thinking_p95);
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fleet_model)

BOOST_AUTO_TEST_CASE(kv_capacity_is_usable_memory_less_weights_over_kv_bytes_per_token) {
  const CostModel one = H100(1);
  // 2 (K and V) x 64 layers x 8 heads x 128 x 2 bytes = 262,144 bytes per token; 32.76e9 x 2 bytes of weights;
  // 90% of 80 GiB usable.
  const double usable = 0.9 * 80 * kGib, weights = 32.76e9 * 2, per_token = 2.0 * 64 * 8 * 128 * 2;
  BOOST_TEST(KvCapacityTokens(one) == (usable - weights) / per_token, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(KvCapacityTokens(H100(2)) == (2 * usable - weights) / per_token, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(batch_limit_sizes_kv_at_the_p95_final_context_not_the_mean) {
  const CostModel one = H100(1);
  const SequenceStream s = Competition(7875, 15750);
  const ReplicaFit fit = FitReplica(one, {s}, FleetModelOptions{});
  BOOST_REQUIRE(fit.fits);
  // The LogNormal is matched to the p95, so its 0.95 quantile is the p95 itself.
  const double context = 250 + 50 + 15750;
  BOOST_TEST(fit.sizing_context_tokens == context, boost::test_tools::tolerance(1e-9));
  const double capacity = (0.9 * 80 * kGib - 32.76e9 * 2) / 262144.0;
  BOOST_TEST(fit.batch_limit == static_cast<long>(std::floor(capacity / context)));
  BOOST_TEST(fit.batch_limited_by == "KV memory");
  // Weights plus the KV cache at the limit stay within the usable memory: the 61 + 21 GiB cannot recur.
  BOOST_TEST(fit.weight_bytes + fit.kv_bytes_at_limit <= fit.usable_bytes);
  // The mean-context sizing the planner used before admits more than fits at the final contexts.
  BOOST_TEST(std::floor(capacity / (250 + (7875 + 50) / 2.0)) > static_cast<double>(fit.batch_limit));
}

BOOST_AUTO_TEST_CASE(a_replica_that_cannot_hold_one_sequence_is_refused_with_the_numbers) {
  ModelShape big = Qwen32B();
  big.params_total = big.params_active = 40e9;  // 80 GB of weights on a 72 GiB usable card
  HardwareInfo h100;
  h100.hbm_gib = 80;
  h100.hbm_tb_per_s = 3.35;
  h100.bf16_dense_tflops = 989;
  const CostModel model(big, RatesFromDatasheet(h100, 1, Efficiency{}, 2));
  const ReplicaFit fit = FitReplica(model, {Competition(7875, 15750)}, FleetModelOptions{});
  BOOST_TEST(!fit.fits);
  BOOST_TEST(fit.refusal.find("74.5 GiB") != std::string::npos, fit.refusal);  // 80e9 bytes of weights
  BOOST_TEST(fit.refusal.find("72.0 GiB usable") != std::string::npos, fit.refusal);
}

BOOST_AUTO_TEST_CASE(service_time_is_tokens_times_the_step_at_the_batch_limit_plus_prefills) {
  const CostModel one = H100(1);
  const SequenceStream s = Competition(7875, 15750);
  const ReplicaFit fit = FitReplica(one, {s}, FleetModelOptions{});
  const double mean_l = s.OutputMean(), b = static_cast<double>(fit.batch_limit);
  const double in_flight = 250 + s.OutputSecondMoment() / (2 * mean_l);
  const double step = one.DecodeStep(b, in_flight).total_s;
  const double per_token = step + b / mean_l * one.Prefill(1, 250).total_s;
  BOOST_TEST(fit.seconds_per_token == per_token, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(fit.sequences_per_s == b / (mean_l * per_token), boost::test_tools::tolerance(1e-12));
  // A query of 4 samples waits for the slowest: its p95 is each sample's 0.95^(1/4) quantile.
  SequenceStream four = s;
  four.samples_per_query = 4;
  const double tokens = 50 + std::exp(s.thinking.mu + s.thinking.sigma * NormalQuantile(std::pow(0.95, 0.25)));
  BOOST_TEST(QueryServiceQuantile(fit, four, 0.95) == fit.prefill_s + tokens * per_token,
             boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(latency_bound_takes_the_largest_batch_that_meets_it) {
  const CostModel two = H100(2);
  const std::vector<SequenceStream> s = {Competition(7875, 15750)};
  const ReplicaFit free = FitReplica(two, s, FleetModelOptions{});
  const double at_limit = QueryServiceQuantile(free, s[0], 0.95);
  const ReplicaFit bound = FitReplicaForLatency(two, s, FleetModelOptions{}, at_limit * 0.8);
  BOOST_REQUIRE(bound.fits);
  BOOST_TEST(bound.batch_limit < free.batch_limit);
  BOOST_TEST(QueryServiceQuantile(bound, s[0], 0.95) <= at_limit * 0.8);
  // Brute force: one more sequence breaks the bound.
  const ReplicaFit next = FitReplica(two, s, FleetModelOptions{}, bound.batch_limit + 1);
  BOOST_TEST(QueryServiceQuantile(next, s[0], 0.95) > at_limit * 0.8);
  BOOST_TEST(!FitReplicaForLatency(two, s, FleetModelOptions{}, 1.0).fits);
}

BOOST_AUTO_TEST_CASE(capped_lognormal_moments_match_numerical_integration) {
  const ThinkingLength t = ThinkingLength::FromMeanAndP95(8000, 20000, 16000);
  BOOST_TEST(t.Quantile(0.95) == 16000.0);
  double m1 = 0, m2 = 0;
  const double h = 1e-4;
  for (double z = -9; z < 9; z += h) {
    const double x = std::min(16000.0, std::exp(t.mu + t.sigma * z)), w = NormalPdf(z) * h;
    m1 += x * w;
    m2 += x * x * w;
  }
  BOOST_TEST(t.Moment(1) == m1, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(t.Moment(2) == m2, boost::test_tools::tolerance(1e-6));
  const ThinkingLength uncapped = ThinkingLength::FromMeanAndP95(8000, 20000);
  BOOST_TEST(uncapped.Moment(1) == 8000.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(uncapped.Quantile(0.95) == 20000.0, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(erlang_c_matches_its_closed_forms) {
  for (double rho : {0.1, 0.5, 0.9}) {
    BOOST_TEST(ErlangC(1, rho) == rho, boost::test_tools::tolerance(1e-12));
    // Two servers, offered load a = 2 rho: C = 2 rho^2 / (1 + rho).
    BOOST_TEST(ErlangC(2, 2 * rho) == 2 * rho * rho / (1 + rho), boost::test_tools::tolerance(1e-12));
  }
  BOOST_TEST(ErlangC(4, 4.5) == 1.0);
}

BOOST_AUTO_TEST_CASE(wait_is_mm1s_for_exponential_service_and_poisson_arrivals) {
  const double lambda = 0.8, service = 1.0;
  const QueueWait q = FleetQueueWait(lambda, service, 1, 1, 1);
  BOOST_TEST(q.stable);
  BOOST_TEST(q.mean_wait_s == 0.8 / (1 - 0.8), boost::test_tools::tolerance(1e-12));
  // M/M/1: P(W > t) = rho exp(-(mu - lambda) t), so the p95 is ln(rho / 0.05) / (mu - lambda).
  BOOST_TEST(q.Quantile(0.95) == std::log(0.8 / 0.05) / 0.2, boost::test_tools::tolerance(1e-12));
  // Deterministic service halves the mean (Pollaczek-Khinchine).
  BOOST_TEST(FleetQueueWait(lambda, service, 0, 1, 1).mean_wait_s == 0.5 * q.mean_wait_s, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(!FleetQueueWait(1.0, 1.0, 1, 1, 1).stable);
}

BOOST_AUTO_TEST_CASE(two_samples_overlap_for_the_shorter_ones_time) {
  // Uncapped LogNormal: E[min(T1, T2)] = 2 E[T] Phi(-sigma / sqrt 2) (E[max] by exponential tilting).
  for (double sigma : {0.2, 0.5, 1.0, 1.5}) {
    ThinkingLength t;
    t.none = false;
    t.sigma = sigma;
    t.mu = std::log(1000.0) - sigma * sigma / 2;
    BOOST_TEST(t.PairMinimumMean() == 2 * 1000.0 * NormalCdf(-sigma / std::sqrt(2.0)), boost::test_tools::tolerance(1e-6));
  }
  // Capped: against the integral of P(T > x)^2 by the trapezoid rule on a fine linear grid up to the cap.
  const ThinkingLength capped = ThinkingLength::FromMeanAndP95(8000, 20000, 12000);
  double integral = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double x0 = 12000.0 * i / n, x1 = 12000.0 * (i + 1) / n;
    const double f0 = 1 - capped.Cdf(x0), f1 = x1 < 12000.0 ? 1 - capped.Cdf(x1) : 1 - NormalCdf((std::log(x1) - capped.mu) / capped.sigma);
    integral += 0.5 * (f0 * f0 + f1 * f1) * (x1 - x0);
  }
  BOOST_TEST(capped.PairMinimumMean() == integral, boost::test_tools::tolerance(1e-5));
  // A fixed length: two samples overlap for all of it.
  ThinkingLength fixed;
  fixed.none = false;
  fixed.mu = std::log(500.0);
  BOOST_TEST(fixed.PairMinimumMean() == 500.0, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(peakedness_of_sample_bursts_has_its_closed_forms) {
  // Queries of k samples of a fixed length: the k sequences hold their slots together, z = k (M^X/D/inf).
  SequenceStream fixed;
  fixed.sequences_per_s = 4;
  fixed.samples_per_query = 8;
  fixed.answer_tokens = 300;
  BOOST_TEST(SlotPeakedness({fixed}) == 8.0, boost::test_tools::tolerance(1e-12));
  // Single samples are Poisson, whatever their length.
  SequenceStream single;
  single.sequences_per_s = 1;
  single.answer_tokens = 50;
  single.thinking = ThinkingLength::FromMeanAndP95(2000, 6000);
  BOOST_TEST(SlotPeakedness({single}) == 1.0);
  // Mixed: 1 + sum q k (k - 1) E[min] / sum q k E[L], with E[min] of a LogNormal sample from its closed form.
  SequenceStream burst = single;
  burst.samples_per_query = 4;
  burst.sequences_per_s = 2;
  const ThinkingLength& t = burst.thinking;
  const double pair = 50 + 2 * 2000 * NormalCdf(-t.sigma / std::sqrt(2.0));
  const double z = 1 + 2 * 3 * pair / (2 * 2050.0 + 1 * 2050.0);
  BOOST_TEST(SlotPeakedness({single, burst}) == z, boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(peaked_traffic_waits_like_a_smaller_fleet_of_larger_customers) {
  // Hayward: c = 4 slots with peakedness 2 wait as M/M/2 at half the load, C(2, a / 2) = 2 rho^2 / (1 + rho), and
  // the wait beyond is exponential with mean z (1 + cs^2) / 2 / (c mu - lambda).
  const double lambda = 3.0, service = 1.0, rho = 0.75;
  const QueueWait q = FleetQueueWait(lambda, service, 1, 2, 4);
  BOOST_TEST(q.probability_wait == 2 * rho * rho / (1 + rho), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(q.tail_scale_s == 2.0 / (4 - 3), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(q.mean_wait_s == q.probability_wait * 2.0, boost::test_tools::tolerance(1e-12));
  // Peakedness 1 is the M/M/c of the full fleet: C(4, 3) from its closed form.
  const double a = 3, b4 = std::pow(a, 4) / 24 / (1 + a + a * a / 2 + std::pow(a, 3) / 6 + std::pow(a, 4) / 24);
  BOOST_TEST(FleetQueueWait(lambda, service, 1, 1, 4).probability_wait == b4 / (1 - rho * (1 - b4)),
             boost::test_tools::tolerance(1e-12));
  // A fractional count of servers lies between the whole counts either side.
  BOOST_TEST(ErlangC(2.5, 1.5) == 0.5 * (ErlangC(2, 1.5) + ErlangC(3, 1.5)), boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace thinkplan
