// How a system is called: the API catalogue (data/apis/system_apis.csv, table system_apis; docs/policy.md). One
// row per system: which API serves it under which model id, whether it thinks, and the one compute knob it takes
// with the values that knob accepts. The policy export (planner/policy.h) reads it; the store keeps it.
#pragma once

#include <optional>
#include <string>

namespace thinkplan {

struct SystemApi {
  std::string system;  // the catalogue name (systems.csv `system`, a self-hosted workload system's `model`)
  std::string vendor;
  std::string api;            // openai | anthropic | gemini | vllm | deepseek
  std::string api_model_id;   // what the API is sent: claude-3-7-sonnet-20250219, Qwen/QwQ-32B (vLLM's default name)
  std::string thinking;       // always | optional (can be turned off) | none (a non-reasoning model)
  std::string knob;           // none | effort | budget
  std::string effort_values;  // knob effort: the accepted levels, "low|medium|high"
  std::optional<long> budget_min_tokens;  // knob budget: the accepted range of an enabled thinking budget
  std::optional<long> budget_max_tokens;
  long max_output_tokens = 0;    // thinking and answer together, the most the API accepts
  long n_max = 0;                // samples one request may ask for (`n`, candidateCount); 0 = none
  std::string reasoning_parser;  // vLLM: the --reasoning-parser the server needs for thinking controls
  std::string source;
  bool operator==(const SystemApi&) const = default;
};

}  // namespace thinkplan
