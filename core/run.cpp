#include "core/run.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>
#include <tuple>

#include "core/perf_run.h"

namespace thinkplan {

std::string Aggregation::ToString() const {
  switch (kind) {
    case AggregationKind::kPass1: return "pass@1";
    case AggregationKind::kConsensus: return "cons@" + std::to_string(k);
    case AggregationKind::kBestOf: return "best@" + std::to_string(k);
    case AggregationKind::kPassAt: return "pass@" + std::to_string(k);
  }
  return "pass@1";
}

std::optional<Aggregation> Aggregation::Parse(std::string_view text) {
  const auto at = text.find('@');
  if (at == std::string_view::npos) return std::nullopt;
  const std::string_view name = text.substr(0, at);
  const std::string_view digits = text.substr(at + 1);
  long k = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), k);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() || k < 1) return std::nullopt;
  if (name == "pass") {
    return k == 1 ? Aggregation{AggregationKind::kPass1, 1} : Aggregation{AggregationKind::kPassAt, k};
  }
  if (name == "cons") return Aggregation{AggregationKind::kConsensus, k};
  if (name == "best") return Aggregation{AggregationKind::kBestOf, k};
  return std::nullopt;
}

std::string_view ToString(Source source) {
  switch (source) {
    case Source::kMeasured: return "measured";
    case Source::kPublished: return "published";
    case Source::kSimulated: return "simulated";
  }
  return "measured";
}

std::string_view ToString(Mode mode) { return mode == Mode::kFast ? "fast" : "extended"; }

std::optional<Source> ParseSource(std::string_view text) {
  if (text == "measured") return Source::kMeasured;
  if (text == "published") return Source::kPublished;
  if (text == "simulated") return Source::kSimulated;
  return std::nullopt;
}

std::optional<Mode> ParseMode(std::string_view text) {
  if (text == "fast") return Mode::kFast;
  if (text == "extended") return Mode::kExtended;
  return std::nullopt;
}

std::optional<double> Run::ThinkingTokens() const {
  if (mean_thinking_tokens) return mean_thinking_tokens;
  if (mode == Mode::kFast) return 0.0;
  if (mean_output_tokens && mean_answer_tokens) return std::max(0.0, *mean_output_tokens - *mean_answer_tokens);
  return mean_output_tokens;
}

std::optional<double> Run::AnswerTokens() const {
  if (mean_answer_tokens) return mean_answer_tokens;
  if (mean_output_tokens && mean_thinking_tokens) return std::max(0.0, *mean_output_tokens - *mean_thinking_tokens);
  if (mode == Mode::kFast) return mean_output_tokens;
  return std::nullopt;
}

