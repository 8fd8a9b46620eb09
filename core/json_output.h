// Writing large JSON to a stream: the text nlohmann's dump makes, handed to the stream in 64 KiB pieces, for a
// whole document (WriteJson) or for one written piece by piece (JsonWriter), so that a 100,000-class policy need
// not be built whole before it is written (docs/performance.md). `stream << json` gives the stream each key,
// indent and punctuation mark separately, tens of millions of calls for such a policy, each through the stream's
// sentry and, for std::cout synchronised with C stdio, a lock of the C FILE.
#pragma once

#include <memory>
#include <ostream>
#include <string_view>

#include <nlohmann/json.hpp>

namespace thinkplan {

// Writes `value` as `value.dump(indent)` would make it (indent < 0: compact) without building the whole text,
// and without a trailing newline. Throws what dump throws (invalid UTF-8 in a string).
void WriteJson(std::ostream& out, const nlohmann::json& value, int indent = -1);

// A document written in pieces: raw text (brackets, keys, separators the caller lays out as dump would) and
// values, each as dump(indent) writes it at a nesting depth. Flushes when destroyed.
class JsonWriter {
 public:
  JsonWriter(std::ostream& out, int indent);
  ~JsonWriter();
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  void Raw(std::string_view text);
  // `value` as dump(indent) writes it inside `depth` levels of brackets: its own closing bracket is indented by
  // depth * indent (the caller has written the indentation before its opening bracket).
  void Value(const nlohmann::json& value, int depth);
  // The value whose compact text (dump() with no indent, or ReadRawMembers' text of such a document) is `compact`,
  // written as Value writes the value at `depth`, without parsing it: a copy of the text, with line breaks and
  // indentation inserted after brackets and commas and a space after colons (dump's indented layout).
  void Compact(std::string_view compact, int depth);
  void Flush();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace thinkplan
