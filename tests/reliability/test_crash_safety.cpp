// Crash safety: `thinkplan ingest` and `thinkplan fit` killed with SIGKILL at random moments (before the database
// is opened, mid-transaction, during and after the commit) must leave a sound database in which every file is
// either wholly stored or not at all, and the fits either all old or all new.
// THINKPLAN_KILLS (default 50), THINKPLAN_KILL_ROWS (default 100000; 20000 under ASan) and THINKPLAN_FIT_KILLS (default 20)
// lengthen the run locally.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <random>
#include <thread>

#include <SQLiteCpp/SQLiteCpp.h>

#include "tests/common/test_support.h"
#include "tests/reliability/reliability_support.h"

namespace thinkplan::testing {
namespace {

using Clock = std::chrono::steady_clock;

// The sanitizer build runs the executable several times slower: smaller files keep the same number of kills
// affordable in CI.
#if defined(__SANITIZE_ADDRESS__)
constexpr long kDefaultKillRows = 20'000;
#else
constexpr long kDefaultKillRows = 100'000;
#endif

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

long long RowsOf(const std::filesystem::path& db, const std::string& prefix) {
  return CountWhere(db, "SELECT count(*) FROM runs WHERE system = ?", prefix + "-sys");
}

BOOST_AUTO_TEST_CASE(killed_ingests_leave_whole_files_or_nothing) {
  const long kills = EnvCount("THINKPLAN_KILLS", 50);
  const long rows = EnvCount("THINKPLAN_KILL_ROWS", kDefaultKillRows);
  ScratchDir dir("thinkplan-kill");
  const auto db = dir / "store.db";

  // A first file stored without interruption; how long that takes scales the kill delays.
  WriteRunsCsv(dir / "base.csv", "base", rows);
  const auto start = Clock::now();
  Child base({"ingest", "--quiet", "--db", db.string(), (dir / "base.csv").string()}, dir / "base");
  BOOST_REQUIRE_EQUAL(base.Wait(), 0);
  const double full = Seconds(start);
  BOOST_REQUIRE_EQUAL(RowsOf(db, "base"), rows);

  std::mt19937_64 random(20250214);
  std::uniform_real_distribution<double> delay(0.0, 1.3 * full);
  int file_index = 0, killed_absent = 0, killed_present = 0, finished = 0;
  long long rows_checked = 0;
  std::string prefix = "f0";
  WriteRunsCsv(dir / (prefix + ".csv"), prefix, rows);
  for (long attempt = 0; attempt < kills; ++attempt) {
    Child child({"ingest", "--quiet", "--db", db.string(), (dir / (prefix + ".csv")).string()},
                dir / ("child" + std::to_string(attempt)));
    std::this_thread::sleep_for(std::chrono::duration<double>(delay(random)));
    const bool done_before_kill = child.Exited();
    child.Kill();
    const int code = child.Wait();

    BOOST_REQUIRE_EQUAL(IntegrityCheck(db), "ok");
    const long long stored = RowsOf(db, prefix);
    BOOST_TEST_INFO("attempt " << attempt << ", delay scale " << full << " s, exit " << code);
    BOOST_REQUIRE(stored == 0 || stored == rows);
    BOOST_REQUIRE_EQUAL(RowsOf(db, "base"), rows);
    if (done_before_kill) BOOST_REQUIRE_MESSAGE(code == 0 && stored == rows, "a finished ingest lost its rows");
    rows_checked += stored + rows;
    (done_before_kill ? finished : stored == rows ? killed_present : killed_absent) += 1;
    if (stored == rows) {  // stored: the next attempt takes a new file
      prefix = "f" + std::to_string(++file_index);
      WriteRunsCsv(dir / (prefix + ".csv"), prefix, rows);
    }
  }
  BOOST_TEST_MESSAGE("ingest kills: " << kills << " of " << rows << "-row files (uninterrupted ingest " << full
                                      << " s): " << killed_absent << " left nothing, " << killed_present
                                      << " killed after the commit with the file whole, " << finished
                                      << " had finished; " << rows_checked << " rows checked; integrity ok");
  BOOST_TEST(killed_absent > 0);  // the kills did land inside ingests
}

BOOST_AUTO_TEST_CASE(killed_fits_leave_all_old_or_all_new_fits) {
  const long kills = EnvCount("THINKPLAN_FIT_KILLS", 20);
  ScratchDir dir("thinkplan-fitkill");
  const auto db = dir / "store.db";
  const CommandResult demo = RunThinkplan("demo --quiet --db " + ShellQuote(db.string()));
  BOOST_REQUIRE_MESSAGE(demo.exit_code == 0, demo.err);
  const long long fits = Count(db, "SELECT count(*) FROM fits");
  BOOST_REQUIRE_GT(fits, 0);
  // Plain `fit` runs two stages, each storing in one transaction: the curves, then the serving rates (kind cost).
  // A kill between them leaves new curves beside old rates, so each stage's fits are checked on their own.
  const long long cost_fits = Count(db, "SELECT count(*) FROM fits WHERE kind = 'cost'");
  const long long curve_fits = fits - cost_fits;

  // Marks every stored fit stale, so that the next fit rewrites each one with its real input hash.
  auto mark_stale = [&](const std::string& mark) {
    SQLite::Database sql(db.string(), SQLite::OPEN_READWRITE, 10'000);
    SQLite::Statement stale(sql, "UPDATE fits SET input_hash = ?");
    stale.bind(1, mark);
    stale.exec();
  };
  // Time of a full refit scales the delays.
  mark_stale("stale");
  const auto start = Clock::now();
  BOOST_REQUIRE_EQUAL(RunThinkplan("fit --quiet --db " + ShellQuote(db.string())).exit_code, 0);
  const double full = Seconds(start);
  BOOST_REQUIRE_EQUAL(CountWhere(db, "SELECT count(*) FROM fits WHERE input_hash = ?", "stale"), 0);

  std::mt19937_64 random(7);
  std::uniform_real_distribution<double> delay(0.0, 1.3 * full);
  int none = 0, all = 0;
  for (long attempt = 0; attempt < kills; ++attempt) {
    const std::string mark = "stale-" + std::to_string(attempt);
    mark_stale(mark);
    Child child({"fit", "--quiet", "--db", db.string()}, dir / ("fit" + std::to_string(attempt)));
    std::this_thread::sleep_for(std::chrono::duration<double>(delay(random)));
    child.Kill();
    BOOST_REQUIRE_EQUAL(IntegrityCheck(db), "ok");
    BOOST_REQUIRE_EQUAL(Count(db, "SELECT count(*) FROM fits"), fits);
    const long long still_stale =
        CountWhere(db, "SELECT count(*) FROM fits WHERE kind <> 'cost' AND input_hash = ?", mark);
    const long long cost_stale = CountWhere(db, "SELECT count(*) FROM fits WHERE kind = 'cost' AND input_hash = ?", mark);
    BOOST_TEST_INFO("attempt " << attempt);
    BOOST_REQUIRE(still_stale == 0 || still_stale == curve_fits);
    BOOST_REQUIRE(cost_stale == 0 || cost_stale == cost_fits);
    BOOST_REQUIRE(still_stale == 0 || cost_stale == cost_fits);  // the rates are refitted after the curves
    (still_stale == 0 ? all : none) += 1;
  }
  BOOST_TEST_MESSAGE("fit kills: " << kills << " (full fit " << full << " s, " << fits << " fits): " << none
                                   << " left the old fits, " << all << " stored all new fits; integrity ok");
}

}  // namespace
}  // namespace thinkplan::testing
