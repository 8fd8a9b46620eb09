// Small statistics shared by every stage: the normal distribution and binomial intervals.
#pragma once

namespace thinkplan {

struct Interval {
  double lower = 0;
  double upper = 0;
};

double NormalCdf(double x);
// Inverse of NormalCdf for 0 < p < 1 (Acklam's rational approximation refined by one Newton step).
double NormalQuantile(double p);

// Wilson score interval for a binomial proportion of `successes` in `trials` (fractional counts allowed) at
// two-sided coverage `level`. For trials <= 0 returns [0, 1].
Interval WilsonInterval(double successes, double trials, double level);

}  // namespace thinkplan
