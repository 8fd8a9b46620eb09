#include "planner/allocation.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cmath>
#include <functional>

#include <fmt/format.h>

#include "core/errors.h"

namespace thinkplan::planner {
namespace {

// One step along a class's hull: moving all its traffic from hull point `from` to hull point `from + 1`.
struct Segment {
  std::size_t cls = 0;
  std::size_t from = 0;
  double extra_spend = 0;      // volume * cost difference
  double extra_objective = 0;  // volume * value * accuracy difference
  double rate() const { return extra_objective / extra_spend; }
};

void Validate(const std::vector<ClassOptions>& classes) {
  for (const ClassOptions& c : classes) {
    auto fail = [&](const std::string& field, double value, const std::string& rule) {
      throw InputError({"class " + c.name, 0, field, fmt::format("{}", value)}, rule);
    };
    if (!(c.volume >= 0) || !std::isfinite(c.volume)) fail("volume", c.volume, "must be a finite number >= 0");
    if (!(c.value >= 0) || !std::isfinite(c.value)) fail("value", c.value, "must be a finite number >= 0");
    if (c.options.empty()) throw InputError("class " + c.name + " has no option to serve it");
    for (const CostAccuracy& o : c.options) {
      if (!(o.cost >= 0) || !std::isfinite(o.cost)) fail("cost", o.cost, "must be a finite number >= 0");
      if (!(o.accuracy >= 0 && o.accuracy <= 1)) fail("accuracy", o.accuracy, "must be in [0, 1]");
    }
  }
}

// The state of the walk: every class sits on a hull point, one may be part-way along its next segment.
class HullWalk {
 public:
  explicit HullWalk(const std::vector<ClassOptions>& classes) : classes_(classes) {
    Validate(classes);
    hulls_.reserve(classes.size());
    position_.assign(classes.size(), 0);
    std::size_t hull_points = 0;
    for (const ClassOptions& c : classes) {
      hulls_.push_back(UpperHull(c.options));
      hull_points += hulls_.back().size();
      const CostAccuracy& start = c.options[hulls_.back()[0]];
      spend_ += c.volume * start.cost;
      objective_ += c.volume * c.value * start.accuracy;
      total_weight_ += c.volume * c.value;
    }
    start_spend_ = spend_;
    start_objective_ = objective_;
    segments_.reserve(hull_points);
    for (std::size_t i = 0; i < classes.size(); ++i) {
      const auto& hull = hulls_[i];
      for (std::size_t k = 0; k + 1 < hull.size(); ++k) {
        const CostAccuracy& a = classes[i].options[hull[k]];
        const CostAccuracy& b = classes[i].options[hull[k + 1]];
        Segment s{i, k, classes[i].volume * (b.cost - a.cost), classes[i].volume * classes[i].value * (b.accuracy - a.accuracy)};
        // A class with no volume or no value gains nothing from spending more.
        if (s.extra_spend > 0 && s.extra_objective > 0) segments_.push_back(s);
      }
    }
    // Best marginal value per dollar first. Within a class the hull makes rates fall, so its segments stay in
    // order; ties between classes go to the earlier class so the plan is deterministic.
    std::stable_sort(segments_.begin(), segments_.end(), [](const Segment& x, const Segment& y) {
      const double lhs = x.extra_objective * y.extra_spend, rhs = y.extra_objective * x.extra_spend;
      if (lhs != rhs) return lhs > rhs;
      return x.cls < y.cls;
    });
  }

  // Takes segments while `fraction_allowed(segment)` says how much of it may be taken (1 = all, < 1 = stop
  // part-way). The frontier is the whole walk's, wherever this one stops (FullFrontier).
  void Walk(const std::function<double(const Segment&)>& fraction_allowed) {
    for (const Segment& s : segments_) {
      const double f = std::clamp(fraction_allowed(s), 0.0, 1.0);
      if (f >= 1.0) {
        Take(s, 1.0);
        continue;
      }
      if (f > 0.0) Take(s, f);
      return;
    }
  }

  AllocationResult Result() const {
    AllocationResult result;
    result.feasible = true;
    result.spend = spend_;
    result.objective = objective_;
    result.accuracy = total_weight_ > 0 ? objective_ / total_weight_ : 0.0;
    for (std::size_t i = 0; i < classes_.size(); ++i) {
      ClassAllocation allocation;
      const auto& hull = hulls_[i];
      const std::size_t k = position_[i];
      const double f = (split_ && split_class_ == i) ? split_fraction_ : 0.0;
      allocation.shares.push_back({hull[k], 1.0 - f});
      if (f > 0.0) allocation.shares.push_back({hull[k + 1], f});
      for (const Share& share : allocation.shares) {
        allocation.cost_per_query += share.fraction * classes_[i].options[share.option].cost;
        allocation.accuracy += share.fraction * classes_[i].options[share.option].accuracy;
      }
      result.classes.push_back(allocation);
    }
    result.frontier = FullFrontier();
    return result;
  }

