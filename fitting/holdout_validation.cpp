#include "fitting/holdout_validation.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/number_format.h"

namespace thinkplan::fitting {

bool HalfSampleOptions::IsValid(std::string* error) const {
  if (!fit.IsValid(error)) return false;
  if (!(level > 0 && level < 1)) {
    if (error) *error = "level must lie in (0, 1)";
    return false;
  }
  return true;
}

std::vector<SampleCount> HalfSamples(const std::vector<SampleCount>& problems, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<SampleCount> halves;
  for (const SampleCount& p : problems) {
    const long n = std::lround(p.samples), half = n / 2;
    if (half < 1) continue;
    long right = std::clamp(std::lround(p.correct), 0L, n), left = n, drawn_right = 0;
    for (long i = 0; i < half; ++i, --left) {
      if (unit(rng) * static_cast<double>(left) < static_cast<double>(right)) ++drawn_right, --right;
    }
    halves.push_back({static_cast<double>(half), static_cast<double>(drawn_right)});
  }
  return halves;
}

HalfSampleCheck HalfSamplePassAtK(const std::vector<SampleCount>& problems, const HalfSampleOptions& options) {
  std::string error;
  if (!options.IsValid(&error)) throw UsageError("half-sample options: " + error);
  HalfSampleCheck check;
  std::vector<SampleCount> full;
  for (const SampleCount& p : problems) {
    if (std::lround(p.samples) < 2) continue;
    full.push_back(p);
    check.max_k = check.max_k == 0 ? std::lround(p.samples) : std::min(check.max_k, std::lround(p.samples));
  }
  check.problems = static_cast<long>(full.size());
  const std::vector<SampleCount> halves = HalfSamples(full, options.seed);
  check.beta = FitBetaBinomial(halves, options.fit);
  check.logit_normal = FitLogitNormal(halves, options.fit);
  if (!check.beta.quality.usable() || !check.logit_normal.quality.usable()) return check;
  const DifficultyFamilyChoice choice = ChooseDifficultyFamily(halves, options.fit);
  check.chosen = choice.chosen;
  const DifficultyDistribution chosen = choice.chosen == DifficultyFamily::kBeta
                                            ? DifficultyDistribution(check.beta)
                                            : DifficultyDistribution(check.logit_normal);
  for (long k = 1; k <= check.max_k; ++k) {
    HalfSampleForecast f;
    f.k = k;
    f.beta = check.beta.PassAtK(k);
    f.logit_normal = check.logit_normal.PassAtK(k);
    f.measured = EmpiricalPassAt(full, k, options.level);
    f.beta_inside = f.measured.interval.Contains(f.beta);
    f.logit_normal_inside = f.measured.interval.Contains(f.logit_normal);
    f.chosen = chosen.PassAtK(k);
    f.chosen_inside = f.measured.interval.Contains(f.chosen);
    check.chosen_inside += f.chosen_inside;
    check.beta_inside += f.beta_inside;
    check.logit_normal_inside += f.logit_normal_inside;
    check.forecasts.push_back(f);
  }
  return check;
}

std::string HalfSampleCheck::BriefReport() const {
  if (forecasts.empty()) {
    return fmt::format("{} problems: no forecast (beta on halves {}, logit-normal {})", problems,
                       ToString(beta.quality.status), ToString(logit_normal.quality.status));
  }
  const HalfSampleForecast& last = forecasts.back();
  return fmt::format("{} problems, k = 1..{}: beta inside {}/{}, logit-normal inside {}/{}, chosen ({}) inside {}/{}; "
                     "pass@{} measured {} {}, beta {}, logit-normal {}",
                     problems, max_k, beta_inside, forecasts.size(), logit_normal_inside, forecasts.size(),
                     ToString(chosen), chosen_inside, forecasts.size(), last.k,
                     FormatFixed(last.measured.value, 3),
                     PercentInterval(last.measured.interval.lower, last.measured.interval.upper),
                     FormatFixed(last.beta, 3), FormatFixed(last.logit_normal, 3));
}

}  // namespace thinkplan::fitting
