// The exported policy's request bodies (planner/policy.h, docs/policy.md) on hand-made plans: what each API is
// sent, fan-out, and each refusal with its message. Validation against the vendors' own schemas, on every stored
// plan of a demo database, is in tests/reliability/test_policy_vendor_schemas.cpp.
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "planner/policy.h"
#include "tests/common/test_support.h"

using namespace thinkplan;
using namespace thinkplan::planner;
using nlohmann::json;

namespace {

SystemApi Api(std::string system, std::string api, std::string id, std::string thinking, std::string knob,
              std::optional<long> lo, std::optional<long> hi, long max_output, long n_max) {
  SystemApi row;
  row.system = std::move(system);
  row.api = std::move(api);
  row.api_model_id = std::move(id);
  row.thinking = std::move(thinking);
  row.knob = std::move(knob);
  if (row.knob == "effort") row.effort_values = "low|medium|high";
  row.budget_min_tokens = lo;
  row.budget_max_tokens = hi;
  row.max_output_tokens = max_output;
  row.n_max = n_max;
  return row;
}

// Rows as data/apis/system_apis.csv has them, plus a hybrid self-hosted model (thinking can be turned off).
std::vector<SystemApi> Catalogue() {
  return {
      Api("o1-mini", "openai", "o1-mini", "always", "none", {}, {}, 65536, 128),
      Api("o3-mini", "openai", "o3-mini", "always", "effort", {}, {}, 100000, 128),
      Api("gpt-4o", "openai", "gpt-4o", "none", "none", {}, {}, 16384, 128),
      Api("Claude-3.7-Sonnet", "anthropic", "claude-3-7-sonnet-20250219", "optional", "budget", 1024, 63999, 64000, 0),
      Api("Gemini-2.5-Pro", "gemini", "gemini-2.5-pro", "always", "budget", 128, 32768, 65536, 8),
      Api("Gemini-2.5-Flash", "gemini", "gemini-2.5-flash", "optional", "budget", 1, 24576, 65536, 8),
      Api("DeepSeek-R1", "deepseek", "deepseek-reasoner", "always", "none", {}, {}, 65536, 0),
      Api("QwQ-32B", "vllm", "Qwen/QwQ-32B", "always", "budget", 1, 131072, 131072, 16384),
      Api("Qwen3-32B", "vllm", "Qwen/Qwen3-32B", "optional", "budget", 1, 32768, 40960, 16384)};
}

// A one-route plan with one option on `system`, and its workload.
struct OneOption {
  json option = {{"fraction", 1.0},
                 {"mode", "extended"},
                 {"budget_tokens", nullptr},
                 {"effort", ""},
                 {"samples", 1},
                 {"aggregation", "pass@1"},
                 {"accuracy", 0.5},
                 {"accuracy_interval", {0.4, 0.6}},
                 {"thinking_tokens_mean", 3000.0},
                 {"thinking_tokens_p95", 8000.0},
                 {"cost_usd_per_query", 0.01},
                 {"latency_p95_s", 10.0}};
  json system = {{"kind", "api"}};
  std::optional<PolicyTarget> target;
  OpenAiApi openai_api = OpenAiApi::kResponses;

