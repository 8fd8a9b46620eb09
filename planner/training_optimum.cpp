#include "planner/training_optimum.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/special_functions.h"

namespace thinkplan::planner {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// The maximiser of f on [lo, hi] given its derivative df: the best point of a uniform grid (which guards against
// the several local maxima a sigmoid less an exponential can have), then bisection on the sign of df between the
// grid point's neighbours. Bisection on the derivative reaches machine precision where comparing values of a flat
// maximum could not (it would stop at about the square root of it).
template <typename F, typename DF>
double Maximise(F&& f, DF&& df, double lo, double hi, int grid) {
  if (!(hi > lo)) return lo;
  const double step = (hi - lo) / grid;
  int best = 0;
  double best_f = kNegInf;
  for (int i = 0; i <= grid; ++i) {
    const double v = f(i == grid ? hi : lo + step * i);
    if (v > best_f) best = i, best_f = v;
  }
  double a = best == 0 ? lo : lo + step * (best - 1), b = best == grid ? hi : lo + step * (best + 1);
  if (df(a) <= 0) return best == 0 ? lo : lo + step * best;   // rising nowhere to the right of a: a bound or flat
  if (df(b) >= 0) return best == grid ? hi : lo + step * best;
  for (int it = 0; it < 200 && b - a > 4 * std::numeric_limits<double>::epsilon() * (1 + std::abs(a)); ++it) {
    const double mid = 0.5 * (a + b);
    (df(mid) > 0 ? a : b) = mid;
  }
  return 0.5 * (a + b);
}

// The streams at one training compute: each stream's logit at k = 1 and its inference USD per month at k = 1.
struct AtSize {
  double train_flops = 0, params = 0, training_usd = 0;
  std::vector<double> logit1, spend1, weight;
};

struct Choice {
  std::vector<double> y;  // ln k per stream
  double value = 0;       // sum of weight x accuracy
  double spend = 0;       // inference
  double marginal = 0;    // d value / d ln C at these k (the k move with C, but at their optimum that adds nothing)
};

// Each stream's ln k maximising weight x accuracy - price x inference spend (price 0: as many samples as allowed).
Choice Choose(const std::vector<TrainingDemand>& demands, const AtSize& at, double price, double y_max) {
  Choice c;
  for (std::size_t d = 0; d < demands.size(); ++d) {
    const double t1 = demands[d].surface.t1, t2 = demands[d].surface.t2;
    const double w = at.weight[d], z = at.logit1[d], b = at.spend1[d];
    double y = 0;
    if (t2 > 0) {
      const auto g = [&](double v) { return w * Sigmoid(z + t2 * v) - price * b * std::exp(v); };
      const auto dg = [&](double v) {
        const double p = Sigmoid(z + t2 * v);
        return w * t2 * p * (1 - p) - price * b * std::exp(v);
      };
      y = price <= 0 ? y_max : Maximise(g, dg, 0.0, y_max, 24);
    }
    const double p = Sigmoid(z + t2 * y);
    c.y.push_back(y);
    c.value += w * p;
    c.spend += b * std::exp(y);
    c.marginal += w * t1 * p * (1 - p);
  }
  return c;
}

struct SizeOutcome {
  double objective = kNegInf;
  double derivative = -1;  // d objective / d ln C (the envelope: the k and the budget's price held at their optimum)
  Choice choice;
};

// The best choice of samples at one size (objective -inf where the budget cannot pay for it).
SizeOutcome BestAtSize(const std::vector<TrainingDemand>& demands, const AtSize& at, const TrainingOptimumOptions& o) {
  const double y_max = std::log(o.max_samples);
  SizeOutcome out;
  if (!o.budget_usd_per_month) {
    out.choice = Choose(demands, at, 1.0, y_max);
    // Training and every stream's inference spend are proportional to C.
    out.objective = out.choice.value - out.choice.spend - at.training_usd;
    out.derivative = out.choice.marginal - out.choice.spend - at.training_usd;
    return out;
  }
  const double left = *o.budget_usd_per_month - at.training_usd;
  double floor_spend = 0;
  for (double b : at.spend1) floor_spend += b;
  if (left < floor_spend * (1 - 1e-12)) return out;
  double price = 0;
  out.choice = Choose(demands, at, 0.0, y_max);
  if (out.choice.spend > left) {
    // The price of inference spend that makes the streams spend what is left: bisection on its logarithm.
    double lo = -30, hi = 0;
    while (Choose(demands, at, std::exp(hi), y_max).spend > left && hi < 200) lo = hi, hi += 10;
    for (int it = 0; it < 200 && hi - lo > 1e-14 * (1 + std::abs(lo)); ++it) {
      const double mid = 0.5 * (lo + hi);
      (Choose(demands, at, std::exp(mid), y_max).spend > left ? lo : hi) = mid;
    }
    price = std::exp(hi);
    out.choice = Choose(demands, at, price, y_max);
  }
  out.objective = out.choice.value;
  out.derivative = out.choice.marginal - price * (at.training_usd + out.choice.spend);
  return out;
}

AtSize Size(const std::vector<TrainingDemand>& demands, const TrainingOptimumOptions& o, double ln_c) {
  AtSize at;
  at.train_flops = std::exp(ln_c);
  at.params = at.train_flops / (6 * o.train_tokens);
  at.training_usd = o.usd_per_flop * at.train_flops / o.horizon_months;
  for (const TrainingDemand& d : demands) {
    at.logit1.push_back(d.surface.t0 + d.surface.t1 * ln_c);
    at.spend1.push_back(d.queries_per_month * d.usd_per_param_sample * at.params);
    at.weight.push_back(d.queries_per_month * d.value_usd);
  }
  return at;
}

}  // namespace

