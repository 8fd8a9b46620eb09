// Money and percentages as every command and report prints them (core/number_format.h), against strings written
// out by hand: one amount, one spelling, wherever it appears.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>

#include "core/number_format.h"

using namespace thinkplan;

BOOST_AUTO_TEST_SUITE(number_format)

BOOST_AUTO_TEST_CASE(money_has_three_significant_figures_and_a_unit) {
  BOOST_TEST(Usd(120000) == "$120k");
  BOOST_TEST(Usd(120049) == "$120k");
  BOOST_TEST(Usd(3182.4) == "$3.18k");
  BOOST_TEST(Usd(2.07e6) == "$2.07M");
  BOOST_TEST(Usd(1.25e6) == "$1.25M");
  BOOST_TEST(Usd(2.5e9) == "$2.5B");
  BOOST_TEST(Usd(813.43) == "$813");
  BOOST_TEST(Usd(100) == "$100");
  BOOST_TEST(Usd(5.35) == "$5.35");
  BOOST_TEST(Usd(1) == "$1.00");
  BOOST_TEST(Usd(0.0056567) == "$0.0057");
  BOOST_TEST(Usd(0.5) == "$0.50");
  BOOST_TEST(Usd(0.000012) == "$1.2e-05");
  BOOST_TEST(Usd(0) == "$0");
  BOOST_TEST(Usd(-4500) == "-$4.5k");
}

BOOST_AUTO_TEST_CASE(money_picks_its_unit_after_rounding) {
  // 999,700 rounds to 1.00M at three figures; 999.7 to 1.00k; 99.996 to 100.
  BOOST_TEST(Usd(999700) == "$1M");
  BOOST_TEST(Usd(999400) == "$999k");
  BOOST_TEST(Usd(999.7) == "$1k");
  BOOST_TEST(Usd(999.4) == "$999");
  BOOST_TEST(Usd(99.996) == "$100");
  BOOST_TEST(Usd(999.7e6) == "$1B");
  BOOST_TEST(Usd(1.5e12) == "$1500B");
}

BOOST_AUTO_TEST_CASE(money_that_is_not_a_number_says_so) {
  BOOST_TEST(Usd(std::numeric_limits<double>::quiet_NaN()) == "n/a");
  BOOST_TEST(Usd(std::numeric_limits<double>::infinity()) == "n/a");
  BOOST_TEST(UsdPerMonth(3182.4) == "$3.18k/month");
}

BOOST_AUTO_TEST_CASE(percentages_carry_their_sign_and_chosen_decimals) {
  BOOST_TEST(Percent(0.6088451) == "60.9%");
  BOOST_TEST(Percent(0.6088451, 2) == "60.88%");
  BOOST_TEST(Percent(0.25, 0) == "25%");
  BOOST_TEST(Percent(std::nan("")) == "n/a");
  BOOST_TEST(PercentInterval(0.58731, 0.62812) == "[58.7, 62.8]%");
  BOOST_TEST(PercentWithInterval(0.6088451, 0.58731, 0.62812) == "60.9% [58.7, 62.8]");
}

BOOST_AUTO_TEST_CASE(table_numbers_are_compact_and_fixed) {
  BOOST_TEST(FormatFixed(0.73149, 3) == "0.731");
  BOOST_TEST(FormatFixed(std::nan(""), 2).empty());
  BOOST_TEST(FormatCount(12345) == "12345");
  BOOST_TEST(FormatCount(123456) == "123k");
  BOOST_TEST(FormatCount(1.5e6) == "1.5M");
  BOOST_TEST(FormatCount(2.5e9) == "2.5G");
  BOOST_TEST(FormatCount(12.5) == "12.5");
}

BOOST_AUTO_TEST_SUITE_END()
