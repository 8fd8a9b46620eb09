// `thinkplan runs`: list and filter the stored runs, as a table or JSON.
#include <cmath>
#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "core/errors.h"
#include "core/number_format.h"
#include "core/statistics.h"
#include "core/text_table.h"
#include "store/database.h"

namespace thinkplan::cli {
namespace {

constexpr const char* kDescription =
    "List the stored runs, optionally filtered. Accuracy is shown with its 95% Wilson score interval\n"
    "(from n_correct of n_problems), so a figure from 30 problems does not look as sure as one from 10,000.\n\n"
    "Examples:\n"
    "  thinkplan runs --class math-competition\n"
    "  thinkplan runs --system o3-mini --json\n";

template <typename T>
nlohmann::json Optional(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json RunJson(const Run& run) {
  const Interval ci = WilsonInterval(run.n_correct, static_cast<double>(run.n_problems), 0.95);
  return {{"run_key", run.run_key},
          {"source", ToString(run.source)},
          {"system", run.system},
          {"hardware", run.hardware},
          {"task_class", run.task_class},
          {"difficulty", run.difficulty},
          {"benchmark", run.benchmark},
          {"problem_set", run.problem_set},
          {"mode", ToString(run.mode)},
          {"budget_tokens", Optional(run.budget_tokens)},
          {"effort", run.effort},
          {"samples", run.samples},
          {"aggregation", run.aggregation.ToString()},
          {"n_problems", run.n_problems},
          {"n_correct", run.n_correct},
          {"accuracy", run.accuracy()},
          {"accuracy_ci95", {ci.lower, ci.upper}},
          {"mean_output_tokens", Optional(run.mean_output_tokens)},
          {"mean_thinking_tokens", Optional(run.mean_thinking_tokens)},
          {"mean_answer_tokens", Optional(run.mean_answer_tokens)},
          {"mean_input_tokens", Optional(run.mean_input_tokens)},
          {"latency_p50_s", Optional(run.latency_p50_s)},
          {"latency_p95_s", Optional(run.latency_p95_s)},
          {"gpu_seconds", Optional(run.gpu_seconds)},
          {"cost_usd", Optional(run.cost_usd)},
          {"citation", run.citation}};
}

std::string Setting(const Run& run) {
  if (run.budget_tokens) return FormatCount(*run.budget_tokens) + " tok";
  return run.effort.empty() ? "-" : run.effort;
}

}  // namespace

int RunRuns(Invocation& invocation) {
  cxxopts::Options options("thinkplan runs", kDescription);
  AddGlobalOptions(options);
  options.add_options()
      ("system", "only this system", cxxopts::value<std::string>())
      ("class", "only this task class", cxxopts::value<std::string>())
      ("source", "only runs from this source: measured|published|simulated", cxxopts::value<std::string>())
      ("difficulty", "only this difficulty bucket", cxxopts::value<std::string>())
      ("limit", "show at most N runs in the table (0 = all)", cxxopts::value<std::string>()->default_value("0"));
  Parsed parsed = ParseCommandLine(options, invocation);
  if (parsed.help_shown) return 0;
  const auto& args = parsed.result;

  store::RunFilter filter;
  if (args.count("system")) filter.system = args["system"].as<std::string>();
  if (args.count("class")) filter.task_class = args["class"].as<std::string>();
  if (args.count("difficulty")) filter.difficulty = args["difficulty"].as<std::string>();
  if (args.count("source")) {
    const std::string text = args["source"].as<std::string>();
    filter.source = ParseSource(text);
    if (!filter.source) throw UsageError("--source '" + text + "' is not one of measured|published|simulated");
  }
  const long limit = IntegerArg(args, "limit", number_rules::kCount);  // 0: all

  if (!std::filesystem::exists(parsed.global.db_path)) {
    throw InputError("database " + parsed.global.db_path.string() +
                     " does not exist (create it with `thinkplan ingest` or `thinkplan demo`)");
  }
  store::Database db = store::Database::Open(parsed.global.db_path);
  const std::vector<Run> runs = db.ListRuns(filter);

  if (parsed.global.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const Run& run : runs) out.push_back(RunJson(run));
    invocation.out << out.dump(2) << "\n";
    return 0;
  }
  using A = TextTable::Align;
  TextTable table({{"run_key"}, {"system"}, {"class"}, {"diff"}, {"mode"}, {"setting"}, {"aggregation"},
                   {"n", A::kRight}, {"accuracy", A::kRight}, {"95% CI", A::kRight}, {"out tok", A::kRight}});
  long shown = 0;
  for (const Run& run : runs) {
    if (limit > 0 && shown == limit) break;
    ++shown;
    const Interval ci = WilsonInterval(run.n_correct, static_cast<double>(run.n_problems), 0.95);
    table.AddRow({run.run_key, run.system, run.task_class, run.difficulty.empty() ? "-" : run.difficulty,
                  std::string(ToString(run.mode)), Setting(run), run.aggregation.ToString(),
                  std::to_string(run.n_problems), FormatFixed(run.accuracy(), 3),
                  fmt::format("{:.3f}-{:.3f}", ci.lower, ci.upper),
                  run.mean_output_tokens ? FormatCount(std::round(*run.mean_output_tokens)) : "-"});
  }
  table.Print(invocation.out);
  if (!parsed.global.quiet) {
    invocation.err << shown << " of " << runs.size() << " matching runs shown\n";
  }
  return 0;
}

}  // namespace thinkplan::cli