namespace {

// What makes two runs repeated samples of the same problems: one setting on one named problem set.
using RepeatKey = std::tuple<std::string, std::string, std::string, int, double, bool, std::string, std::string,
                             std::string>;
RepeatKey RepeatKeyOf(const Run& r) {
  const Aggregation setting = r.aggregation.kind == AggregationKind::kPass1 ? Aggregation{} : r.aggregation;
  return {r.system,         r.task_class, r.difficulty, static_cast<int>(r.mode), r.budget_tokens.value_or(-1),
          r.budget_tokens.has_value(), r.effort, setting.ToString(), r.problem_set};
}

// Samples behind a run's accuracy: pass@1 averaged over s samples is s draws per problem; an aggregated answer
// (cons@k, best@k, pass@k) is one per problem.
double SampleWeight(const Run& r) {
  return r.aggregation.kind == AggregationKind::kPass1 ? static_cast<double>(std::max(1L, r.samples)) : 1.0;
}

bool MoreDetailed(const Run& a, const Run& b) {
  return std::tie(a.samples, a.n_problems) > std::tie(b.samples, b.n_problems) ||
         (std::tie(a.samples, a.n_problems) == std::tie(b.samples, b.n_problems) && a.run_key < b.run_key);
}

// The weighted mean of a per-sample figure over the runs that report it.
std::optional<double> WeightedMean(const std::vector<const Run*>& group,
                                   const std::function<std::optional<double>(const Run&)>& figure) {
  double weight = 0, sum = 0;
  for (const Run* r : group) {
    if (const std::optional<double> x = figure(*r)) weight += SampleWeight(*r), sum += SampleWeight(*r) * *x;
  }
  return weight > 0 ? std::optional<double>(sum / weight) : std::nullopt;
}

CombinedRun Combine(std::vector<const Run*> group) {
  std::sort(group.begin(), group.end(), [](const Run* a, const Run* b) { return MoreDetailed(*a, *b); });
  CombinedRun out{*group.front(), {}};
  for (const Run* r : group) out.keys.push_back(r->run_key);
  if (group.size() == 1) return out;
  Run& run = out.run;
  const double n = static_cast<double>(run.n_problems);
  run.n_correct = n * *WeightedMean(group, [](const Run& r) { return std::optional<double>(r.accuracy()); });
  run.mean_output_tokens = WeightedMean(group, [](const Run& r) { return r.mean_output_tokens; });
  run.mean_thinking_tokens = WeightedMean(group, [](const Run& r) { return r.mean_thinking_tokens; });
  run.mean_answer_tokens = WeightedMean(group, [](const Run& r) { return r.mean_answer_tokens; });
  run.mean_input_tokens = WeightedMean(group, [](const Run& r) { return r.mean_input_tokens; });
  // Cost per problem and sample, carried back to the most detailed run's size.
  const std::optional<double> per_sample = WeightedMean(group, [](const Run& r) -> std::optional<double> {
    if (!r.cost_usd) return std::nullopt;
    return *r.cost_usd / static_cast<double>(std::max(1L, r.n_problems) * std::max(1L, r.samples));
  });
  if (per_sample) run.cost_usd = *per_sample * n * static_cast<double>(std::max(1L, run.samples));
  // Latency: the slowest measured, what users of either setting waited.
  for (const Run* r : group) {
    if (r->latency_p50_s) run.latency_p50_s = std::max(run.latency_p50_s.value_or(0.0), *r->latency_p50_s);
    if (r->latency_p95_s) run.latency_p95_s = std::max(run.latency_p95_s.value_or(0.0), *r->latency_p95_s);
  }
  return out;
}

}  // namespace

std::vector<CombinedRun> CombineRepeatedRuns(const std::vector<Run>& runs) {
  std::map<RepeatKey, std::vector<const Run*>> groups;
  std::vector<CombinedRun> out;
  for (const Run& r : runs) {
    if (r.problem_set.empty()) {
      out.push_back({r, {r.run_key}});
    } else {
      groups[RepeatKeyOf(r)].push_back(&r);
    }
  }
  for (auto& [key, group] : groups) out.push_back(Combine(std::move(group)));
  // Input order, by the first run of each combination, so that callers see a stable order.
  std::map<std::string, std::size_t> position;
  for (std::size_t i = 0; i < runs.size(); ++i) position.emplace(runs[i].run_key, i);
  std::stable_sort(out.begin(), out.end(), [&](const CombinedRun& a, const CombinedRun& b) {
    return position[a.run.run_key] < position[b.run.run_key];
  });
  return out;
}

std::vector<Run> CombinedRunsOnly(const std::vector<Run>& runs) {
  std::vector<Run> out;
  for (CombinedRun& c : CombineRepeatedRuns(runs)) out.push_back(std::move(c.run));
  return out;
}

std::string_view ToString(PerfPhase phase) {
  switch (phase) {
    case PerfPhase::kPrefill: return "prefill";
    case PerfPhase::kDecode: return "decode";
    case PerfPhase::kEndToEnd: return "e2e";
  }
  return "decode";
}

std::optional<PerfPhase> ParsePerfPhase(std::string_view text) {
  if (text == "prefill") return PerfPhase::kPrefill;
  if (text == "decode") return PerfPhase::kDecode;
  if (text == "e2e") return PerfPhase::kEndToEnd;
  return std::nullopt;
}

}  // namespace thinkplan
