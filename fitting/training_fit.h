// Training compute against test-time compute (docs/design.md 3.4): the joint surface logit acc = t0 + t1 ln C_train +
// t2 ln x (x = thinking tokens or samples) by binomial maximum likelihood, the exchange rate it implies, Snell et
// al.'s FLOPs-matched multiplier and the Chinchilla-plus-inference optimum of Sardana and Frankle.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/curves.h"
#include "core/training_economics.h"
#include "fitting/fit_options.h"

namespace thinkplan::fitting {

// `correct` of `n` right for a model of training compute `train_flops` (6 N D) at test-time setting `test_time`.
struct TrainingPoint {
  double train_flops = 0.0;
  double test_time = 0.0;
  double n = 0.0;
  double correct = 0.0;
};

// Needs two distinct training computes, two distinct test-time settings and four points; the exchange rate is
// reported in the summary when t2 > 0 (otherwise a note says why it is undefined).
TrainingSurface FitTrainingSurface(const std::vector<TrainingPoint>& points, TestTimeAxis axis, const Options& options,
                                   Summary* summary = nullptr);

// The pure economics (Snell's multiplier, Chinchilla laws, the Sardana-Frankle optimum) live in core so that the
// planner can use them without this library; they are visible here under their old names.
using thinkplan::ChinchillaLaw;
using thinkplan::InferenceAwareOptimum;
using thinkplan::LoadChinchillaLaws;
using thinkplan::SardanaFrankleOptimum;
using thinkplan::SnellMatchedMultiplier;

}  // namespace thinkplan::fitting
