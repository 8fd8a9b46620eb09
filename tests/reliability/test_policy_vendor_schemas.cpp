// Every stored plan of a demo database exported to every API and gateway format, each request body and config
// validated against the vendors' own schemas (tests/data/vendor-api/, JSON Schema draft 2020-12, by the Python
// jsonschema package) and the rules those schemas cannot state; the gateway configs read back by yaml-cpp as the
// configs made from the exported JSON policy; golden files for the default plan (tests/data/policy-golden/;
// THINKPLAN_UPDATE_GOLDEN=1 rewrites them).
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include <SQLiteCpp/SQLiteCpp.h>
#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "pipeline/plan_stage.h"
#include "planner/policy.h"
#include "store/database.h"
#include "store/plans.h"
#include "tests/common/test_support.h"
#include "tests/reliability/independent_readers.h"

namespace thinkplan::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::vector<std::string> kTargets = {"openai", "anthropic", "gemini", "vllm", "deepseek"};

fs::path VendorSchema(const std::string& name) { return SourceDir() / "tests" / "data" / "vendor-api" / name; }

// The schema each `api` of the policy follows. DeepSeek publishes no schema; its API is OpenAI's Chat Completions.
fs::path SchemaOfApi(const std::string& api) {
  if (api == "openai-responses") return VendorSchema("openai-responses.request.schema.json");
  if (api == "openai-chat-completions" || api == "deepseek-chat-completions") {
    return VendorSchema("openai-chat-completions.request.schema.json");
  }
  if (api == "anthropic-messages") return VendorSchema("anthropic-messages.request.schema.json");
  if (api == "gemini-generate-content") return VendorSchema("gemini-generate-content.request.schema.json");
  if (api == "vllm-chat-completions") return VendorSchema("vllm-chat-completions.request.schema.json");
  BOOST_FAIL("unknown api " + api);
  return {};
}

// The body a client sends: the option's request with a conversation where the option says it goes.
json FullBody(const json& option) {
  json body = option.at("request");
  const std::string field = option.at("prompt_field");
  const std::string prompt = "What is 2 + 2?";
  if (field == "input") body["input"] = prompt;
  if (field == "messages") body["messages"] = json::array({{{"role", "user"}, {"content", prompt}}});
  if (field == "contents") {
    body["contents"] = json::array({{{"role", "user"}, {"parts", json::array({{{"text", prompt}}})}}});
  }
  return body;
}

// A demo database, and one stored plan per (system, class) of the default workload that plans feasibly, besides
// the demo's default plan: every API and knob the shipped catalogue has is exported by some plan.
struct StoredPlans {
  ScratchDir dir{"thinkplan-policy-vendors"};
  fs::path db = dir / "store.db";
  long last_plan = 1;
  StoredPlans() {
    const CommandResult demo = RunThinkplan("demo --quiet --db " + ShellQuote(db.string()) + " --out " +
                                            ShellQuote((dir / "out").string()));
    BOOST_REQUIRE_MESSAGE(demo.exit_code == 0, demo.err);
    const json workload = json::parse(ReadFile(DataDir() / "workloads" / "default.json"));
    for (const json& system : workload["systems"]) {
      for (json klass : workload["classes"]) {
        json one = workload;
        klass["slo_p95_s"] = 1e5;
        one["systems"] = json::array({system});
        one["classes"] = json::array({klass});
        one["budget_usd_per_month"] = 1e9;
        WriteFile(dir / "one.json", one.dump());
        const CommandResult plan = RunThinkplan("plan --quiet --json --db " + ShellQuote(db.string()) + " " +
                                                ShellQuote((dir / "one.json").string()));
        if (plan.exit_code == 0) last_plan = json::parse(plan.out).at("plan_id").get<long>();
      }
    }
  }
  std::string Export(long plan, const std::string& flags) const {
    return "export-policy --quiet --db " + ShellQuote(db.string()) + " --plan " + std::to_string(plan) + " " + flags;
  }
};

StoredPlans& Plans() {
  static StoredPlans plans;
  return plans;
}

