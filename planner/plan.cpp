#include "planner/plan.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/number_format.h"
#include "core/printable_text.h"
#include "planner/capacity.h"

namespace thinkplan::planner {
namespace {

enum class RouterMode { kAsGiven, kPerfect, kNone };

// One LP "class": a (task class, predicted bucket) pair with its mixed options.
struct LpBucket {
  std::size_t class_index = 0;
  RoutedBucket routed;
  std::vector<RoutedOption> options;
  std::string no_option_reason;  // why `options` is empty, when it is
};

// Why a routed bucket has no option: no option at all for the class, a true bucket it receives traffic from on
// which no option has figures, or an SLO that the fastest complete option misses (by how much).
std::string NoOptionReason(const TaskClassSpec& c, const ClassCandidates& cands, const RoutedBucket& routed) {
  const std::string where = fmt::format("class '{}' bucket '{}'", c.name, routed.name);
  if (cands.candidates.empty()) {
    // Name the systems whose runs were skipped for want of a thinking-token count: the cause a user can fix.
    std::string skipped;
    for (const std::string& note : cands.notes) {
      if (note.find("no thinking-token measurement") != std::string::npos) skipped += "; " + note;
    }
    return where + ": no system has a scorable option (no fitted curve, stored run, price or thinking-token count; "
                   "see the notes)" + skipped;
  }
  for (std::size_t t = 0; t < routed.weights.size(); ++t) {
    if (routed.weights[t] <= 1e-12) continue;
    const bool any = std::any_of(cands.candidates.begin(), cands.candidates.end(),
                                 [&](const Candidate& k) { return k.per_bucket[t].has_value(); });
    if (!any) {
      return fmt::format("{}: {} of its traffic truly belongs to bucket '{}' ({}), on which no system has data "
                         "(no fitted curve or stored run with a thinking-token count)",
                         where, Percent(routed.weights[t], 0), c.buckets[t].name, c.buckets[t].task_class);
    }
  }
  std::optional<RoutedOption> fastest;
  for (const RoutedOption& o : MixOptions(cands.candidates, routed, 0)) {
    if (!fastest || o.figures.latency_p95_s < fastest->figures.latency_p95_s) fastest = o;
  }
  if (!fastest) {
    return where + ": no single system has data on every true bucket its traffic comes from";
  }
  return fmt::format("{}: no option meets the {:g} s p95 SLO; the fastest, {}, takes {:.3g} s (+{:.0f}%)", where,
                     c.slo_p95_s, cands.candidates[fastest->candidate].setting.Describe(),
                     fastest->figures.latency_p95_s, 100 * (fastest->figures.latency_p95_s / c.slo_p95_s - 1));
}

std::vector<std::vector<double>> ConfusionFor(const TaskClassSpec& c, RouterMode mode) {
  if (mode == RouterMode::kNone || c.buckets.size() == 1) return {};
  if (mode == RouterMode::kPerfect) return IdentityConfusion(c.buckets.size());
  return c.router ? c.router->confusion : std::vector<std::vector<double>>{};
}

bool SystemAllowed(const Workload& w, const std::string& system, const std::string& tier) {
  const SystemSpec* s = w.FindSystem(system);
  return s && (s->tier.empty() || s->tier == tier);
}

// "System S has no fitted curve or stored run for K" once per system and list of curve keys, with the classes it
// concerns: a workload of many classes alike would otherwise carry a note per class and system.
class MissingNotes {
 public:
  void Add(const std::string& class_name, const MissingCurves& m) {
    std::string keys;
    for (const std::string& k : m.keys) keys += (keys.empty() ? "" : ", ") + k;
    auto [it, inserted] = index_.emplace(m.system + '\n' + keys, groups_.size());
    if (inserted) groups_.push_back({m.system, std::move(keys), {}, 0});
    Group& g = groups_[it->second];
    if (g.first_classes.size() < kNamed) g.first_classes.push_back(class_name);
    ++g.classes;
  }

  // One class keeps the per-class wording ("class X: S has no fitted curve ..."); more are counted.
  std::vector<std::string> Notes() const {
    std::vector<std::string> out;
    for (const Group& g : groups_) {
      if (g.classes == 1) {
        out.push_back(fmt::format("class {}: {} has no fitted curve or stored run for {}", g.first_classes.front(),
                                  g.system, g.keys));
        continue;
      }
      std::string names;
      for (const std::string& n : g.first_classes) names += (names.empty() ? "" : ", ") + n;
      if (g.classes > g.first_classes.size()) names += fmt::format(" and {} more", g.classes - g.first_classes.size());
      out.push_back(fmt::format("{} classes: {} has no fitted curve or stored run for {} (classes {})", g.classes,
                                g.system, g.keys, names));
    }
    return out;
  }

