// Hostile data: names with quotes, semicolons, SQL fragments, control characters, Unicode, markup and very long
// strings are stored and listed verbatim; and the proof that every SQL statement binds its values: with a
// statement trace on the store's connection, no value ever appears in the text of a prepared statement.
#include <boost/test/unit_test.hpp>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "store/database.h"
#include "store/fits.h"
#include "store/plans.h"
#include "tests/common/test_support.h"

namespace thinkplan::testing {
namespace {

// Every value carries the marker, so that a statement built around a value would show it.
const std::string kMarker = "HOSTILE7f3a";

std::vector<std::string> HostileValues() {
  return {
      kMarker + " o'brien \"quoted\" `tick`",
      kMarker + " a;b;c; SELECT 1;",
      kMarker + "'); DROP TABLE runs;--",
      kMarker + "\"); DELETE FROM systems WHERE ('1'='1",
      kMarker + " ?1 ?2 :name @p $x",
      kMarker + " \x01\x02\x1b[31mred\x1b[0m\ttab\x7f",
      kMarker + " line\nbreak\r\nand CRLF",
      kMarker + " 模型 Ünïcödé 😀 \u202Eright-to-left",
      kMarker + " <script>alert('x')</script> & <b>",
      kMarker + " %s%n%x {} {0} \\ \\\\",
      kMarker + std::string(" nul\0byte", 9),
      kMarker + std::string(10'000, 'L'),
  };
}

std::string CsvQuote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

// One run per hostile value, used as system, task class, difficulty and citation.
std::string HostileRunsCsv() {
  std::string csv = "run_key,source,system,task_class,difficulty,mode,samples,aggregation,n_problems,n_correct,"
                    "citation\n";
  const auto values = HostileValues();
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string v = CsvQuote(values[i]);
    csv += CsvQuote(values[i] + " key " + std::to_string(i)) + ",measured," + v + "," + v + "," + v +
           ",extended,1,pass@1,10,5," + v + "\n";
  }
  return csv;
}

BOOST_AUTO_TEST_CASE(hostile_names_are_stored_and_listed_verbatim) {
  ScratchDir dir("thinkplan-hostile");
  const auto db = dir / "store.db";
  WriteFile(dir / "hostile.csv", HostileRunsCsv());
  const CommandResult ingest =
      RunThinkplan("ingest --quiet --db " + ShellQuote(db.string()) + " " + ShellQuote((dir / "hostile.csv").string()));
  BOOST_REQUIRE_MESSAGE(ingest.exit_code == 0, ingest.err);

  const CommandResult listed = RunThinkplan("runs --json --db " + ShellQuote(db.string()));
  BOOST_REQUIRE_MESSAGE(listed.exit_code == 0, listed.err);
  const auto runs = nlohmann::json::parse(listed.out);
  const auto values = HostileValues();
  BOOST_REQUIRE_EQUAL(runs.size(), values.size());
  std::set<std::string> systems, citations;
  for (const auto& run : runs) {
    systems.insert(run["system"].get<std::string>());
    citations.insert(run["citation"].get<std::string>());
    BOOST_TEST(run["system"] == run["task_class"]);
    BOOST_TEST(run["system"] == run["difficulty"]);
  }
  BOOST_TEST((systems == std::set<std::string>(values.begin(), values.end())));
  BOOST_TEST((citations == systems));
  // The tables the SQL fragments name are intact.
  BOOST_TEST(RunThinkplan("runs --db " + ShellQuote(db.string())).exit_code == 0);
  SQLite::Database sql(db.string(), SQLite::OPEN_READONLY);
  BOOST_TEST(sql.tableExists("runs"));
  BOOST_TEST(sql.execAndGet("SELECT count(*) FROM systems").getInt() == static_cast<int>(values.size()));

  // Filtering by a hostile name matches exactly that run.
  const CommandResult filtered =
      RunThinkplan("runs --json --db " + ShellQuote(db.string()) + " --system " + ShellQuote(values[2]));
  BOOST_REQUIRE_MESSAGE(filtered.exit_code == 0, filtered.err);
  const auto one = nlohmann::json::parse(filtered.out);
  BOOST_REQUIRE_EQUAL(one.size(), 1u);
  BOOST_TEST(one[0]["system"].get<std::string>() == values[2]);

  // Fitting over hostile keys stores and reports them.
  const CommandResult fit = RunThinkplan("fit --json --db " + ShellQuote(db.string()));
  BOOST_TEST_MESSAGE("fit over hostile names: exit " << fit.exit_code);
  BOOST_TEST(fit.exit_code == 0, fit.err);
}

// Records the unexpanded text of every statement run on a connection.
int Trace(unsigned type, void* context, void*, void* text) {
  if (type == SQLITE_TRACE_STMT) {
    const char* sql = static_cast<const char*>(text);
    if (sql != nullptr) static_cast<std::vector<std::string>*>(context)->emplace_back(sql);
  }
  return 0;
}

BOOST_AUTO_TEST_CASE(no_statement_text_ever_contains_a_value) {
  ScratchDir dir("thinkplan-bind");
  store::Database db = store::Database::Open(dir / "store.db");
  std::vector<std::string> statements;
  sqlite3_trace_v2(db.connection().getHandle(), SQLITE_TRACE_STMT, &Trace, &statements);

  const auto values = HostileValues();
  WriteFile(dir / "runs.csv", HostileRunsCsv());
  std::string systems = "system,vendor,kind,open_weights,citation\n";
  std::string hardware = "hardware,hbm_gib,citation\n";
  std::string problems = "run_key,problem_id,samples,correct\n";
  std::string perf = "perf_key,hardware,model,phase,batch,context_len,step_ms,measured_at\n";
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string v = CsvQuote(values[i]);
    systems += v + "," + v + ",reasoning,yes," + v + "\n";
    hardware += v + ",80," + v + "\n";
    problems += CsvQuote(values[i] + " key " + std::to_string(i)) + "," + v + ",4,2\n";
    perf += v + "," + v + "," + v + ",decode,1,128,12.5,2025-01-0" + std::to_string(1 + i % 9) + "\n";
  }
  WriteFile(dir / "systems.csv", systems);
  WriteFile(dir / "hardware.csv", hardware);
  WriteFile(dir / "problems.csv", problems);
  WriteFile(dir / "perf.csv", perf);
  for (const char* name : {"systems.csv", "hardware.csv", "runs.csv", "problems.csv", "perf.csv"}) {
    const store::IngestSummary summary = db.Ingest(dir / name);
    BOOST_TEST(summary.inserted == values.size(), name);
    db.Ingest(dir / name);  // re-ingest: the compare-with-stored path
  }
  for (const std::string& value : values) {
    BOOST_TEST(db.ListRuns({value, value, std::nullopt, value}).size() == 1u);
    BOOST_TEST(db.ListProblemResults(value + " key 0").size() <= 1u);
    store::StoredFit fit;
    fit.kind = "tokens";
    fit.key = {value, value, value};
    fit.form = "lognormal";
    fit.params = {7.0, 0.8};
    fit.quality.status = FitStatus::kOk;
    fit.summary_json = nlohmann::json({{"note", value}}).dump();
    fit.input_hash = value;
    store::SaveFit(db, fit);
    BOOST_REQUIRE(store::FindFit(db, "tokens", fit.key).has_value());
    store::StoredPlan plan;
    plan.workload_name = value;
    plan.workload_json = nlohmann::json({{"name", value}}).dump();
    plan.fits_hash = value;
    plan.plan_json = nlohmann::json({{"plan", value}}).dump();
    const long id = store::SavePlan(db, plan);
    BOOST_TEST(store::LoadPlan(db, id).workload_name == value);
    store::StoredSimulation simulation;
    simulation.plan_id = id;
    simulation.result_json = plan.plan_json;
    store::LoadSimulation(db, store::SaveSimulation(db, simulation));
  }
  db.ListPerfRuns();
  db.ListSystems();
  db.ListHardware();
  store::ListFits(db);
  store::ListPlans(db);
  store::LoadCurveSet(db);

