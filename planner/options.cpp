#include "planner/options.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <tuple>
#include <unordered_set>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/special_functions.h"
#include "core/text.h"
#include "planner/policy_requests.h"

namespace thinkplan::planner {
namespace {

// A problem-weighted mean over the runs that measured a figure.
struct WeightedMean {
  double weight = 0, sum = 0;
  void Add(std::optional<double> x, double w) {
    if (x) weight += w, sum += w * *x;
  }
  std::optional<double> Mean() const { return weight > 0 ? std::optional<double>(sum / weight) : std::nullopt; }
};

// Pooled stored runs of one setting on one bucket. Reports of the same problem set are combined first
// (CombineRepeatedRuns), so `n` counts distinct problems and the Wilson interval is that of the problems scored.
struct PooledPoint {
  Setting setting;
  double n = 0, correct = 0;
  WeightedMean thinking, answer, prompt;  // per sample (prompt: per query), where measured
  WeightedMean cost_per_sample;           // USD per sample, where measured
  std::optional<double> latency_p50_s;    // the slowest measured median of the pooled runs
  std::optional<double> latency_p95_s;    // the slowest measured p95 of the pooled runs
  std::vector<std::string> keys;
};

// Thinking tokens of a run for costing: the measured split; none in fast mode; else its output less the answer
// (measured, or the class's): the output measured is what is charged, whichever way it splits.
std::optional<double> ThinkingForCost(const Run& r, double class_answer_tokens) {
  if (r.mean_thinking_tokens || r.mode == Mode::kFast) return r.ThinkingTokens();
  if (!r.mean_output_tokens) return std::nullopt;
  return std::max(0.0, *r.mean_output_tokens - r.AnswerTokens().value_or(class_answer_tokens));
}

bool AggregationAllowed(const TaskClassSpec& c, const Aggregation& a) {
  switch (a.kind) {
    case AggregationKind::kPass1: return true;
    case AggregationKind::kConsensus: return c.exact_match_answers;
    case AggregationKind::kPassAt: return c.verifier.perfect();
    case AggregationKind::kBestOf: return c.verifier.kind == VerifierKind::kRewardModel;
  }
  return false;
}

// The parallel aggregations the class's verifier allows at k samples (k > 1).
std::vector<Aggregation> ParallelAggregations(const TaskClassSpec& c, long k) {
  std::vector<Aggregation> out;
  if (c.exact_match_answers) out.push_back({AggregationKind::kConsensus, k});
  if (c.verifier.perfect()) out.push_back({AggregationKind::kPassAt, k});
  if (c.verifier.kind == VerifierKind::kRewardModel) out.push_back({AggregationKind::kBestOf, k});
  return out;
}

double VerifierCost(const TaskClassSpec& c, const Aggregation& a) {
  if (a.k <= 1 || a.kind == AggregationKind::kConsensus || a.kind == AggregationKind::kPass1) return 0;
  const double per_sample = c.verifier.usd_per_sample + (c.verifier.kind == VerifierKind::kHuman ? c.verifier.usd_per_review : 0);
  return per_sample * static_cast<double>(a.k);
}

// The key of a setting in a system's thinking_token_factor: its effort level, else its mode.
std::string TokenFactorKey(const Setting& setting) {
  if (setting.mode == Mode::kFast) return "fast";
  if (!setting.effort.empty()) return Lower(setting.effort);
  return "extended";
}

// Thinking tokens a system is assumed to use at a stored setting that measured none.
std::optional<double> AssumedTokens(const SystemSpec& s, const Setting& setting) {
  if (setting.mode == Mode::kFast) {
    auto it = s.thinking_tokens.find("fast");
    return it != s.thinking_tokens.end() ? it->second : 0.0;
  }
  if (setting.budget) {
    auto it = s.thinking_tokens.find("extended");
    const double assumed = it != s.thinking_tokens.end() ? it->second : *setting.budget;
    return std::min(assumed, *setting.budget);
  }
  if (!setting.effort.empty()) {
    auto it = s.thinking_tokens.find(Lower(setting.effort));
    if (it != s.thinking_tokens.end()) return it->second;
  }
  auto it = s.thinking_tokens.find("extended");
  if (it != s.thinking_tokens.end()) return it->second;
  return std::nullopt;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
Catalogues Catalogues::Load(const std::filesystem::path& data_dir) {
  Catalogues c;
  c.systems = LoadSystemCatalogue(data_dir / "published" / "systems.csv");
  c.hardware = LoadHardwareCatalogue(data_dir / "published" / "hardware.csv");
  c.models = ModelCatalogue::Load(data_dir / "models" / "models.csv");
  return c;  // efficiencies: the stored serving-rate fits, set by the caller (store::LoadServingEfficiencies)
}

const SystemInfo* Catalogues::FindSystem(const std::string& name) const {
  for (const SystemInfo& s : systems) if (Lower(s.name) == Lower(name)) return &s;
  return nullptr;
}

const SystemApi* Catalogues::FindApi(const SystemSpec& system) const {
  std::vector<const std::string*> names{&system.catalogue_name, &system.model, &system.name};
  if (const auto it = system.curves.find("*"); it != system.curves.end()) names.push_back(&it->second);
  for (const std::string* name : names) {
    for (const SystemApi& api : apis) {
      if (!name->empty() && api.system == *name) return &api;
    }
  }
  return nullptr;
}

const HardwareInfo* Catalogues::FindHardware(const std::string& name) const {
  for (const HardwareInfo& h : hardware) if (Lower(h.name) == Lower(name)) return &h;
  const HardwareInfo* only = nullptr;
  int hits = 0;
  for (const HardwareInfo& h : hardware) {
    if (Lower(h.name).find(Lower(name)) != std::string::npos) {
      only = &h;
      ++hits;
    }
  }
  return hits == 1 ? only : nullptr;
}

bool OptionsConfig::IsValid(std::string* error) const {
  if (samples.empty() || samples.front() != 1) {
    if (error) *error = "samples grid must start at 1";
    return false;
  }
  for (long k : samples) {
    if (k < 1 || k > 1024) {
      if (error) *error = "samples must be in 1..1024";
      return false;
    }
  }
  if (!(level > 0 && level < 1)) {
    if (error) *error = "level must be in (0, 1)";
    return false;
  }
  if (proxy_sigma_logit && !(*proxy_sigma_logit >= 0 && std::isfinite(*proxy_sigma_logit))) {
    if (error) *error = "proxy_sigma_logit must be a finite number >= 0";
    return false;
  }
  for (double z : proxy_transfer_z) {
    if (!std::isfinite(z)) {
      if (error) *error = "proxy_transfer_z must be finite";
      return false;
    }
  }
  return true;
}

std::string Setting::Key() const {
  return fmt::format("{}|{}|{}|{}|{}|{}", system, ToString(mode), budget ? fmt::format("{:.0f}", *budget) : "-",
                     effort, aggregation.ToString(), from_curve ? "fit" : "run");
}

std::string Setting::Describe() const {
  std::string out = fmt::format("{} {}", system, ToString(mode));
  if (budget) out += fmt::format(" b={:.0f}", *budget);
  if (!effort.empty()) out += " effort=" + effort;
  out += " " + aggregation.ToString();
  if (!from_curve) out += " (run)";
  return out;
}

BetaDifficulty RescaleBeta(const BetaDifficulty& shape, double mean) {
  BetaDifficulty out;
  const double m = std::clamp(mean, 1e-9, 1 - 1e-9);
  const double concentration = shape.a + shape.b;
  out.a = m * concentration;
  out.b = (1 - m) * concentration;
  out.quality = shape.quality;
  return out;
}

namespace {

const std::vector<double>& Credits(const Aggregation& aggregation, double d_prime, double rho) {
  thread_local std::map<std::tuple<int, long, double, double>, std::vector<double>> cache;
  const auto key = std::make_tuple(static_cast<int>(aggregation.kind), aggregation.k, d_prime, rho);
  auto it = cache.find(key);
  if (it == cache.end()) {
    std::vector<double> credit;
    if (aggregation.kind == AggregationKind::kConsensus) {
      credit = ConsensusCredit(aggregation.k, rho);
    } else if (aggregation.kind == AggregationKind::kBestOf && std::isfinite(d_prime)) {
      credit = BestOfCredit(aggregation.k, d_prime);
    } else {  // pass@k: right whenever one sample is
      credit.assign(static_cast<std::size_t>(aggregation.k) + 1, 1.0);
      credit[0] = 0.0;
    }
    it = cache.emplace(key, std::move(credit)).first;
  }
  return it->second;
}

}  // namespace

double ParallelAccuracy(const DifficultyDistribution& shape, double mean, const Aggregation& aggregation,
                        double d_prime, double rho) {
  if (aggregation.k <= 1 || aggregation.kind == AggregationKind::kPass1) return mean;
  if (mean <= 0) return 0;
  if (mean >= 1) return 1;
  const DifficultyDistribution moved = shape.WithMean(mean);
  if (aggregation.kind == AggregationKind::kPassAt || (aggregation.kind == AggregationKind::kBestOf && !std::isfinite(d_prime))) {
    return moved.PassAtK(aggregation.k);
  }
  return moved.Expectation(Credits(aggregation, d_prime, rho));
}

DifficultyDistribution PlannedDifficulty::Distribution() const {
  if (family == DifficultyFamily::kLogitNormal) return LogitNormalDifficulty{mu, sigma, {}, {}};
  return BetaDifficulty{a, b, {}, {}};
}

std::string PlannedDifficulty::Source() const {
  const std::string fit = family == DifficultyFamily::kBeta
                              ? fmt::format("Beta-binomial fit of {} on {} problems (a + b = {:.4g}, {})", fit_key,
                                            fit_problems, fit_concentration, ToString(fit_status))
                              : fmt::format("logit-normal fit of {} on {} problems, chosen over the Beta by held-out "
                                            "likelihood (sigma = {:.4g}, {})",
                                            fit_key, fit_problems, sigma, ToString(fit_status));
  return fmt::format("{}; mean {:.4f}, {}{}", fit, Distribution().Mean(),
                     solved_at ? "solved so that " + solved_at->ToString() + " is the measured accuracy"
                               : std::string("the setting's single-sample accuracy"),
                     rho_assumed ? fmt::format("; rho {:.2f} assumed (stated prior)", *rho) : std::string());
}

DifficultyDistribution DistributionForAccuracy(const DifficultyDistribution& shape, double accuracy,
                                               const Aggregation& aggregation, double d_prime, double rho) {
  const double target = std::clamp(accuracy, 1e-9, 1 - 1e-9);
  double lo = 1e-9, hi = 1 - 1e-9;
  for (int i = 0; i < 100; ++i) {
    const double mid = 0.5 * (lo + hi);
    (ParallelAccuracy(shape, mid, aggregation, d_prime, rho) < target ? lo : hi) = mid;
  }
  return shape.WithMean(0.5 * (lo + hi));
}

BetaDifficulty BetaForAccuracy(const BetaDifficulty& shape, double accuracy, const Aggregation& aggregation,
                               double d_prime, double rho) {
  return DistributionForAccuracy(shape, accuracy, aggregation, d_prime, rho).beta;
}

namespace {

// The difficulty distribution a scored setting carries into the plan (PlannedDifficulty): the distribution the fit
// chose for its key, spread kept, mean at the setting's single-sample accuracy `mean` (a curve's prediction or a
// run's measurement) or, for a run measured at k samples, at the mean that reproduces its measured `accuracy`.
// `rho` is the fitted one, or the stated prior (`rho_assumed`).
std::optional<PlannedDifficulty> CarriedDifficulty(const FittedCurves* fitted, const std::string& fit_key,
                                                   const Setting& setting, double mean, double accuracy,
                                                   double d_prime) {
  const std::optional<DifficultyDistribution> fit = fitted ? ChosenDifficulty(*fitted) : std::nullopt;
  if (!fit) return std::nullopt;
  const bool rho_assumed = !fitted->rho;
  const double rho = fitted->rho ? fitted->rho->rho : kAssumedRho.rho;
  const bool measured_at_k = setting.aggregation.k > 1 && !setting.from_curve;
  const DifficultyDistribution d = measured_at_k
                                       ? DistributionForAccuracy(*fit, accuracy, setting.aggregation, d_prime, rho)
                                       : fit->WithMean(mean);
  PlannedDifficulty out;
  out.family = d.family;
  out.a = d.beta.a, out.b = d.beta.b;
  out.mu = d.logit_normal.mu, out.sigma = d.logit_normal.sigma;
  // The plan records rho only where majority vote reads it; a fitted one always (as before).
  const bool vote = setting.aggregation.kind == AggregationKind::kConsensus && setting.aggregation.k > 1;
  if (!rho_assumed || vote) out.rho = rho;
  out.rho_assumed = rho_assumed && vote;
  out.fit_key = fit_key;
  out.fit_problems = fit->quality().n_points;
  out.fit_concentration = fitted->difficulty ? fitted->difficulty->a + fitted->difficulty->b : 0.0;
  out.fit_status = fit->quality().status;
  if (measured_at_k) out.solved_at = setting.aggregation;
  return out;
}

// The cached-input price of an API system: the catalogue's; where the workload states its own input price, the
// catalogue's cached-to-full ratio applied to it (so that a what-if on the input price moves both alike). Empty
// where the catalogue has none: the cached share is then priced in full.
std::optional<double> CachedInputPrice(const SystemSpec& system, const SystemInfo* info) {
  if (!info || !info->price_cached_in_usd_per_mtok) return std::nullopt;
  if (!system.price_in_usd_per_mtok) return info->price_cached_in_usd_per_mtok;
  if (!info->price_in_usd_per_mtok || *info->price_in_usd_per_mtok <= 0) return std::nullopt;
  return *system.price_in_usd_per_mtok * *info->price_cached_in_usd_per_mtok / *info->price_in_usd_per_mtok;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
QueryTokens ClassTokens(const TaskClassSpec& c) { return {c.prompt_tokens, c.answer_tokens}; }

ServingCost CostOfServing(const SystemSpec& system, const TaskClassSpec& c, const Catalogues& catalogues,
                          double thinking_mean, double thinking_p95, long samples, const ReplicaModel* replica_model,
                          std::optional<QueryTokens> tokens) {
  const QueryTokens q = tokens.value_or(ClassTokens(c));
  ServingCost out;
  const double k = static_cast<double>(samples);
  if (system.kind == SystemKind::kApi) {
    const SystemInfo* info = catalogues.FindSystem(system.catalogue_name.empty() ? system.name : system.catalogue_name);
    const std::optional<double> in = system.price_in_usd_per_mtok ? system.price_in_usd_per_mtok
                                     : info ? info->price_in_usd_per_mtok : std::nullopt;
    const std::optional<double> out_price = system.price_out_usd_per_mtok ? system.price_out_usd_per_mtok
                                            : info ? info->price_out_usd_per_mtok : std::nullopt;
    if (!in || !out_price) {
      out.feasible = false;
      out.reason = "no API price (give price_in_usd_per_mtok / price_out_usd_per_mtok or a catalogue name)";
      return out;
    }
    SystemInfo priced;
    priced.name = system.name;
    priced.price_in_usd_per_mtok = in;
    priced.price_out_usd_per_mtok = out_price;
    priced.price_cached_in_usd_per_mtok = CachedInputPrice(system, info);
    out.usd = k * CostApiQuery(priced, q.prompt_tokens, thinking_mean, q.answer_tokens, c.cached_input_share).total_usd;
    out.usd_per_input_token = InputUsdPerToken(priced, c.cached_input_share);
    out.usd_per_output_token = *out_price / 1e6;
    out.latency_p95_s = system.ttft_s + (thinking_p95 + q.answer_tokens) / system.output_tokens_per_s;
    // The median the same way, from the LogNormal matched to the mean and p95 (the simulator's draw).
    const double thinking_p50 = ThinkingLength::FromMeanAndP95(thinking_mean, thinking_p95).Quantile(0.5);
    out.latency_p50_s = std::min(out.latency_p95_s, system.ttft_s + (thinking_p50 + q.answer_tokens) / system.output_tokens_per_s);
    return out;
  }
  std::string reason;
  std::optional<ReplicaModel> built;
  if (!replica_model) built = ReplicaModelOf(system, catalogues, &reason);
  const ReplicaModel* replica = replica_model ? replica_model : built ? &*built : nullptr;
  if (!replica) {
    out.feasible = false;
    out.reason = reason;
    return out;
  }
  SequenceStream stream;
  stream.samples_per_query = k;
  stream.prompt_tokens = q.prompt_tokens;
  stream.answer_tokens = q.answer_tokens;
  stream.thinking = ThinkingLength::FromMeanAndP95(thinking_mean, thinking_p95);
  // The largest batch whose service alone keeps the class's SLO; queueing at peak is the capacity pass's, which
  // adds replicas until the wait fits beside it.
  ReplicaFit fit = FitReplicaForLatency(replica->model, {stream}, FleetModelOptions{}, c.slo_p95_s);
  if (!fit.fits) {
    // Over the SLO even alone: scored at batch 1 all the same, so that the SLO filter can say by how much.
    ReplicaFit alone = FitReplica(replica->model, {stream}, FleetModelOptions{}, 1);
    if (!alone.fits) {
      out.feasible = false;
      out.reason = fit.refusal;
      return out;
    }
    fit = std::move(alone);
  }
  const double replica_usd_per_s = replica->usd_per_device_hour * static_cast<double>(system.devices) / 3600.0;
  const double replica_s = k * fit.service_mean_s / static_cast<double>(fit.batch_limit);
  // A first guess of the fleet's price per query: busy time at full batch, provisioned for the peak at the
  // default peak utilisation. MakePlan replaces it by the provisioned fleet's own price per query.
  out.usd = replica_usd_per_s * replica_s * std::max(1.0, c.peak_factor) / kInitialPeakUtilisation;
  out.latency_p95_s = QueryServiceQuantile(fit, stream, 0.95);
  out.latency_p50_s = QueryServiceQuantile(fit, stream, 0.5);
  out.device_seconds = replica_s * static_cast<double>(system.devices);
  out.kv_bytes = fit.sizing_context_tokens * fit.kv_bytes_per_token;
  out.batch = fit.batch_limit;
  return out;
}

std::optional<ReplicaModel> ReplicaModelOf(const SystemSpec& system, const Catalogues& catalogues, std::string* reason) {
  const ModelShape* shape = catalogues.models.Find(system.model);
  const HardwareInfo* card = catalogues.FindHardware(system.hardware);
  if (!shape || !card) {
    *reason = !shape ? "model '" + system.model + "' not in models.csv" : "hardware '" + system.hardware + "' not in hardware.csv";
    return std::nullopt;
  }
  const std::optional<double> price = system.usd_per_device_hour ? system.usd_per_device_hour : card->usd_per_hour;
  if (!price) {
    *reason = "no hourly price for " + card->name + " (give usd_per_device_hour)";
    return std::nullopt;
  }
  const Efficiency efficiency = ChooseEfficiency(catalogues.efficiencies, card->name, system.framework, system.devices,
                                                 ToString(shape->weight_precision)).efficiency;
  return ReplicaModel{CostModel(*shape, RatesFromDatasheet(*card, system.devices, efficiency, shape->weight_precision)), *price};
}

// ---------------------------------------------------------------------------------------------------------------
namespace {

// What stored runs measured of a query besides its thinking; empty where they did not.
struct Measured {
  std::optional<double> prompt_tokens;
  std::optional<double> answer_tokens;
  std::optional<double> cost_usd_per_sample;  // what the runs paid per sample (cost_usd / problems / samples)
};

// A measured cost this far from the list prices at the option's tokens (as a share) gets a note.
constexpr double kMeasuredCostNoteGap = 0.25;

struct Scorer {
  const Workload& workload;
  const TaskClassSpec& c;
  const Catalogues& catalogues;
  const OptionsConfig& config;
  std::vector<std::string>* notes;
  mutable std::unordered_set<std::string> noted;  // the texts already in `notes`
  mutable std::unordered_set<std::string> warned;  // systems whose context extrapolation is noted
  mutable std::unordered_set<std::string> factor_noted;  // "system\nkey" whose thinking_token_factor is noted
  // Serving cost by (system, mean tokens, p95 tokens, samples): on a self-hosted replica the samples share the
  // batch, so neither cost nor latency is a multiple of one sample's.
  mutable std::map<std::tuple<std::string, double, double, long, double, double>, ServingCost> cache;
  // Self-hosted replicas by system, built once: catalogue look-ups cost more than the fleet model.
  mutable std::map<std::string, std::optional<ReplicaModel>> replicas;

  ServingCost Cost(const SystemSpec& s, double tokens, double tokens_p95, long samples, const QueryTokens& q) const {
    auto key = std::make_tuple(s.name, tokens, tokens_p95, samples, q.prompt_tokens, q.answer_tokens);
    auto it = cache.find(key);
    if (it == cache.end()) {
      const ReplicaModel* replica = nullptr;
      if (s.kind == SystemKind::kSelfHosted) {
        auto r = replicas.find(s.name);
        if (r == replicas.end()) {
          std::string unused;
          r = replicas.emplace(s.name, ReplicaModelOf(s, catalogues, &unused)).first;
        }
        if (r->second) replica = &*r->second;
        NoteServingRates(s, c.prompt_tokens + tokens_p95);
      }
      it = cache.emplace(key, CostOfServing(s, c, catalogues, tokens, tokens_p95, samples, replica, q)).first;
    }
    return it->second;
  }

  // Why the system's API would refuse the setting; nullopt when it accepts it or has no catalogue row (the export
  // then names the missing row).
  std::optional<std::string> ApiRefusal(const SystemSpec& s, const Setting& setting) const {
    const SystemApi* api = catalogues.FindApi(s);
    if (!api) return std::nullopt;
    OptionSettings o;
    o.system = s.name;
    o.extended = setting.mode == Mode::kExtended;
    o.effort = Lower(setting.effort);
    o.budget_tokens = setting.budget;
    o.samples = setting.samples;
    return planner::ApiRefusal(*api, o);
  }

  // Where a self-hosted system's serving rates come from, and a warning when the class's p95 context lies beyond
  // the contexts they were measured at.
  void NoteServingRates(const SystemSpec& s, double context_tokens) const {
    const HardwareInfo* card = catalogues.FindHardware(s.hardware);
    if (card == nullptr) return;
    const ModelShape* shape = catalogues.models.Find(s.model);
    const EfficiencyChoice choice = ChooseEfficiency(catalogues.efficiencies, card->name, s.framework, s.devices,
                                                     shape ? ToString(shape->weight_precision) : std::string_view());
    Note(fmt::format("{}: serving rates {}", s.name, DescribeEfficiencySource(choice, s.devices)));
    // One warning per system and class (options at many budgets would each repeat it), naming the first context
    // found beyond the range.
    if (const auto warning = ContextExtrapolationWarning(choice, context_tokens); warning && warned.insert(s.name).second) {
      Note(fmt::format("{} on class {}: options reach beyond the measured contexts, e.g. {}", s.name, c.name, *warning));
    }
  }

  // The workload's thinking_token_factor for the setting, noted once per system and key (the note is formatted only
  // the first time: every option of a system at that key reads the same factor).
  double TokenFactor(const SystemSpec& s, const Setting& setting) const {
    const std::string key = TokenFactorKey(setting);
    const double factor = s.ThinkingTokenFactor(key);
    if (factor != 1 && factor_noted.insert(s.name + '\n' + key).second) {
      Note(fmt::format("{}: thinking tokens of {} settings x{:g} (the workload's thinking_token_factor)", s.name, key,
                       factor));
    }
    return factor;
  }

  void Note(const std::string& text) const {
    if (notes && noted.insert(text).second) notes->push_back(text);
  }

  // Figures of a setting whose single-sample accuracy at these tokens is `mean` (interval `band`).
  // `fit_key`: the key `fitted` was found under (the bucket's, or its class's where the bucket has none).
  std::optional<Figures> Score(const SystemSpec& s, const Setting& setting, double mean, Interval band,
                               double tokens, double tokens_p95, const FittedCurves* fitted, const std::string& fit_key,
                               const std::string& source, bool assumed, const Measured& measured = {}) const {
    if (const std::optional<std::string> why = ApiRefusal(s, setting)) {
      Note(fmt::format("{}: {} not offered: {}", s.name, setting.Describe(), *why));
      return std::nullopt;
    }
    Figures f;
    const double factor = TokenFactor(s, setting);
    f.thinking_tokens = factor * tokens;
    f.thinking_tokens_p95 = factor * tokens_p95;
    f.source = source;
    f.tokens_assumed = assumed;
    // A self-hosted fleet serves one prompt size per class (the simulator's fleet reads it per class), so a run's
    // measured input prices API options only.
    const std::optional<double> prompt =
        s.kind == SystemKind::kSelfHosted ? std::nullopt : measured.prompt_tokens;
    const QueryTokens q{prompt.value_or(c.prompt_tokens), measured.answer_tokens.value_or(c.answer_tokens)};
    f.prompt_tokens = q.prompt_tokens;
    f.answer_tokens = q.answer_tokens;
    f.prompt_measured = prompt.has_value();
    f.answer_measured = measured.answer_tokens.has_value();
    const Aggregation& agg = setting.aggregation;
    if (agg.k > 1 && setting.from_curve) {
      const std::optional<DifficultyDistribution> shape = fitted ? ChosenDifficulty(*fitted) : std::nullopt;
      if (!shape) return std::nullopt;
      ScoreFromCurve(s, *shape, fitted->rho, agg, mean, band, f);
    } else {
      f.accuracy = mean;
      f.interval = band;
    }
    f.difficulty = CarriedDifficulty(fitted, fit_key, setting, mean, f.accuracy, c.verifier.d_prime);
    const ServingCost cost = Cost(s, f.thinking_tokens, f.thinking_tokens_p95, agg.k, q);
    if (!cost.feasible) {
      Note(fmt::format("{}: {}", s.name, cost.reason));
      return std::nullopt;
    }
    f.verifier_usd = VerifierCost(c, agg);
    f.cost_usd = cost.usd + f.verifier_usd;
    f.usd_per_input_token = cost.usd_per_input_token;
    f.usd_per_output_token = cost.usd_per_output_token;
    f.latency_p95_s = cost.latency_p95_s;
    f.latency_p50_s = cost.latency_p50_s;
    if (measured.cost_usd_per_sample) {
      // A run's cost was paid at the tokens it used: scaled tokens scale it as they scale the list-price bill.
      double paid = *measured.cost_usd_per_sample;
      if (factor != 1) {
        const ServingCost at_measured_tokens = Cost(s, tokens, tokens_p95, agg.k, q);
        if (at_measured_tokens.feasible && at_measured_tokens.usd > 0) paid *= cost.usd / at_measured_tokens.usd;
      }
      UseMeasuredCost(s, setting, paid, f);
    }
    return f;
  }

  // The aggregated accuracy of a curve's setting and its band, as predict computes them: without a fitted rho,
  // majority vote reads the stated prior (kAssumedRho), marked assumed, and its band runs from the prior's upper rho
  // at the lower single-sample accuracy to its lower rho at the upper one (cons@k falls with rho).
  void ScoreFromCurve(const SystemSpec& s, const DifficultyDistribution& shape,
                      const std::optional<RhoEstimate>& fitted_rho, const Aggregation& agg, double mean, Interval band,
                      Figures& f) const {
    const bool assumed = agg.kind == AggregationKind::kConsensus && !fitted_rho;
    const double rho = fitted_rho ? fitted_rho->rho : kAssumedRho.rho;
    auto at = [&](double m, double r) { return ParallelAccuracy(shape, m, agg, c.verifier.d_prime, r); };
    f.accuracy = at(mean, rho);
    f.interval = {at(band.lower, assumed ? kAssumedRho.upper : rho), at(band.upper, assumed ? kAssumedRho.lower : rho)};
    if (assumed) {
      Note(fmt::format("{} on class {}: majority vote without a fitted rho reads the stated prior rho {:.2f} "
                       "[{:.2f}, {:.2f}] (assumed; the median and range of rho fitted to the shipped cons@64 points), "
                       "its range in the interval",
                       s.name, c.name, kAssumedRho.rho, kAssumedRho.lower, kAssumedRho.upper));
    }
  }

  // Where stored runs measured what a sample cost, the option costs that: its list-price figures are scaled to it,
  // the per-token rates included, so that the simulator charges the same. Not where the list prices cannot be
  // checked against it or no longer apply; the note says which figure stands.
  void UseMeasuredCost(const SystemSpec& s, const Setting& setting, double measured, Figures& f) const {
    // One note per measured setting: its parallel extensions (composed, not measured) repeat it.
    const std::string what = fmt::format("{} {}", s.name, setting.Describe());
    const auto say = [&](const std::string& text) {
      if (!setting.from_curve) Note(text);
    };
    if (s.kind != SystemKind::kApi) {
      Note(fmt::format("{}: the runs' measured cost is not planned on: a self-hosted option costs its fleet's bill", s.name));
      return;
    }
    if (s.price_in_usd_per_mtok || s.price_out_usd_per_mtok) {
      Note(fmt::format("{}: priced at the workload's prices, not the runs' measured cost", s.name));
      return;
    }
    const double k = static_cast<double>(setting.aggregation.k);
    const double listed = (f.cost_usd - f.verifier_usd) / k;
    if (!(measured > 0 && listed > 0)) {
      say(fmt::format("{}: a measured cost of ${:.4g} per sample against ${:.4g} at list prices cannot be "
                       "compared: priced at the list prices", what, measured, listed));
      return;
    }
    if (const std::optional<std::string> stale = PaidAtEarlierPrices(s, f, measured)) {
      say(what + ": " + *stale);
      return;
    }
    const double scale = measured / listed;
    f.cost_usd = k * measured + f.verifier_usd;
    f.usd_per_input_token *= scale;
    f.usd_per_output_token *= scale;
    f.cost_measured = true;
    // A measurement far from the list prices at the measured tokens is used all the same (it is what was paid:
    // cache hits, retries, tokens the run did not report), and said.
    if (std::abs(scale - 1) > kMeasuredCostNoteGap) {
      say(fmt::format("{}: the runs' measured ${:.4g} per sample is {:+.0f}% against ${:.4g} at list prices and "
                       "the option's tokens; the measured cost is planned on", what, measured, 100 * (scale - 1), listed));
    }
  }

  // Where the system's price history has an earlier row that the measured cost matches better than the row in
  // force, the runs were paid at prices since changed: the note that says so; nullopt otherwise.
  std::optional<std::string> PaidAtEarlierPrices(const SystemSpec& s, const Figures& f, double measured) const {
    const SystemInfo* info = catalogues.FindSystem(s.catalogue_name.empty() ? s.name : s.catalogue_name);
    if (!info || info->price_effective_from.empty()) return std::nullopt;
    const auto per_sample = [&](const SystemPrice& p) {
      SystemInfo row;
      row.price_in_usd_per_mtok = p.price_in_usd_per_mtok;
      row.price_cached_in_usd_per_mtok = p.price_cached_in_usd_per_mtok;
      return f.prompt_tokens * InputUsdPerToken(row, c.cached_input_share) +
             (f.thinking_tokens + f.answer_tokens) * p.price_out_usd_per_mtok / 1e6;
    };
    const SystemPrice* best = nullptr;
    const SystemPrice* current = nullptr;
    double best_gap = std::numeric_limits<double>::infinity();
    for (const SystemPrice& p : catalogues.prices) {
      if (Lower(p.system) != Lower(info->name)) continue;
      if (p.effective_from == info->price_effective_from) current = &p;
      const double usd = per_sample(p);
      const double gap = usd > 0 ? std::abs(std::log(usd / measured)) : std::numeric_limits<double>::infinity();
      if (gap < best_gap) best_gap = gap, best = &p;
    }
    if (!best || !current || best->effective_from >= current->effective_from) return std::nullopt;
    return fmt::format("the runs' measured ${:.4g} per sample matches the list prices of {} (${:.4g} at ${}/${} per M "
                       "in/out), cut since: priced at the prices in force since {} (${:.4g}), not the measured cost",
                       measured, best->effective_from, per_sample(*best), best->price_in_usd_per_mtok,
                       best->price_out_usd_per_mtok, current->effective_from, per_sample(*current));
  }
};

// Thinking tokens an option on the budget grid uses: where the budget is a target and a budget-target fit is
// stored, the budget times the fitted share (which may exceed 1; its p95 from the LogNormal's spread where one is
// fitted, else 0.5, as for measured means); else the LogNormal capped at the budget; else the budget, assumed.
struct TokensUsed {
  double mean = 0, p95 = 0;
  bool fitted = false;
};
TokensUsed TokensAtBudget(const FittedCurves& fitted, double budget) {
  if (fitted.budget_target) {
    const double mean = fitted.budget_target->MeanUsed(budget);
    const double sigma = fitted.tokens ? fitted.tokens->sigma : 0.5;
    return {mean, mean * std::exp(kZ95OneSided * sigma - sigma * sigma / 2), true};
  }
  if (fitted.tokens) return {fitted.tokens->MeanUsed(budget), fitted.tokens->Quantile(0.95, budget), true};
  return {budget, budget, false};
}

void Put(std::vector<Candidate>& out, std::map<std::string, std::size_t>& index, const Setting& setting,
         std::size_t bucket, std::size_t buckets, Figures figures) {
  auto [it, inserted] = index.emplace(setting.Key(), out.size());
  if (inserted) out.push_back(Candidate{setting, std::vector<std::optional<Figures>>(buckets)});
  out[it->second].per_bucket[bucket] = std::move(figures);
}

// The stored runs of one system on one bucket, pooled per setting: reports of the same problem set combined as
// repeated samples of those problems, distinct problem sets added.
std::map<std::string, PooledPoint> PoolStoredRuns(const std::vector<const Run*>& runs, const TaskClassSpec& c,
                                                  const std::string& system) {
  std::vector<Run> copies;
  for (const Run* r : runs) copies.push_back(*r);
  std::map<std::string, PooledPoint> points;
  for (const CombinedRun& combined : CombineRepeatedRuns(copies)) {
    const Run& r = combined.run;
    if (r.n_problems <= 0 || !AggregationAllowed(c, r.aggregation)) continue;
    Setting setting{system, r.mode, r.budget_tokens, r.effort, r.aggregation.k, r.aggregation, false};
    if (r.aggregation.kind == AggregationKind::kPass1) setting.samples = 1, setting.aggregation = {AggregationKind::kPass1, 1};
    PooledPoint& p = points[setting.Key()];
    p.setting = setting;
    const double n = static_cast<double>(r.n_problems);
    p.n += n;
    p.correct += r.n_correct;
    p.thinking.Add(ThinkingForCost(r, c.answer_tokens), n);
    p.answer.Add(r.AnswerTokens(), n);
    p.prompt.Add(r.mean_input_tokens, n);
    if (r.cost_usd) p.cost_per_sample.Add(*r.cost_usd / (n * static_cast<double>(std::max(1L, r.samples))), n);
    if (r.latency_p50_s) p.latency_p50_s = std::max(p.latency_p50_s.value_or(0.0), *r.latency_p50_s);
    if (r.latency_p95_s) p.latency_p95_s = std::max(p.latency_p95_s.value_or(0.0), *r.latency_p95_s);
    p.keys.insert(p.keys.end(), combined.keys.begin(), combined.keys.end());
  }
  return points;
}

// A measured latency is what users waited on this setting; the model's figure only stands in for it. A median
// measured without its p95 sets the p95 by the model's ratio of the two (the tail's shape is the model's, its
// scale measured); a p95 without a median keeps the model's median, under the p95.
void UseMeasuredLatency(const PooledPoint& p, Figures& f) {
  const double model_p50 = f.latency_p50_s, model_p95 = f.latency_p95_s;
  if (p.latency_p95_s) f.latency_p95_s = *p.latency_p95_s;
  if (p.latency_p50_s) {
    f.latency_p50_s = *p.latency_p50_s;
    if (!p.latency_p95_s && model_p50 > 0) f.latency_p95_s = *p.latency_p50_s * model_p95 / model_p50;
  }
  f.latency_p50_s = std::min(f.latency_p50_s, f.latency_p95_s);
}

}  // namespace

ProxyTransfer ProxyTransferSpread(const std::vector<Run>& runs, const std::string& task_class,
                                  const std::string& difficulty) {
  using SettingKey = std::tuple<std::string, Mode, std::string, std::string>;  // system, mode, effort, budget
  std::map<std::pair<std::string, std::string>, std::map<SettingKey, WeightedMean>> accuracy;  // class -> setting
  for (const Run& r : CombinedRunsOnly(runs)) {
    if (r.aggregation.kind != AggregationKind::kPass1 || r.n_problems <= 0) continue;
    const SettingKey key{r.system, r.mode, Lower(r.effort), r.budget_tokens ? fmt::format("{:.0f}", *r.budget_tokens) : ""};
    accuracy[{r.task_class, r.difficulty}][key].Add(r.accuracy(), 1.0);
  }
  // Accuracies of 0 or 1 have no logit: clamped to [0.01, 0.99], a percent either side.
  const auto logit = [](double p) { return Logit(std::clamp(p, 0.01, 0.99)); };
  ProxyTransfer out;
  const auto proxy = accuracy.find({task_class, difficulty});
  if (proxy != accuracy.end()) {
    double squares = 0;
    for (const auto& [other, settings] : accuracy) {
      if (other == proxy->first) continue;
      std::vector<double> d;
      for (const auto& [key, mean] : settings) {
        if (const auto it = proxy->second.find(key); it != proxy->second.end()) {
          d.push_back(logit(*mean.Mean()) - logit(*it->second.Mean()));
        }
      }
      if (static_cast<long>(d.size()) < kProxyMinSettings) continue;
      double m = 0;
      for (double x : d) m += x / static_cast<double>(d.size());
      for (double x : d) squares += (x - m) * (x - m);
      out.dof += static_cast<long>(d.size()) - 1;
      ++out.class_pairs;
    }
    if (out.dof >= kProxyMinDof) out.sigma_logit = std::sqrt(squares / static_cast<double>(out.dof)), out.measured = true;
  }
  if (!out.measured) out.sigma_logit = kProxyFallbackSigmaLogit;
  return out;
}

Interval WidenForProxy(double accuracy, const Interval& band, double sigma_logit, double level) {
  const auto logit = [](double p) { return Logit(std::clamp(p, 1e-9, 1 - 1e-9)); };
  const double centre = logit(accuracy);
  const double spread = NormalQuantile(0.5 + level / 2) * sigma_logit;
  const auto widen = [&](double end, double sign) {
    const double half = std::abs(centre - logit(end));
    return Sigmoid(centre + sign * std::sqrt(half * half + spread * spread));
  };
  return {std::min(band.lower, widen(band.lower, -1)), std::max(band.upper, widen(band.upper, +1))};
}

double ShiftLogit(double p, double shift) {
  if (shift == 0) return p;
  return Sigmoid(Logit(std::clamp(p, 1e-9, 1 - 1e-9)) + shift);
}

namespace {

// Where a proxy bucket's transfer error comes from: measured on the stored runs, the shipped default where they
// measure too little, or set by the options over either (the note names the figure it replaced).
std::string TransferSource(const BucketSpec& bucket, const ProxyTransfer& transfer) {
  const std::string from_runs =
      transfer.measured
          ? fmt::format("the spread of the stored systems' accuracies between {} and {} other measured class(es) "
                        "({} degrees of freedom)", bucket.task_class, transfer.class_pairs, transfer.dof)
          : fmt::format("assumed: too few settings measured on {} and another class to measure the spread here "
                        "({} degrees of freedom); the shipped runs' figure stands", bucket.task_class, transfer.dof);
  if (!transfer.overridden) return (transfer.measured ? "measured: " : "") + from_runs;
  return fmt::format("as set by the options (proxy spread), not measured; the stored runs give {:.2f}, {}",
                     transfer.from_runs, from_runs);
}

// A proxy bucket's evidence: the problem sets its stored task class was scored on and their distinct problems
// (a set counted once however many reports score it).
std::string ProxyNote(const TaskClassSpec& c, const BucketSpec& bucket, const std::vector<Run>& runs,
                      const ProxyTransfer& transfer) {
  std::map<std::string, long> sets;  // problem set (or benchmark, else run key) -> problems
  for (const Run& r : runs) {
    if (r.task_class != bucket.task_class || r.difficulty != bucket.difficulty) continue;
    const std::string& name = !r.problem_set.empty() ? r.problem_set : !r.benchmark.empty() ? r.benchmark : r.run_key;
    sets[name] = std::max(sets[name], r.n_problems);
  }
  std::string list;
  long problems = 0;
  for (const auto& [name, n] : sets) {
    list += fmt::format("{}{} ({} problems)", list.empty() ? "" : ", ", name, n);
    problems += n;
  }
  const std::string widened = fmt::format("{:.2f} on the logit scale, {}", transfer.sigma_logit, TransferSource(bucket, transfer));
  return fmt::format("class {}: bucket {} rests on a proxy, task class {}: its accuracies are measured on {}: "
                     "{} distinct problems, none of them the class's own queries; its intervals are widened for "
                     "the borrowing by a transfer error of {}",
                     c.name, bucket.name, bucket.task_class, list.empty() ? "no stored run" : list, problems, widened);
}

// A band widened for a proxy bucket (WidenForProxy), or as it is.
Interval ProxyBand(const std::optional<ProxyTransfer>& transfer, double accuracy, const Interval& band, double level) {
  return transfer ? WidenForProxy(accuracy, band, transfer->sigma_logit, level) : band;
}

// A single-sample accuracy and its band as a sweep draw sees them: moved together by the bucket's drawn transfer
// error `shift` (logit scale; 0 outside a sweep and for buckets that are no proxy).
struct ShiftedPoint {
  double mean;
  Interval band;
};
ShiftedPoint ShiftForTransfer(double mean, const Interval& band, double shift) {
  return {ShiftLogit(mean, shift), {ShiftLogit(band.lower, shift), ShiftLogit(band.upper, shift)}};
}

}  // namespace

std::vector<Candidate> GenerateCandidates(const Workload& workload, const TaskClassSpec& c, const CurveSet& curves,
                                          const std::vector<Run>& runs, const Catalogues& catalogues,
                                          const OptionsConfig& config, std::vector<std::string>* notes,
                                          std::vector<MissingCurves>* missing_out) {
  std::string error;
  if (!config.IsValid(&error)) throw UsageError("options: " + error);
  const Scorer scorer{workload, c, catalogues, config, notes, {}, {}, {}, {}, {}};
  std::vector<Candidate> out;
  std::map<std::string, std::size_t> index;
  const std::size_t nb = c.buckets.size();

  // The stored runs on this class's buckets, by (system, task class, difficulty): one pass over the runs per class
  // rather than one per class, system and bucket.
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<const Run*>> runs_on;
  {
    std::set<std::string> task_classes;
    for (const BucketSpec& bucket : c.buckets) task_classes.insert(bucket.task_class);
    for (const Run& r : runs) {
      if (task_classes.count(r.task_class)) runs_on[{r.system, r.task_class, r.difficulty}].push_back(&r);
    }
  }
  static const std::vector<const Run*> kNoRuns;
  // A proxy bucket's figures are borrowed from another benchmark: their intervals widen by how far benchmarks of
  // the same system disagree (ProxyTransferSpread).
  // In a sweep draw the transfer error is drawn too: shift[bi] = z x sigma_T on the logit scale.
  std::vector<std::optional<ProxyTransfer>> transfer(nb);
  std::vector<double> shift(nb, 0.0);
  for (std::size_t bi = 0; bi < nb; ++bi) {
    if (!c.buckets[bi].proxy) continue;
    transfer[bi] = ProxyTransferSpread(runs, c.buckets[bi].task_class, c.buckets[bi].difficulty);
    if (config.proxy_sigma_logit) {
      transfer[bi]->from_runs = transfer[bi]->sigma_logit;
      transfer[bi]->sigma_logit = *config.proxy_sigma_logit;
      transfer[bi]->overridden = true;
    }
    if (bi < config.proxy_transfer_z.size()) shift[bi] = config.proxy_transfer_z[bi] * transfer[bi]->sigma_logit;
  }

  std::map<std::string, std::vector<std::string>> missing;  // system -> curve keys with nothing to score
  long stored_points = 0, class_tokens_assumed = 0;         // stored-run settings, and those missing a measurement
  long cost_measured = 0;                                   // stored-run settings priced at their measured cost
  for (const SystemSpec& s : workload.systems) {
    if (!c.systems.empty() && std::find(c.systems.begin(), c.systems.end(), s.name) == c.systems.end()) continue;
    for (std::size_t bi = 0; bi < nb; ++bi) {
      const BucketSpec& bucket = c.buckets[bi];
      const std::string& curve_system = s.CurveName(bucket.task_class);
      const CurveKey key{curve_system, bucket.task_class, bucket.difficulty};
      const FittedCurves* fitted = curves.Find(key);
      const std::string fit_key = (curves.all().count(key) ? key : CurveKey{key.system, key.task_class, ""}).ToString();
      bool any = false;

      // Options on the fitted sequential curve: a log grid of budgets, then samples x aggregations.
      if (fitted && fitted->sequential && s.budget_knob) {
        const SequentialCurve& curve = *fitted->sequential;
        for (double b = s.min_thinking_tokens; b <= s.max_thinking_tokens * (1 + 1e-9); b *= 2) {
          const TokensUsed at = TokensAtBudget(*fitted, b);
          const double used = at.mean, used_p95 = at.p95;
          const double x = curve.axis == TokenAxis::kBudget ? b : used;
          const double fitted_mean = curve.Evaluate(x);
          const ShiftedPoint point = ShiftForTransfer(
              fitted_mean, ProxyBand(transfer[bi], fitted_mean, curve.Band(x, config.level), config.level), shift[bi]);
          const double mean = point.mean;
          const Interval band = point.band;
          for (long k : config.samples) {
            std::vector<Aggregation> aggs = k == 1 ? std::vector<Aggregation>{{AggregationKind::kPass1, 1}}
                                                   : ParallelAggregations(c, k);
            for (const Aggregation& agg : aggs) {
              Setting setting{s.name, Mode::kExtended, b, "", k, agg, true};
              auto f = scorer.Score(s, setting, mean, band, used, used_p95, fitted, fit_key, key.ToString(),
                                    !at.fitted);
              if (f) {
                Put(out, index, setting, bi, nb, std::move(*f));
                any = true;
              }
            }
          }
        }
      }

      // Stored runs of the system on this bucket: each setting as measured (pooled over distinct problem sets,
      // repeated reports of one set combined), and, where a difficulty distribution is fitted, its parallel
      // extensions.
      const auto on = runs_on.find({curve_system, bucket.task_class, bucket.difficulty});
      const std::map<std::string, PooledPoint> points =
          PoolStoredRuns(on == runs_on.end() ? kNoRuns : on->second, c, s.name);
      for (const auto& [k_, p] : points) {
        double tokens = 0, tokens_p95 = 0;
        bool assumed = false;
        const std::optional<double> cap = p.setting.budget;
        if (const std::optional<double> measured = p.thinking.Mean()) {
          tokens = *measured;
          // The tail from the fitted spread where there is one, centred on the measured mean.
          const double sigma = fitted && fitted->tokens ? fitted->tokens->sigma : 0.5;
          tokens_p95 = tokens * std::exp(kZ95OneSided * sigma - sigma * sigma / 2);
        } else if (const std::optional<double> a = AssumedTokens(s, p.setting);
                   a && (p.setting.mode == Mode::kFast || !p.setting.effort.empty() || !(fitted && fitted->tokens))) {
          tokens = *a;
          tokens_p95 = p.setting.mode == Mode::kFast ? *a : *a * 2.0;
          assumed = true;
        } else if (p.setting.mode == Mode::kExtended && fitted && fitted->tokens) {
          const double b = cap.value_or(std::numeric_limits<double>::infinity());
          tokens = fitted->tokens->MeanUsed(b);
          tokens_p95 = fitted->tokens->Quantile(0.95, b);
        } else {
          scorer.Note(fmt::format("{} on {}: run(s) {} skipped: no thinking-token measurement and no "
                                  "thinking_tokens assumption for this setting",
                                  s.name, bucket.name, p.keys.front()));
          continue;
        }
        if (cap) tokens_p95 = std::min(tokens_p95, *cap), tokens = std::min(tokens, *cap);
        const double measured_acc = p.correct / p.n;
        const ShiftedPoint point = ShiftForTransfer(
            measured_acc, ProxyBand(transfer[bi], measured_acc, WilsonInterval(p.correct, p.n, config.level), config.level),
            shift[bi]);
        const double acc = point.mean;
        const Interval band = point.band;
        std::string source = "runs:" + p.keys.front();
        if (p.keys.size() > 1) source += fmt::format("+{}", p.keys.size() - 1);
        const Measured measured{p.prompt.Mean(), p.answer.Mean(), p.cost_per_sample.Mean()};
        auto f = scorer.Score(s, p.setting, acc, band, tokens, tokens_p95, fitted, fit_key, source, assumed, measured);
        if (!f) continue;
        if (!f->prompt_measured || !f->answer_measured) ++class_tokens_assumed;
        if (f->cost_measured) ++cost_measured;
        ++stored_points;
        UseMeasuredLatency(p, *f);
        Put(out, index, p.setting, bi, nb, *f);
        any = true;
        // Parallel extensions of a single-sample point through the fitted difficulty distribution.
        if (p.setting.samples == 1 && fitted && ChosenDifficulty(*fitted)) {
          for (long k : config.samples) {
            if (k == 1) continue;
            for (const Aggregation& agg : ParallelAggregations(c, k)) {
              Setting setting = p.setting;
              setting.samples = k;
              setting.aggregation = agg;
              setting.from_curve = true;  // composed through the fitted difficulty distribution, not measured
              auto g = scorer.Score(s, setting, acc, band, tokens, tokens_p95, fitted, fit_key,
                                    key.ToString() + "+" + source, assumed, measured);
              if (g) Put(out, index, setting, bi, nb, std::move(*g));
            }
          }
        }
      }
      if (!any) missing[s.name].push_back(key.ToString());
    }
  }
  for (std::size_t bi = 0; bi < nb; ++bi) {
    if (transfer[bi]) scorer.Note(ProxyNote(c, c.buckets[bi], runs, *transfer[bi]));
  }
  if (cost_measured > 0) {
    scorer.Note(fmt::format("class {}: {} of {} stored-run setting(s) cost what their runs paid (cost_usd per sample, "
                            "cost_measured in the plan's JSON); the others are priced at list prices",
                            c.name, cost_measured, stored_points));
  }
  if (class_tokens_assumed > 0) {
    scorer.Note(fmt::format("class {}: {} of {} stored-run setting(s) measured no input or no answer tokens: the "
                            "class's prompt_tokens ({:.0f}) and answer_tokens ({:.0f}) stand in there",
                            c.name, class_tokens_assumed, stored_points, c.prompt_tokens, c.answer_tokens));
  }
  for (auto& [system, keys] : missing) {
    if (missing_out) {
      missing_out->push_back({system, std::move(keys)});
      continue;
    }
    std::string list;
    for (const std::string& k : keys) list += (list.empty() ? "" : ", ") + k;
    scorer.Note(fmt::format("class {}: {} has no fitted curve or stored run for {}", c.name, system, list));
  }
  return out;
}

}  // namespace thinkplan::planner
