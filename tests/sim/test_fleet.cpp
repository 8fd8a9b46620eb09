// The fleet simulator against independent references: the Pollaczek-Khinchine mean wait of an M/G/1 queue
// (one replica, batch 1, geometric service), utilisation = arrival rate x mean service, Little's law on every
// run, routing shares against the confusion matrix, accuracy against the Beta mean, and identical output for 1
// and 2 threads.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <numeric>

#include "core/errors.h"
#include "sim/fleet.h"

using namespace thinkplan;
using namespace thinkplan::sim;

namespace {

// A model whose every step (decode or prefill) takes t0: FLOP and byte rates so high that the roofline terms
// vanish. Memory unknown (0), so the KV cache never limits admission.
CostModel ConstantStepModel(double t0) {
  ModelShape shape;
  shape.name = "toy";
  shape.params_total = shape.params_active = 1;
  shape.layers = shape.hidden = shape.heads = shape.kv_heads = shape.head_dim = shape.intermediate = shape.vocab = 1;
  shape.dtype = "bf16";
  ServingRates rates;
  rates.t0_s = t0;
  rates.flops_per_s = 1e30;
  rates.bytes_per_s = 1e30;
  return CostModel(shape, rates);
}

FleetOption Option(int system, double beta_a, double beta_b, TokenDraw tokens) {
  FleetOption o;
  o.system = system;
  o.correctness.beta_a = beta_a;
  o.correctness.beta_b = beta_b;
  o.tokens = tokens;
  return o;
}

FleetClass OneBucketClass(const std::string& name, double daily_volume, FleetOption option) {
  FleetClass c;
  c.name = name;
  c.daily_volume = daily_volume;
  c.true_shares = {1.0};
  c.buckets = {FleetBucket{name, {option}}};
  return c;
}

// One replica serving one sequence at a time; each query generates ceil(Exp(mean_tokens)) tokens, one per step of
// t0 (the prefill gives the first), so service is t0 x Geometric(p) with p = 1 - exp(-1 / mean_tokens).
FleetScenario SingleServer(double arrivals_per_s, double t0, double mean_tokens) {
  FleetScenario s;
  FleetSystem replica;
  replica.name = "server";
  replica.api = false;
  replica.model = ConstantStepModel(t0);
  replica.replicas = 1;
  replica.max_batch = 1;
  s.systems.push_back(replica);
  TokenDraw tokens;
  tokens.kind = TokenDraw::Kind::kExponential;
  tokens.mean = mean_tokens;
  s.classes.push_back(OneBucketClass("q", arrivals_per_s * 86400.0, Option(0, 1, 1, tokens)));
  return s;
}

// A mixed fleet: an API class with several samples and a verifier, a routed class on two replicas with batching.
FleetScenario MixedFleet() {
  FleetScenario s;
  FleetSystem api;
  api.name = "api";
  api.ttft_s = 0.5;
  api.output_tokens_per_s = 100;
  s.systems.push_back(api);
  FleetSystem gpu;
  gpu.name = "gpu";
  gpu.api = false;
  gpu.model = ConstantStepModel(0.02);
  gpu.replicas = 2;
  gpu.devices_per_replica = 2;
  gpu.max_batch = 8;
  gpu.usd_per_device_hour = 2;
  s.systems.push_back(gpu);
  TokenDraw lognormal{TokenDraw::Kind::kLogNormal, 4.0, 0.8, 0, 2000, 20};
  FleetOption chat = Option(0, 2, 3, lognormal);
  chat.correctness.samples = 4;
  chat.correctness.aggregation = McAggregation::kConsensus;
  chat.correctness.rho = 0.3;
  chat.verifier_s = 0.2;
  chat.usd_fixed_per_query = 0.001;
  chat.usd_per_output_token = 1e-6;
  FleetClass c0 = OneBucketClass("chat", 20000, chat);
  c0.hourly_profile = HourlyProfile(2.5);
  FleetClass c1;
  c1.name = "code";
  c1.daily_volume = 4000;
  c1.prompt_tokens = 300;
  c1.true_shares = {0.6, 0.4};
  c1.confusion = {{0.9, 0.1}, {0.2, 0.8}};
  c1.buckets = {FleetBucket{"easy", {Option(1, 4, 1, lognormal)}},
                FleetBucket{"hard", {Option(1, 1, 3, lognormal), Option(0, 1, 2, lognormal)}}};
  c1.buckets[1].options[0].fraction = 0.7;
  c1.buckets[1].options[1].fraction = 0.3;
  s.classes = {c0, c1};
  return s;
}

void CheckLittle(const FleetSummary& r) {
  BOOST_TEST(r.little.mean_in_system > 0);
  BOOST_TEST(r.little.relative_gap < 1e-9, "Little's law gap " << r.little.relative_gap);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fleet)

BOOST_AUTO_TEST_CASE(single_server_matches_pollaczek_khinchine) {
  // rho = 0.5: arrival rate 0.5/s, mean service about 1 s (50 tokens of 20 ms).
  const double lambda = 0.5, t0 = 0.02, mean_tokens = 50;
  const double p = 1 - std::exp(-1 / mean_tokens);
  const double es = t0 / p, es2 = t0 * t0 * (2 - p) / (p * p);  // geometric service moments
  const double rho = lambda * es;
  const double wq = lambda * es2 / (2 * (1 - rho));                // Pollaczek-Khinchine mean wait
  // Independent replications (seeds) give the sampling error of the mean wait, whose samples within a run are
  // strongly correlated.
  std::vector<double> waits, utilisations;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    FleetOptions options;
    options.seed = seed;
    options.days = 0.25;
    const FleetSummary r = SimulateFleet(SingleServer(lambda, t0, mean_tokens), options);
    CheckLittle(r);
    waits.push_back(r.systems[0].mean_wait_s);
    utilisations.push_back(r.systems[0].utilisation);
  }
  auto mean_and_se = [](const std::vector<double>& x) {
    const double n = static_cast<double>(x.size());
    const double m = std::accumulate(x.begin(), x.end(), 0.0) / n;
    double ss = 0;
    for (double v : x) ss += (v - m) * (v - m);
    return std::make_pair(m, std::sqrt(ss / (n - 1) / n));
  };
  const auto [w, w_se] = mean_and_se(waits);
  const auto [u, u_se] = mean_and_se(utilisations);
  BOOST_TEST_MESSAGE("M/G/1 mean wait " << w << " +- " << w_se << " s, Pollaczek-Khinchine " << wq << " s; utilisation "
                                        << u << " +- " << u_se << ", lambda E[S] " << rho);
  BOOST_TEST(std::abs(w - wq) < 4 * w_se + 0.01 * wq);
  BOOST_TEST(std::abs(u - rho) < 4 * u_se + 0.005);
}

