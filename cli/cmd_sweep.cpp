// `thinkplan sweep --plan ID`: a grid of what-if changes crossed with posterior draws of the fitted curves, each
// planned and simulated; the probability that the plan meets its SLOs and budget (pipeline/sweep_stage.h,
// docs/sweep.md). `thinkplan sweep --list` lists the stored sweeps.
#include <limits>
#include <ostream>

#include <fmt/format.h>

#include "cli/cmd_sweep.h"
#include "cli/command.h"
#include "core/errors.h"
#include "core/number_format.h"
#include "core/text_table.h"
#include "pipeline/plan_stage.h"
#include "pipeline/progress.h"
#include "pipeline/sweep_stage.h"
#include "store/sweeps.h"

namespace thinkplan::cli {
namespace {

constexpr const char* kDescription =
    "How likely is a stored plan to hold? Each grid point of what-if changes (the keys of `thinkplan whatif`;\n"
    "several values of a key, separated by commas, make a grid, and several keys cross) is re-planned on the\n"
    "fitted curves. Then, per posterior draw, every fitted curve (sequential accuracy, thinking tokens, Beta\n"
    "difficulty) is drawn from a multivariate normal on its parameters in the scale the fit solves in (its stored\n"
    "covariance), every stored run's accuracy from its Jeffreys posterior, and a proxy bucket's transfer error\n"
    "(normal on the logit scale with the sd sigma_T its plan interval is widened by; --proxy-spread sets it).\n"
    "The plan's chosen options are re-scored on the drawn curves and the fleet is simulated for\n"
    "--days under them. The plan is held fixed and the world is drawn: what is measured is whether the plan keeps\n"
    "its promise if the truth is like this draw.\n\n"
    "Per scenario it prints the distribution (mean, 5th, 50th, 95th percentile) of accuracy, monthly cost, each\n"
    "class's p95 latency and share of queries over the SLO, and the probability of meeting each class's SLO (at\n"
    "most 5% of its queries over the bound), the budget, and both, with the binomial standard error and the 95%\n"
    "Wilson interval over the draws. Curves are drawn from (seed, draw) and each simulation is seeded from (seed,\n"
    "scenario, draw): the result is the same for any --threads. The sweep is stored in one transaction after the\n"
    "last draw (an interrupted sweep stores nothing) and `thinkplan report --plan ID` charts it.\n\n"
    "  --set budget=0.5x,1x,2x                   three scenarios\n"
    "  --set volume.code=1x,3x --set slo.chat=10,20   four scenarios (2 x 2)\n\n"
    "Examples:\n"
    "  thinkplan sweep --plan 1 --draws 200\n"
    "  thinkplan sweep --plan 1 --set budget=0.5x,1x,2x --draws 100 --days 0.5 --threads 2\n"
    "  thinkplan sweep --plan 1 --draws 50 --json --no-store\n"
    "  thinkplan sweep --list --plan 1\n";

// cxxopts splits a repeatable option's values at commas; a piece without '=' is another value of the key before it.
std::vector<std::string> RejoinGrid(const std::vector<std::string>& pieces) {
  std::vector<std::string> grid;
  for (const std::string& piece : pieces) {
    if (piece.find('=') == std::string::npos && !grid.empty()) {
      grid.back() += "," + piece;
    } else {
      grid.push_back(piece);
    }
  }
  return grid;
}

int ListSweeps(Invocation& invocation, const Parsed& parsed, std::optional<long> plan_id) {
  store::Database db = pipeline::OpenExistingDatabase(parsed.global.db_path);
  const std::vector<store::StoredSweep> sweeps = store::ListSweeps(db, plan_id);
  if (parsed.global.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const store::StoredSweep& s : sweeps) {
      nlohmann::json body = nlohmann::json::parse(s.body);
      body["id"] = s.id;
      body["created_at"] = s.created_at;
      out.push_back(std::move(body));
    }
    invocation.out << out.dump(2) << "\n";
    return 0;
  }
  TextTable table({{"id", TextTable::Align::kRight}, {"plan", TextTable::Align::kRight}, {"created"},
                   {"scenarios", TextTable::Align::kRight}, {"draws", TextTable::Align::kRight}, {"seed", TextTable::Align::kRight},
                   {"first scenario"}, {"P(all SLOs)", TextTable::Align::kRight}, {"P(budget)", TextTable::Align::kRight}});
  for (const store::StoredSweep& s : sweeps) {
    const nlohmann::json body = nlohmann::json::parse(s.body);
    std::string label, slos = "-", budget = "-";
    for (const nlohmann::json& sc : body.value("scenarios", nlohmann::json::array())) {
      if (!sc.value("feasible", false)) continue;
      label = sc.value("label", "");
      if (sc["meets_all_slos"].is_object()) slos = Percent(sc["meets_all_slos"]["value"].get<double>());
      if (sc["within_budget"].is_object()) budget = Percent(sc["within_budget"]["value"].get<double>());
      break;
    }
    table.AddRow({std::to_string(s.id), std::to_string(s.plan_id), s.created_at, std::to_string(s.scenarios),
                  std::to_string(s.draws), std::to_string(s.seed), label, slos, budget});
  }
  if (table.empty()) {
    invocation.out << "no sweeps stored (`thinkplan sweep --plan ID` makes one)\n";
  } else {
    table.Print(invocation.out);
  }
  return 0;
}

}  // namespace