  OneOption(const std::string& name, const std::string& mode = "extended") {
    option["system"] = name;
    option["mode"] = mode;
    system["name"] = name;
  }
  json Policy() const {
    PolicyInputs in;
    in.plan_id = 1;
    in.plan = {{"workload", "w"},
               {"objective", "max_accuracy"},
               {"accuracy", 0.5},
               {"accuracy_interval", {0.4, 0.6}},
               {"allocation", json::array({{{"class", "c"},
                                            {"bucket", "all"},
                                            {"traffic_fraction", 1.0},
                                            {"accuracy", 0.5},
                                            {"accuracy_interval", {0.4, 0.6}},
                                            {"options", json::array({option})}}})}};
    in.workload = {
        {"systems", json::array({system})},
        {"classes", json::array({{{"name", "c"}, {"answer_tokens", 100}, {"verifier", {{"kind", "none"}}}}})}};
    in.workload_hash = std::string(64, 'a');
    in.target = target;
    in.apis = Catalogue();
    in.openai_api = openai_api;
    return BuildPolicy(in);
  }
  json Option() const { return Policy()["routes"][0]["options"][0]; }
  json Request() const { return Option()["request"]; }
  // The InputError message of an export that must be refused, "" when it was not.
  std::string Refusal() const {
    try {
      Policy();
    } catch (const InputError& error) {
      return error.what();
    }
    return "";
  }
};

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(policy_export)

BOOST_AUTO_TEST_CASE(openai_responses_takes_reasoning_effort_and_chat_completions_takes_reasoning_effort_and_n) {
  OneOption o("o3-mini");
  o.option["effort"] = "high";
  o.option["samples"] = 4;
  o.option["aggregation"] = "cons@4";
  const json responses = o.Option();
  BOOST_TEST(responses["endpoint"] == "POST /v1/responses");
  BOOST_TEST(responses["request"]["reasoning"] == json({{"effort", "high"}}));
  BOOST_TEST(!responses["request"].contains("reasoning_effort"));
  BOOST_TEST(responses["request"]["max_output_tokens"].get<long>() > 8000);
  BOOST_TEST(responses["fan_out"] == 4);  // the Responses API has no n
  o.openai_api = OpenAiApi::kChat;
  const json chat = o.Option();
  BOOST_TEST(chat["endpoint"] == "POST /v1/chat/completions");
  BOOST_TEST(chat["request"]["reasoning_effort"] == "high");
  BOOST_TEST(chat["request"]["n"] == 4);
  BOOST_TEST(chat["fan_out"] == 1);
  BOOST_TEST(!chat["request"].contains("max_tokens"));  // o-series models reject it
  BOOST_TEST(chat["request"].contains("max_completion_tokens"));
}

BOOST_AUTO_TEST_CASE(o1_mini_and_non_reasoning_models_are_never_sent_an_effort) {
  OneOption mini("o1-mini");
  for (OpenAiApi api : {OpenAiApi::kResponses, OpenAiApi::kChat}) {
    mini.openai_api = api;
    BOOST_TEST(!mini.Request().contains("reasoning"));
    BOOST_TEST(!mini.Request().contains("reasoning_effort"));
  }
  OneOption gpt("gpt-4o", "fast");
  BOOST_TEST(gpt.Request() ==
             json({{"model", "gpt-4o"}, {"max_output_tokens", 192}}));  // 100 answer tokens + 64, to 64
}

BOOST_AUTO_TEST_CASE(anthropic_budget_sits_below_max_tokens_and_fast_mode_disables_thinking) {
  OneOption o("Claude-3.7-Sonnet");
  o.option["budget_tokens"] = 4096.0;
  o.option["samples"] = 3;
  const json option = o.Option();
  BOOST_TEST(option["request"]["model"] == "claude-3-7-sonnet-20250219");
  BOOST_TEST(option["request"]["thinking"] == json({{"type", "enabled"}, {"budget_tokens", 4096}}));
  BOOST_TEST(option["request"]["max_tokens"] == 4096 + 192);
  BOOST_TEST(option["fan_out"] == 3);  // no n in the Messages API
  OneOption fast("Claude-3.7-Sonnet", "fast");
  BOOST_TEST(fast.Request()["thinking"] == json({{"type", "disabled"}}));
}

BOOST_AUTO_TEST_CASE(gemini_puts_the_model_in_the_path_and_the_budget_in_thinking_config) {
  OneOption o("Gemini-2.5-Flash");
  o.option["budget_tokens"] = 2048.0;
  const json option = o.Option();
  BOOST_TEST(option["endpoint"] == "POST /v1beta/models/gemini-2.5-flash:generateContent");
  BOOST_TEST(!option["request"].contains("model"));
  BOOST_TEST(option["request"]["generationConfig"]["thinkingConfig"]["thinkingBudget"] == 2048);
  o.option["budget_tokens"] = nullptr;
  o.option["effort"] = "dynamic";  // measured as dynamic thinking
  BOOST_TEST(o.Request()["generationConfig"]["thinkingConfig"]["thinkingBudget"] == -1);
  BOOST_TEST(OneOption("Gemini-2.5-Flash", "fast").Request()["generationConfig"]["thinkingConfig"]["thinkingBudget"] ==
             0);
}

BOOST_AUTO_TEST_CASE(vllm_gets_thinking_token_budget_n_and_enable_thinking_for_hybrid_models) {
  OneOption qwq("QwQ-32B@H100");
  qwq.system = {{"name", "QwQ-32B@H100"}, {"kind", "self_hosted"}, {"model", "QwQ-32B"}};
  qwq.option["budget_tokens"] = 4096.0;
  qwq.option["samples"] = 8;
  const json option = qwq.Option();
  BOOST_TEST(option["request"]["model"] == "Qwen/QwQ-32B");
  BOOST_TEST(option["request"]["thinking_token_budget"] == 4096);
  BOOST_TEST(option["request"]["n"] == 8);
  BOOST_TEST(option["fan_out"] == 1);
  BOOST_TEST(!option["request"].contains("chat_template_kwargs"));  // QwQ always thinks
  BOOST_TEST(option["reasoning_parser"] == "");
  OneOption hybrid("Qwen3-32B", "fast");
  BOOST_TEST(hybrid.Request()["chat_template_kwargs"] == json({{"enable_thinking", false}}));
}

BOOST_AUTO_TEST_CASE(deepseek_max_tokens_counts_the_chain_of_thought) {
  OneOption o("DeepSeek-R1");
  o.option["samples"] = 2;
  const json option = o.Option();
  BOOST_TEST(option["request"]["model"] == "deepseek-reasoner");
  BOOST_TEST(option["request"]["max_tokens"].get<long>() >= 1.25 * 8000 + 100);
  BOOST_TEST(option["fan_out"] == 2);
}

BOOST_AUTO_TEST_CASE(a_workload_may_override_the_model_id) {
  OneOption o("Claude-3.7-Sonnet");
  o.system["api_model_id"] = "claude-3-7-sonnet-latest";
  BOOST_TEST(o.Request()["model"] == "claude-3-7-sonnet-latest");
}

BOOST_AUTO_TEST_CASE(an_unsupported_knob_is_refused_with_the_system_and_model) {
  OneOption mini("o1-mini");
  mini.option["effort"] = "high";
  BOOST_TEST(mini.Refusal() ==
             "system 'o1-mini' (openai model o1-mini): the plan chose reasoning effort 'high', but the model takes no "
             "effort (its knob: none)");
  OneOption o1("o3-mini");
  o1.option["effort"] = "max";
  BOOST_TEST(Has(o1.Refusal(), "reasoning effort 'max' is not one the model accepts (low|medium|high)"));
  OneOption budget("o3-mini");
  budget.option["budget_tokens"] = 4096.0;
  BOOST_TEST(Has(budget.Refusal(), "the plan chose a thinking budget of 4096 tokens, but the model takes no budget"));
  BOOST_TEST(Has(OneOption("gpt-4o").Refusal(), "the plan chose extended thinking, but the model does not think"));
  BOOST_TEST(Has(OneOption("Gemini-2.5-Pro", "fast").Refusal(), "the model's thinking cannot be turned off"));
}

BOOST_AUTO_TEST_CASE(a_budget_outside_the_models_range_is_refused) {
  OneOption pro("Gemini-2.5-Pro");
  pro.option["budget_tokens"] = 64.0;
  BOOST_TEST(pro.Refusal() ==
             "system 'Gemini-2.5-Pro' (gemini model gemini-2.5-pro): a thinking budget of 64 tokens is outside the "
             "model's range 128..32768");
  OneOption claude("Claude-3.7-Sonnet");
  claude.option["budget_tokens"] = 512.0;
  BOOST_TEST(Has(claude.Refusal(), "a thinking budget of 512 tokens is outside the model's range 1024..63999"));
  claude.option["budget_tokens"] = 63900.0;  // in range, but the answer no longer fits under max_tokens
  BOOST_TEST(Has(claude.Refusal(), "exceed the model's max_tokens limit of 64000"));
}

BOOST_AUTO_TEST_CASE(a_target_that_cannot_serve_a_system_is_refused_never_swapped) {
  OneOption claude("Claude-3.7-Sonnet");
  claude.target = PolicyTarget::kDeepSeek;
  BOOST_TEST(claude.Refusal() ==
             "--target deepseek cannot serve system 'Claude-3.7-Sonnet': the API catalogue serves it through "
             "anthropic (model claude-3-7-sonnet-20250219)");
  OneOption gpt("gpt-4o", "fast");
  gpt.target = PolicyTarget::kAnthropic;
  BOOST_TEST(Has(gpt.Refusal(), "--target anthropic cannot serve system 'gpt-4o'"));
  gpt.target = PolicyTarget::kOpenAi;
  BOOST_TEST(gpt.Refusal() == "");
}

BOOST_AUTO_TEST_CASE(a_system_without_a_catalogue_row_is_refused) {
  BOOST_TEST(Has(OneOption("mystery-model").Refusal(), "system 'mystery-model' has no row in the API catalogue"));
}

BOOST_AUTO_TEST_CASE(gateway_configs_carry_each_option_with_its_weight_and_reasoning) {
  OneOption o("o3-mini");
  o.option["effort"] = "low";
  o.option["samples"] = 5;
  const json policy = o.Policy();
  const json litellm = LiteLlmConfig(policy);
  BOOST_REQUIRE(litellm["model_list"].size() == 1u);
  const json& params = litellm["model_list"][0]["litellm_params"];
  BOOST_TEST(litellm["model_list"][0]["model_name"] == "c");
  BOOST_TEST(params["model"] == "openai/o3-mini");
  BOOST_TEST(params["reasoning_effort"] == "low");
  BOOST_TEST(params["weight"] == 1.0);
  BOOST_TEST(litellm["model_list"][0]["model_info"]["thinkplan_fan_out"] == 5);
  const json legacy = SemanticRouterConfig(policy, SemanticRouterLayout::kLegacy);
  BOOST_TEST(legacy["default_model"] == "o3-mini");
  BOOST_TEST(legacy["categories"][0]["model_scores"][0]["use_reasoning"] == true);
  BOOST_TEST(legacy["categories"][0]["model_scores"][0]["reasoning_effort"] == "low");
  BOOST_TEST(legacy["model_config"]["o3-mini"]["reasoning_family"] == "reasoning_effort");
  const json router = SemanticRouterConfig(policy);
  BOOST_TEST(router["version"] == "v0.3");
  BOOST_TEST(router["providers"]["defaults"]["default_model"] == "o3-mini");
  BOOST_TEST(router["providers"]["models"][0]["reasoning_family"] == "reasoning_effort");
  const json& decision = router["routing"]["decisions"][0];
  BOOST_TEST(decision["rules"]["conditions"] == json::parse(R"([{"type": "domain", "name": "c"}])"));
  BOOST_TEST(decision["modelRefs"][0]["weight"] == 1.0);
  BOOST_TEST(decision["modelRefs"][0]["reasoning_effort"] == "low");
  BOOST_TEST(router["routing"]["signals"]["domains"][0]["name"] == "c");
  BOOST_TEST(!router["routing"]["signals"].contains("complexity"));
}

// Routes of one class, as the policy lists them: bucket name, share of the class's traffic, options (model, share).
json ClassRoutes(const json& option_template,
                 const std::vector<std::pair<std::string, std::pair<double, std::vector<std::pair<std::string, double>>>>>& buckets) {
  json routes = json::array();
  for (const auto& [bucket, spec] : buckets) {
    json options = json::array();
    for (const auto& [model, fraction] : spec.second) {
      json option = option_template;
      option["model"] = model;
      option["fraction"] = fraction;
      options.push_back(option);
    }
    routes.push_back({{"class", "c"}, {"bucket", bucket}, {"traffic_fraction", spec.first}, {"options", options}});
  }
  return {{"routes", routes}};
}

BOOST_AUTO_TEST_CASE(semantic_router_routes_easy_medium_hard_buckets_on_its_complexity_signal) {
  const json option = OneOption("o3-mini").Option();
  const json policy = ClassRoutes(option, {{"easy", {0.7, {{"m1", 1.0}}}}, {"hard", {0.3, {{"m2", 0.25}, {"m1", 0.75}}}}});
  const json router = SemanticRouterConfig(policy);
  const json& decisions = router["routing"]["decisions"];
  BOOST_REQUIRE(decisions.size() == 2u);
  BOOST_TEST(decisions[1]["name"] == "c/hard");
  BOOST_TEST(decisions[1]["rules"]["conditions"][1] ==
             json::parse(R"({"type": "complexity", "name": "thinkplan_difficulty:hard"})"));
  // Heaviest reference first: the static algorithm sends the decision's traffic there.
  BOOST_TEST(decisions[1]["modelRefs"][0]["model"] == "m1");
  BOOST_TEST(decisions[1]["modelRefs"][0]["weight"] == 0.75);
  BOOST_TEST(router["routing"]["signals"]["complexity"][0]["name"] == "thinkplan_difficulty");
  // m1 carries 0.7 + 0.3 x 0.75 = 0.925 of the class: the default model.
  BOOST_TEST(router["providers"]["defaults"]["default_model"] == "m1");
}

BOOST_AUTO_TEST_CASE(semantic_router_merges_buckets_it_cannot_tell_apart_by_traffic_share) {
  const json option = OneOption("o3-mini").Option();
  // Traffic fractions 0.6 and 0.2 of the class (the rest unrouted): shares 3/4 and 1/4 of what is routed.
  const json policy = ClassRoutes(option, {{"short", {0.6, {{"m1", 0.5}, {"m2", 0.5}}}}, {"long", {0.2, {{"m2", 1.0}}}}});
  const json router = SemanticRouterConfig(policy);
  const json& decisions = router["routing"]["decisions"];
  BOOST_REQUIRE(decisions.size() == 1u);
  BOOST_TEST(decisions[0]["name"] == "c");
  BOOST_REQUIRE(decisions[0]["modelRefs"].size() == 2u);
  // m2: 0.75 x 0.5 + 0.25 x 1 = 0.625; m1: 0.75 x 0.5 = 0.375.
  BOOST_TEST(decisions[0]["modelRefs"][0]["model"] == "m2");
  BOOST_TEST(decisions[0]["modelRefs"][0]["weight"].get<double>() == 0.625, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(decisions[0]["modelRefs"][1]["weight"].get<double>() == 0.375, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(!router["routing"]["signals"].contains("complexity"));
}

// JSON leaves DEL, the C1 controls and U+2028/U+2029 raw; YAML forbids the first two and reads NEL and the
// separators as line breaks. Found by fuzz_policy: a class named "scien\x7fe" put a raw DEL in the policy's YAML.
BOOST_AUTO_TEST_CASE(yaml_escapes_what_json_leaves_raw) {
  const std::string del =
                        "scien\x7f"
                        "e",
                    c1 = "a\u0085b\u009b"
                         "c",
                    separators = "x\u2028y\u2029z";
  const json value = {{"class", del}, {"names", json::array({c1, separators})}, {del, 1}};
  const std::string yaml = ToYaml(value);
  for (std::size_t i = 0; i < yaml.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(yaml[i]);
    const unsigned char next = i + 1 < yaml.size() ? static_cast<unsigned char>(yaml[i + 1]) : 0;
    BOOST_TEST(((c >= 0x20 && c != 0x7f) || c == '\n'), "raw byte " << int(c) << " at " << i);
    BOOST_TEST(!(c == 0xc2 && next >= 0x80 && next <= 0x9f), "raw C1 control at " << i);
  }
  BOOST_TEST(yaml.find("\xe2\x80\xa8") == std::string::npos);
  // Each escape is one that JSON reads back too.
  BOOST_TEST(yaml.find(R"("class": "scien\u007fe")") != std::string::npos, yaml);
  BOOST_TEST(yaml.find(R"(- "a\u0085b\u009bc")") != std::string::npos, yaml);
  BOOST_TEST(yaml.find(R"(- "x\u2028y\u2029z")") != std::string::npos, yaml);
  BOOST_TEST(json::parse(R"("scien\u007fe")").get<std::string>() == del);
  BOOST_TEST(json::parse(R"("a\u0085b\u009bc")").get<std::string>() == c1);
}

BOOST_AUTO_TEST_CASE(validator_rejects_what_the_schema_forbids) {
  const json schema = json::parse(
      thinkplan::testing::ReadFile(thinkplan::testing::SourceDir() / "docs" / "policy.schema.json"));
  auto errors_of = [&](const json& option) {
    return ValidateJsonSchema(option, {{"$defs", schema["$defs"]}, {"$ref", "#/$defs/option"}});
  };
  json option = OneOption("o3-mini").Option();
  BOOST_TEST(errors_of(option).empty(), (errors_of(option).empty() ? "" : errors_of(option).front()));
  json bad = option;
  bad["fan_out"] = 0;
  BOOST_TEST(!errors_of(bad).empty());
  bad = option;
  bad["target"] = "bedrock";
  BOOST_TEST(!errors_of(bad).empty());
  bad = option;
  bad["extra"] = 1;
  BOOST_TEST(!errors_of(bad).empty());
  bad = option;
  bad.erase("endpoint");
  BOOST_TEST(!errors_of(bad).empty());
}

BOOST_AUTO_TEST_SUITE_END()
