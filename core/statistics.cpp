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

}  // namespace thinkplan
