#include "planner/exchange.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace thinkplan::planner {
namespace {

std::string KeyText(const TrainingKey& k) {
  return k.difficulty.empty() ? fmt::format("{} / {}", k.family, k.task_class)
                              : fmt::format("{} / {} / {}", k.family, k.task_class, k.difficulty);
}

std::string AxisWord(TestTimeAxis axis) { return axis == TestTimeAxis::kSamples ? "samples" : "thinking tokens"; }

// Test-time factor a model needs to match one `size_ratio` times larger (same data, so training compute scales
// with size): size_ratio^(t1 / t2) on the fitted surface.
double FactorToMatch(const ExchangeRate& r, double size_ratio) { return std::pow(size_ratio, r.t1 / r.t2); }

std::string Compact(double x) {
  if (x == 0) return "0";
  const double e = std::floor(std::log10(std::abs(x)));
  if (e >= 4 || e <= -3) return fmt::format("{:.2g}", x);
  return fmt::format("{:.3g}", x);
}

}  // namespace

bool ExchangeOptions::IsValid(std::string* error) const {
  auto fail = [&](const std::string& text) {
    if (error) *error = text;
    return false;
  };
  for (double m : size_ratios) if (!(m >= 1) || !std::isfinite(m)) return fail("size ratios M must be finite and >= 1");
  for (double r : inference_to_pretrain) if (!(r > 0) || !std::isfinite(r)) return fail("token ratios R must be finite and > 0");
  for (double d : inference_tokens) if (!(d >= 0) || !std::isfinite(d)) return fail("inference demands must be finite and >= 0");
  if (target_loss && !(*target_loss > 0)) return fail("the target loss must be > 0");
  if (!(reference_params > 0 && reference_tokens > 0)) return fail("the reference model needs parameters and tokens > 0");
  if (!(level > 0 && level < 1)) return fail("the interval level must be in (0, 1)");
  return true;
}

ExchangeSummary ComputeExchange(const std::map<TrainingKey, TrainingSurface>& surfaces,
                                const std::vector<UnusableSurface>& unusable,
                                const std::vector<ChinchillaLaw>& laws, const ExchangeOptions& options) {
  ExchangeSummary s;
  s.level = options.level;
  auto wanted = [&](const TrainingKey& k) { return !options.task_class || k.task_class == *options.task_class; };
  for (const auto& [key, surface] : surfaces) {
    if (!wanted(key)) continue;
    ExchangeRate r;
    r.key = key;
    r.axis = surface.axis;
    r.status = surface.quality.status;
    r.reason = surface.quality.reason;
    r.n_points = surface.quality.n_points;
    r.t1 = surface.t1;
    r.t2 = surface.t2;
    r.defined = surface.quality.usable() && surface.t2 > 0;
    if (r.defined) {
      r.rate = surface.ExchangeRate();
      r.interval = surface.ExchangeRateInterval(options.level);
    } else if (r.reason.empty()) {
      r.reason = "t2 <= 0: more test-time compute does not raise accuracy on this surface, so no rate";
    }
    s.rates.push_back(r);
  }
  for (const UnusableSurface& u : unusable) {
    if (!wanted(u.key)) continue;
    ExchangeRate r;
    r.key = u.key;
    r.axis = u.axis;
    r.status = u.status;
    r.reason = u.reason;
    r.n_points = u.n_points;
    s.rates.push_back(r);
  }
  for (double m : options.size_ratios) {
    for (double ratio : options.inference_to_pretrain) {
      // Snell's D_pretrain / D_inference is 1 / R.
      s.snell.push_back({m, ratio, SnellMatchedMultiplier(m, 1.0, ratio)});
    }
  }
  for (const ChinchillaLaw& law : laws) {
    LawOptima lo;
    lo.law = law.name;
    lo.target_loss = options.target_loss.value_or(law.Loss(options.reference_params, options.reference_tokens));
    for (double d : options.inference_tokens) lo.points.push_back({d, SardanaFrankleOptimum(law, lo.target_loss, d)});
    s.sardana_frankle.push_back(std::move(lo));
  }
  return s;
}

nlohmann::json ExchangeSummary::ToJson() const {
  using nlohmann::json;
  json j;
  j["level"] = level;
  j["rates"] = json::array();
  for (const ExchangeRate& r : rates) {
    json o = {{"family", r.key.family}, {"task_class", r.key.task_class}, {"difficulty", r.key.difficulty},
              {"axis", std::string(ToString(r.axis))}, {"status", std::string(ToString(r.status))},
              {"n_points", r.n_points}, {"defined", r.defined}};
    if (!r.reason.empty()) o["reason"] = r.reason;
    if (r.defined) {
      o["t1"] = r.t1;
      o["t2"] = r.t2;
      o["rate"] = r.rate;
      // JSON has no infinity: an end that overflows (t2 near 0) is null, read as unbounded.
      auto end = [](double x) { return std::isfinite(x) ? json(x) : json(nullptr); };
      o["interval"] = {end(r.interval.lower), end(r.interval.upper)};
    }
    j["rates"].push_back(o);
  }
  j["snell"] = json::array();
  for (const SnellCell& c : snell) {
    j["snell"].push_back({{"size_ratio", c.size_ratio}, {"inference_to_pretrain", c.inference_to_pretrain},
                          {"multiplier", c.multiplier}});
  }
  j["sardana_frankle"] = json::array();
  for (const LawOptima& lo : sardana_frankle) {
    json points = json::array();
    for (const DemandOptimum& p : lo.points) {
      const auto& o = p.optimum;
      json q = {{"inference_tokens", p.inference_tokens}, {"status", std::string(ToString(o.status))}};
      if (o.status == FitStatus::kOk) {
        q.update({{"params", o.params}, {"train_tokens", o.train_tokens}, {"tokens_per_param", o.train_tokens / o.params},
                  {"train_flops", o.train_flops}, {"inference_flops", o.inference_flops}, {"total_flops", o.total_flops}});
      } else {
        q["reason"] = o.reason;
      }
      points.push_back(q);
    }
    j["sardana_frankle"].push_back({{"law", lo.law}, {"target_loss", lo.target_loss}, {"points", points}});
  }
  return j;
}

