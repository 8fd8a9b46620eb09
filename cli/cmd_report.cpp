// `thinkplan report --plan ID`: the capacity-planning report of a stored plan, as one self-contained HTML file
// with charts or as Markdown, with the charts' Vega-Lite specs written beside it.
#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "core/errors.h"
#include "pipeline/plan_stage.h"
#include "pipeline/report_stage.h"

namespace thinkplan::cli {
namespace {

constexpr const char* kDescription =
    "Write the capacity-planning report of a stored plan.\n\n"
    "It opens with the question and the answer (budget, objective, training/inference split, expected accuracy\n"
    "with its interval, monthly cost, GPU count), then per task class the scaling curves (accuracy against thinking\n"
    "tokens on a log axis, data points sized by problem count, 95% bands, the chosen operating points) and parallel\n"
    "scaling against N; the cost-accuracy frontier with the plan marked (and its base plan's, for a what-if plan);\n"
    "the routing table with the request parameters the exported policy sends; capacity (GPUs, utilisation, KV\n"
    "memory, cost) and, with --simulation, simulated latency against the SLOs; whether `plan --verify` verified\n"
    "the plan (planned against simulated p95, SLO misses and cost; \"not verified\" when it never was; a\n"
    "verified plan is shown with its verifying simulation unless --simulation names another);\n"
    "training-versus-thinking exchange rates and Snell's FLOPs-matched table; and every data set, citation, fit quality figure and warning.\n\n"
    "HTML is one file that opens offline: the chart runtime (vega, vega-lite, vega-embed at the versions pinned in\n"
    "reports/web/package-lock.json, installed by scripts/install-web-deps.sh) is inlined. Markdown has the same\n"
    "tables and links each chart's spec. Either way each chart's Vega-Lite spec is written to\n"
    "<name>_specs/<chart>.vl.json beside the report, for notebooks and dashboards (vega-embed, Altair, the Vega\n"
    "editor). Files are written to a temporary name and renamed.\n\n"
    "Examples:\n"
    "  thinkplan report --plan 1 --out report.html\n"
    "  thinkplan report --plan 3 --simulation 2 --out plan3.md\n"
    "  thinkplan report --plan 1 --out plan.txt --format md\n";

pipeline::ReportFormat FormatOf(const cxxopts::ParseResult& args, const std::filesystem::path& out) {
  std::string format;
  if (args.count("format")) {
    format = args["format"].as<std::string>();
  } else {
    const std::string ext = out.extension().string();
    if (ext == ".html" || ext == ".htm") format = "html";
    if (ext == ".md" || ext == ".markdown") format = "md";
    if (format.empty()) {
      throw UsageError("cannot tell the format from '" + out.filename().string() +
                       "': name it .html or .md, or pass --format html|md");
    }
  }
  if (format == "html") return pipeline::ReportFormat::kHtml;
  if (format == "md" || format == "markdown") return pipeline::ReportFormat::kMarkdown;
  throw UsageError("--format must be html or md, not '" + format + "'");
}

}  // namespace

int RunReport(Invocation& invocation) {
  cxxopts::Options options("thinkplan report", kDescription);
  AddGlobalOptions(options);
  options.add_options()
      ("plan", "plan id (thinkplan plans lists them)", cxxopts::value<std::string>())
      ("simulation", "simulation id of the same plan, for latency against the SLOs (default: the one that verified "
                     "it, if any)", cxxopts::value<std::string>())
      ("out", "the report file: .html or .md", cxxopts::value<std::string>())
      ("format", "html | md (default: from the --out extension)", cxxopts::value<std::string>());
  Parsed parsed = ParseCommandLine(options, invocation);
  if (parsed.help_shown) return 0;
  const auto& args = parsed.result;
  if (!args.count("plan")) throw UsageError("--plan ID is required (thinkplan plans lists them)");
  if (!args.count("out")) throw UsageError("--out FILE is required (report.html or report.md)");
  const std::int64_t plan_id = IntegerArg(args, "plan", number_rules::kId);
  const std::filesystem::path out = args["out"].as<std::string>();
  const pipeline::ReportFormat format = FormatOf(args, out);
  std::optional<long> simulation;
  if (args.count("simulation")) simulation = IntegerArg(args, "simulation", number_rules::kId);

  store::Database db = pipeline::OpenExistingDatabase(parsed.global.db_path);
  const pipeline::WrittenReport written =
      pipeline::ReportStage(db, plan_id, simulation, DefaultDataDir(), {{format, out}}).written.front();
  if (parsed.global.json) {
    invocation.out << nlohmann::json{{"path", written.path.string()}, {"specs_dir", written.specs_dir.string()},
                                     {"bytes", written.bytes}, {"charts", written.charts}, {"tables", written.tables},
                                     {"format", format == pipeline::ReportFormat::kHtml ? "html" : "md"}}
                          .dump(2)
                   << "\n";
  } else if (!parsed.global.quiet) {
    invocation.out << fmt::format("wrote {} ({:.0f} kB, {} charts, {} tables); chart specs in {}\n", written.path.string(),
                                  written.bytes / 1024.0, written.charts, written.tables, written.specs_dir.string());
  }
  return 0;
}

}  // namespace thinkplan::cli
