#include "core/json_subset.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <vector>

#include <fmt/format.h>

#include "core/errors.h"

namespace thinkplan {
namespace {

using nlohmann::json;

// Bytes the scanner stops at, as a table: the many bytes it passes over cost one lookup each. In a string: the
// closing quote, an escape, a control character, non-ASCII text. In a skipped value: quotes and brackets.
constexpr std::array<bool, 256> kStringStops = [] {
  std::array<bool, 256> stops{};
  for (std::size_t c = 0; c < 256; ++c) stops[c] = c == '"' || c == '\\' || c < 0x20 || c >= 0x80;
  return stops;
}();
constexpr std::array<bool, 256> kSkipStops = [] {
  std::array<bool, 256> stops{};
  for (const unsigned char c : {'"', '{', '[', '}', ']'}) stops[c] = true;
  return stops;
}();

bool Stops(const std::array<bool, 256>& stops, char c) { return stops[static_cast<unsigned char>(c)]; }

// A recursive-descent reader over the text. Read* build values; Skip* pass over them.
class SubsetReader {
 public:
  SubsetReader(std::string_view text, const std::string& what, int max_depth)
      : text_(text), what_(what), max_depth_(max_depth) {}

  json Document(const json& keep) {
    json value = Value(keep, 0);
    SkipSpace();
    if (pos_ != text_.size()) Fail("text after the end of the document");
    return value;
  }

 private:
  static const json& All() {
    static const json all = true;
    return all;
  }

  [[noreturn]] void Fail(const std::string& reason) const {
    throw InputError(SourceLocation{what_, 0, "", ""}, fmt::format("not JSON at byte {}: {}", pos_, reason));
  }

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\r' || text_[pos_] == '\t')) {
      ++pos_;
    }
  }

  char Next() {
    SkipSpace();
    if (pos_ >= text_.size()) Fail("unexpected end");
    return text_[pos_];
  }

  void Expect(char c) {
    if (Next() != c) Fail(fmt::format("expected '{}'", c));
    ++pos_;
  }

  json Value(const json& keep, int depth) {
    if (depth > max_depth_) Fail(fmt::format("nested deeper than {}", max_depth_));
    switch (Next()) {
      case '{': return Object(keep.is_object() ? keep : All(), depth);
      case '[': return Array(keep.is_array() && keep.size() == 1 ? keep[0] : All(), depth);
      case '"': return String();
      case 't': return Literal("true", json(true));
      case 'f': return Literal("false", json(false));
      case 'n': return Literal("null", json(nullptr));
      default: return Number();
    }
  }

  // `keep` is an object naming members, or true for all of them.
  json Object(const json& keep, int depth) {
    ++pos_;
    json object = json::object();
    if (Next() == '}') {
      ++pos_;
      return object;
    }
    while (true) {
      std::string key = StringText();
      Expect(':');
      const auto it = keep.is_object() ? keep.find(key) : keep.end();
      if (!keep.is_object()) object[std::move(key)] = Value(All(), depth + 1);
      else if (it != keep.end()) object[std::move(key)] = Value(*it, depth + 1);
      else Skip();
      if (Next() != ',' && Next() != '}') Fail("expected ',' or '}'");
      if (text_[pos_++] == '}') return object;
    }
  }

  json Array(const json& element, int depth) {
    ++pos_;
    json array = json::array();
    if (Next() == ']') {
      ++pos_;
      return array;
    }
    while (true) {
      array.push_back(Value(element, depth + 1));
      if (Next() != ',' && Next() != ']') Fail("expected ',' or ']'");
      if (text_[pos_++] == ']') return array;
    }
  }

