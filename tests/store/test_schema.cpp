// The schema: connection settings, migration of a database an older build created, refusal of newer or foreign
// databases.
#include <boost/test/unit_test.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include "core/errors.h"
#include "store/database.h"
#include "store/schema.h"
#include "tests/common/test_support.h"
#include "tests/store/store_fixtures.h"

namespace thinkplan::store {
namespace {

using testing::ScratchDir;

// What a version-1 build wrote, spelled out here independently of schema.cpp (as the old build had it).
constexpr const char* kVersion1Schema = R"sql(
CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL,
                             applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')));
CREATE TABLE systems (name TEXT PRIMARY KEY NOT NULL, vendor TEXT, kind TEXT,
  params_total_b REAL, params_active_b REAL, open_weights INTEGER,
  compute_knob TEXT, knob_values TEXT, price_in_usd_per_mtok REAL, price_out_usd_per_mtok REAL, citation TEXT);
CREATE TABLE hardware (name TEXT PRIMARY KEY NOT NULL, hbm_gib REAL, hbm_tb_per_s REAL, bf16_dense_tflops REAL,
  fp8_dense_tflops REAL, usd_per_hour REAL, citation TEXT);
CREATE TABLE task_classes (name TEXT PRIMARY KEY NOT NULL, description TEXT);
CREATE TABLE runs (run_key TEXT PRIMARY KEY NOT NULL,
  source TEXT NOT NULL,
  system TEXT NOT NULL REFERENCES systems(name), hardware TEXT REFERENCES hardware(name),
  task_class TEXT NOT NULL REFERENCES task_classes(name), difficulty TEXT, benchmark TEXT,
  mode TEXT NOT NULL, budget_tokens REAL, effort TEXT,
  samples INTEGER NOT NULL, aggregation TEXT NOT NULL,
  n_problems INTEGER NOT NULL,
  n_correct REAL NOT NULL, mean_output_tokens REAL,
  mean_input_tokens REAL, latency_p50_s REAL, latency_p95_s REAL, gpu_seconds REAL, cost_usd REAL, citation TEXT);
CREATE TABLE problem_results (run_key TEXT NOT NULL REFERENCES runs(run_key), problem_id TEXT NOT NULL,
  samples INTEGER NOT NULL, correct REAL NOT NULL,
  output_tokens REAL, PRIMARY KEY (run_key, problem_id));
INSERT INTO schema_version(version, description) VALUES (1, 'catalogues, runs and per-problem results');
INSERT INTO systems(name, vendor, kind) VALUES ('o1', 'OpenAI', 'reasoning');
INSERT INTO task_classes(name) VALUES ('math-hard');
INSERT INTO runs(run_key, source, system, task_class, mode, samples, aggregation, n_problems, n_correct, citation)
  VALUES ('old-run', 'published', 'o1', 'math-hard', 'extended', 64, 'cons@64', 30, 25, 'paper');
INSERT INTO problem_results VALUES ('old-run', 'p1', 64, 60, 9000);
)sql";

std::string PragmaText(SQLite::Database& db, const char* pragma) {
  SQLite::Statement query(db, std::string("PRAGMA ") + pragma);
  query.executeStep();
  return query.getColumn(0).getString();
}

BOOST_AUTO_TEST_SUITE(schema)

BOOST_AUTO_TEST_CASE(fresh_database_settings) {
  ScratchDir dir;
  Database db = Database::Open(dir / "new.db");
  BOOST_TEST(db.SchemaVersion() == Database::CurrentSchemaVersion());
  BOOST_TEST(Database::CurrentSchemaVersion() == LatestSchemaVersion());
  BOOST_TEST(PragmaText(db.connection(), "journal_mode") == "wal");
  BOOST_TEST(PragmaText(db.connection(), "foreign_keys") == "1");
  BOOST_TEST(PragmaText(db.connection(), "synchronous") == "1");  // NORMAL
  BOOST_TEST(PragmaText(db.connection(), "busy_timeout") == "10000");
  for (const char* table : {"schema_version", "systems", "hardware", "task_classes", "runs", "problem_results",
                            "perf_runs", "system_apis", "model_shapes", "system_prices"}) {
    BOOST_TEST(db.connection().tableExists(table), table);
  }
  const StoreCounts counts = db.Counts();
  BOOST_TEST(counts.runs + counts.systems + counts.perf_runs == 0u);
  // Opening again applies nothing.
  Database again = Database::Open(dir / "new.db");
  SQLite::Statement steps(again.connection(), "SELECT count(*) FROM schema_version");
  steps.executeStep();
  BOOST_TEST(steps.getColumn(0).getInt() == LatestSchemaVersion());
}

BOOST_AUTO_TEST_CASE(migration_steps_are_ordered_without_gaps) {
  int expected = 1;
  for (const Migration& step : Migrations()) {
    BOOST_TEST(step.version == expected);
    BOOST_TEST(!step.description.empty());
    ++expected;
  }
}

BOOST_AUTO_TEST_CASE(version_1_database_is_migrated_and_keeps_its_rows) {
  ScratchDir dir;
  {
    SQLite::Database old((dir / "old.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    old.exec(kVersion1Schema);
  }
  Database db = Database::Open(dir / "old.db");
  BOOST_TEST(db.SchemaVersion() == LatestSchemaVersion());
  BOOST_TEST(db.connection().tableExists("perf_runs"));
  const auto runs = db.ListRuns();
  BOOST_REQUIRE_EQUAL(runs.size(), 1u);
  BOOST_TEST(runs[0].run_key == "old-run");
  BOOST_TEST(runs[0].n_correct == 25.0);
  BOOST_TEST(runs[0].aggregation.ToString() == "cons@64");
  BOOST_TEST(runs[0].citation == "paper");
  BOOST_REQUIRE_EQUAL(db.ListProblemResults("old-run").size(), 1u);
  BOOST_TEST(db.ListProblemResults("old-run")[0].correct == 60.0);
  BOOST_TEST(db.ListSystems().at(0).vendor == "OpenAI");
  // The migrated store takes new data of every kind, including what version 1 lacked.
  testing::WriteFile(dir / "perf.csv", fixtures::Csv({fixtures::ValidPerf("k1")}));
  BOOST_TEST(db.Ingest(dir / "perf.csv").inserted == 1u);
  testing::WriteFile(dir / "runs.csv", fixtures::Csv({fixtures::ValidRun("new-run")}));
  BOOST_TEST(db.Ingest(dir / "runs.csv").inserted == 1u);
  BOOST_TEST(db.Counts().runs == 2u);
}

BOOST_AUTO_TEST_CASE(newer_database_is_refused) {
  ScratchDir dir;
  { Database db = Database::Open(dir / "future.db"); }
  {
    SQLite::Database raw((dir / "future.db").string(), SQLite::OPEN_READWRITE);
    SQLite::Statement insert(raw, "INSERT INTO schema_version(version, description) VALUES (?, 'from the future')");
    insert.bind(1, LatestSchemaVersion() + 1);
    insert.exec();
  }
  const std::string expected = (dir / "future.db").string() + ": database schema version " +
                               std::to_string(LatestSchemaVersion() + 1) + " is newer than this build understands (" +
                               std::to_string(LatestSchemaVersion()) + "); use a newer thinkplan";
  BOOST_CHECK_EXCEPTION(Database::Open(dir / "future.db"), InputError,
                        [&](const InputError& e) { return std::string(e.what()) == expected; });
}

BOOST_AUTO_TEST_CASE(foreign_files_are_refused) {
  ScratchDir dir;
  {
    SQLite::Database other((dir / "other.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    other.exec("CREATE TABLE notes (text TEXT)");
  }
  BOOST_CHECK_EXCEPTION(Database::Open(dir / "other.db"), InputError, [](const InputError& e) {
    return std::string(e.what()).find("not a thinkplan database") != std::string::npos;
  });
  testing::WriteFile(dir / "text.db", std::string(4096, 'x'));
  BOOST_CHECK_THROW(Database::Open(dir / "text.db"), InputError);
  BOOST_CHECK_THROW(Database::Open(dir / "missing-dir" / "x.db"), InputError);
}

BOOST_AUTO_TEST_CASE(foreign_keys_are_enforced) {
  ScratchDir dir;
  Database db = Database::Open(dir / "fk.db");
  SQLite::Statement insert(db.connection(),
                           "INSERT INTO problem_results(run_key, problem_id, samples, correct) VALUES (?, ?, 1, 1)");
  insert.bind(1, "no-such-run");
  insert.bind(2, "p");
  BOOST_CHECK_THROW(insert.exec(), SQLite::Exception);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace thinkplan::store
