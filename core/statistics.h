// Intervals and binomial confidence intervals shared by every stage. The normal distribution itself lives in
// core/special_functions.h.
#pragma once

#include "core/special_functions.h"

namespace thinkplan {

struct Interval {
  double lower = 0.0;
  double upper = 0.0;
  bool Contains(double x) const { return lower <= x && x <= upper; }
};

// Wilson score interval for a binomial proportion of `successes` in `trials` (fractional counts allowed) at
// two-sided coverage `level`. For trials <= 0 returns [0, 1].
Interval WilsonInterval(double successes, double trials, double level);

}  // namespace thinkplan
