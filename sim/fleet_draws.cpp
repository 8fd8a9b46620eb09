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

ArrivalStream::ArrivalStream(const FleetScenario& scenario, int cls, uint64_t seed, double days, long first_hour,
                             long end_hour)
    : class_(scenario.classes[static_cast<std::size_t>(cls)]), cls_(cls), horizon_s_(days * 86400.0),
      mean_rate_(class_.daily_volume / 86400.0), hour_(first_hour - 1),
      end_hour_(std::min(end_hour, static_cast<long>(std::ceil(days * 24.0)))) {
  const Keys keys = FleetKeys(seed);
  k0_ = keys.k0;
  k1_ = keys.k1;
  StartHour();
}

// Moves to the next hour with a positive rate; false past the range.
bool ArrivalStream::StartHour() {
  for (++hour_; hour_ < end_hour_; ++hour_) {
    const double multiplier = class_.hourly_profile.empty() ? 1.0 : class_.hourly_profile[static_cast<std::size_t>(hour_ % 24)];
    rate_ = mean_rate_ * multiplier;
    if (!(rate_ > 0)) continue;
    t_ = static_cast<double>(hour_) * 3600.0;
    hour_end_ = std::min(horizon_s_, static_cast<double>(hour_ + 1) * 3600.0);
    draw_ = 0;
    index_ = 0;
    return true;
  }
  return false;
}

// Draw d of the hour is word d % 4 of block d / 4.
double ArrivalStream::Uniform() {
  if (draw_ % 4 == 0) {
    const portable::Philox4x32 block = Block({k0_, k1_}, static_cast<uint32_t>(draw_ >> 2), static_cast<uint32_t>(hour_),
                                             static_cast<uint32_t>(cls_), kArrivalTag);
    std::copy(std::begin(block.v), std::end(block.v), words_);
  }
  return portable::UniformOpen(words_[draw_++ % 4]);
}

bool ArrivalStream::Next(double* time, uint64_t* id) {
  while (hour_ < end_hour_) {
    t_ += -std::log(Uniform()) / rate_;
    if (t_ < hour_end_) {
      *time = t_;
      *id = QueryId(cls_, hour_, index_++);
      return true;
    }
    if (!StartHour()) break;
  }
  return false;
}

std::vector<std::vector<double>> OptionFractions(const FleetClass& c) {
  std::vector<std::vector<double>> fractions(c.buckets.size());
  for (std::size_t b = 0; b < c.buckets.size(); ++b) {
    for (const FleetOption& o : c.buckets[b].options) fractions[b].push_back(o.fraction);
  }
  return fractions;
}

Route RouteOf(const FleetClass& c, const std::vector<std::vector<double>>& fractions, uint64_t seed, uint64_t id) {
  const Keys keys = FleetKeys(seed);
  const portable::Philox4x32 words = Block(keys, static_cast<uint32_t>(id), static_cast<uint32_t>(id >> 32), 0, kRouteTag);
  Route r;
  r.true_bucket = Pick(c.true_shares, portable::UniformOpen(words.v[0]));
  r.bucket = c.confusion.empty() ? r.true_bucket
                                 : Pick(c.confusion[static_cast<std::size_t>(r.true_bucket)], portable::UniformOpen(words.v[1]));
  r.option = Pick(fractions[static_cast<std::size_t>(r.bucket)], portable::UniformOpen(words.v[2]));
  r.system = c.buckets[static_cast<std::size_t>(r.bucket)].options[static_cast<std::size_t>(r.option)].system;
  r.credit_uniform = portable::UniformOpen(words.v[3]);
  return r;
}

QueryDraw DrawQuery(const FleetClass& c, const Route& route, uint64_t seed, uint64_t id, std::vector<uint32_t>& tokens) {
  const Keys keys = FleetKeys(seed);
  const FleetOption& option = c.buckets[static_cast<std::size_t>(route.bucket)].options[static_cast<std::size_t>(route.option)];
  const std::size_t truth = static_cast<std::size_t>(route.true_bucket);
  const TokenDraw& token_draw = option.tokens_by_true.empty() ? option.tokens : option.tokens_by_true[truth];
  const uint32_t lo = static_cast<uint32_t>(id), hi = static_cast<uint32_t>(id >> 32);
  QueryDraw out;
  tokens.resize(static_cast<std::size_t>(option.correctness.samples));
  for (uint32_t j = 0; j < tokens.size(); ++j) {
    tokens[j] = DrawTokens(token_draw, Block(keys, lo, hi, j, kTokenTag));
    out.tokens_total += tokens[j];
  }
  const McProblemSpec& c_spec = option.correctness_by_true.empty() ? option.correctness : option.correctness_by_true[truth];
  if (c_spec.aggregation == McAggregation::kPass1 && c_spec.family == McDifficulty::kBeta) {
    // One sample: averaged over the Beta difficulty it is right with probability a / (a + b) exactly, so the
    // difficulty need not be drawn (the costly part of the per-problem code).
    out.credit = route.credit_uniform < c_spec.beta_a / (c_spec.beta_a + c_spec.beta_b) ? 1.0 : 0.0;
  } else {
    McProblemSpec spec = c_spec;
    spec.key0 = static_cast<uint32_t>(seed);
    spec.key1 = static_cast<uint32_t>(seed >> 32);
    out.credit = SimulateProblem(spec, id).credit;
  }
  out.usd = option.usd_fixed_per_query + option.usd_per_output_token * out.tokens_total;
  return out;
}

}  // namespace thinkplan::sim::fleet_detail
