// The one number parser of the command line (core/number_parse.h): every accepted form against the value written
// out by hand, and every refused form against the reason the user is told. Whole numbers are checked exactly,
// including the ends of the 64-bit ranges, written out digit by digit.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "core/errors.h"
#include "core/number_parse.h"

using namespace thinkplan;

namespace {

constexpr NumberRule kPlain{};
constexpr NumberRule kAmount = number_rules::kAmount;
constexpr NumberRule kWhatIf{.suffixes = true, .multiplier = true, .min = 0};

double Value(std::string_view text, const NumberRule& rule) {
  std::string why;
  const auto parsed = TryParseNumber(text, rule, &why);
  BOOST_REQUIRE_MESSAGE(parsed.has_value(), std::string(text) + " refused: " + why);
  return parsed->value;
}

// The reason `text` is refused under `rule`; fails the test when it is accepted.
std::string Why(std::string_view text, const NumberRule& rule) {
  std::string why;
  const auto parsed = TryParseNumber(text, rule, &why);
  BOOST_TEST(!parsed.has_value(), "accepted '" << text << "' as " << (parsed ? parsed->value : 0.0));
  return why;
}

// The message of the UsageError `f` throws; fails the test when it throws none.
template <typename F>
std::string UsageMessage(F f) {
  try {
    f();
  } catch (const UsageError& e) {
    BOOST_TEST(static_cast<int>(e.code()) == 1);
    return e.what();
  }
  BOOST_ERROR("no UsageError");
  return "";
}

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(number_parse)

BOOST_AUTO_TEST_CASE(plain_decimal_and_scientific_numbers_are_read_as_written) {
  const std::vector<std::pair<std::string, double>> cases = {
      {"42", 42.0},       {"-3", -3.0},     {"+7", 7.0},          {"0.5", 0.5},     {".5", 0.5},
      {"5.", 5.0},        {"2e5", 200000.0}, {"1.5E-3", 0.0015},  {"2e+2", 200.0},  {"0", 0.0},
      {"007", 7.0},       {"1e308", 1e308}, {"123456.789", 123456.789}};
  for (const auto& [text, expected] : cases) BOOST_TEST(Value(text, kPlain) == expected, text);
}

BOOST_AUTO_TEST_CASE(minus_zero_reads_as_zero) {
  const double zero = Value("-0", kPlain);
  BOOST_TEST(zero == 0.0);
  BOOST_TEST(!std::signbit(zero));
}

BOOST_AUTO_TEST_CASE(suffixes_scale_amounts_by_powers_of_a_thousand) {
  BOOST_TEST(Value("30k", kAmount) == 30000.0);
  BOOST_TEST(Value("30K", kAmount) == 30000.0);
  BOOST_TEST(Value("2.5M", kAmount) == 2500000.0);
  BOOST_TEST(Value("1G", kAmount) == 1e9);
  BOOST_TEST(Value("1.5e2k", kAmount) == 150000.0);
  // 0.1k is the double nearest to 100, not 0.1 * 1000 rounded twice.
  BOOST_TEST(Value("0.1k", kAmount) == 100.0);
  BOOST_TEST(Value("0.3k", kAmount) == 300.0);
}

BOOST_AUTO_TEST_CASE(a_trailing_x_is_a_relative_change_where_the_rule_allows_it) {
  std::string why;
  const auto twice = TryParseNumber("2x", kWhatIf, &why);
  BOOST_REQUIRE(twice.has_value());
  BOOST_TEST(twice->value == 2.0);
  BOOST_TEST(twice->relative);
  const auto half = TryParseNumber("0.5X", kWhatIf, &why);
  BOOST_REQUIRE(half.has_value());
  BOOST_TEST(half->value == 0.5);
  BOOST_TEST(half->relative);
  const auto absolute = TryParseNumber("50k", kWhatIf, &why);
  BOOST_REQUIRE(absolute.has_value());
  BOOST_TEST(absolute->value == 50000.0);
  BOOST_TEST(!absolute->relative);
}

BOOST_AUTO_TEST_CASE(thousands_separators_are_refused_with_the_plain_spelling) {
  BOOST_TEST(Why("30,000", kAmount) == "thousands separators are not accepted; write 30000 or 30k");
  BOOST_TEST(Why("30,000", kPlain) == "thousands separators are not accepted; write 30000");
  BOOST_TEST(Why("1,234,567.5", kPlain) == "thousands separators are not accepted; write 1234567.5");
  BOOST_TEST(Contains(Why("1,5", kPlain), "write the decimal point as '.'"));
  BOOST_TEST(Contains(Why("30,00", kPlain), "commas are not accepted"));
}

BOOST_AUTO_TEST_CASE(a_multiplier_on_an_absolute_value_is_refused) {
  const std::string why = Why("1.5x", kAmount);
  BOOST_TEST(Contains(why, "a multiplier like 1.5x applies only to what-if changes"), why);
  BOOST_TEST(Contains(Why("2X", kPlain), "a multiplier like 2X"));
}

BOOST_AUTO_TEST_CASE(suffixes_are_refused_where_they_do_not_apply_with_the_number_in_full) {
  BOOST_TEST(Why("2k", kPlain) ==
             "suffixes k, M and G are for amounts (budget, volume, tokens, queries, samples), not for this option; "
             "write 2000");
  BOOST_TEST(Contains(Why("1.5M", number_rules::kNonNegative), "write 1500000"));
  BOOST_TEST(Why("3m", kAmount) == "suffix 'm' is ambiguous; write M for millions");
  BOOST_TEST(Why("2kx", kWhatIf) == "a suffix and a multiplier together are not accepted");
}

BOOST_AUTO_TEST_CASE(empty_blank_and_trailing_text_are_refused) {
  BOOST_TEST(Why("", kPlain) == "empty; give a number");
  BOOST_TEST(Why(" 30", kPlain) == "not a number (remove the blanks)");
  BOOST_TEST(Why("30 ", kPlain) == "not a number (remove the blanks)");
  BOOST_TEST(Why("30 k", kAmount) == "not a number (remove the blanks)");
  BOOST_TEST(Why("2y", kPlain) == "not a number (unexpected 'y' after 2)");
  BOOST_TEST(Why("12abc", kPlain) == "not a number (unexpected 'abc' after 12)");
  BOOST_TEST(Why("2e", kPlain) == "not a number (unexpected 'e' after 2)");
  BOOST_TEST(Why("1.2.3", kPlain) == "not a number (unexpected '.3' after 1.2)");
  BOOST_TEST(Why("lots", kPlain) == "not a number");
  BOOST_TEST(Why("-", kPlain) == "not a number");
  BOOST_TEST(Why(".", kPlain) == "not a number");
  BOOST_TEST(Why("--5", kPlain) == "not a number");
  BOOST_TEST(Why("0x10", kPlain) == "not a number (unexpected 'x10' after 0)");
  BOOST_TEST(Why("30_000", kPlain) == "not a number (unexpected '_000' after 30)");
}

BOOST_AUTO_TEST_CASE(nan_infinity_and_overflow_are_refused) {
  for (const char* text : {"nan", "NaN", "-nan", "inf", "-inf", "Infinity", "INF"}) {
    BOOST_TEST(Why(text, kPlain) == "not a finite number", text);
  }
  BOOST_TEST(Why("1e309", kPlain) == "out of range");
  BOOST_TEST(Why("-1e309", kPlain) == "out of range");
  BOOST_TEST(Why("1e400k", kAmount) == "out of range");
  BOOST_TEST(Why("1e99999999999999999999", kPlain) == "out of range");
  // A nonzero number too small for a double would silently become 0.
  BOOST_TEST(Why("1e-400", kPlain) == "out of range");
  BOOST_TEST(Value("0e99999999999999999999", kPlain) == 0.0);
}

BOOST_AUTO_TEST_CASE(values_outside_the_rule_range_are_refused_naming_the_range) {
  BOOST_TEST(Why("-5", kAmount) == "must be >= 0");
  BOOST_TEST(Why("1.01", number_rules::kFraction) == "must be in [0, 1]");
  BOOST_TEST(Why("-0.01", number_rules::kFraction) == "must be in [0, 1]");
  BOOST_TEST(Value("1", number_rules::kFraction) == 1.0);
  BOOST_TEST(Why("5", NumberRule{.max = 4}) == "must be <= 4");
  BOOST_TEST(Why("0", number_rules::kId) == "must be >= 1");
}

BOOST_AUTO_TEST_CASE(whole_numbers_refuse_fractions_and_accept_exact_spellings) {
  BOOST_TEST(Why("1.5", number_rules::kCount) == "must be a whole number");
  BOOST_TEST(Why("1e-1", number_rules::kCount) == "must be a whole number");
  BOOST_TEST(Why("1.50", number_rules::kCount) == "must be a whole number");
  BOOST_TEST(Value("1.0", number_rules::kCount) == 1.0);
  BOOST_TEST(Value("2.5e3", number_rules::kCount) == 2500.0);
  BOOST_TEST(Value("1.5k", NumberRule{.suffixes = true, .whole = true}) == 1500.0);
}

BOOST_AUTO_TEST_CASE(option_readers_name_the_option_and_the_text_in_a_usage_error) {
  BOOST_TEST(ParseNumberOption("--budget", "30k", kAmount) == 30000.0);
  BOOST_TEST(UsageMessage([] { ParseNumberOption("--budget", "30,000", kAmount); }) ==
             "--budget '30,000': thousands separators are not accepted; write 30000 or 30k");
  BOOST_TEST(Contains(UsageMessage([] { ParseNumberOption("--days", "2x", number_rules::kNonNegative); }),
                      "--days '2x': a multiplier like 2x applies only to what-if changes"));
  // An option never takes a multiplier, whatever the rule handed in says.
  BOOST_TEST(Contains(UsageMessage([] { ParseNumberOption("--budget", "2x", kWhatIf); }), "--budget '2x': a multiplier"));
  BOOST_TEST(UsageMessage([] { ParseIntegerOption("--threads", "1.5", number_rules::kPositiveCount); }) ==
             "--threads '1.5': must be a whole number");
  BOOST_TEST(UsageMessage([] { ParseIntegerOption("--plan", "", number_rules::kId); }) == "--plan '': empty; give a number");
}

BOOST_AUTO_TEST_CASE(signed_whole_numbers_cover_exactly_the_64_bit_range) {
  constexpr NumberRule kAny{.whole = true};
  BOOST_TEST(ParseIntegerOption("--n", "9223372036854775807", kAny) == std::numeric_limits<std::int64_t>::max());
  BOOST_TEST(ParseIntegerOption("--n", "-9223372036854775808", kAny) == std::numeric_limits<std::int64_t>::min());
  BOOST_TEST(UsageMessage([] { ParseIntegerOption("--n", "9223372036854775808", NumberRule{.whole = true}); }) ==
             "--n '9223372036854775808': out of range");
  BOOST_TEST(ParseIntegerOption("--n", "9007199254740993", kAny) == 9007199254740993);  // 2^53 + 1: not a double
  BOOST_TEST(ParseIntegerOption("--n", "-12", kAny) == -12);
  BOOST_TEST(ParseIntegerOption("--n", "3e7", kAny) == 30000000);
  BOOST_TEST(ParseIntegerOption("--limit", "0", number_rules::kCount) == 0);
}

BOOST_AUTO_TEST_CASE(unsigned_whole_numbers_reach_two_to_the_64_minus_one) {
  BOOST_TEST(ParseUnsignedOption("--seed", "18446744073709551615", number_rules::kCount) ==
             std::numeric_limits<std::uint64_t>::max());
  BOOST_TEST(ParseUnsignedOption("--seed", "42", number_rules::kCount) == 42u);
  BOOST_TEST(UsageMessage([] { ParseUnsignedOption("--seed", "18446744073709551616", number_rules::kCount); }) ==
             "--seed '18446744073709551616': out of range");
  BOOST_TEST(UsageMessage([] { ParseUnsignedOption("--seed", "1e20", number_rules::kCount); }) ==
             "--seed '1e20': out of range");
  BOOST_TEST(UsageMessage([] { ParseUnsignedOption("--seed", "-1", NumberRule{.whole = true}); }) ==
             "--seed '-1': must be >= 0");
}

BOOST_AUTO_TEST_SUITE_END()
