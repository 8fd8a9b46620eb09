// `thinkplan whatif --plan ID --set KEY=VALUE...`: re-plan a stored plan under changed assumptions and print what
// changed side by side (planner/whatif.h lists the keys).
#include <ostream>
#include <set>

#include <fmt/format.h>

#include "cli/command.h"
#include "core/errors.h"
#include "pipeline/plan_stage.h"
#include "planner/whatif.h"

namespace thinkplan::cli {

int RunWhatIf(Invocation& invocation) {
  cxxopts::Options options("thinkplan whatif",
                           "Re-plan a stored plan with changed assumptions; print the differences.\n\n"
                           "  --set budget=2x | budget=50000            USD per month\n"
                           "  --set volume.<class>=3x                   queries per day\n"
                           "  --set price.<system>=0.5x                 API list prices (both), or self-hosted $/device-hour\n"
                           "  --set price.<system>.out=4.4              one API list price, USD per million tokens\n"
                           "  --set price.<hardware>=2.10               $/device-hour of every system on that card\n"
                           "  --set slo.<class>=60                      p95 latency SLO, seconds\n"
                           "  --set verifier.<class>.dprime=2           reward-model discriminability (or .auc=0.9)\n");
  AddGlobalOptions(options);
  options.add_options()
      ("plan", "base plan id", cxxopts::value<long>())
      ("set", "KEY=VALUE change (repeatable)", cxxopts::value<std::vector<std::string>>())
      ("no-store", "do not store the what-if plan");
  Parsed parsed = ParseCommandLine(options, invocation);
  if (parsed.help_shown) return 0;
  const auto& args = parsed.result;
  if (!args.count("plan")) throw UsageError("--plan ID is required");
  if (!args.count("set")) throw UsageError("no --set given: nothing to change");
  store::Database db = pipeline::OpenExistingDatabase(parsed.global.db_path);
  const store::StoredPlan stored = store::LoadPlan(db, args["plan"].as<long>());
  planner::Workload workload = planner::ParseWorkload(nlohmann::json::parse(stored.workload_json),
                                                      fmt::format("plan {} workload", stored.id));
  const nlohmann::json base_json = nlohmann::json::parse(stored.plan_json);
  planner::PlanOptions base_options;
  if (base_json["budget_usd_per_month"].is_number()) base_options.budget_usd_per_month = base_json["budget_usd_per_month"].get<double>();
  base_options.objective = planner::ParseObjective(base_json.value("objective", "max_accuracy"));
  if (base_json["target_accuracy"].is_number()) base_options.target_accuracy = base_json["target_accuracy"].get<double>();
  base_options.robust = base_json.value("robust", false);

  auto loaded = pipeline::LoadPlanInputs(db, workload, DefaultDataDir());
  std::vector<planner::WhatIfChange> changes;
  std::set<std::string> keys;
  for (const std::string& text : args["set"].as<std::vector<std::string>>()) {
    changes.push_back(planner::ParseWhatIf(text, workload, loaded->inputs.catalogues));
    if (!keys.insert(changes.back().key).second) throw UsageError("--set '" + text + "': " + changes.back().key + " is set twice");
  }
  planner::Workload changed_workload = loaded->inputs.workload;
  planner::PlanOptions changed_options = base_options;
  planner::ApplyWhatIf(changes, loaded->inputs.catalogues, &changed_workload, &changed_options.budget_usd_per_month);

  // The base is re-planned on the current fits so that the difference shows the changes alone. The what-if plan
  // reuses the base's options for every class the changes leave alone (budget, volume and SLO changes touch none).
  // The router, training and volume analyses are made only for a plan that is shown in full (--json) or stored.
  const bool store_changed = !args.count("no-store");
  const auto skip_analyses = [](planner::PlanOptions& o) {
    o.analyse_routing = false;
    o.analyse_training = false;
    o.volume_sweep.clear();
  };
  if (!parsed.global.json) {
    skip_analyses(base_options);
    if (!store_changed) skip_analyses(changed_options);
  }
  const planner::PlanResult base = planner::MakePlan(loaded->inputs, base_options);
  planner::PlanInputs changed_inputs = std::move(loaded->inputs);
  changed_inputs.workload = std::move(changed_workload);
  const std::vector<bool> regenerate = planner::OptionsChanged(changes, changed_inputs.workload);
  changed_inputs.reuse.assign(base.candidates.size(), nullptr);
  for (std::size_t ci = 0; ci < base.candidates.size(); ++ci) {
    if (!regenerate[ci]) changed_inputs.reuse[ci] = base.candidates[ci];
  }
  const planner::PlanResult changed = planner::MakePlan(changed_inputs, changed_options);
  std::optional<long> id;
  if (changed.feasible && store_changed) id = pipeline::StorePlan(db, changed_inputs.workload, changed, stored.id);
  if (parsed.global.json) {
    invocation.out << nlohmann::json{{"base", base.ToJson()}, {"whatif", changed.ToJson()},
                                     {"plan_id", id ? nlohmann::json(*id) : nlohmann::json(nullptr)}}.dump(2) << "\n";
  } else {
    invocation.out << fmt::format("plan {} with", stored.id);
    for (const auto& c : changes) invocation.out << " " << c.text;
    invocation.out << "\n\n";
    if (!changed.feasible) invocation.out << "what-if plan infeasible: " << changed.reason << "\n";
    else invocation.out << planner::DiffReport(base, changed);
    if (id) invocation.out << fmt::format("stored as plan {}\n", *id);
  }
  return 0;
}

}  // namespace thinkplan::cli
