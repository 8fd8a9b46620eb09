// `thinkplan demo`: the whole pipeline on the shipped data. Each stage is a named, timed pass, and the
// pipeline is visible in RunDemo itself.
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/table.h"
#include "core/errors.h"
#include "pipeline/fit_stage.h"
#include "pipeline/plan_stage.h"
#include "pipeline/progress.h"
#include "pipeline/report_stage.h"
#include "pipeline/simulate_stage.h"
#include "store/database.h"

namespace thinkplan::cli {
namespace {

constexpr const char* kDescription =
    "Run thinkplan end to end on the data shipped in data/: ingest every published and public data set\n"
    "(listed, in order, in data/demo_manifest.txt) into the database, fit every scaling curve the data support\n"
    "plan the default workload (data/workloads/default.json), store the plan, write its serving policy to\n"
    "out/policy.json, simulate a day of the fleet under it (seed 42) and write the capacity-planning report to\n"
    "out/report.html (charts, opens offline) and out/report.md.\n"
    "Running it again on the same database is safe: identical rows are no-ops.\n\n"
    "Examples:\n"
    "  thinkplan demo                       # into ./thinkplan.db\n"
    "  thinkplan demo --db /tmp/demo.db --json\n";

// One named, timed step of the demo.
struct StageTiming {
  std::string name;
  double seconds = 0;
};

class Stages {
 public:
  explicit Stages(std::ostream& err, bool quiet) : err_(err), quiet_(quiet) {}
  void Run(const std::string& name, const std::function<void()>& body) {
    if (!quiet_) err_ << "== " << name << "\n";
    const auto start = std::chrono::steady_clock::now();
    body();
    timings_.push_back({name, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()});
  }
  const std::vector<StageTiming>& timings() const { return timings_; }

 private:
  std::ostream& err_;
  bool quiet_;
  std::vector<StageTiming> timings_;
};

// The shipped files in ingest order (catalogues before the runs that name them, runs before their problems).
std::vector<std::filesystem::path> ReadManifest(const std::filesystem::path& data_dir) {
  const auto manifest = data_dir / "demo_manifest.txt";
  std::ifstream in(manifest);
  if (!in) throw InputError("cannot read " + manifest.string() + " (is --data the project's data/ folder?)");
  std::vector<std::filesystem::path> files;
  std::string line;
  while (std::getline(in, line)) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (!line.empty()) files.push_back(data_dir / line);
  }
  return files;
}

}  // namespace

