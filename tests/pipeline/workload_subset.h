// The default workload cut down to what a pipeline test plans: shared by the capacity, verification and cost-fit
// tests so that each states only the systems, classes and volume it needs.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "planner/workload.h"
#include "tests/common/test_support.h"

namespace thinkplan::testing {

// data/workloads/default.json with only the `systems` and `classes` named, each class at `volume` queries a day and
// free to use every system left.
inline planner::Workload DefaultWorkloadSubset(const std::string& name, const std::vector<std::string>& systems,
                                               const std::vector<std::string>& classes, double volume) {
  planner::Workload w = planner::LoadWorkload(DataDir() / "workloads" / "default.json");
  w.name = name;
  auto named = [](const std::vector<std::string>& names, const std::string& n) {
    return std::find(names.begin(), names.end(), n) != names.end();
  };
  std::erase_if(w.systems, [&](const planner::SystemSpec& s) { return !named(systems, s.name); });
  std::erase_if(w.classes, [&](const planner::TaskClassSpec& c) { return !named(classes, c.name); });
  for (planner::TaskClassSpec& c : w.classes) {
    c.daily_volume = volume;
    c.systems.clear();
  }
  return w;
}

}  // namespace thinkplan::testing
