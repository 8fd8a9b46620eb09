// `thinkplan fit`: fit every curve the stored data support and store each fit with its input hash.
// The pipeline: load runs -> plan jobs -> fit what changed -> store in one transaction -> report.
#include <SQLiteCpp/Transaction.h>

#include <cmath>
#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "pipeline/fit_stage.h"
#include "pipeline/progress.h"
#include "cli/table.h"
#include "core/errors.h"
#include "fitting/fit_jobs.h"
#include "store/database.h"
#include "store/fits.h"
#include "store/plans.h"

namespace thinkplan::cli {
namespace {

constexpr const char* kDescription =
    "Fit the scaling curves the stored data support, per (system, task class[, difficulty]):\n"
    "  sequential  accuracy vs thinking tokens: lo + (hi - lo) sigmoid(k (ln b - ln b50)), or log-linear when\n"
    "              the data are thin or AIC prefers it; binomial maximum likelihood on counts\n"
    "  tokens      thinking length LogNormal(mu, sigma), capped at the budget\n"
    "  parallel    per-problem success probability Beta(a, b): pass@k, majority vote, best-of-N\n"
    "  rho         majority-vote concentration of wrong answers, from a cons@k point\n"
    "  coverage    Brown et al.'s exp(a k^b) coverage law, for comparison with the Beta\n"
    "  training    logit acc = t0 + t1 ln C_train + t2 ln k per model family: the training/test-time exchange rate\n"
    "Each fit is stored with the hash of its input rows; unchanged input is not refitted (use --refit).\n"
    "Thin data get the status 'insufficient data' with the reason, never a made-up number.\n\n"
    "Examples:\n"
    "  thinkplan fit\n"
    "  thinkplan fit --class code --kind parallel --json\n"
    "  thinkplan fit --system o3-mini --verbose\n";

nlohmann::json EstimatesJson(const std::vector<fitting::Estimate>& estimates) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : estimates) {
    out.push_back({{"name", e.name}, {"value", e.value}, {"lower", e.interval.lower}, {"upper", e.interval.upper}});
  }
  return out;
}

nlohmann::json SummaryJson(const fitting::Summary& s) {
  return {{"kind", s.kind},
          {"form", s.form},
          {"label", s.label},
          {"status", ToString(s.quality.status)},
          {"reason", s.quality.reason},
          {"n", s.quality.n_points},
          {"log_likelihood", s.quality.log_likelihood},
          {"deviance", s.quality.deviance},
          {"aic", s.quality.aic},
          {"iterations", s.quality.iterations},
          {"confidence_level", s.confidence_level},
          {"parameters", EstimatesJson(s.parameters)},
          {"derived", EstimatesJson(s.derived)},
          {"notes", s.notes}};
}

store::StoredFit ToStored(const fitting::FitOutcome& outcome, const std::string& input_hash) {
  store::StoredFit fit;
  fit.kind = std::string(fitting::ToString(outcome.kind));
  fit.key = outcome.key;
  fit.form = outcome.form;
  fit.axis = outcome.axis;
  fit.params = outcome.params;
  fit.covariance = outcome.covariance;
  fit.quality = outcome.quality;
  fit.summary_json = SummaryJson(outcome.summary).dump();
  fit.input_hash = input_hash;
  return fit;
}

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

}  // namespace

std::vector<FitLine> FitStoredData(store::Database& db, const fitting::FitJobFilter& filter, bool refit,
                                   const std::filesystem::path& families_csv, bool show_progress, std::ostream& err) {
  fitting::FitInputs inputs;
  inputs.runs = db.ListRuns();
  for (const Run& run : inputs.runs) inputs.problems[run.run_key] = db.ListProblemResults(run.run_key);
  inputs.families = fitting::LoadFamilies(families_csv);
  const std::vector<fitting::FitJob> jobs = fitting::PlanFitJobs(inputs, filter);

  const fitting::Options fit_options;
  std::vector<FitLine> lines;
  std::map<CurveKey, BetaDifficulty> betas;  // parallel fits, read by the rho jobs of the same key
  Progress progress(err, "fitting", jobs.size(), show_progress);
  for (size_t i = 0; i < jobs.size(); ++i) {
    const fitting::FitJob& job = jobs[i];
    const std::string hash = store::Sha256Hex(job.Fingerprint(fit_options));
    const std::string kind(fitting::ToString(job.kind));
    std::optional<store::StoredFit> stored = store::FindFit(db, kind, job.key);
    if (!stored || stored->input_hash != hash || refit) {
      auto beta = betas.find(job.key);
      const fitting::FitOutcome outcome =
          fitting::RunFitJob(job, fit_options, beta == betas.end() ? nullptr : &beta->second);
      stored = ToStored(outcome, hash);
      lines.push_back({*stored, true});
    } else {
      lines.push_back({*stored, false});
    }
    if (job.kind == fitting::FitKind::kParallel && stored->params.size() == 2) {
      betas[job.key] = BetaDifficulty{stored->params[0], stored->params[1], stored->covariance, stored->quality};
    }
    progress.Update(i + 1);
  }
  progress.Finish();

  // Every new fit in one transaction: an interrupted run leaves the previous fits as they were.
  SQLite::Transaction transaction(db.connection(), SQLite::TransactionBehavior::IMMEDIATE);
  for (const FitLine& line : lines) {
    if (line.refitted) store::SaveFit(db, line.fit);
  }
  transaction.commit();
  return lines;
}

