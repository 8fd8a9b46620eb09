// Numbers as a planner reads them: units always, precision that matches what the figure can support
// (accuracy to 0.1 point, money to three significant figures, tokens in k/M). Plain text, not yet escaped.
// Money and percentages are core's (core/number_format.h), the same as every command prints.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "core/number_format.h"

namespace thinkplan::reports {

std::string Tokens(double tokens);                           // "12.0k tokens", "512 tokens"
std::string Seconds(double seconds);                         // "0.84 s", "26.4 s", "3.7 min"
std::string Number(double value, int significant = 3);       // "43.8", "5.06e+28", "1,234"
std::string Gib(double gib);                                 // "14.1 GiB"
std::string Count(double count);                             // 1319 -> "1,319" (rounded to a whole number)

// Reads a number that may be absent or null in stored JSON.
std::optional<double> NumberAt(const nlohmann::json& object, const char* key);
// "[low, high]" arrays and {"low":..,"high":..} objects both appear in stored documents.
std::optional<std::pair<double, double>> IntervalAt(const nlohmann::json& object, const char* key);
std::string StringAt(const nlohmann::json& object, const char* key, const std::string& fallback = "");

}  // namespace thinkplan::reports
