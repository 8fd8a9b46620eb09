#include "planner/policy.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/text.h"

namespace thinkplan::planner {
namespace {

using nlohmann::json;

long RoundUp(double x, long step) { return static_cast<long>(std::ceil(std::max(x, 1.0) / step)) * step; }

const json* FindByName(const json& array, const std::string& name) {
  for (const json& x : array) if (x.value("name", "") == name) return &x;
  return nullptr;
}

PolicyTarget DefaultTarget(const json& system) {
  if (system.value("kind", "") == "self_hosted") return PolicyTarget::kVllm;
  const std::string name = Lower(system.value("name", ""));
  if (name.find("claude") != std::string::npos) return PolicyTarget::kAnthropic;
  if (name.find("gemini") != std::string::npos) return PolicyTarget::kGemini;
  if (name.find("deepseek") != std::string::npos) return PolicyTarget::kDeepSeek;
  return PolicyTarget::kOpenAi;
}

// The request parameters of one option for `target`.
json Request(PolicyTarget target, const json& option, const std::string& model, double answer_tokens) {
  const bool extended = option.value("mode", "extended") == "extended";
  const std::optional<double> budget =
      option.contains("budget_tokens") && option["budget_tokens"].is_number() ? std::optional<double>(option["budget_tokens"].get<double>()) : std::nullopt;
  const double thinking_p95 = option.value("thinking_tokens_p95", 0.0);
  const double thinking_cap = budget.value_or(thinking_p95);
  const long answer = RoundUp(answer_tokens + 64, 64);
  switch (target) {
    case PolicyTarget::kOpenAi: {
      // A fast-mode option is a non-reasoning model (gpt-4o, ...), which rejects reasoning_effort.
      if (!extended) return {{"model", model}, {"max_output_tokens", RoundUp(answer, 256)}};
      std::string effort = Lower(option.value("effort", ""));
      if (effort != "low" && effort != "medium" && effort != "high") {
        const double t = extended ? thinking_cap : 0;
        effort = t <= 3000 ? "low" : t <= 10000 ? "medium" : "high";
      }
      // max_output_tokens caps thinking and answer together: a truncated thought loses the answer, so the cap
      // sits above the p95 thinking length.
      return {{"model", model}, {"reasoning_effort", effort},
              {"max_output_tokens", RoundUp(1.25 * std::max(thinking_p95, thinking_cap) + answer, 256)}};
    }
    case PolicyTarget::kAnthropic: {
      if (!extended) return {{"model", model}, {"max_tokens", answer}, {"thinking", {{"type", "disabled"}}}};
      const long b = std::max(1024L, RoundUp(thinking_cap, 256));
      return {{"model", model}, {"max_tokens", b + answer}, {"thinking", {{"type", "enabled"}, {"budget_tokens", b}}}};
    }
    case PolicyTarget::kGemini: {
      const bool flash = Lower(model).find("flash") != std::string::npos;
      const long lo = flash ? 0 : 128, hi = flash ? 24576 : 32768;
      long t = -1;  // dynamic: the model decides
      if (!extended) t = lo;
      else if (budget) t = std::clamp(static_cast<long>(std::llround(*budget)), lo, hi);
      const long max_out = (t < 0 ? hi : t) + answer;
      return {{"model", model},
              {"generationConfig", {{"maxOutputTokens", max_out}, {"thinkingConfig", {{"thinkingBudget", t}}}}}};
    }
    case PolicyTarget::kVllm: {
      const long cap = extended ? RoundUp(thinking_cap, 64) : 0;
      return {{"model", model}, {"max_tokens", cap + answer}, {"thinking_cap_tokens", cap},
              {"budget_forcing", extended ? "end the think block at the cap" : "no thinking"}};
    }
    case PolicyTarget::kDeepSeek:
      return {{"model", extended ? "deepseek-reasoner" : "deepseek-chat"}, {"max_tokens", answer}};
  }
  return json::object();
}

}  // namespace

std::string_view ToString(PolicyTarget target) {
  switch (target) {
    case PolicyTarget::kOpenAi: return "openai";
    case PolicyTarget::kAnthropic: return "anthropic";
    case PolicyTarget::kGemini: return "gemini";
    case PolicyTarget::kVllm: return "vllm";
    case PolicyTarget::kDeepSeek: return "deepseek";
  }
  return "?";
}

std::optional<PolicyTarget> ParsePolicyTarget(std::string_view text) {
  for (PolicyTarget t : {PolicyTarget::kOpenAi, PolicyTarget::kAnthropic, PolicyTarget::kGemini, PolicyTarget::kVllm,
                         PolicyTarget::kDeepSeek}) {
    if (ToString(t) == text) return t;
  }
  return std::nullopt;
}

json BuildPolicy(const PolicyInputs& in) {
  json policy = {{"policy_version", kPolicyVersion},
                 {"plan_id", in.plan_id},
                 {"workload", in.plan.value("workload", "")},
                 {"workload_hash", in.workload_hash},
                 {"fits_hash", in.fits_hash},
                 {"created_at", in.created_at},
                 {"objective", in.plan.value("objective", "")},
                 {"expected_accuracy", in.plan.value("accuracy", 0.0)},
                 {"accuracy_interval", in.plan.value("accuracy_interval", json::array({0.0, 0.0}))},
                 {"routes", json::array()}};
  const json& systems = in.workload.at("systems");
  const json& classes = in.workload.at("classes");
  for (const json& a : in.plan.at("allocation")) {
    const json* c = FindByName(classes, a.at("class").get<std::string>());
    if (!c) throw InputError("plan names class '" + a.at("class").get<std::string>() + "' that its workload lacks");
    json route = {{"class", a.at("class")}, {"bucket", a.at("bucket")}, {"traffic_fraction", a.at("traffic_fraction")},
                  {"expected_accuracy", a.at("accuracy")}, {"accuracy_interval", a.at("accuracy_interval")},
                  {"options", json::array()}};
    for (const json& o : a.at("options")) {
      const std::string system_name = o.at("system").get<std::string>();
      const json* s = FindByName(systems, system_name);
      if (!s) throw InputError("plan names system '" + system_name + "' that its workload lacks");
      const PolicyTarget target = in.target.value_or(DefaultTarget(*s));
      const std::string model = s->value("kind", "") == "self_hosted" ? s->value("model", system_name) : system_name;
      route["options"].push_back({{"fraction", o.at("fraction")},
                                  {"system", system_name},
                                  {"mode", o.at("mode")},
                                  {"budget_tokens", o.at("budget_tokens")},
                                  {"samples", o.at("samples")},
                                  {"aggregation", o.at("aggregation")},
                                  {"verifier", c->at("verifier").value("kind", "none")},
                                  {"expected_accuracy", o.at("accuracy")},
                                  {"accuracy_interval", o.at("accuracy_interval")},
                                  {"expected_thinking_tokens", o.at("thinking_tokens_mean")},
                                  {"cost_usd_per_query", o.at("cost_usd_per_query")},
                                  {"latency_p95_s", o.at("latency_p95_s")},
                                  {"target", std::string(ToString(target))},
                                  {"request", Request(target, o, model, c->value("answer_tokens", 0.0))}});
    }
    policy["routes"].push_back(route);
  }
  return policy;
}

// ---------------------------------------------------------------------------------------------------------------
namespace {

bool HasType(const json& v, const std::string& type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "number") return v.is_number();
  if (type == "integer") return v.is_number_integer() || (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
  if (type == "boolean") return v.is_boolean();
  if (type == "null") return v.is_null();
  return false;
}

void Validate(const json& v, const json& schema, const json& root, const std::string& path, std::vector<std::string>& errors) {
  if (schema.contains("$ref")) {
    const std::string ref = schema["$ref"].get<std::string>();
    const std::string prefix = "#/$defs/";
    if (ref.rfind(prefix, 0) != 0 || !root["$defs"].contains(ref.substr(prefix.size()))) {
      errors.push_back(path + ": unresolved $ref " + ref);
      return;
    }
    Validate(v, root["$defs"][ref.substr(prefix.size())], root, path, errors);
    return;
  }
  if (schema.contains("type")) {
    bool ok = false;
    if (schema["type"].is_array()) {
      for (const json& t : schema["type"]) ok = ok || HasType(v, t.get<std::string>());
    } else {
      ok = HasType(v, schema["type"].get<std::string>());
    }
    if (!ok) {
      errors.push_back(fmt::format("{}: {} is not of type {}", path, v.dump(), schema["type"].dump()));
      return;
    }
  }
  if (schema.contains("const") && v != schema["const"]) errors.push_back(fmt::format("{}: {} != {}", path, v.dump(), schema["const"].dump()));
  if (schema.contains("enum") && std::find(schema["enum"].begin(), schema["enum"].end(), v) == schema["enum"].end()) {
    errors.push_back(fmt::format("{}: {} not in {}", path, v.dump(), schema["enum"].dump()));
  }
  if (v.is_number()) {
    const double x = v.get<double>();
    if (schema.contains("minimum") && x < schema["minimum"].get<double>()) errors.push_back(fmt::format("{}: {} < minimum {}", path, x, schema["minimum"].dump()));
    if (schema.contains("maximum") && x > schema["maximum"].get<double>()) errors.push_back(fmt::format("{}: {} > maximum {}", path, x, schema["maximum"].dump()));
    if (schema.contains("exclusiveMinimum") && x <= schema["exclusiveMinimum"].get<double>()) errors.push_back(fmt::format("{}: {} <= exclusiveMinimum {}", path, x, schema["exclusiveMinimum"].dump()));
    if (schema.contains("exclusiveMaximum") && x >= schema["exclusiveMaximum"].get<double>()) errors.push_back(fmt::format("{}: {} >= exclusiveMaximum {}", path, x, schema["exclusiveMaximum"].dump()));
  }
  if (v.is_string() && schema.contains("minLength") && v.get<std::string>().size() < schema["minLength"].get<std::size_t>()) {
    errors.push_back(path + ": string shorter than minLength");
  }
  if (v.is_array()) {
    if (schema.contains("minItems") && v.size() < schema["minItems"].get<std::size_t>()) errors.push_back(path + ": fewer items than minItems");
    if (schema.contains("maxItems") && v.size() > schema["maxItems"].get<std::size_t>()) errors.push_back(path + ": more items than maxItems");
    if (schema.contains("items")) {
      for (std::size_t i = 0; i < v.size(); ++i) Validate(v[i], schema["items"], root, fmt::format("{}[{}]", path, i), errors);
    }
  }
  if (v.is_object()) {
    if (schema.contains("required")) {
      for (const json& key : schema["required"]) {
        if (!v.contains(key.get<std::string>())) errors.push_back(path + ": missing required " + key.get<std::string>());
      }
    }
    const json props = schema.value("properties", json::object());
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string child = path + "." + it.key();
      if (props.contains(it.key())) {
        Validate(it.value(), props[it.key()], root, child, errors);
      } else if (schema.contains("additionalProperties")) {
        const json& extra = schema["additionalProperties"];
        if (extra.is_boolean() && !extra.get<bool>()) errors.push_back(child + ": not allowed (additionalProperties false)");
        else if (extra.is_object()) Validate(it.value(), extra, root, child, errors);
      }
    }
  }
  for (const char* key : {"oneOf", "anyOf"}) {
    if (!schema.contains(key)) continue;
    int matches = 0;
    for (const json& branch : schema[key]) {
      std::vector<std::string> sub;
      Validate(v, branch, root, path, sub);
      matches += sub.empty() ? 1 : 0;
    }
    const bool one = std::string(key) == "oneOf";
    if ((one && matches != 1) || (!one && matches == 0)) {
      errors.push_back(fmt::format("{}: matches {} of the {} branches", path, matches, key));
    }
  }
}

void Yaml(const json& v, int indent, std::string& out);

// A double-quoted YAML string. JSON's escaping is YAML's, except that JSON leaves DEL, the C1 controls and the
// line and paragraph separators raw, which YAML does not allow (DEL, C1) or reads as line breaks (NEL, U+2028,
// U+2029): those are written as \u escapes, which both read back.
std::string Quoted(const std::string& text) {
  const std::string dumped = json(text).dump();
  std::string out;
  out.reserve(dumped.size());
  for (std::size_t i = 0; i < dumped.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(dumped[i]);
    const unsigned char next = i + 1 < dumped.size() ? static_cast<unsigned char>(dumped[i + 1]) : 0;
    const unsigned char third = i + 2 < dumped.size() ? static_cast<unsigned char>(dumped[i + 2]) : 0;
    if (c == 0x7f) {
      out += "\\u007f";
    } else if (c == 0xc2 && next >= 0x80 && next <= 0x9f) {  // U+0080..U+009F
      out += fmt::format("\\u{:04x}", next);
      ++i;
    } else if (c == 0xe2 && next == 0x80 && (third == 0xa8 || third == 0xa9)) {  // U+2028, U+2029
      out += third == 0xa8 ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string Scalar(const json& v) {
  if (v.is_string()) return Quoted(v.get<std::string>());
  return v.dump();
}

void Yaml(const json& v, int indent, std::string& out) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (v.is_object()) {
    if (v.empty()) { out += pad + "{}\n"; return; }
    for (auto it = v.begin(); it != v.end(); ++it) {
      const json& x = it.value();
      if ((x.is_object() || x.is_array()) && !x.empty()) {
        out += pad + Quoted(it.key()) + ":\n";
        Yaml(x, indent + 2, out);
      } else {
        out += pad + Quoted(it.key()) + ": " + (x.is_object() ? "{}" : x.is_array() ? "[]" : Scalar(x)) + "\n";
      }
    }
  } else if (v.is_array()) {
    for (const json& x : v) {
      if ((x.is_object() || x.is_array()) && !x.empty()) {
        std::string inner;
        Yaml(x, indent + 2, inner);
        // "- " takes the place of the first line's indentation.
        out += pad + "- " + inner.substr(static_cast<std::size_t>(indent) + 2);
      } else {
        out += pad + "- " + (x.is_object() ? "{}" : x.is_array() ? "[]" : Scalar(x)) + "\n";
      }
    }
  } else {
    out += pad + Scalar(v) + "\n";
  }
}

}  // namespace

std::vector<std::string> ValidateJsonSchema(const json& value, const json& schema) {
  std::vector<std::string> errors;
  Validate(value, schema, schema, "$", errors);
  return errors;
}

std::string ToYaml(const json& value) {
  std::string out;
  Yaml(value, 0, out);
  return out;
}

}  // namespace thinkplan::planner