// The rules the vendors state outside their schemas (tests/data/vendor-api/README.md).
void CheckCrossFieldRules(const json& option) {
  const json& r = option.at("request");
  const std::string api = option.at("api");
  if (api == "anthropic-messages" && r.at("thinking").at("type") == "enabled") {
    BOOST_TEST(r["thinking"]["budget_tokens"].get<long>() >= 1024);
    BOOST_TEST(r["thinking"]["budget_tokens"].get<long>() < r["max_tokens"].get<long>());
  }
  if (api == "gemini-generate-content") {
    BOOST_TEST(!r.contains("model"));
    BOOST_TEST(
        option.at("endpoint").get<std::string>().find("/models/" + option.at("model").get<std::string>() + ":") !=
        std::string::npos);
  }
  if (api == "openai-chat-completions") BOOST_TEST(!r.contains("max_tokens"));  // rejected by o-series models
  const std::string model = option.at("model");
  if (model == "o1-mini" || model == "o1-preview" || model.rfind("gpt-", 0) == 0) {
    BOOST_TEST(!r.contains("reasoning_effort"), model);
    BOOST_TEST(!r.contains("reasoning"), model);
  }
  if (api == "vllm-chat-completions" && r.contains("thinking_token_budget")) {
    BOOST_TEST(r["thinking_token_budget"].get<long>() <= r["max_tokens"].get<long>());
  }
  const long per_request = r.value(
      "n", r.contains("generationConfig") ? r["generationConfig"].value("candidateCount", 1L) : 1L);
  BOOST_TEST(per_request * option.at("fan_out").get<long>() == option.at("samples").get<long>());
}

struct Collected {
  std::map<std::string, json> bodies;  // by schema path
  json litellm = json::array(), router = json::array(), legacy_router = json::array();
  long refusals = 0;
};

// The policy of `plan` in each system's own API, with `openai_api`; its bodies collected for validation.
std::optional<json> ExportOwn(long plan, const std::string& openai_api, Collected& out) {
  const CommandResult result = RunThinkplan(Plans().Export(plan, "--openai-api " + openai_api));
  if (result.exit_code == 2) {  // a choice the API refuses, e.g. an effort the model lacks: named, never sent
    BOOST_TEST(result.err.find("system '") != std::string::npos, result.err);
    ++out.refusals;
    return std::nullopt;
  }
  BOOST_REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  const json policy = json::parse(result.out);
  for (const json& route : policy.at("routes")) {
    for (const json& option : route.at("options")) {
      out.bodies[SchemaOfApi(option.at("api")).string()].push_back(FullBody(option));
      CheckCrossFieldRules(option);
    }
  }
  return policy;
}

// --target X: the same policy where X serves every option, else a refusal naming a system X cannot serve.
void CheckTargets(long plan, const json& policy) {
  std::set<std::string> own;
  for (const json& route : policy.at("routes")) {
    for (const json& option : route.at("options")) own.insert(option.at("target"));
  }
  for (const std::string& target : kTargets) {
    const CommandResult result = RunThinkplan(Plans().Export(plan, "--target " + target));
    if (own == std::set<std::string>{target}) {
      BOOST_REQUIRE_MESSAGE(result.exit_code == 0, result.err);
      BOOST_TEST(json::parse(result.out).at("routes") == policy.at("routes"));
    } else {
      BOOST_TEST(result.exit_code == 2);
      BOOST_TEST(result.err.find("--target " + target + " cannot serve system '") != std::string::npos, result.err);
    }
  }
}

// A gateway format read by yaml-cpp; its options counted against the policy's.
json GatewayConfig(long plan, const std::string& format) {
  const CommandResult result = RunThinkplan(Plans().Export(plan, "--format " + format));
  BOOST_REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  json config;
  BOOST_REQUIRE_NO_THROW(config = YamlToJson(YAML::Load(result.out)));
  return config;
}

// The Semantic Router schema narrowed to one of its layouts (its top-level anyOf replaced by that definition),
// written beside the manifest.
fs::path OneLayoutSchema(const std::string& layout, const fs::path& dir) {
  json schema = json::parse(ReadFile(VendorSchema("semantic-router-config.schema.json")));
  BOOST_REQUIRE(schema.at("$defs").contains(layout));
  schema["anyOf"] = json::array({{{"$ref", "#/$defs/" + layout}}});
  const fs::path path = dir / ("semantic-router-" + layout + ".schema.json");
  WriteFile(path, schema.dump());
  return path;
}