BOOST_AUTO_TEST_CASE(single_server_mean_time_in_system_is_wait_plus_service) {
  const double lambda = 0.3, t0 = 0.01, mean_tokens = 100;
  const double p = 1 - std::exp(-1 / mean_tokens);
  FleetOptions options;
  options.days = 0.2;
  const FleetSummary r = SimulateFleet(SingleServer(lambda, t0, mean_tokens), options);
  CheckLittle(r);
  // Each query is one sequence: time in system = its wait + its service, whose mean is t0 / p.
  BOOST_TEST(std::abs(r.little.mean_time_in_system_s - r.systems[0].mean_wait_s - t0 / p) < 0.05 * t0 / p);
}

BOOST_AUTO_TEST_CASE(mixed_fleet_is_identical_for_one_and_two_threads) {
  const FleetScenario s = MixedFleet();
  FleetOptions one;
  one.seed = 7;
  one.days = 0.5;
  FleetOptions two = one;
  two.threads = 2;
  const FleetSummary a = SimulateFleet(s, one), b = SimulateFleet(s, two);
  CheckLittle(a);
  BOOST_TEST(a.queries == b.queries);
  BOOST_TEST(a.accuracy == b.accuracy);
  BOOST_TEST(a.usd_per_month == b.usd_per_month);
  BOOST_TEST(a.little.mean_in_system == b.little.mean_in_system);
  for (std::size_t c = 0; c < a.classes.size(); ++c) {
    BOOST_TEST(a.classes[c].latency_s.p99 == b.classes[c].latency_s.p99);
    BOOST_TEST(a.classes[c].ttft_s.p50 == b.classes[c].ttft_s.p50);
    BOOST_TEST(a.classes[c].usd_per_month == b.classes[c].usd_per_month);
  }
  for (std::size_t h = 0; h < a.queue_by_hour.size(); ++h) BOOST_TEST(a.queue_by_hour[h].mean_queue == b.queue_by_hour[h].mean_queue);
  BOOST_TEST(a.systems[1].utilisation == b.systems[1].utilisation);
  BOOST_TEST(a.classes[1].mean_latency_s == b.classes[1].mean_latency_s);
  // A different seed gives a different run (the mean: percentiles are sketch buckets, which may coincide).
  FleetOptions other = one;
  other.seed = 8;
  BOOST_TEST(SimulateFleet(s, other).classes[0].mean_latency_s != a.classes[0].mean_latency_s);
}

