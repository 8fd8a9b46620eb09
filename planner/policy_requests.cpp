#include "planner/policy_requests.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/text.h"

namespace thinkplan::planner {
namespace {

using nlohmann::json;

long RoundUp(double x, long step) { return static_cast<long>(std::ceil(std::max(x, 1.0) / step)) * step; }

[[noreturn]] void Refuse(const SystemApi& api, const OptionSettings& o, const std::string& why) {
  throw InputError(fmt::format("system '{}' ({} model {}): {}", o.system, api.api, api.api_model_id, why));
}

bool AcceptsEffort(const SystemApi& api, const std::string& effort) {
  std::string_view rest = api.effort_values;
  while (!rest.empty()) {
    const std::size_t bar = rest.find('|');
    if (TrimBlanks(rest.substr(0, bar)) == effort) return true;
    rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
  }
  return false;
}

std::optional<std::string> BudgetRefusal(const SystemApi& api, const OptionSettings& o) {
  if (api.knob != "budget") {
    return fmt::format("the plan chose a thinking budget of {:.0f} tokens, but the model takes no budget (its knob: {})",
                       *o.budget_tokens, api.knob);
  }
  const long budget = std::lround(*o.budget_tokens);
  const long lo = api.budget_min_tokens.value_or(0), hi = api.budget_max_tokens.value_or(api.max_output_tokens);
  if (budget < lo || budget > hi) {
    return fmt::format("a thinking budget of {} tokens is outside the model's range {}..{}", budget, lo, hi);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> ApiRefusal(const SystemApi& api, const OptionSettings& o) {
  if (o.extended && api.thinking == "none") return "the plan chose extended thinking, but the model does not think";
  if (!o.extended && api.thinking == "always") {
    return "the plan chose fast mode, but the model's thinking cannot be turned off";
  }
  // Gemini's dynamic thinking (thinkingBudget -1) is measured as an effort setting; it is the budget knob's default.
  const bool dynamic = o.effort == "dynamic" && api.api == "gemini" && !o.budget_tokens;
  if (!o.effort.empty() && !dynamic) {
    if (api.knob != "effort") {
      return fmt::format("the plan chose reasoning effort '{}', but the model takes no effort (its knob: {})", o.effort,
                         api.knob);
    }
    if (!AcceptsEffort(api, o.effort)) {
      return fmt::format("reasoning effort '{}' is not one the model accepts ({})", o.effort, api.effort_values);
    }
  }
  if (o.extended && o.budget_tokens) return BudgetRefusal(api, o);
  return std::nullopt;
}

namespace {


long AnswerTokens(const OptionSettings& o) { return RoundUp(o.answer_tokens + 64, 64); }

// An Anthropic request's thinking budget; no budget chosen: the p95 thinking length, within the model's range.
long AnthropicBudget(const SystemApi& api, const OptionSettings& o) {
  return o.budget_tokens ? std::lround(*o.budget_tokens)
                         : std::clamp(RoundUp(1.25 * o.thinking_tokens_p95, 256), api.budget_min_tokens.value_or(1024),
                                      api.budget_max_tokens.value_or(api.max_output_tokens - 1));
}

// Anthropic counts the thinking budget inside max_tokens, so a budget and answer above the model's limit cannot be
// asked for.
std::optional<std::string> AnthropicLimitRefusal(const SystemApi& api, const OptionSettings& o) {
  if (!o.extended) return std::nullopt;
  const long budget = AnthropicBudget(api, o), answer = AnswerTokens(o);
  if (budget + answer <= api.max_output_tokens) return std::nullopt;
  return fmt::format("a thinking budget of {} tokens and {} answer tokens exceed the model's max_tokens limit of {}",
                     budget, answer, api.max_output_tokens);
}

// The output cap (thinking and answer together): above the p95 thinking length or the budget, so that a truncated
// thought does not cost the answer; at most what the model accepts.
long OutputCap(const SystemApi& api, const OptionSettings& o) {
  const long thinking = o.extended ? RoundUp(1.25 * std::max(o.thinking_tokens_p95, o.budget_tokens.value_or(0)), 256)
                                   : 0;
  return std::min(api.max_output_tokens, thinking + AnswerTokens(o));
}

// Samples one request can ask for: all of them where the API has `n` (or candidateCount) up to its limit, else 1.
long SamplesPerRequest(const SystemApi& api, const OptionSettings& o, bool api_has_n) {
  return api_has_n && o.samples > 1 && o.samples <= api.n_max ? o.samples : 1;
}

void SetFanOut(ApiCall& call, const OptionSettings& o, long per_request) { call.fan_out = o.samples / per_request; }

ApiCall OpenAiCall(const SystemApi& api, const std::string& model, const OptionSettings& o, OpenAiApi which) {
  ApiCall c{"", "", model, "", 1, {{"model", model}}};
  const bool effort = !o.effort.empty();
  if (which == OpenAiApi::kResponses) {
    c.api = "openai-responses";
    c.endpoint = Endpoint(PolicyTarget::kOpenAi, model, which);
    c.prompt_field = "input";
    c.request["max_output_tokens"] = std::max(16L, OutputCap(api, o));
    if (effort) c.request["reasoning"] = {{"effort", o.effort}};
    SetFanOut(c, o, 1);  // the Responses API has no n
    return c;
  }
  c.api = "openai-chat-completions";
  c.endpoint = Endpoint(PolicyTarget::kOpenAi, model, which);
  c.prompt_field = "messages";
  c.request["max_completion_tokens"] = OutputCap(api, o);  // o-series models reject max_tokens
  if (effort) c.request["reasoning_effort"] = o.effort;
  const long n = SamplesPerRequest(api, o, true);
  if (n > 1) c.request["n"] = n;
  SetFanOut(c, o, n);
  return c;
}

ApiCall AnthropicCall(const SystemApi& api, const std::string& model, const OptionSettings& o) {
  ApiCall c{"anthropic-messages", Endpoint(PolicyTarget::kAnthropic, model), model, "messages", 1, {{"model", model}}};
  const long answer = AnswerTokens(o);
  if (!o.extended) {
    c.request["max_tokens"] = answer;
    c.request["thinking"] = {{"type", "disabled"}};
  } else {
    const long budget = AnthropicBudget(api, o);  // within max_tokens: RequestRefusal checked it
    c.request["max_tokens"] = budget + answer;  // budget_tokens must stay below max_tokens
    c.request["thinking"] = {{"type", "enabled"}, {"budget_tokens", budget}};
  }
  SetFanOut(c, o, 1);
  return c;
}

ApiCall GeminiCall(const SystemApi& api, const std::string& model, const OptionSettings& o) {
  ApiCall c{"gemini-generate-content",
            Endpoint(PolicyTarget::kGemini, model),
            model,
            "contents",
            1,
            json::object()};
  long budget = -1;  // dynamic: the model decides
  long cap = OutputCap(api, o);
  if (!o.extended) budget = 0;
  else if (o.budget_tokens) budget = std::lround(*o.budget_tokens);
  else cap = std::min(api.max_output_tokens, api.budget_max_tokens.value_or(0) + AnswerTokens(o));
  json config = {{"maxOutputTokens", cap}, {"thinkingConfig", {{"thinkingBudget", budget}}}};
  const long n = SamplesPerRequest(api, o, true);
  if (n > 1) config["candidateCount"] = n;
  c.request["generationConfig"] = config;
  SetFanOut(c, o, n);
  return c;
}

ApiCall VllmCall(const SystemApi& api, const std::string& model, const OptionSettings& o) {
  ApiCall c{"vllm-chat-completions", Endpoint(PolicyTarget::kVllm, model), model, "messages", 1, {{"model", model}}};
  c.request["max_tokens"] = OutputCap(api, o);  // thinking included
  if (o.extended && o.budget_tokens) c.request["thinking_token_budget"] = std::lround(*o.budget_tokens);
  if (api.thinking == "optional") c.request["chat_template_kwargs"] = {{"enable_thinking", o.extended}};
  const long n = SamplesPerRequest(api, o, true);
  if (n > 1) c.request["n"] = n;
  SetFanOut(c, o, n);
  return c;
}

ApiCall DeepSeekCall(const SystemApi& api, const std::string& model, const OptionSettings& o) {
  ApiCall c{"deepseek-chat-completions", Endpoint(PolicyTarget::kDeepSeek, model), model, "messages", 1, {{"model", model}}};
  c.request["max_tokens"] = OutputCap(api, o);  // counts the chain of thought too (current DeepSeek guide)
  SetFanOut(c, o, 1);
  return c;
}

}  // namespace

std::string Endpoint(PolicyTarget target, const std::string& model, OpenAiApi openai_api) {
  switch (target) {
    case PolicyTarget::kOpenAi:
      return openai_api == OpenAiApi::kResponses ? "POST /v1/responses" : "POST /v1/chat/completions";
    case PolicyTarget::kAnthropic: return "POST /v1/messages";
    case PolicyTarget::kGemini: return "POST /v1beta/models/" + model + ":generateContent";
    case PolicyTarget::kVllm: return "POST /v1/chat/completions";
    case PolicyTarget::kDeepSeek: return "POST /chat/completions";  // DeepSeek's base URL has no /v1
  }
  throw InternalError("unknown policy target");
}

std::optional<std::string> RequestRefusal(PolicyTarget target, const SystemApi& api, const OptionSettings& option) {
  if (std::optional<std::string> why = ApiRefusal(api, option)) return why;
  if (target == PolicyTarget::kAnthropic) return AnthropicLimitRefusal(api, option);
  return std::nullopt;
}

void CheckRequest(PolicyTarget target, const SystemApi& api, const OptionSettings& option) {
  // What the API refuses, refused here with the reason, never adjusted silently.
  if (const std::optional<std::string> why = RequestRefusal(target, api, option)) Refuse(api, option, *why);
}

ApiCall MakeApiCall(PolicyTarget target, const SystemApi& api, const std::string& model, const OptionSettings& option,
                    OpenAiApi openai_api) {
  CheckRequest(target, api, option);
  switch (target) {
    case PolicyTarget::kOpenAi: return OpenAiCall(api, model, option, openai_api);
    case PolicyTarget::kAnthropic: return AnthropicCall(api, model, option);
    case PolicyTarget::kGemini: return GeminiCall(api, model, option);
    case PolicyTarget::kVllm: return VllmCall(api, model, option);
    case PolicyTarget::kDeepSeek: return DeepSeekCall(api, model, option);
  }
  throw InternalError("unknown policy target");
}

}  // namespace thinkplan::planner
