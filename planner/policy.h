// The exported serving policy (docs/design.md section 2): per task class and routed bucket, the chosen options with
// traffic fractions, expected figures and the concrete request parameters of the target API or server; plus a
// small validator for the subset of JSON Schema that docs/policy.schema.json uses, and a YAML writer.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace thinkplan::planner {

enum class PolicyTarget { kOpenAi, kAnthropic, kGemini, kVllm, kDeepSeek };
std::string_view ToString(PolicyTarget target);
std::optional<PolicyTarget> ParsePolicyTarget(std::string_view text);

struct PolicyInputs {
  long plan_id = 0;
  nlohmann::json plan;      // PlanResult::ToJson()
  nlohmann::json workload;  // ToJson(Workload)
  std::string workload_hash;
  std::string fits_hash;
  std::string created_at;
  // Every option in this target's request format; default: each system's own (by vendor, vllm for self-hosted).
  std::optional<PolicyTarget> target;
};

constexpr const char* kPolicyVersion = "1.0";

nlohmann::json BuildPolicy(const PolicyInputs& inputs);

// Validates `value` against `schema`, supporting: type (incl. arrays of types), properties, required,
// additionalProperties (false or a schema), items, enum, const, minimum, maximum, exclusiveMinimum,
// exclusiveMaximum, minItems, minLength, oneOf, anyOf, $ref to "#/$defs/NAME". Returns the error messages
// ("$.classes[0].options[0].request.thinking.budget_tokens: 512 < minimum 1024"), empty when valid.
std::vector<std::string> ValidateJsonSchema(const nlohmann::json& value, const nlohmann::json& schema);

// Block-style YAML for a JSON document (strings quoted, keys in document order).
std::string ToYaml(const nlohmann::json& value);

}  // namespace thinkplan::planner
