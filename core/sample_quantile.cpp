#include "core/sample_quantile.h"

#include <algorithm>
#include <cmath>

namespace thinkplan {

double SampleQuantile(std::vector<double> values, double q) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const double position = std::clamp(q, 0.0, 1.0) * static_cast<double>(values.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, values.size() - 1);
  const double weight = position - static_cast<double>(below);
  // Equal neighbours (infinite ones included) need no interpolation, and inf - inf would be NaN.
  if (weight == 0.0 || values[below] == values[above]) return values[below];
  return values[below] + weight * (values[above] - values[below]);
}

}  // namespace thinkplan
