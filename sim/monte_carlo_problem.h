// One simulated problem of the Monte Carlo accuracy engine: draw its difficulty p ~ Beta(a, b) (or, for a slice
// whose fit chose the logit-normal, p = sigmoid(mu + sigma Z)), draw the
// samples, score them and aggregate. Written once for the CPU engine (sim/monte_carlo.cpp) and the CUDA kernel
// (gpu/), so both give bit-identical numbers from the same Philox streams.
//
// Random streams, all Philox4x32-10 with key = the 64-bit seed, counter = (problem lo, problem hi, index, tag):
//   tag 0, index j/4  : word j%4 decides whether sample j is right (UniformOpen(word) < p)
//   tag 1, index j/4  : word j%4 decides whether a wrong sample j gives the most common wrong answer (< rho)
//   tag 2 + 256 a, index j : attempt a of the polar method for sample j's verifier-score noise
//   tag 3, index i    : the i-th block of uniforms for the problem's difficulty draw (Beta or logit-normal)
#pragma once

#include <cstdint>

#include "sim/portable.h"

namespace thinkplan::sim {

enum class McAggregation : int32_t { kPass1 = 0, kPassAt = 1, kConsensus = 2, kBestOf = 3 };

// The difficulty family of McProblemSpec, as core/difficulty.h's DifficultyFamily (kept plain for the kernel).
enum class McDifficulty : int32_t { kBeta = 0, kLogitNormal = 1 };

struct McProblemSpec {
  double beta_a = 1;  // family kBeta; must stay > 0 for either family
  double beta_b = 1;
  McDifficulty family = McDifficulty::kBeta;
  double logit_mu = 0;     // family kLogitNormal: logit p ~ Normal(logit_mu, logit_sigma^2)
  double logit_sigma = 1;
  int32_t samples = 1;
  McAggregation aggregation = McAggregation::kPass1;
  double dprime = 0;  // best@k: mean verifier score of right answers (wrong ones score Normal(0, 1))
  double rho = 0;     // cons@k: probability that a wrong sample gives the most common wrong answer
  uint32_t key0 = 0;  // seed, low word
  uint32_t key1 = 0;  // seed, high word
};

struct McProblemOutcome {
  double credit = 0;    // 1 right, 0 wrong, 1/m for an m-way tie at the top of a vote
  uint32_t trials = 0;  // Bernoulli trials (samples scored) for this problem
};

namespace detail {

// Sequential uniforms from one Philox stream, four words per block.
struct UniformStream {
  uint32_t key0, key1, problem_lo, problem_hi, tag;
  uint32_t index = 0;
  int used = 4;
  portable::Philox4x32 block{};

