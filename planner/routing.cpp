#include "planner/routing.h"

#include <algorithm>

namespace thinkplan::planner {

std::vector<std::vector<double>> IdentityConfusion(std::size_t buckets) {
  std::vector<std::vector<double>> m(buckets, std::vector<double>(buckets, 0.0));
  for (std::size_t i = 0; i < buckets; ++i) m[i][i] = 1.0;
  return m;
}

std::vector<RoutedBucket> RouteBuckets(const TaskClassSpec& c, const std::vector<std::vector<double>>& confusion) {
  const std::size_t n = c.buckets.size();
  if (confusion.empty()) {
    RoutedBucket all{n == 1 ? c.buckets[0].name : "all", 1.0, {}};
    for (const BucketSpec& b : c.buckets) all.weights.push_back(b.share);
    return {all};
  }
  std::vector<RoutedBucket> out;
  for (std::size_t p = 0; p < n; ++p) {
    RoutedBucket r{c.buckets[p].name, 0.0, std::vector<double>(n, 0.0)};
    for (std::size_t t = 0; t < n; ++t) {
      r.weights[t] = c.buckets[t].share * confusion[t][p];
      r.mass += r.weights[t];
    }
    if (r.mass <= 0) continue;  // nothing is ever predicted here
    for (double& w : r.weights) w /= r.mass;
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<RoutedOption> MixOptions(const std::vector<Candidate>& candidates, const RoutedBucket& bucket,
                                     double slo_p95_s) {
  constexpr double kNegligible = 1e-12;
  std::vector<RoutedOption> out;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const Candidate& cand = candidates[i];
    Figures mix;
    mix.prompt_measured = mix.answer_measured = mix.cost_measured = true;  // until a bucket's figure was not measured
    bool complete = true;
    int served = 0;  // true buckets with traffic here: one keeps its difficulty distribution, a mix has none
    std::string sources;
    for (std::size_t t = 0; t < bucket.weights.size() && complete; ++t) {
      const double w = bucket.weights[t];
      if (w <= kNegligible) continue;
      if (!cand.per_bucket[t]) {
        complete = false;
        break;
      }
      const Figures& f = *cand.per_bucket[t];
      mix.accuracy += w * f.accuracy;
      mix.interval.lower += w * f.interval.lower;
      mix.interval.upper += w * f.interval.upper;
      mix.thinking_tokens += w * f.thinking_tokens;
      mix.cost_usd += w * f.cost_usd;
      mix.verifier_usd += w * f.verifier_usd;
      mix.thinking_tokens_p95 = std::max(mix.thinking_tokens_p95, f.thinking_tokens_p95);
      mix.latency_p95_s = std::max(mix.latency_p95_s, f.latency_p95_s);
      mix.latency_p50_s = std::max(mix.latency_p50_s, f.latency_p50_s);
      mix.usd_per_input_token += w * f.usd_per_input_token;
      mix.usd_per_output_token += w * f.usd_per_output_token;
      mix.cost_measured = mix.cost_measured && f.cost_measured;
      mix.tokens_assumed = mix.tokens_assumed || f.tokens_assumed;
      mix.prompt_tokens += w * f.prompt_tokens;
      mix.answer_tokens += w * f.answer_tokens;
      mix.prompt_measured = mix.prompt_measured && f.prompt_measured;
      mix.answer_measured = mix.answer_measured && f.answer_measured;
      sources += (sources.empty() ? "" : "; ") + f.source;
      mix.difficulty = ++served == 1 ? f.difficulty : std::nullopt;
    }
    if (!complete) continue;
    if (slo_p95_s > 0 && mix.latency_p95_s > slo_p95_s) continue;
    mix.source = sources;
    out.push_back({i, std::move(mix)});
  }
  return out;
}

}  // namespace thinkplan::planner
