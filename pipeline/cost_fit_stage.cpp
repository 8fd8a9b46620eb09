#include "pipeline/cost_fit_stage.h"

#include <SQLiteCpp/Transaction.h>

#include <algorithm>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "pipeline/progress.h"
#include "store/plans.h"

namespace thinkplan::pipeline {
namespace {

using nlohmann::json;

// Bumped when the fitting code changes what a group's fit is, so that stored fits are refitted once.
constexpr const char* kCostFitVersion = "cost-fit 4";

std::string Number(std::optional<double> value) { return value ? fmt::format("{:.17g}", *value) : "-"; }

// Canonical text of everything one group's fit reads: its runs (by key), the shapes of their models, the
// accelerator's ceilings and the options. Equal fingerprints give equal fits.
std::string Fingerprint(const fitting::GroupKey& group, std::vector<PerfRun> runs, const CostFitCatalogues& catalogues,
                        const fitting::ValidationOptions& options) {
  std::sort(runs.begin(), runs.end(), [](const PerfRun& a, const PerfRun& b) { return a.perf_key < b.perf_key; });
  std::string text = fmt::format("{}\n{}\n{} {} {} {} {}", kCostFitVersion, group.ToString(), options.min_group_rows,
                                 options.min_train_rows, options.fit.memory_utilisation, options.fit.loss_scale,
                                 options.fit.max_iterations);
  for (const std::string& f : options.fit.prompt_batch_frameworks) text += " " + f;
  text += "\n";
  if (const auto it = catalogues.accelerators.find(group.hardware); it != catalogues.accelerators.end()) {
    const fitting::AcceleratorSpec& a = it->second;
    text += fmt::format("accelerator {} {} {} {}\n", Number(a.hbm_gib), Number(a.hbm_tb_per_s),
                        Number(a.bf16_dense_tflops), a.catalogue_hardware);
  }
  std::set<std::string> models;
  for (const PerfRun& r : runs) {
    models.insert(r.model);
    text += fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}\n", r.perf_key, r.model, ToString(r.phase), r.batch, r.context_len,
                        r.output_len, Number(r.latency_s), Number(r.step_ms), Number(r.layer_scale));
  }
  for (const std::string& model : models) {
    if (const ModelShape* s = catalogues.shapes.Find(model)) {
      text += fmt::format("shape {} {:.17g} {:.17g} {} {} {} {} {} {} {}\n", model, s->params_total, s->params_active,
                          s->layers, s->heads, s->kv_heads, s->head_dim, s->n_experts, s->experts_per_token,
                          s->dtype_bytes);
    }
  }
  return text;
}

json Optional(const std::optional<double>& value) { return value ? json(*value) : json(nullptr); }

json RateJson(const char* name, const fitting::RateEstimate& rate, double unit) {
  return {{"name", name}, {"value", rate.value / unit}, {"lower", rate.lower / unit}, {"upper", rate.upper / unit}};
}

json SummaryJson(const fitting::CostGroupFit& g) {
  json parameters = json::array(), derived = json::array();
  if (g.status != FitStatus::kInsufficientData) {
    parameters.push_back(RateJson("t0_ms", g.t0_s, 1e-3));
    if (g.flops_per_s.identified) parameters.push_back(RateJson("F_eff_TFLOPs", g.flops_per_s, 1e12));
    if (g.bytes_per_s.identified) parameters.push_back(RateJson("BW_eff_TBs", g.bytes_per_s, 1e12));
    // Fractions of the datasheet ceilings, with the rate's interval scaled alike.
    auto fraction = [&](const char* name, const std::optional<double>& f, const fitting::RateEstimate& rate) {
      if (!f) return;
      const double scale = *f / rate.value;
      derived.push_back({{"name", name}, {"value", *f}, {"lower", rate.lower * scale}, {"upper", rate.upper * scale}});
    };
    fraction("F_eff_of_peak", g.flops_fraction, g.flops_per_s);
    fraction("BW_eff_of_peak", g.bandwidth_fraction, g.bytes_per_s);
  }
  json not_identified = json::array();
  if (!g.flops_per_s.identified) not_identified.push_back("F_eff");
  if (!g.bytes_per_s.identified) not_identified.push_back("BW_eff");
  const fitting::GroupKey& key = g.fit.group;
  return {{"kind", store::kCostFitKind},
          {"form", "roofline"},
          {"label", key.ToString()},
          {"status", ToString(g.status)},
          {"reason", g.reason},
          {"n", g.fit.rows_used},
          {"log_likelihood", 0.0},
          {"deviance", 0.0},
          {"aic", 0.0},
          {"iterations", 0},
          {"confidence_level", 0.95},
          {"parameters", parameters},
          {"derived", derived},
          {"notes", g.notes},
          {"not_identified", not_identified},
          {"group",
           {{"hardware", key.hardware},
            {"framework", key.framework},
            {"devices", key.num_devices},
            {"dtype", key.dtype},
            {"catalogue_hardware", g.catalogue_hardware},
            {"flops_fraction", Optional(g.flops_fraction)},
            {"bandwidth_fraction", Optional(g.bandwidth_fraction)},
            {"max_context_tokens", g.max_context_tokens},
            {"min_batch", g.min_batch},
            {"max_batch", g.max_batch},
            {"in_sample_median_ape", g.fit.median_ape},
            {"in_sample_p90_ape", g.fit.p90_ape},
            {"runs_skipped", g.fit.rows_skipped},
            {"runs_implausible", g.implausible},
            {"residual_sd_log", g.residual_sd}}},
          {"validation",
           {{"scheme", "leave-one-batch-out"},
            {"runs", g.held_out_runs},
            {"median_ape", g.held_out_median_ape},
            {"p90_ape", g.held_out_p90_ape}}}};
}

