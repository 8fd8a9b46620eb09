#include "pipeline/predict_stage.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include <fmt/format.h>

#include "core/cost_model.h"
#include "core/errors.h"
#include "core/number_format.h"
#include "core/special_functions.h"
#include "planner/options.h"
#include "store/fits.h"

namespace thinkplan::pipeline {
namespace {

// Where the curve is read: the thinking tokens per sample, their band and where they came from.
struct TokensRead {
  double tokens = 0;
  Interval band;
  std::string source;
};

TokensRead ReadTokens(const FittedCurves& curves, const PredictOptions& o) {
  if (o.thinking_tokens) return {*o.thinking_tokens, {*o.thinking_tokens, *o.thinking_tokens}, "as given"};
  if (o.budget_tokens && curves.budget_target) {
    // A target budget may be overshot: the share-of-budget law, not min(L, b), which cannot exceed the budget.
    const double b = *o.budget_tokens;
    const Interval share = curves.budget_target->RatioBand(b, o.level);
    return {curves.budget_target->MeanUsed(b), {b * share.lower, b * share.upper},
            "budget target: budget x share used, exp(c0 + c1 (ln b - ln b_ref))"};
  }
  if (o.budget_tokens && curves.tokens) {
    return {curves.tokens->MeanUsed(*o.budget_tokens), curves.tokens->MeanUsedBand(*o.budget_tokens, o.level),
            "token model: mean of min(L, budget), L ~ LogNormal"};
  }
  if (o.budget_tokens) {
    return {*o.budget_tokens, {*o.budget_tokens, *o.budget_tokens}, "the budget (no usable token model: assumed used)"};
  }
  if (curves.tokens) {
    const double mean = curves.tokens->MeanUsed();
    return {mean, curves.tokens->MeanUsedBand(std::numeric_limits<double>::infinity(), o.level),
            "token model: uncapped mean"};
  }
  return {0, {0, 0}, "unknown (no token model): tokens and cost are not predicted"};
}

// Single-sample accuracy and its band: the sequential curve at the tokens (or budget) read, else the Beta's mean.
std::pair<double, Interval> SingleSample(const FittedCurves& curves, const PredictOptions& o, const TokensRead& read,
                                         Prediction& out) {
  const bool at_setting = o.budget_tokens || o.thinking_tokens;
  if (at_setting) {
    const SequentialCurve& curve = *curves.sequential;
    if (curve.axis == TokenAxis::kBudget && !o.budget_tokens) {
      throw UsageError(fmt::format("the sequential curve of {} is fitted on the budget axis: give --budget",
                                   out.key.ToString()));
    }
    const double x = curve.axis == TokenAxis::kBudget ? *o.budget_tokens : read.tokens;
    out.curves.push_back(fmt::format("sequential {} on {} ({})", ToString(curve.form), ToString(curve.axis),
                                     ToString(curve.quality.status)));
    if (!curve.quality.reason.empty()) out.notes.push_back("sequential: " + curve.quality.reason);
    if (curve.quality.status == FitStatus::kFallback) out.status = FitStatus::kFallback;
    return {curve.Evaluate(x), curve.Band(x, o.level)};
  }
  const DifficultyDistribution difficulty = *ChosenDifficulty(curves);
  out.notes.push_back("no budget or tokens given: single-sample accuracy is the difficulty fit's mean, at the "
                      "setting it was measured at");
  return {difficulty.PassAtK(1), difficulty.PassAtKBand(1, o.level)};
}

void RequireCurves(const FittedCurves& curves, const PredictOptions& o, const std::string& key) {
  const bool at_setting = o.budget_tokens || o.thinking_tokens;
  const bool difficulty = ChosenDifficulty(curves).has_value();
  if (at_setting && !curves.sequential) {
    throw InputError("no usable sequential curve for " + key + ": it cannot be read at a budget or token count");
  }
  if (!at_setting && !difficulty && curves.sequential) {
    throw UsageError("give --budget or --tokens: " + key + " has no usable difficulty fit to read without them");
  }
  if (!at_setting && !difficulty) {
    throw InputError("no usable sequential or difficulty (parallel) curve for " + key);
  }
  if (o.aggregation.k > 1 && !difficulty) {
    throw InputError(fmt::format("{} needs the difficulty (parallel) fit of {}, and it has no usable one",
                                 o.aggregation.ToString(), key));
  }
}

// The aggregation's accuracy as a function of single-sample accuracy, as the planner scores options: the chosen
// family's spread is kept (the Beta's a + b, the logit-normal's sigma) and its mean moved
// (planner::ParallelAccuracy). Monotone, so a band maps end to end. `rho` is used for majority vote only.
double Aggregate(const FittedCurves& curves, const PredictOptions& o, double single, double rho) {
  if (o.aggregation.k <= 1 || o.aggregation.kind == AggregationKind::kPass1) return single;
  return planner::ParallelAccuracy(*ChosenDifficulty(curves), single, o.aggregation, o.d_prime, rho);
}

// The aggregation's accuracy and its band of the mean. Without a fitted rho, majority vote reads the stated prior
// (kAssumedRho): cons@k falls with rho, so the band runs from the prior's upper rho at the lower single-sample
// accuracy to its lower rho at the upper one.
void AggregateWithBand(const FittedCurves& curves, const PredictOptions& o, Prediction& out) {
  const bool vote = o.aggregation.kind == AggregationKind::kConsensus && o.aggregation.k > 1;
  const bool assumed = vote && !curves.rho;
  const double rho = curves.rho ? curves.rho->rho : kAssumedRho.rho;
  out.accuracy = Aggregate(curves, o, out.single_sample, rho);
  out.mean_band = {Aggregate(curves, o, out.single_sample_band.lower, assumed ? kAssumedRho.upper : rho),
                   Aggregate(curves, o, out.single_sample_band.upper, assumed ? kAssumedRho.lower : rho)};
  if (!vote) return;
  if (assumed) {
    out.status = FitStatus::kFallback;
    out.curves.push_back(
        fmt::format("rho {:.2f} [{:.2f}, {:.2f}] (assumed)", kAssumedRho.rho, kAssumedRho.lower, kAssumedRho.upper));
    out.notes.push_back(fmt::format(
        "rho assumed: no cons@k run of {} fits one, so majority vote reads the stated prior {:.2f} [{:.2f}, {:.2f}] "
        "(the median and range of rho fitted to the shipped cons@64 points on AIME 2024; docs/formulas.md section 7)",
        out.key.ToString(), kAssumedRho.rho, kAssumedRho.lower, kAssumedRho.upper));
  } else {
    out.curves.push_back(fmt::format("rho {:.4g} ({})", curves.rho->rho, ToString(curves.rho->quality.status)));
  }
}

void AddCost(const SystemInfo* system, const PredictOptions& o, const TokensRead& read, Prediction& out) {
  const double k = static_cast<double>(std::max(1L, o.aggregation.k));
  out.input_tokens_per_query = k * o.prompt_tokens;
  if (read.source.starts_with("unknown")) return;
  out.output_tokens_per_query = k * (read.tokens + o.answer_tokens);
  if (system == nullptr || !system->price_in_usd_per_mtok || !system->price_out_usd_per_mtok) {
    out.notes.push_back("no list price for " + out.key.system + " in the stored systems: no cost per query");
    return;
  }
  out.cost_usd_per_query = k * CostApiQuery(*system, o.prompt_tokens, read.tokens, o.answer_tokens).total_usd;
  if (o.aggregation.kind == AggregationKind::kBestOf && o.aggregation.k > 1) {
    out.notes.push_back("the verifier's own cost is not included");
  }
}

std::string Band(const Interval& band) { return fmt::format("[{}, {}]", Percent(band.lower), Percent(band.upper)); }

}  // namespace

bool PredictOptions::IsValid(std::string* error) const {
  const auto fail = [error](const std::string& why) {
    if (error) *error = why;
    return false;
  };
  if (key.system.empty() || key.task_class.empty()) return fail("a system and a task class are required");
  if (budget_tokens && !(*budget_tokens > 0 && std::isfinite(*budget_tokens))) return fail("budget must be > 0");
  if (thinking_tokens && !(*thinking_tokens >= 0 && std::isfinite(*thinking_tokens))) return fail("tokens must be >= 0");
  if (aggregation.k < 1) return fail("k must be at least 1");
  if (!(d_prime > 0)) return fail("d' must be > 0 (inf: a perfect verifier)");
  if (problems < 0) return fail("problems must be >= 0");
  if (!(level > 0 && level < 1)) return fail("level must lie in (0, 1)");
  if (!(prompt_tokens >= 0) || !(answer_tokens >= 0)) return fail("prompt and answer tokens must be >= 0");
  return true;
}

Interval PredictiveBand(double mean, const Interval& mean_band, long n, double level) {
  if (n <= 0) return {mean, mean};
  const double z = TwoSidedZ(level), tail = (1.0 - level) / 2.0;
  constexpr double kEdge = 1e-12;
  const bool spread = mean > kEdge && mean < 1 - kEdge && mean_band.lower > kEdge && mean_band.upper < 1 - kEdge &&
                      mean_band.upper > mean_band.lower;
  const double s = spread ? (Logit(mean_band.upper) - Logit(mean_band.lower)) / (2.0 * z) : 0.0;
  // The mixture over Z by a midpoint rule on [-8, 8] in steps of 0.1: the normal weight beyond is below 1e-15, and
  // the binomial CDF is smooth in p, so the rule's error is far below the 1/n steps of the quantile.
  std::vector<std::pair<double, double>> nodes;  // (p, weight)
  if (s > 0) {
    double total = 0;
    for (double u = -7.95; u < 8.0; u += 0.1) total += NormalPdf(u);
    for (double u = -7.95; u < 8.0; u += 0.1) nodes.emplace_back(Sigmoid(Logit(mean) + s * u), NormalPdf(u) / total);
  } else {
    nodes.emplace_back(std::clamp(mean, 0.0, 1.0), 1.0);
  }
  const auto cdf = [&](long y) {
    double sum = 0;
    for (const auto& [p, w] : nodes) sum += w * BinomialCdf(y, n, p);
    return sum;
  };
  // The smallest y with P(Y <= y) >= q, by bisection on y (the CDF is non-decreasing), within 10 binomial standard
  // deviations of the extreme nodes: outside that the CDF is 0 or 1 to 1e-20.
  const double nn = static_cast<double>(n), margin = 10.0 * std::sqrt(nn / 4.0) + 1.0;
  const long first = std::max(0L, static_cast<long>(nn * nodes.front().first - margin));
  const long last = std::min(n, static_cast<long>(nn * nodes.back().first + margin) + 1);
  const auto quantile = [&](double q) {
    long low = first, high = last;
    while (low < high) {
      const long mid = low + (high - low) / 2;
      if (cdf(mid) >= q) {
        high = mid;
      } else {
        low = mid + 1;
      }
    }
    return static_cast<double>(low) / nn;
  };
  return {quantile(tail), quantile(1.0 - tail)};
}

Prediction Predict(const FittedCurves& curves, const SystemInfo* system, const PredictOptions& options) {
  std::string error;
  if (!options.IsValid(&error)) throw UsageError("predict: " + error);
  Prediction out;
  out.key = options.key;
  out.aggregation = options.aggregation;
  out.budget_tokens = options.budget_tokens;
  out.level = options.level;
  out.problems = options.problems;
  RequireCurves(curves, options, options.key.ToString());
  const TokensRead read = ReadTokens(curves, options);
  out.thinking_tokens = read.tokens;
  out.thinking_tokens_band = read.band;
  out.tokens_source = read.source;
  if (curves.budget_target && options.budget_tokens && !options.thinking_tokens) {
    const FitQuality& q = curves.budget_target->quality;
    out.curves.push_back("budget-target share-of-budget (" + std::string(ToString(q.status)) + ")");
    if (q.status == FitStatus::kFallback) {
      out.status = FitStatus::kFallback;
      out.notes.push_back("budget target: " + q.reason);
    }
  } else if (curves.tokens && !options.thinking_tokens) {
    out.curves.push_back("tokens lognormal (" + std::string(ToString(curves.tokens->quality.status)) + ")");
    if (curves.tokens->quality.status == FitStatus::kFallback) {
      out.status = FitStatus::kFallback;
      out.notes.push_back("tokens: " + curves.tokens->quality.reason);
    }
  }
  std::tie(out.single_sample, out.single_sample_band) = SingleSample(curves, options, read, out);
  AggregateWithBand(curves, options, out);
  if (options.aggregation.k > 1 || !(options.budget_tokens || options.thinking_tokens)) {
    const DifficultyDistribution difficulty = *ChosenDifficulty(curves);
    out.difficulty_family = std::string(ToString(difficulty.family));
    out.curves.push_back(fmt::format("parallel {} ({})", difficulty.Describe(), ToString(difficulty.quality().status)));
    if (difficulty.family == DifficultyFamily::kLogitNormal) {
      out.notes.push_back("difficulty: the logit-normal, chosen over the Beta by held-out likelihood on the "
                          "per-problem results (fit kind difficulty-family)");
    }
    if (difficulty.quality().status == FitStatus::kFallback) out.status = FitStatus::kFallback;
  }
  out.predictive_band = PredictiveBand(out.accuracy, out.mean_band, options.problems, options.level);
  AddCost(system, options, read, out);
  return out;
}

Prediction PredictStage(store::Database& db, const PredictOptions& options) {
  std::vector<store::StoredFit> fits = store::ListFits(db, options.key);
  CurveKey key = options.key;
  if (fits.empty() && !key.difficulty.empty()) {
    key.difficulty.clear();
    fits = store::ListFits(db, key);
  }
  if (fits.empty()) {
    throw InputError("no stored fits for " + options.key.ToString() +
                     " (run `thinkplan fit`; `thinkplan fit --system NAME --verbose` lists what its data cannot support)");
  }
  const CurveSet set = store::ToCurveSet(fits);
  const FittedCurves* found = set.Find(key);
  const FittedCurves curves = found ? *found : FittedCurves{};
  std::vector<std::string> unusable;
  for (const store::StoredFit& fit : fits) {
    if (!fit.quality.usable()) {
      unusable.push_back(fmt::format("{} fit is {}: {}", fit.kind, ToString(fit.quality.status), fit.quality.reason));
    }
  }
  PredictOptions read = options;
  read.key = key;
  const std::vector<SystemInfo> systems = db.ListSystems();
  const auto system = std::find_if(systems.begin(), systems.end(), [&](const SystemInfo& s) { return s.name == key.system; });
  try {
    Prediction out = Predict(curves, system == systems.end() ? nullptr : &*system, read);
    if (key.difficulty != options.key.difficulty) out.notes.push_back("no fits for the difficulty: the class's curves");
    for (const std::string& line : unusable) out.notes.push_back("not used: " + line);
    return out;
  } catch (const InputError& e) {
    std::string why = e.what();
    for (const std::string& line : unusable) why += "; " + line;
    throw InputError(why);
  }
}

std::string Prediction::BriefReport() const {
  return fmt::format("{} {}: {} {}", key.ToString(), aggregation.ToString(), Percent(accuracy), Band(mean_band));
}

std::string Prediction::FullReport() const {
  std::string out = fmt::format("{}, {}", key.ToString(), aggregation.ToString());
  if (budget_tokens) out += fmt::format(", budget {:.0f} tokens", *budget_tokens);
  out += fmt::format("\n  thinking tokens per sample  {:.0f} [{:.0f}, {:.0f}]  ({})\n", thinking_tokens,
                     thinking_tokens_band.lower, thinking_tokens_band.upper, tokens_source);
  const int pct = static_cast<int>(std::lround(level * 100));
  out += fmt::format("  single-sample accuracy      {} {}\n", Percent(single_sample), Band(single_sample_band));
  out += fmt::format("  expected accuracy           {}  {}% band of the mean {}\n", Percent(accuracy), pct, Band(mean_band));
  if (problems > 0) {
    out += fmt::format("  on {} problems              {}% predictive band {}  (binomial noise and the mean's "
                       "uncertainty)\n", problems, pct, Band(predictive_band));
  }
  out += fmt::format("  tokens per query            {:.0f} in, {} out\n", input_tokens_per_query,
                     output_tokens_per_query ? fmt::format("{:.0f}", *output_tokens_per_query) : "-");
  out += "  cost per query              " + (cost_usd_per_query ? fmt::format("${:.4g}", *cost_usd_per_query) : "-") + "\n";
  if (!difficulty_family.empty()) out += fmt::format("  difficulty family           {}\n", difficulty_family);
  out += fmt::format("  status                      {}\n", ToString(status));
  for (const std::string& c : curves) out += "  curve: " + c + "\n";
  for (const std::string& n : notes) out += "  note: " + n + "\n";
  return out;
}

nlohmann::json Prediction::ToJson() const {
  const auto band = [](const Interval& i) { return nlohmann::json{{"lower", i.lower}, {"upper", i.upper}}; };
  nlohmann::json out = {{"system", key.system}, {"task_class", key.task_class}, {"difficulty", key.difficulty},
                        {"aggregation", aggregation.ToString()}, {"samples", aggregation.k},
                        {"budget_tokens", budget_tokens ? nlohmann::json(*budget_tokens) : nlohmann::json(nullptr)},
                        {"thinking_tokens", thinking_tokens}, {"thinking_tokens_band", band(thinking_tokens_band)},
                        {"tokens_source", tokens_source}, {"single_sample_accuracy", single_sample},
                        {"single_sample_band", band(single_sample_band)}, {"accuracy", accuracy},
                        {"mean_band", band(mean_band)}, {"level", level}, {"problems", problems},
                        {"predictive_band", problems > 0 ? band(predictive_band) : nlohmann::json(nullptr)},
                        {"input_tokens_per_query", input_tokens_per_query},
                        {"output_tokens_per_query",
                         output_tokens_per_query ? nlohmann::json(*output_tokens_per_query) : nlohmann::json(nullptr)},
                        {"cost_usd_per_query", cost_usd_per_query ? nlohmann::json(*cost_usd_per_query) : nlohmann::json(nullptr)},
                        {"difficulty_family",
                         difficulty_family.empty() ? nlohmann::json(nullptr) : nlohmann::json(difficulty_family)},
                        {"status", ToString(status)}, {"curves", curves}, {"notes", notes}};
  return out;
}

}  // namespace thinkplan::pipeline
