// `thinkplan export-policy --plan ID`: the stored plan as a serving policy with the exact request body of the API
// that serves each option, or as a LiteLLM / vLLM Semantic Router config (docs/policy.md; schema in
// docs/policy.schema.json).
#include <ostream>

#include "cli/command.h"
#include "core/errors.h"
#include "pipeline/plan_stage.h"
#include "planner/policy.h"

namespace thinkplan::cli {
namespace {

struct FormatChoice {
  pipeline::PolicyDocument document;
  bool yaml;
};

FormatChoice ParseFormat(const std::string& format) {
  if (format == "json") return {pipeline::PolicyDocument::kPolicy, false};
  if (format == "yaml") return {pipeline::PolicyDocument::kPolicy, true};
  if (format == "litellm") return {pipeline::PolicyDocument::kLiteLlm, true};
  if (format == "semantic-router") return {pipeline::PolicyDocument::kSemanticRouter, true};
  throw UsageError("--format must be json, yaml, litellm or semantic-router, not '" + format + "'");
}

void AddExportPolicyOptions(cxxopts::Options& options) {
  options.add_options()
      ("plan", "plan id (printed by thinkplan plan)", cxxopts::value<std::string>())
      ("format", "json | yaml (the policy) | litellm (LiteLLM proxy config.yaml) | semantic-router "
                 "(vLLM Semantic Router config)", cxxopts::value<std::string>()->default_value("json"))
      ("target", "openai | anthropic | gemini | vllm | deepseek: require every option to be served by this API "
                 "(an error naming any system it cannot serve)", cxxopts::value<std::string>())
      ("openai-api", "responses | chat: the OpenAI endpoint for OpenAI options",
       cxxopts::value<std::string>()->default_value("responses"))
      ("semantic-router-layout", "v0.3 (the current release: providers, routing.decisions) | legacy (the "
                                 "categories[].model_scores layout read up to 2025-11)",
       cxxopts::value<std::string>()->default_value("v0.3"));
}

}  // namespace

int RunExportPolicy(Invocation& invocation) {
  cxxopts::Options options(
      "thinkplan export-policy",
      "Write a stored plan as a serving policy: per class and routed bucket the options with traffic fractions,\n"
      "expected accuracy and cost, and the exact request body of the API that serves each one (from the API\n"
      "catalogue, table system_apis): OpenAI Responses (or Chat Completions with --openai-api chat), Anthropic\n"
      "Messages, Gemini generateContent (model in the endpoint path), vLLM chat completions (max_tokens,\n"
      "thinking_token_budget, chat_template_kwargs), DeepSeek (max_tokens counts the chain of thought). Samples\n"
      "go in `n` where the API has it, else the option's fan_out says how many requests to send. A choice an API\n"
      "refuses (an effort on a model without one, a budget outside its range) is an error. See docs/policy.md.\n\n"
      "Examples:\n"
      "  thinkplan export-policy --plan 1 > policy.json\n"
      "  thinkplan export-policy --plan 1 --format yaml --openai-api chat\n"
      "  thinkplan export-policy --plan 1 --format litellm > config.yaml\n"
      "  thinkplan export-policy --plan 1 --format semantic-router > router.yaml\n"
      "  thinkplan export-policy --plan 1 --format semantic-router --semantic-router-layout legacy\n"
      "  thinkplan export-policy --plan 1 --target anthropic   # fails unless Anthropic serves every option\n");
  AddGlobalOptions(options);
  AddExportPolicyOptions(options);
  Parsed parsed = ParseCommandLine(options, invocation);
  if (parsed.help_shown) return 0;
  const auto& args = parsed.result;
  if (!args.count("plan")) throw UsageError("--plan ID is required (see thinkplan plan)");
  const std::int64_t plan_id = IntegerArg(args, "plan", number_rules::kId);
  const FormatChoice format = ParseFormat(args["format"].as<std::string>());
  pipeline::ExportPolicyOptions stage_options;
  stage_options.document = format.document;
  if (args.count("target")) {
    const std::string text = args["target"].as<std::string>();
    stage_options.target = planner::ParsePolicyTarget(text);
    if (!stage_options.target) {
      throw UsageError("--target '" + text + "' is not openai, anthropic, gemini, vllm or deepseek");
    }
  }
  const std::string openai_api = args["openai-api"].as<std::string>();
  const auto api = planner::ParseOpenAiApi(openai_api);
  if (!api) throw UsageError("--openai-api must be responses or chat, not '" + openai_api + "'");
  stage_options.openai_api = *api;
  const std::string layout = args["semantic-router-layout"].as<std::string>();
  const auto router_layout = planner::ParseSemanticRouterLayout(layout);
  if (!router_layout) throw UsageError("--semantic-router-layout must be v0.3 or legacy, not '" + layout + "'");
  stage_options.semantic_router_layout = *router_layout;
  store::Database db = pipeline::OpenExistingDatabase(parsed.global.db_path);
  // JSON is written as it is built, a route at a time: a 100,000-class policy is about 160 MB of JSON
  // (bench/bench_policy, docs/performance.md). The YAML and gateway documents are made whole.
  if (!format.yaml) stage_options.stream = &invocation.out;
  const nlohmann::json document = pipeline::ExportPolicyStage(db, plan_id, stage_options).document;
  if (format.yaml) invocation.out << planner::ToYaml(document);
  return 0;
}

}  // namespace thinkplan::cli
