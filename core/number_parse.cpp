#include "core/number_parse.h"

#include <charconv>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/text.h"

namespace thinkplan {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

constexpr long long kLargestExponent = 100000;

// The parts of a number as written: [sign] digits [. digits] [e [sign] digits] [tail].
struct Scanned {
  bool negative = false;
  std::string_view integer;   // digits before the point
  std::string_view fraction;  // digits after it
  long long exponent = 0;
  bool exponent_too_large = false;
  std::string_view numeric;  // the text up to the tail, for from_chars
  std::string_view tail;     // whatever follows the number: a suffix, an x, or garbage
};

// False when `text` does not start with a number.
bool Scan(std::string_view text, Scanned* s) {
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) s->negative = text[i++] == '-';
  const std::size_t integer_start = i;
  while (i < text.size() && IsDigit(text[i])) ++i;
  s->integer = text.substr(integer_start, i - integer_start);
  if (i < text.size() && text[i] == '.') {
    const std::size_t fraction_start = ++i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    s->fraction = text.substr(fraction_start, i - fraction_start);
  }
  if (s->integer.empty() && s->fraction.empty()) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    std::size_t j = i + 1;
    bool negative_exponent = false;
    if (j < text.size() && (text[j] == '+' || text[j] == '-')) negative_exponent = text[j++] == '-';
    const std::size_t digits_start = j;
    while (j < text.size() && IsDigit(text[j])) ++j;
    if (j > digits_start) {  // "2e" is a 2 followed by garbage, not an exponent
      const auto [end, ec] = std::from_chars(text.data() + digits_start, text.data() + j, s->exponent);
      (void)end;
      // Far beyond any double's exponent: kept out of the arithmetic below, where it could overflow.
      s->exponent_too_large = ec != std::errc() || s->exponent > kLargestExponent;
      if (negative_exponent) s->exponent = -s->exponent;
      i = j;
    }
  }
  s->numeric = text.substr(0, i);
  s->tail = text.substr(i);
  return true;
}

int SuffixPower(std::string_view tail) {
  if (tail == "k" || tail == "K") return 3;
  if (tail == "M") return 6;
  if (tail == "G") return 9;
  return 0;
}

// "30,000" and "1,234,567.5": digits grouped by threes, which a reader would take for thousands separators.
bool LooksGrouped(std::string_view text) {
  std::size_t i = (!text.empty() && (text[0] == '+' || text[0] == '-')) ? 1 : 0;
  std::size_t lead = 0;
  while (i < text.size() && IsDigit(text[i])) ++i, ++lead;
  if (lead < 1 || lead > 3) return false;
  bool grouped = false;
  while (i + 4 <= text.size() && text[i] == ',' && IsDigit(text[i + 1]) && IsDigit(text[i + 2]) && IsDigit(text[i + 3])) {
    i += 4;
    grouped = true;
  }
  return grouped && (i == text.size() || text[i] == '.' || (i + 1 == text.size() && SuffixPower(text.substr(i)) > 0));
}

std::string WithoutCommas(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != ',') out += c;
  }
  return out;
}

std::string FormatBound(double x) { return fmt::format("{}", x); }

std::string RangeText(const NumberRule& rule) {
  if (std::isinf(rule.max)) return "must be >= " + FormatBound(rule.min);
  if (std::isinf(rule.min)) return "must be <= " + FormatBound(rule.max);
  return "must be in [" + FormatBound(rule.min) + ", " + FormatBound(rule.max) + "]";
}

bool Refuse(std::string* why, std::string reason) {
  if (why) *why = std::move(reason);
  return false;
}

