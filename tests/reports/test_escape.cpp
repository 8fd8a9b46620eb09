// Escaping of data-borne strings for HTML, JSON in <script> and Markdown, and the number formats of the report.
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "reports/escape.h"
#include "reports/format.h"

using namespace thinkplan::reports;

BOOST_AUTO_TEST_SUITE(escape)

BOOST_AUTO_TEST_CASE(html_escapes_markup_quotes_and_control_characters) {
  BOOST_TEST(HtmlEscape("x\"><script>alert(1)</script>|") == "x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;|");
  BOOST_TEST(HtmlEscape("a & b 'c'") == "a &amp; b &#39;c&#39;");
  BOOST_TEST(HtmlEscape(std::string("a\x01" "b\x7f", 4)) == "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
  BOOST_TEST(HtmlEscape("tab\tline\n") == "tab\tline\n");
  BOOST_TEST(HtmlEscape("µs naïve") == "µs naïve");  // UTF-8 passes through
}

BOOST_AUTO_TEST_CASE(json_for_script_cannot_close_the_script_and_round_trips) {
  const nlohmann::json value = {{"name", "</script><script>alert(1)</script><!-- & \xE2\x80\xA8"}, {"n", 1.5}};
  const std::string text = JsonForScript(value);
  BOOST_TEST(text.find('<') == std::string::npos);
  BOOST_TEST(text.find('>') == std::string::npos);
  BOOST_TEST(text.find("\xE2\x80\xA8") == std::string::npos);
  BOOST_TEST(nlohmann::json::parse(text) == value);
}

BOOST_AUTO_TEST_CASE(markdown_cell_escapes_separators_markup_and_newlines) {
  BOOST_TEST(MarkdownCell("a|b\nc") == "a\\|b c");
  BOOST_TEST(MarkdownCell("x\"><script>alert(1)</script>|") == "x\"\\>\\<script\\>alert(1)\\</script\\>\\|");
  BOOST_TEST(MarkdownCell("*bold* _it_ [link](u) `code`") == "\\*bold\\* \\_it\\_ \\[link\\](u) \\`code\\`");
  BOOST_TEST(MarkdownText("line\r\nbreak") == "line  break");
}

BOOST_AUTO_TEST_CASE(numbers_carry_units_and_sensible_precision) {
  // Money and percentages are core's, checked in tests/core/test_number_format.cpp; the report shows them as is.
  BOOST_TEST(thinkplan::Usd(120000) == "$120k");
  BOOST_TEST(Tokens(12046.85) == "12k tokens");
  BOOST_TEST(Tokens(4096) == "4.1k tokens");
  BOOST_TEST(Tokens(40960) == "41k tokens");
  BOOST_TEST(Tokens(512) == "512 tokens");
  BOOST_TEST(Seconds(5.2) == "5.20 s");
  BOOST_TEST(Seconds(219.7) == "3.7 min");
  BOOST_TEST(Count(1319) == "1,319");
  BOOST_TEST(Count(1234567.4) == "1,234,567");
  BOOST_TEST(Number(43.849) == "43.8");
  BOOST_TEST(Number(5.06e28) == "5.06e+28");
}

BOOST_AUTO_TEST_SUITE_END()