  // The frontier of the whole walk, independent of where a plan stops: every segment taken whole from the start,
  // summed in the order Walk takes them, so its points are the ones a walk to the end records, bit for bit.
  std::vector<FrontierPoint> FullFrontier() const {
    std::vector<FrontierPoint> frontier;
    frontier.reserve(segments_.size() + 1);
    double spend = start_spend_, objective = start_objective_;
    frontier.push_back(PointAt(spend, objective));
    for (const Segment& s : segments_) {
      spend += s.extra_spend;
      objective += s.extra_objective;
      frontier.push_back(PointAt(spend, objective));
    }
    return frontier;
  }

  double spend() const { return spend_; }
  double objective() const { return objective_; }
  double total_weight() const { return total_weight_; }
  double max_objective() const {
    double best = objective_;
    for (const Segment& s : segments_) best += s.extra_objective;
    return best;
  }

 private:
  FrontierPoint PointAt(double spend, double objective) const {
    return {spend, total_weight_ > 0 ? objective / total_weight_ : 0.0};
  }

  void Take(const Segment& s, double fraction) {
    spend_ += fraction * s.extra_spend;
    objective_ += fraction * s.extra_objective;
    if (fraction >= 1.0) {
      position_[s.cls] = s.from + 1;
    } else {
      split_ = true;
      split_class_ = s.cls;
      split_fraction_ = fraction;
    }
  }

