// `thinkplan sweep` end to end through the executable: usage errors (exit 1), a missing plan (exit 2), a grid swept,
// stored, listed and charted in the report (the joint between the sweep and the report), and the stored figures
// checked against their own definitions (a probability is successes over trials, its standard error the binomial
// one, its interval contains it).
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "tests/common/test_support.h"

using namespace thinkplan::testing;

namespace {

std::string Db(const ScratchDir& dir) { return "--db " + ShellQuote((dir / "t.db").string()); }

// The published runs and a plan of the default workload's chat class alone (plan 1).
void MakeChatPlan(const ScratchDir& dir) {
  for (const char* file : {"published/systems.csv", "published/hardware.csv", "published/runs.csv"}) {
    const CommandResult r = RunThinkplan(Db(dir) + " ingest --quiet " + ShellQuote((DataDir() / file).string()));
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  }
  nlohmann::json w = nlohmann::json::parse(ReadFile(DataDir() / "workloads" / "default.json"));
  nlohmann::json chat = nlohmann::json::array();
  for (const auto& c : w["classes"]) {
    if (c["name"] == "chat") chat.push_back(c);
  }
  w["classes"] = chat;
  w["budget_usd_per_month"] = 150000;  // the cheapest chat plan costs $68.4k: 0.5x stays feasible
  WriteFile(dir / "chat.json", w.dump());
  const CommandResult r = RunThinkplan(Db(dir) + " plan --quiet " + ShellQuote((dir / "chat.json").string()));
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
}

void CheckProbability(const nlohmann::json& p) {
  const double value = p["value"], trials = p["trials"], successes = p["successes"];
  BOOST_TEST(value == successes / trials, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(p["standard_error"].get<double>() == std::sqrt(value * (1 - value) / trials), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(p["low"].get<double>() <= value);
  BOOST_TEST(value <= p["high"].get<double>());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_sweep)

BOOST_AUTO_TEST_CASE(usage_errors_and_a_missing_plan_have_their_exit_codes) {
  ScratchDir dir;
  MakeChatPlan(dir);
  BOOST_TEST(RunThinkplan(Db(dir) + " sweep").exit_code == 1);                       // no --plan
  BOOST_TEST(RunThinkplan(Db(dir) + " sweep --plan 1 --draws 0").exit_code == 1);
  BOOST_TEST(RunThinkplan(Db(dir) + " sweep --plan 1 --set budget=1x,,2x").exit_code == 1);
  BOOST_TEST(RunThinkplan(Db(dir) + " sweep --plan 1 --set nonsense=2x --draws 1").exit_code == 1);
  const CommandResult missing = RunThinkplan(Db(dir) + " sweep --plan 99 --draws 1");
  BOOST_TEST(missing.exit_code == 2);
  BOOST_TEST(missing.err.find("no plan with id 99") != std::string::npos, missing.err);
}

BOOST_AUTO_TEST_CASE(a_grid_is_swept_stored_listed_and_charted_in_the_report) {
  ScratchDir dir;
  MakeChatPlan(dir);
  const CommandResult r = RunThinkplan(Db(dir) + " sweep --plan 1 --set budget=0.5x,1x --draws 8 --days 0.01 "
                                                 "--threads 2 --json --quiet");
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const nlohmann::json sweep = nlohmann::json::parse(r.out);
  BOOST_TEST(sweep["id"] == 1);
  BOOST_REQUIRE_EQUAL(sweep["scenarios"].size(), 2u);
  BOOST_TEST(sweep["scenarios"][0]["label"] == "budget=0.5x");
  for (const auto& s : sweep["scenarios"]) {
    BOOST_REQUIRE(s["feasible"].get<bool>());
    const double budget = s["budget_usd_per_month"];
    BOOST_TEST(s["within_budget"]["trials"] == 8);
    CheckProbability(s["within_budget"]);
    CheckProbability(s["meets_all_slos"]);
    for (const auto& c : s["classes"]) CheckProbability(c["meets_slo"]);
    const auto& usd = s["usd_per_month"];
    BOOST_TEST(usd["p5"].get<double>() <= usd["p50"].get<double>());
    BOOST_TEST(usd["p50"].get<double>() <= usd["p95"].get<double>());
    BOOST_TEST(budget > 0);
  }
  const CommandResult list = RunThinkplan(Db(dir) + " sweep --list --plan 1 --json");
  BOOST_REQUIRE_MESSAGE(list.exit_code == 0, list.err);
  const nlohmann::json listed = nlohmann::json::parse(list.out);
  BOOST_REQUIRE_EQUAL(listed.size(), 1u);
  BOOST_TEST(listed[0]["scenarios"] == sweep["scenarios"]);
  const CommandResult text = RunThinkplan(Db(dir) + " sweep --list");
  BOOST_TEST(text.out.find("budget=0.5x") != std::string::npos, text.out);

  const CommandResult report = RunThinkplan(Db(dir) + " report --plan 1 --format md --out " +
                                            ShellQuote((dir / "r.md").string()));
  BOOST_REQUIRE_MESSAGE(report.exit_code == 0, report.err);
  const std::string md = ReadFile(dir / "r.md");
  BOOST_TEST(md.find("Sweep 1") != std::string::npos);
  std::filesystem::path spec_file;  // <slug>-<chart number>.vl.json
  for (const auto& entry : std::filesystem::directory_iterator(dir / "r_specs")) {
    if (entry.path().filename().string().starts_with("sweep-1-")) spec_file = entry.path();
  }
  BOOST_REQUIRE(!spec_file.empty());
  const nlohmann::json spec = nlohmann::json::parse(ReadFile(spec_file));
  BOOST_TEST(spec["layer"].size() == 2u);
  // One point per scenario and measure: the budget, the chat SLO and both together.
  BOOST_TEST(spec["data"]["values"].size() == 6u);
}

BOOST_AUTO_TEST_SUITE_END()
