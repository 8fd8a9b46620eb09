// The RFC 4180 reader: quoting rules, line ends, byte order mark, physical line numbers and chunk boundaries.
// Expected fields are written out by hand from the RFC's rules.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "core/errors.h"
#include "core/csv_reader.h"
#include "tests/common/test_support.h"

namespace thinkplan::store {
namespace {

struct Record {
  long line;
  std::vector<std::string> fields;
  bool operator==(const Record&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Record& record) {
  out << record.line << ":";
  for (const auto& f : record.fields) out << "[" << f << "]";
  return out;
}

std::vector<Record> ReadAll(const std::string& text, std::size_t chunk = 1 << 20) {
  CsvReader reader = CsvReader::FromString(text, "t.csv", CsvReaderOptions{chunk});
  std::vector<Record> out;
  while (reader.Next()) {
    Record record{reader.line(), {}};
    for (auto f : reader.fields()) record.fields.emplace_back(f);
    out.push_back(record);
  }
  return out;
}

// Every input is read with every small chunk size too, so that each quote, CR and LF falls on a chunk boundary.
void Check(const std::string& text, const std::vector<Record>& expected) {
  for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{5}, std::size_t{7},
                            std::size_t{64}, std::size_t{1} << 20}) {
    BOOST_TEST_CONTEXT("chunk " << chunk) {
      const auto got = ReadAll(text, chunk);
      BOOST_TEST(got == expected, boost::test_tools::per_element());
    }
  }
}

std::string ErrorOf(const std::string& text, std::size_t chunk = 1 << 20) {
  try {
    ReadAll(text, chunk);
  } catch (const InputError& error) {
    return error.what();
  }
  return "no error";
}

BOOST_AUTO_TEST_SUITE(csv_reader)

BOOST_AUTO_TEST_CASE(plain_fields_and_line_ends) {
  Check("a,b,c\n1,2,3\n", {{1, {"a", "b", "c"}}, {2, {"1", "2", "3"}}});
  Check("a,b\r\n1,2\r\n", {{1, {"a", "b"}}, {2, {"1", "2"}}});
  Check("a,b\n1,2", {{1, {"a", "b"}}, {2, {"1", "2"}}});  // no line end after the last record
  Check("a,b\r1,2\r", {{1, {"a", "b"}}, {2, {"1", "2"}}});  // lone CR line ends (old Mac files)
}

BOOST_AUTO_TEST_CASE(empty_fields) {
  Check("a,,c\n,,\n", {{1, {"a", "", "c"}}, {2, {"", "", ""}}});
  Check("\"\",x\n", {{1, {"", "x"}}});
  Check("x,\n", {{1, {"x", ""}}});  // a trailing comma is one more, empty, field
}

BOOST_AUTO_TEST_CASE(quoted_fields) {
  Check("\"a,b\",c\n", {{1, {"a,b", "c"}}});
  Check("\"say \"\"hi\"\"\",x\n", {{1, {"say \"hi\"", "x"}}});
  Check("\"\"\"\"\n", {{1, {"\""}}});
  Check("\"a\"\n", {{1, {"a"}}});
  Check("\"a\",\"b\"\r\n\"c\",\"d\"", {{1, {"a", "b"}}, {2, {"c", "d"}}});
}

BOOST_AUTO_TEST_CASE(embedded_line_breaks_keep_physical_line_numbers) {
  // The second record spans lines 2-4; the third starts on line 5.
  Check("h1,h2\n\"one\ntwo\nthree\",x\ny,z\n",
        {{1, {"h1", "h2"}}, {2, {"one\ntwo\nthree", "x"}}, {5, {"y", "z"}}});
  // CRLF inside quotes is data; the line count still advances.
  Check("\"a\r\nb\",c\r\nd,e\r\n", {{1, {"a\r\nb", "c"}}, {3, {"d", "e"}}});
}

BOOST_AUTO_TEST_CASE(blank_lines_are_skipped_but_counted) {
  Check("a\n\n\nb\r\n\r\nc\n", {{1, {"a"}}, {4, {"b"}}, {6, {"c"}}});
  Check("\n\na,b\n", {{3, {"a", "b"}}});
  Check("", {});
  Check("\n\r\n", {});
}

BOOST_AUTO_TEST_CASE(byte_order_mark) {
  Check("\xEF\xBB\xBF" "a,b\n1,2\n", {{1, {"a", "b"}}, {2, {"1", "2"}}});
  Check("\xEF\xBB\xBF", {});
  // Only a leading mark is removed.
  Check("a\n\xEF\xBB\xBF" "b\n", {{1, {"a"}}, {2, {"\xEF\xBB\xBF" "b"}}});
}

BOOST_AUTO_TEST_CASE(utf8_and_spaces_are_kept) {
  Check(" a , b \n\"é,ü\",日本\n", {{1, {" a ", " b "}}, {2, {"é,ü", "日本"}}});
}

BOOST_AUTO_TEST_CASE(long_fields_cross_many_chunks) {
  const std::string long_value(10000, 'x');
  Check("a,\"" + long_value + "\"\n" + long_value + ",b\n", {{1, {"a", long_value}}, {2, {long_value, "b"}}});
}

BOOST_AUTO_TEST_CASE(unterminated_quote_names_the_record_line) {
  for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{1} << 20}) {
    const std::string message = ErrorOf("a,b\n1,\"open\nstill open\n", chunk);
    BOOST_TEST(message ==
               "t.csv:2: field 'column 2' = 'open\\x0astill open\\x0a': unterminated quoted field: the file ends "
               "inside the quotes opened on line 2");
  }
}

BOOST_AUTO_TEST_CASE(quote_inside_unquoted_field) {
  BOOST_TEST(ErrorOf("a,b\n1,2\"3\n") ==
             "t.csv:2: field 'column 2' = '2': a quote inside an unquoted field (quote the whole field and double "
             "the quotes inside it)");
}

BOOST_AUTO_TEST_CASE(text_after_closing_quote) {
  BOOST_TEST(ErrorOf("\"ab\"c,d\n") == "t.csv:1: field 'column 1' = 'ab': unexpected text after a closing quote");
}

BOOST_AUTO_TEST_CASE(field_names_are_used_in_messages) {
  CsvReader reader = CsvReader::FromString("x,y\n1,\"2\n", "n.csv");
  BOOST_REQUIRE(reader.Next());
  reader.set_field_names({"x", "y"});
  BOOST_CHECK_EXCEPTION(reader.Next(), InputError, [](const InputError& e) {
    return e.where().line == 2 && e.where().field == "y" && e.where().value == "2\n";
  });
}

BOOST_AUTO_TEST_CASE(reads_files) {
  testing::ScratchDir dir;
  testing::WriteFile(dir / "f.csv", "a,b\n\"1\n2\",3\n");
  CsvReader reader(dir / "f.csv", "f.csv", CsvReaderOptions{4});
  BOOST_REQUIRE(reader.Next());
  BOOST_REQUIRE(reader.Next());
  BOOST_TEST(reader.line() == 2);
  BOOST_TEST(reader.field(0) == "1\n2");
  BOOST_TEST(reader.field(1) == "3");
  BOOST_TEST(!reader.Next());
  BOOST_CHECK_THROW(CsvReader(dir / "missing.csv", "missing.csv"), InputError);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace thinkplan::store
