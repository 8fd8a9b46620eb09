// The serving-configuration search (planner/capacity.h SearchServingConfig) against an exhaustive enumeration of
// (devices per replica, batch limit, replicas) written here from the fleet model's public functions alone: the
// replica's rates from the datasheet and the fitted efficiencies (core/cost_model.h), its fit at each batch, the
// M/G/c wait at each fleet size, and the SLOs checked term by term. On three systems (QwQ-32B-Preview on H100,
// Mixtral-8x7B on A100, DeepSeek-R1-Distill-Qwen-32B on H100) the search must find the enumeration's cheapest
// fleet, per replica size and overall, and the fleet it chooses must keep every SLO.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/cost_model.h"
#include "core/fleet_model.h"
#include "planner/capacity.h"
#include "tests/common/test_support.h"

using namespace thinkplan;
using namespace thinkplan::planner;

namespace {

// The vLLM serving-rate fits of docs/cost_model.md section 4 (t0, fraction of peak FLOP/s, fraction of HBM
// bandwidth): tensor parallelism costs bandwidth (H100: 84% on one card, 60% on two, 74% on four) and per-step time.
// A count without its own row borrows the largest measured one below it.
std::vector<FittedEfficiency> VllmFits() {
  auto row = [](std::string card, long n, double t0_ms, double flops, double bandwidth) {
    FittedEfficiency e;
    e.hardware = card;
    e.catalogue_hardware = card;
    e.framework = "vLLM";
    e.num_devices = n;
    e.rows = 1;
    e.t0_s = t0_ms / 1e3;
    e.flops_fraction = flops;
    e.bandwidth_fraction = bandwidth;
    return e;
  };
  return {row("H100-SXM-80GB", 1, 2.43, 0.17, 0.84), row("H100-SXM-80GB", 2, 2.59, 0.09, 0.60),
          row("H100-SXM-80GB", 4, 4.86, 0.16, 0.74), row("A100-SXM-80GB", 1, 0.0, 0.30, 0.53)};
}

Catalogues TestCatalogues() {
  Catalogues c = Catalogues::Load(testing::DataDir());
  c.efficiencies = VllmFits();
  return c;
}

SystemSpec SelfHosted(const std::string& model, const std::string& card, double usd_per_hour, long devices) {
  SystemSpec s;
  s.name = model + "@" + card;
  s.kind = SystemKind::kSelfHosted;
  s.model = model;
  s.hardware = card;
  s.usd_per_device_hour = usd_per_hour;
  s.devices = devices;
  return s;
}

struct Slos {
  double p95_s = 0, ttft_p95_s = 0, tpot_s = 0;
};

ServingDemand Demand(double queries_per_s, double samples, double prompt, double answer, double thinking_mean,
                     double thinking_p95, Slos slo) {
  ServingDemand d;
  d.queries_per_s = queries_per_s;
  d.stream.sequences_per_s = queries_per_s * samples;
  d.stream.samples_per_query = samples;
  d.stream.prompt_tokens = prompt;
  d.stream.answer_tokens = answer;
  d.stream.thinking = ThinkingLength::FromMeanAndP95(thinking_mean, thinking_p95);
  d.slo_p95_s = slo.p95_s;
  d.slo_ttft_p95_s = slo.ttft_p95_s;
  d.slo_tpot_s = slo.tpot_s;
  return d;
}

constexpr double kPeakUtilisation = 0.9;
constexpr double kHoursPerMonth = 24 * 30;

// The replica of `n` devices, built here from the catalogue's shape and card and the fitted rates for n.
std::optional<CostModel> Replica(const SystemSpec& s, const Catalogues& catalogues, long n) {
  const ModelShape* shape = catalogues.models.Find(s.model);
  const HardwareInfo* card = catalogues.FindHardware(s.hardware);
  if (!shape || !card) return std::nullopt;
  const Efficiency e = ChooseEfficiency(catalogues.efficiencies, card->name, s.framework, n).efficiency;
  return CostModel(*shape, RatesFromDatasheet(*card, n, e, shape->weight_precision));
}

// Whether `r` replicas of `fit` keep every SLO at the peak: utilisation within the bound, and per class the wait's
// p95 plus the service p95, the wait's p95 plus the prefill and one step of the full batch (the first token), and
// the per-token time within their bounds.
bool Keeps(const ReplicaFit& fit, long r, const std::vector<ServingDemand>& demands) {
  double rate = 0;
  std::vector<SequenceStream> streams;
  for (const ServingDemand& d : demands) {
    rate += d.stream.sequences_per_s;
    streams.push_back(d.stream);
  }
  const double servers = static_cast<double>(r * fit.batch_limit);
  if (rate * fit.service_mean_s / servers > kPeakUtilisation * (1 + 1e-12)) return false;
  const QueueWait wait = FleetQueueWait(rate, fit.service_mean_s, fit.service_scv, SlotPeakedness(streams), servers);
  if (!wait.stable) return false;
  const double w95 = wait.Quantile(0.95);
  for (const ServingDemand& d : demands) {
    if (d.slo_p95_s > 0 && w95 + QueryServiceQuantile(fit, d.stream, 0.95) > d.slo_p95_s) return false;
    if (d.slo_ttft_p95_s > 0 && w95 + fit.prefill_s + fit.step.total_s > d.slo_ttft_p95_s) return false;
    if (d.slo_tpot_s > 0 && fit.seconds_per_token > d.slo_tpot_s) return false;
  }
  return true;
}

struct Cheapest {
  double usd = std::numeric_limits<double>::infinity();
  long batch = 0, replicas = 0;
};

// Every batch from 1 to the KV limit and every fleet of `min_replicas` (at least 1) to `max_replicas` replicas of
// `n` devices.
Cheapest Enumerate(const SystemSpec& s, const Catalogues& catalogues, const std::vector<ServingDemand>& demands, long n,
                   long max_replicas, long min_replicas) {
  Cheapest best;
  const std::optional<CostModel> model = Replica(s, catalogues, n);
  if (!model) return best;
  std::vector<SequenceStream> streams;
  for (const ServingDemand& d : demands) streams.push_back(d.stream);
  const ReplicaFit largest = FitReplica(*model, streams, FleetModelOptions{});
  if (!largest.fits) return best;
  const double usd_per_replica = static_cast<double>(n) * *s.usd_per_device_hour * kHoursPerMonth;
  for (long b = 1; b <= largest.batch_limit; ++b) {
    const ReplicaFit fit = FitReplica(*model, streams, FleetModelOptions{}, b);
    for (long r = std::max(1L, min_replicas); r <= max_replicas; ++r) {
      const double usd = static_cast<double>(r) * usd_per_replica;
      if (usd > best.usd) break;
      if (!Keeps(fit, r, demands)) continue;
      if (usd < best.usd) best = {usd, b, r};
      break;
    }
  }
  return best;
}

// The search's choice against the enumeration, size by size and overall, with a floor of `min_replicas` replicas.
ServingSearch CheckAgainstEnumeration(const SystemSpec& s, const std::vector<ServingDemand>& demands,
                                      long min_replicas = 0) {
  const Catalogues catalogues = TestCatalogues();
  ServingSearchOptions options;
  options.peak_utilisation = kPeakUtilisation;
  options.min_replicas = min_replicas;
  const ServingSearch search = SearchServingConfig(s, catalogues, demands, options);
  BOOST_TEST_MESSAGE(s.name << ": " << search.FullReport());
  BOOST_REQUIRE(search.status == ServingSearchStatus::kMeetsSlo);
  BOOST_REQUIRE_EQUAL(search.by_devices.size(), 4u);
  double cheapest = std::numeric_limits<double>::infinity();
  for (const ServingConfig& c : search.by_devices) {
    // Enumerate past the search's own fleet (or to 64 replicas where it found none), so that a cheaper fleet or one
    // it missed would show.
    const long max_replicas = c.meets_slo ? c.replicas + 2 : std::max(64L, min_replicas + 64);
    const Cheapest e = Enumerate(s, catalogues, demands, c.devices_per_replica, max_replicas, min_replicas);
    BOOST_TEST_MESSAGE("  " << c.devices_per_replica << " device(s): enumeration $" << e.usd << " (" << e.replicas
                            << " x batch " << e.batch << "), search $" << c.usd_per_month);
    BOOST_TEST(c.meets_slo == std::isfinite(e.usd), s.name << " at " << c.devices_per_replica);
    if (!c.meets_slo || !std::isfinite(e.usd)) continue;
    BOOST_TEST(c.replicas >= min_replicas);
    BOOST_TEST(c.usd_per_month == e.usd, boost::test_tools::tolerance(1e-12));
    cheapest = std::min(cheapest, e.usd);
  }
  BOOST_TEST(search.best.usd_per_month == cheapest, boost::test_tools::tolerance(1e-12));
  // The chosen fleet keeps every SLO when rebuilt here from its size, batch and replicas.
  const std::optional<CostModel> model = Replica(s, catalogues, search.best.devices_per_replica);
  BOOST_REQUIRE(model);
  std::vector<SequenceStream> streams;
  for (const ServingDemand& d : demands) streams.push_back(d.stream);
  const ReplicaFit fit = FitReplica(*model, streams, FleetModelOptions{}, search.best.batch);
  BOOST_TEST(fit.batch_limit == search.best.batch);
  BOOST_TEST(Keeps(fit, search.best.replicas, demands));
  BOOST_TEST(search.best.usd_per_month ==
                 static_cast<double>(search.best.replicas * search.best.devices_per_replica) * *s.usd_per_device_hour *
                     kHoursPerMonth,
             boost::test_tools::tolerance(1e-12));
  return search;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(serving_search)

// Competition maths with long thinking (mean 7.9k tokens, as the issue measured) and, beside it, chat with a
// time-to-first-token SLO of 5 s (one H100 alone would wait 11.6 s at p95 on its cheapest fleet): one shared fleet.
BOOST_AUTO_TEST_CASE(qwq_32b_on_h100_matches_the_enumeration) {
  const SystemSpec s = SelfHosted("QwQ-32B-Preview", "H100-SXM-80GB", 4.25, 1);
  CheckAgainstEnumeration(s, {Demand(0.17, 1, 250, 50, 7900, 16000, {900, 0, 0}),
                              Demand(0.10, 1, 400, 300, 1500, 4000, {900, 5, 0})});
}

// The verification loop's floor on replicas (SystemSpec::min_replicas) is a lower bound inside the search: every
// size's cheapest fleet has at least that many replicas and is the enumeration's cheapest from the floor up. The
// floor is one above the fewest replicas any size needs unfloored, so it binds there (and the search may move to
// another size or a larger batch); on the sizes that already need more it changes nothing.
BOOST_AUTO_TEST_CASE(a_floor_on_replicas_is_searched_not_added_after) {
  const SystemSpec s = SelfHosted("QwQ-32B-Preview", "H100-SXM-80GB", 4.25, 1);
  const std::vector<ServingDemand> demands = {Demand(0.17, 1, 250, 50, 7900, 16000, {900, 0, 0}),
                                              Demand(0.10, 1, 400, 300, 1500, 4000, {900, 5, 0})};
  const ServingSearch free = CheckAgainstEnumeration(s, demands);
  long fewest = std::numeric_limits<long>::max();
  for (const ServingConfig& c : free.by_devices) if (c.meets_slo) fewest = std::min(fewest, c.replicas);
  BOOST_REQUIRE(fewest < std::numeric_limits<long>::max());
  const long floor = fewest + 1;
  const ServingSearch floored = CheckAgainstEnumeration(s, demands, floor);
  BOOST_TEST(floored.best.replicas >= floor);
  bool bound = false;
  for (std::size_t i = 0; i < free.by_devices.size(); ++i) {
    const ServingConfig &before = free.by_devices[i], &after = floored.by_devices[i];
    if (!before.meets_slo) continue;
    BOOST_TEST(after.meets_slo);
    if (before.replicas >= floor) {
      BOOST_TEST(after.usd_per_month == before.usd_per_month, boost::test_tools::tolerance(1e-12));
    } else {
      bound = true;
      BOOST_TEST(after.replicas == floor);  // more replicas can always hold what fewer held
    }
  }
  BOOST_TEST(bound);
}

// Short answers with no thinking under a time-per-output-token SLO: Mixtral's 93 GB of weights need two A100s.
BOOST_AUTO_TEST_CASE(mixtral_8x7b_on_a100_matches_the_enumeration) {
  const SystemSpec s = SelfHosted("Mixtral-8x7B-v0.1", "A100-SXM-80GB", 2.21, 2);
  CheckAgainstEnumeration(s, {Demand(1.5, 1, 200, 250, 0, 0, {30, 5, 0.05})});
}

// Best of four samples on code, each thinking ~5k tokens: a query waits for its slowest sample.
BOOST_AUTO_TEST_CASE(r1_distill_32b_on_h100_matches_the_enumeration) {
  const SystemSpec s = SelfHosted("DeepSeek-R1-Distill-Qwen-32B", "H100-SXM-80GB", 4.25, 2);
  CheckAgainstEnumeration(s, {Demand(0.05, 4, 800, 500, 5000, 12000, {1200, 10, 0})});
}

// A model that no size holds is refused with the numbers, and a TPOT no batch reaches leaves no configuration.
BOOST_AUTO_TEST_CASE(refusals_name_the_reason) {
  const Catalogues catalogues = TestCatalogues();
  const SystemSpec s = SelfHosted("Mixtral-8x7B-v0.1", "A100-SXM-80GB", 2.21, 2);
  ServingSearchOptions only_one;
  only_one.devices_per_replica = {1};
  const ServingSearch one = SearchServingConfig(s, catalogues, {Demand(1, 1, 200, 250, 0, 0, {30, 0, 0})}, only_one);
  BOOST_TEST((one.status == ServingSearchStatus::kNoReplica));
  BOOST_TEST(one.best.refusal.find("one sequence does not fit") != std::string::npos, one.best.refusal);
  const ServingSearch fast = SearchServingConfig(s, catalogues, {Demand(1, 1, 200, 250, 0, 0, {30, 0, 1e-4})}, {});
  BOOST_TEST((fast.status == ServingSearchStatus::kNoConfiguration));
  ServingSearchOptions bad;
  bad.devices_per_replica = {0};
  std::string error;
  BOOST_TEST(!bad.IsValid(&error));
  BOOST_TEST(error.find("devices per replica") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
