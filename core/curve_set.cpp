#include "core/curve_set.h"

namespace thinkplan {

std::string CurveKey::ToString() const {
  std::string out = system + " / " + task_class;
  if (!difficulty.empty()) out += " / " + difficulty;
  return out;
}

std::optional<DifficultyDistribution> ChosenDifficulty(const FittedCurves& curves) {
  if (curves.logit_normal) return DifficultyDistribution(*curves.logit_normal);
  if (curves.difficulty) return DifficultyDistribution(*curves.difficulty);
  return std::nullopt;
}

const FittedCurves* CurveSet::Find(const CurveKey& key) const {
  if (auto it = curves_.find(key); it != curves_.end()) return &it->second;
  if (!key.difficulty.empty()) {
    if (auto it = curves_.find({key.system, key.task_class, ""}); it != curves_.end()) return &it->second;
  }
  return nullptr;
}

const TrainingSurface* CurveSet::FindTraining(const TrainingKey& key) const {
  auto it = training_.find(key);
  return it == training_.end() ? nullptr : &it->second;
}

}  // namespace thinkplan
