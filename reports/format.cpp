#include "reports/format.h"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace thinkplan::reports {

namespace {

// "1234567" -> "1,234,567": fmt's locale-aware grouping depends on the process locale, this does not.
std::string GroupThousands(long long value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<std::size_t>(i), ",");
  return value < 0 ? "-" + digits : digits;
}

}  // namespace

std::string Number(double value, int significant) {
  if (!std::isfinite(value)) return "n/a";
  const double magnitude = std::abs(value);
  if (magnitude == 0) return "0";
  if (magnitude >= 1e7 || magnitude < 1e-4) return fmt::format("{:.{}e}", value, significant - 1);
  if (magnitude >= 1000) return GroupThousands(std::llround(value));
  const int digits = std::max(0, significant - 1 - static_cast<int>(std::floor(std::log10(magnitude))));
  return fmt::format("{:.{}f}", value, digits);
}

std::string Tokens(double tokens) {
  if (!std::isfinite(tokens)) return "unbounded";
  if (tokens >= 1e6) return fmt::format("{:.3g}M tokens", tokens / 1e6);
  if (tokens >= 1e4) return fmt::format("{:.0f}k tokens", tokens / 1e3);
  if (tokens >= 1e3) return fmt::format("{:.1f}k tokens", tokens / 1e3);
  return fmt::format("{:.0f} tokens", tokens);
}

std::string Seconds(double seconds) {
  if (!std::isfinite(seconds)) return "n/a";
  if (seconds >= 120) return fmt::format("{:.1f} min", seconds / 60);
  if (seconds >= 10) return fmt::format("{:.1f} s", seconds);
  return fmt::format("{:.2f} s", seconds);
}

std::string Count(double count) {
  if (!std::isfinite(count)) return "n/a";
  return GroupThousands(std::llround(count));
}

std::string Gib(double gib) { return fmt::format("{:.1f} GiB", gib); }

std::optional<double> NumberAt(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return std::nullopt;
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::optional<std::pair<double, double>> IntervalAt(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return std::nullopt;
  const auto it = object.find(key);
  if (it == object.end()) return std::nullopt;
  if (it->is_array() && it->size() == 2 && (*it)[0].is_number() && (*it)[1].is_number()) {
    return std::pair{(*it)[0].get<double>(), (*it)[1].get<double>()};
  }
  const auto low = NumberAt(*it, "low");
  const auto high = NumberAt(*it, "high");
  if (low && high) return std::pair{*low, *high};
  return std::nullopt;
}

std::string StringAt(const nlohmann::json& object, const char* key, const std::string& fallback) {
  if (!object.is_object()) return fallback;
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return fallback;
  return it->get<std::string>();
}

}  // namespace thinkplan::reports
