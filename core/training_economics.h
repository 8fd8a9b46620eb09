// Training compute against inference compute, without fitting: Snell et al.'s FLOPs-matched multiplier, the
// Chinchilla loss law and the Sardana-Frankle inference-aware optimum (docs/design.md section 3.4).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/curves.h"

namespace thinkplan {

// Snell et al. 2024: a model M times larger costs M (X + Y), X = 6 N D_pretrain, Y = 2 N D_inference; the small
// model matches those FLOPs with M + 3 (D_pretrain / D_inference) (M - 1) times its own inference compute.
double SnellMatchedMultiplier(double size_ratio, double pretrain_tokens, double inference_tokens);

// Chinchilla loss L(N, D) = E + A / N^alpha + B / D^beta (N parameters, D training tokens).
struct ChinchillaLaw {
  std::string name;
  double E = 0.0, A = 0.0, B = 0.0, alpha = 0.0, beta = 0.0;
  double Loss(double params, double tokens) const;
  // Training tokens that reach `loss` with `params` parameters; 0 when no token count can (loss too low for N).
  double TokensFor(double params, double loss) const;
};
// Reads rows name,E,A,B,alpha,beta,... (data/published/training_scaling.csv). Throws InputError naming the line.
std::vector<ChinchillaLaw> LoadChinchillaLaws(const std::filesystem::path& csv_path);

struct InferenceAwareOptimum {
  double params = 0.0;          // N
  double train_tokens = 0.0;    // D_train
  double train_flops = 0.0;     // 6 N D_train
  double inference_flops = 0.0; // 2 N D_inference
  double total_flops = 0.0;
  FitStatus status = FitStatus::kInsufficientData;
  std::string reason;
};
// Sardana and Frankle 2023: minimise 6 N D_train + 2 N D_inference subject to L(N, D_train) = target_loss, a
// one-dimensional search over ln N. D_inference = 0 gives the Chinchilla compute-optimal model.
InferenceAwareOptimum SardanaFrankleOptimum(const ChinchillaLaw& law, double target_loss, double inference_tokens);

}  // namespace thinkplan
