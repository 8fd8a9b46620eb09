#include "sim/fleet_draws.h"

#include <algorithm>
#include <cmath>

#include "sim/portable.h"

namespace thinkplan::sim::fleet_detail {
namespace {

// Purposes (the fourth counter word). The per-problem correctness streams use the Monte Carlo engine's own
// counters under the plain seed key; these use a different key, so the two never share numbers.
constexpr uint32_t kArrivalTag = 0xA0000001u, kRouteTag = 0xA0000002u, kTokenTag = 0xA0000003u;
constexpr uint32_t kFleetKeyMix = 0x5851F42Du;

struct Keys {
  uint32_t k0, k1;
};
Keys FleetKeys(uint64_t seed) { return {static_cast<uint32_t>(seed) ^ kFleetKeyMix, static_cast<uint32_t>(seed >> 32)}; }

portable::Philox4x32 Block(Keys keys, uint32_t c0, uint32_t c1, uint32_t c2, uint32_t tag) {
  return portable::Philox4x32_10({{c0, c1, c2, tag}}, keys.k0, keys.k1);
}

// Index of the category a uniform falls in, by cumulative weights (the last one takes any rounding remainder).
template <typename Weights>
int Pick(const Weights& weights, double u) {
  double cumulative = 0;
  const int n = static_cast<int>(weights.size());
  for (int i = 0; i < n - 1; ++i) {
    cumulative += weights[static_cast<std::size_t>(i)];
    if (u < cumulative) return i;
  }
  return n - 1;
}

uint32_t DrawTokens(const TokenDraw& draw, portable::Philox4x32 words) {
  double thinking = 0;
  const double u1 = portable::UniformOpen(words.v[0]), u2 = portable::UniformOpen(words.v[1]);
  if (draw.kind == TokenDraw::Kind::kLogNormal) {
    const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);  // Box-Muller
    thinking = std::exp(draw.mu + draw.sigma * z);
  } else if (draw.kind == TokenDraw::Kind::kExponential) {
    thinking = -draw.mean * std::log(u1);
  }
  thinking = std::min(thinking, draw.cap);
  // Whole tokens: thinking rounds up (a started token is generated), at least one token overall.
  const double total = std::ceil(thinking) + std::round(draw.answer_tokens);
  return static_cast<uint32_t>(std::clamp(total, 1.0, 4.0e9));
}

}  // namespace

BigVector<double> DrawArrivals(const FleetScenario& scenario, int cls, uint64_t seed, double days) {
  const FleetClass& c = scenario.classes[static_cast<std::size_t>(cls)];
  const Keys keys = FleetKeys(seed);
  BigVector<double> out;
  const double mean_rate = c.daily_volume / 86400.0;
  const double horizon = days * 86400.0;
  out.reserve(static_cast<std::size_t>(c.daily_volume * days * 1.05) + 16);

  // A Poisson process whose rate is constant within each hour; the process is memoryless, so each hour starts
  // afresh at its boundary. Draw d of the class is word d % 4 of block d / 4.
  uint64_t draw = 0;
  portable::Philox4x32 words{};
  auto next_uniform = [&] {
    if (draw % 4 == 0) {
      words = Block(keys, static_cast<uint32_t>(draw >> 2), static_cast<uint32_t>(draw >> 34),
                    static_cast<uint32_t>(cls), kArrivalTag);
    }
    return portable::UniformOpen(words.v[draw++ % 4]);
  };
  const long hours = static_cast<long>(std::ceil(horizon / 3600.0));
  for (long h = 0; h < hours; ++h) {
    const double multiplier = c.hourly_profile.empty() ? 1.0 : c.hourly_profile[static_cast<std::size_t>(h % 24)];
    const double rate = mean_rate * multiplier;
    const double end = std::min(horizon, static_cast<double>(h + 1) * 3600.0);
    if (!(rate > 0)) continue;
    double t = static_cast<double>(h) * 3600.0;
    for (;;) {
      t += -std::log(next_uniform()) / rate;
      if (t >= end) break;
      out.push_back(t);
    }
  }
  return out;
}

void DrawQueries(const FleetScenario& scenario, int cls, uint64_t seed, const BigVector<double>& arrivals,
                 BigVector<Query>& queries, std::size_t first, BigVector<Sequence>& sequences) {
  const FleetClass& c = scenario.classes[static_cast<std::size_t>(cls)];
  const Keys keys = FleetKeys(seed);
  // Routing, option, tokens and correctness of each query.
  std::size_t samples = 0;
  for (const FleetBucket& b : c.buckets) {
    for (const FleetOption& o : b.options) samples = std::max<std::size_t>(samples, static_cast<std::size_t>(o.correctness.samples));
  }
  sequences.reserve(sequences.size() + arrivals.size() * samples);
  std::vector<std::vector<double>> fractions(c.buckets.size());
  for (std::size_t b = 0; b < c.buckets.size(); ++b) {
    for (const FleetOption& o : c.buckets[b].options) fractions[b].push_back(o.fraction);
  }
  for (std::size_t i = 0; i < arrivals.size(); ++i) {
    Query& q = queries[first + i];
    q = Query{};
    q.arrival = arrivals[i];
    q.id = (static_cast<uint64_t>(cls) << 40) | i;
    q.cls = cls;
    const uint32_t lo = static_cast<uint32_t>(q.id), hi = static_cast<uint32_t>(q.id >> 32);
    const portable::Philox4x32 route = Block(keys, lo, hi, 0, kRouteTag);
    const int true_bucket = Pick(c.true_shares, portable::UniformOpen(route.v[0]));
    q.bucket = c.confusion.empty() ? true_bucket
                                   : Pick(c.confusion[static_cast<std::size_t>(true_bucket)], portable::UniformOpen(route.v[1]));
    const FleetBucket& bucket = c.buckets[static_cast<std::size_t>(q.bucket)];
    q.option = Pick(fractions[static_cast<std::size_t>(q.bucket)], portable::UniformOpen(route.v[2]));
    const FleetOption& option = bucket.options[static_cast<std::size_t>(q.option)];
    const std::size_t truth = static_cast<std::size_t>(true_bucket);
    const TokenDraw& token_draw = option.tokens_by_true.empty() ? option.tokens : option.tokens_by_true[truth];
    q.system = option.system;
    q.samples = static_cast<uint16_t>(option.correctness.samples);
    q.remaining = q.samples;
    q.first_sequence = static_cast<uint32_t>(sequences.size());
    double tokens = 0;
    for (uint32_t j = 0; j < q.samples; ++j) {
      const uint32_t n = DrawTokens(token_draw, Block(keys, lo, hi, j, kTokenTag));
      sequences.push_back({static_cast<uint32_t>(first + i), n});
      tokens += n;
    }
    const McProblemSpec& c_spec = option.correctness_by_true.empty() ? option.correctness : option.correctness_by_true[truth];
    if (c_spec.aggregation == McAggregation::kPass1) {
      // One sample: averaged over the Beta difficulty it is right with probability a / (a + b) exactly, so the
      // difficulty need not be drawn (the costly part of the per-problem code).
      q.credit = portable::UniformOpen(route.v[3]) < c_spec.beta_a / (c_spec.beta_a + c_spec.beta_b) ? 1.0 : 0.0;
    } else {
      McProblemSpec spec = c_spec;
      spec.key0 = static_cast<uint32_t>(seed);
      spec.key1 = static_cast<uint32_t>(seed >> 32);
      q.credit = SimulateProblem(spec, q.id).credit;
    }
    q.usd = option.usd_fixed_per_query + option.usd_per_output_token * tokens;
  }
}

}  // namespace thinkplan::sim::fleet_detail