long OptionCount(const json& policy) {
  long n = 0;
  for (const json& route : policy.at("routes")) n += static_cast<long>(route.at("options").size());
  return n;
}

BOOST_AUTO_TEST_CASE(every_stored_plan_exports_requests_and_configs_the_vendor_schemas_accept) {
  StoredPlans& plans = Plans();
  BOOST_REQUIRE(plans.last_plan > 5);
  Collected collected;
  for (long plan = 1; plan <= plans.last_plan; ++plan) {
    BOOST_TEST_CONTEXT("plan " << plan) {
      const std::optional<json> policy = ExportOwn(plan, "responses", collected);
      if (!policy) continue;
      ExportOwn(plan, "chat", collected);
      CheckTargets(plan, *policy);
      const json litellm = GatewayConfig(plan, "litellm");
      BOOST_TEST(static_cast<long>(litellm.at("model_list").size()) == OptionCount(*policy));
      // The YAML reads back, value for value, as the config made from the exported JSON policy.
      BOOST_TEST(SameJson(litellm, planner::LiteLlmConfig(*policy)), "LiteLLM YAML round trip");
      const json router = GatewayConfig(plan, "semantic-router");
      BOOST_TEST(SameJson(router, planner::SemanticRouterConfig(*policy)), "Semantic Router YAML round trip");
      const json legacy = GatewayConfig(plan, "semantic-router --semantic-router-layout legacy");
      BOOST_TEST(SameJson(legacy, planner::SemanticRouterConfig(*policy, planner::SemanticRouterLayout::kLegacy)),
                 "legacy Semantic Router YAML round trip");
      collected.litellm.push_back(litellm);
      collected.router.push_back(router);
      collected.legacy_router.push_back(legacy);
    }
  }
  json manifest = json::array();
  for (const auto& [schema, bodies] : collected.bodies) manifest.push_back(json::array({schema, bodies}));
  manifest.push_back(json::array({VendorSchema("litellm-proxy-config.schema.json").string(), collected.litellm}));
  // The vendor schema accepts any of the router's three layouts; each export is held to the one it claims.
  manifest.push_back(json::array({OneLayoutSchema("CanonicalV03", plans.dir.path()).string(), collected.router}));
  manifest.push_back(json::array({OneLayoutSchema("LegacyModelScores", plans.dir.path()).string(), collected.legacy_router}));
  WriteFile(plans.dir / "manifest.json", manifest.dump());
  const SchemaCheck check = ValidateWithJsonSchema(plans.dir / "manifest.json");
  BOOST_TEST(check.exit_code == 0, check.output);
  std::size_t bodies = 0;
  for (const auto& [schema, list] : collected.bodies) bodies += list.size();
  BOOST_TEST_MESSAGE("vendor schemas: " << check.output << "(" << bodies << " request bodies under "
                                        << collected.bodies.size() << " request schemas, " << collected.litellm.size()
                                        << " LiteLLM and " << collected.router.size() << " + " << collected.legacy_router.size()
                                        << " Semantic Router configs (v0.3 + legacy), "
                                        << collected.refusals << " refused exports)");
  BOOST_TEST(collected.bodies.size() >= 5u);  // every request schema but one of the OpenAI pair is exercised twice
}

