// `thinkplan plan --verify` end to end on the demo database: the default workload's plan is simulated for a day,
// the simulation is stored beside the plan, and the simulator (the independent reference) confirms the plan's p95,
// SLO misses and cost within the promise's tolerances. --verify with --no-store is a usage error.
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "tests/common/test_support.h"

using namespace thinkplan::testing;

BOOST_AUTO_TEST_SUITE(cli_verify)

BOOST_AUTO_TEST_CASE(the_default_plan_holds_its_promise_when_verified) {
  ScratchDir dir;
  const std::string db = "--db " + ShellQuote((dir / "t.db").string());
  BOOST_REQUIRE(RunThinkplan(db + " demo --quiet --out " + ShellQuote((dir / "out").string())).exit_code == 0);
  const std::string workload = ShellQuote((DataDir() / "workloads" / "default.json").string());
  const CommandResult text = RunThinkplan(db + " plan " + workload + " --verify --quiet");
  BOOST_REQUIRE_MESSAGE(text.exit_code == 0, text.err);
  BOOST_TEST(text.out.find("verification (simulation ") != std::string::npos, text.out);
  BOOST_TEST(text.out.find("the simulation holds the plan's promise") != std::string::npos, text.out);
  const CommandResult json = RunThinkplan(db + " plan " + workload + " --verify --json --quiet");
  BOOST_REQUIRE_MESSAGE(json.exit_code == 0, json.err);
  const nlohmann::json v = nlohmann::json::parse(json.out)["verification"];
  BOOST_TEST(v["holds"].get<bool>());
  BOOST_TEST(v["simulation_id"].get<long>() > 0);
  const CommandResult bad = RunThinkplan(db + " plan " + workload + " --verify --no-store");
  BOOST_TEST(bad.exit_code == 1);
  BOOST_TEST(bad.err.find("drop --no-store") != std::string::npos, bad.err);
}

BOOST_AUTO_TEST_SUITE_END()
