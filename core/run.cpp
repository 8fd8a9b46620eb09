#include "core/run.h"

#include <charconv>

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
