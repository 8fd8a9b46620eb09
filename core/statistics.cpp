#include "core/statistics.h"

#include <algorithm>
#include <cmath>

namespace thinkplan {

Interval WilsonInterval(double successes, double trials, double level) {
  if (trials <= 0) return {0.0, 1.0};
  const double z = NormalQuantile(0.5 + level / 2);
  const double p = std::clamp(successes / trials, 0.0, 1.0);
  const double z2n = z * z / trials;
  const double centre = (p + z2n / 2) / (1 + z2n);
  const double half = z * std::sqrt(p * (1 - p) / trials + z2n / (4 * trials)) / (1 + z2n);
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

ProportionTest TwoProportionTest(double x1, double n1, double x2, double n2) {
  if (!(n1 > 0 && n2 > 0)) return {};
  const double pooled = (x1 + x2) / (n1 + n2);
  const double variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2);
  if (!(variance > 0)) return {};
  const double z = (x1 / n1 - x2 / n2) / std::sqrt(variance);
  return {z, 2 * (1 - NormalCdf(std::abs(z)))};
}

}  // namespace thinkplan
