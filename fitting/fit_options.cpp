#include "fitting/fit_options.h"

#include <fmt/format.h>

namespace thinkplan::fitting {

bool Options::IsValid(std::string* error) const {
  const auto fail = [error](const std::string& message) {
    if (error != nullptr) *error = message;
    return false;
  };
  if (!(confidence_level > 0.0 && confidence_level < 1.0)) return fail("confidence_level must be in (0, 1)");
  if (min_distinct_x_for_sigmoid < 4) return fail("min_distinct_x_for_sigmoid must be >= 4 (the sigmoid's parameters)");
  if (max_iterations < 1) return fail("max_iterations must be >= 1");
  if (!(function_tolerance > 0.0) || !(gradient_tolerance > 0.0) || !(parameter_tolerance > 0.0)) {
    return fail("tolerances must be positive");
  }
  if (!(fallback_token_sigma > 0.0)) return fail("fallback_token_sigma must be positive");
  if (!(beta_min > 0.0) || !(beta_max > beta_min)) return fail("need 0 < beta_min < beta_max");
  return true;
}

std::string FormatEstimate(const Estimate& e) {
  if (e.interval.lower == e.value && e.interval.upper == e.value) return fmt::format("{}={:.4g}", e.name, e.value);
  return fmt::format("{}={:.4g} [{:.4g}, {:.4g}]", e.name, e.value, e.interval.lower, e.interval.upper);
}

std::string Summary::BriefReport() const {
  std::string line = fmt::format("{} {}{}{} n={}", kind, form, label.empty() ? "" : " ", label, quality.n_points);
  for (const Estimate& e : parameters) line += " " + FormatEstimate(e);
  for (const Estimate& e : derived) line += " " + FormatEstimate(e);
  line += fmt::format(" status={}", ToString(quality.status));
  if (!quality.reason.empty()) line += " (" + quality.reason + ")";
  return line;
}

std::string Summary::FullReport() const {
  std::string out = fmt::format("{} fit, form {}{}{}\n", kind, form, label.empty() ? "" : ", ", label);
  out += fmt::format("  status: {}{}\n", ToString(quality.status), quality.reason.empty() ? "" : " - " + quality.reason);
  out += fmt::format("  observations: {}   iterations: {}   time: {:.3g} ms\n", quality.n_points, quality.iterations,
                     seconds * 1e3);
  out += fmt::format("  log-likelihood: {:.6g}   deviance: {:.6g}   AIC: {:.6g}\n", quality.log_likelihood,
                     quality.deviance, quality.aic);
  out += fmt::format("  parameters ({:.0f}% intervals):\n", 100.0 * confidence_level);
  for (const Estimate& e : parameters) out += "    " + FormatEstimate(e) + "\n";
  if (!derived.empty()) out += "  derived:\n";
  for (const Estimate& e : derived) out += "    " + FormatEstimate(e) + "\n";
  for (const std::string& note : notes) out += "  note: " + note + "\n";
  return out;
}

}  // namespace thinkplan::fitting
