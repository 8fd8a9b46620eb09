// The buffered JSON writer (core/json_output.h) against nlohmann's dump of the same document: the same text,
// compact and indented, for documents smaller and larger than its 64 KiB buffer, with strings longer than it.
#include <boost/test/unit_test.hpp>

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

BOOST_AUTO_TEST_CASE(throws_as_dump_does_on_invalid_utf8) {
  const json bad = std::string("\xff");
  BOOST_CHECK_THROW(Written(bad, 2), json::type_error);
}

BOOST_AUTO_TEST_SUITE_END()
