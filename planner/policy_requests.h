// The request bodies of the exported policy (planner/policy.h, docs/policy.md): for one plan option and the API
// catalogue row of its system, the body the API accepts and what the client adds around it (endpoint, fan-out).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/system_api.h"
#include "planner/policy.h"

namespace thinkplan::planner {

// What a request needs from a plan option.
struct OptionSettings {
  std::string system;  // the workload's name, for messages
  bool extended = true;
  std::string effort;                   // "" = none chosen
  std::optional<double> budget_tokens;  // the thinking budget chosen, if any
  double thinking_tokens_p95 = 0;
  double answer_tokens = 0;
  long samples = 1;
};

struct ApiCall {
  std::string api;           // the document followed: openai-responses, openai-chat-completions, anthropic-messages,
                             // gemini-generate-content, vllm-chat-completions, deepseek-chat-completions
  std::string endpoint;      // "POST /v1/responses"; Gemini's carries the model
  std::string model;         // the model id sent (in the body, or in the endpoint for Gemini)
  std::string prompt_field;  // where the client puts the conversation: input, messages, contents
  long fan_out = 1;          // requests the client sends per query (samples the API cannot give in one request)
  nlohmann::json request;    // the body, without the conversation
};

// Why the API would refuse what the option asks for (thinking on a model that cannot think or off on one that
// always does, an effort level or budget the model does not take); nullopt when it accepts it. The planner offers
// only settings this accepts, and the export refuses the rest.
std::optional<std::string> ApiRefusal(const SystemApi& api, const OptionSettings& option);

// ApiRefusal, and what only the request shows: an Anthropic thinking budget and answer above the model's
// max_tokens. What MakeApiCall refuses, without making the request.
std::optional<std::string> RequestRefusal(PolicyTarget target, const SystemApi& api, const OptionSettings& option);

// Throws the InputError MakeApiCall would throw for `option`, without making the request (the export checks every
// option before it writes anything).
void CheckRequest(PolicyTarget target, const SystemApi& api, const OptionSettings& option);

// Throws InputError when the API refuses what the option asks for (see BuildPolicy).
ApiCall MakeApiCall(PolicyTarget target, const SystemApi& api, const std::string& model, const OptionSettings& option,
                    OpenAiApi openai_api);

}  // namespace thinkplan::planner
