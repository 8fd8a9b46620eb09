// The exported serving policy (docs/design.md section 2, docs/policy.md): per task class and routed bucket, the
// chosen options with traffic fractions, expected figures and the exact request body of the API that serves each
// one (OpenAI Responses or Chat Completions, Anthropic Messages, Gemini generateContent, vLLM's OpenAI-compatible
// chat completions, DeepSeek), from the API catalogue (core/system_api.h); the same policy as a LiteLLM proxy
// config or a vLLM Semantic Router config; a small validator for the subset of JSON Schema that
// docs/policy.schema.json uses, and a YAML writer.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/system_api.h"

namespace thinkplan::planner {

enum class PolicyTarget { kOpenAi, kAnthropic, kGemini, kVllm, kDeepSeek };
std::string_view ToString(PolicyTarget target);
std::optional<PolicyTarget> ParsePolicyTarget(std::string_view text);

// Which OpenAI endpoint the OpenAI options use.
enum class OpenAiApi { kResponses, kChat };
std::string_view ToString(OpenAiApi api);
std::optional<OpenAiApi> ParseOpenAiApi(std::string_view text);  // responses | chat

// The method and path a request for `model` is sent to, relative to the API's base URL: "POST /v1/responses",
// "POST /v1beta/models/gemini-2.5-pro:generateContent" (Gemini's carries the model). The export's endpoint, and
// what `thinkplan systems --api` shows.
std::string Endpoint(PolicyTarget target, const std::string& model, OpenAiApi openai_api = OpenAiApi::kResponses);

struct PolicyInputs {
  long plan_id = 0;
  nlohmann::json plan;      // PlanResult::ToJson()
  // The plan's allocation entries as JSON Lines (AllocationLines), read a line at a time instead of
  // plan["allocation"] when set: a 100,000-class plan's entries built at once are millions of JSON values, whose
  // allocation and page faults were most of the export's time (docs/performance.md). Default: plan["allocation"].
  std::optional<std::string> allocation_lines;
  nlohmann::json workload;  // ToJson(Workload)
  // The workload's compact text (ToJson(Workload).dump(), or its members PolicyWorkloadMembers names), from which
  // WritePolicy reads the classes when set, so that `workload` need hold only its "systems": a 100,000-class
  // workload's classes built as JSON values cost more than the rest of the export's reading (docs/performance.md).
  // Default: workload["classes"].
  std::optional<std::string> workload_text;
  std::string workload_hash;
  std::string fits_hash;
  std::string created_at;
  // Require every option to be served by this API; a system it cannot serve is an InputError naming both, never
  // a substitute. Default: each system's own API from the catalogue.
  std::optional<PolicyTarget> target;
  // The API catalogue (store::Database::ListSystemApis). A system without a row cannot be exported.
  std::vector<SystemApi> apis;
  // Default Responses: OpenAI's current endpoint for reasoning models.
  OpenAiApi openai_api = OpenAiApi::kResponses;
};

constexpr const char* kPolicyVersion = "2.0";

// The members of a stored plan (PlanResult::ToJson) and of its workload (ToJson(Workload)) that BuildPolicy reads,
// in the form of core/json_subset.h's `keep`: the export parses only these of a stored plan, which is mostly
// what the policy never reads (difficulty fits, capacity, frontier). A member BuildPolicy reads must be named here;
// tests/pipeline check that the policy built from these equals the one built from the whole documents.
const nlohmann::json& PolicyPlanMembers();
const nlohmann::json& PolicyWorkloadMembers();

// The stored narrow form of a plan's policy members (table plan_views): of `plan_subset` (a plan read with
// PolicyPlanMembers), `head` is the document without its allocation, compact; `allocation_lines` its allocation
// entries, one compact JSON document a line (JSON text escapes line breaks inside strings, so a line is an entry).
struct PolicyPlanForm {
  std::string head;
  std::string allocation_lines;
};
PolicyPlanForm SplitAllocation(nlohmann::json plan_subset);

// Throws InputError when the plan asks for what an API refuses (an effort level on a model without one, a budget
// outside the model's range, thinking turned off where it cannot be, a --target that cannot serve a system).
nlohmann::json BuildPolicy(const PolicyInputs& inputs);

// Writes BuildPolicy(inputs).dump(indent) (indent >= 0) to `out`, without a trailing newline, building one route at
// a time: a 100,000-class policy is never held whole (docs/performance.md). Throws as BuildPolicy does, before
// writing anything (every option's request is checked first).
void WritePolicy(const PolicyInputs& inputs, std::ostream& out, int indent);

// The policy as a LiteLLM proxy config.yaml document: a model_list entry per option, named after its route, with
// its litellm_params and the option's traffic fraction as the routing weight (simple-shuffle).
nlohmann::json LiteLlmConfig(const nlohmann::json& policy);

// Which vLLM Semantic Router config layout to write: kCanonical, the `version: v0.3` layout of the current release
// (providers, routing.signals, routing.decisions[].modelRefs); kLegacy, the `categories[].model_scores` layout the
// router read up to 2025-11.
enum class SemanticRouterLayout { kCanonical, kLegacy };
std::optional<SemanticRouterLayout> ParseSemanticRouterLayout(const std::string& text);  // "v0.3" | "legacy"

// The policy as a vLLM Semantic Router config: a route per decision (canonical) or category (legacy), its options
// as weighted model references (scores) with use_reasoning and the effort, and each model's reasoning family.
nlohmann::json SemanticRouterConfig(const nlohmann::json& policy,
                                    SemanticRouterLayout layout = SemanticRouterLayout::kCanonical);

// Validates `value` against `schema`, supporting: type (incl. arrays of types), properties, required,
// additionalProperties (false or a schema), items, enum, const, minimum, maximum, exclusiveMinimum,
// exclusiveMaximum, minItems, minLength, oneOf, anyOf, $ref to "#/$defs/NAME". Returns the error messages
// ("$.classes[0].options[0].request.thinking.budget_tokens: 512 < minimum 1024"), empty when valid.
std::vector<std::string> ValidateJsonSchema(const nlohmann::json& value, const nlohmann::json& schema);

// Block-style YAML for a JSON document (strings quoted, keys in document order).
std::string ToYaml(const nlohmann::json& value);

}  // namespace thinkplan::planner
