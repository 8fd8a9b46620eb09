// Reading part of a large JSON document: only the members a caller names are built as JSON values; the rest are
// passed over by a scan that follows strings and brackets but converts nothing. A stored 100,000-class plan is
// over 100 MB of JSON of which the policy export reads a fraction (docs/performance.md); building the whole
// document, every number converted and every object allocated, was most of the export's time.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace thinkplan {

struct JsonSubsetOptions {
  // Values nested deeper than this (among those read, not those passed over) are an error rather than a deep
  // recursion. Default 512, far beyond any document the project writes.
  int max_depth = 512;
  bool IsValid(std::string* error) const;
};

// Parses `text`, building only what `keep` names:
//   true            the value whole;
//   {"k": KEEP...}  of an object, the members named (each read with its own KEEP); others are skipped and a named
//                   member that is absent stays absent;
//   [KEEP]          of an array, every element, each read with KEEP.
// A value whose kind does not match its KEEP (a number where an object was named) is read whole, so that the
// caller sees it and reports it as it would after a full parse.
// What is built is what nlohmann::json::parse would build for the same members, types included (an integer
// without a sign is unsigned, as nlohmann reads it; a duplicate key keeps its last value). Skipped values are
// checked for closed strings and matching brackets only. Throws InputError naming `what` and the byte offset
// when the text is not JSON.
nlohmann::json ParseJsonSubset(std::string_view text, const nlohmann::json& keep, const std::string& what,
                               const JsonSubsetOptions& options = {});

// One member of a JSON object as text: its key as written between the quotes (escapes not decoded) and the text of
// its value, first byte to last.
struct RawMember {
  std::string_view key;
  std::string_view value;
};

// The members of the object that is the whole of `text`, as text, in order, into `out` (cleared first; a caller
// reading many objects reuses it). Nothing is converted or built: each value is checked as ParseJsonSubset checks
// what it passes over (closed strings, matching brackets, a scalar's grammar). Throws InputError naming `what` and
// the byte offset (within `text`) when the text is not a JSON object. For text that nlohmann's dump wrote, a
// value's text is what dump writes for that value again, so it can be copied to output as it stands.
void ReadRawMembers(std::string_view text, const std::string& what, std::vector<RawMember>* out);
// The elements of the array that is the whole of `text`, as text, in order, into `out` (cleared first).
void ReadRawElements(std::string_view text, const std::string& what, std::vector<std::string_view>* out);

// The number whose text (a JSON number) is `text`, as a double; InputError naming `what` if it is not one.
double RawNumber(std::string_view text, const std::string& what);
// The text of the JSON string `quoted` (quotes included), unescaped: a view into `quoted` when it has no escape and
// only ASCII, else decoded into `scratch`. InputError naming `what` if it is not a string.
std::string_view RawString(std::string_view quoted, std::string* scratch, const std::string& what);

}  // namespace thinkplan
