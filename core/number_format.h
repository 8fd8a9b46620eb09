// Numbers as every output shows them, so that one amount prints the same in `plan`, `simulate`, `whatif`, `plans`
// and the reports: money to three significant figures with k/M/B, fractions as percentages with units always.
// Plain text, not escaped for HTML or Markdown.
#pragma once

#include <string>

namespace thinkplan {

// US dollars: "$120k", "$3.18k", "$1.25M", "$2.5B", "$813", "$5.35", "$0.0057", "$0"; "n/a" when not finite.
// Three significant figures from $100 up (cents below), two below $1; a unit is chosen after rounding, so
// 999,999 is "$1M", never "$1e+03k".
std::string Usd(double usd);
std::string UsdPerMonth(double usd);  // "$120k/month"

// A fraction as a percentage with `digits` decimals: 0.6088 -> "60.9%"; "n/a" when not finite.
std::string Percent(double fraction, int digits = 1);
// "[58.7, 62.8]%"; "n/a" when an end is not finite.
std::string PercentInterval(double low, double high);
// A value with its interval, for table cells: "60.9% [58.7, 62.8]".
std::string PercentWithInterval(double value, double low, double high);

// Fixed-point text with `digits` decimals ("0.731"); empty for NaN.
std::string FormatFixed(double value, int digits);
// Compact counts for tables: 12,345 -> "12345", 123,456 -> "123k", 1.5e6 -> "1.5M"; empty for NaN.
std::string FormatCount(double value);

}  // namespace thinkplan
