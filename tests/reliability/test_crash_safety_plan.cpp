// Crash safety of `thinkplan plan`: killed with SIGKILL at random moments (while reading fits, while planning,
// around the write of the plan and its workload, after it has finished), the database must stay sound and each
// attempted plan must be either wholly stored (plan row, its workload row, both bodies readable JSON) or absent.
// Every attempt plans a workload of its own name, so its workload row is new and can be told apart.
// THINKPLAN_PLAN_KILLS (default 50; 20 under ASan) lengthens the run locally.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <fstream>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include "tests/common/test_support.h"
#include "tests/reliability/reliability_support.h"

namespace thinkplan::testing {
namespace {

using Clock = std::chrono::steady_clock;

#if defined(__SANITIZE_ADDRESS__)
constexpr long kDefaultPlanKills = 20;
#else
constexpr long kDefaultPlanKills = 50;
#endif

// The default workload under another name (and so another hash): one attempt's plan is recognisable by it.
std::filesystem::path WriteNamedWorkload(const std::filesystem::path& dir, const std::string& name) {
  std::ifstream in(DataDir() / "workloads" / "default.json");
  nlohmann::json workload = nlohmann::json::parse(in);
  workload["name"] = name;
  const auto path = dir / (name + ".json");
  std::ofstream(path) << workload.dump(2);
  return path;
}

// What the database holds, read with plain SQLite: every plan must point at a stored workload and both bodies must
// be whole JSON documents. Returns the rows looked at.
long long CheckEveryPlanIsWhole(const std::filesystem::path& db) {
  SQLite::Database sql(db.string(), SQLite::OPEN_READONLY, 10'000);
  SQLite::Statement query(sql,
                          "SELECT p.id, p.body, w.body FROM plans p LEFT JOIN workloads w ON w.hash = p.workload_hash");
  long long rows = 0;
  while (query.executeStep()) {
    BOOST_TEST_INFO("plan " << query.getColumn(0).getInt64());
    BOOST_REQUIRE_MESSAGE(!query.getColumn(2).isNull(), "a stored plan lacks its workload row");
    BOOST_REQUIRE(ParsesAsJsonObject(query.getColumn(1).getString()));
    BOOST_REQUIRE(ParsesAsJsonObject(query.getColumn(2).getString()));
    rows += 2;
  }
  return rows;
}

BOOST_AUTO_TEST_CASE(killed_plans_leave_whole_plans_or_nothing) {
  const long kills = EnvCount("THINKPLAN_PLAN_KILLS", kDefaultPlanKills);
  ScratchDir dir("thinkplan-plankill");
  const auto db = dir / "store.db";
  const CommandResult demo = RunThinkplan("demo --quiet --db " + ShellQuote(db.string()));
  BOOST_REQUIRE_MESSAGE(demo.exit_code == 0, demo.err);

  // One plan stored without interruption; its time scales the kill delays.
  const auto first = WriteNamedWorkload(dir.path(), "kill-base");
  const auto start = Clock::now();
  Child base({"plan", "--quiet", "--db", db.string(), first.string()}, dir / "base");
  BOOST_REQUIRE_EQUAL(base.Wait(), 0);
  const double full = std::chrono::duration<double>(Clock::now() - start).count();

  // Half the delays anywhere in the run, half close to its end, where the write happens (the transaction is a
  // millisecond of a run of a tenth of a second).
  RandomKiller killer(full, 1.3, 0.85, 1.1, 20261130);
  KillTally tally;
  long long rows_checked = 0;
  for (long attempt = 0; attempt < kills; ++attempt) {
    const std::string name = "kill-" + std::to_string(attempt);
    const auto workload = WriteNamedWorkload(dir.path(), name);
    const long long plans_before = Count(db, "SELECT count(*) FROM plans");
    Child child({"plan", "--quiet", "--db", db.string(), workload.string()}, dir / ("plan" + std::to_string(attempt)));
    const RandomKiller::Outcome kill = killer.Kill(child, attempt);

    BOOST_TEST_INFO("attempt " << attempt << ", delay " << kill.delay << " s of " << full << " s, exit " << kill.exit_code);
    BOOST_REQUIRE_EQUAL(IntegrityCheck(db), "ok");
    const long long plans = Count(db, "SELECT count(*) FROM plans");
    const long long workload_rows = CountWhere(db, "SELECT count(*) FROM workloads WHERE name = ?", name);
    const long long plan_rows = CountWhere(
        db, "SELECT count(*) FROM plans p JOIN workloads w ON w.hash = p.workload_hash WHERE w.name = ?", name);
    BOOST_REQUIRE(plans == plans_before || plans == plans_before + 1);
    BOOST_REQUIRE_EQUAL(plan_rows, plans - plans_before);  // a new plan row is this attempt's, with its workload
    BOOST_REQUIRE_EQUAL(workload_rows, plan_rows);        // and no workload row without its plan
    if (kill.finished_before_kill) BOOST_REQUIRE_MESSAGE(kill.exit_code == 0 && plan_rows == 1, "a finished plan was lost");
    rows_checked += CheckEveryPlanIsWhole(db);
    tally.Add(kill.finished_before_kill, plan_rows == 1);
  }
  BOOST_TEST_MESSAGE("plan kills: " << kills << " (uninterrupted plan " << full << " s): " << tally.Describe("plan")
                                    << "; " << rows_checked << " plan and workload rows checked; integrity ok");
  BOOST_TEST(tally.absent > 0);  // the kills did land inside runs of the command
}

}  // namespace
}  // namespace thinkplan::testing
