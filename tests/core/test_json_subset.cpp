// The partial JSON reader (core/json_subset.h) against an independent reference: nlohmann::json::parse of the
// whole text, pruned to the members named by a few lines written here. Both must agree value for value and type
// for type (an unsigned integer stays unsigned, 1.0 stays a double) on seeded random documents, compact and
// indented, with random member lists; every malformed text is an InputError naming the document and the byte.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/json_subset.h"

using nlohmann::json;
using namespace thinkplan;

namespace {

// The reference: `value` reduced to what `keep` names, per the rules in core/json_subset.h.
json Prune(const json& value, const json& keep) {
  if (keep.is_object() && value.is_object()) {
    json out = json::object();
    for (auto it = keep.begin(); it != keep.end(); ++it) {
      if (value.contains(it.key())) out[it.key()] = Prune(value[it.key()], it.value());
    }
    return out;
  }
  if (keep.is_array() && keep.size() == 1 && value.is_array()) {
    json out = json::array();
    for (const json& x : value) out.push_back(Prune(x, keep[0]));
    return out;
  }
  return value;
}

// Equal values of equal types, all the way down (json's == takes 1, 1u and 1.0 as equal).
bool Same(const json& a, const json& b) {
  if (a.type() != b.type()) return false;
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      if (!b.contains(it.key()) || !Same(it.value(), b[it.key()])) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!Same(a[i], b[i])) return false;
    }
    return true;
  }
  return a.dump() == b.dump();
}

const char* const kKeys[] = {"a", "b", "c", "name", "é", "tab\there", "q\"uote"};

// Numbers written as text so that the reader meets every form: big, negative, beyond 64 bits, exponents.
const char* const kNumbers[] = {"0", "-0", "7", "-7", "18446744073709551615", "18446744073709551616",
                                "-9223372036854775808", "-9223372036854775809", "0.1", "-2.5e-3", "1E5",
                                "6.02214076e+23", "1.7976931348623157e308", "4.9e-324", "1e-400", "1.0"};

class Generator {
 public:
  explicit Generator(unsigned seed) : rng_(seed) {}

  // A random document as text (numbers spliced in as written, so they are not dumped back by nlohmann first).
  std::string Text(int depth) {
    const int kind = Pick(depth > 3 ? 4 : 6);
    switch (kind) {
      case 0: return kNumbers[Pick(std::size(kNumbers))];
      case 1: return json(String()).dump();
      case 2: return Pick(3) == 0 ? "null" : Pick(2) ? "true" : "false";
      case 3: return json(String()).dump();
      case 4: {
        std::string out = "{";
        const int n = Pick(5);
        for (int i = 0; i < n; ++i) out += (i ? ", " : "") + json(kKeys[Pick(std::size(kKeys))]).dump() + ":" + Text(depth + 1);
        return out + "}";
      }
      default: {
        std::string out = "[";
        const int n = Pick(5);
        for (int i = 0; i < n; ++i) out += (i ? ",\n " : "") + Text(depth + 1);
        return out + "]";
      }
    }
  }

  // A random member list.
  json Keep(int depth) {
    const int kind = Pick(depth > 3 ? 1 : 3);
    if (kind == 0) return true;
    if (kind == 1) {
      json keep = json::object();
      for (const char* key : kKeys) {
        if (Pick(2)) keep[key] = Keep(depth + 1);
      }
      return keep;
    }
    return json::array({Keep(depth + 1)});
  }

 private:
  int Pick(std::size_t n) { return std::uniform_int_distribution<int>(0, static_cast<int>(n) - 1)(rng_); }
  std::string String() {
    const char* const pieces[] = {"x", " ", "\"", "\\", "\n", "\x01", "é", "日本", "/", "\u2028"};
    std::string s;
    for (int i = Pick(6); i > 0; --i) s += pieces[Pick(std::size(pieces))];
    return s;
  }
  std::mt19937 rng_;
};

