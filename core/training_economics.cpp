#include "core/training_economics.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "core/model_shape.h"

namespace thinkplan {

double SnellMatchedMultiplier(double size_ratio, double pretrain_tokens, double inference_tokens) {
  return size_ratio + 3.0 * (pretrain_tokens / inference_tokens) * (size_ratio - 1.0);
}

double ChinchillaLaw::Loss(double params, double tokens) const {
  return E + A / std::pow(params, alpha) + B / std::pow(tokens, beta);
}

double ChinchillaLaw::TokensFor(double params, double loss) const {
  const double room = loss - E - A / std::pow(params, alpha);
  return room > 0.0 ? std::pow(B / room, 1.0 / beta) : 0.0;
}

std::vector<ChinchillaLaw> LoadChinchillaLaws(const std::filesystem::path& csv_path) {
  const CsvTable table = CsvTable::Read(csv_path);
  std::vector<ChinchillaLaw> laws;
  for (size_t i = 0; i < table.size(); ++i) {
    const CsvRow row = table.row(i);
    ChinchillaLaw law;
    law.name = row.RequiredText("name");
    const std::pair<const char*, double*> fields[] = {
        {"E", &law.E}, {"A", &law.A}, {"B", &law.B}, {"alpha", &law.alpha}, {"beta", &law.beta}};
    for (const auto& [field, value] : fields) {
      *value = row.Number(field);
      if (!std::isfinite(*value) || *value < 0) row.Fail(field, "not a non-negative number");
    }
    laws.push_back(law);
  }
  return laws;
}

InferenceAwareOptimum SardanaFrankleOptimum(const ChinchillaLaw& law, double target_loss, double inference_tokens) {
  InferenceAwareOptimum best;
  if (!(target_loss > law.E) || !(inference_tokens >= 0.0)) {
    best.reason = fmt::format("target loss {} must exceed the irreducible loss E = {}", target_loss, law.E);
    return best;
  }
  // Below N_min = (A / (L - E))^(1/alpha) no amount of data reaches the target; the total FLOPs grow without bound
  // towards N_min and again for large N, with one minimum between: golden-section search on ln N.
  const double log_n_min = std::log(law.A / (target_loss - law.E)) / law.alpha;
  const auto total = [&](double log_n) {
    const double n = std::exp(log_n), d = law.TokensFor(n, target_loss);
    return d > 0.0 ? 6.0 * n * d + 2.0 * n * inference_tokens : std::numeric_limits<double>::infinity();
  };
  double low = log_n_min + 1e-9, high = log_n_min + 40.0;
  const double ratio = 0.5 * (std::sqrt(5.0) - 1.0);
  double x1 = high - ratio * (high - low), x2 = low + ratio * (high - low);
  double f1 = total(x1), f2 = total(x2);
  for (int i = 0; i < 200 && high - low > 1e-12; ++i) {
    if (f1 < f2) {
      high = x2, x2 = x1, f2 = f1;
      x1 = high - ratio * (high - low);
      f1 = total(x1);
    } else {
      low = x1, x1 = x2, f1 = f2;
      x2 = low + ratio * (high - low);
      f2 = total(x2);
    }
  }
  best.params = std::exp(0.5 * (low + high));
  best.train_tokens = law.TokensFor(best.params, target_loss);
  best.train_flops = 6.0 * best.params * best.train_tokens;
  best.inference_flops = 2.0 * best.params * inference_tokens;
  best.total_flops = best.train_flops + best.inference_flops;
  best.status = FitStatus::kOk;
  return best;
}

}  // namespace thinkplan
