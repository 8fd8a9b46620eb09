// The exported policy as gateway configs (planner/policy.h, docs/policy.md): a LiteLLM proxy config.yaml and a vLLM
// Semantic Router config, both built from the policy document so that they send what the policy sends.
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

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

json LegacySemanticRouterConfig(const json& policy) {
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

// Semantic Router's complexity signal grades a query easy, medium or hard; a bucket of one of those names is routed
// on it, any other bucket split cannot be expressed and its class is routed as one (see MergedClassDecision).
bool IsComplexityLevel(const std::string& bucket) { return bucket == "easy" || bucket == "medium" || bucket == "hard"; }

constexpr const char* kDifficultySignal = "thinkplan_difficulty";

// An option as a decision's model reference: the legacy score's fields, with the traffic share as the weight.
json ModelRef(const json& option, double share) {
  json ref = ModelScore(option);
  ref.erase("score");
  ref["weight"] = share;
  return ref;
}

// Heaviest first: the `static` algorithm sends a decision's traffic to its first reference.
void SortByWeight(json& refs) {
  std::stable_sort(refs.begin(), refs.end(),
                   [](const json& a, const json& b) { return a.at("weight").get<double>() > b.at("weight").get<double>(); });
}

json Decision(const std::string& name, const std::string& cls, const std::string& level, json refs) {
  json conditions = json::array({{{"type", "domain"}, {"name", cls}}});
  if (!level.empty()) conditions.push_back({{"type", "complexity"}, {"name", std::string(kDifficultySignal) + ":" + level}});
  SortByWeight(refs);
  // A decision with a difficulty condition is the more specific one, so it is tried first.
  return {{"name", name},
          {"description", "thinkplan route " + name},
          {"priority", level.empty() ? 100 : 200},
          {"rules", {{"operator", "AND"}, {"conditions", conditions}}},
          {"modelRefs", refs},
          {"algorithm", {{"type", "static"}}}};
}

// A class whose buckets the router cannot tell apart: one decision, each option weighted by its bucket's share of
// the class's traffic times its share of the bucket; options the buckets share are summed.
json MergedClassDecision(const std::string& cls, const std::vector<const json*>& routes) {
  double total = 0;
  for (const json* route : routes) total += route->at("traffic_fraction").get<double>();
  json refs = json::array();
  for (const json* route : routes) {
    const double bucket_share = total > 0 ? route->at("traffic_fraction").get<double>() / total : 1.0 / routes.size();
    for (const json& option : route->at("options")) {
      json ref = ModelRef(option, bucket_share * option.at("fraction").get<double>());
      auto same = std::find_if(refs.begin(), refs.end(), [&](const json& r) {
        json a = r, b = ref;
        a.erase("weight");
        b.erase("weight");
        return a == b;
      });
      if (same == refs.end()) refs.push_back(std::move(ref));
      else (*same)["weight"] = (*same)["weight"].get<double>() + ref["weight"].get<double>();
    }
  }
  return Decision(cls, cls, "", std::move(refs));
}

// How the model is called, for the providers section: the API format where it is not OpenAI's.
json ProviderModel(const json& option, const std::map<std::string, std::string>& families) {
  json model = {{"name", option.at("model")}, {"provider_model_id", option.at("model")}};
  if (const auto it = families.find(option.at("model")); it != families.end()) model["reasoning_family"] = it->second;
  if (option.at("target") == "anthropic") model["api_format"] = "anthropic";
  return model;
}

// The canonical layout of Semantic Router v0.3: providers (models, their reasoning families, the default model),
// routing signals (a domain per class, a difficulty signal where buckets are easy/medium/hard) and a decision per
// route.
json CanonicalSemanticRouterConfig(const json& policy) {
  std::map<std::string, std::vector<const json*>> by_class;
  std::vector<std::string> class_order;
  json families = json::object();
  std::map<std::string, std::string> family_of;  // model -> family
  std::map<std::string, double> traffic;
  std::map<std::string, json> models;  // by name, for a stable order
  for (const json& route : policy.at("routes")) {
    const std::string cls = route.value("class", "");
    if (!by_class.count(cls)) class_order.push_back(cls);
    by_class[cls].push_back(&route);
    for (const json& option : route.at("options")) {
      const std::string model = option.at("model");
      traffic[model] += route.at("traffic_fraction").get<double>() * option.at("fraction").get<double>();
      if (const auto family = ReasoningFamily(option)) {
        families[family->first] = family->second;
        family_of[model] = family->first;
      }
    }
  }
  for (const json& route : policy.at("routes"))
    for (const json& option : route.at("options")) models[option.at("model")] = ProviderModel(option, family_of);
  json domains = json::array(), decisions = json::array();
  bool difficulty_used = false;
  for (const std::string& cls : class_order) {
    const std::vector<const json*>& routes = by_class[cls];
    domains.push_back({{"name", cls}, {"description", "thinkplan task class '" + cls + "'"}});
    const bool levels = std::all_of(routes.begin(), routes.end(), [](const json* r) {
      return IsComplexityLevel(r->value("bucket", "all"));
    });
    if (routes.size() > 1 && !levels) {
      decisions.push_back(MergedClassDecision(cls, routes));
      continue;
    }
    for (const json* route : routes) {
      // A class with one route needs no difficulty signal, whatever its bucket is called.
      const std::string level = routes.size() > 1 ? route->value("bucket", "all") : "";
      difficulty_used = difficulty_used || !level.empty();
      json refs = json::array();
      for (const json& option : route->at("options")) refs.push_back(ModelRef(option, option.at("fraction").get<double>()));
      decisions.push_back(Decision(RouteName(*route), cls, level, std::move(refs)));
    }
  }
  json signals = {{"domains", domains}};
  if (difficulty_used) {
    signals["complexity"] = json::array({{{"name", kDifficultySignal},
                                          {"description", "thinkplan's difficulty buckets; give the router example "
                                                          "prompts of your own easy and hard queries"},
                                          {"hard", {{"candidates", json::array()}}},
                                          {"easy", {{"candidates", json::array()}}}}});
  }
  std::string default_model;
  for (const auto& [model, share] : traffic)
    if (default_model.empty() || share > traffic[default_model]) default_model = model;
  json model_list = json::array();
  for (auto& [name, model] : models) model_list.push_back(std::move(model));
  return {{"version", "v0.3"},
          {"providers",
           {{"defaults",
             {{"default_model", default_model}, {"default_reasoning_effort", "medium"}, {"reasoning_families", families}}},
            {"models", model_list}}},
          {"routing", {{"strategy", "priority"}, {"signals", signals}, {"decisions", decisions}}}};
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

json SemanticRouterConfig(const json& policy, SemanticRouterLayout layout) {
  return layout == SemanticRouterLayout::kLegacy ? LegacySemanticRouterConfig(policy)
                                                 : CanonicalSemanticRouterConfig(policy);
}

std::optional<SemanticRouterLayout> ParseSemanticRouterLayout(const std::string& text) {
  if (text == "v0.3") return SemanticRouterLayout::kCanonical;
  if (text == "legacy") return SemanticRouterLayout::kLegacy;
  return std::nullopt;
}

}  // namespace thinkplan::planner