 private:
  static constexpr std::size_t kNamed = 3;
  struct Group {
    std::string system, keys;
    std::vector<std::string> first_classes;
    std::size_t classes = 0;
  };
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<Group> groups_;
};

std::vector<LpBucket> BuildLp(const Workload& w, const SharedCandidates& candidates, RouterMode mode,
                              const std::string& tier) {
  std::vector<LpBucket> out;
  for (std::size_t ci = 0; ci < w.classes.size(); ++ci) {
    const TaskClassSpec& c = w.classes[ci];
    const std::vector<Candidate>& options = candidates[ci]->candidates;
    for (RoutedBucket& routed : RouteBuckets(c, ConfusionFor(c, mode))) {
      LpBucket lp{ci, std::move(routed), {}, {}};
      for (RoutedOption& o : MixOptions(options, lp.routed, c.slo_p95_s)) {
        if (SystemAllowed(w, options[o.candidate].setting.system, tier)) lp.options.push_back(std::move(o));
      }
      if (lp.options.empty()) lp.no_option_reason = NoOptionReason(c, *candidates[ci], lp.routed);
      out.push_back(std::move(lp));
    }
  }
  return out;
}

struct Scenario {
  std::vector<LpBucket> lp;
  AllocationResult alloc;
  double fixed_monthly = 0;
  double score = 0;  // comparable across tiers: higher is better
};

Scenario Solve(const Workload& w, std::vector<LpBucket> lp, Objective objective, std::optional<double> budget,
               std::optional<double> target, bool robust, double fixed_monthly, double volume_multiplier) {
  Scenario s;
  s.fixed_monthly = fixed_monthly;
  std::vector<ClassOptions> classes;
  std::vector<double> targets;
  for (const LpBucket& b : lp) {
    const TaskClassSpec& c = w.classes[b.class_index];
    ClassOptions co;
    co.name = c.name + "/" + b.routed.name;
    co.volume = c.daily_volume * w.days_per_month * b.routed.mass * volume_multiplier;
    co.value = c.value_usd;
    for (const RoutedOption& o : b.options) {
      co.options.push_back({o.figures.cost_usd, robust ? o.figures.interval.lower : o.figures.accuracy});
    }
    if (co.options.empty()) {
      s.alloc.feasible = false;
      s.alloc.reason = b.no_option_reason;
      s.lp = std::move(lp);
      return s;
    }
    classes.push_back(std::move(co));
    targets.push_back(c.target_accuracy.value_or(target.value_or(0.0)));
  }
  switch (objective) {
    case Objective::kMaxAccuracy: {
      const double inner = budget.value_or(0) * volume_multiplier - fixed_monthly;
      if (inner < 0) {
        s.alloc.reason = fmt::format("the training cost {:.0f} USD/month exceeds the budget", fixed_monthly);
        break;
      }
      s.alloc = MaximiseAccuracy(classes, inner);
      s.score = s.alloc.objective;
      break;
    }
    case Objective::kMinCost: {
      bool per_class = false;
      for (const TaskClassSpec& c : w.classes) per_class = per_class || c.target_accuracy.has_value();
      s.alloc = per_class ? MinimiseCostForClassTargets(classes, targets) : MinimiseCostForAccuracy(classes, target.value_or(0));
      s.score = -(s.alloc.spend + fixed_monthly);
      break;
    }
    case Objective::kMaxNetValue:
      s.alloc = MaximiseNetValue(classes);
      s.score = s.alloc.objective - fixed_monthly;
      break;
  }
  s.lp = std::move(lp);
  return s;
}

double TotalWeight(const Workload& w) {
  double total = 0;
  for (const TaskClassSpec& c : w.classes) total += c.daily_volume * c.value_usd;
  return total;
}

// Value-weighted accuracy of a scenario on the expected (not robust) figures.
RoutingTotals Totals(const Workload& w, const Scenario& s) {
  RoutingTotals t;
  double weight = 0;
  for (std::size_t i = 0; i < s.lp.size() && s.alloc.feasible; ++i) {
    const TaskClassSpec& c = w.classes[s.lp[i].class_index];
    const double v = c.daily_volume * s.lp[i].routed.mass;
    for (const Share& sh : s.alloc.classes[i].shares) {
      const Figures& f = s.lp[i].options[sh.option].figures;
      t.accuracy += v * c.value_usd * sh.fraction * f.accuracy;
      t.usd_per_month += v * w.days_per_month * sh.fraction * f.cost_usd;
    }
    weight += v * c.value_usd;
  }
  if (weight > 0) t.accuracy /= weight;
  return t;
}

std::string RouterLabel(const TaskClassSpec& c) {
  if (c.buckets.size() == 1) return "single bucket";
  if (!c.router) return "none";
  return c.router->auc ? fmt::format("auc {:.2f}", *c.router->auc) : "confusion matrix";
}

std::vector<std::string> TierNames(const Workload& w) {
  std::vector<std::string> names{""};
  for (const TrainingTier& t : w.tiers) names.push_back(t.name);
  return names;
}

double TierMonthly(const Workload& w, const std::string& tier) {
  for (const TrainingTier& t : w.tiers) if (t.name == tier) return t.training_usd / w.horizon_months;
  return 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Training versus inference on the fitted surfaces (docs/design.md 3.4).

// A usable surface of `family` on the samples axis for a bucket: its own difficulty, else the class as a whole.
const TrainingSurface* SurfaceFor(const CurveSet& curves, const std::string& family, const BucketSpec& bucket) {
  for (const std::string& difficulty : {bucket.difficulty, std::string()}) {
    const TrainingSurface* s = curves.FindTraining({family, bucket.task_class, difficulty});
    if (s && s->quality.usable() && s->axis == TestTimeAxis::kSamples) return s;
    if (difficulty.empty()) break;
  }
  return nullptr;
}

// What the priced optimum needs besides the surfaces: the tiers' family, its size range and token count, the
// training price, and per class the inference USD of one sample per parameter, read off the tiers' own systems.
struct TrainingPrices {
  std::string family;
  TrainingOptimumOptions options;
  std::vector<std::optional<double>> usd_per_param_sample;  // per class
};

std::optional<TrainingPrices> PricesOf(const Workload& w, const Catalogues& catalogues) {
  if (w.tiers.empty() || !(w.usd_per_flop > 0)) return std::nullopt;
  TrainingPrices p;
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (const TrainingTier& t : w.tiers) {
    if (t.family.empty() || (!p.family.empty() && t.family != p.family)) continue;
    if (p.family.empty()) p.family = t.family, p.options.train_tokens = t.train_tokens;
    lo = std::min(lo, 6 * t.params * p.options.train_tokens);
    hi = std::max(hi, 6 * t.params * p.options.train_tokens);
  }
  if (p.family.empty() || !(p.options.train_tokens > 0) || !(lo > 0)) return std::nullopt;
  p.options.usd_per_flop = w.usd_per_flop;
  p.options.horizon_months = w.horizon_months;
  p.options.min_train_flops = lo;
  p.options.max_train_flops = hi;
  for (const TaskClassSpec& c : w.classes) {
    double sum = 0;
    int n = 0;
    for (const TrainingTier& t : w.tiers) {
      if (t.family != p.family || !(t.params > 0)) continue;
      for (const SystemSpec& s : w.systems) {
        const auto tokens = s.thinking_tokens.find("extended");
        if (s.tier != t.name || tokens == s.thinking_tokens.end()) continue;
        const ServingCost cost = CostOfServing(s, c, catalogues, tokens->second, tokens->second, 1);
        if (cost.feasible) sum += cost.usd / t.params, ++n;
      }
    }
    p.usd_per_param_sample.push_back(n > 0 ? std::optional<double>(sum / n) : std::nullopt);
  }
  return p;
}

double DailyTraffic(const Workload& w) {
  double total = 0;
  for (const TaskClassSpec& c : w.classes) total += c.daily_volume;
  return total;
}

// The continuous optimum over every bucket with a surface, at `multiplier` times the volume (and the budget).
std::optional<ContinuousTraining> Continuous(const Workload& w, const CurveSet& curves, const TrainingPrices& p,
                                             Objective objective, std::optional<double> budget, double multiplier) {
  if (objective == Objective::kMinCost) return std::nullopt;
  ContinuousTraining ct;
  ct.family = p.family;
  std::vector<TrainingDemand> demands;
  double daily_with = 0;
  for (std::size_t ci = 0; ci < w.classes.size(); ++ci) {
    const TaskClassSpec& c = w.classes[ci];
    for (const BucketSpec& b : c.buckets) {
      const TrainingSurface* surface = SurfaceFor(curves, p.family, b);
      if (!surface || !p.usd_per_param_sample[ci]) {
        ct.without_surface.push_back(c.name + " / " + b.name);
        continue;
      }
      const double daily = c.daily_volume * b.share;
      demands.push_back({c.name + " / " + b.name, *surface, daily * w.days_per_month * multiplier, c.value_usd,
                         *p.usd_per_param_sample[ci]});
      daily_with += daily;
    }
  }
  if (demands.empty()) return std::nullopt;
  TrainingOptimumOptions options = p.options;
  const double daily_all = DailyTraffic(w);
  if (objective == Objective::kMaxAccuracy && budget && daily_all > 0) {
    options.budget_usd_per_month = *budget * multiplier * daily_with / daily_all;
  }
  ct.budget_usd_per_month = options.budget_usd_per_month;
  ct.optimum = OptimiseTraining(demands, options);
  return ct;
}

// Per true bucket and every family with a surface for it: where the optimum's spend goes. With the tiers' prices,
// the class's whole volume is priced as if it were all of this difficulty, so that buckets compare on difficulty.
std::vector<DifficultyEffect> DifficultyEffects(const Workload& w, const CurveSet& curves,
                                                const std::optional<TrainingPrices>& prices, Objective objective,
                                                std::optional<double> budget) {
  std::vector<DifficultyEffect> out;
  const double daily_all = DailyTraffic(w);
  for (std::size_t ci = 0; ci < w.classes.size(); ++ci) {
    const TaskClassSpec& c = w.classes[ci];
    for (const BucketSpec& b : c.buckets) {
      std::set<std::string> families;
      for (const auto& [key, surface] : curves.training()) {
        if (key.task_class == b.task_class && (key.difficulty == b.difficulty || key.difficulty.empty())) families.insert(key.family);
      }
      for (const std::string& family : families) {
        const TrainingSurface* s = SurfaceFor(curves, family, b);
        if (!s) continue;
        DifficultyEffect e;
        e.class_name = c.name;
        e.bucket = b.name;
        e.task_class = b.task_class;
        e.difficulty = b.difficulty;
        e.family = family;
        e.t1 = s->t1;
        e.t2 = s->t2;
        const std::optional<double> share = UnconstrainedInferenceShare(*s);
        e.inference_share = share ? *share : (s->t2 > 0 ? 1.0 : 0.0);
        e.basis = "unconstrained";
        const double spent_on_inference = e.inference_share;
        double extra_thinking = 0, extra_size = 0;
        if (prices && family == prices->family && prices->usd_per_param_sample[ci] && objective != Objective::kMinCost) {
          TrainingOptimumOptions options = prices->options;
          if (objective == Objective::kMaxAccuracy && budget && daily_all > 0) {
            options.budget_usd_per_month = *budget * c.daily_volume / daily_all;
          }
          const TrainingOptimum o = OptimiseTraining(
              {{e.class_name + " / " + e.bucket, *s, c.daily_volume * w.days_per_month, c.value_usd,
                *prices->usd_per_param_sample[ci]}},
              options);
          if (o.feasible) {
            e.priced_inference_share = 1 - o.training_share;
            e.priced_samples = o.demands.front().samples;
            e.priced_params = o.params;
            e.basis = "priced";
            // What the optimum spends beyond the cheapest choice (the smallest size, one sample): on samples, and
            // on size (its training and the dearer samples of a larger model). At these volumes inference is most
            // of any spend, so the split alone would say "thinking" everywhere; the extra spend shows the choice.
            const double per_sample = o.inference_usd_per_month / o.demands.front().samples;
            const double params_min = options.min_train_flops / (6 * options.train_tokens);
            extra_thinking = per_sample * (o.demands.front().samples - 1);
            extra_size = o.training_usd_per_month - options.usd_per_flop * options.min_train_flops / options.horizon_months +
                         per_sample * (1 - params_min / o.params);
          }
        }
        if (e.basis == "priced") {
          e.spends_on = extra_thinking > extra_size ? "thinking" : extra_size > 0 ? "size" : "neither";
        } else {
          e.spends_on = spent_on_inference > 0.5 ? "thinking" : "size";
        }
        out.push_back(std::move(e));
      }
    }
  }
  return out;
}
// The difficulty distribution an option's figure was computed with (PlannedDifficulty), for the simulator to draw
// from; without a per-problem fit, the source says so and carries no parameters.
nlohmann::json DifficultyJson(const std::optional<PlannedDifficulty>& d) {
  if (!d) return {{"source", "no per-problem fit: the simulator uses the default spread a + b = 2, stated"}};
  nlohmann::json out = {{"family", ToString(d->family)}};
  if (d->family == DifficultyFamily::kBeta) {
    out["a"] = d->a, out["b"] = d->b;
  } else {
    out["mu"] = d->mu, out["sigma"] = d->sigma;
  }
  out["rho"] = d->rho ? nlohmann::json(*d->rho) : nlohmann::json(nullptr);
  if (d->rho_assumed) out["rho_assumed"] = true;
  out["source"] = d->Source();
  return out;
}

// An option's figures on each true bucket of the traffic routed to it (null where that traffic is negligible), so
// that a simulation can follow a misrouted query's own difficulty; "accuracy" and the token figures beside it
// are their mix.
nlohmann::json ByTrueBucketJson(const SharedCandidates& candidates, const BucketPlan& b, const ChosenShare& share) {
  nlohmann::json out = nlohmann::json::array();
  const Candidate* candidate = nullptr;
  if (b.class_index < candidates.size() && candidates[b.class_index] &&
      share.candidate < candidates[b.class_index]->candidates.size()) {
    candidate = &candidates[b.class_index]->candidates[share.candidate];
  }
  for (std::size_t t = 0; t < b.weights.size(); ++t) {
    const std::optional<Figures>* f = candidate && t < candidate->per_bucket.size() ? &candidate->per_bucket[t] : nullptr;
    if (b.weights[t] <= 1e-12 || !f || !*f) {
      out.push_back(nullptr);
      continue;
    }
    out.push_back({{"accuracy", (*f)->accuracy},
                   {"thinking_tokens_mean", (*f)->thinking_tokens},
                   {"thinking_tokens_p95", (*f)->thinking_tokens_p95},
                   {"difficulty", DifficultyJson((*f)->difficulty)}});
  }
  return out;
}

// Rounds of re-pricing self-hosted options at their provisioned fleet's cost, and how close is close enough.
constexpr int kFleetRounds = 6;
constexpr double kPriceTolerance = 0.01;

// Every tier's allocation on its LP; the best in *best, with the tier table, chosen tier, spend and frontier in
// `r`. False when no tier is feasible (r.reason says why).
// `budget` is the LP's: the plan's budget, less what the capacity pass cut from it so that whole devices fit.
bool SolveTiers(const Workload& w, std::map<std::string, std::vector<LpBucket>>& lp_by_tier, PlanResult& r,
                const PlanOptions& opt, std::optional<double> budget, Scenario* best) {
  bool have_best = false;
  r.tiers.clear();
  r.reason.clear();
  for (const std::string& tier : TierNames(w)) {
    Scenario s = Solve(w, lp_by_tier[tier], r.objective, budget, r.target_accuracy, opt.robust,
                       TierMonthly(w, tier), 1.0);
    TierResult t;
    t.name = tier;
    for (const TrainingTier& tt : w.tiers) if (tt.name == tier) t.training_usd = tt.training_usd;
    t.training_usd_per_month = s.fixed_monthly;
    t.feasible = s.alloc.feasible;
    t.reason = s.alloc.reason;
    if (s.alloc.feasible) {
      const RoutingTotals totals = Totals(w, s);
      t.inference_usd_per_month = s.alloc.spend;
      t.accuracy = totals.accuracy;
      t.objective = s.score;
    }
    if (!w.tiers.empty()) r.tiers.push_back(t);
    if (s.alloc.feasible && (!have_best || s.score > best->score)) {
      *best = std::move(s);
      have_best = true;
    } else if (!have_best && r.reason.empty()) {
      r.reason = s.alloc.reason;
    }
  }
  if (!have_best) return false;
  // The winning tier is the one whose scenario score is the best; recover its name from the tier table.
  for (const TierResult& t : r.tiers) {
    if (t.feasible && t.objective == best->score) {
      r.chosen_tier = t.name;
      break;
    }
  }
  r.training_usd_per_month = best->fixed_monthly;
  r.inference_usd_per_month = best->alloc.spend;
  r.frontier = best->alloc.frontier;
  return true;
}

// Bucket figures from their shares, class figures from their buckets, the value-weighted total.
void SumBuckets(const Workload& w, PlanResult& r) {
  r.classes.assign(w.classes.size(), ClassPlan{});
  r.accuracy = 0;
  for (BucketPlan& b : r.buckets) {
    b.accuracy = b.cost_per_query = b.latency_p95_s = b.trained_fraction = 0;
    b.interval = {};
    for (const ChosenShare& sh : b.shares) {
      b.accuracy += sh.fraction * sh.figures.accuracy;
      b.interval.lower += sh.fraction * sh.figures.interval.lower;
      b.interval.upper += sh.fraction * sh.figures.interval.upper;
      b.cost_per_query += sh.fraction * sh.figures.cost_usd;
      b.latency_p95_s = std::max(b.latency_p95_s, sh.figures.latency_p95_s);
      const SystemSpec* system = w.FindSystem(sh.setting.system);
      if (system && !system->tier.empty()) b.trained_fraction += sh.fraction;
    }
    ClassPlan& p = r.classes[b.class_index];
    p.accuracy += b.mass * b.accuracy;
    p.interval.lower += b.mass * b.interval.lower;
    p.interval.upper += b.mass * b.interval.upper;
    p.cost_per_query += b.mass * b.cost_per_query;
    p.latency_p95_s = std::max(p.latency_p95_s, b.latency_p95_s);
  }
  double weight_total = 0;
  for (std::size_t ci = 0; ci < w.classes.size(); ++ci) {
    const TaskClassSpec& c = w.classes[ci];
    ClassPlan& p = r.classes[ci];
    p.name = c.name;
    p.slo_p95_s = c.slo_p95_s;
    p.router = RouterLabel(c);
    p.usd_per_month = p.cost_per_query * c.daily_volume * w.days_per_month;
    r.accuracy += c.daily_volume * c.value_usd * p.accuracy;
    weight_total += c.daily_volume * c.value_usd;
  }
  if (weight_total > 0) r.accuracy /= weight_total;
}

// The allocation per class and predicted bucket, on the expected figures of `best`.
void AssembleAllocation(const Workload& w, const SharedCandidates& candidates, const Scenario& best, PlanResult& r) {
  r.buckets.clear();
  for (std::size_t i = 0; i < best.lp.size(); ++i) {
    const LpBucket& lp = best.lp[i];
    const TaskClassSpec& c = w.classes[lp.class_index];
    BucketPlan b;
    b.class_index = lp.class_index;
    b.class_name = c.name;
    b.bucket = lp.routed.name;
    b.mass = lp.routed.mass;
    b.weights = lp.routed.weights;
    b.queries_per_month = c.daily_volume * w.days_per_month * b.mass;
    b.options_considered = lp.options.size();
    for (const Share& sh : best.alloc.classes[i].shares) {
      if (sh.fraction <= 1e-12) continue;  // a walk stopped exactly on a vertex lists the next option at zero
      const RoutedOption& o = lp.options[sh.option];
      const Setting& setting = candidates[lp.class_index]->candidates[o.candidate].setting;
      b.shares.push_back({setting, o.figures, sh.fraction, o.candidate});
    }
    r.buckets.push_back(std::move(b));
  }
  SumBuckets(w, r);
}

// Self-hosted serving prices times the factor of their system (the verifier's part stays).
void RescaleFigures(Figures& f, double factor) { f.cost_usd = f.verifier_usd + (f.cost_usd - f.verifier_usd) * factor; }

void RescaleSelfHosted(std::vector<LpBucket>& lp, const SharedCandidates& candidates,
                       const std::map<std::string, double>& factor) {
  for (LpBucket& b : lp) {
    for (RoutedOption& o : b.options) {
      const auto it = factor.find(candidates[b.class_index]->candidates[o.candidate].setting.system);
      if (it != factor.end()) RescaleFigures(o.figures, it->second);
    }
  }
}

std::vector<LpBucket> Rescaled(std::vector<LpBucket> lp, const SharedCandidates& candidates,
                               const std::map<std::string, double>& factor) {
  RescaleSelfHosted(lp, candidates, factor);
  return lp;
}

// The provisioned fleet into the plan: its lines, its bill in place of the per-query prices (so the spend is what
// is paid), and each self-hosted share's p95 with the wait at peak.
void ApplyFleet(const Workload& w, const Catalogues& catalogues, FleetPlan& fleet, PlanResult& r) {
  FleetLatencies(w, catalogues, r.buckets, fleet);
  r.capacity = fleet.lines;
  r.fleet_usd_per_month = fleet.usd_per_month;
  for (const std::string& note : fleet.notes) r.notes.push_back(note);
  for (BucketPlan& b : r.buckets) {
    for (ChosenShare& sh : b.shares) {
      const auto factor = fleet.price_factor.find(sh.setting.system);
      if (factor != fleet.price_factor.end()) RescaleFigures(sh.figures, factor->second);
      const auto latency = fleet.latency_p95_s.find({b.class_index, sh.setting.system});
      if (latency != fleet.latency_p95_s.end()) sh.figures.latency_p95_s = latency->second;
    }
  }
  SumBuckets(w, r);
  // A class's p95 is over all its queries: its self-hosted ones as one mixture, beside its API options' p95s.
  for (std::size_t ci = 0; ci < r.classes.size(); ++ci) {
    const auto it = fleet.class_latency_p95_s.find(ci);
    if (it == fleet.class_latency_p95_s.end()) continue;
    double api = 0;
    for (const BucketPlan& b : r.buckets) {
      if (b.class_index != ci) continue;
      for (const ChosenShare& sh : b.shares) {
        if (!fleet.fits.count(sh.setting.system)) api = std::max(api, sh.figures.latency_p95_s);
      }
    }
    r.classes[ci].latency_p95_s = std::max(api, it->second);
  }
  r.inference_usd_per_month = 0;
  for (const ClassPlan& p : r.classes) r.inference_usd_per_month += p.usd_per_month;
}

}  // namespace

// Which evidence the plan's largest spend rests on: a user acting on the plan should see whether its biggest line
// stands on a fitted curve or on a few transcribed reports, and the interval those give.
void NoteLargestSpend(PlanResult& r, double level) {
  const BucketPlan* top_bucket = nullptr;
  const ChosenShare* top = nullptr;
  double top_usd = 0, total_usd = 0;
  for (const BucketPlan& b : r.buckets) {
    for (const ChosenShare& sh : b.shares) {
      const double usd = b.queries_per_month * sh.fraction * sh.figures.cost_usd;
      total_usd += usd;
      if (usd > top_usd) top_usd = usd, top = &sh, top_bucket = &b;
    }
  }
  if (top == nullptr || !(total_usd > 0)) return;
  r.notes.push_back(fmt::format(
      "largest spend: class {} bucket {}, {}, {} ({:.0f}% of the per-query spend) rests on {}: accuracy {:.3f}, "
      "{:.0f}% interval [{:.3f}, {:.3f}]{}",
      top_bucket->class_name, top_bucket->bucket, top->setting.Describe(), UsdPerMonth(top_usd),
      100 * top_usd / total_usd, top->figures.source, top->figures.accuracy, 100 * level,
      top->figures.interval.lower, top->figures.interval.upper,
      top->setting.from_curve ? "" : " (stored runs: the interval counts their distinct problems)"));
}

bool PlanOptions::IsValid(std::string* error) const {
  auto fail = [&](const std::string& text) {
    if (error) *error = text;
    return false;
  };
  if (budget_usd_per_month && !(*budget_usd_per_month >= 0)) return fail("budget must be >= 0");
  if (target_accuracy && !(*target_accuracy >= 0 && *target_accuracy <= 1)) return fail("target accuracy must be in [0, 1]");
  if (!(peak_utilisation > 0 && peak_utilisation <= 1)) return fail("peak utilisation must be in (0, 1]");
  for (double m : volume_sweep) if (!(m > 0)) return fail("volume multipliers must be > 0");
  return this->options.IsValid(error);
}

namespace {

// What the passes of MakePlan hand on to one another besides the result: the LP of every training tier, the
// chosen scenario, the factors the self-hosted prices were rescaled by, the training prices.
struct PlanState {
  std::map<std::string, std::vector<LpBucket>> lp_by_tier;
  Scenario best;
  std::map<std::string, double> price_factor;  // per self-hosted system: the fleet's price over the first guess
  std::optional<TrainingPrices> prices;
  double budget_cut = 0;  // taken off the LP's budget so that the bill of whole devices stays within the budget
};

// The budget the LP solves under: the plan's, less the capacity pass's cut.
std::optional<double> LpBudget(const PlanResult& r, const PlanState& s) {
  if (!r.budget_usd_per_month) return std::nullopt;
  return std::max(0.0, *r.budget_usd_per_month - s.budget_cut);
}

// The plan's header from the workload and the options (an option given overrides the workload's).
PlanResult StartPlan(const PlanInputs& in, const PlanOptions& opt) {
  std::string error;
  if (!opt.IsValid(&error)) throw UsageError("plan: " + error);
  if (in.curves == nullptr) throw InternalError("plan: no curve set");
  const Workload& w = in.workload;
  PlanResult r;
  r.workload_name = w.name;
  r.objective = opt.objective.value_or(w.objective);
  r.budget_usd_per_month = opt.budget_usd_per_month ? opt.budget_usd_per_month : w.budget_usd_per_month;
  r.target_accuracy = opt.target_accuracy ? opt.target_accuracy : w.target_accuracy;
  r.robust = opt.robust;
  r.fits_hash = in.curves->fits_hash;
  r.passes.push_back({"load", in.load_seconds});
  if (r.objective == Objective::kMaxAccuracy && !r.budget_usd_per_month) {
    throw UsageError("the max_accuracy objective needs a budget (--budget or budget_usd_per_month)");
  }
  return r;
}

// Options pass: every class's scored candidates (reused where the caller kept them), their notes once each.
void ScoreOptions(const PlanInputs& in, const PlanOptions& opt, PlanResult& r) {
  const Workload& w = in.workload;
  SharedCandidates& candidates = r.candidates;
  candidates.resize(w.classes.size());
  std::unordered_set<std::string> noted;  // the texts already in r.notes
  MissingNotes missing;
  for (std::size_t ci = 0; ci < w.classes.size(); ++ci) {
    if (ci < in.reuse.size() && in.reuse[ci]) {
      candidates[ci] = in.reuse[ci];
    } else {
      auto generated = std::make_shared<ClassCandidates>();
      generated->candidates = GenerateCandidates(w, w.classes[ci], *in.curves, in.runs, in.catalogues, opt.options,
                                                 &generated->notes, &generated->missing);
      candidates[ci] = std::move(generated);
    }
    for (const std::string& note : candidates[ci]->notes) {
      if (noted.insert(note).second) r.notes.push_back(note);
    }
    for (const MissingCurves& m : candidates[ci]->missing) missing.Add(w.classes[ci].name, m);
  }
  for (std::string& note : missing.Notes()) r.notes.push_back(std::move(note));
}

// Routing pass: per training tier, one LP class per (task class, predicted bucket) with its mixed options.
std::map<std::string, std::vector<LpBucket>> RouteAllTiers(const Workload& w, const SharedCandidates& candidates) {
  std::map<std::string, std::vector<LpBucket>> lp_by_tier;
  for (const std::string& tier : TierNames(w)) lp_by_tier[tier] = BuildLp(w, candidates, RouterMode::kAsGiven, tier);
  return lp_by_tier;
}

// Solve pass: the best tier's allocation, assembled into the plan; infeasible (with its reason) when no tier is.
void SolveAndAssemble(const Workload& w, const PlanOptions& opt, PlanState& s, PlanResult& r) {
  if (!SolveTiers(w, s.lp_by_tier, r, opt, LpBudget(r, s), &s.best)) {
    r.feasible = false;
    if (r.reason.empty()) r.reason = "no feasible plan";
    return;
  }
  r.feasible = true;
  AssembleAllocation(w, r.candidates, s.best, r);
}

// Provision the fleet; while its bill and the LP's self-hosted prices disagree, rescale those prices and re-solve
// (at most kFleetRounds rounds); then the fleet's bill and latencies replace the per-query figures.
void ProvisionAtFleetPrices(const PlanInputs& in, const PlanOptions& opt, PlanState& s, PlanResult& r) {
  const Workload& w = in.workload;
  FleetPlan fleet;
  for (int round = 0;; ++round) {
    fleet = ProvisionFleet(w, in.catalogues, r.buckets, opt.peak_utilisation);
    bool agree = true;
    for (const auto& [system, f] : fleet.price_factor) agree = agree && std::abs(f - 1) <= kPriceTolerance;
    if (agree || round == kFleetRounds) break;
    for (auto& [tier, lp] : s.lp_by_tier) RescaleSelfHosted(lp, r.candidates, fleet.price_factor);
    for (const auto& [system, f] : fleet.price_factor) s.price_factor.try_emplace(system, 1.0).first->second *= f;
    Scenario next;
    if (!SolveTiers(w, s.lp_by_tier, r, opt, LpBudget(r, s), &next)) {
      r.feasible = false;
      r.reason = "at the provisioned fleet's prices: " + r.reason;
      return;
    }
    s.best = std::move(next);
    AssembleAllocation(w, r.candidates, s.best, r);
  }
  ApplyFleet(w, in.catalogues, fleet, r);
}

// Rounds of cutting the LP's budget where whole devices put the bill over it: doublings of the cut until a plan
// fits, then bisections between the largest cut that did not fit and the smallest that did.
constexpr int kCutDoublings = 6;
constexpr int kCutBisections = 6;

// What the plan costs a month as billed: inference (whole devices at the hourly price, APIs, verifiers) and the
// amortised training.
double Bill(const PlanResult& r) { return r.inference_usd_per_month + r.training_usd_per_month; }

bool OverBudget(const PlanResult& r) {
  return r.objective == Objective::kMaxAccuracy && r.budget_usd_per_month &&
         Bill(r) > *r.budget_usd_per_month * (1 + 1e-9);
}

// One plan with the LP's budget cut by `cut`, from the state the first provisioning left.
struct CutPlan {
  PlanState s;
  PlanResult r;
  bool fits = false;  // feasible and billed within the budget
};

CutPlan PlanWithCut(const PlanInputs& in, const PlanOptions& opt, const std::vector<std::string>& notes,
                    const PlanState& s0, const PlanResult& r0, double cut) {
  CutPlan p{s0, r0, false};
  p.s.budget_cut = cut;
  Scenario next;
  if (!SolveTiers(in.workload, p.s.lp_by_tier, p.r, opt, LpBudget(p.r, p.s), &next)) return p;
  p.s.best = std::move(next);
  AssembleAllocation(in.workload, p.r.candidates, p.s.best, p.r);
  p.r.notes = notes;
  ProvisionAtFleetPrices(in, opt, p.s, p.r);
  p.fits = p.r.feasible && !OverBudget(p.r);
  return p;
}

// The LP's budget constraint holds on fractional capacity; rounding up to whole devices and replicas can break it.
// The LP is then planned again under the budget less a cut, the cut doubled from the bill's excess until the bill
// fits and then bisected, keeping the most accurate plan that fits: the LP sees a fleet's price per query, not its
// whole-replica steps, so the bill is not monotone in the cut and the search keeps what it confirmed. Where no cut
// fits, the plan is infeasible with the numbers.
void KeepBillWithinBudget(const PlanInputs& in, const PlanOptions& opt, const std::vector<std::string>& notes,
                          PlanState& s, PlanResult& r) {
  if (!OverBudget(r)) return;
  const double budget = *r.budget_usd_per_month, first_bill = Bill(r);
  const PlanState s0 = s;
  const PlanResult r0 = r;
  std::optional<CutPlan> best;
  double over = 0, fits = first_bill - budget;  // the largest cut known over the budget; the next cut to try
  for (int round = 0; round < kCutDoublings && !best; ++round, fits *= 2) {
    CutPlan p = PlanWithCut(in, opt, notes, s0, r0, std::min(fits, budget));
    if (p.fits) best = std::move(p);
    else over = fits;
  }
  if (!best) {
    r.feasible = false;
    r.reason = fmt::format("whole devices put the bill at {} against the budget of {}, and no plan under a budget "
                           "cut by up to {} fits in whole devices",
                           UsdPerMonth(first_bill), UsdPerMonth(budget), UsdPerMonth(std::min(fits / 2, budget)));
    return;
  }
  for (int round = 0; round < kCutBisections; ++round) {
    const double mid = (over + best->s.budget_cut) / 2;
    CutPlan p = PlanWithCut(in, opt, notes, s0, r0, mid);
    if (!p.fits) {
      over = mid;
    } else if (p.r.accuracy >= best->r.accuracy) {
      best = std::move(p);
    }
  }
  s = std::move(best->s);
  r = std::move(best->r);
  r.notes.push_back(fmt::format("cost: whole devices put the first fleet's bill at {} against the budget of {}; "
                                "planned under {} so that the bill, {}, stays within it",
                                UsdPerMonth(first_bill), UsdPerMonth(budget), UsdPerMonth(*LpBudget(r, s)),
                                UsdPerMonth(Bill(r))));
}

// Capacity pass: the fleet at agreed prices, with its bill kept within the budget.
void ProvisionCapacity(const PlanInputs& in, const PlanOptions& opt, PlanState& s, PlanResult& r) {
  const std::vector<std::string> notes = r.notes;  // before the fleet's own: each re-provisioning writes them anew
  ProvisionAtFleetPrices(in, opt, s, r);
  if (r.feasible) KeepBillWithinBudget(in, opt, notes, s, r);
}

// Per class, the accuracy and monthly cost of an alternative router's scenario.
void RecordRouterAlternative(const Workload& w, const Scenario& s, RouterMode mode, PlanResult& r) {
  std::vector<double> acc(w.classes.size(), 0.0), usd(w.classes.size(), 0.0);
  for (std::size_t i = 0; i < s.lp.size(); ++i) {
    const TaskClassSpec& c = w.classes[s.lp[i].class_index];
    for (const Share& sh : s.alloc.classes[i].shares) {
      const Figures& f = s.lp[i].options[sh.option].figures;
      acc[s.lp[i].class_index] += s.lp[i].routed.mass * sh.fraction * f.accuracy;
      usd[s.lp[i].class_index] += c.daily_volume * w.days_per_month * s.lp[i].routed.mass * sh.fraction * f.cost_usd;
    }
  }
  for (std::size_t ci = 0; ci < w.classes.size(); ++ci) {
    if (w.classes[ci].buckets.size() == 1) continue;
    if (mode == RouterMode::kPerfect) {
      r.classes[ci].accuracy_perfect_router = acc[ci];
      r.classes[ci].usd_per_month_perfect_router = usd[ci];
    } else {
      r.classes[ci].accuracy_no_router = acc[ci];
      r.classes[ci].usd_per_month_no_router = usd[ci];
    }
  }
}

// Router analysis pass: the same budget re-planned with a perfect router and with none (at the fleet's prices).
void AnalyseRouters(const Workload& w, const PlanOptions& opt, const PlanState& s, PlanResult& r) {
  bool routed = false;
  for (const TaskClassSpec& c : w.classes) routed = routed || c.buckets.size() > 1;
  if (!opt.analyse_routing || !routed) return;
  for (RouterMode mode : {RouterMode::kPerfect, RouterMode::kNone}) {
    Scenario alt = Solve(w, Rescaled(BuildLp(w, r.candidates, mode, r.chosen_tier), r.candidates, s.price_factor),
                         r.objective, LpBudget(r, s), r.target_accuracy, opt.robust, s.best.fixed_monthly, 1.0);
    if (!alt.alloc.feasible) continue;
    (mode == RouterMode::kPerfect ? r.perfect_router : r.no_router) = Totals(w, alt);
    RecordRouterAlternative(w, alt, mode, r);
  }
}

// Uncertainty pass: the accuracy and objective intervals. Options that read the same fitted curve or run move
// together (their errors are one error); different sources are independent: half-widths add linearly within a
// source and in quadrature across sources.
void PropagateUncertainty(const Workload& w, PlanResult& r) {
  std::map<std::string, std::pair<double, double>> by_source;  // (below, above) in objective units
  for (const BucketPlan& b : r.buckets) {
    const TaskClassSpec& c = w.classes[b.class_index];
    for (const ChosenShare& sh : b.shares) {
      const Candidate& cand = r.candidates[b.class_index]->candidates[sh.candidate];
      for (std::size_t t = 0; t < b.weights.size(); ++t) {
        if (b.weights[t] <= 0 || !cand.per_bucket[t]) continue;
        const Figures& f = *cand.per_bucket[t];
        const double coef = c.daily_volume * w.days_per_month * b.mass * sh.fraction * b.weights[t] * c.value_usd;
        auto& dev = by_source[f.source];
        dev.first += coef * (f.accuracy - f.interval.lower);
        dev.second += coef * (f.interval.upper - f.accuracy);
      }
    }
  }
  double below = 0, above = 0;
  for (const auto& [source, dev] : by_source) {
    below += dev.first * dev.first;
    above += dev.second * dev.second;
  }
  below = std::sqrt(below);
  above = std::sqrt(above);
  const double total_weight = TotalWeight(w) * w.days_per_month;
  const double expected = r.accuracy * total_weight;
  r.accuracy_interval = {std::max(0.0, (expected - below) / total_weight), std::min(1.0, (expected + above) / total_weight)};
  const double cost = r.inference_usd_per_month + r.training_usd_per_month;
  switch (r.objective) {
    case Objective::kMaxAccuracy:
      r.objective_value = expected;
      r.objective_interval = {expected - below, expected + above};
      break;
    case Objective::kMinCost:
      r.objective_value = cost;
      r.objective_interval = {r.objective_value, r.objective_value};
      break;
    case Objective::kMaxNetValue:
      r.objective_value = expected - cost;
      r.objective_interval = {expected - below - cost, expected + above - cost};
      break;
  }
}

// The chosen tier's row shows what the plan bills, as the headline does.
void BillChosenTier(PlanResult& r) {
  for (TierResult& t : r.tiers) {
    if (!t.feasible || t.name != r.chosen_tier) continue;
    t.inference_usd_per_month = r.inference_usd_per_month;
    t.accuracy = r.accuracy;
    t.objective = r.objective == Objective::kMinCost ? -r.objective_value : r.objective_value;
  }
}

// Training optimum pass: the continuous optimum on the tiers' fitted surface and the effect of difficulty.
void OptimiseTrainingSplit(const PlanInputs& in, PlanState& s, PlanResult& r) {
  const Workload& w = in.workload;
  s.prices = PricesOf(w, in.catalogues);
  if (s.prices) r.continuous_training = Continuous(w, *in.curves, *s.prices, r.objective, r.budget_usd_per_month, 1.0);
  r.difficulty_effect = DifficultyEffects(w, *in.curves, s.prices, r.objective, r.budget_usd_per_month);
}

// One volume multiplier of the sweep: the best tier there, its training share and accuracy; nullopt when none is
// feasible.
std::optional<VolumePoint> SweepPoint(const PlanInputs& in, const PlanOptions& opt, PlanState& s, const PlanResult& r,
                                      double m) {
  const Workload& w = in.workload;
  VolumePoint point;
  point.multiplier = m;
  double best_score = 0;
  bool found = false;
  for (const std::string& tier : TierNames(w)) {
    Scenario sc = Solve(w, s.lp_by_tier[tier], r.objective, r.budget_usd_per_month, r.target_accuracy, opt.robust,
                        TierMonthly(w, tier), m);
    if (!sc.alloc.feasible || (found && sc.score <= best_score)) continue;
    found = true;
    best_score = sc.score;
    point.best_tier = tier;
    point.accuracy = Totals(w, sc).accuracy;
    const double total = sc.fixed_monthly + sc.alloc.spend;
    point.training_share = total > 0 ? sc.fixed_monthly / total : 0;
  }
  if (!found) return std::nullopt;
  if (r.continuous_training) {
    const auto ct = Continuous(w, *in.curves, *s.prices, r.objective, r.budget_usd_per_month, m);
    if (ct && ct->optimum.feasible) {
      point.continuous_training_share = ct->optimum.training_share;
      point.continuous_params = ct->optimum.params;
    }
  }
  return point;
}

// Volume sweep pass: how the best tier and the training share move with volume (budget scaled alike).
void SweepVolume(const PlanInputs& in, const PlanOptions& opt, PlanState& s, PlanResult& r) {
  for (double m : opt.volume_sweep) {
    if (std::optional<VolumePoint> point = SweepPoint(in, opt, s, r, m)) r.volume_sweep.push_back(*point);
  }
}

}  // namespace

// The plan as a list of named, timed passes (docs/planner.md); each pass reads what the ones before it left in
// `r` and `s`. An infeasible solve or capacity pass ends the plan there, with its reason.
PlanResult MakePlan(const PlanInputs& in, const PlanOptions& opt) {
  PlanResult r = StartPlan(in, opt);
  const Workload& w = in.workload;
  TimedPasses passes(&r.passes);
  PlanState s;
  passes.Run("options", [&] { ScoreOptions(in, opt, r); });
  passes.Run("routing", [&] { s.lp_by_tier = RouteAllTiers(w, r.candidates); });
  passes.Run("solve", [&] { SolveAndAssemble(w, opt, s, r); });
  if (!r.feasible) return r;
  passes.Run("capacity", [&] { ProvisionCapacity(in, opt, s, r); });
  if (!r.feasible) return r;
  NoteLargestSpend(r, opt.options.level);
  passes.Run("router analysis", [&] { AnalyseRouters(w, opt, s, r); });
  passes.Run("uncertainty", [&] { PropagateUncertainty(w, r); });
  BillChosenTier(r);
  if (opt.analyse_training) passes.Run("training optimum", [&] { OptimiseTrainingSplit(in, s, r); });
  if (!w.tiers.empty() && !opt.volume_sweep.empty()) passes.Run("volume sweep", [&] { SweepVolume(in, opt, s, r); });
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
namespace {

nlohmann::json IntervalJson(const Interval& i) { return nlohmann::json::array({i.lower, i.upper}); }

nlohmann::json SettingJson(const Setting& s) {
  nlohmann::json j = {{"system", s.system},
                      {"mode", std::string(ToString(s.mode))},
                      {"budget_tokens", s.budget ? nlohmann::json(*s.budget) : nlohmann::json(nullptr)},
                      {"effort", s.effort},
                      {"samples", s.samples},
                      {"aggregation", s.aggregation.ToString()},
                      {"origin", s.from_curve ? "curve" : "run"}};
  return j;
}

// Names and reasons come from users; a terminal must not act on control characters in them.
std::string P(std::string_view text) { return PrintableText(text); }

}  // namespace

nlohmann::json PlanResult::ToJson() const {
  using nlohmann::json;
  json j;
  j["workload"] = workload_name;
  j["objective"] = std::string(ToString(objective));
  j["budget_usd_per_month"] = budget_usd_per_month ? json(*budget_usd_per_month) : json(nullptr);
  j["target_accuracy"] = target_accuracy ? json(*target_accuracy) : json(nullptr);
  j["robust"] = robust;
  j["feasible"] = feasible;
  if (!reason.empty()) j["reason"] = reason;
  j["fits_hash"] = fits_hash;
  j["accuracy"] = accuracy;
  j["accuracy_interval"] = IntervalJson(accuracy_interval);
  j["objective_value"] = objective_value;
  j["objective_interval"] = IntervalJson(objective_interval);
  j["inference_usd_per_month"] = inference_usd_per_month;
  j["training_usd_per_month"] = training_usd_per_month;
  const double total = inference_usd_per_month + training_usd_per_month;
  j["training_share"] = total > 0 ? training_usd_per_month / total : 0.0;
  j["fleet_usd_per_month"] = fleet_usd_per_month;
  j["chosen_tier"] = chosen_tier;
  j["allocation"] = json::array();
  for (const BucketPlan& b : buckets) {
    json shares = json::array();
    for (const ChosenShare& s : b.shares) {
      json o = SettingJson(s.setting);
      o["fraction"] = s.fraction;
      o["accuracy"] = s.figures.accuracy;
      o["accuracy_interval"] = IntervalJson(s.figures.interval);
      o["thinking_tokens_mean"] = s.figures.thinking_tokens;
      o["thinking_tokens_p95"] = s.figures.thinking_tokens_p95;
      o["tokens_assumed"] = s.figures.tokens_assumed;
      // What cost and latency were computed with: a stored run's measurement, or the class's figure.
      o["prompt_tokens"] = s.figures.prompt_tokens;
      o["answer_tokens"] = s.figures.answer_tokens;
      o["prompt_tokens_measured"] = s.figures.prompt_measured;
      o["answer_tokens_measured"] = s.figures.answer_measured;
      o["cost_usd_per_query"] = s.figures.cost_usd;
      o["verifier_usd_per_query"] = s.figures.verifier_usd;
      o["latency_p95_s"] = s.figures.latency_p95_s;
      o["latency_p50_s"] = s.figures.latency_p50_s;
      // What an API query is charged per token (the simulator charges the same), and whether the cost per query
      // is the stored runs' measured one.
      o["usd_per_input_token"] = s.figures.usd_per_input_token;
      o["usd_per_output_token"] = s.figures.usd_per_output_token;
      o["cost_measured"] = s.figures.cost_measured;
      o["source"] = s.figures.source;
      // A mix of several true buckets has no one distribution: each is in by_true_bucket.
      const bool mixed = b.weights.size() > 1 && !s.figures.difficulty;
      o["difficulty"] = mixed ? json{{"source", "several true buckets: see by_true_bucket"}} : DifficultyJson(s.figures.difficulty);
      if (b.weights.size() > 1) o["by_true_bucket"] = ByTrueBucketJson(candidates, b, s);
      shares.push_back(o);
    }
    j["allocation"].push_back({{"class", b.class_name},
                               {"bucket", b.bucket},
                               {"traffic_fraction", b.mass},
                               {"true_bucket_mix", b.weights},
                               {"queries_per_month", b.queries_per_month},
                               {"options_considered", b.options_considered},
                               {"accuracy", b.accuracy},
                               {"accuracy_interval", IntervalJson(b.interval)},
                               {"cost_usd_per_query", b.cost_per_query},
                               {"latency_p95_s", b.latency_p95_s},
                               {"trained_fraction", b.trained_fraction},
                               {"options", shares}});
  }
  j["classes"] = json::array();
  for (const ClassPlan& c : classes) {
    json o = {{"name", c.name},
              {"accuracy", c.accuracy},
              {"accuracy_interval", IntervalJson(c.interval)},
              {"cost_usd_per_query", c.cost_per_query},
              {"usd_per_month", c.usd_per_month},
              {"latency_p95_s", c.latency_p95_s},
              {"slo_p95_s", c.slo_p95_s},
              {"router", c.router}};
    if (c.accuracy_perfect_router) {
      o["perfect_router"] = {{"accuracy", *c.accuracy_perfect_router}, {"usd_per_month", *c.usd_per_month_perfect_router}};
    }
    if (c.accuracy_no_router) {
      o["no_router"] = {{"accuracy", *c.accuracy_no_router}, {"usd_per_month", *c.usd_per_month_no_router}};
    }
    j["classes"].push_back(o);
  }
  if (perfect_router) j["perfect_router"] = {{"accuracy", perfect_router->accuracy}, {"usd_per_month", perfect_router->usd_per_month}};
  if (no_router) j["no_router"] = {{"accuracy", no_router->accuracy}, {"usd_per_month", no_router->usd_per_month}};
  j["frontier"] = json::array();
  for (const FrontierPoint& p : frontier) j["frontier"].push_back({{"usd_per_month", p.spend}, {"accuracy", p.accuracy}});
  j["capacity"] = json::array();
  for (const CapacityLine& l : capacity) {
    json alternatives = json::array();
    for (const CapacityLine::Alternative& a : l.alternatives) {
      json o = {{"devices_per_replica", a.devices_per_replica}, {"meets_slo", a.replicas > 0}};
      if (a.replicas > 0) {
        o.update({{"batch", a.batch}, {"replicas", a.replicas}, {"usd_per_month", a.usd_per_month}});
      } else {
        o["refusal"] = a.refusal;
      }
      alternatives.push_back(o);
    }
    j["capacity"].push_back({{"system", l.system}, {"model", l.model}, {"hardware", l.hardware},
                             {"devices_per_replica", l.devices_per_replica}, {"replicas", l.replicas},
                             {"devices", l.devices}, {"peak_queries_per_s", l.peak_queries_per_s},
                             {"peak_tokens_per_s", l.peak_tokens_per_s}, {"busy_devices_at_peak", l.busy_devices_at_peak},
                             {"mean_utilisation", l.mean_utilisation}, {"batch", l.batch},
                             {"kv_gib_per_replica", l.kv_gib_per_replica}, {"usd_per_month", l.usd_per_month},
                             {"peak_utilisation", l.peak_utilisation}, {"batch_limited_by", l.batch_limited_by},
                             {"sizing_context_tokens", l.sizing_context_tokens}, {"weights_gib", l.weights_gib},
                             {"usable_gib", l.usable_gib}, {"wait_p95_s", l.wait_p95_s},
                             {"ttft_p95_s", l.ttft_p95_s}, {"tpot_s", l.tpot_s}, {"alternatives", alternatives}});
  }
  j["tiers"] = json::array();
  for (const TierResult& t : tiers) {
    j["tiers"].push_back({{"name", t.name.empty() ? "(none)" : t.name}, {"training_usd", t.training_usd},
                          {"training_usd_per_month", t.training_usd_per_month},
                          {"inference_usd_per_month", t.inference_usd_per_month}, {"accuracy", t.accuracy},
                          {"objective", t.objective}, {"feasible", t.feasible}, {"reason", t.reason}});
  }
  j["volume_sweep"] = json::array();
  for (const VolumePoint& v : volume_sweep) {
    json point = {{"volume_multiplier", v.multiplier}, {"best_tier", v.best_tier.empty() ? "(none)" : v.best_tier},
                  {"training_share", v.training_share}, {"accuracy", v.accuracy}};
    if (v.continuous_training_share) {
      point["continuous_training_share"] = *v.continuous_training_share;
      point["continuous_params"] = *v.continuous_params;
    }
    j["volume_sweep"].push_back(point);
  }
  if (continuous_training) {
    const TrainingOptimum& o = continuous_training->optimum;
    json streams = json::array();
    for (const DemandChoice& d : o.demands) {
      streams.push_back({{"name", d.name}, {"samples", d.samples}, {"accuracy", d.accuracy},
                         {"inference_usd_per_month", d.inference_usd_per_month}});
    }
    j["continuous_training"] = {
        {"family", continuous_training->family},
        {"budget_usd_per_month", continuous_training->budget_usd_per_month ? json(*continuous_training->budget_usd_per_month) : json(nullptr)},
        {"feasible", o.feasible}, {"reason", o.reason}, {"train_flops", o.train_flops}, {"params", o.params},
        {"training_usd_per_month", o.training_usd_per_month}, {"inference_usd_per_month", o.inference_usd_per_month},
        {"training_share", o.training_share}, {"inference_share", o.feasible ? 1 - o.training_share : 0.0},
        {"accuracy", o.accuracy}, {"objective", o.objective}, {"at_size_bound", o.at_size_bound},
        {"streams", streams}, {"without_surface", continuous_training->without_surface}};
  }
  j["difficulty_effect"] = json::array();
  for (const DifficultyEffect& e : difficulty_effect) {
    auto opt = [](const std::optional<double>& x) { return x ? json(*x) : json(nullptr); };
    j["difficulty_effect"].push_back({{"class", e.class_name}, {"bucket", e.bucket}, {"task_class", e.task_class},
                                      {"difficulty", e.difficulty}, {"family", e.family}, {"t1", e.t1}, {"t2", e.t2},
                                      {"inference_share", e.inference_share},
                                      {"priced_inference_share", opt(e.priced_inference_share)},
                                      {"priced_samples", opt(e.priced_samples)}, {"priced_params", opt(e.priced_params)},
                                      {"spends_on", e.spends_on}, {"basis", e.basis}});
  }
  j["passes"] = json::array();
  for (const TimedPass& p : passes) j["passes"].push_back({{"name", p.name}, {"ms", p.ms()}});
  j["notes"] = notes;
  return j;
}

namespace {

// The configuration search's cheapest fleet per replica size, so that the chosen one can be read against the rest.
std::string CapacityAlternatives(const std::vector<CapacityLine>& capacity) {
  std::string out;
  for (const CapacityLine& l : capacity) {
    if (l.alternatives.empty()) continue;
    out += fmt::format("  {} by devices per replica:", P(l.system));
    for (const CapacityLine::Alternative& a : l.alternatives) {
      const bool chosen = a.devices_per_replica == l.devices_per_replica && a.replicas == l.replicas;
      out += a.replicas > 0 ? fmt::format("  {}: {} x batch {} {}{}", a.devices_per_replica, a.replicas, a.batch,
                                          Usd(a.usd_per_month), chosen ? " (chosen)" : "")
                            : fmt::format("  {}: {}", a.devices_per_replica,
                                          a.refusal.starts_with("one sequence") ? "does not fit" : "misses the SLOs");
    }
    out += fmt::format("; TTFT p95 {:.2f} s, {:.1f} ms/token\n", l.ttft_p95_s, 1e3 * l.tpot_s);
  }
  return out;
}

}  // namespace

std::string PlanResult::BriefReport() const {
  if (!feasible) return fmt::format("plan '{}': infeasible: {}\n", P(workload_name), P(reason));
  return fmt::format("plan '{}' ({}{}): accuracy {}, inference {}, training {}{}\n", P(workload_name),
                     ToString(objective), robust ? ", robust" : "",
                     PercentWithInterval(accuracy, accuracy_interval.lower, accuracy_interval.upper),
                     UsdPerMonth(inference_usd_per_month), UsdPerMonth(training_usd_per_month),
                     chosen_tier.empty() ? "" : " (tier " + P(chosen_tier) + ")");
}

std::string PlanResult::FullReport() const {
  std::string out = BriefReport();
  if (!feasible) {
    for (const std::string& n : notes) out += "note: " + P(n) + "\n";
    return out;
  }
  out += fmt::format("\n{:<12} {:<16} {:>6}  {:<50} {:>6} {:>17} {:>10} {:>8}\n", "class", "bucket", "share", "option",
                     "frac", "accuracy [95%]", "$/query", "p95 s");
  for (const BucketPlan& b : buckets) {
    bool first = true;
    for (const ChosenShare& s : b.shares) {
      out += fmt::format("{:<12} {:<16} {:>6}  {:<50} {:>6} {:>5.1f} [{:>4.1f},{:>5.1f}] {:>10.5f} {:>8.1f}\n",
                         first ? P(b.class_name) : "", first ? P(b.bucket) : "", first ? Percent(b.mass, 0) : "",
                         P(s.setting.Describe()), Percent(s.fraction, 0), 100 * s.figures.accuracy,
                         100 * s.figures.interval.lower, 100 * s.figures.interval.upper, s.figures.cost_usd,
                         s.figures.latency_p95_s);
      first = false;
    }
  }
  out += fmt::format("\n{:<14} {:>16} {:>12} {:>10} {:>8} {:>6}  {}\n", "class", "accuracy [95%]", "$/month", "$/query",
                     "p95 s", "SLO", "router (perfect / none)");
  for (const ClassPlan& c : classes) {
    std::string router = P(c.router);
    if (c.accuracy_perfect_router) {
      router += fmt::format(" ({} {} / {} {})", Percent(*c.accuracy_perfect_router), Usd(*c.usd_per_month_perfect_router),
                            Percent(c.accuracy_no_router.value_or(0)), Usd(c.usd_per_month_no_router.value_or(0)));
    }
    out += fmt::format("{:<14} {:>5.1f} [{:>4.1f},{:>5.1f}] {:>12} {:>10.5f} {:>8.1f} {:>6.0f}  {}\n", P(c.name),
                       100 * c.accuracy, 100 * c.interval.lower, 100 * c.interval.upper, Usd(c.usd_per_month),
                       c.cost_per_query, c.latency_p95_s, c.slo_p95_s, router);
  }
  if (perfect_router) {
    out += fmt::format("\nrouter error: a perfect router would give {} ({:+.2f} points) at {}; no router {} at {}\n",
                       Percent(perfect_router->accuracy, 2), 100 * (perfect_router->accuracy - accuracy),
                       UsdPerMonth(perfect_router->usd_per_month), Percent(no_router.value_or(RoutingTotals{}).accuracy, 2),
                       UsdPerMonth(no_router.value_or(RoutingTotals{}).usd_per_month));
  }
  if (!capacity.empty()) {
    out += fmt::format("\n{:<24} {:<16} {:>7} {:>8} {:>9} {:>10} {:>13} {:>15} {:>8} {:>9} {:>10}\n", "capacity (peak)",
                       "hardware", "devices", "replicas", "queries/s", "tokens/s", "batch", "weights+KV GiB",
                       "wait p95", "util pk/mn", "$/month");
    for (const CapacityLine& l : capacity) {
      out += fmt::format("{:<24} {:<16} {:>7} {:>8} {:>9.2f} {:>10.0f} {:>13} {:>15} {:>8.1f} {:>9} {:>10}\n",
                         P(l.system), P(l.hardware), l.devices, l.replicas, l.peak_queries_per_s, l.peak_tokens_per_s,
                         fmt::format("{} ({})", l.batch, l.batch_limited_by == "KV memory" ? "KV" : l.batch_limited_by == "latency" ? "SLO" : "cap"),
                         fmt::format("{:.1f}+{:.1f}/{:.1f}", l.weights_gib, l.kv_gib_per_replica, l.usable_gib), l.wait_p95_s,
                         Percent(l.peak_utilisation, 0) + "/" + Percent(l.mean_utilisation, 0), Usd(l.usd_per_month));
    }
    out += CapacityAlternatives(capacity);
  }
  if (!tiers.empty()) {
    out += "\ntraining tiers (training amortised over the horizon):\n";
    for (const TierResult& t : tiers) {
      out += fmt::format("  {:<34} training {:>10}/month  inference {:>10}/month  accuracy {:>6}{}\n",
                         t.name.empty() ? "(no training)" : P(t.name), Usd(t.training_usd_per_month),
                         Usd(t.inference_usd_per_month), Percent(t.accuracy), t.feasible ? "" : "  infeasible: " + P(t.reason));
    }
    const double total = training_usd_per_month + inference_usd_per_month;
    out += fmt::format("  split: {} training, {} inference\n", Percent(total > 0 ? training_usd_per_month / total : 0.0, 0),
                       Percent(total > 0 ? inference_usd_per_month / total : 0.0, 0));
    for (const BucketPlan& b : buckets) {
      out += fmt::format("  {:<28} {:>5} of traffic on the trained model, {:>5} on models already trained\n",
                         P(b.class_name + " / " + b.bucket), Percent(b.trained_fraction, 0),
                         Percent(1 - b.trained_fraction, 0));
    }
    if (continuous_training) {
      const TrainingOptimum& o = continuous_training->optimum;
      if (o.feasible) {
        out += fmt::format("  continuous optimum if a model is trained, on the fitted {} surface: N = {:.1f}B (C = {:.2e} FLOPs{}), "
                           "split: {} training, {} inference ({} + {}), accuracy {}\n",
                           P(continuous_training->family), o.params / 1e9, o.train_flops,
                           o.at_size_bound ? ", at the end of the tiers' range" : "", Percent(o.training_share, 0),
                           Percent(1 - o.training_share, 0), UsdPerMonth(o.training_usd_per_month),
                           UsdPerMonth(o.inference_usd_per_month), Percent(o.accuracy));
        for (const DemandChoice& d : o.demands) {
          out += fmt::format("    {:<28} {:>5.1f} samples, accuracy {} on the surface\n", P(d.name), d.samples, Percent(d.accuracy));
        }
      } else {
        out += "  continuous optimum: " + P(o.reason) + "\n";
      }
      if (!continuous_training->without_surface.empty()) {
        std::string list;
        for (const std::string& b : continuous_training->without_surface) list += (list.empty() ? "" : ", ") + b;
        out += "    (no fitted surface, left out: " + P(list) + ")\n";
      }
    }
    for (const VolumePoint& v : volume_sweep) {
      out += fmt::format("  at {:>5.1f}x volume: {:<34} {} training, accuracy {}", v.multiplier,
                         v.best_tier.empty() ? "(no training)" : P(v.best_tier), Percent(v.training_share, 0),
                         Percent(v.accuracy));
      if (v.continuous_training_share) {
        out += fmt::format("; continuous (if trained): {} training, N = {:.1f}B", Percent(*v.continuous_training_share, 0),
                           *v.continuous_params / 1e9);
      }
      out += "\n";
    }
  }
  if (!difficulty_effect.empty()) {
    out += "\ntraining vs thinking by difficulty (share of the optimum's spend on inference; Snell et al.):\n";
    out += fmt::format("  {:<32} {:<26} {:>7} {:>7} {:>13} {:>8} {:>8}  {}\n", "class / bucket", "surface family", "t1",
                       "t2", "unconstrained", "priced", "samples", "spends on");
    for (const DifficultyEffect& e : difficulty_effect) {
      out += fmt::format("  {:<32} {:<26} {:>7.3f} {:>7.3f} {:>13} {:>8} {:>8}  {}\n", P(e.class_name + " / " + e.bucket),
                         P(e.family), e.t1, e.t2, Percent(e.inference_share, 0),
                         e.priced_inference_share ? Percent(*e.priced_inference_share, 0) : "-",
                         e.priced_samples ? fmt::format("{:.1f}", *e.priced_samples) : "-", e.spends_on);
    }
  }
  if (!frontier.empty()) {
    out += "\nfrontier ($/month -> accuracy):";
    const std::size_t step = std::max<std::size_t>(1, frontier.size() / 8);
    for (std::size_t i = 0; i < frontier.size(); i += step) {
      out += fmt::format("  {} {}", Usd(frontier[i].spend), Percent(frontier[i].accuracy));
    }
    out += fmt::format("  {} {}\n", Usd(frontier.back().spend), Percent(frontier.back().accuracy));
  }
  out += "\npasses:";
  for (const TimedPass& p : passes) out += fmt::format("  {} {:.1f} ms", p.name, p.ms());
  out += "\n";
  for (const std::string& n : notes) out += "note: " + P(n) + "\n";
  return out;
}

}  // namespace thinkplan::planner