BOOST_AUTO_TEST_CASE(accuracy_and_volume_match_their_references) {
  // pass@1 on Beta(2, 3): accuracy = 2 / 5. Volume: Poisson with mean daily_volume x days.
  FleetScenario s;
  FleetSystem api;
  api.name = "api";
  s.systems.push_back(api);
  s.classes.push_back(OneBucketClass("c", 50000, Option(0, 2, 3, TokenDraw{})));
  s.classes[0].hourly_profile = HourlyProfile(3.0);
  FleetOptions options;
  options.days = 1;
  const FleetSummary r = SimulateFleet(s, options);
  CheckLittle(r);
  BOOST_TEST(r.classes[0].accuracy_interval.lower < 0.4);
  BOOST_TEST(0.4 < r.classes[0].accuracy_interval.upper);
  BOOST_TEST(std::abs(static_cast<double>(r.queries) - 50000) < 5 * std::sqrt(50000.0));
  // The profile has mean 1 and peak 3.
  const std::vector<double> profile = HourlyProfile(3.0);
  BOOST_TEST(std::accumulate(profile.begin(), profile.end(), 0.0) / 24 == 1.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(*std::max_element(profile.begin(), profile.end()) == 3.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(*std::min_element(profile.begin(), profile.end()) >= 0.0);
}

BOOST_AUTO_TEST_CASE(routing_follows_the_confusion_matrix) {
  // Predicted "hard" share = 0.6 x 0.1 + 0.4 x 0.8 = 0.38; of it, 30% go to the API system.
  FleetScenario s = MixedFleet();
  FleetOptions options;
  options.days = 1;
  const FleetSummary r = SimulateFleet(s, options);
  const double code = static_cast<double>(r.classes[1].queries);
  const double api_code = static_cast<double>(r.systems[0].sequences) - 4.0 * static_cast<double>(r.classes[0].queries);
  const double expected = 0.38 * 0.3;
  BOOST_TEST(std::abs(api_code / code - expected) < 5 * std::sqrt(expected * (1 - expected) / code));
  // Every GPU query is served; its sequences are all admitted.
  BOOST_TEST(r.unserved == 0u);
  BOOST_TEST(r.systems[1].sequences == static_cast<uint64_t>(code - api_code));
}

BOOST_AUTO_TEST_CASE(a_fleet_without_replicas_serves_nothing_and_misses_every_slo) {
  FleetScenario s = SingleServer(0.1, 0.01, 10);
  s.systems[0].replicas = 0;
  s.classes[0].slo_p95_s = 30;
  FleetOptions options;
  options.days = 0.1;
  const FleetSummary r = SimulateFleet(s, options);
  BOOST_TEST(r.unserved == r.queries);
  BOOST_TEST(r.classes[0].slo_miss_fraction == 1.0);
}

BOOST_AUTO_TEST_CASE(bad_scenarios_are_input_errors) {
  FleetScenario s = MixedFleet();
  s.classes[1].true_shares = {0.5, 0.4};
  BOOST_CHECK_THROW(SimulateFleet(s, {}), InputError);
  FleetScenario t = MixedFleet();
  t.classes[0].buckets[0].options[0].system = 5;
  BOOST_CHECK_THROW(SimulateFleet(t, {}), InputError);
  FleetOptions bad;
  bad.threads = 0;
  BOOST_CHECK_THROW(SimulateFleet(MixedFleet(), bad), UsageError);
}

BOOST_AUTO_TEST_CASE(misrouted_queries_keep_their_true_difficulty_and_thinking) {
  // True easy / hard 50% each, confusion [[0.8, 0.2], [0.3, 0.7]]. Predicted-easy's option is right on 90% of easy
  // and 20% of hard queries, predicted-hard's on 95% and 60% (pass@1: credit is Bernoulli(a / (a + b))).
  // Accuracy = .5 (.8 .9 + .2 .95) + .5 (.3 .2 + .7 .6) = 0.695. Thinking: Exp(100) on easy, Exp(1000) on hard
  // queries whatever their route, so the mean tokens are .5 (100.5 + 1000.5) (the ceiling adds half a token).
  FleetScenario s;
  FleetSystem api;
  api.name = "api";
  api.ttft_s = 0;
  api.output_tokens_per_s = 1000;
  s.systems.push_back(api);
  auto option = [](double on_easy, double on_hard) {
    FleetOption o = Option(0, 1, 1, {});
    for (double p : {on_easy, on_hard}) {
      McProblemSpec spec = o.correctness;
      spec.beta_a = 2 * p;
      spec.beta_b = 2 * (1 - p);
      o.correctness_by_true.push_back(spec);
    }
    for (double mean : {100.0, 1000.0}) o.tokens_by_true.push_back({TokenDraw::Kind::kExponential, 0, 0, mean});
    return o;
  };
  FleetClass c;
  c.name = "code";
  c.daily_volume = 200000;
  c.true_shares = {0.5, 0.5};
  c.confusion = {{0.8, 0.2}, {0.3, 0.7}};
  c.buckets = {FleetBucket{"easy", {option(0.9, 0.2)}}, FleetBucket{"hard", {option(0.95, 0.6)}}};
  s.classes = {c};
  FleetOptions options;
  options.days = 0.5;
  const FleetSummary r = SimulateFleet(s, options);
  const double n = static_cast<double>(r.queries);
  BOOST_TEST(std::abs(r.accuracy - 0.695) < 5 * std::sqrt(0.695 * 0.305 / n), "accuracy " << r.accuracy);
  // Latency = tokens / 1000 per second; the mixture of the two exponentials has variance .5 (100^2 + 1000^2) +
  // .25 900^2 tokens^2.
  const double mean_tokens = 0.5 * (100.5 + 1000.5), sd_tokens = std::sqrt(0.5 * (1e4 + 1e6) + 0.25 * 8.1e5);
  BOOST_TEST(std::abs(r.classes[0].mean_latency_s * 1000 - mean_tokens) < 5 * sd_tokens / std::sqrt(n),
             "mean tokens " << r.classes[0].mean_latency_s * 1000);
  // Entries per true bucket must cover every true bucket.
  s.classes[0].buckets[0].options[0].tokens_by_true.pop_back();
  BOOST_CHECK_THROW(SimulateFleet(s, options), InputError);
}

BOOST_AUTO_TEST_CASE(expected_draws_follow_shares_router_and_fractions) {
  // chat: 20,000 a day, 4 samples each. code: 4,000 a day; true easy 0.6 / hard 0.4, routed by the confusion; the
  // predicted-hard bucket's options both take 1 sample, so every code query has 1 sample whatever the route.
  FleetScenario s = MixedFleet();
  ExpectedDraws d = ExpectedDrawsOf(s, 2.0);
  BOOST_TEST(d.queries == 2 * (20000.0 + 4000.0));
  BOOST_TEST(d.sequences == 2 * (20000.0 * 4 + 4000.0 * 1), boost::test_tools::tolerance(1e-12));
  // Give the predicted-hard bucket's first option (fraction 0.7) 8 samples: it receives 0.6 x 0.1 + 0.4 x 0.8 =
  // 0.38 of the code traffic, so code averages 1 + 0.38 x 0.7 x 7 samples.
  s.classes[1].buckets[1].options[0].correctness.samples = 8;
  d = ExpectedDrawsOf(s, 1.0);
  BOOST_TEST(d.sequences == 20000.0 * 4 + 4000.0 * (1 + 0.38 * 0.7 * 7), boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(runs_beyond_the_draw_limits_are_refused_before_they_start) {
  FleetOptions options;
  options.days = 10;
  options.max_queries = 1e5;  // 10 days of 24,000 queries
  try {
    SimulateFleet(MixedFleet(), options);
    BOOST_FAIL("a run over the query limit was not refused");
  } catch (const UsageError& e) {
    const std::string what = e.what();
    BOOST_TEST(what.find("2.4e+05 queries") != std::string::npos, what);
    BOOST_TEST(what.find("--days") != std::string::npos, what);
  }
  options.max_queries = 1e6;
  options.max_sequences = 5e5;  // 8.4e5 samples
  BOOST_CHECK_THROW(SimulateFleet(MixedFleet(), options), UsageError);
  options.max_sequences = 1e6;
  options.days = 0.01;
  BOOST_TEST(SimulateFleet(MixedFleet(), options).queries > 0u);
  options.max_queries = 0;
  BOOST_CHECK_THROW(SimulateFleet(MixedFleet(), options), UsageError);
}

BOOST_AUTO_TEST_SUITE_END()