  BOOST_REQUIRE_GT(statements.size(), 50u);
  std::set<std::string> distinct(statements.begin(), statements.end());
  for (const std::string& sql : distinct) {
    BOOST_TEST_INFO("statement: " << sql.substr(0, 200));
    BOOST_TEST(sql.find(kMarker) == std::string::npos);
    BOOST_TEST(sql.find("L" + std::string(100, 'L')) == std::string::npos);
  }
  BOOST_TEST_MESSAGE(statements.size() << " statements (" << distinct.size()
                                       << " distinct) traced; none contains a value");
}

// A second, static guard for code paths the trace does not reach: in every source file that talks to SQLite, no
// SQL text is assembled around a quote or with a formatting call.
BOOST_AUTO_TEST_CASE(no_sql_text_is_built_around_values_in_the_source) {
  const std::regex quoted_concat(R"(['"]\s*'\s*"\s*\+|\+\s*"\s*'|'"\s*\+)");
  const std::regex formatted_sql(R"((fmt::format|snprintf|sprintf)\s*\([^;]*\b(SELECT|INSERT|UPDATE|DELETE|WHERE)\b)");
  const std::regex sql_keyword(R"(\b(SELECT|INSERT INTO|UPDATE|DELETE FROM)\b)");
  int files = 0, sql_files = 0;
  for (const char* folder : {"store", "cli", "pipeline", "planner", "fitting", "sim", "reports", "core", "gpu"}) {
    const auto root = SourceDir() / folder;
    if (!std::filesystem::exists(root)) continue;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
      if (entry.path().extension() != ".cpp") continue;
      ++files;
      const std::string text = ReadFile(entry.path());
      if (!std::regex_search(text, sql_keyword)) continue;
      ++sql_files;
      std::istringstream lines(text);
      std::string line;
      int number = 0;
      while (std::getline(lines, line)) {
        ++number;
        if (!std::regex_search(line, sql_keyword)) continue;
        BOOST_TEST_INFO(entry.path().string() << ":" << number << ": " << line);
        BOOST_TEST(!std::regex_search(line, quoted_concat));
        BOOST_TEST(!std::regex_search(line, formatted_sql));
      }
    }
  }
  BOOST_TEST_MESSAGE(files << " source files scanned, " << sql_files << " with SQL text");
  BOOST_TEST(sql_files >= 3);
}

}  // namespace
}  // namespace thinkplan::testing

