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

// Two proportions x1/n1 and x2/n2 compared by the pooled two-proportion z statistic,
// z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2)) with p = (x1 + x2) / (n1 + n2), and its two-sided p-value.
// Treating two scores of the same problems as independent samples overstates their noise (the problems are
// shared), so a small p-value is conservative evidence that they disagree. z = 0, p = 1 when p is 0 or 1.
struct ProportionTest {
  double z = 0;
  double p_value = 1;
};
ProportionTest TwoProportionTest(double x1, double n1, double x2, double n2);

}  // namespace thinkplan
