// `thinkplan plan WORKLOAD.json`: solve the workload on the stored fits and runs, print the allocation, intervals,
// cost, capacity and frontier, and store the plan (docs/design.md 3.6, docs/planner.md).
#include <ostream>

#include <fmt/format.h>

#include "cli/command.h"
#include "core/errors.h"
#include "pipeline/plan_stage.h"
#include "pipeline/verify_stage.h"

namespace thinkplan::cli {

int RunPlan(Invocation& invocation) {
  cxxopts::Options options("thinkplan plan",
                           "Allocate each task class's traffic to serving options (system, mode, thinking budget,\n"
                           "samples, aggregation) under a budget or accuracy target; size the self-hosted fleet at\n"
                           "peak (KV at the p95 final context, queueing at peak) and count its bill in the budget;\n"
                           "store the plan and print its id. An infeasible plan says why and exits 2. --verify\n"
                           "simulates the stored plan for a day and says whether it holds (it does not re-plan yet).\n"
                           "See docs/planner.md.\n\n"
                           "Example:\n  thinkplan plan data/workloads/default.json --budget 200k --robust\n\n" +
                               std::string(kNumberHelp));
  options.positional_help("WORKLOAD.json");
  AddGlobalOptions(options);
  options.add_options()
      ("budget", "USD per month, e.g. 200000 or 200k (overrides the workload's budget_usd_per_month)",
       cxxopts::value<std::string>())
      ("objective", "max_accuracy | min_cost | max_net_value (overrides the workload's)", cxxopts::value<std::string>())
      ("target", "overall accuracy target in [0, 1] for min_cost", cxxopts::value<std::string>())
      ("robust", "plan on each option's lower confidence bound instead of its expected accuracy")
      ("no-store", "do not store the plan")
      ("verify", "simulate the stored plan for a day (seed 42) and check its p95, SLO misses and cost against the "
                 "simulation; the simulation is stored")
      ("workload", "workload JSON file", cxxopts::value<std::string>());
  options.parse_positional({"workload"});
  Parsed parsed = ParseCommandLine(options, invocation);
  if (parsed.help_shown) return 0;
  const auto& args = parsed.result;
  if (!args.count("workload")) throw UsageError("no workload file given (e.g. data/workloads/default.json)");

  pipeline::PlanStageOptions stage_options;
  planner::PlanOptions& plan_options = stage_options.plan;
  if (args.count("budget")) plan_options.budget_usd_per_month = NumberArg(args, "budget", number_rules::kAmount);
  if (args.count("objective")) {
    const std::string text = args["objective"].as<std::string>();
    plan_options.objective = planner::ParseObjective(text);
    if (!plan_options.objective) throw UsageError("--objective '" + text + "' is not max_accuracy, min_cost or max_net_value");
  }
  if (args.count("target")) plan_options.target_accuracy = NumberArg(args, "target", number_rules::kFraction);
  plan_options.robust = args.count("robust") > 0;
  stage_options.store = !args.count("no-store");
  const bool verify = args.count("verify") > 0;
  if (verify && !stage_options.store) throw UsageError("--verify simulates the stored plan: drop --no-store");
  std::string error;
  if (!plan_options.IsValid(&error)) throw UsageError(error);

  planner::Workload workload = planner::LoadWorkload(args["workload"].as<std::string>());
  store::Database db = pipeline::OpenExistingDatabase(parsed.global.db_path);
  const pipeline::PlanStageResult planned = pipeline::PlanStage(db, std::move(workload), stage_options);
  const planner::PlanResult& result = planned.plan;
  const std::optional<long>& id = planned.plan_id;

  std::optional<pipeline::Verification> verification;
  if (verify && id) verification = pipeline::VerifyPlan(db, result, *id);
  if (parsed.global.json) {
    nlohmann::json j = result.ToJson();
    j["plan_id"] = id ? nlohmann::json(*id) : nlohmann::json(nullptr);
    if (verification) {
      j["verification"] = {{"simulation_id", verification->simulation_id}, {"holds", verification->holds()},
                           {"planned_usd_per_month", verification->planned_usd_per_month},
                           {"simulated_usd_per_month", verification->simulated_usd_per_month}};
    }
    invocation.out << j.dump(2) << "\n";
  } else {
    invocation.out << result.FullReport();
    if (id) invocation.out << fmt::format("stored as plan {}\n", *id);
    if (verification) invocation.out << verification->FullReport();
  }
  if (!result.feasible) throw InputError("plan '" + result.workload_name + "' is infeasible: " + result.reason);
  return 0;
}

}  // namespace thinkplan::cli
