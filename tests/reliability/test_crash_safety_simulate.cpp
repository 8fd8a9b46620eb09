// Crash safety of `thinkplan simulate`: killed with SIGKILL at random moments (while loading the plan, while
// simulating, around the write of the result, after it has finished), the database must stay sound and each
// attempted simulation must be either wholly stored (one row for its plan with its own seed, a body that is whole
// JSON naming that seed) or absent. Every attempt uses a seed of its own, so its row can be told apart.
// THINKPLAN_SIMULATE_KILLS (default 50; 20 under ASan) lengthens the run locally.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include "tests/common/test_support.h"
#include "tests/reliability/reliability_support.h"

namespace thinkplan::testing {
namespace {

using Clock = std::chrono::steady_clock;

#if defined(__SANITIZE_ADDRESS__)
constexpr long kDefaultSimulateKills = 20;
#else
constexpr long kDefaultSimulateKills = 50;
#endif

constexpr uint64_t kFirstSeed = 1000;

std::vector<std::string> SimulateArgs(const std::filesystem::path& db, uint64_t seed) {
  return {"simulate", "--quiet", "--db", db.string(), "--plan", "1", "--seed", std::to_string(seed)};
}

// Every stored simulation, read with plain SQLite: its plan exists, its body is a whole JSON object and names
// the seed of its row. Returns the rows looked at.
long long CheckEverySimulationIsWhole(const std::filesystem::path& db) {
  SQLite::Database sql(db.string(), SQLite::OPEN_READONLY, 10'000);
  SQLite::Statement query(sql, "SELECT s.id, s.seed, s.body, p.id FROM simulations s LEFT JOIN plans p ON p.id = s.plan_id");
  long long rows = 0;
  while (query.executeStep()) {
    BOOST_TEST_INFO("simulation " << query.getColumn(0).getInt64());
    BOOST_REQUIRE_MESSAGE(!query.getColumn(3).isNull(), "a stored simulation lacks its plan");
    const std::string body = query.getColumn(2).getString();
    BOOST_REQUIRE(ParsesAsJsonObject(body));
    BOOST_REQUIRE_EQUAL(nlohmann::json::parse(body).at("seed").get<int64_t>(), query.getColumn(1).getInt64());
    ++rows;
  }
  return rows;
}

BOOST_AUTO_TEST_CASE(killed_simulations_leave_whole_results_or_nothing) {
  const long kills = EnvCount("THINKPLAN_SIMULATE_KILLS", kDefaultSimulateKills);
  ScratchDir dir("thinkplan-simkill");
  const auto db = dir / "store.db";
  const CommandResult demo = RunThinkplan("demo --quiet --db " + ShellQuote(db.string()));
  BOOST_REQUIRE_MESSAGE(demo.exit_code == 0, demo.err);

  // Simulations stored without interruption; the shorter of two runs (the first reads a cold cache) scales the
  // kill delays.
  double full = 1e300;
  for (uint64_t seed : {kFirstSeed - 2, kFirstSeed - 1}) {
    const auto start = Clock::now();
    Child base(SimulateArgs(db, seed), dir / ("base" + std::to_string(seed)));
    BOOST_REQUIRE_EQUAL(base.Wait(), 0);
    full = std::min(full, std::chrono::duration<double>(Clock::now() - start).count());
  }

  // Half the delays anywhere in the run, half close to its end, where the write happens.
  RandomKiller killer(full, 1.1, 0.8, 1.05, 20261130);
  KillTally tally;
  long long rows_checked = 0;
  for (long attempt = 0; attempt < kills; ++attempt) {
    const uint64_t seed = kFirstSeed + static_cast<uint64_t>(attempt);
    const long long before = Count(db, "SELECT count(*) FROM simulations");
    Child child(SimulateArgs(db, seed), dir / ("simulate" + std::to_string(attempt)));
    const RandomKiller::Outcome kill = killer.Kill(child, attempt);

    BOOST_TEST_INFO("attempt " << attempt << ", delay " << kill.delay << " s of " << full << " s, exit " << kill.exit_code);
    BOOST_REQUIRE_EQUAL(IntegrityCheck(db), "ok");
    const long long after = Count(db, "SELECT count(*) FROM simulations");
    const long long mine = CountWhere(db, "SELECT count(*) FROM simulations WHERE seed = CAST(? AS INTEGER)",
                                      std::to_string(seed));
    BOOST_REQUIRE(after == before || after == before + 1);
    BOOST_REQUIRE_EQUAL(mine, after - before);  // a new row is this attempt's
    if (kill.finished_before_kill) BOOST_REQUIRE_MESSAGE(kill.exit_code == 0 && mine == 1, "a finished simulation was lost");
    rows_checked += CheckEverySimulationIsWhole(db);
    tally.Add(kill.finished_before_kill, mine == 1);
  }
  BOOST_TEST_MESSAGE("simulate kills: " << kills << " (uninterrupted run " << full << " s): " << tally.Describe("result")
                                        << "; " << rows_checked << " simulation rows checked; integrity ok");
  BOOST_TEST(tally.absent > 0);  // the kills did land inside runs of the command
}

}  // namespace
}  // namespace thinkplan::testing