bool TrainingOptimumOptions::IsValid(std::string* error) const {
  auto fail = [&](const char* text) {
    if (error) *error = text;
    return false;
  };
  if (!(usd_per_flop >= 0 && std::isfinite(usd_per_flop))) return fail("usd_per_flop must be finite and >= 0");
  if (!(horizon_months > 0 && std::isfinite(horizon_months))) return fail("horizon_months must be > 0");
  if (!(train_tokens > 0 && std::isfinite(train_tokens))) return fail("train_tokens must be > 0");
  if (!(min_train_flops > 0 && max_train_flops >= min_train_flops && std::isfinite(max_train_flops))) {
    return fail("the training compute range must satisfy 0 < min <= max");
  }
  if (!(max_samples >= 1 && std::isfinite(max_samples))) return fail("max_samples must be >= 1");
  if (budget_usd_per_month && !(*budget_usd_per_month >= 0 && std::isfinite(*budget_usd_per_month))) {
    return fail("the budget must be finite and >= 0");
  }
  return true;
}

TrainingOptimum OptimiseTraining(const std::vector<TrainingDemand>& demands, const TrainingOptimumOptions& o) {
  TrainingOptimum out;
  std::string error;
  if (!o.IsValid(&error)) {
    out.reason = error;
    return out;
  }
  if (demands.empty()) {
    out.reason = "no traffic with a fitted training surface";
    return out;
  }
  const double lo = std::log(o.min_train_flops), hi = std::log(o.max_train_flops);
  const auto at_size = [&](double ln_c) { return BestAtSize(demands, Size(demands, o, ln_c), o); };
  const double ln_c = Maximise([&](double x) { return at_size(x).objective; },
                               [&](double x) { return at_size(x).derivative; }, lo, hi, 80);
  const AtSize at = Size(demands, o, ln_c);
  const SizeOutcome best = BestAtSize(demands, at, o);
  const Choice& choice = best.choice;
  const double value = best.objective;
  if (value == kNegInf) {
    out.reason = "the budget does not cover the smallest model's training and one sample per query";
    return out;
  }
  out.feasible = true;
  out.train_flops = at.train_flops;
  out.params = at.params;
  out.training_usd_per_month = at.training_usd;
  out.inference_usd_per_month = choice.spend;
  const double total = at.training_usd + choice.spend;
  out.training_share = total > 0 ? at.training_usd / total : 0;
  out.objective = value;
  out.at_size_bound = std::abs(ln_c - lo) < 1e-6 || std::abs(ln_c - hi) < 1e-6;
  double weight = 0;
  for (std::size_t d = 0; d < demands.size(); ++d) {
    const double accuracy = Sigmoid(at.logit1[d] + demands[d].surface.t2 * choice.y[d]);
    out.demands.push_back({demands[d].name, std::exp(choice.y[d]), accuracy, at.spend1[d] * std::exp(choice.y[d])});
    out.accuracy += at.weight[d] * accuracy;
    weight += at.weight[d];
  }
  if (weight > 0) out.accuracy /= weight;
  return out;
}

std::optional<double> UnconstrainedInferenceShare(const TrainingSurface& s) {
  if (!(s.t1 > 0) || !(s.t2 > 0) || !(s.t2 < s.t1)) return std::nullopt;
  return s.t2 / s.t1;
}

}  // namespace thinkplan::planner