std::string ExchangeSummary::BriefReport() const {
  long defined = 0;
  for (const ExchangeRate& r : rates) defined += r.defined;
  return fmt::format("exchange: {} training surface(s), {} with a rate; {} FLOPs-matched cells; {} loss law(s)\n",
                     rates.size(), defined, snell.size(), sardana_frankle.size());
}

std::string ExchangeSummary::FullReport() const {
  std::string out = BriefReport();
  out += fmt::format("\nExchange rates: 10x training compute is worth X x test-time compute [{:.0f}% interval]\n", 100 * level);
  out += fmt::format("{:<58} {:<16} {:>12} {:>22}  {:<18} {}\n", "family / class / difficulty", "axis", "X",
                     "interval", "status", "points");
  if (rates.empty()) out += "  (no training fits stored: run `thinkplan fit --kind training`)\n";
  for (const ExchangeRate& r : rates) {
    const std::string x = r.defined ? Compact(r.rate) : "-";
    const std::string interval =
        r.defined ? fmt::format("[{}, {}]", Compact(r.interval.lower), Compact(r.interval.upper)) : "-";
    out += fmt::format("{:<58} {:<16} {:>12} {:>22}  {:<18} {}\n", KeyText(r.key), AxisWord(r.axis), x, interval,
                       ToString(r.status), r.n_points);
    if (!r.reason.empty()) out += "    " + r.reason + "\n";
  }

  out += "\nFLOPs-matched multiplier (Snell et al. 2024): test-time compute a small model may spend, as a multiple\n"
         "of its own inference compute, for the FLOPs of a model M times larger: M + 3 (D_pretrain / D_inference) (M - 1)\n";
  out += fmt::format("{:>8}", "M \\ R");
  std::vector<double> ratios;
  for (const SnellCell& c : snell) {
    if (std::find(ratios.begin(), ratios.end(), c.inference_to_pretrain) == ratios.end()) ratios.push_back(c.inference_to_pretrain);
  }
  for (double ratio : ratios) out += fmt::format(" {:>12}", Compact(ratio));
  double row_m = -1;
  for (const SnellCell& c : snell) {
    if (c.size_ratio != row_m) {
      out += fmt::format("\n{:>8}", Compact(c.size_ratio));
      row_m = c.size_ratio;
    }
    out += fmt::format(" {:>12.2f}", c.multiplier);
  }
  out += "\n";

  // Where a surface has a rate, read the comparison through it: the factor needed to match the larger model
  // against the factor the FLOPs allow.
  bool header = false;
  for (const ExchangeRate& r : rates) {
    if (!r.defined) continue;
    if (!header) {
      out += "\nOn the fitted surfaces: test-time factor needed to match a model M times larger (M^(t1/t2)); 'think'\n"
             "where the FLOPs-matched multiplier affords it at that R, else 'size' (extrapolates past the data)\n";
      out += fmt::format("{:<58} {:>4} {:>12}", "family / class / difficulty", "M", "needed");
      for (double ratio : ratios) out += fmt::format(" {:>8}", "R=" + Compact(ratio));
      out += "\n";
      header = true;
    }
    double last_m = -1;
    for (const SnellCell& c : snell) {
      if (c.size_ratio == last_m) continue;
      last_m = c.size_ratio;
      const double needed = FactorToMatch(r, c.size_ratio);
      out += fmt::format("{:<58} {:>4} {:>12}", KeyText(r.key), Compact(c.size_ratio), Compact(needed));
      for (const SnellCell& d : snell) {
        if (d.size_ratio == c.size_ratio) out += fmt::format(" {:>8}", needed <= d.multiplier ? "think" : "size");
      }
      out += "\n";
    }
  }

  for (const LawOptima& lo : sardana_frankle) {
    out += fmt::format("\nInference-aware optimum (Sardana & Frankle 2023) under {}: reach loss {:.4f} with the fewest\n"
                       "training + inference FLOPs, 6 N D_train + 2 N D_inference\n", lo.law, lo.target_loss);
    out += fmt::format("{:>14} {:>10} {:>12} {:>10} {:>12} {:>12} {:>12}\n", "tokens served", "N (B)", "D_train (T)",
                       "D/N", "train FLOPs", "infer FLOPs", "total FLOPs");
    for (const DemandOptimum& p : lo.points) {
      const auto& o = p.optimum;
      if (o.status != FitStatus::kOk) {
        out += fmt::format("{:>14}  {}\n", Compact(p.inference_tokens), o.reason);
        continue;
      }
      out += fmt::format("{:>14} {:>10.2f} {:>12.3f} {:>10.1f} {:>12.3g} {:>12.3g} {:>12.3g}\n", Compact(p.inference_tokens),
                         o.params / 1e9, o.train_tokens / 1e12, o.train_tokens / o.params, o.train_flops,
                         o.inference_flops, o.total_flops);
    }
  }
  return out;
}

}  // namespace thinkplan::planner
