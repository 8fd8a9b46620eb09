// JSON written by hand (the harness has no JSON library): perf records as JSON Lines that `thinkplan ingest`
// reads, and ceilings.json with the device, its ceilings and the correctness checks.
#pragma once

#include <string>
#include <string_view>

#include "thinkplan_harness/summary.h"

namespace thinkplan::harness {

// `text` as a JSON string literal, quotes included: ", \ and control characters escaped; other bytes (UTF-8)
// passed through.
std::string JsonString(std::string_view text);
// Shortest text that reads back to the same double; "null" for NaN and infinities (JSON has neither).
std::string JsonNumber(double value);

// Builds one JSON object, keys in the order added.
class JsonObject {
 public:
  JsonObject& String(std::string_view key, std::string_view value);
  JsonObject& Number(std::string_view key, double value);
  JsonObject& Integer(std::string_view key, long value);
  JsonObject& Bool(std::string_view key, bool value);
  JsonObject& Raw(std::string_view key, std::string_view json);  // an already-written value
  std::string str() const { return "{" + body_ + "}"; }

 private:
  void Key(std::string_view key);
  std::string body_;
};

// One perf record: the documented fields only, absent optionals left out, no newline.
std::string ToJsonLine(const PerfRecord& record);
// ceilings.json: tool, device, ceilings, checks, notes.
std::string CeilingsJson(const HarnessSummary& summary);

// Writes perf.jsonl, ceilings.json and table.txt into `dir` (created if missing). Throws HarnessError when a
// file cannot be written. Returns the path of perf.jsonl.
std::string WriteResults(const HarnessSummary& summary, const std::string& dir);

}  // namespace thinkplan::harness