int RunDemo(Invocation& invocation) {
  cxxopts::Options options("thinkplan demo", kDescription);
  AddGlobalOptions(options);
  options.add_options()
      ("data", "the shipped data folder (default: the project's data/)", cxxopts::value<std::string>())
      ("out", "folder for the demo's files: policy.json, report.html, report.md (default: out/)", cxxopts::value<std::string>()->default_value("out"));
  Parsed parsed = ParseCommandLine(options, invocation);
  if (parsed.help_shown) return 0;
  const bool json = parsed.global.json;
  const bool quiet = parsed.global.quiet;
  const std::filesystem::path data_dir =
      parsed.result.count("data") ? std::filesystem::path(parsed.result["data"].as<std::string>()) : DefaultDataDir();

  const std::filesystem::path out_dir = parsed.result["out"].as<std::string>();
  Stages stages(invocation.err, quiet || json);
  store::Database db = store::Database::Open(parsed.global.db_path);
  std::vector<store::IngestSummary> ingested;

  stages.Run("ingest shipped data", [&] {
    for (const auto& file : ReadManifest(data_dir)) {
      ingested.push_back(db.Ingest(file));
      if (!quiet && !json) invocation.err << "   " << ingested.back().BriefReport() << "\n";
    }
  });

  const bool bar = !quiet && !json && pipeline::Progress::StderrIsTerminal();
  std::vector<pipeline::FitLine> fits;
  stages.Run("fit scaling curves", [&] {
    pipeline::FitStageOptions fit;
    fit.families_csv = data_dir / "models" / "families.csv";
    fits = pipeline::FitStage(db, DefaultDataDir(), fit, bar ? &invocation.err : nullptr).lines;
  });
  std::map<std::string, std::pair<int, int>> fits_by_kind;  // kind -> (usable, all)
  for (const pipeline::FitLine& line : fits) {
    auto& [usable, all] = fits_by_kind[line.fit.kind];
    usable += line.fit.quality.usable();
    ++all;
  }

  std::optional<planner::PlanResult> plan;
  long plan_id = 0;
  stages.Run("plan the default workload", [&] {
    planner::Workload workload = planner::LoadWorkload(data_dir / "workloads" / "default.json");
    pipeline::PlanStageResult planned = pipeline::PlanStage(db, std::move(workload), DefaultDataDir());
    plan = std::move(planned.plan);
    if (!plan->feasible) throw InternalError("the default workload has no feasible plan: " + plan->reason);
    plan_id = *planned.plan_id;
  });

  const std::filesystem::path policy_path = out_dir / "policy.json";
  stages.Run("export the serving policy", [&] {
    pipeline::ExportPolicyOptions policy;
    policy.path = policy_path;
    pipeline::ExportPolicyStage(db, plan_id, policy);
  });

  long simulation_id = 0;
  stages.Run("simulate a day of the fleet", [&] {
    simulation_id = pipeline::SimulateStage(db, plan_id, DefaultDataDir(), pipeline::SimulateSettings{},
                                            bar ? &invocation.err : nullptr).id;
  });

  stages.Run("write the report", [&] {
    pipeline::ReportStage(db, plan_id, simulation_id, DefaultDataDir(), pipeline::ReportFilesIn(out_dir));
  });

  const store::StoreCounts counts = db.Counts();
  if (json) {
    nlohmann::json out;
    out["database"] = db.path().string();
    out["counts"] = {{"systems", counts.systems},          {"hardware", counts.hardware},
                     {"task_classes", counts.task_classes}, {"runs", counts.runs},
                     {"problem_results", counts.problem_results}, {"perf_runs", counts.perf_runs}};
    for (const auto& summary : ingested) {
      out["ingested"].push_back({{"file", summary.file},
                                 {"kind", store::ToString(summary.kind)},
                                 {"rows", summary.rows_read},
                                 {"inserted", summary.inserted},
                                 {"unchanged", summary.unchanged}});
    }
    out["plan"] = {{"id", plan_id}, {"accuracy", plan->accuracy},
                   {"accuracy_ci95", {plan->accuracy_interval.lower, plan->accuracy_interval.upper}},
                   {"inference_usd_per_month", plan->inference_usd_per_month}};
    out["policy"] = policy_path.string();
    out["simulation"] = {{"id", simulation_id}};
    out["report"] = {{"html", (out_dir / "report.html").string()}, {"markdown", (out_dir / "report.md").string()}};
    for (const auto& [kind, n] : fits_by_kind) out["fits"][kind] = {{"usable", n.first}, {"total", n.second}};
    for (const auto& stage : stages.timings()) out["stages"].push_back({{"name", stage.name}, {"seconds", stage.seconds}});
    invocation.out << out.dump(2) << "\n";
    return 0;
  }
  invocation.out << "thinkplan demo: database " << db.path().string() << "\n\n";
  using A = TextTable::Align;
  TextTable table({{"stored"}, {"count", A::kRight}});
  table.AddRow({"systems", std::to_string(counts.systems)});
  table.AddRow({"hardware", std::to_string(counts.hardware)});
  table.AddRow({"task classes", std::to_string(counts.task_classes)});
  table.AddRow({"runs", std::to_string(counts.runs)});
  table.AddRow({"problem results", std::to_string(counts.problem_results)});
  table.AddRow({"perf runs", std::to_string(counts.perf_runs)});
  table.Print(invocation.out);
  invocation.out << "\n";
  TextTable fit_table({{"fitted curves"}, {"usable", A::kRight}, {"of", A::kRight}});
  for (const auto& [kind, n] : fits_by_kind) fit_table.AddRow({kind, std::to_string(n.first), std::to_string(n.second)});
  fit_table.Print(invocation.out);
  invocation.out << "\n";
  invocation.out << plan->BriefReport() << "\n";
  invocation.out << "stored as plan " << plan_id << "; serving policy written to " << policy_path.string() << "\n";
  invocation.out << "simulated as simulation " << simulation_id << "; report written to "
                 << (out_dir / "report.html").string() << " and " << (out_dir / "report.md").string() << "\n\n";
  TextTable timing({{"stage"}, {"seconds", A::kRight}});
  for (const auto& stage : stages.timings()) timing.AddRow({stage.name, FormatFixed(stage.seconds, 2)});
  timing.Print(invocation.out);
  invocation.out << "\nNext: open " << (out_dir / "report.html").string()
                 << " in a browser; `thinkplan whatif --plan " << plan_id
                 << " --set budget=2x` re-plans with twice the budget;\n`thinkplan fit --class code` shows the fitted curves "
                    "with their intervals.\n";
  return 0;
}

}  // namespace thinkplan::cli
