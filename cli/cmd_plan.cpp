// `thinkplan plan WORKLOAD.json`: solve the workload on the stored fits and runs, print the allocation, intervals,
// cost, capacity and frontier, and store the plan (docs/design.md 3.6, docs/planner.md).
#include <ostream>

#include <fmt/format.h>

#include "cli/command.h"
#include "core/errors.h"
#include "pipeline/plan_stage.h"
#include "pipeline/verify_stage.h"

namespace thinkplan::cli {

namespace {

// `plan --verify`: the closed loop of pipeline/verify_stage.h, each round printed as it ends (text), then the final
// plan and its verification. A loop that ends without a plan that holds is an input error (exit 2), after it is shown.
int PlanVerified(Invocation& invocation, store::Database& db, planner::Workload workload,
                 const pipeline::PlanStageOptions& stage_options, const pipeline::VerifyLoopOptions& loop, bool json) {
  const pipeline::VerifyLoopSummary summary =
      pipeline::PlanAndVerify(db, std::move(workload), stage_options, loop, json ? nullptr : &invocation.out);
  const pipeline::PlanStageResult& planned = summary.final_plan;
  const planner::PlanResult& result = planned.plan;
  if (json) {
    nlohmann::json j = result.ToJson();
    j["plan_id"] = planned.plan_id ? nlohmann::json(*planned.plan_id) : nlohmann::json(nullptr);
    j["verification"] = summary.ToJson();
    invocation.out << j.dump(2) << "\n";
  } else {
    invocation.out << "\n" << result.FullReport();
    if (planned.plan_id) invocation.out << fmt::format("stored as plan {}\n", *planned.plan_id);
    invocation.out << summary.FullReport();
  }
  if (!result.feasible) throw InputError("plan '" + result.workload_name + "' is infeasible: " + result.reason);
  if (!summary.holds()) {
    throw InputError("plan '" + result.workload_name + "' does not hold in simulation: " + summary.message);
  }
  return 0;
}

}  // namespace

int RunPlan(Invocation& invocation) {
  cxxopts::Options options("thinkplan plan",
                           "Allocate each task class's traffic to serving options (system, mode, thinking budget,\n"
                           "samples, aggregation) under a budget or accuracy target; size the self-hosted fleet at\n"
                           "peak (KV at the p95 final context, queueing at peak) and count its bill in the budget;\n"
                           "store the plan and print its id. An infeasible plan says why and exits 2. --verify\n"
                           "simulates the stored plan for a day and checks it against its promise (p95 within the\n"
                           "SLO with at most 5% over, planned p95 within 25%, cost within 5%); where the SLO breaks\n"
                           "it adds replicas or devices per replica, or drops the API that misses, re-plans and\n"
                           "simulates again, printing each round, up to --max-rounds; a plan that still does not\n"
                           "hold exits 2.\n"
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
      ("verify", "simulate the stored plan for a day (seed 42), check its p95, SLO misses and cost, and "
                 "re-provision and re-plan until the simulation holds; every round's plan, simulation and "
                 "verification are stored")
      ("max-rounds", "with --verify: plans simulated at most (default 5)", cxxopts::value<std::string>())
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

  pipeline::VerifyLoopOptions loop;
  if (args.count("max-rounds")) {
    if (!verify) throw UsageError("--max-rounds only applies with --verify");
    loop.max_rounds = static_cast<int>(NumberArg(args, "max-rounds", number_rules::kPositiveCount));
  }
  if (!loop.IsValid(&error)) throw UsageError(error);

  planner::Workload workload = planner::LoadWorkload(args["workload"].as<std::string>());
  store::Database db = pipeline::OpenExistingDatabase(parsed.global.db_path);
  if (verify) return PlanVerified(invocation, db, std::move(workload), stage_options, loop, parsed.global.json);
  const pipeline::PlanStageResult planned = pipeline::PlanStage(db, std::move(workload), stage_options);
  const planner::PlanResult& result = planned.plan;
  const std::optional<long>& id = planned.plan_id;
  if (parsed.global.json) {
    nlohmann::json j = result.ToJson();
    j["plan_id"] = id ? nlohmann::json(*id) : nlohmann::json(nullptr);
    invocation.out << j.dump(2) << "\n";
  } else {
    invocation.out << result.FullReport();
    if (id) invocation.out << fmt::format("stored as plan {}\n", *id);
  }
  if (!result.feasible) throw InputError("plan '" + result.workload_name + "' is infeasible: " + result.reason);
  return 0;
}

}  // namespace thinkplan::cli