store::StoredFit ToStored(const fitting::CostGroupFit& g, const std::string& input_hash) {
  store::StoredFit fit;
  fit.kind = store::kCostFitKind;
  const fitting::GroupKey& key = g.fit.group;
  fit.key = store::CostFitKey(key.hardware, key.framework, key.num_devices, key.dtype);
  fit.form = "roofline";
  fit.params = {g.fit.t0_s, g.flops_per_s.identified ? g.fit.flops_per_s : 0.0,
                g.bytes_per_s.identified ? g.fit.bytes_per_s : 0.0};
  fit.covariance = g.covariance.empty() ? std::vector<double>(9, 0.0) : g.covariance;
  fit.quality.status = g.status;
  fit.quality.reason = g.reason;
  fit.quality.n_points = static_cast<long>(g.fit.rows_used);
  fit.summary_json = SummaryJson(g).dump();
  fit.input_hash = input_hash;
  return fit;
}

// The default row "*" over the usable group fits, stored like a group: status fallback, its reason the rule.
std::optional<store::StoredFit> DefaultRow(const std::vector<CostFitLine>& lines,
                                           const fitting::ValidationOptions& options) {
  std::vector<FittedEfficiency> rows;
  std::string hashes = kCostFitVersion;
  for (const CostFitLine& line : lines) {
    if (!line.fit.quality.usable()) continue;
    rows.push_back(store::EfficiencyOfStoredFit(line.fit));
    hashes += line.fit.input_hash;
  }
  const std::optional<FittedEfficiency> d = fitting::DefaultEfficiencyRow(rows, options);
  if (!d) return std::nullopt;
  store::StoredFit fit;
  fit.kind = store::kCostFitKind;
  fit.key = {"*", "*", ""};
  fit.form = "median";
  fit.params = {d->t0_s, 0.0, 0.0};
  fit.covariance.assign(9, 0.0);
  fit.quality.status = FitStatus::kFallback;
  std::string frameworks;
  for (const std::string& f : options.default_frameworks) frameworks += (frameworks.empty() ? "" : ", ") + f;
  fit.quality.reason = fmt::format("the default for cards without a fit: medians over the {} single-device {} groups "
                                   "of {} hardware", d->rows, frameworks, options.default_hardware_prefix);
  fit.quality.n_points = d->rows;
  // Medians, stated as points: the spread of the groups is in their own fits.
  const json derived = json::array({{{"name", "F_eff_of_peak"}, {"value", *d->flops_fraction},
                                     {"lower", *d->flops_fraction}, {"upper", *d->flops_fraction}},
                                    {{"name", "BW_eff_of_peak"}, {"value", *d->bandwidth_fraction},
                                     {"lower", *d->bandwidth_fraction}, {"upper", *d->bandwidth_fraction}}});
  fit.summary_json = json{{"kind", store::kCostFitKind}, {"form", "median"}, {"label", "default (*)"},
                          {"status", ToString(fit.quality.status)}, {"reason", fit.quality.reason},
                          {"n", d->rows}, {"log_likelihood", 0.0}, {"deviance", 0.0}, {"aic", 0.0},
                          {"iterations", 0}, {"confidence_level", 0.95},
                          {"parameters", json::array({{{"name", "t0_ms"}, {"value", d->t0_s * 1e3}, {"lower", d->t0_s * 1e3},
                                                        {"upper", d->t0_s * 1e3}}})},
                          {"derived", derived}, {"notes", json::array()}, {"not_identified", json::array()},
                          {"group", {{"hardware", "*"}, {"framework", "*"}, {"devices", 1}, {"dtype", ""},
                                     {"catalogue_hardware", ""}, {"flops_fraction", *d->flops_fraction},
                                     {"bandwidth_fraction", *d->bandwidth_fraction},
                                     {"max_context_tokens", d->max_context_tokens}}}}
                         .dump();
  fit.input_hash = store::Sha256Hex(hashes);
  return fit;
}

}  // namespace