// The message of the InputError that reading `text` throws; fails the test when it throws none.
std::string Refusal(const std::string& text, const json& keep = true) {
  try {
    ParseJsonSubset(text, keep, "doc");
  } catch (const InputError& e) {
    return e.what();
  }
  BOOST_ERROR("accepted: " << text);
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(json_subset)

BOOST_AUTO_TEST_CASE(agrees_with_a_full_parse_pruned_on_random_documents) {
  Generator generator(20261207);
  int compared = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string text = generator.Text(0);
    const json keep = generator.Keep(0);
    // The text as generated, and as nlohmann indents it (where -0 becomes 0, an unsigned integer when read back).
    for (const std::string& form : {text, json::parse(text).dump(2)}) {
      const json subset = ParseJsonSubset(form, keep, "doc");
      BOOST_TEST(Same(subset, Prune(json::parse(form), keep)), "text " << form << "\nkeep " << keep.dump() << "\ngot " << subset.dump());
      ++compared;
    }
  }
  BOOST_TEST(compared == 6000);
}

BOOST_AUTO_TEST_CASE(reads_numbers_as_nlohmann_does) {
  const json all = ParseJsonSubset(R"([0, -0, 18446744073709551615, 18446744073709551616, -9223372036854775809, 1.0, 1e2])", true, "doc");
  BOOST_TEST(all[0].is_number_unsigned());
  BOOST_TEST(all[1].is_number_integer());
  BOOST_TEST(!all[1].is_number_unsigned());
  BOOST_TEST(all[2].get<std::uint64_t>() == std::numeric_limits<std::uint64_t>::max());
  BOOST_TEST(all[3].is_number_float());  // beyond 64 bits
  BOOST_TEST(all[4].is_number_float());
  BOOST_TEST(all[5].dump() == "1.0");
  BOOST_TEST(all[6].get<double>() == 100.0);
}

BOOST_AUTO_TEST_CASE(keeps_only_the_named_members_and_the_last_of_a_duplicate) {
  const std::string text = R"({"skip": {"deep": [[[{"x": "}]"}]]], "n": 1}, "keep": [{"a": 1, "b": 2}, {"b": 3}],
                               "keep": [{"a": 4, "b": 5}], "whole": {"z": [1, {"y": null}]}})";
  const json keep = {{"keep", json::array({{{"a", true}}})}, {"whole", true}, {"absent", true}};
  const json expected = json::parse(R"({"keep": [{"a": 4}], "whole": {"z": [1, {"y": null}]}})");
  BOOST_TEST(Same(ParseJsonSubset(text, keep, "doc"), expected));
  // A kind other than the one named is read whole.
  BOOST_TEST(Same(ParseJsonSubset(R"({"keep": 7})", keep, "doc"), json::parse(R"({"keep": 7})")));
}

BOOST_AUTO_TEST_CASE(refuses_what_is_not_json_with_the_document_and_the_byte) {
  const json only_a = {{"a", true}};
  for (const char* text : {R"({"a": [1, 2})", R"({"a": "x)", R"({"a" 1})", R"({"a": 01})", R"({"a": 1.})",
                                  R"({"a": tru})", R"({"a": 1} x)", "{\"a\": \"\x01\"}", R"({"a": -})", R"({"a": 1e999})", R"({"a": -1e999})",
                                  R"({"a": +1})", "", "  "}) {
    for (const json& keep : {json(true), only_a}) {
      const std::string message = Refusal(text, keep);
      BOOST_TEST(message.find("doc") != std::string::npos, message);
      BOOST_TEST(message.find("byte") != std::string::npos, message);
    }
  }
  // Skipped members are checked for closed strings and matching brackets.
  for (const char* text : {R"({"skip": [1, 2}, "a": 1})", R"({"skip": "open, "a": 1})", R"({"skip": {"x": [}}})",
                                  R"({"skip": [1, 2)"}) {
    BOOST_TEST(!Refusal(text, only_a).empty());
  }
  BOOST_TEST(Refusal(R"({"a": [1, 2})") == "doc: not JSON at byte 11: expected ',' or ']'");
}

