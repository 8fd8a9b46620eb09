// `thinkplan whatif --plan ID --set KEY=VALUE...`: re-plan a stored plan under changed assumptions and print what
// changed side by side (planner/whatif.h lists the keys).
#include <optional>
#include <ostream>

#include <fmt/format.h>

#include "cli/command.h"
#include "core/errors.h"
#include "pipeline/plan_stage.h"
#include "pipeline/verify_stage.h"
#include "planner/whatif.h"

namespace thinkplan::cli {

int RunWhatIf(Invocation& invocation) {
  cxxopts::Options options("thinkplan whatif",
                           "Re-plan a stored plan with changed assumptions; print the differences. An infeasible\n"
                           "what-if prints why and exits 2.\n\n"
                           "  --set budget=2x | budget=50000            USD per month\n"
                           "  --set volume.<class>=3x                   queries per day\n"
                           "  --set price.<system>=0.5x                 API list prices (both), or self-hosted $/device-hour\n"
                           "  --set price.<system>.out=4.4              one API list price, USD per million tokens\n"
                           "  --set price.<hardware>=2.10               $/device-hour of every system on that card\n"
                           "  --set slo.<class>=60                      p95 latency SLO, seconds\n"
                           "  --set verifier.<class>.dprime=2           reward-model discriminability (or .auc=0.9)\n"
                           "  --set value.<class>=0.5                   worth of a correct answer, USD\n"
                           "  --set peak.<class>=3                      peak-to-mean query rate\n"
                           "  --set router.<class>.auc=0.8              a router of this AUC between the class's buckets\n"
                           "  --set tokens.<system>=1.5x                thinking tokens of its options x1.5 (accuracy kept)\n"
                           "  --set tokens.<system>.high=2x             ... of one setting: fast, extended, low, medium, high\n"
                           "  --set devices.<system>=4                  a self-hosted system's smallest replica, devices\n"
                           "  --set hardware.<system>=H200-SXM-141GB    a self-hosted system on another card, at its price\n\n"
                           "A value is absolute (50000) or a multiplier of the plan's own (2x). Budgets and volumes\n"
                           "also take k, M and G (budget=50k); thousands separators (50,000) are refused.\n\n"
                           "--verify checks the what-if plan as `plan --verify` checks a plan: it simulates a day of\n"
                           "it and, where the simulation breaks its SLO, re-provisions and re-plans until it holds\n"
                           "(each round printed and stored; the what-if plan is round 1, later rounds are new plans).\n"
                           "A what-if whose last round still breaks exits 2, as an infeasible one does.\n\n"
                           "Examples:\n"
                           "  thinkplan whatif --plan 1 --set budget=2x\n"
                           "  thinkplan whatif --plan 1 --set volume.code=3x --set slo.code=30 --json\n"
                           "  thinkplan whatif --plan 1 --set price.o3-mini.out=4.4 --no-store\n"
                           "  thinkplan whatif --plan 1 --set hardware.Mixtral-8x7B@A100=H100-SXM-80GB --verify\n");
  AddGlobalOptions(options);
  options.add_options()
      ("plan", "base plan id", cxxopts::value<std::string>())
      ("set", "KEY=VALUE change (repeatable)", cxxopts::value<std::vector<std::string>>())
      ("no-store", "do not store the what-if plan")
      ("verify", "simulate the what-if plan for a day (seed 42) and re-provision until it holds")
      ("max-rounds", "with --verify: plans simulated at most (default 5)", cxxopts::value<std::string>());
  Parsed parsed = ParseCommandLine(options, invocation);
  if (parsed.help_shown) return 0;
  const auto& args = parsed.result;
  if (!args.count("plan")) throw UsageError("--plan ID is required");
  if (!args.count("set")) throw UsageError("no --set given: nothing to change");
  const std::int64_t plan_id = IntegerArg(args, "plan", number_rules::kId);
  const bool verify = args.count("verify") > 0;
  if (verify && args.count("no-store")) throw UsageError("--verify simulates the stored what-if plan: drop --no-store");
  pipeline::VerifyLoopOptions loop;
  if (args.count("max-rounds")) {
    if (!verify) throw UsageError("--max-rounds only applies with --verify");
    loop.max_rounds = static_cast<int>(NumberArg(args, "max-rounds", number_rules::kPositiveCount));
  }
  std::string error;
  if (!loop.IsValid(&error)) throw UsageError(error);
  pipeline::WhatIfStageOptions stage_options;
  stage_options.changes = args["set"].as<std::vector<std::string>>();
  stage_options.store = !args.count("no-store");
  stage_options.analyses = parsed.global.json;  // the plans are shown in full
  store::Database db = pipeline::OpenExistingDatabase(parsed.global.db_path);
  const pipeline::WhatIfStageResult whatif =
      pipeline::WhatIfStage(db, plan_id, stage_options);
  const planner::PlanResult& base = whatif.base;
  const planner::PlanResult& changed = whatif.changed;
  const std::optional<long>& id = whatif.plan_id;
  const bool json = parsed.global.json;
  if (!json) {
    invocation.out << fmt::format("plan {} with", whatif.base_plan_id);
    for (const auto& c : whatif.changes) invocation.out << " " << c.text;
    invocation.out << "\n\n";
    if (!changed.feasible) invocation.out << "what-if " << changed.FullReport();
    else invocation.out << planner::DiffReport(base, changed);
    if (id) invocation.out << fmt::format("stored as plan {}\n", *id);
  }
  std::optional<pipeline::VerifyLoopSummary> verified;
  if (verify && changed.feasible) {
    if (!json) invocation.out << "\nverifying the what-if plan in simulation:\n" << std::flush;
    pipeline::PlanStageOptions stage;
    stage.plan = whatif.changed_options;
    const pipeline::PlanStageResult first{changed, id};
    verified = pipeline::PlanAndVerify(db, whatif.changed_workload, stage, loop, json ? nullptr : &invocation.out, &first);
    if (!json) invocation.out << verified->FullReport();
  }
  if (json) {
    nlohmann::json j{{"base", base.ToJson()}, {"whatif", changed.ToJson()},
                     {"plan_id", id ? nlohmann::json(*id) : nlohmann::json(nullptr)}};
    if (verified) j["verification"] = verified->ToJson();
    invocation.out << j.dump(2) << "\n";
  }
  // As `plan` does: an infeasible answer is an input error (exit 2), after it is shown; so is one that does not
  // hold in simulation.
  if (!changed.feasible) throw InputError("the what-if plan is infeasible: " + changed.reason);
  if (verified && !verified->holds()) throw InputError("the what-if plan does not hold in simulation: " + verified->message);
  return 0;
}

}  // namespace thinkplan::cli