// The double nearest to the number as written with 10^power applied: 1.5k is read as 1.5e3, never as 1.5 * 1000.
// std::nullopt when it is beyond a double's range (or a nonzero number too small to be anything but 0).
std::optional<double> NearestDouble(const Scanned& s, int power) {
  const bool nonzero = s.numeric.find_first_of("123456789") < s.numeric.find_first_of("eE");
  if (s.exponent_too_large) {
    if (nonzero) return std::nullopt;
    return 0.0;
  }
  std::string canonical(s.numeric.substr(s.numeric.front() == '+' ? 1 : 0));
  if (power > 0) {
    const std::size_t e = canonical.find_first_of("eE");
    canonical = canonical.substr(0, e) + "e" + std::to_string(s.exponent + power);
  }
  double value = 0;
  const auto [end, ec] = std::from_chars(canonical.data(), canonical.data() + canonical.size(), value);
  if (ec != std::errc() || end != canonical.data() + canonical.size() || !std::isfinite(value)) return std::nullopt;
  if (value == 0 && nonzero) return std::nullopt;
  return value == 0 ? 0.0 : value;  // -0 reads as 0
}

// Why `text` (which is not a number under `rule`) was refused, in the words most likely to help.
std::string Diagnose(std::string_view text, const NumberRule& rule, const Scanned* scanned) {
  if (text.empty()) return "empty; give a number";
  if (text.find(',') != std::string_view::npos) {
    if (LooksGrouped(text)) {
      const std::string plain = WithoutCommas(text);
      std::string hint = "write " + plain;
      // 30,000 -> "or 30k" where suffixes apply and the number is whole thousands.
      if (rule.suffixes && plain.find_first_not_of("+-0123456789") == std::string::npos && plain.ends_with("000")) {
        hint += " or " + plain.substr(0, plain.size() - 3) + "k";
      }
      return "thousands separators are not accepted; " + hint;
    }
    return "commas are not accepted: write the decimal point as '.' and no thousands separators";
  }
  const std::string lower = Lower(text.substr(!text.empty() && (text[0] == '+' || text[0] == '-') ? 1 : 0));
  if (lower.starts_with("nan") || lower.starts_with("inf")) return "not a finite number";
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  if (blank(text.front()) || blank(text.back())) return "not a number (remove the blanks)";
  if (scanned == nullptr) return "not a number";
  const std::string_view tail = scanned->tail;
  if ((tail == "x" || tail == "X") && !rule.multiplier) {
    return "a multiplier like " + std::string(text) +
           " applies only to what-if changes (thinkplan whatif --set KEY=2x); give the value itself";
  }
  if (const int power = SuffixPower(tail); power > 0 && !rule.suffixes) {
    const std::optional<double> value = NearestDouble(*scanned, power);
    return "suffixes k, M and G are for amounts (budget, volume, tokens, queries, samples), not for this option" +
           (value ? fmt::format("; write {}", *value) : std::string());
  }
  if (tail == "m" && rule.suffixes) return "suffix 'm' is ambiguous; write M for millions";
  if (tail.size() == 2 && SuffixPower(tail.substr(0, 1)) > 0 && (tail[1] == 'x' || tail[1] == 'X')) {
    return "a suffix and a multiplier together are not accepted";
  }
  if (!tail.empty() && blank(tail.front())) return "not a number (remove the blanks)";
  return "not a number (unexpected '" + std::string(tail) + "' after " + std::string(scanned->numeric) + ")";
}

// The exact value of a whole number written as digits x 10^exponent; false with *why when it is not whole or
// exceeds 2^64 - 1 in magnitude.
bool ExactWhole(const Scanned& s, int power, std::uint64_t* magnitude, std::string* why) {
  std::string digits = std::string(s.integer) + std::string(s.fraction);
  const std::size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) {
    *magnitude = 0;
    return true;
  }
  digits.erase(0, first);
  if (s.exponent_too_large) return Refuse(why, s.exponent < 0 ? "must be a whole number" : "out of range");
  long long exponent = s.exponent - static_cast<long long>(s.fraction.size()) + power;
  while (digits.size() > 1 && digits.back() == '0') {
    digits.pop_back();
    ++exponent;
  }
  if (exponent < 0) return Refuse(why, "must be a whole number");
  if (static_cast<long long>(digits.size()) + exponent > 20) return Refuse(why, "out of range");
  std::uint64_t value = 0;
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  const auto push = [&](unsigned digit) {
    if (value > (kMax - digit) / 10) return false;
    value = value * 10 + digit;
    return true;
  };
  for (char c : digits) {
    if (!push(static_cast<unsigned>(c - '0'))) return Refuse(why, "out of range");
  }
  for (long long i = 0; i < exponent; ++i) {
    if (!push(0)) return Refuse(why, "out of range");
  }
  *magnitude = value;
  return true;
}

