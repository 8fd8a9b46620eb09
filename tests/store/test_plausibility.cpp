// Plausibility at the door and problem-set identity at ingest (docs/formats.md "Plausibility" and "Problem sets"):
// values no measurement can have are refused with file, line and field named; two runs over the same problems
// that disagree beyond sampling noise are warned about. References: the two-proportion z statistic written out
// by hand below (pooled variance, Agresti, Categorical Data Analysis, 3rd ed., section 3.1), and the two-sided 1%
// critical value 2.5758 of the standard normal (tables).
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "core/errors.h"
#include "store/database.h"
#include "tests/common/test_support.h"
#include "tests/store/store_fixtures.h"

namespace thinkplan::store {
namespace {

using namespace fixtures;

// A pass@1 run over one sample per problem: the simplest record the count rules apply to.
Fields Pass1Run(const std::string& key) {
  return With(With(ValidRun(key), "aggregation", "pass@1"), "samples", "1");
}

// The message of ingesting `record` alone, or "accepted".
std::string IngestMessage(const Fields& record) {
  testing::ScratchDir dir("thinkplan-plausibility");
  testing::WriteFile(dir / "runs.csv", Csv({record}));
  Database db = Database::Open(dir / "store.db");
  try {
    db.Ingest(dir / "runs.csv");
  } catch (const InputError& error) {
    BOOST_TEST(db.Counts().runs == 0u);  // all or nothing
    return error.what();
  }
  return "accepted";
}

void CheckRefused(const Fields& record, const std::string& field_and_value, const std::string& reason) {
  const std::string message = IngestMessage(record);
  BOOST_TEST_CONTEXT(message) {
    BOOST_TEST(message.find("runs.csv:2: field " + field_and_value) != std::string::npos);
    BOOST_TEST(message.find(reason) != std::string::npos);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(plausibility)

BOOST_AUTO_TEST_CASE(token_counts_above_the_ceiling_are_refused_with_the_field_named) {
  const std::string tokens = "must be <= 1e+08 (tokens per sample: ten times the longest context window shipped";
  CheckRefused(With(ValidRun("r"), "budget_tokens", "1e300"), "'budget_tokens' = '1e300'", tokens);
  CheckRefused(With(ValidRun("r"), "mean_output_tokens", "1e20"), "'mean_output_tokens' = '1e20'", tokens);
  CheckRefused(With(ValidRun("r"), "mean_input_tokens", "2e8"), "'mean_input_tokens' = '2e8'", tokens);
  CheckRefused(With(ValidRun("r"), "latency_p95_s", "1e9"), "'latency_p95_s' = '1e9'", "must be <= 604800 (a week");
  CheckRefused(With(With(ValidRun("r"), "samples", "2000000"), "aggregation", "cons@2000000"),
               "'samples' = '2000000'", "must be <= 1e+06 (samples per problem");
  // At the ceiling itself: accepted (the longest context shipped x 10 is no error).
  BOOST_TEST(IngestMessage(With(ValidRun("r"), "mean_output_tokens", "1e8")) == "accepted");
}

BOOST_AUTO_TEST_CASE(a_measured_count_finer_than_its_samples_is_refused) {
  // One sample per problem: 0.8 of a problem is no count.
  CheckRefused(With(Pass1Run("r"), "n_correct", "0.8"), "'n_correct' = '0.8'",
               "n_correct x samples must be a whole number");
  // Four samples per problem: a multiple of 1/4 is a count (3 of 4 samples right on one problem), 0.3 is not.
  BOOST_TEST(IngestMessage(With(With(Pass1Run("r"), "samples", "4"), "n_correct", "0.75")) == "accepted");
  CheckRefused(With(With(Pass1Run("r"), "samples", "4"), "n_correct", "0.3"), "'n_correct' = '0.3'",
               "over 4 sample(s)");
  // A published percentage keeps its rounding (74.4% of 30 = 22.32); an aggregated estimate may be fractional.
  BOOST_TEST(IngestMessage(With(With(Pass1Run("r"), "source", "published"), "n_correct", "22.32")) == "accepted");
  BOOST_TEST(IngestMessage(With(ValidRun("r"), "n_correct", "21.5")) == "accepted");  // cons@8
}

BOOST_AUTO_TEST_CASE(mode_and_budget_that_contradict_each_other_are_refused) {
  CheckRefused(With(ValidRun("r"), "budget_tokens", "0"), "'budget_tokens' = '0'", "that is mode=fast");
  const Fields fast = With(With(ValidRun("r"), "mode", "fast"), "effort", "");
  CheckRefused(fast, "'budget_tokens' = '8192'", "fast mode has no thinking, so no thinking budget");
  BOOST_TEST(IngestMessage(With(fast, "budget_tokens", "")) == "accepted");
  BOOST_TEST(IngestMessage(With(fast, "budget_tokens", "0")) == "accepted");  // thinking off, said twice
  CheckRefused(With(With(fast, "budget_tokens", ""), "mean_thinking_tokens", "200"), "'mean_thinking_tokens' = '200'",
               "fast mode has no thinking tokens");
}

BOOST_AUTO_TEST_CASE(output_tokens_must_be_thinking_plus_answer) {
  const Fields split = With(With(ValidRun("r"), "mean_thinking_tokens", "4700"), "mean_answer_tokens", "300");
  BOOST_TEST(IngestMessage(split) == "accepted");  // 4700 + 300 = 5000
  CheckRefused(With(split, "mean_output_tokens", "6000"), "'mean_output_tokens' = '6000'",
               "must equal mean_thinking_tokens + mean_answer_tokens = 5000");
  CheckRefused(With(Without(split, "mean_answer_tokens"), "mean_thinking_tokens", "7000"),
               "'mean_thinking_tokens' = '7000'", "must be <= mean_output_tokens = 5000");
}

BOOST_AUTO_TEST_CASE(split_and_problem_set_are_stored_and_read_back) {
  testing::ScratchDir dir("thinkplan-plausibility");
  const Fields run = With(With(With(ValidRun("r"), "problem_set", "AIME-2024"), "mean_thinking_tokens", "4700"),
                          "mean_answer_tokens", "300");
  testing::WriteFile(dir / "runs.csv", Csv({run}));
  Database db = Database::Open(dir / "store.db");
  db.Ingest(dir / "runs.csv");
  const std::vector<Run> runs = db.ListRuns();
  BOOST_REQUIRE_EQUAL(runs.size(), 1u);
  BOOST_TEST(runs[0].problem_set == "AIME-2024");
  BOOST_TEST(*runs[0].mean_thinking_tokens == 4700.0);
  BOOST_TEST(*runs[0].mean_answer_tokens == 300.0);
  BOOST_TEST(*runs[0].mean_output_tokens == 5000.0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(problem_sets)

// Two published-style reports of 30 problems: 25 vs 12 right disagree far beyond sampling noise, 25 vs 24 do not.
BOOST_AUTO_TEST_CASE(ingest_warns_when_two_runs_over_the_same_problems_disagree_beyond_sampling_noise) {
  // By hand: pooled p = 37/60, z = (25/30 - 12/30) / sqrt(p (1 - p) (2/30)) = 3.4519 > 2.5758 (two-sided 1%).
  const double pooled = 37.0 / 60.0;
  const double z = (25.0 / 30.0 - 12.0 / 30.0) / std::sqrt(pooled * (1 - pooled) * (2.0 / 30.0));
  BOOST_TEST(z == 3.4519, boost::test_tools::tolerance(1e-4));
  BOOST_TEST(z > 2.5758);

  testing::ScratchDir dir("thinkplan-problem-sets");
  Database db = Database::Open(dir / "store.db");
  const Fields base = With(With(Pass1Run("a"), "source", "published"), "problem_set", "AIME-2024");
  testing::WriteFile(dir / "a.csv", Csv({With(base, "n_correct", "25")}));
  BOOST_TEST(db.Ingest(dir / "a.csv").warnings.empty());
  // Agreeing: 24 of 30 (z = 0.334).
  testing::WriteFile(dir / "b.csv", Csv({With(With(base, "run_key", "b"), "n_correct", "24")}));
  BOOST_TEST(db.Ingest(dir / "b.csv").warnings.empty());
  // Disagreeing: 12 of 30, against both stored runs.
  testing::WriteFile(dir / "c.csv", Csv({With(With(base, "run_key", "c"), "n_correct", "12")}));
  const IngestSummary summary = db.Ingest(dir / "c.csv");
  BOOST_REQUIRE_EQUAL(summary.warnings.size(), 2u);
  BOOST_TEST(summary.inserted == 1u);  // warned, and stored all the same
  const std::string& warning = summary.warnings.front();
  BOOST_TEST_CONTEXT(warning) {
    BOOST_TEST(warning.find("'a' and 'c'") != std::string::npos);
    BOOST_TEST(warning.find("83.3% vs 40.0% (+43.3 points; z = 3.45") != std::string::npos);
    BOOST_TEST(warning.find("AIME-2024") != std::string::npos);
  }
  // Another setting (a different effort) over the same problems is no repeat: no warning.
  testing::WriteFile(dir / "d.csv", Csv({With(With(With(base, "run_key", "d"), "n_correct", "3"), "effort", "low")}));
  BOOST_TEST(db.Ingest(dir / "d.csv").warnings.empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace thinkplan::store
