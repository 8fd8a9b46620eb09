// The exported policy as gateway configs (planner/policy.h, docs/policy.md): a LiteLLM proxy config.yaml and a vLLM
// Semantic Router config, both built from the policy document so that they send what the policy sends.
#include <map>

#include <fmt/format.h>

#include "core/errors.h"
#include "planner/policy.h"

namespace thinkplan::planner {
namespace {

using nlohmann::json;

// The name a route goes by in a gateway: its class, with the bucket when the class has several.
std::string RouteName(const json& route) {
  const std::string bucket = route.value("bucket", "all");
  return bucket == "all" ? route.value("class", "") : route.value("class", "") + "/" + bucket;
}

struct LiteLlmProvider {
  const char* prefix;
  const char* key_variable;  // os.environ/<name> for the API key; "" for a self-hosted server
};

LiteLlmProvider ProviderOf(const std::string& target) {
  if (target == "openai") return {"openai/", "OPENAI_API_KEY"};
  if (target == "anthropic") return {"anthropic/", "ANTHROPIC_API_KEY"};
  if (target == "gemini") return {"gemini/", "GEMINI_API_KEY"};
  if (target == "deepseek") return {"deepseek/", "DEEPSEEK_API_KEY"};
  if (target == "vllm") return {"hosted_vllm/", ""};
  throw InternalError("unknown policy target '" + target + "'");
}

// Gemini's thinkingConfig as LiteLLM's Anthropic-style `thinking` (dynamic thinking: none sent).
void GeminiKnobs(const json& request, json& params) {
  const json& config = request.at("generationConfig");
  params["max_tokens"] = config.at("maxOutputTokens");
  if (config.contains("candidateCount")) params["n"] = config["candidateCount"];
  const long budget = config.at("thinkingConfig").at("thinkingBudget").get<long>();
  if (budget == 0) params["thinking"] = {{"type", "disabled"}};
  if (budget > 0) params["thinking"] = {{"type", "enabled"}, {"budget_tokens", budget}};
}

// The option's request knobs in LiteLLM's OpenAI-style parameter names, passed through per call.
void LiteLlmKnobs(const json& option, json& params) {
  const std::string target = option.at("target");
  const json& request = option.at("request");
  if (target == "gemini") return GeminiKnobs(request, params);
  for (const char* key : {"max_tokens", "max_completion_tokens", "reasoning_effort", "thinking", "n"}) {
    if (request.contains(key)) params[key] = request[key];
  }
  if (request.contains("max_output_tokens")) params["max_completion_tokens"] = request["max_output_tokens"];
  if (request.contains("reasoning")) params["reasoning_effort"] = request["reasoning"].at("effort");
  json extra = json::object();  // vLLM's own fields, which LiteLLM forwards in the body
  for (const char* key : {"thinking_token_budget", "chat_template_kwargs"}) {
    if (request.contains(key)) extra[key] = request[key];
  }
  if (!extra.empty()) params["extra_body"] = extra;
}

json LiteLlmDeployment(const json& route, const json& option, std::size_t index) {
  const LiteLlmProvider provider = ProviderOf(option.at("target"));
  json params = {{"model", provider.prefix + option.at("model").get<std::string>()}};
  if (*provider.key_variable) params["api_key"] = fmt::format("os.environ/{}", provider.key_variable);
  else params["api_base"] = "os.environ/VLLM_API_BASE";
  LiteLlmKnobs(option, params);
  params["weight"] = option.at("fraction");  // simple-shuffle picks deployments of a model_name by weight
  const std::string name = RouteName(route);
  return {{"model_name", name},
          {"litellm_params", params},
          {"model_info",
           {{"id", fmt::format("{}#{}", name, index)},
            {"thinkplan_fan_out", option.at("fan_out")},
            {"thinkplan_samples", option.at("samples")},
            {"thinkplan_aggregation", option.at("aggregation")},
            {"thinkplan_verifier", option.at("verifier")}}}};
}

// How the router turns reasoning on and off for a model, where it can: the effort of OpenAI-style reasoning
// models, the chat template's enable_thinking of hybrid self-hosted models; none for the rest.
std::optional<std::pair<std::string, json>> ReasoningFamily(const json& option) {
  const json& request = option.at("request");
  if (option.at("target") == "vllm" && request.contains("chat_template_kwargs")) {
    return std::pair<std::string, json>{"chat_template_enable_thinking",
                                        {{"type", "chat_template_kwargs"}, {"parameter", "enable_thinking"}}};
  }
  if (request.contains("reasoning_effort") || request.contains("reasoning")) {
    return std::pair<std::string, json>{"reasoning_effort",
                                        {{"type", "reasoning_effort"}, {"parameter", "reasoning_effort"}}};
  }
  return std::nullopt;
}

json ModelScore(const json& option) {
  json score = {{"model", option.at("model")},
                {"score", option.at("fraction")},
                {"use_reasoning", option.at("mode") == "extended"}};
  const std::string effort = option.value("effort", "");
  if (!effort.empty() && ReasoningFamily(option)) score["reasoning_effort"] = effort;
  const json& budget = option.at("budget_tokens");
  score["reasoning_description"] = fmt::format(
      "{} {}; {} sample(s), {}; verifier {}; fan-out {}", option.at("target").get<std::string>(),
      budget.is_number() ? fmt::format("thinking budget {:.0f} tokens", budget.get<double>())
                         : std::string("no thinking budget"),
      option.at("samples").get<long>(), option.at("aggregation").get<std::string>(),
      option.at("verifier").get<std::string>(), option.at("fan_out").get<long>());
  return score;
}

}  // namespace

json LiteLlmConfig(const json& policy) {
  json models = json::array();
  for (const json& route : policy.at("routes")) {
    std::size_t index = 0;
    for (const json& option : route.at("options")) models.push_back(LiteLlmDeployment(route, option, index++));
  }
  return {{"model_list", models}, {"router_settings", {{"routing_strategy", "simple-shuffle"}}}};
}

json SemanticRouterConfig(const json& policy) {
  json categories = json::array(), families = json::object(), models = json::object();
  std::map<std::string, double> traffic;  // by model, for the default model
  for (const json& route : policy.at("routes")) {
    json scores = json::array();
    for (const json& option : route.at("options")) {
      const std::string model = option.at("model");
      traffic[model] += route.at("traffic_fraction").get<double>() * option.at("fraction").get<double>();
      json& config = models[model];
      config = json::object();
      if (const auto family = ReasoningFamily(option)) {
        families[family->first] = family->second;
        config["reasoning_family"] = family->first;
      }
      scores.push_back(ModelScore(option));
    }
    categories.push_back({{"name", RouteName(route)}, {"model_scores", scores}});
  }
  std::string default_model;
  for (const auto& [model, share] : traffic)
    if (default_model.empty() || share > traffic[default_model]) default_model = model;
  return {{"default_model", default_model},
          {"default_reasoning_effort", "medium"},
          {"reasoning_families", families},
          {"model_config", models},
          {"categories", categories}};
}

}  // namespace thinkplan::planner