BOOST_AUTO_TEST_CASE(limits_the_depth_of_what_it_reads_not_of_what_it_skips) {
  const std::string deep = std::string(50, '[') + std::string(50, ']');
  JsonSubsetOptions options;
  options.max_depth = 10;
  BOOST_CHECK_THROW(ParseJsonSubset(deep, true, "doc", options), InputError);
  BOOST_TEST(ParseJsonSubset(R"({"skip": )" + deep + R"(, "a": 1})", {{"a", true}}, "doc", options) == json({{"a", 1}}));
  options.max_depth = 0;
  std::string why;
  BOOST_TEST(!options.IsValid(&why));
  BOOST_CHECK_THROW(ParseJsonSubset("1", true, "doc", options), InternalError);
}

// The raw reader's texts, parsed by nlohmann, are the document's members and elements as nlohmann reads the whole:
// the members put back together (duplicates in order, the last winning in both) parse to the same object.
BOOST_AUTO_TEST_CASE(raw_members_and_elements_are_the_texts_of_the_values) {
  Generator generator(20261208);
  std::vector<RawMember> members;
  std::vector<std::string_view> elements;
  int objects = 0, arrays = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string text = generator.Text(0);
    const json whole = json::parse(text);
    for (const std::string& form : {text, whole.dump(), whole.dump(2)}) {
      if (whole.is_object()) {
        ReadRawMembers(form, "doc", &members);
        std::string rebuilt = "{";
        for (const RawMember& m : members) {
          rebuilt += (rebuilt.size() > 1 ? "," : "") + std::string("\"") + std::string(m.key) + "\":" + std::string(m.value);
        }
        BOOST_TEST(Same(json::parse(rebuilt + "}"), json::parse(form)), form);
        ++objects;
      } else if (whole.is_array()) {
        ReadRawElements(form, "doc", &elements);
        BOOST_REQUIRE(elements.size() == whole.size());
        for (std::size_t k = 0; k < elements.size(); ++k) BOOST_TEST(Same(json::parse(elements[k]), json::parse(form)[k]));
        ++arrays;
      }
    }
  }
  BOOST_TEST(objects > 300);
  BOOST_TEST(arrays > 300);
}

BOOST_AUTO_TEST_CASE(raw_scalars_read_as_nlohmann_reads_them) {
  std::string scratch;
  std::vector<RawMember> members;
  for (const char* number : kNumbers) {
    if (std::string(number) == "1e-400") continue;  // nlohmann keeps strtod's underflow; compared below
    BOOST_TEST(RawNumber(number, "doc") == json::parse(number).get<double>(), number);
  }
  BOOST_TEST(RawNumber("1e-400", "doc") == 0.0);
  for (const std::string text : {"plain", R"(quo\"te)", R"(new\nline)", R"(\u00e9t\u00e9)", "日本", ""}) {
    const std::string quoted = "\"" + text + "\"";
    BOOST_TEST(std::string(RawString(quoted, &scratch, "doc")) == json::parse(quoted).get<std::string>(), text);
  }
  for (const char* bad : {"", "x", "1.", "\"1\"", "1 2", "null"}) BOOST_CHECK_THROW(RawNumber(bad, "doc"), InputError);
  for (const char* bad : {"", "x", "\"open", "\"a\" \"b\"", "1"}) BOOST_CHECK_THROW(RawString(bad, &scratch, "doc"), InputError);
  for (const char* bad : {"", "[1, 2]", R"({"a": 1,})", R"({"a" 1})", R"({"a": [1})", R"({"a": 1} x)", R"({"a": 01})"}) {
    BOOST_CHECK_THROW(ReadRawMembers(bad, "doc", &members), InputError);
  }
}

BOOST_AUTO_TEST_SUITE_END()
