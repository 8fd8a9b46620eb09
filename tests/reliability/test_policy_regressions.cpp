// Hostile names through `thinkplan plan` and `thinkplan export-policy` (found while writing fuzz/fuzz_policy.cpp):
// workload, class and bucket names with quotes, backslashes, YAML indicators, control characters (SOH, TAB, an
// ESC colour code), an embedded line end and non-ASCII text must come back verbatim from the exported JSON, be
// escaped in the YAML, and never reach a terminal raw from the text report.
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "tests/common/test_support.h"
#include "tests/reliability/independent_readers.h"

namespace thinkplan::testing {
namespace {

const std::vector<std::string> kClassNames = {
    "chat \"quoted\" \\ back", "- yaml: [indicator] # not a comment", "tab\tand\x01soh\x1b[31m",
    "\u202eright-to-left \u00e9\u6f22\U0001F600", "'); DROP TABLE plans;--"};
const std::string kWorkloadName = "default \"hostile\" \\ names\n- injected: line";

// A demo database and the default workload under hostile names, made once for the cases below.
struct HostileFixture {
  ScratchDir dir{"thinkplan-policy-hostile"};
  std::filesystem::path db = dir / "store.db";
  std::filesystem::path workload = dir / "hostile.json";
  HostileFixture() {
    const CommandResult demo = RunThinkplan("demo --quiet --db " + ShellQuote(db.string()));
    BOOST_REQUIRE_MESSAGE(demo.exit_code == 0, demo.err);
    std::ifstream in(DataDir() / "workloads" / "default.json");
    nlohmann::json w = nlohmann::json::parse(in);
    w["name"] = kWorkloadName;
    for (std::size_t i = 0; i < w["classes"].size() && i < kClassNames.size(); ++i) {
      w["classes"][i]["name"] = kClassNames[i];
      for (auto& bucket : w["classes"][i]["buckets"]) {
        if (bucket.contains("name")) bucket["name"] = bucket["name"].get<std::string>() + ": \"x\"\n- y";
      }
    }
    std::ofstream(workload) << w.dump();
  }
};

HostileFixture& Fixture() {
  static HostileFixture fixture;
  return fixture;
}

// Bytes a terminal acts on: C0 controls other than the line end, DEL.
std::size_t RawControls(const std::string& text) {
  std::size_t n = 0;
  for (unsigned char c : text) n += (c < 0x20 && c != '\n') || c == 0x7f;
  return n;
}

long StoredPlanId(const std::string& out) {
  // `plan --json` prints the plan with its stored id.
  const auto j = nlohmann::json::parse(out);
  return j.at("plan_id").get<long>();
}

BOOST_AUTO_TEST_CASE(hostile_names_come_back_verbatim_from_the_exported_policy) {
  HostileFixture& f = Fixture();
  const CommandResult plan = RunThinkplan("plan --quiet --json --db " + ShellQuote(f.db.string()) + " " +
                                          ShellQuote(f.workload.string()));
  BOOST_REQUIRE_MESSAGE(plan.exit_code == 0, plan.err);
  const long id = StoredPlanId(plan.out);
  const std::string base = "export-policy --quiet --db " + ShellQuote(f.db.string()) + " --plan " + std::to_string(id);

  const CommandResult json_policy = RunThinkplan(base);
  BOOST_REQUIRE_MESSAGE(json_policy.exit_code == 0, json_policy.err);
  const auto policy = nlohmann::json::parse(json_policy.out);
  BOOST_TEST(policy.at("workload").get<std::string>() == kWorkloadName);
  std::set<std::string> classes;
  for (const auto& route : policy.at("routes")) classes.insert(route.at("class").get<std::string>());
  for (const std::string& name : kClassNames) BOOST_TEST(classes.count(name) == 1u, "class " << name);

  const CommandResult yaml = RunThinkplan(base + " --format yaml");
  BOOST_REQUIRE_MESSAGE(yaml.exit_code == 0, yaml.err);
  BOOST_TEST(RawControls(yaml.out) == 0u);
  // Every line is a key, an item or a continuation of the block: no name broke out onto a line of its own.
  std::istringstream lines(yaml.out);
  for (std::string line; std::getline(lines, line);) {
    BOOST_TEST_INFO(line);
    BOOST_TEST((line.find("- injected") == std::string::npos || line.find('"') < line.find("- injected")));
    BOOST_TEST(line.rfind("- y", 0) != 0);
  }
}

// The text report of `thinkplan plan` once wrote names as they are, so a class name with an ESC sequence
// recoloured the user's terminal and a name with a line end forged a line of the report; names now go through
// PrintableText (core/printable_text.h).
BOOST_AUTO_TEST_CASE(plan_report_writes_no_raw_control_characters) {
  HostileFixture& f = Fixture();
  const CommandResult plan = RunThinkplan("plan --quiet --no-store --db " + ShellQuote(f.db.string()) + " " +
                                          ShellQuote(f.workload.string()));
  BOOST_REQUIRE_MESSAGE(plan.exit_code == 0, plan.err);
  BOOST_TEST(RawControls(plan.out) == 0u);
  BOOST_TEST(plan.out.find("\n- injected: line") == std::string::npos);
}

// Every target's export, under hostile names, read back by readers thinkplan did not write: the JSON validated
// against docs/policy.schema.json by the Python jsonschema package (Draft 2020-12), the YAML parsed by yaml-cpp
// and compared, value for value, with the JSON. A target that cannot serve every system is refused, naming one.
BOOST_AUTO_TEST_CASE(every_target_is_read_back_by_independent_json_schema_and_yaml_readers) {
  HostileFixture& f = Fixture();
  const CommandResult plan = RunThinkplan("plan --quiet --json --db " + ShellQuote(f.db.string()) + " " +
                                          ShellQuote(f.workload.string()));
  BOOST_REQUIRE_MESSAGE(plan.exit_code == 0, plan.err);
  const long id = StoredPlanId(plan.out);
  const std::filesystem::path schema = SourceDir() / "docs" / "policy.schema.json";
  nlohmann::json policies = nlohmann::json::array();
  // "" is the default: each option in its own vendor's format.
  for (const std::string target : {"", "openai", "anthropic", "gemini", "vllm", "deepseek"}) {
    BOOST_TEST_CONTEXT("--target " << (target.empty() ? "(each vendor's own)" : target)) {
      const std::string base = "export-policy --quiet --db " + ShellQuote(f.db.string()) + " --plan " +
                               std::to_string(id) + (target.empty() ? "" : " --target " + target);
      const CommandResult json_policy = RunThinkplan(base);
      if (!target.empty() && json_policy.exit_code == 2) {
        BOOST_TEST(json_policy.err.find("--target " + target + " cannot serve system '") != std::string::npos,
                   json_policy.err);
        continue;
      }
      BOOST_REQUIRE_MESSAGE(json_policy.exit_code == 0, json_policy.err);
      policies.push_back(nlohmann::json::parse(json_policy.out));
      const CommandResult yaml = RunThinkplan(base + " --format yaml");
      BOOST_REQUIRE_MESSAGE(yaml.exit_code == 0, yaml.err);
      nlohmann::json from_yaml;
      BOOST_REQUIRE_NO_THROW(from_yaml = YamlToJson(YAML::Load(yaml.out)));
      BOOST_TEST(SameJson(from_yaml, policies.back()), "the YAML reads back differently from the JSON");
    }
  }
  const std::filesystem::path manifest = f.dir / "policies.json";
  WriteFile(manifest, nlohmann::json::array({nlohmann::json::array({schema.string(), policies})}).dump());
  const SchemaCheck check = ValidateWithJsonSchema(manifest);
  BOOST_TEST(check.exit_code == 0, "jsonschema: " << check.output);
}

}  // namespace
}  // namespace thinkplan::testing