  // Returns the position of the closing quote of the string opening at pos_; sets *plain when the string has no
  // escape and only ASCII (then its text is the bytes between the quotes).
  std::size_t StringEnd(bool* plain) {
    bool simple = true;
    for (std::size_t i = pos_ + 1; i < text_.size(); ++i) {
      while (i < text_.size() && !Stops(kStringStops, text_[i])) ++i;
      if (i == text_.size()) break;
      const unsigned char c = static_cast<unsigned char>(text_[i]);
      if (c == '"') {
        if (plain) *plain = simple;
        return i;
      }
      if (c == '\\') simple = false, ++i;
      else if (c < 0x20) pos_ = i, Fail("control character in a string");
      else if (c >= 0x80) simple = false;
    }
    Fail("unterminated string");
  }

  // The text of the string at pos_, unescaped.
  std::string StringText() {
    if (Next() != '"') Fail("expected a string");
    bool plain = false;
    const std::size_t end = StringEnd(&plain);
    const std::string_view quoted = text_.substr(pos_, end + 1 - pos_);
    std::string text;
    if (plain) {
      text = quoted.substr(1, quoted.size() - 2);
    } else {
      // Escapes and non-ASCII text go through nlohmann's own reader, which decodes escapes and checks UTF-8.
      const json value = json::parse(quoted.begin(), quoted.end(), nullptr, false);
      if (value.is_discarded()) Fail("malformed string");
      text = value.get<std::string>();
    }
    pos_ = end + 1;
    return text;
  }

  json String() { return json(StringText()); }

  json Literal(std::string_view word, json value) {
    if (text_.substr(pos_, word.size()) != word) Fail("unknown literal");
    pos_ += word.size();
    return value;
  }

  // JSON's number grammar: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?. Returns its end; *integer when
  // it has neither fraction nor exponent.
  std::size_t NumberEnd(bool* integer) const {
    std::size_t i = pos_;
    const auto digits = [&] {
      const std::size_t start = i;
      while (i < text_.size() && text_[i] >= '0' && text_[i] <= '9') ++i;
      return i > start;
    };
    if (i < text_.size() && text_[i] == '-') ++i;
    if (i < text_.size() && text_[i] == '0') ++i;
    else if (!digits()) return pos_;
    *integer = true;
    if (i < text_.size() && text_[i] == '.') {
      ++i, *integer = false;
      if (!digits()) return pos_;
    }
    if (i < text_.size() && (text_[i] == 'e' || text_[i] == 'E')) {
      ++i, *integer = false;
      if (i < text_.size() && (text_[i] == '+' || text_[i] == '-')) ++i;
      if (!digits()) return pos_;
    }
    return i;
  }

  // As nlohmann reads numbers: an integer without a sign is unsigned, with one signed, and one beyond 64 bits, or
  // with a fraction or exponent, a double (correctly rounded, as strtod).
  json Number() {
    bool integer = false;
    const std::size_t end = NumberEnd(&integer);
    if (end == pos_) Fail("expected a value");
    const char* first = text_.data() + pos_;
    const char* last = text_.data() + end;
    pos_ = end;
    if (integer && *first != '-') {
      std::uint64_t u = 0;
      if (std::from_chars(first, last, u).ec == std::errc()) return json(u);
    } else if (integer) {
      std::int64_t n = 0;
      if (std::from_chars(first, last, n).ec == std::errc()) return json(n);
    }
    double x = 0;
    if (std::from_chars(first, last, x).ec == std::errc()) return json(x);
    // Out of range: nlohmann keeps what strtod makes of an underflow (a subnormal or 0) and refuses an overflow.
    x = std::strtod(std::string(first, last).c_str(), nullptr);
    if (!std::isfinite(x)) Fail("number out of range");
    return json(x);
  }

  void SkipString() { pos_ = StringEnd(nullptr) + 1; }

