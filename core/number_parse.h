// The one reading of numbers typed by users: every numeric command-line option of every subcommand and the value
// of `whatif --set KEY=VALUE` go through it, so that the same text means the same number everywhere, or is refused
// everywhere with the same message.
//
// Accepted:
//   plain decimal and scientific numbers       42  -3  0.5  .5  2e5  1.5E-3  +7
//   with NumberRule::suffixes, a k, M or G      30k = 30000, 2.5M = 2500000, 1G = 1e9 (K is read as k too).
//     Suffixes belong to amounts, where they are natural: budgets, volumes, token counts, query and sample caps.
//   with NumberRule::multiplier, a trailing x   2x, 0.5x: a relative change; only what-if values take one.
// Refused, with a message naming the option and the text as typed (nothing is ever truncated or rounded to fit):
//   empty text and blanks; thousands separators ("30,000": write 30000, or 30k where suffixes apply); a multiplier
//   on an absolute option ("1.5x"); a suffix on an option that takes none ("2k" days); any other trailing text
//   ("2y", "30 k"); hexadecimal; nan and inf; numbers beyond a double's range; values outside the option's range;
//   and, for whole-number options, fractions ("1.5" threads) and anything a 64-bit integer cannot hold.
// Whole numbers are read exactly from the digits (a seed of 18446744073709551615 stays itself), so "1.5k" is the
// whole number 1500 and "2.5e3" is 2500.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace thinkplan {

struct NumberRule {
  bool suffixes = false;    // accept k/K, M, G (x 1e3, 1e6, 1e9)
  bool multiplier = false;  // accept a trailing x or X: a relative change (whatif --set)
  bool whole = false;       // refuse fractions
  // Inclusive range of the value (the multiplier itself, for a relative change).
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
};

// Ready-made rules for the kinds of option the commands have.
namespace number_rules {
// A non-negative amount where k/M/G read naturally: a budget, a volume, a token count, a cap on queries.
constexpr NumberRule kAmount{.suffixes = true, .min = 0};
// A non-negative measure without suffixes: days, seconds, prices per hour.
constexpr NumberRule kNonNegative{.min = 0};
// A fraction in [0, 1]: an accuracy target, a utilisation.
constexpr NumberRule kFraction{.min = 0, .max = 1};
// A stored row's id: 1, 2, ...
constexpr NumberRule kId{.whole = true, .min = 1};
// A whole count that may be zero (0 often means "all" or "automatic").
constexpr NumberRule kCount{.whole = true, .min = 0};
// A whole count of at least one: threads, devices.
constexpr NumberRule kPositiveCount{.whole = true, .min = 1};
}  // namespace number_rules

struct ParsedNumber {
  double value = 0;
  bool relative = false;  // the text ended in x: `value` multiplies what is there
};

// Reads `text` under `rule`. On refusal returns std::nullopt and sets *why to the reason, without the option's
// name or the text (the caller adds those): "thousands separators are not accepted; write 30000 or 30k".
std::optional<ParsedNumber> TryParseNumber(std::string_view text, const NumberRule& rule, std::string* why);

// The same for a command-line option; a refusal is a UsageError "--budget '30,000': thousands separators ...".
// `option` is the name as the user typed it, with its dashes ("--budget").
double ParseNumberOption(std::string_view option, std::string_view text, const NumberRule& rule);

// Whole numbers, read exactly; rule.whole is implied. Refused beyond the type's range.
std::int64_t ParseIntegerOption(std::string_view option, std::string_view text, const NumberRule& rule);
std::uint64_t ParseUnsignedOption(std::string_view option, std::string_view text, const NumberRule& rule);

// One paragraph for --help texts: how numbers are written.
inline constexpr std::string_view kNumberHelp =
    "Numbers: 30000, 3e4 or, for amounts (budget, volume, tokens, queries, samples), 30k; k, M and G mean\n"
    "thousand, million and billion. No thousands separators (30,000 is refused). A multiplier like 2x only in\n"
    "`whatif --set`.\n";

}  // namespace thinkplan
