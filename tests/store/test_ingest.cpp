// Ingestion end to end: each record kind stored and read back, JSON Lines, kind detection, re-ingest, conflicts,
// catalogue rows created bare and filled later, skip_invalid with its rejects file.
#include <boost/test/unit_test.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include "core/errors.h"
#include "store/database.h"
#include "tests/common/test_support.h"
#include "tests/store/store_fixtures.h"

namespace thinkplan::store {
namespace {

using namespace fixtures;

}  // namespace
std::ostream& operator<<(std::ostream& out, RecordKind kind) { return out << ToString(kind); }
namespace {

using testing::ReadFile;
using testing::ScratchDir;
using testing::WriteFile;

struct StoreFixture {
  ScratchDir dir{"thinkplan-ingest"};
  Database db = Database::Open(dir / "t.db");

  IngestSummary IngestText(const std::string& name, const std::string& text, const IngestOptions& options = {}) {
    WriteFile(dir / name, text);
    return db.Ingest(dir / name, options);
  }
  std::string ErrorOf(const std::string& name, const std::string& text, const IngestOptions& options = {}) {
    try {
      IngestText(name, text, options);
    } catch (const InputError& error) {
      return error.what();
    }
    return "no error";
  }
  std::string Path(const std::string& name) const { return (dir / name).string(); }
};

// The run of fixtures::ValidRun, written out field by field.
Run ExpectedRun(const std::string& key) {
  Run run;
  run.run_key = key;
  run.source = Source::kMeasured;
  run.system = "o3-mini";
  run.hardware = "H100";
  run.task_class = "math-hard";
  run.difficulty = "3";
  run.benchmark = "AIME-2024";
  run.mode = Mode::kExtended;
  run.budget_tokens = 8192;
  run.effort = "high";
  run.samples = 8;
  run.aggregation = Aggregation{AggregationKind::kConsensus, 8};
  run.n_problems = 30;
  run.n_correct = 21.5;
  run.mean_output_tokens = 5000;
  run.mean_input_tokens = 120;
  run.latency_p50_s = 10.5;
  run.latency_p95_s = 30.25;
  run.gpu_seconds = 3600;
  run.cost_usd = 0.75;
  run.citation = "https://example.org/a";
  return run;
}

// Only the required fields.
Fields MinimalRun(const std::string& key) {
  return {{"run_key", key},         {"source", "published"},   {"system", "DeepSeek-R1"},
          {"task_class", "chat"},   {"mode", "fast"},          {"samples", "1"},
          {"aggregation", "pass@1"}, {"n_problems", "10"},     {"n_correct", "7"}};
}

Run ExpectedMinimalRun(const std::string& key) {
  Run run;
  run.run_key = key;
  run.source = Source::kPublished;
  run.system = "DeepSeek-R1";
  run.task_class = "chat";
  run.mode = Mode::kFast;
  run.samples = 1;
  run.aggregation = Aggregation{AggregationKind::kPass1, 1};
  run.n_problems = 10;
  run.n_correct = 7;
  return run;
}

BOOST_AUTO_TEST_SUITE(ingest)

BOOST_FIXTURE_TEST_CASE(runs_round_trip, StoreFixture) {
  const auto summary = IngestText("runs.csv", Csv({ValidRun("r1")}) + "r2,published,DeepSeek-R1,,chat,,,fast,,,1,"
                                                                      "pass@1,10,7,,,,,,,\n");
  BOOST_TEST(summary.rows_read == 2u);
  BOOST_TEST(summary.inserted == 2u);
  BOOST_TEST(summary.unchanged == 0u);
  BOOST_TEST(summary.kind == RecordKind::kRuns);
  const auto runs = db.ListRuns();
  BOOST_REQUIRE_EQUAL(runs.size(), 2u);
  BOOST_TEST((runs[0] == ExpectedRun("r1")));
  BOOST_TEST((runs[1] == ExpectedMinimalRun("r2")));
}

BOOST_FIXTURE_TEST_CASE(only_required_columns_and_any_column_order, StoreFixture) {
  Fields reversed = MinimalRun("r9");
  std::reverse(reversed.begin(), reversed.end());
  IngestText("runs.csv", Csv({reversed}));
  const auto runs = db.ListRuns();
  BOOST_REQUIRE_EQUAL(runs.size(), 1u);
  BOOST_TEST((runs[0] == ExpectedMinimalRun("r9")));
}

BOOST_FIXTURE_TEST_CASE(problems_round_trip, StoreFixture) {
  IngestText("runs.csv", Csv({ValidRun("r1")}));
  const auto summary = IngestText("p.csv", Csv({ValidProblem("r1", "p1"), With(With(ValidProblem("r1", "p2"),
                                                                                      "correct", "2.5"),
                                                                                 "output_tokens", "")}));
  BOOST_TEST(summary.kind == RecordKind::kProblems);
  BOOST_TEST(summary.inserted == 2u);
  const auto problems = db.ListProblemResults("r1");
  BOOST_REQUIRE_EQUAL(problems.size(), 2u);
  BOOST_TEST((problems[0] == ProblemResult{"r1", "p1", 8, 5.0, 4100.0}));
  BOOST_TEST((problems[1] == ProblemResult{"r1", "p2", 8, 2.5, std::nullopt}));
  BOOST_TEST(db.ListProblemResults("other").empty());
}

BOOST_FIXTURE_TEST_CASE(perf_round_trip_with_defaults, StoreFixture) {
  Fields e2e = Without(Without(With(With(With(With(ValidPerf("k2"), "phase", "e2e"), "step_ms", ""), "latency_s",
                                              "4.5"),
                                         "output_len", "512"),
                               "source"),
                       "num_devices");
  IngestText("perf.csv", Csv({ValidPerf("k1")}));
  IngestText("perf2.csv", Csv({e2e}));
  const auto perf = db.ListPerfRuns();
  BOOST_REQUIRE_EQUAL(perf.size(), 2u);
  PerfRun expected;
  expected.perf_key = "k1";
  expected.source = "measured";
  expected.hardware = "H100";
  expected.num_devices = 1;
  expected.framework = "vLLM";
  expected.model = "Llama-3-8B";
  expected.params_b = 8;
  expected.active_params_b = 8;
  expected.layers = 32;
  expected.hidden = 4096;
  expected.heads = 32;
  expected.kv_heads = 8;
  expected.head_dim = 128;
  expected.dtype = "bf16";
  expected.phase = PerfPhase::kDecode;
  expected.batch = 16;
  expected.context_len = 2048;
  expected.output_len = 0;
  expected.step_ms = 12.5;
  expected.tokens_per_s = 1280;
  expected.achieved_gb_per_s = 2100;
  expected.achieved_tflops = 35;
  expected.layer_scale = 1;
  expected.tool_version = "0.1.0";
  expected.measured_at = "2025-02-14";
  expected.citation = "bench";
  BOOST_TEST((perf[0] == expected));
  expected.perf_key = "k2";
  expected.phase = PerfPhase::kEndToEnd;
  expected.step_ms.reset();
  expected.latency_s = 4.5;
  expected.output_len = 512;
  BOOST_TEST((perf[1] == expected));  // source and num_devices took their defaults
  // The perf run's hardware was created as a bare catalogue row.
  BOOST_REQUIRE_EQUAL(db.ListHardware().size(), 1u);
  BOOST_TEST((db.ListHardware()[0] == HardwareInfo{"H100", {}, {}, {}, {}, {}, {}, {}, "", "", ""}));
}

BOOST_FIXTURE_TEST_CASE(catalogues_round_trip, StoreFixture) {
  IngestText("systems.csv", Csv({ValidSystem("o3-mini"), With(With(With(With(ValidSystem("R1"), "vendor",
                                                                                "DeepSeek"),
                                                                           "open_weights", "yes"),
                                                                      "params_total_b", "671"),
                                                                 "params_active_b", "37")}));
  IngestText("hardware.csv", Csv({ValidHardware("H100")}));
  const auto systems = db.ListSystems();
  BOOST_REQUIRE_EQUAL(systems.size(), 2u);
  BOOST_TEST((systems[0] == SystemInfo{"R1", "DeepSeek", "reasoning", 671.0, 37.0, true, "reasoning_effort",
                                       "low|medium|high", 1.1, 4.4, "openai.com", {}, "", ""}));
  BOOST_TEST((systems[1] == SystemInfo{"o3-mini", "OpenAI", "reasoning", std::nullopt, std::nullopt, false,
                                       "reasoning_effort", "low|medium|high", 1.1, 4.4, "openai.com", {}, "", ""}));
  const auto hardware = db.ListHardware();
  BOOST_REQUIRE_EQUAL(hardware.size(), 1u);
  BOOST_TEST((hardware[0] == HardwareInfo{"H100", 80.0, 3.35, 989.0, 1979.0, {}, {}, 4.25, "datasheet", "", ""}));
}

BOOST_FIXTURE_TEST_CASE(json_lines_numbers_as_numbers_or_strings, StoreFixture) {
  const std::string text =
      "{\"run_key\":\"r1\",\"source\":\"measured\",\"system\":\"o3-mini\",\"hardware\":\"H100\","
      "\"task_class\":\"math-hard\",\"difficulty\":3,\"benchmark\":\"AIME-2024\",\"mode\":\"extended\","
      "\"budget_tokens\":8192,\"effort\":\"high\",\"samples\":\"8\",\"aggregation\":\"cons@8\",\"n_problems\":30,"
      "\"n_correct\":21.5,\"mean_output_tokens\":5000.0,\"mean_input_tokens\":\"120\",\"latency_p50_s\":10.5,"
      "\"latency_p95_s\":30.25,\"gpu_seconds\":3.6e3,\"cost_usd\":0.75,\"citation\":\"https://example.org/a\"}\r\n"
      "\n"
      "  \n"
      "{\"run_key\":\"r2\",\"source\":\"published\",\"system\":\"DeepSeek-R1\",\"hardware\":null,"
      "\"task_class\":\"chat\",\"mode\":\"fast\",\"samples\":1,\"aggregation\":\"pass@1\",\"n_problems\":10,"
      "\"n_correct\":7}\n";
  const auto summary = IngestText("runs.jsonl", text);
  BOOST_TEST(summary.inserted == 2u);
  const auto runs = db.ListRuns();
  BOOST_REQUIRE_EQUAL(runs.size(), 2u);
  BOOST_TEST((runs[0] == ExpectedRun("r1")));
  BOOST_TEST((runs[1] == ExpectedMinimalRun("r2")));
  // Re-ingesting the same runs from CSV is a no-op: the same values, whatever the format.
  const auto again = IngestText("runs.csv", Csv({ValidRun("r1")}) + "r2,published,DeepSeek-R1,,chat,,,fast,,,1,"
                                                                    "pass@1,10,7,,,,,,,\n");
  BOOST_TEST(again.unchanged == 2u);
}

BOOST_FIXTURE_TEST_CASE(reingest_is_a_no_op, StoreFixture) {
  const std::string text = Csv({ValidRun("r1"), ValidRun("r2"), ValidRun("r3")});
  IngestText("runs.csv", text);
  const auto before = db.ListRuns();
  const auto summary = IngestText("runs.csv", text);
  BOOST_TEST(summary.rows_read == 3u);
  BOOST_TEST(summary.inserted == 0u);
  BOOST_TEST(summary.unchanged == 3u);
  BOOST_TEST((db.ListRuns() == before));
  // Numbers spelled differently are the same values.
  const auto respelled = IngestText("runs2.csv", Csv({With(With(ValidRun("r1"), "n_correct", "21.50"),
                                                            "budget_tokens", "8.192e3")}));
  BOOST_TEST(respelled.unchanged == 1u);
  // A new key beside old ones: one new, the rest unchanged.
  const auto mixed = IngestText("runs3.csv", Csv({ValidRun("r1"), ValidRun("r4")}));
  BOOST_TEST(mixed.inserted == 1u);
  BOOST_TEST(mixed.unchanged == 1u);
  BOOST_TEST(db.Counts().runs == 4u);
}

BOOST_FIXTURE_TEST_CASE(conflict_names_the_differing_field_and_stores_nothing, StoreFixture) {
  IngestText("runs.csv", Csv({ValidRun("r1")}));
  const std::string message =
      ErrorOf("runs2.csv", Csv({ValidRun("r0"), With(ValidRun("r1"), "n_correct", "22"), ValidRun("r5")}));
  BOOST_TEST(message == Path("runs2.csv") +
                            ":3: field 'n_correct' = '22': run_key 'r1' is already stored with n_correct = '21.5'; "
                            "a stored row can only be re-ingested unchanged");
  BOOST_TEST(db.Counts().runs == 1u);  // r0, before the conflict, was rolled back
  BOOST_TEST((db.ListRuns()[0] == ExpectedRun("r1")));
}

BOOST_FIXTURE_TEST_CASE(kind_detection_and_forcing, StoreFixture) {
  BOOST_TEST(IngestText("a.csv", Csv({ValidHardware()})).kind == RecordKind::kHardware);
  BOOST_TEST(IngestText("b.csv", Csv({ValidSystem()})).kind == RecordKind::kSystems);
  BOOST_TEST(IngestText("c.csv", Csv({ValidRun()})).kind == RecordKind::kRuns);
  BOOST_TEST(IngestText("d.csv", Csv({ValidProblem()})).kind == RecordKind::kProblems);
  BOOST_TEST(IngestText("e.csv", Csv({ValidPerf()})).kind == RecordKind::kPerf);
  BOOST_TEST(IngestText("f.jsonl", "{\"perf_key\":\"k9\",\"hardware\":\"H100\",\"model\":\"m\",\"phase\":"
                                   "\"prefill\",\"batch\":1,\"context_len\":128,\"step_ms\":3}\n")
                 .kind == RecordKind::kPerf);
  // A systems file without a vendor column is not recognised, but can be named.
  const std::string names_only = "system,kind\nnew-model,fast\n";
  BOOST_TEST(ErrorOf("g.csv", names_only).find("cannot tell the record kind") != std::string::npos);
  IngestOptions forced;
  forced.kind = RecordKind::kSystems;
  BOOST_TEST(IngestText("g.csv", names_only, forced).kind == RecordKind::kSystems);
  BOOST_TEST(db.Counts().systems == 2u);

  BOOST_TEST(ToString(RecordKind::kProblems) == "problems");
  for (auto kind : {RecordKind::kRuns, RecordKind::kProblems, RecordKind::kPerf, RecordKind::kSystems,
                    RecordKind::kHardware}) {
    BOOST_TEST((ParseRecordKind(ToString(kind)) == kind));
  }
  BOOST_TEST(!ParseRecordKind("run").has_value());
}

BOOST_FIXTURE_TEST_CASE(runs_create_bare_catalogue_rows_that_catalogues_fill, StoreFixture) {
  IngestText("runs.csv", Csv({ValidRun("r1"), With(With(ValidRun("r2"), "system", "R1"), "hardware", "")}));
  const StoreCounts counts = db.Counts();
  BOOST_TEST(counts.systems == 2u);
  BOOST_TEST(counts.task_classes == 1u);
  BOOST_TEST(counts.hardware == 1u);
  BOOST_TEST((db.ListSystems()[1] == SystemInfo{"o3-mini", "", "", {}, {}, false, "", "", {}, {}, "", {}, "", ""}));

  // The catalogue fills the bare rows (counted as new), adds the others.
  const auto filled = IngestText("systems.csv", Csv({ValidSystem("o3-mini"), ValidSystem("gpt-5")}));
  BOOST_TEST(filled.inserted == 2u);
  BOOST_TEST(db.ListSystems()[2].vendor == "OpenAI");
  BOOST_TEST(db.ListSystems()[2].name == "o3-mini");
  // Ingesting it again is a no-op; a different filled row is a conflict.
  BOOST_TEST(IngestText("systems.csv", Csv({ValidSystem("o3-mini")})).unchanged == 1u);
  BOOST_TEST(ErrorOf("systems2.csv", Csv({With(ValidSystem("o3-mini"), "price_out_usd_per_mtok", "5")})) ==
             Path("systems2.csv") +
                 ":2: field 'price_out_usd_per_mtok' = '5': system 'o3-mini' is already stored with "
                 "price_out_usd_per_mtok = '4.4'; a stored row can only be re-ingested unchanged");
  // A later run naming a filled system leaves it as it is.
  IngestText("runs2.csv", Csv({ValidRun("r3")}));
  BOOST_TEST(db.ListSystems()[2].vendor == "OpenAI");
}

BOOST_FIXTURE_TEST_CASE(list_runs_filters, StoreFixture) {
  IngestText("runs.csv", Csv({ValidRun("a"), With(ValidRun("b"), "system", "R1"),
                              With(With(ValidRun("c"), "task_class", "code"), "difficulty", "hard"),
                              With(ValidRun("d"), "source", "simulated")}));
  auto keys = [&](const RunFilter& filter) {
    std::string out;
    for (const auto& run : db.ListRuns(filter)) out += run.run_key;
    return out;
  };
  BOOST_TEST(keys({}) == "abcd");
  BOOST_TEST(keys({"R1", {}, {}, {}}) == "b");
  BOOST_TEST(keys({{}, "code", {}, {}}) == "c");
  BOOST_TEST(keys({{}, {}, Source::kSimulated, {}}) == "d");
  BOOST_TEST(keys({{}, {}, {}, "3"}) == "abd");
  BOOST_TEST(keys({"o3-mini", "math-hard", Source::kMeasured, "3"}) == "a");
}

BOOST_FIXTURE_TEST_CASE(skip_invalid_writes_the_rejects_file, StoreFixture) {
  IngestText("runs.csv", Csv({ValidRun("r1")}));
  IngestOptions options;
  options.skip_invalid = true;
  const std::string text = Csv({ValidRun("r2"), With(ValidRun("r3"), "samples", "0"),
                                With(With(ValidRun("r1"), "citation", "a, \"quoted\" one"), "n_correct", "1"),
                                ValidRun("r1")}) +
                           "r4,short\n" + CsvRow(ValidRun("r2"));
  const auto summary = IngestText("mixed.csv", text, options);
  BOOST_TEST(summary.rows_read == 6u);
  BOOST_TEST(summary.inserted == 1u);
  BOOST_TEST(summary.unchanged == 1u);
  BOOST_TEST(summary.rejected == 4u);
  BOOST_TEST(summary.rejects_file == dir / "mixed.csv.rejects.csv");
  BOOST_TEST(db.Counts().runs == 2u);

  const std::string header = "line,reason," + CsvHeader(ValidRun()).substr(0, CsvHeader(ValidRun()).size() - 1);
  const std::string expected =
      header + "\n" +
      "3,field 'samples' = '0': must be >= 1," + CsvRow(With(ValidRun("r3"), "samples", "0")) +
      "4,field 'n_correct' = '1': run_key 'r1' is already stored with n_correct = '21.5'; a stored row can only "
      "be re-ingested unchanged," +
      CsvRow(With(With(ValidRun("r1"), "citation", "a, \"quoted\" one"), "n_correct", "1")) +
      "6,field 'system' = '': ragged row: 2 fields where the header has 21,r4,short\n" +
      "7,field 'run_key' = 'r2': duplicate key run_key 'r2' in this file (first on line 2)," +
      CsvRow(ValidRun("r2"));
  BOOST_TEST(ReadFile(dir / "mixed.csv.rejects.csv") == expected);
  BOOST_TEST(summary.BriefReport().rfind(Path("mixed.csv") + ": 6 runs read, 1 new, 1 unchanged, 4 rejected (see " +
                                         Path("mixed.csv.rejects.csv") + ") (", 0) == 0u);

  // An explicit path, and JSON Lines rejects keep the original object or line.
  options.rejects_path = dir / "bad.jsonl";
  const auto json = IngestText("p.jsonl",
                               "{\"run_key\":\"r1\",\"problem_id\":\"x\",\"samples\":2,\"correct\":3}\n"
                               "{\"run_key\":\"r1\",\"problem_id\":\"y\",\"samples\":2,\"correct\":1}\n"
                               "{not json\n",
                               options);
  BOOST_TEST(json.inserted == 1u);
  BOOST_TEST(json.rejected == 2u);
  const std::string written = ReadFile(dir / "bad.jsonl");
  const std::string first_line =
      "{\"line\":1,\"reason\":\"field 'correct' = '3': must be <= samples = 2\",\"record\":{\"correct\":3,"
      "\"problem_id\":\"x\",\"run_key\":\"r1\",\"samples\":2}}\n";
  BOOST_TEST(written.substr(0, first_line.size()) == first_line);
  const std::string second_line = written.substr(first_line.size());
  BOOST_TEST(second_line.rfind("{\"line\":3,\"reason\":\"field 'record' = '{not json': not valid JSON (", 0) == 0u);
  BOOST_TEST(second_line.find("\"record\":\"{not json\"}\n") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(no_rejects_file_when_nothing_is_rejected, StoreFixture) {
  IngestOptions options;
  options.skip_invalid = true;
  const auto summary = IngestText("ok.csv", Csv({ValidRun("r1")}), options);
  BOOST_TEST(summary.rejected == 0u);
  BOOST_TEST(summary.rejects_file.empty());
  BOOST_TEST(!std::filesystem::exists(dir / "ok.csv.rejects.csv"));
}

BOOST_FIXTURE_TEST_CASE(extra_columns_when_allowed, StoreFixture) {
  IngestOptions options;
  options.allow_extra = true;
  const auto summary = IngestText("x.csv", Csv({With(ValidRun("r1"), "note", "ignored")}), options);
  BOOST_TEST(summary.inserted == 1u);
  BOOST_TEST((db.ListRuns()[0] == ExpectedRun("r1")));
  const auto json = IngestText("x.jsonl", "{\"hardware\":\"B200\",\"hbm_gib\":180,\"extra\":[1,2]}\n", options);
  BOOST_TEST(json.inserted == 1u);
}

BOOST_FIXTURE_TEST_CASE(progress_and_brief_report, StoreFixture) {
  std::vector<Fields> rows;
  for (int i = 0; i < 25; ++i) rows.push_back(ValidRun("r" + std::to_string(i)));
  IngestOptions options;
  std::vector<std::size_t> calls;
  options.progress = [&](std::size_t n) { calls.push_back(n); };
  options.progress_every = 10;
  const auto summary = IngestText("runs.csv", Csv(rows), options);
  BOOST_TEST(calls == (std::vector<std::size_t>{10, 20}), boost::test_tools::per_element());
  const std::string report = summary.BriefReport();
  BOOST_TEST(report.rfind(Path("runs.csv") + ": 25 runs read, 25 new, 0 unchanged (", 0) == 0u);

  IngestOptions bad;
  bad.max_rows = 0;
  std::string why;
  BOOST_TEST(!bad.IsValid(&why));
  BOOST_CHECK_THROW(db.Ingest(dir / "runs.csv", bad), UsageError);
}

BOOST_FIXTURE_TEST_CASE(store_is_readable_with_plain_sqlite, StoreFixture) {
  IngestText("runs.csv", Csv({ValidRun("r1")}));
  SQLite::Database raw((dir / "t.db").string(), SQLite::OPEN_READONLY);
  SQLite::Statement query(raw, "SELECT aggregation, n_correct, hardware FROM runs WHERE run_key = ?");
  query.bind(1, "r1");
  BOOST_REQUIRE(query.executeStep());
  BOOST_TEST(query.getColumn(0).getString() == "cons@8");
  BOOST_TEST(query.getColumn(1).getDouble() == 21.5);
  BOOST_TEST(query.getColumn(2).getString() == "H100");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace thinkplan::store
