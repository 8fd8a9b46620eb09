// `thinkplan plan --verify` end to end on the demo database: the default workload's plan is simulated for a day,
// the simulation is stored beside the plan, and the simulator (the independent reference) confirms the plan's p95,
// SLO misses and cost within the promise's tolerances. --verify with --no-store is a usage error. A plan that breaks
// is re-provisioned round by round (printed), or, out of rounds, exits 2 saying so; `report` shows the verified
// figures, or "not verified".
#include <boost/test/unit_test.hpp>

#include <fstream>

#include <nlohmann/json.hpp>

#include "planner/workload.h"
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
  BOOST_TEST(text.out.find("round 1: plan ") != std::string::npos, text.out);  // holds at once: one round
  BOOST_TEST(text.out.find("round 2: ") == std::string::npos, text.out);
  BOOST_TEST(text.out.find("verification of plan ") != std::string::npos, text.out);
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

// QwQ-32B-Preview on H100s for competition maths at peak 3 under a 455 s SLO (tests/pipeline/test_verify_loop.cpp),
// on replicas of at most `max_devices_per_replica` cards: with one its first plan breaks in simulation, with two the
// configuration search's plan holds.
std::string WriteTightWorkload(const ScratchDir& dir, long max_devices_per_replica) {
  thinkplan::planner::Workload w = thinkplan::planner::LoadWorkload(DataDir() / "workloads" / "default.json");
  w.name = "tight-qwq";
  std::erase_if(w.systems, [](const auto& s) { return s.name != "QwQ-32B-Preview@H100"; });
  std::erase_if(w.classes, [](const auto& c) { return c.name != "competition"; });
  w.classes[0].daily_volume = 300;
  w.classes[0].slo_p95_s = 455;
  w.classes[0].peak_factor = 3;
  w.classes[0].systems.clear();
  w.systems[0].max_devices_per_replica = max_devices_per_replica;
  const auto path = dir / ("tight" + std::to_string(max_devices_per_replica) + ".json");
  std::ofstream(path) << thinkplan::planner::ToJson(w).dump(2);
  return ShellQuote(path.string());
}

BOOST_AUTO_TEST_CASE(a_plan_that_breaks_exits_2_a_plan_that_holds_is_verified_and_report_shows_it) {
  ScratchDir dir;
  const std::string db = "--db " + ShellQuote((dir / "t.db").string());
  // The runs the pipeline test plans on (no fitted curves: the figures of tests/pipeline/test_verify_loop.cpp).
  for (const char* file : {"published/systems.csv", "published/hardware.csv", "models/models.csv",
                           "published/runs.csv", "public/matharena/runs.csv", "public/routellm/runs.csv",
                           "public/deepseek_r1/runs.csv"}) {
    const CommandResult ingested = RunThinkplan(db + " ingest " + ShellQuote((DataDir() / file).string()) + " --quiet");
    BOOST_REQUIRE_MESSAGE(ingested.exit_code == 0, ingested.err);
  }
  // One-card replicas (max_devices_per_replica 1): the first plan breaks; growing the fleet moves nothing.
  const std::string tight = WriteTightWorkload(dir, 1);
  const CommandResult one = RunThinkplan(db + " plan " + tight + " --verify --max-rounds 1 --quiet");
  BOOST_TEST(one.exit_code == 2, one.err);
  BOOST_TEST(one.out.find("round 1: plan ") != std::string::npos, one.out);
  BOOST_TEST(one.err.find("does not hold in simulation: plan ") != std::string::npos, one.err);
  BOOST_TEST(one.err.find("after 1 rounds (the limit): competition p95") != std::string::npos, one.err);
  const CommandResult stalled = RunThinkplan(db + " plan " + tight + " --verify --quiet");
  BOOST_TEST(stalled.exit_code == 2, stalled.err);
  BOOST_TEST(stalled.out.find("re-provision ") != std::string::npos, stalled.out);
  BOOST_TEST(stalled.err.find("moved nothing") != std::string::npos, stalled.err);
  // Two-card replicas allowed: the configuration search's plan holds in the first round.
  const CommandResult loop = RunThinkplan(db + " plan " + WriteTightWorkload(dir, 2) + " --verify --json --quiet");
  BOOST_REQUIRE_MESSAGE(loop.exit_code == 0, loop.err);
  const nlohmann::json j = nlohmann::json::parse(loop.out);
  const nlohmann::json& rounds = j["verification"]["rounds"];
  BOOST_REQUIRE(rounds.size() == 1u);
  BOOST_TEST(rounds.back()["holds"].get<bool>());
  const long plan_id = j["plan_id"].get<long>();
  BOOST_TEST(rounds.back()["plan_id"].get<long>() == plan_id);
  // The report of the verified plan shows the verified figures; a plan never verified says so.
  const std::string md = ShellQuote((dir / "r.md").string());
  const CommandResult verified = RunThinkplan(db + " report --plan " + std::to_string(plan_id) + " --format md --out " + md);
  BOOST_REQUIRE_MESSAGE(verified.exit_code == 0, verified.err);
  std::string text = RunCommand("cat " + md).out;
  BOOST_TEST(text.find("Verified in simulation") != std::string::npos);
  BOOST_TEST(text.find("holds (simulation " + std::to_string(rounds.back()["simulation_id"].get<long>())) != std::string::npos, text);
  BOOST_TEST(text.find("Planned against simulated") != std::string::npos);
  const CommandResult plain = RunThinkplan(db + " plan " + WriteTightWorkload(dir, 2) + " --json --quiet");
  BOOST_REQUIRE_MESSAGE(plain.exit_code == 0, plain.err);
  const long unverified = nlohmann::json::parse(plain.out)["plan_id"].get<long>();
  BOOST_REQUIRE(RunThinkplan(db + " report --plan " + std::to_string(unverified) + " --format md --out " + md).exit_code == 0);
  text = RunCommand("cat " + md).out;
  BOOST_TEST(text.find("not verified") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
