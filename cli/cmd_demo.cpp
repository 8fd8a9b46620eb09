// `thinkplan demo`: the whole pipeline on the shipped data (pipeline::RunDemoPipeline, where each stage is a named,
// timed pass), then what it stored and how long each stage took.
#include <map>
#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "core/number_format.h"
#include "core/text_table.h"
#include "pipeline/demo.h"
#include "pipeline/progress.h"
#include "store/database.h"

namespace thinkplan::cli {
namespace {

constexpr const char* kDescription =
    "Run thinkplan end to end on the data shipped in data/: ingest every published and public data set\n"
    "(listed, in order, in data/demo_manifest.txt) into the database, fit every scaling curve the data support\n"
    "plan the default workload (data/workloads/default.json), store the plan, verify it as `plan --verify` does\n"
    "(simulate a day of the fleet, seed 42; re-provision and re-plan where the simulation breaks the plan's\n"
    "promise), write its serving policy to out/policy.json and write the capacity-planning report to\n"
    "out/report.html (charts, opens offline) and out/report.md.\n"
    "Running it again on the same database is safe: identical rows are no-ops.\n\n"
    "Examples:\n"
    "  thinkplan demo                       # into ./thinkplan.db\n"
    "  thinkplan demo --db /tmp/demo.db --json\n";

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
  const std::filesystem::path out_dir = parsed.result["out"].as<std::string>();
  store::Database db = store::Database::Open(parsed.global.db_path);
  pipeline::DemoOptions demo;
  if (parsed.result.count("data")) demo.shipped_data = parsed.result["data"].as<std::string>();
  demo.out_dir = out_dir;
  demo.log = quiet || json ? nullptr : &invocation.err;
  demo.progress = !quiet && !json && pipeline::Progress::StderrIsTerminal() ? &invocation.err : nullptr;
  const pipeline::DemoResult result = pipeline::RunDemoPipeline(db, DefaultDataDir(), demo);

  const std::vector<store::IngestSummary>& ingested = result.ingested;
  std::map<std::string, std::pair<int, int>> fits_by_kind;  // kind -> (usable, all)
  for (const pipeline::FitLine& line : result.fits.lines) {
    auto& [usable, all] = fits_by_kind[line.fit.kind];
    usable += line.fit.quality.usable();
    ++all;
  }
  for (const pipeline::CostFitLine& line : result.cost_fits.lines) {
    auto& [usable, all] = fits_by_kind[line.fit.kind];
    usable += line.fit.quality.usable();
    ++all;
  }
  const planner::PlanResult* plan = &result.plan;
  const long plan_id = result.plan_id;
  const std::filesystem::path& policy_path = result.policy_path;
  const long simulation_id = result.simulation_id;
  const store::StoreCounts& counts = result.counts;
  if (json) {
    nlohmann::json out;
    out["database"] = db.path().string();
    // Which data folder was read: the checkout's, an installed tree's or --data.
    out["data"] = demo.shipped_data.value_or(DefaultDataDir()).string();
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
    out["verification"] = result.verification.ToJson();
    out["report"] = {{"html", (out_dir / "report.html").string()}, {"markdown", (out_dir / "report.md").string()}};
    for (const auto& [kind, n] : fits_by_kind) out["fits"][kind] = {{"usable", n.first}, {"total", n.second}};
    for (const auto& stage : result.stages) out["stages"].push_back({{"name", stage.name}, {"seconds", stage.seconds}});
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
  invocation.out << result.verification.BriefReport();
  invocation.out << "simulated as simulation " << simulation_id << "; report written to "
                 << (out_dir / "report.html").string() << " and " << (out_dir / "report.md").string() << "\n\n";
  TextTable timing({{"stage"}, {"seconds", A::kRight}});
  for (const auto& stage : result.stages) timing.AddRow({stage.name, FormatFixed(stage.seconds, 2)});
  timing.Print(invocation.out);
  invocation.out << "\nNext: open " << (out_dir / "report.html").string()
                 << " in a browser; `thinkplan whatif --plan " << plan_id
                 << " --set budget=2x` re-plans with twice the budget;\n`thinkplan fit --class code` shows the fitted curves "
                    "with their intervals.\n";
  return 0;
}

}  // namespace thinkplan::cli