// The export parses only the members of a stored plan that the policy reads (planner::PolicyPlanMembers); built
// from the whole documents instead, as before, every stored plan's policy is the same to the byte, or refused with
// the same message; so is the policy written a route at a time (planner::WritePolicy), as the command writes it.
BOOST_AUTO_TEST_CASE(the_policy_read_from_part_of_each_stored_plan_is_the_one_the_whole_plan_gives) {
  store::Database db = store::Database::Open(Plans().db);
  const std::vector<store::StoredPlan> stored = store::ListPlans(db);
  BOOST_REQUIRE(stored.size() > 5u);
  for (const store::StoredPlan& plan : stored) {
    for (const planner::OpenAiApi api : {planner::OpenAiApi::kResponses, planner::OpenAiApi::kChat}) {
      planner::PolicyInputs whole;
      whole.plan_id = plan.id;
      whole.plan = json::parse(plan.plan_json);
      whole.workload = json::parse(plan.workload_json);
      whole.workload_hash = plan.workload_hash;
      whole.fits_hash = plan.fits_hash;
      whole.created_at = plan.created_at;
      whole.apis = db.ListSystemApis();
      whole.openai_api = api;
      pipeline::ExportPolicyOptions options;
      options.openai_api = api;
      std::string expected, got, streamed;
      try {
        expected = planner::BuildPolicy(whole).dump(2) + "\n";
      } catch (const InputError& e) {
        expected = e.what();
      }
      try {
        got = pipeline::PolicyOfStoredPlan(db, plan, options).dump(2) + "\n";
      } catch (const InputError& e) {
        got = e.what();
      }
      // As export-policy writes it: a route at a time to the stream, nothing written when refused.
      std::ostringstream out;
      options.stream = &out;
      try {
        BOOST_TEST(pipeline::ExportPolicyStage(db, plan.id, options).document.is_null());
        streamed = out.str();
      } catch (const InputError& e) {
        BOOST_TEST(out.str().empty());
        streamed = e.what();
      }
      BOOST_TEST(got == expected, "plan " << plan.id << " (" << planner::ToString(api) << ")");
      BOOST_TEST(streamed == expected, "plan " << plan.id << " streamed (" << planner::ToString(api) << ")");
    }
  }
}

// Of `whole`, only what `keep` names (core/json_subset.h's form), written here on the parsed document as a
// reference for the narrow forms stored beside each plan.
json Kept(const json& whole, const json& keep) {
  if (keep.is_object() && whole.is_object()) {
    json out = json::object();
    for (auto it = keep.begin(); it != keep.end(); ++it) {
      if (whole.contains(it.key())) out[it.key()] = Kept(whole.at(it.key()), it.value());
    }
    return out;
  }
  if (keep.is_array() && whole.is_array()) {
    json out = json::array();
    for (const json& x : whole) out.push_back(Kept(x, keep.at(0)));
    return out;
  }
  return whole;
}

// Each export document of a stored plan as export-policy writes it (JSON streamed a route at a time, the rest as
// YAML), or the refusal's message.
std::vector<std::string> Exports(store::Database& db, long plan_id) {
  std::vector<std::string> texts;
  for (const pipeline::PolicyDocument document :
       {pipeline::PolicyDocument::kPolicy, pipeline::PolicyDocument::kLiteLlm, pipeline::PolicyDocument::kSemanticRouter}) {
    pipeline::ExportPolicyOptions options;
    options.document = document;
    std::ostringstream out;
    if (document == pipeline::PolicyDocument::kPolicy) options.stream = &out;
    try {
      const json made = pipeline::ExportPolicyStage(db, plan_id, options).document;
      texts.push_back(document == pipeline::PolicyDocument::kPolicy ? out.str() : planner::ToYaml(made));
    } catch (const InputError& e) {
      texts.push_back(e.what());
    }
  }
  return texts;
}