CostFitCatalogues LoadCostFitCatalogues(const store::Database& db) {
  CostFitCatalogues c;
  for (ModelShape& shape : db.ListModelShapes()) c.shapes.Add(std::move(shape));
  c.accelerators = fitting::AcceleratorSpecsOf(db.ListHardware());
  return c;
}

bool CostFitStageOptions::IsValid(std::string* error) const { return validation.IsValid(error); }

std::string CostFitStageResult::BriefReport() const {
  return fmt::format("{} serving-rate fits from {} perf runs: {} usable, {} not; {} fitted now, {} unchanged{}",
                     lines.size(), perf_runs, usable, lines.size() - usable, refitted, lines.size() - refitted,
                     removed ? fmt::format("; {} without runs removed", removed) : std::string());
}

CostFitStageResult CostFitStage(store::Database& db, const CostFitCatalogues& catalogues,
                                const CostFitStageOptions& options, std::ostream* progress) {
  std::string error;
  if (!options.IsValid(&error)) throw InputError("cost fit options: " + error);
  CostFitStageResult result;
  const std::vector<PerfRun> runs = db.ListPerfRuns();
  result.perf_runs = runs.size();
  const auto groups = fitting::GroupPerfRuns(runs);

  std::optional<Progress> bar;
  if (progress) bar.emplace(*progress, "fitting serving rates", groups.size(), true);
  std::set<CurveKey> current;
  for (const auto& [group, group_runs] : groups) {
    const std::string hash = store::Sha256Hex(Fingerprint(group, group_runs, catalogues, options.validation));
    const CurveKey key = store::CostFitKey(group.hardware, group.framework, group.num_devices, group.dtype);
    current.insert(key);
    std::optional<store::StoredFit> stored = store::FindFit(db, store::kCostFitKind, key);
    if (!stored || stored->input_hash != hash || options.refit) {
      const fitting::CostGroupFit fit =
          fitting::FitCostGroup(group_runs, catalogues.shapes, catalogues.accelerators, options.validation);
      result.lines.push_back({ToStored(fit, hash), true});
    } else {
      result.lines.push_back({*stored, false});
    }
    if (bar) bar->Update(result.lines.size());
  }
  if (bar) bar->Finish();
  if (std::optional<store::StoredFit> fallback = DefaultRow(result.lines, options.validation)) {
    current.insert(fallback->key);
    const std::optional<store::StoredFit> stored = store::FindFit(db, store::kCostFitKind, fallback->key);
    const bool changed = !stored || stored->input_hash != fallback->input_hash || options.refit;
    result.lines.push_back({changed ? *fallback : *stored, changed});
  }

  // Every new fit and every removal in one transaction: an interrupted run leaves the previous fits as they were.
  SQLite::Transaction transaction(db.connection(), SQLite::TransactionBehavior::IMMEDIATE);
  for (const store::StoredFit& fit : store::ListFits(db)) {
    if (fit.kind == store::kCostFitKind && !current.contains(fit.key)) {
      store::DeleteFit(db, fit.kind, fit.key);
      ++result.removed;
    }
  }
  for (const CostFitLine& line : result.lines) {
    if (line.refitted) store::SaveFit(db, line.fit);
  }
  transaction.commit();
  for (const CostFitLine& line : result.lines) {
    result.refitted += line.refitted;
    result.usable += line.fit.quality.usable();
  }
  return result;
}

}  // namespace thinkplan::pipeline