int RunSweep(Invocation& invocation) { return RunSweep(invocation, {}); }

int RunSweep(Invocation& invocation, const pipeline::SweepHooks& hooks) {
  cxxopts::Options options("thinkplan sweep", std::string(kDescription) + "\n" + std::string(kNumberHelp));
  AddGlobalOptions(options);
  options.add_options()
      ("plan", "plan id (see thinkplan plans)", cxxopts::value<std::string>())
      ("set", "KEY=V1,V2,... what-if values of one key (repeatable; the grid is their cross product)",
       cxxopts::value<std::vector<std::string>>())
      ("draws", "posterior draws per scenario", cxxopts::value<std::string>()->default_value("100"))
      ("days", "simulated days per draw", cxxopts::value<std::string>()->default_value("1"))
      ("seed", "random seed, a whole number in [0, 2^64)", cxxopts::value<std::string>()->default_value("42"))
      ("threads", "worker threads, 0 = all hardware threads (the result does not depend on them)",
       cxxopts::value<std::string>()->default_value("0"))
      ("max-queries", "per draw, refuse a simulation expected to draw more queries than this",
       cxxopts::value<std::string>()->default_value("30M"))
      ("max-samples", "per draw, refuse a simulation expected to draw more samples than this",
       cxxopts::value<std::string>()->default_value("200M"))
      ("proxy-spread", "sigma_T, the sd on the logit scale of a proxy bucket's drawn transfer error (default: as "
                       "the plan measures it from the stored runs; 0: not drawn)", cxxopts::value<std::string>())
      ("no-store", "do not store the sweep")
      ("list", "list the stored sweeps (of --plan when given) instead of running one");
  Parsed parsed = ParseCommandLine(options, invocation);
  if (parsed.help_shown) return 0;
  const auto& args = parsed.result;
  std::optional<long> plan_id;
  if (args.count("plan")) plan_id = IntegerArg(args, "plan", number_rules::kId);
  if (args.count("list")) return ListSweeps(invocation, parsed, plan_id);
  if (!plan_id) throw UsageError("--plan ID is required (see thinkplan plans)");
  pipeline::SweepOptions sweep;
  if (args.count("set")) sweep.grid = RejoinGrid(args["set"].as<std::vector<std::string>>());
  sweep.draws = IntegerArg(args, "draws", {.whole = true, .min = 1, .max = 1e7});
  sweep.days = NumberArg(args, "days", number_rules::kNonNegative);
  sweep.seed = UnsignedArg(args, "seed", number_rules::kCount);
  sweep.threads = static_cast<int>(IntegerArg(args, "threads", {.whole = true, .min = 0, .max = 4096}));
  sweep.max_queries = NumberArg(args, "max-queries", number_rules::kAmount);
  sweep.max_samples = NumberArg(args, "max-samples", number_rules::kAmount);
  if (args.count("proxy-spread")) sweep.proxy_sigma_logit = NumberArg(args, "proxy-spread", number_rules::kNonNegative);
  sweep.store = !args.count("no-store");
  std::string error;
  if (!sweep.IsValid(&error)) throw UsageError(error);
  store::Database db = pipeline::OpenExistingDatabase(parsed.global.db_path);
  const bool bar = !parsed.global.quiet && pipeline::Progress::StderrIsTerminal();
  const pipeline::SweepSummary summary =
      pipeline::SweepStage(db, *plan_id, sweep, bar ? &invocation.err : nullptr, nullptr, hooks);
  if (parsed.global.json) {
    invocation.out << summary.ToJson().dump(2) << "\n";
  } else {
    invocation.out << summary.FullReport();
    if (summary.id) invocation.out << fmt::format("stored as sweep {}\n", *summary.id);
  }
  if (summary.status == pipeline::SweepStatus::kNoneFeasible) {
    throw InputError("no scenario of the sweep has a feasible plan: " + summary.scenarios.front().reason);
  }
  return 0;
}

}  // namespace thinkplan::cli
