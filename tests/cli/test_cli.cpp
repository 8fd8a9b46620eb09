// End-to-end tests of the `thinkplan` executable as a user runs it: help, errors and exit codes, the demo on
// the shipped data, listing runs, and ingest failures that leave the store untouched.
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "tests/common/test_support.h"

using namespace thinkplan::testing;

namespace {

std::string Db(const ScratchDir& dir) { return "--db " + ShellQuote((dir / "t.db").string()); }

}  // namespace

BOOST_AUTO_TEST_SUITE(cli)

BOOST_AUTO_TEST_CASE(help_lists_every_command_and_exits_zero) {
  const CommandResult r = RunThinkplan("--help");
  BOOST_TEST(r.exit_code == 0);
  for (const char* command : {"demo", "ingest", "runs"}) {
    BOOST_TEST(r.out.find(std::string("  ") + command) != std::string::npos, command);
  }
  BOOST_TEST(RunThinkplan("--version").out.find("thinkplan ") == 0u);
  const CommandResult sub = RunThinkplan("ingest --help");
  BOOST_TEST(sub.exit_code == 0);
  BOOST_TEST(sub.out.find("--skip-invalid") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_command_suggests_the_closest) {
  const CommandResult r = RunThinkplan("ingets x.csv");
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("did you mean 'ingest'?") != std::string::npos, r.err);
  BOOST_TEST(RunThinkplan("").exit_code == 1);
}

BOOST_AUTO_TEST_CASE(bad_options_are_usage_errors) {
  ScratchDir dir;
  const CommandResult r = RunThinkplan(Db(dir) + " runs --frobnicate");
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("frobnicate") != std::string::npos, r.err);
  BOOST_TEST(RunThinkplan(Db(dir) + " ingest").exit_code == 1);
  BOOST_TEST(RunThinkplan(Db(dir) + " runs --source guessed").exit_code == 1);
}

BOOST_AUTO_TEST_CASE(demo_ingests_every_shipped_data_set) {
  ScratchDir dir;
  const CommandResult r = RunThinkplan(Db(dir) + " demo --json");
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const auto out = nlohmann::json::parse(r.out);
  // Counts from data/README.md: 59 + 135 + 57 + 2 + 16 + 40 runs; 18,000 + 16,720 + 2,638 + 240 problem results;
  // 4,772 perf runs.
  BOOST_TEST(out["counts"]["runs"].get<int>() == 59 + 135 + 57 + 2 + 16 + 40);
  BOOST_TEST(out["counts"]["problem_results"].get<int>() == 18000 + 16720 + 2638 + 240);
  BOOST_TEST(out["counts"]["perf_runs"].get<int>() == 4772);
  BOOST_TEST(out["counts"]["systems"].get<int>() >= 20);
  // Running it again changes nothing: every row is identical to what is stored.
  const CommandResult again = RunThinkplan(Db(dir) + " demo --json");
  BOOST_REQUIRE_MESSAGE(again.exit_code == 0, again.err);
  for (const auto& file : nlohmann::json::parse(again.out)["ingested"]) {
    BOOST_TEST(file["inserted"].get<int>() == 0, file["file"]);
  }
}

BOOST_AUTO_TEST_CASE(runs_filters_and_reports_intervals) {
  ScratchDir dir;
  BOOST_REQUIRE(RunThinkplan(Db(dir) + " --quiet demo").exit_code == 0);
  const CommandResult r = RunThinkplan(Db(dir) + " runs --system o3-mini --class math-competition --json");
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const auto runs = nlohmann::json::parse(r.out);
  BOOST_TEST(runs.size() >= 4u);
  for (const auto& run : runs) {
    BOOST_TEST(run["system"] == "o3-mini");
    const double accuracy = run["accuracy"], lower = run["accuracy_ci95"][0], upper = run["accuracy_ci95"][1];
    BOOST_TEST(lower <= accuracy);
    BOOST_TEST(accuracy <= upper);
  }
  const CommandResult table = RunThinkplan(Db(dir) + " runs --class code --difficulty hard --limit 3");
  BOOST_TEST(table.exit_code == 0);
  BOOST_TEST(table.out.find("95% CI") != std::string::npos);
  BOOST_TEST(table.err.find("3 of ") != std::string::npos, table.err);
}

BOOST_AUTO_TEST_CASE(failed_ingest_names_the_place_and_keeps_the_store) {
  ScratchDir dir;
  BOOST_REQUIRE(RunThinkplan(Db(dir) + " --quiet ingest " + ShellQuote((DataDir() / "published/runs.csv").string())).exit_code == 0);
  const std::string before = ReadFile(dir / "t.db");
  WriteFile(dir / "bad.csv",
            "run_key,source,system,task_class,mode,samples,aggregation,n_problems,n_correct\n"
            "k1,measured,m,math,fast,1,pass@1,30,12\n"
            "k2,measured,m,math,fast,1,pass@1,30,31\n");
  const CommandResult r = RunThinkplan(Db(dir) + " ingest " + ShellQuote((dir / "bad.csv").string()));
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("bad.csv:3") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("n_correct") != std::string::npos, r.err);
  BOOST_TEST(ReadFile(dir / "t.db") == before);
  BOOST_TEST(RunThinkplan(Db(dir) + " ingest " + ShellQuote((dir / "missing.csv").string())).exit_code == 2);
}

BOOST_AUTO_TEST_SUITE_END()