// Shared by the three option readers: scan, then either the exact whole number or the double.
struct Reading {
  ParsedNumber number;
  bool negative = false;
  std::uint64_t magnitude = 0;  // when whole
};

bool Read(std::string_view text, const NumberRule& rule, Reading* out, std::string* why) {
  Scanned s;
  if (text.find(',') != std::string_view::npos || !Scan(text, &s)) return Refuse(why, Diagnose(text, rule, nullptr));
  int power = 0;
  bool relative = false;
  if (!s.tail.empty()) {
    if (rule.suffixes && SuffixPower(s.tail) > 0) {
      power = SuffixPower(s.tail);
    } else if (rule.multiplier && (s.tail == "x" || s.tail == "X")) {
      relative = true;
    } else {
      return Refuse(why, Diagnose(text, rule, &s));
    }
  }
  const std::optional<double> nearest = NearestDouble(s, power);
  if (!nearest) return Refuse(why, "out of range");
  const double value = *nearest;
  if (rule.whole) {
    if (!ExactWhole(s, power, &out->magnitude, why)) return false;
    out->negative = s.negative && out->magnitude != 0;
  }
  if (!(value >= rule.min && value <= rule.max)) return Refuse(why, RangeText(rule));
  out->number = {value, relative};
  return true;
}

[[noreturn]] void ThrowUsage(std::string_view option, std::string_view text, const std::string& why) {
  throw UsageError(fmt::format("{} '{}': {}", option, text, why));
}

}  // namespace

std::optional<ParsedNumber> TryParseNumber(std::string_view text, const NumberRule& rule, std::string* why) {
  Reading reading;
  if (!Read(text, rule, &reading, why)) return std::nullopt;
  return reading.number;
}

double ParseNumberOption(std::string_view option, std::string_view text, const NumberRule& rule) {
  NumberRule absolute = rule;
  absolute.multiplier = false;  // an option's value is what it says; only what-if values are relative
  Reading reading;
  std::string why;
  if (!Read(text, absolute, &reading, &why)) ThrowUsage(option, text, why);
  return reading.number.value;
}

std::int64_t ParseIntegerOption(std::string_view option, std::string_view text, const NumberRule& rule) {
  NumberRule whole = rule;
  whole.whole = true;
  whole.multiplier = false;
  Reading reading;
  std::string why;
  if (!Read(text, whole, &reading, &why)) ThrowUsage(option, text, why);
  constexpr std::uint64_t kLargest = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (reading.magnitude > kLargest + (reading.negative ? 1 : 0)) ThrowUsage(option, text, "out of range");
  // -(2^63) has no positive twin; it is built from its magnitude minus one to stay in range.
  return reading.negative ? -static_cast<std::int64_t>(reading.magnitude - 1) - 1
                          : static_cast<std::int64_t>(reading.magnitude);
}

std::uint64_t ParseUnsignedOption(std::string_view option, std::string_view text, const NumberRule& rule) {
  NumberRule whole = rule;
  whole.whole = true;
  whole.multiplier = false;
  if (whole.min < 0) whole.min = 0;
  Reading reading;
  std::string why;
  if (!Read(text, whole, &reading, &why)) ThrowUsage(option, text, why);
  return reading.magnitude;
}

}  // namespace thinkplan