namespace thinkplan::testing {
namespace {

// Regression: bytes that are not UTF-8 (a Latin-1 file) used to be stored, after which `thinkplan runs --json`
// and `thinkplan fit` failed with an internal JSON error on every call. They are now refused at ingest, naming the
// line and field, and nothing of the file is stored.
BOOST_AUTO_TEST_CASE(text_that_is_not_utf8_is_refused_at_ingest) {
  ScratchDir dir("thinkplan-utf8");
  const auto db = dir / "store.db";
  const std::string header = "run_key,source,system,task_class,mode,samples,aggregation,n_problems,n_correct\n";
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"latin-1", "caf\xe9"}, {"overlong", "\xc0\xaf"}, {"surrogate", "\xed\xa0\x80"},
      {"truncated", "ok\xe2\x82"}, {"above U+10FFFF", "\xf4\x90\x80\x80"}, {"stray continuation", "\x80"}};
  for (const auto& [name, bytes] : bad) {
    WriteFile(dir / "bad.csv", header + "good,measured,fine,c,extended,1,pass@1,10,5\n" +
                                   "k1,measured," + bytes + ",c,extended,1,pass@1,10,5\n");
    const CommandResult result =
        RunThinkplan("ingest --db " + ShellQuote(db.string()) + " " + ShellQuote((dir / "bad.csv").string()));
    BOOST_TEST_INFO(name);
    BOOST_TEST(result.exit_code == 2);
    BOOST_TEST(result.err.find(":3: field 'system'") != std::string::npos, result.err);
    BOOST_TEST(result.err.find("not valid UTF-8") != std::string::npos, result.err);
  }
  // Well-formed multi-byte text, up to U+10FFFF, is stored and listed.
  WriteFile(dir / "good.csv", header + "k1,measured,\xf4\x8f\xbf\xbf \xe2\x82\xac \xc3\xa9,c,extended,1,pass@1,10,5\n");
  BOOST_REQUIRE_EQUAL(
      RunThinkplan("ingest --quiet --db " + ShellQuote(db.string()) + " " + ShellQuote((dir / "good.csv").string()))
          .exit_code,
      0);
  const CommandResult listed = RunThinkplan("runs --json --db " + ShellQuote(db.string()));
  BOOST_REQUIRE_EQUAL(listed.exit_code, 0);
  const auto runs = nlohmann::json::parse(listed.out);
  BOOST_REQUIRE_EQUAL(runs.size(), 1u);
  BOOST_TEST(runs[0]["system"].get<std::string>() == "\xf4\x8f\xbf\xbf \xe2\x82\xac \xc3\xa9");
}

}  // namespace
}  // namespace thinkplan::testing
