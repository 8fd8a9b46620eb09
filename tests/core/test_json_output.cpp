// The buffered JSON writer (core/json_output.h) against nlohmann's dump of the same document: the same text,
// compact and indented, for documents smaller and larger than its 64 KiB buffer, with strings longer than it.
#include <boost/test/unit_test.hpp>

#include <functional>
#include <random>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/json_output.h"

using nlohmann::json;
using namespace thinkplan;

namespace {

std::string Written(const json& value, int indent) {
  std::ostringstream out;
  WriteJson(out, value, indent);
  return out.str();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(json_output)

BOOST_AUTO_TEST_CASE(writes_what_dump_makes_across_buffer_boundaries) {
  json large = json::array();
  for (int i = 0; i < 20000; ++i) {
    large.push_back({{"i", i}, {"x", i * 0.1}, {"name", "route-" + std::to_string(i)}, {"escaped", "a\"b\\c\n\u00e9"}});
  }
  const json documents[] = {json(nullptr), json(1.5), json("text"), json::object(), json::array(), large,
                            json({{"long", std::string(200000, 'x')}, {"after", 1}})};
  for (const json& d : documents) {
    for (int indent : {-1, 0, 2}) BOOST_TEST(Written(d, indent) == d.dump(indent));
  }
  BOOST_TEST(Written(large, 2).size() > (1u << 16) * 10);  // many buffers' worth
}

// JsonWriter::Compact re-lays the compact text dump() made of a value as nlohmann's serializer writes the value
// itself (Value), at each indent and depth: strings holding brackets, commas, colons and escaped quotes, empty
// containers, nesting.
BOOST_AUTO_TEST_CASE(compact_text_is_laid_out_as_dump_lays_out_its_value) {
  std::mt19937 rng(20261208);
  const auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  const char* const strings[] = {"", "a", "{", "]", ",", ":", "\"", "\\", "a\"b\\\"c", "[1, {\"x\": 2}]", "\n\t", "\u00e9"};
  std::function<json(int)> make = [&](int depth) -> json {
    switch (depth > 3 ? pick(4) : pick(6)) {
      case 0: return strings[pick(static_cast<int>(std::size(strings)))];
      case 1: return pick(2) ? json(pick(1000) - 500) : json(pick(1000) * 0.37);
      case 2: return pick(2) ? json(nullptr) : json(pick(2) == 1);
      case 3: return pick(2) ? json::object() : json::array();
      case 4: {
        json o = json::object();
        for (int i = pick(4); i > 0; --i) o[strings[pick(static_cast<int>(std::size(strings)))]] = make(depth + 1);
        return o;
      }
      default: {
        json a = json::array();
        for (int i = pick(4); i > 0; --i) a.push_back(make(depth + 1));
        return a;
      }
    }
  };
  for (int i = 0; i < 2000; ++i) {
    const json value = make(0);
    for (const int indent : {-1, 0, 2, 4}) {
      for (const int depth : {0, 1, 3}) {
        std::ostringstream expected, got;
        {
          JsonWriter writer(expected, indent);
          writer.Value(value, depth);
        }
        {
          JsonWriter writer(got, indent);
          writer.Compact(value.dump(), depth);
        }
        BOOST_TEST(got.str() == expected.str(), value.dump() << " indent " << indent << " depth " << depth);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(throws_as_dump_does_on_invalid_utf8) {
  const json bad = std::string("\xff");
  BOOST_CHECK_THROW(Written(bad, 2), json::type_error);
}

BOOST_AUTO_TEST_SUITE_END()