int RunFit(Invocation& invocation) {
  cxxopts::Options options("thinkplan fit", kDescription);
  AddGlobalOptions(options);
  options.add_options()
      ("system", "only curves of this system (or model family, for training fits)", cxxopts::value<std::string>())
      ("class", "only curves of this task class", cxxopts::value<std::string>())
      ("kind", "only this kind: sequential|tokens|parallel|rho|coverage|training", cxxopts::value<std::string>())
      ("refit", "fit again even where the input rows are unchanged")
      ("verbose", "print every fit's full report (deviance, AIC, notes) after the table")
      ("families", "model-family table for training fits (default: data/models/families.csv)",
       cxxopts::value<std::string>());
  Parsed parsed = ParseCommandLine(options, invocation);
  if (parsed.help_shown) return 0;
  const auto& args = parsed.result;
  fitting::FitJobFilter filter;
  if (args.count("system")) filter.system = args["system"].as<std::string>();
  if (args.count("class")) filter.task_class = args["class"].as<std::string>();
  if (args.count("kind")) {
    const std::string kind = args["kind"].as<std::string>();
    filter.kind = fitting::ParseFitKind(kind);
    if (!filter.kind) throw UsageError("--kind '" + kind + "' is not one of sequential|tokens|parallel|rho|coverage|training");
  }
  const bool refit = args.count("refit") > 0;
  if (!std::filesystem::exists(parsed.global.db_path)) {
    throw InputError("database " + parsed.global.db_path.string() +
                     " does not exist (create it with `thinkplan ingest` or `thinkplan demo`)");
  }

  store::Database db = store::Database::Open(parsed.global.db_path);
  const std::filesystem::path families =
      args.count("families") ? std::filesystem::path(args["families"].as<std::string>())
                             : DefaultDataDir() / "models" / "families.csv";
  const std::vector<FitLine> lines =
      FitStoredData(db, filter, refit, families, !parsed.global.quiet && Progress::StderrIsTerminal(), invocation.err);

  size_t refitted = 0, usable = 0;
  for (const FitLine& line : lines) refitted += line.refitted, usable += line.fit.quality.usable();
  if (parsed.global.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const FitLine& line : lines) {
      nlohmann::json fit = nlohmann::json::parse(line.fit.summary_json);
      fit["system"] = line.fit.key.system;
      fit["task_class"] = line.fit.key.task_class;
      fit["difficulty"] = line.fit.key.difficulty;
      fit["axis"] = line.fit.axis;
      fit["params"] = line.fit.params;
      fit["covariance"] = line.fit.covariance;
      fit["input_hash"] = line.fit.input_hash;
      fit["refitted"] = line.refitted;
      out.push_back(fit);
    }
    invocation.out << out.dump(2) << "\n";
    return 0;
  }
  using A = TextTable::Align;
  TextTable table({{"kind"}, {"system / class / difficulty"}, {"n", A::kRight}, {"form"},
                   {"parameters and derived figures (95% intervals)"}, {"status"}});
  for (const FitLine& line : lines) {
    const auto summary = nlohmann::json::parse(line.fit.summary_json);
    std::string figures = Estimates(summary["parameters"]);
    if (!summary["derived"].empty()) figures += "  " + Estimates(summary["derived"]);
    std::string status(ToString(line.fit.quality.status));
    if (!line.fit.quality.reason.empty() && !line.fit.quality.usable()) status += ": " + line.fit.quality.reason;
    table.AddRow({line.fit.kind, line.fit.key.ToString(), std::to_string(line.fit.quality.n_points), line.fit.form,
                  line.fit.quality.usable() ? figures : "-", status});
  }
  table.Print(invocation.out);
  if (args.count("verbose")) {
    for (const FitLine& line : lines) {
      const auto s = nlohmann::json::parse(line.fit.summary_json);
      invocation.out << "\n" << line.fit.kind << " " << line.fit.key.ToString() << ": " << s["status"].get<std::string>();
      if (!s["reason"].get<std::string>().empty()) invocation.out << " (" << s["reason"].get<std::string>() << ")";
      invocation.out << fmt::format("\n  deviance {:.4g}, AIC {:.4g}, {} iterations\n", s["deviance"].get<double>(),
                                    s["aic"].get<double>(), s["iterations"].get<int>());
      for (const auto& note : s["notes"]) invocation.out << "  note: " << note.get<std::string>() << "\n";
    }
  }
  if (!parsed.global.quiet) {
    invocation.err << fmt::format("{} fits: {} usable, {} not; {} fitted now, {} unchanged since their last fit\n",
                                  lines.size(), usable, lines.size() - usable, refitted, lines.size() - refitted);
  }
  return 0;
}

}  // namespace thinkplan::cli
