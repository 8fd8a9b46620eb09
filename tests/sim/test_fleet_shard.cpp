// The streaming, sharded fleet simulation: shards merge to the whole run bit for bit whatever their number (the
// work units and the order-free sums make the split invisible), partials survive their byte form, percentiles
// from the sketch agree with a closed-form latency distribution, and memory (queries in flight) does not grow
// with the horizon.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "core/errors.h"
#include "sim/fleet_shard.h"

using namespace thinkplan;
using namespace thinkplan::sim;

namespace {

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

// An API system and a batching self-hosted one, two classes, one of them routed over both.
FleetScenario TwoSystems() {
  FleetScenario s;
  FleetSystem api;
  api.name = "api";
  api.ttft_s = 0.4;
  api.output_tokens_per_s = 120;
  FleetSystem gpu;
  gpu.name = "gpu";
  gpu.api = false;
  gpu.model = ConstantStepModel(0.02);
  gpu.replicas = 2;
  gpu.max_batch = 8;
  gpu.usd_per_device_hour = 3;
  s.systems = {api, gpu};
  TokenDraw lognormal{TokenDraw::Kind::kLogNormal, 4.0, 0.8, 0, 2000, 20};
  auto option = [&](int system, int samples, McAggregation aggregation) {
    FleetOption o;
    o.system = system;
    o.correctness.beta_a = 2;
    o.correctness.beta_b = 3;
    o.correctness.samples = samples;
    o.correctness.aggregation = aggregation;
    o.tokens = lognormal;
    o.usd_fixed_per_query = 0.001;
    o.usd_per_output_token = 2e-6;
    return o;
  };
  FleetClass chat;
  chat.name = "chat";
  chat.daily_volume = 30000;
  chat.slo_p95_s = 20;
  chat.true_shares = {1.0};
  chat.buckets = {FleetBucket{"all", {option(0, 3, McAggregation::kConsensus)}}};
  chat.hourly_profile = HourlyProfile(2.0);
  FleetClass code;
  code.name = "code";
  code.daily_volume = 6000;
  code.prompt_tokens = 200;
  code.slo_p95_s = 30;
  code.true_shares = {0.5, 0.5};
  code.confusion = {{0.9, 0.1}, {0.2, 0.8}};
  code.buckets = {FleetBucket{"easy", {option(1, 1, McAggregation::kPass1)}},
                  FleetBucket{"hard", {option(1, 1, McAggregation::kPass1), option(0, 1, McAggregation::kPass1)}}};
  code.buckets[1].options[0].fraction = 0.6;
  code.buckets[1].options[1].fraction = 0.4;
  s.classes = {chat, code};
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fleet_shard)

BOOST_AUTO_TEST_CASE(shards_merge_to_the_whole_run_bit_for_bit) {
  const FleetScenario s = TwoSystems();
  FleetOptions options;
  options.seed = 11;
  options.days = 0.3;
  const FleetPartial whole = SimulateFleetShard(s, options, 0, 1);
  BOOST_TEST(whole.classes[0].queries > 0u);
  for (int n : {2, 3, 5}) {
    FleetPartial merged = FleetPartial::Empty(s);
    for (int i = n - 1; i >= 0; --i) {  // any order
      const FleetPartial shard = SimulateFleetShard(s, options, i, n);
      // Through the bytes that travel between ranks.
      merged.Merge(FleetPartial::Decode(shard.Encode(), s.classes.size(), s.systems.size()));
    }
    BOOST_TEST((merged == whole), n << " shards");
  }
  FleetOptions threads = options;
  threads.threads = 3;
  BOOST_TEST((SimulateFleetShard(s, threads, 0, 1) == whole));
  BOOST_CHECK_THROW(SimulateFleetShard(s, options, 2, 2), UsageError);
  BOOST_CHECK_THROW(FleetPartial::Decode(whole.Encode(), 3, 2), InputError);
}

BOOST_AUTO_TEST_CASE(units_cover_every_hour_of_every_reached_system_once) {
  const FleetScenario s = TwoSystems();
  const std::vector<FleetWorkUnit> units = FleetWorkUnits(s, 1.5, 4);
  // The API system hour by hour (36 hours), the self-hosted one whole.
  BOOST_TEST(units.size() == 37u);
  std::vector<int> hours(36, 0);
  std::vector<double> load(4, 0.0);
  for (const FleetWorkUnit& u : units) {
    if (u.system == 0) {
      BOOST_TEST(u.end_hour == u.first_hour + 1);
      ++hours[static_cast<std::size_t>(u.first_hour)];
    } else {
      BOOST_TEST(u.first_hour == 0);
      BOOST_TEST(u.end_hour == 36);
    }
    load[static_cast<std::size_t>(u.shard)] += u.cost;
  }
  for (int h : hours) BOOST_TEST(h == 1);
  for (double l : load) BOOST_TEST(l > 0);
}

BOOST_AUTO_TEST_CASE(sketch_percentiles_match_a_closed_form_latency_distribution) {
  // One API sample per query, ttft 0, 1000 tokens/s, thinking Exp(1000) rounded up: latency = K / 1000 s with
  // K geometric, P(K <= k) = 1 - exp(-k / 1000). Its q-quantile is ceil(-1000 ln(1 - q)) / 1000 s.
  FleetScenario s;
  FleetSystem api;
  api.name = "api";
  api.ttft_s = 0;
  api.output_tokens_per_s = 1000;
  s.systems = {api};
  FleetClass c;
  c.name = "c";
  c.daily_volume = 400000;
  c.true_shares = {1.0};
  FleetOption o;
  o.tokens = {TokenDraw::Kind::kExponential, 0, 0, 1000};
  c.buckets = {FleetBucket{"all", {o}}};
  s.classes = {c};
  FleetOptions options;
  options.days = 0.5;
  const FleetSummary r = SimulateFleet(s, options);
  const double n = static_cast<double>(r.queries);
  for (const auto& [q, value] : {std::pair{0.5, r.classes[0].latency_s.p50}, {0.95, r.classes[0].latency_s.p95},
                                 {0.99, r.classes[0].latency_s.p99}}) {
    const double x = std::ceil(-1000 * std::log(1 - q)) / 1000;
    // Sampling error of an order statistic: sqrt(q (1 - q) / n) / density, density (1 - q) per 1000 tokens.
    const double se = std::sqrt(q * (1 - q) / n) / ((1 - q) / 1000) / 1000;
    BOOST_TEST(std::abs(value - x) <= LatencySketch::kRelativeError * x + 4 * se + 0.001, "q " << q << ": " << value << " vs " << x);
  }
}

BOOST_AUTO_TEST_CASE(queries_in_flight_do_not_grow_with_the_horizon) {
  const FleetScenario s = TwoSystems();
  FleetOptions options;
  options.days = 1;
  const uint64_t one = SimulateFleet(s, options).peak_in_flight;
  options.days = 8;
  const FleetSummary eight = SimulateFleet(s, options);
  BOOST_TEST_MESSAGE("peak queries in flight: " << one << " over 1 day, " << eight.peak_in_flight << " over 8 days of "
                                                 << eight.queries << " queries");
  BOOST_TEST(one > 0u);
  BOOST_TEST(eight.peak_in_flight <= 2 * one);
  BOOST_TEST(eight.peak_in_flight * 1000 < eight.queries);
}

BOOST_AUTO_TEST_SUITE_END()