  // Passes over one value; brackets must match, strings be closed, a scalar follow its grammar.
  void Skip() {
    const char c = Next();
    if (c == '"') return SkipString();
    if (c != '{' && c != '[') {
      if (c == 't' || c == 'f' || c == 'n') {
        Literal(c == 't' ? "true" : c == 'f' ? "false" : "null", json());
        return;
      }
      bool integer = false;
      const std::size_t end = NumberEnd(&integer);
      if (end == pos_) Fail("expected a value");
      pos_ = end;
      return;
    }
    open_.clear();  // kept between values: a reader passing over many values allocates once
    while (pos_ < text_.size()) {
      while (pos_ < text_.size() && !Stops(kSkipStops, text_[pos_])) ++pos_;
      if (pos_ == text_.size()) break;
      const char x = text_[pos_];
      if (x == '"') {
        SkipString();
        continue;
      }
      if (x == '{' || x == '[') open_.push_back(x == '{' ? '}' : ']');
      if (x == '}' || x == ']') {
        if (open_.empty() || open_.back() != x) Fail("brackets do not match");
        open_.pop_back();
        if (open_.empty()) return void(++pos_);
      }
      ++pos_;
    }
    Fail("unexpected end");
  }

  // The text of the value at pos_, passed over.
  std::string_view SkipValue() {
    SkipSpace();
    const std::size_t start = pos_;
    Skip();
    return text_.substr(start, pos_ - start);
  }

  void End() {
    SkipSpace();
    if (pos_ != text_.size()) Fail("text after the end of the document");
  }

 public:
  void Members(std::vector<RawMember>* out) {
    out->clear();
    Expect('{');
    if (Next() == '}') {
      ++pos_;
      return End();
    }
    while (true) {
      if (Next() != '"') Fail("expected a string");
      const std::size_t end = StringEnd(nullptr);
      const std::string_view key = text_.substr(pos_ + 1, end - pos_ - 1);
      pos_ = end + 1;
      Expect(':');
      out->push_back({key, SkipValue()});
      if (Next() != ',' && Next() != '}') Fail("expected ',' or '}'");
      if (text_[pos_++] == '}') return End();
    }
  }

  void Elements(std::vector<std::string_view>* out) {
    out->clear();
    Expect('[');
    if (Next() == ']') {
      ++pos_;
      return End();
    }
    while (true) {
      out->push_back(SkipValue());
      if (Next() != ',' && Next() != ']') Fail("expected ',' or ']'");
      if (text_[pos_++] == ']') return End();
    }
  }

  std::string_view Quoted(std::string* scratch) {
    if (Next() != '"') Fail("expected a string");
    bool plain = false;
    const std::size_t end = StringEnd(&plain);
    if (end + 1 != text_.size()) pos_ = end + 1, Fail("text after the end of the string");
    if (plain) return text_.substr(1, end - 1);
    *scratch = StringText();
    return *scratch;
  }

  double NumberValue() {
    const json value = Number();
    End();
    return value.get<double>();
  }

 private:

  std::string_view text_;
  const std::string& what_;
  int max_depth_;
  std::size_t pos_ = 0;
  std::vector<char> open_;
};

}  // namespace

void ReadRawMembers(std::string_view text, const std::string& what, std::vector<RawMember>* out) {
  SubsetReader(text, what, 1).Members(out);
}

void ReadRawElements(std::string_view text, const std::string& what, std::vector<std::string_view>* out) {
  SubsetReader(text, what, 1).Elements(out);
}

double RawNumber(std::string_view text, const std::string& what) {
  if (text.empty() || (text[0] != '-' && (text[0] < '0' || text[0] > '9'))) {
    throw InputError(SourceLocation{what, 0, "", ""}, fmt::format("not a number: {}", text.substr(0, 40)));
  }
  return SubsetReader(text, what, 1).NumberValue();
}

std::string_view RawString(std::string_view quoted, std::string* scratch, const std::string& what) {
  return SubsetReader(quoted, what, 1).Quoted(scratch);
}

bool JsonSubsetOptions::IsValid(std::string* error) const {
  if (max_depth < 1) {
    if (error) *error = "max_depth must be at least 1";
    return false;
  }
  return true;
}

json ParseJsonSubset(std::string_view text, const json& keep, const std::string& what,
                     const JsonSubsetOptions& options) {
  std::string error;
  if (!options.IsValid(&error)) throw InternalError("JsonSubsetOptions: " + error);
  return SubsetReader(text, what, options.max_depth).Document(keep);
}

}  // namespace thinkplan
