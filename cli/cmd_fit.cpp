// `thinkplan fit`: fit every curve the stored data support and store each fit with its input hash
// (pipeline::FitStage: load runs -> plan jobs -> fit what changed -> store in one transaction), then report.
#include <cmath>
#include <map>
#include <optional>
#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "pipeline/cost_fit_stage.h"
#include "pipeline/fit_stage.h"
#include "pipeline/progress.h"
#include "core/errors.h"
#include "core/text_table.h"
#include "fitting/fit_jobs.h"
#include "store/database.h"
#include "store/fits.h"

namespace thinkplan::cli {
namespace {

constexpr const char* kDescription =
    "Fit the scaling curves the stored data support, per (system, task class[, difficulty]):\n"
    "  sequential  accuracy vs thinking tokens: lo + (hi - lo) sigmoid(k (ln b - ln b50)), or log-linear when\n"
    "              the data are thin or AIC prefers it; binomial maximum likelihood on counts\n"
    "  tokens      thinking length LogNormal(mu, sigma), capped at the budget\n"
    "  parallel    per-problem success probability Beta(a, b): pass@k, majority vote, best-of-N\n"
    "  difficulty-family  the logit-normal, logit p ~ Normal(mu, sigma^2), beside the Beta on the same\n"
    "              per-problem results, and which of the two two-fold held-out likelihood chose; `predict`,\n"
    "              `plan` and `simulate` read the chosen family (fit --kind parallel does not refit it)\n"
    "  rho         majority-vote concentration of wrong answers, from a cons@k point\n"
    "  coverage    Brown et al.'s exp(a k^b) coverage law, for comparison with the Beta\n"
    "  training    logit acc = t0 + t1 ln C_train + t2 ln k per model family: the training/test-time exchange rate\n"
    "  budget-target  tokens used as a share of the budget, exp(c0 + c1 (ln b - ln b_ref)), for systems whose\n"
    "              budget is a target the model may overshoot (Anthropic, Google); `predict` and `plan` read it\n"
    "              at a budget in place of the capped LogNormal\n"
    "  cost        serving rates t0, F_eff, BW_eff of the GPU cost model per (hardware, framework, devices, dtype)\n"
    "              from the stored perf runs (docs/cost_model.md): log-latency least squares, 95% intervals,\n"
    "              the leave-one-batch-out median and p90 absolute % error of each group, and the rates the runs\n"
    "              do not identify; `cost`, `plan` and `simulate` use these fits (cards without one: a default)\n"
    "Without --kind every kind is fitted (the cost fit only when neither --system nor --class is given).\n"
    "Each fit is stored with the hash of its input rows; unchanged input is not refitted (use --refit).\n"
    "Thin data get the status 'insufficient data' with the reason, never a made-up number; a fit the data do not\n"
    "identify (singular information, a covariance the solver cannot compute, a flat likelihood) is 'unidentified'\n"
    "and is not planned on. Solver messages go into the fit's notes (--verbose), not to the terminal.\n"
    "Curves the data cannot support are listed as skipped with their cause: counts by cause after the table,\n"
    "every one with --verbose (e.g. effort levels without tokens; no cons@k run, so no majority vote).\n\n"
    "Examples:\n"
    "  thinkplan fit\n"
    "  thinkplan fit --class code --kind parallel --json\n"
    "  thinkplan fit --system o3-mini --verbose\n"
    "  thinkplan fit --kind cost --json\n";

// JSON has no infinity: an unbounded interval end is stored as null and read back as +/-inf.
double Bound(const nlohmann::json& value, double if_null) { return value.is_number() ? value.get<double>() : if_null; }

std::string Estimates(const nlohmann::json& estimates) {
  std::string out;
  for (const auto& e : estimates) {
    const double value = Bound(e["value"], INFINITY);
    fitting::Estimate estimate{e["name"], value, {Bound(e["lower"], -INFINITY), Bound(e["upper"], INFINITY)}};
    if (!out.empty()) out += ' ';
    out += fitting::FormatEstimate(estimate);
  }
  return out;
}

// The curves the data could not support: a count per cause, or with `verbose` every one with its own reason.
void PrintSkipped(const std::vector<fitting::SkippedSlice>& skipped, bool verbose, std::ostream& out) {
  if (skipped.empty()) return;
  if (verbose) {
    out << "\nskipped (" << skipped.size() << "):\n";
    for (const fitting::SkippedSlice& s : skipped) {
      out << "  " << fitting::ToString(s.kind) << " " << s.key.ToString() << ": " << s.detail << "\n";
    }
    return;
  }
  std::map<std::pair<std::string, std::string>, size_t> counts;  // (kind, cause) -> curves
  for (const fitting::SkippedSlice& s : skipped) ++counts[{std::string(fitting::ToString(s.kind)), s.category}];
  out << "\nskipped: " << skipped.size() << " curves the data cannot support (--verbose lists each):\n";
  for (const auto& [what, n] : counts) out << fmt::format("  {:<11} {:>4}  {}\n", what.first, n, what.second);
}

// The curve fits: one row each, the skipped curves, with `verbose` every fit's deviance, AIC and notes.
void PrintCurveFits(const pipeline::FitStageResult& fitted, bool verbose, std::ostream& out) {
  using A = TextTable::Align;
  TextTable table({{"kind"}, {"system / class / difficulty"}, {"n", A::kRight}, {"form"},
                   {"parameters and derived figures (95% intervals)"}, {"status"}});
  for (const pipeline::FitLine& line : fitted.lines) {
    const auto summary = nlohmann::json::parse(line.fit.summary_json);
    std::string figures = Estimates(summary["parameters"]);
    if (!summary["derived"].empty()) figures += "  " + Estimates(summary["derived"]);
    std::string status(ToString(line.fit.quality.status));
    if (!line.fit.quality.reason.empty() && !line.fit.quality.usable()) status += ": " + line.fit.quality.reason;
    table.AddRow({line.fit.kind, line.fit.key.ToString(), std::to_string(line.fit.quality.n_points), line.fit.form,
                  line.fit.quality.usable() ? figures : "-", status});
  }
  table.Print(out);
  PrintSkipped(fitted.skipped, verbose, out);
  if (!verbose) return;
  for (const pipeline::FitLine& line : fitted.lines) {
    const auto s = nlohmann::json::parse(line.fit.summary_json);
    out << "\n" << line.fit.kind << " " << line.fit.key.ToString() << ": " << s["status"].get<std::string>();
    if (!s["reason"].get<std::string>().empty()) out << " (" << s["reason"].get<std::string>() << ")";
    out << fmt::format("\n  deviance {:.4g}, AIC {:.4g}, {} iterations\n", s["deviance"].get<double>(),
                       s["aic"].get<double>(), s["iterations"].get<int>());
    for (const auto& note : s["notes"]) out << "  note: " << note.get<std::string>() << "\n";
  }
}

std::string Percent(const nlohmann::json& v) { return v.is_number() ? fmt::format("{:.1f}", v.get<double>()) : "-"; }

// The serving-rate fits: rates with intervals, the held-out validation and what the runs do not identify.
void PrintCostFits(const pipeline::CostFitStageResult& fitted, bool verbose, std::ostream& out) {
  using A = TextTable::Align;
  TextTable table({{"hardware / framework / devices / dtype"}, {"runs", A::kRight}, {"rates (95% intervals)"},
                   {"held-out median %", A::kRight}, {"p90 %", A::kRight}, {"status"}});
  std::vector<std::string> unidentified;
  for (const pipeline::CostFitLine& line : fitted.lines) {
    const auto s = nlohmann::json::parse(line.fit.summary_json);
    std::string figures = Estimates(s["parameters"]);
    if (!s["derived"].empty()) figures += "  " + Estimates(s["derived"]);
    std::string status(ToString(line.fit.quality.status));
    if (!line.fit.quality.reason.empty() && !line.fit.quality.usable()) status += ": " + line.fit.quality.reason;
    const bool validated = s.contains("validation") && s["validation"].value("runs", 0) > 0;
    table.AddRow({s.value("label", line.fit.key.ToString()), std::to_string(line.fit.quality.n_points),
                  s["parameters"].empty() ? "-" : figures, validated ? Percent(s["validation"]["median_ape"]) : "-",
                  validated ? Percent(s["validation"]["p90_ape"]) : "-", status});
    std::string missing;
    for (const auto& rate : s.value("not_identified", nlohmann::json::array())) {
      missing += (missing.empty() ? "" : ", ") + rate.get<std::string>();
    }
    if (!missing.empty()) unidentified.push_back(s.value("label", line.fit.key.ToString()) + ": " + missing);
    if (verbose) {
      for (const auto& note : s["notes"]) unidentified.push_back(s.value("label", "") + ": " + note.get<std::string>());
    }
  }
  out << "\nserving rates (held out: leave-one-batch-out absolute % error of the latency):\n";
  table.Print(out);
  if (!unidentified.empty()) {
    out << "\nrates the runs do not identify (the default fraction of peak is used for them):\n";
    for (const std::string& line : unidentified) out << "  " << line << "\n";
  }
}

nlohmann::json FitJson(const store::StoredFit& stored, bool refitted) {
  nlohmann::json fit = nlohmann::json::parse(stored.summary_json);
  fit["system"] = stored.key.system;
  fit["task_class"] = stored.key.task_class;
  fit["difficulty"] = stored.key.difficulty;
  fit["axis"] = stored.axis;
  fit["params"] = stored.params;
  fit["covariance"] = stored.covariance;
  fit["input_hash"] = stored.input_hash;
  fit["refitted"] = refitted;
  return fit;
}

}  // namespace

int RunFit(Invocation& invocation) {
  cxxopts::Options options("thinkplan fit", kDescription);
  AddGlobalOptions(options);
  options.add_options()
      ("system", "only curves of this system (or model family, for training fits)", cxxopts::value<std::string>())
      ("class", "only curves of this task class", cxxopts::value<std::string>())
      ("kind", "only this kind: sequential|tokens|parallel|difficulty-family|rho|coverage|training|budget-target|cost",
       cxxopts::value<std::string>())
      ("refit", "fit again even where the input rows are unchanged")
      ("verbose", "print every skipped curve with its reason and every fit's full report (deviance, AIC, notes)")
      ("families", "model-family table for training fits (default: data/models/families.csv)",
       cxxopts::value<std::string>());
  Parsed parsed = ParseCommandLine(options, invocation);
  if (parsed.help_shown) return 0;
  const auto& args = parsed.result;
  pipeline::FitStageOptions stage_options;
  fitting::FitJobFilter& filter = stage_options.filter;
  if (args.count("system")) filter.system = args["system"].as<std::string>();
  if (args.count("class")) filter.task_class = args["class"].as<std::string>();
  bool fit_curves = true, fit_cost = !args.count("system") && !args.count("class");
  if (args.count("kind")) {
    const std::string kind = args["kind"].as<std::string>();
    if (kind == store::kCostFitKind) {
      fit_curves = false, fit_cost = true;
    } else {
      filter.kind = fitting::ParseFitKind(kind);
      fit_cost = false;
      if (!filter.kind) {
        throw UsageError("--kind '" + kind +
                         "' is not one of sequential|tokens|parallel|difficulty-family|rho|coverage|training|"
                         "budget-target|cost");
      }
    }
  }
  stage_options.refit = args.count("refit") > 0;
  if (args.count("families")) stage_options.families_csv = args["families"].as<std::string>();
  if (!std::filesystem::exists(parsed.global.db_path)) {
    throw InputError("database " + parsed.global.db_path.string() +
                     " does not exist (create it with `thinkplan ingest` or `thinkplan demo`)");
  }

  store::Database db = store::Database::Open(parsed.global.db_path);
  const bool bar = !parsed.global.quiet && pipeline::Progress::StderrIsTerminal();
  pipeline::FitStageResult fitted;
  if (fit_curves) fitted = pipeline::FitStage(db, DefaultDataDir(), stage_options, bar ? &invocation.err : nullptr);
  std::optional<pipeline::CostFitStageResult> cost;
  if (fit_cost) {
    pipeline::CostFitStageOptions cost_options;
    cost_options.refit = stage_options.refit;
    cost = pipeline::CostFitStage(db, pipeline::LoadCostFitCatalogues(db), cost_options,
                                  bar ? &invocation.err : nullptr);
  }
  const std::vector<pipeline::FitLine>& lines = fitted.lines;
  const size_t refitted = fitted.refitted, usable = fitted.usable;
  if (parsed.global.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const pipeline::FitLine& line : lines) out.push_back(FitJson(line.fit, line.refitted));
    if (cost) {
      for (const pipeline::CostFitLine& line : cost->lines) out.push_back(FitJson(line.fit, line.refitted));
    }
    invocation.out << out.dump(2) << "\n";
    return 0;
  }
  if (fit_curves) PrintCurveFits(fitted, args.count("verbose") > 0, invocation.out);
  if (cost) PrintCostFits(*cost, args.count("verbose") > 0, invocation.out);
  if (!parsed.global.quiet) {
    if (fit_curves) {
      invocation.err << fmt::format("{} fits: {} usable, {} not; {} fitted now, {} unchanged since their last fit\n",
                                    lines.size(), usable, lines.size() - usable, refitted, lines.size() - refitted);
    }
    if (cost) invocation.err << cost->BriefReport() << "\n";
  }
  return 0;
}

}  // namespace thinkplan::cli