  THINKPLAN_HD double Next() {
    if (used == 4) {
      block = portable::Philox4x32_10({{problem_lo, problem_hi, index++, tag}}, key0, key1);
      used = 0;
    }
    return portable::UniformOpen(block.v[used++]);
  }
};

// Standard normal by Marsaglia's polar method (log and sqrt only, no trigonometry).
THINKPLAN_HD double Normal(UniformStream& stream) {
  double u, v, s;
  do {
    u = 2.0 * stream.Next() - 1.0;
    v = 2.0 * stream.Next() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  return u * sqrt(-2.0 * portable::Log(s) / s);
}

// log of a Gamma(shape, 1) variate (Marsaglia and Tsang 2000), in logs so that tiny shapes do not underflow.
THINKPLAN_HD double LogGammaVariate(double shape, UniformStream& stream) {
  double log_boost = 0.0;
  if (shape < 1.0) {  // Gamma(a) = Gamma(a + 1) U^(1/a)
    log_boost = portable::Log(stream.Next()) / shape;
    shape += 1.0;
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = Normal(stream);
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = stream.Next();
    const double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2 || portable::Log(u) < 0.5 * x2 + d * (1.0 - v + portable::Log(v))) {
      return portable::Log(d * v) + log_boost;
    }
  }
}

// Verifier-score noise of sample j: Normal(0, 1) from its own stream (tag 2 + 256 * attempt).
THINKPLAN_HD double ScoreNoise(const McProblemSpec& spec, uint32_t lo, uint32_t hi, uint32_t j) {
  for (uint32_t attempt = 0;; ++attempt) {
    const portable::Philox4x32 r = portable::Philox4x32_10({{lo, hi, j, 2u + 256u * attempt}}, spec.key0, spec.key1);
    for (int pair = 0; pair < 2; ++pair) {
      const double u = 2.0 * portable::UniformOpen(r.v[2 * pair]) - 1.0;
      const double v = 2.0 * portable::UniformOpen(r.v[2 * pair + 1]) - 1.0;
      const double s = u * u + v * v;
      if (s < 1.0 && s > 0.0) return u * sqrt(-2.0 * portable::Log(s) / s);
    }
  }
}

}  // namespace detail

// The difficulty p of problem `problem`: Beta(a, b) as X / (X + Y) with X, Y Gamma variates; logit-normal as
// sigmoid(mu + sigma Z) with Z from the polar method.
THINKPLAN_HD double DrawDifficulty(const McProblemSpec& spec, uint64_t problem) {
  detail::UniformStream stream{spec.key0, spec.key1, static_cast<uint32_t>(problem), static_cast<uint32_t>(problem >> 32),
                               3u};
  if (spec.family == McDifficulty::kLogitNormal) {
    return 1.0 / (1.0 + portable::Exp(-(spec.logit_mu + spec.logit_sigma * detail::Normal(stream))));
  }
  const double log_x = detail::LogGammaVariate(spec.beta_a, stream);
  const double log_y = detail::LogGammaVariate(spec.beta_b, stream);
  return 1.0 / (1.0 + portable::Exp(log_y - log_x));
}

namespace detail {

// Vote counting for majority vote: the right answer must have the most votes; an m-way tie at the top earns
// 1/m. Wrong answers other than the most common one are all distinct, so each has one vote.
THINKPLAN_HD double VoteCredit(int32_t samples, int32_t right, int32_t top_wrong) {
  const int32_t singles = samples - right - top_wrong;
  int32_t most = right > top_wrong ? right : top_wrong;
  if (singles > 0 && most < 1) most = 1;
  if (right == 0 || right != most) return 0.0;
  const int32_t tied = 1 + (top_wrong == right ? 1 : 0) + (right == 1 ? singles : 0);
  return 1.0 / tied;
}

// best@k: each sample's verifier score is Normal(d', 1) if right, Normal(0, 1) if wrong; the top score is kept.
THINKPLAN_HD McProblemOutcome BestOf(const McProblemSpec& spec, uint32_t lo, uint32_t hi, uint64_t threshold) {
  McProblemOutcome outcome;
  double best_score = -HUGE_VAL;
  bool best_right = false;
  portable::Philox4x32 words{};
  for (int32_t j = 0; j < spec.samples; ++j) {
    const uint32_t uj = static_cast<uint32_t>(j);
    if ((j & 3) == 0) words = portable::Philox4x32_10({{lo, hi, uj >> 2, 0u}}, spec.key0, spec.key1);
    const bool is_right = words.v[j & 3] < threshold;
    const double score = (is_right ? spec.dprime : 0.0) + ScoreNoise(spec, lo, hi, uj);
    if (score > best_score) {
      best_score = score;
      best_right = is_right;
    }
  }
  outcome.trials = static_cast<uint32_t>(spec.samples);
  outcome.credit = best_right ? 1.0 : 0.0;
  return outcome;
}

}  // namespace detail

namespace detail {

// A Bernoulli threshold (0..2^32, see portable::BernoulliThreshold) as a 32-bit compare: a word w is below t
// exactly when `any` and w <= last. Keeps the per-sample compare in 32-bit lanes.
struct WordThreshold {
  uint32_t any;   // 1 when t > 0
  uint32_t last;  // t - 1, or 0 when t == 0
};

THINKPLAN_HD WordThreshold ToWordThreshold(uint64_t t) {
  return {t > 0 ? 1u : 0u, t > 0 ? static_cast<uint32_t>(t - 1) : 0u};
}

// Counts of one group of up to 32 samples: sample j = 4 i + w is word w of Philox block i, and only j < n count.
// Counts do not depend on the order samples are visited in, so the loop runs in storage order, branch-free,
// which a compiler can vectorise.
struct GroupCounts {
  int32_t right;
  int32_t top_wrong;
};

THINKPLAN_HD GroupCounts CountGroup(const uint32_t words[4][8], const uint32_t (*categories)[8], int32_t n,
                                    WordThreshold right_below, WordThreshold top_wrong_below) {
  int32_t right = 0, top_wrong = 0;
  for (int w = 0; w < 4; ++w) {
    for (int i = 0; i < 8; ++i) {
      const uint32_t in_group = (4 * i + w < n) ? 1u : 0u;
      const uint32_t is_right = in_group & right_below.any & (words[w][i] <= right_below.last ? 1u : 0u);
      right += static_cast<int32_t>(is_right);
      if (categories != nullptr) {
        const uint32_t is_top = top_wrong_below.any & (categories[w][i] <= top_wrong_below.last ? 1u : 0u);
        top_wrong += static_cast<int32_t>(in_group & (is_right ^ 1u) & is_top);
      }
    }
  }
  return {right, top_wrong};
}

}  // namespace detail

// Eight Philox4x32-10 blocks at once, as portable::Philox4x32_10x8: the default generator of SimulateProblem. The CPU
// engine may pass a vector-instruction version instead, which must give the same words.
struct PortablePhilox8 {
  THINKPLAN_HD void operator()(uint32_t c0, uint32_t c1, uint32_t first, uint32_t c3, uint32_t key0, uint32_t key1,
                               uint32_t out[4][8]) const {
    portable::Philox4x32_10x8(c0, c1, first, c3, key0, key1, out);
  }
};

template <class Philox8 = PortablePhilox8>
THINKPLAN_HD McProblemOutcome SimulateProblem(const McProblemSpec& spec, uint64_t problem, Philox8 philox8 = {}) {
  const uint32_t lo = static_cast<uint32_t>(problem), hi = static_cast<uint32_t>(problem >> 32);
  // Sample j is right when its word is below the threshold, i.e. when UniformOpen(word) < p.
  const uint64_t threshold = portable::BernoulliThreshold(DrawDifficulty(spec, problem));
  if (spec.aggregation == McAggregation::kBestOf) return detail::BestOf(spec, lo, hi, threshold);

  // Coverage and majority vote only need counts, so samples are drawn 32 at a time (8 Philox blocks).
  const bool vote = spec.aggregation == McAggregation::kConsensus;
  const uint64_t top_wrong_threshold = portable::BernoulliThreshold(spec.rho);
  const bool categorise = vote && top_wrong_threshold > 0;
  const detail::WordThreshold right_below = detail::ToWordThreshold(threshold);
  const detail::WordThreshold top_wrong_below = detail::ToWordThreshold(top_wrong_threshold);
  McProblemOutcome outcome;
  int32_t right = 0, top_wrong = 0;
  uint32_t words[4][8], categories[4][8];
  for (int32_t base = 0; base < spec.samples; base += 32) {
    const int32_t n = spec.samples - base < 32 ? spec.samples - base : 32;
    const uint32_t block = static_cast<uint32_t>(base) >> 2;
    philox8(lo, hi, block, 0u, spec.key0, spec.key1, words);
    if (categorise) philox8(lo, hi, block, 1u, spec.key0, spec.key1, categories);
    const detail::GroupCounts counts =
        detail::CountGroup(words, categorise ? categories : nullptr, n, right_below, top_wrong_below);
    right += counts.right;
    top_wrong += counts.top_wrong;
    outcome.trials += static_cast<uint32_t>(n);
    if (!vote && right > 0) break;  // coverage is settled by any right sample
  }
  outcome.credit = vote ? detail::VoteCredit(spec.samples, right, top_wrong) : (right > 0 ? 1.0 : 0.0);
  return outcome;
}

}  // namespace thinkplan::sim
