// `thinkplan export-policy --plan ID`: the stored plan as a serving policy with the request parameters of each
// target (docs/design.md section 2; schema in docs/policy.schema.json).
#include <ostream>

#include "cli/command.h"
#include "core/errors.h"
#include "pipeline/plan_stage.h"
#include "planner/policy.h"

namespace thinkplan::cli {

int RunExportPolicy(Invocation& invocation) {
  cxxopts::Options options("thinkplan export-policy",
                           "Write a stored plan as a serving policy (JSON or YAML): per class and routed bucket the\n"
                           "options with traffic fractions, expected accuracy and cost, and the request parameters\n"
                           "of the target (OpenAI reasoning_effort + max_output_tokens; Anthropic thinking.budget_tokens;\n"
                           "Gemini thinkingConfig.thinkingBudget; vLLM max_tokens with a thinking cap; DeepSeek model\n"
                           "choice). Validates against docs/policy.schema.json.\n\n"
                           "Examples:\n"
                           "  thinkplan export-policy --plan 1 > policy.json\n"
                           "  thinkplan export-policy --plan 1 --format yaml --target anthropic\n");
  AddGlobalOptions(options);
  options.add_options()
      ("plan", "plan id (printed by thinkplan plan)", cxxopts::value<std::string>())
      ("format", "json | yaml", cxxopts::value<std::string>()->default_value("json"))
      ("target", "openai | anthropic | gemini | vllm | deepseek: every option in this request format "
                 "(default: each system's own)", cxxopts::value<std::string>());
  Parsed parsed = ParseCommandLine(options, invocation);
  if (parsed.help_shown) return 0;
  const auto& args = parsed.result;
  if (!args.count("plan")) throw UsageError("--plan ID is required (see thinkplan plan)");
  const std::int64_t plan_id = IntegerArg(args, "plan", number_rules::kId);
  const std::string format = args["format"].as<std::string>();
  if (format != "json" && format != "yaml") throw UsageError("--format must be json or yaml, not '" + format + "'");
  pipeline::ExportPolicyOptions stage_options;
  std::optional<planner::PolicyTarget>& target = stage_options.target;
  if (args.count("target")) {
    const std::string text = args["target"].as<std::string>();
    target = planner::ParsePolicyTarget(text);
    if (!target) throw UsageError("--target '" + text + "' is not openai, anthropic, gemini, vllm or deepseek");
  }
  store::Database db = pipeline::OpenExistingDatabase(parsed.global.db_path);
  const nlohmann::json policy = pipeline::ExportPolicyStage(db, plan_id, stage_options).policy;
  invocation.out << (format == "yaml" ? planner::ToYaml(policy) : policy.dump(2) + "\n");
  return 0;
}

}  // namespace thinkplan::cli
