// Quantiles of a sample, for summaries over Monte Carlo replicates (`thinkplan sweep`). Apart from
// core/statistics.h so that the many files including that one do not depend on <vector> and <algorithm>.
#pragma once

#include <vector>

namespace thinkplan {

// The q-quantile of a sample, interpolating linearly between order statistics at position (n - 1) q (Hyndman and
// Fan 1996, type 7; R's and NumPy's default). 0 for an empty sample; an infinite value sorts as itself.
double SampleQuantile(std::vector<double> values, double q);

}  // namespace thinkplan
