// The budget allocation at the heart of the planner (docs/design.md section 3.6): per task class a set of options
// (cost per query, accuracy), traffic fractions x_ij summing to 1 per class, and one of three objectives.
// Solved exactly by walking the upper concave hulls of all classes in order of marginal value per dollar:
// the LP optimum, with at most one class splitting its traffic between two adjacent hull options.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace thinkplan::planner {

// One way of serving a class: its expected cost per query (USD) and expected accuracy (0..1).
struct CostAccuracy {
  double cost = 0;
  double accuracy = 0;
};

struct ClassOptions {
  std::string name;
  double volume = 1;  // queries per period: turns cost per query into spend
  double value = 1;   // worth of a correct answer (USD, or 1 for plain accuracy): weights accuracy in the objective
  std::vector<CostAccuracy> options;
};

// An option chosen for a class with the share of the class's traffic it serves.
struct Share {
  std::size_t option = 0;
  double fraction = 1;
};

struct ClassAllocation {
  std::vector<Share> shares;  // one share, or two adjacent hull options when this class is the split one
  double cost_per_query = 0;  // traffic-weighted
  double accuracy = 0;        // traffic-weighted
};

// A point of the cost-accuracy frontier: total spend and the value-weighted mean accuracy it buys.
struct FrontierPoint {
  double spend = 0;
  double accuracy = 0;  // sum_i volume_i value_i a_i / sum_i volume_i value_i
};

struct AllocationResult {
  bool feasible = false;
  std::string reason;  // why not, when infeasible
  std::vector<ClassAllocation> classes;
  double spend = 0;        // sum_i volume_i cost_i
  double objective = 0;    // sum_i volume_i value_i accuracy_i (max-accuracy), or net value (max-net-value)
  double accuracy = 0;     // value-weighted mean accuracy
  std::vector<FrontierPoint> frontier;  // the whole walk, from the cheapest plan to the most accurate one
};

// Maximise sum_i volume_i value_i a_i subject to sum_i volume_i c_i <= budget.
AllocationResult MaximiseAccuracy(const std::vector<ClassOptions>& classes, double budget);

// Minimise spend subject to the value-weighted mean accuracy >= target.
AllocationResult MinimiseCostForAccuracy(const std::vector<ClassOptions>& classes, double target);

// Minimise spend subject to each class's accuracy >= its own target (targets[i] for classes[i]).
AllocationResult MinimiseCostForClassTargets(const std::vector<ClassOptions>& classes,
                                             const std::vector<double>& targets);

// Per class the option maximising value * accuracy - cost (no budget); objective = net value.
AllocationResult MaximiseNetValue(const std::vector<ClassOptions>& classes);

// The upper concave hull of one class's options, from the cheapest (most accurate among the cheapest) to the
// most accurate (cheapest among the most accurate): option indices in increasing cost and accuracy.
std::vector<std::size_t> UpperHull(const std::vector<CostAccuracy>& options);

}  // namespace thinkplan::planner
