// The catalogue of malformed inputs: each must be refused with its own message (file, line, field, value and
// reason) and must leave the database file byte-for-byte as it was.
#include <boost/test/unit_test.hpp>

#include <set>

#include "core/errors.h"
#include "store/database.h"
#include "tests/common/test_support.h"
#include "tests/store/store_fixtures.h"

namespace thinkplan::store {
namespace {

using namespace fixtures;

struct BadInput {
  std::string name;      // also the file name
  std::string content;
  std::string message;   // after "<path>:"
  std::size_t max_rows = 50'000'000;
  bool prefix_only = false;  // for messages that quote the JSON library's own wording
};

std::string RunsCsv(const Fields& changed) { return Csv({ValidRun("new"), changed}); }

std::vector<BadInput> Catalogue() {
  const std::string runs_header = CsvHeader(ValidRun());
  const std::string row = CsvRow(ValidRun("new"));
  return {
      {"empty.csv", "", "1: the file is empty (a header row is required)"},
      {"blank_lines.csv", "\n\r\n\n", "1: the file is empty (a header row is required)"},
      {"header_only.csv", runs_header, "1: no records after the header"},
      {"unknown_column.csv", Csv({With(ValidRun("new"), "colour", "red")}),
       "1: field 'colour' = 'colour': unknown column for runs (allowed with allow-extra)"},
      {"duplicate_column.csv", "run_key,n_correct,n_correct\nx,1,1\n",
       "1: field 'n_correct' = 'n_correct': column appears twice"},
      {"empty_column_name.csv", "run_key,,n_correct\nx,1,1\n", "1: field 'column 2' = '': empty column name"},
      {"missing_required_column.csv", Csv({Without(ValidRun("new"), "samples")}),
       "1: field 'samples' = '': required column is missing from the header"},
      {"unknown_kind.csv", "name,value\na,1\n",
       "1: cannot tell the record kind from the field names (runs need run_key and n_correct, problems run_key "
       "and problem_id, perf perf_key, systems system and vendor, hardware hardware and hbm_gib); name the kind "
       "explicitly"},
      {"ragged_short.csv", runs_header + row + "x,measured,o3-mini\n",
       "3: field 'hardware' = '': ragged row: 3 fields where the header has 21"},
      {"ragged_long.csv", runs_header + row.substr(0, row.size() - 1) + ",extra\n",
       "2: field 'column 22' = 'extra': ragged row: 22 fields where the header has 21"},
      {"unterminated_quote.csv", runs_header + row + "\"r9,measured\n",
       "3: field 'run_key' = 'r9,measured\\x0a': unterminated quoted field: the file ends inside the quotes opened "
       "on line 3"},
      {"quote_in_unquoted_field.csv", runs_header + "r\"1" + row.substr(3),
       "2: field 'run_key' = 'r': a quote inside an unquoted field (quote the whole field and double the quotes "
       "inside it)"},
      {"text_after_closing_quote.csv", runs_header + "\"r1\"x" + row.substr(3),
       "2: field 'run_key' = 'r1': unexpected text after a closing quote"},
      {"required_field_empty.csv", RunsCsv(With(ValidRun("x"), "system", "")),
       "3: field 'system' = '': required field is missing or empty"},
      {"samples_not_integer.csv", RunsCsv(With(ValidRun("x"), "samples", "8.0")),
       "3: field 'samples' = '8.0': not an integer"},
      {"samples_zero.csv", RunsCsv(With(ValidRun("x"), "samples", "0")), "3: field 'samples' = '0': must be >= 1"},
      {"integer_overflow.csv", RunsCsv(With(ValidRun("x"), "n_problems", "99999999999999999999")),
       "3: field 'n_problems' = '99999999999999999999': integer out of range"},
      {"nan.csv", RunsCsv(With(ValidRun("x"), "n_correct", "nan")),
       "3: field 'n_correct' = 'nan': not a finite number"},
      {"infinity.csv", RunsCsv(With(ValidRun("x"), "mean_output_tokens", "inf")),
       "3: field 'mean_output_tokens' = 'inf': not a finite number"},
      {"number_overflow.csv", RunsCsv(With(ValidRun("x"), "cost_usd", "1e999")),
       "3: field 'cost_usd' = '1e999': number out of range"},
      {"not_a_number.csv", RunsCsv(With(ValidRun("x"), "n_correct", "twelve")),
       "3: field 'n_correct' = 'twelve': not a number"},
      {"correct_above_problems.csv", RunsCsv(With(ValidRun("x"), "n_correct", "31")),
       "3: field 'n_correct' = '31': must be <= n_problems = 30"},
      {"correct_negative.csv", RunsCsv(With(ValidRun("x"), "n_correct", "-1")),
       "3: field 'n_correct' = '-1': must be >= 0"},
      {"tokens_negative.csv", RunsCsv(With(ValidRun("x"), "mean_input_tokens", "-5")),
       "3: field 'mean_input_tokens' = '-5': must be >= 0"},
      {"cost_negative.csv", RunsCsv(With(ValidRun("x"), "cost_usd", "-0.01")),
       "3: field 'cost_usd' = '-0.01': must be >= 0"},
      {"unknown_source.csv", RunsCsv(With(ValidRun("x"), "source", "guessed")),
       "3: field 'source' = 'guessed': unknown value; expected one of measured|published|simulated"},
      {"unknown_mode.csv", RunsCsv(With(ValidRun("x"), "mode", "deep")),
       "3: field 'mode' = 'deep': unknown value; expected one of fast|extended"},
      {"unknown_aggregation.csv", RunsCsv(With(ValidRun("x"), "aggregation", "maj@8")),
       "3: field 'aggregation' = 'maj@8': unknown aggregation; expected pass@1, cons@k, best@k or pass@k"},
      {"aggregation_k_mismatch.csv", RunsCsv(With(ValidRun("x"), "aggregation", "cons@16")),
       "3: field 'aggregation' = 'cons@16': k = 16 must equal samples = 8"},
      {"pass_at_k_mismatch.csv", RunsCsv(With(ValidRun("x"), "aggregation", "pass@4")),
       "3: field 'aggregation' = 'pass@4': k = 4 must equal samples = 8"},
      {"latency_order.csv", RunsCsv(With(ValidRun("x"), "latency_p50_s", "40")),
       "3: field 'latency_p50_s' = '40': must be <= latency_p95_s = 30.25"},
      {"duplicate_key.csv", Csv({ValidRun("a"), ValidRun("b"), ValidRun("a")}),
       "4: field 'run_key' = 'a': duplicate key run_key 'a' in this file (first on line 2)"},
      {"duplicate_of_stored_row.csv", Csv({ValidRun("stored"), ValidRun("stored")}),
       "3: field 'run_key' = 'stored': duplicate key run_key 'stored' in this file (first on line 2)"},
      {"conflict_with_stored.csv", RunsCsv(With(ValidRun("stored"), "effort", "low")),
       "3: field 'effort' = 'low': run_key 'stored' is already stored with effort = 'high'; a stored row can only "
       "be re-ingested unchanged"},
      {"conflict_optional_now_empty.csv", RunsCsv(With(ValidRun("stored"), "citation", "")),
       "3: field 'citation' = '': run_key 'stored' is already stored with citation = 'https://example.org/a'; a "
       "stored row can only be re-ingested unchanged"},
      {"line_numbers_after_multiline_field.csv",
       "\xEF\xBB\xBF" + runs_header + CsvRow(With(ValidRun("m"), "citation", "one\ntwo\nthree")) + "\r\n" +
           CsvRow(With(ValidRun("n"), "samples", "-2")),
       "6: field 'samples' = '-2': must be >= 1"},
      {"problem_unknown_run.csv", Csv({ValidProblem("no-such-run", "p1")}),
       "2: field 'run_key' = 'no-such-run': no stored run has this run_key (ingest the runs first)"},
      {"problem_correct_above_samples.csv", Csv({With(ValidProblem("stored", "p1"), "correct", "9")}),
       "2: field 'correct' = '9': must be <= samples = 8"},
      {"problem_duplicate_pair.csv",
       Csv({ValidProblem("stored", "p1"), ValidProblem("stored", "p2"), ValidProblem("stored", "p1")}),
       "4: field 'problem_id' = 'p1': duplicate key run_key 'stored', problem_id 'p1' in this file (first on line "
       "2)"},
      {"perf_decode_without_step.csv", Csv({With(ValidPerf("k"), "step_ms", "")}),
       "2: field 'step_ms' = '': required when phase is decode"},
      {"perf_e2e_without_latency.csv", Csv({With(With(ValidPerf("k"), "phase", "e2e"), "output_len", "128")}),
       "2: field 'latency_s' = '': required when phase is e2e"},
      {"perf_unknown_phase.csv", Csv({With(ValidPerf("k"), "phase", "generate")}),
       "2: field 'phase' = 'generate': unknown value; expected one of prefill|decode|e2e"},
      {"perf_layer_scale.csv", Csv({With(ValidPerf("k"), "layer_scale", "1.5")}),
       "2: field 'layer_scale' = '1.5': must be > 0 and <= 1"},
      {"perf_step_zero.csv", Csv({With(ValidPerf("k"), "step_ms", "0")}), "2: field 'step_ms' = '0': must be > 0"},
      {"perf_date.csv", Csv({With(ValidPerf("k"), "measured_at", "14/02/2025")}),
       "2: field 'measured_at' = '14/02/2025': not an ISO 8601 date (YYYY-MM-DD)"},
      {"perf_active_above_total.csv", Csv({With(ValidPerf("k"), "active_params_b", "9")}),
       "2: field 'active_params_b' = '9': must be <= params_b = 8"},
      {"system_unknown_kind.csv", Csv({With(ValidSystem("s"), "kind", "slow")}),
       "2: field 'kind' = 'slow': unknown value; expected one of reasoning|fast"},
      {"system_open_weights.csv", Csv({With(ValidSystem("s"), "open_weights", "maybe")}),
       "2: field 'open_weights' = 'maybe': unknown value; expected yes or no"},
      {"system_price_negative.csv", Csv({With(ValidSystem("s"), "price_in_usd_per_mtok", "-3")}),
       "2: field 'price_in_usd_per_mtok' = '-3': must be >= 0"},
      {"system_conflict.csv", Csv({With(ValidSystem("o3-mini"), "vendor", "Other")}),
       "2: field 'vendor' = 'Other': system 'o3-mini' is already stored with vendor = 'OpenAI'; a stored row can "
       "only be re-ingested unchanged"},
      {"hardware_zero_memory.csv", Csv({With(ValidHardware("B200"), "hbm_gib", "0")}),
       "2: field 'hbm_gib' = '0': must be > 0"},
      {"too_many_rows.csv", Csv({ValidRun("a"), ValidRun("b"), ValidRun("c")}),
       "4: more than 2 records (max_rows); nothing was stored", 2},
      {"not_json.jsonl", "{\"hardware\":\"X\",\"hbm_gib\":80}\n{oops\n",
       "2: field 'record' = '{oops': not valid JSON ([json.exception.parse_error.101]", 50'000'000, true},
      {"json_array.jsonl", "{\"hardware\":\"X\",\"hbm_gib\":80}\n[1,2]\n",
       "2: field 'record' = '[1,2]': expected one JSON object per line"},
      {"json_unknown_key.jsonl", "{\"hardware\":\"X\",\"hbm_gib\":80,\"colour\":\"red\"}\n",
       "1: field 'colour' = '\"red\"': unknown key for hardware (allowed with allow-extra)"},
      {"json_object_value.jsonl", "{\"hardware\":\"X\",\"hbm_gib\":{\"value\":80}}\n",
       "1: field 'hbm_gib' = '{\"value\":80}': expected a string or a number"},
      {"json_bool_for_text.jsonl", "{\"hardware\":\"X\",\"hbm_gib\":80,\"citation\":true}\n",
       "1: field 'citation' = 'true': expected a string or a number"},
      {"json_fraction_for_integer.jsonl",
       "\n{\"run_key\":\"x\",\"source\":\"measured\",\"system\":\"s\",\"task_class\":\"c\",\"mode\":\"fast\","
       "\"samples\":8.5,\"aggregation\":\"pass@1\",\"n_problems\":10,\"n_correct\":1}\n",
       "2: field 'samples' = '8.5': not an integer"},
      {"json_string_not_number.jsonl", "{\"hardware\":\"X\",\"hbm_gib\":\"eighty\"}\n",
       "1: field 'hbm_gib' = 'eighty': not a number"},
      {"json_duplicate_key.jsonl",
       "{\"hardware\":\"X\",\"hbm_gib\":80}\n{\"hardware\":\"Y\",\"hbm_gib\":80}\n{\"hardware\":\"X\","
       "\"hbm_gib\":80}\n",
       "3: field 'hardware' = 'X': duplicate key hardware 'X' in this file (first on line 1)"},
      {"json_conflict.jsonl", "{\"hardware\":\"H100\",\"hbm_gib\":96}\n",
       "1: field 'hbm_gib' = '96': hardware 'H100' is already stored with hbm_gib = '80'; a stored row can only be "
       "re-ingested unchanged"},
  };
}

BOOST_AUTO_TEST_SUITE(bad_input)

BOOST_AUTO_TEST_CASE(catalogue_of_malformed_inputs_leaves_the_database_unchanged) {
  testing::ScratchDir dir("thinkplan-bad-input");
  const auto db_path = dir / "store.db";
  {
    Database db = Database::Open(db_path);
    testing::WriteFile(dir / "seed_runs.csv", Csv({ValidRun("stored")}));
    testing::WriteFile(dir / "seed_problems.csv", Csv({ValidProblem("stored", "p0")}));
    testing::WriteFile(dir / "seed_systems.csv", Csv({ValidSystem("o3-mini")}));
    testing::WriteFile(dir / "seed_hardware.csv", Csv({ValidHardware("H100")}));
    for (const char* seed : {"seed_runs.csv", "seed_problems.csv", "seed_systems.csv", "seed_hardware.csv"}) {
      db.Ingest(dir / seed);
    }
  }
  const std::string before = testing::ReadFile(db_path);
  const auto cases = Catalogue();
  BOOST_TEST(cases.size() >= 30u);

  std::set<std::string> distinct_inputs;
  for (const BadInput& bad : cases) {
    BOOST_TEST_CONTEXT(bad.name) {
      const auto file = dir / bad.name;
      testing::WriteFile(file, bad.content);
      IngestOptions options;
      options.max_rows = bad.max_rows;
      std::string message = "no error";
      {
        Database db = Database::Open(db_path);
        try {
          db.Ingest(file, options);
        } catch (const InputError& error) {
          message = error.what();
        }
      }
      const std::string expected = file.string() + ":" + bad.message;
      if (bad.prefix_only) {
        BOOST_TEST(message.substr(0, expected.size()) == expected);
      } else {
        BOOST_TEST(message == expected);
      }
      distinct_inputs.insert(bad.content);
      BOOST_TEST((testing::ReadFile(db_path) == before), "database changed");
    }
  }
  BOOST_TEST(distinct_inputs.size() == cases.size());

  // The comparison is sensitive: a valid file does change the bytes.
  testing::WriteFile(dir / "valid.csv", Csv({ValidRun("fresh")}));
  {
    Database db = Database::Open(db_path);
    db.Ingest(dir / "valid.csv");
  }
  BOOST_TEST((testing::ReadFile(db_path) != before));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace thinkplan::store
