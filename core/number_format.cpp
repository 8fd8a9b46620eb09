#include "core/number_format.h"

#include <cmath>

#include <fmt/format.h>

namespace thinkplan {
namespace {

// `magnitude` (> 0) with `significant` significant figures, in fixed notation down to 1e-4 and scientific below.
std::string Significant(double magnitude, int significant) {
  if (magnitude < 1e-4) return fmt::format("{:.{}e}", magnitude, significant - 1);
  const int digits = std::max(0, significant - 1 - static_cast<int>(std::floor(std::log10(magnitude))));
  return fmt::format("{:.{}f}", magnitude, digits);
}

}  // namespace

std::string Usd(double usd) {
  if (!std::isfinite(usd)) return "n/a";
  if (usd == 0) return "$0";
  const std::string sign = usd < 0 ? "-" : "";
  const double magnitude = std::abs(usd);
  // Each unit from the amount that rounds to 1.00 of it (three significant figures: 0.9995).
  if (magnitude >= 999.5e6) {
    const double billions = magnitude / 1e9;
    return sign + (billions >= 999.5 ? fmt::format("${:.0f}B", billions) : fmt::format("${:.3g}B", billions));
  }
  if (magnitude >= 999.5e3) return sign + fmt::format("${:.3g}M", magnitude / 1e6);
  if (magnitude >= 999.5) return sign + fmt::format("${:.3g}k", magnitude / 1e3);
  if (magnitude >= 99.995) return sign + fmt::format("${:.0f}", magnitude);
  if (magnitude >= 0.99995) return sign + fmt::format("${:.2f}", magnitude);
  return sign + "$" + Significant(magnitude, 2);
}

std::string UsdPerMonth(double usd) { return Usd(usd) + "/month"; }

std::string Percent(double fraction, int digits) {
  if (!std::isfinite(fraction)) return "n/a";
  return fmt::format("{:.{}f}%", 100 * fraction, digits);
}

std::string PercentInterval(double low, double high) {
  if (!std::isfinite(low) || !std::isfinite(high)) return "n/a";
  return fmt::format("[{:.1f}, {:.1f}]%", 100 * low, 100 * high);
}

std::string PercentWithInterval(double value, double low, double high) {
  if (!std::isfinite(low) || !std::isfinite(high)) return Percent(value);
  return fmt::format("{} [{:.1f}, {:.1f}]", Percent(value), 100 * low, 100 * high);
}

std::string FormatFixed(double value, int digits) {
  if (std::isnan(value)) return "";
  return fmt::format("{:.{}f}", value, digits);
}

std::string FormatCount(double value) {
  if (std::isnan(value)) return "";
  const double magnitude = std::fabs(value);
  if (magnitude >= 1e9) return fmt::format("{:.3g}G", value / 1e9);
  if (magnitude >= 1e6) return fmt::format("{:.3g}M", value / 1e6);
  if (magnitude >= 1e5) return fmt::format("{:.0f}k", value / 1e3);
  if (magnitude == std::floor(magnitude)) return fmt::format("{:.0f}", value);
  return fmt::format("{:.4g}", value);
}

}  // namespace thinkplan
