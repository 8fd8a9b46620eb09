// The continuous training-versus-inference optimum on a fitted training surface (docs/design.md 3.4 and 3.6): how much
// training compute C to buy for one model, and how many samples k each stream of its traffic gets, when accuracy
// follows logit a = t0 + t1 ln C + t2 ln k. Training costs usd_per_flop x C amortised over the horizon; a sample
// costs usd_per_param_sample x N with N = C / (6 D), so a larger model also makes every sample dearer.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/curves.h"

namespace thinkplan::planner {

// One stream of traffic the trained model serves (a difficulty bucket of a class) with its own fitted surface.
struct TrainingDemand {
  std::string name;
  TrainingSurface surface;          // on the samples axis
  double queries_per_month = 0;
  double value_usd = 1;             // worth of a correct answer: weights the stream in both objectives
  double usd_per_param_sample = 0;  // inference USD of one sample, per parameter of the model serving it
};

struct TrainingOptimumOptions {
  double usd_per_flop = 0;      // training price
  double horizon_months = 12;   // training is amortised over it
  double train_tokens = 0;      // D of the family: N = C / (6 D)
  // Training compute range searched; the surface is not extrapolated beyond the sizes it was fitted on.
  double min_train_flops = 0;
  double max_train_flops = 0;
  double max_samples = 64;      // k in [1, max_samples]
  // With a budget: maximise value-weighted accuracy with training plus inference at most the budget. Without:
  // maximise net value (value of correct answers less training and inference spend). Default: none.
  std::optional<double> budget_usd_per_month;
  bool IsValid(std::string* error) const;
};

struct DemandChoice {
  std::string name;
  double samples = 1;
  double accuracy = 0;
  double inference_usd_per_month = 0;
};

struct TrainingOptimum {
  bool feasible = false;
  std::string reason;
  double train_flops = 0;
  double params = 0;
  double training_usd_per_month = 0;
  double inference_usd_per_month = 0;
  double training_share = 0;   // of training plus inference spend
  double accuracy = 0;         // value-weighted over the demands
  double objective = 0;        // net value per month, or the value-weighted number of correct answers per month
  bool at_size_bound = false;  // C at the end of the searched range
  std::vector<DemandChoice> demands;
};

// Numerical optimum: for a fixed C the streams separate (each picks its k; under a budget through one price on
// inference spend found by bisection), and C is a one-dimensional search on a log grid refined by golden section.
TrainingOptimum OptimiseTraining(const std::vector<TrainingDemand>& demands, const TrainingOptimumOptions& options);

// Where neither C nor k is at a bound, the first-order conditions of either objective give inference spend /
// (training + inference spend) = t2 / t1, whatever the prices and volumes (logit accuracy is Cobb-Douglas in the
// two spends, with exponents t1 - t2 on training and t2 on inference). Empty when the surface has no such point
// (t1 <= 0, or t2 outside (0, t1)): then the whole spend goes to one side.
std::optional<double> UnconstrainedInferenceShare(const TrainingSurface& surface);

}  // namespace thinkplan::planner