  const std::vector<ClassOptions>& classes_;
  std::vector<std::vector<std::size_t>> hulls_;
  std::vector<std::size_t> position_;
  std::vector<Segment> segments_;
  double spend_ = 0, objective_ = 0, total_weight_ = 0;
  double start_spend_ = 0, start_objective_ = 0;  // the cheapest plan, where every walk starts
  bool split_ = false;
  std::size_t split_class_ = 0;
  double split_fraction_ = 0;
};

AllocationResult Infeasible(std::string reason, std::vector<FrontierPoint> frontier) {
  AllocationResult result;
  result.reason = std::move(reason);
  result.frontier = std::move(frontier);
  return result;
}


// One option as the hull walk sorts it: by cost, the most accurate first among equal costs, then in input order.
struct HullKey {
  double cost, accuracy;
  std::size_t index;
};

bool WalkOrder(const HullKey& x, const HullKey& y) {
  if (x.cost != y.cost) return x.cost < y.cost;
  if (x.accuracy != y.accuracy) return x.accuracy > y.accuracy;
  return x.index < y.index;
}

// The cost's bits as an unsigned number that orders as the cost does (negative numbers reversed; -0 taken as +0).
std::uint64_t CostOrderBits(double cost) {
  const std::uint64_t bits = std::bit_cast<std::uint64_t>(cost + 0.0);
  return (bits >> 63) ? ~bits : bits | (std::uint64_t{1} << 63);
}

// Sorts keys into WalkOrder. A comparison sort of a class's options was most of the planner's LP time, lost to
// mispredicted branches. Instead two counting passes order the keys by the top 16 bits of the cost (sign,
// exponent and four bits of mantissa: a sixteenth of an octave), and each run of keys equal on those bits,
// usually one key long, is then sorted by the full order: the same result as sorting by WalkOrder outright.
void SortForWalk(std::vector<HullKey>& keys) {
  std::vector<HullKey> buffer(keys.size());
  auto top16 = [](const HullKey& k) { return CostOrderBits(k.cost) >> 48; };
  for (int shift : {0, 8}) {
    std::array<std::size_t, 257> start{};
    auto digit = [&](const HullKey& k) { return (top16(k) >> shift) & 0xFF; };
    for (const HullKey& k : keys) ++start[digit(k) + 1];
    for (std::size_t d = 1; d < start.size(); ++d) start[d] += start[d - 1];
    for (const HullKey& k : keys) buffer[start[digit(k)]++] = k;
    keys.swap(buffer);
  }
  for (std::size_t begin = 0; begin < keys.size();) {
    std::size_t end = begin + 1;
    while (end < keys.size() && top16(keys[end]) == top16(keys[begin])) ++end;
    if (end - begin > 1) std::sort(keys.begin() + begin, keys.begin() + end, WalkOrder);
    begin = end;
  }
}

}  // namespace

std::vector<std::size_t> UpperHull(const std::vector<CostAccuracy>& options) {
  for (std::size_t i = 0; i < options.size(); ++i) {
    if (std::isnan(options[i].cost) || std::isnan(options[i].accuracy)) {
      throw InputError(fmt::format("option {} has no cost or accuracy (NaN): the hull needs numbers", i));
    }
  }
  if (options.empty()) return {};
  std::vector<HullKey> keys(options.size());
  for (std::size_t i = 0; i < options.size(); ++i) keys[i] = {options[i].cost, options[i].accuracy, i};
  SortForWalk(keys);
  std::vector<std::size_t> hull;
  for (const HullKey& key : keys) {
    const std::size_t idx = key.index;
    const CostAccuracy& p = options[idx];
    // Dearer and no better than what the hull already reaches: dominated.
    if (!hull.empty() && p.accuracy <= options[hull.back()].accuracy) continue;
    // Pop points that lie on or below the chord from their predecessor to p: they are never optimal alone.
    while (hull.size() >= 2) {
      const CostAccuracy& o = options[hull[hull.size() - 2]];
      const CostAccuracy& a = options[hull.back()];
      if ((a.accuracy - o.accuracy) * (p.cost - o.cost) <= (p.accuracy - o.accuracy) * (a.cost - o.cost)) {
        hull.pop_back();
      } else {
        break;
      }
    }
    hull.push_back(idx);
  }
  return hull;
}

AllocationResult MaximiseAccuracy(const std::vector<ClassOptions>& classes, double budget) {
  HullWalk walk(classes);
  if (!(budget >= 0) || !std::isfinite(budget)) throw InputError(fmt::format("budget {} must be a finite number >= 0", budget));
  if (walk.spend() > budget * (1 + 1e-12)) {
    return Infeasible(fmt::format("the cheapest plan costs {:.6g}, more than the budget {:.6g}", walk.spend(), budget),
                      walk.FullFrontier());
  }
  walk.Walk([&](const Segment& s) { return (budget - walk.spend()) / s.extra_spend; });
  return walk.Result();
}

AllocationResult MinimiseCostForAccuracy(const std::vector<ClassOptions>& classes, double target) {
  HullWalk walk(classes);
  if (!(target >= 0 && target <= 1)) throw InputError(fmt::format("accuracy target {} must be in [0, 1]", target));
  const double needed = target * walk.total_weight();
  if (walk.max_objective() < needed * (1 - 1e-12)) {
    return Infeasible(fmt::format("the best reachable accuracy is {:.6g}, below the target {:.6g}",
                                  walk.max_objective() / walk.total_weight(), target),
                      walk.FullFrontier());
  }
  walk.Walk([&](const Segment& s) { return (needed - walk.objective()) / s.extra_objective; });
  return walk.Result();
}

AllocationResult MinimiseCostForClassTargets(const std::vector<ClassOptions>& classes,
                                             const std::vector<double>& targets) {
  if (targets.size() != classes.size()) throw InputError("one accuracy target per class is needed");
  AllocationResult result;
  result.feasible = true;
  double weight = 0;
  for (std::size_t i = 0; i < classes.size(); ++i) {
    // Each class is its own problem: the cheapest mix on its hull that reaches its target.
    const AllocationResult one = MinimiseCostForAccuracy({classes[i]}, targets[i]);
    if (!one.feasible) return Infeasible("class " + classes[i].name + ": " + one.reason, {});
    result.classes.push_back(one.classes[0]);
    result.spend += one.spend;
    result.objective += one.objective;
    weight += classes[i].volume * classes[i].value;
  }
  result.accuracy = weight > 0 ? result.objective / weight : 0.0;
  result.frontier = HullWalk(classes).FullFrontier();
  return result;
}

AllocationResult MaximiseNetValue(const std::vector<ClassOptions>& classes) {
  Validate(classes);
  AllocationResult result;
  result.feasible = true;
  double weight = 0, accuracy_objective = 0;
  for (const ClassOptions& c : classes) {
    std::size_t best = 0;
    for (std::size_t j = 1; j < c.options.size(); ++j) {
      const double net = c.value * c.options[j].accuracy - c.options[j].cost;
      const double best_net = c.value * c.options[best].accuracy - c.options[best].cost;
      if (net > best_net || (net == best_net && c.options[j].cost < c.options[best].cost)) best = j;
    }
    const CostAccuracy& o = c.options[best];
    result.classes.push_back({{{best, 1.0}}, o.cost, o.accuracy});
    result.spend += c.volume * o.cost;
    result.objective += c.volume * (c.value * o.accuracy - o.cost);
    accuracy_objective += c.volume * c.value * o.accuracy;
    weight += c.volume * c.value;
  }
  result.accuracy = weight > 0 ? accuracy_objective / weight : 0.0;
  result.frontier = HullWalk(classes).FullFrontier();
  return result;
}

}  // namespace thinkplan::planner
