// Difficulty routing (docs/design.md 3.6): a router with confusion matrix C[t][p] = P(predicted p | true t) sends the
// traffic of true bucket t to predicted bucket p; each predicted bucket gets its own option, whose accuracy and
// cost are the confusion-weighted mix of the true buckets' figures. Without a router the class is one bucket.
#pragma once

#include <string>
#include <vector>

#include "planner/options.h"

namespace thinkplan::planner {

// The traffic a predicted bucket receives and where it truly comes from.
struct RoutedBucket {
  std::string name;             // the predicted bucket ("all" when the class has no router)
  double mass = 0;              // share of the class's traffic predicted here: sum_t s_t C[t][p]
  std::vector<double> weights;  // per true bucket: s_t C[t][p] / mass (sums to 1)
};

// Predicted buckets of a class under `confusion` (rows: true buckets; empty: no router, one bucket "all").
std::vector<RoutedBucket> RouteBuckets(const TaskClassSpec& task_class,
                                       const std::vector<std::vector<double>>& confusion);
std::vector<std::vector<double>> IdentityConfusion(std::size_t buckets);

// One LP option of a predicted bucket: a candidate's figures mixed over the true buckets that land there.
struct RoutedOption {
  std::size_t candidate = 0;  // index into the class's candidates
  Figures figures;            // accuracy, interval, tokens, cost: weighted means; latency and p95 tokens: worst
};

// The candidates scorable on every true bucket with weight in `bucket`, mixed, and within the SLO (0 = none).
std::vector<RoutedOption> MixOptions(const std::vector<Candidate>& candidates, const RoutedBucket& bucket,
                                     double slo_p95_s);

}  // namespace thinkplan::planner