// Every plan is stored with its narrow forms (table plan_views): exactly the members of the plan and workload the
// policy reads and of the plan the listing shows. The export through them is, to the byte, the export of a plan
// stored without them (a row from before schema version 11, simulated by deleting the views), which reads the
// whole stored texts; so is `thinkplan plans`.
BOOST_AUTO_TEST_CASE(a_plan_exports_and_lists_the_same_through_its_stored_view_as_without_one) {
  StoredPlans& plans = Plans();
  ScratchDir dir("thinkplan-policy-views");
  const fs::path old_db = dir / "old.db";
  fs::copy_file(plans.db, old_db);
  std::map<long, std::vector<std::string>> viewed;
  {
    store::Database db = store::Database::Open(plans.db);
    const std::vector<store::StoredPlan> stored = store::ListPlans(db);
    BOOST_REQUIRE(stored.size() > 5u);
    for (const store::StoredPlan& plan : stored) {
      BOOST_REQUIRE_MESSAGE(plan.view.has_value(), "plan " << plan.id << " was stored without its view");
      const json whole_plan = json::parse(plan.plan_json), whole_workload = json::parse(plan.workload_json);
      // The plan's head, then its allocation entries a line each.
      json kept = Kept(whole_plan, planner::PolicyPlanMembers());
      const json allocation = kept.at("allocation");
      kept.erase("allocation");
      BOOST_TEST(json::parse(plan.view->policy_plan_json) == kept);
      json lines = json::array();
      std::istringstream in(plan.view->policy_allocation_lines);
      for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
      BOOST_TEST(lines == allocation);
      BOOST_TEST(json::parse(plan.view->policy_workload_json) ==
                 Kept(whole_workload, planner::PolicyWorkloadMembers()));
      BOOST_TEST(json::parse(plan.view->summary_json) == Kept(whole_plan, pipeline::PlanSummaryMembers()));
      viewed[plan.id] = Exports(db, plan.id);
    }
  }
  {
    store::Database db = store::Database::Open(old_db);
    db.connection().exec("DELETE FROM plan_views");
    for (const auto& [id, texts] : viewed) {
      BOOST_TEST(!store::LoadPlan(db, id).view.has_value());
      const std::vector<std::string> old = Exports(db, id);
      for (std::size_t i = 0; i < texts.size(); ++i) BOOST_TEST(old[i] == texts[i], "plan " << id << " document " << i);
    }
  }
  for (const std::string flags : {"", "--json "}) {
    const CommandResult now = RunThinkplan(flags + "--db " + ShellQuote(plans.db.string()) + " plans");
    const CommandResult before = RunThinkplan(flags + "--db " + ShellQuote(old_db.string()) + " plans");
    BOOST_REQUIRE_MESSAGE(now.exit_code == 0, now.err);
    BOOST_REQUIRE_MESSAGE(before.exit_code == 0, before.err);
    BOOST_TEST(now.out == before.out);
  }
}

// The parts of the default plan's exports a client acts on, without the figures the fits move (accuracy, cost).
json RequestsOf(const json& policy) {
  json out = json::array();
  for (const json& route : policy.at("routes")) {
    for (const json& o : route.at("options")) {
      out.push_back({{"class", route.at("class")},
                     {"bucket", route.at("bucket")},
                     {"system", o.at("system")},
                     {"api", o.at("api")},
                     {"endpoint", o.at("endpoint")},
                     {"model", o.at("model")},
                     {"fan_out", o.at("fan_out")},
                     {"request", o.at("request")}});
    }
  }
  return out;
}

void CheckGolden(const std::string& name, const std::string& text) {
  const fs::path golden = SourceDir() / "tests" / "data" / "policy-golden" / name;
  if (std::getenv("THINKPLAN_UPDATE_GOLDEN") != nullptr) WriteFile(golden, text);
  BOOST_TEST(ReadFile(golden) == text, name << " differs from the golden file (THINKPLAN_UPDATE_GOLDEN=1 rewrites it)");
}

BOOST_AUTO_TEST_CASE(the_default_plan_exports_as_its_golden_files) {
  const CommandResult responses = RunThinkplan(Plans().Export(1, ""));
  BOOST_REQUIRE_MESSAGE(responses.exit_code == 0, responses.err);
  CheckGolden("default.requests.json", RequestsOf(json::parse(responses.out)).dump(2) + "\n");
  const CommandResult chat = RunThinkplan(Plans().Export(1, "--openai-api chat"));
  BOOST_REQUIRE_MESSAGE(chat.exit_code == 0, chat.err);
  CheckGolden("default.chat.requests.json", RequestsOf(json::parse(chat.out)).dump(2) + "\n");
  for (const std::string format : {"litellm", "semantic-router"}) {
    const CommandResult result = RunThinkplan(Plans().Export(1, "--format " + format));
    BOOST_REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    CheckGolden("default." + format + ".yaml", result.out);
  }
  const CommandResult legacy = RunThinkplan(Plans().Export(1, "--format semantic-router --semantic-router-layout legacy"));
  BOOST_REQUIRE_MESSAGE(legacy.exit_code == 0, legacy.err);
  CheckGolden("default.semantic-router.legacy.yaml", legacy.out);
}

}  // namespace
}  // namespace thinkplan::testing
