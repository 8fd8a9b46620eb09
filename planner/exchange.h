// Training compute against thinking compute (docs/design.md 3.4), as `thinkplan exchange` reports it: the exchange rate
// of every fitted training surface, Snell et al.'s FLOPs-matched multipliers over a grid of size ratios M and
// inference-to-pretraining token ratios R, and the Sardana-Frankle inference-aware optimum as demand grows.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/curve_set.h"
#include "core/statistics.h"
#include "core/training_economics.h"

namespace thinkplan::planner {

struct ExchangeOptions {
  // Only surfaces of this stored task class. Default: all.
  std::optional<std::string> task_class;
  // Size ratios M of the FLOPs-matched comparison. Default {2, 4, 14} (Snell et al. 2024's range).
  std::vector<double> size_ratios = {2, 4, 14};
  // R = D_inference / D_pretrain. Default {0.16, 0.79, 22}, the three regimes Snell et al. report.
  std::vector<double> inference_to_pretrain = {0.16, 0.79, 22};
  // Inference demands (tokens served over the model's life) for the Sardana-Frankle table.
  // Default {0, 1e11, 1e12, 1e13, 1e14}: 0 is the Chinchilla compute-optimal model.
  std::vector<double> inference_tokens = {0, 1e11, 1e12, 1e13, 1e14};
  // Loss every Sardana-Frankle row must reach. Default: none, meaning each law's own loss of the Chinchilla model
  // (reference_params on reference_tokens).
  std::optional<double> target_loss;
  double reference_params = 70e9;    // Chinchilla, Hoffmann et al. 2022
  double reference_tokens = 1.4e12;
  double level = 0.95;  // of the exchange-rate intervals
  bool IsValid(std::string* error) const;
};

// One fitted surface's exchange rate, or why it has none.
struct ExchangeRate {
  TrainingKey key;
  TestTimeAxis axis = TestTimeAxis::kSamples;
  FitStatus status = FitStatus::kInsufficientData;
  std::string reason;
  long n_points = 0;
  double t1 = 0, t2 = 0;
  bool defined = false;  // usable fit with t2 > 0
  double rate = 0;       // 10^(t1 / t2): test-time factor worth 10x training compute
  Interval interval;
};

// A surface that failed to fit: its key, axis, status and reason (from the store, for the report).
struct UnusableSurface {
  TrainingKey key;
  TestTimeAxis axis = TestTimeAxis::kSamples;
  FitStatus status = FitStatus::kInsufficientData;
  std::string reason;
  long n_points = 0;
};

struct SnellCell {
  double size_ratio = 0;             // M
  double inference_to_pretrain = 0; // R
  double multiplier = 0;             // M + 3 (1 / R) (M - 1)
};

struct DemandOptimum {
  double inference_tokens = 0;
  InferenceAwareOptimum optimum;
};

struct LawOptima {
  std::string law;
  double target_loss = 0;
  std::vector<DemandOptimum> points;
};

struct ExchangeSummary {
  std::vector<ExchangeRate> rates;
  std::vector<SnellCell> snell;
  std::vector<LawOptima> sardana_frankle;
  double level = 0.95;

  nlohmann::json ToJson() const;
  std::string BriefReport() const;
  std::string FullReport() const;
};

// Rates of the usable surfaces in `surfaces` plus the unusable ones as status rows, filtered by class.
ExchangeSummary ComputeExchange(const std::map<TrainingKey, TrainingSurface>& surfaces,
                                const std::vector<UnusableSurface>& unusable,
                                const std::vector<ChinchillaLaw>& laws, const ExchangeOptions& options);

}  // namespace thinkplan::planner
