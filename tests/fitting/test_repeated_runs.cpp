// Reports of the same problems are one set of problems in the fits' binomial likelihood, and fast-mode runs are no
// point on a thinking curve (docs/formats.md "Problem sets"). References: the sample-weighted means and counts
// worked by hand in the comments.
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "fitting/fit_jobs.h"
#include "fitting/sequential_fit.h"

using namespace thinkplan;
using namespace thinkplan::fitting;

namespace {

Run Report(std::string key, std::string effort, long samples, double correct, double tokens, Mode mode = Mode::kExtended) {
  Run run;
  run.run_key = std::move(key);
  run.system = "s";
  run.task_class = "math";
  run.benchmark = "AIME-2024";
  run.problem_set = "AIME-2024";
  run.mode = mode;
  run.effort = std::move(effort);
  run.samples = samples;
  run.n_problems = 30;
  run.n_correct = correct;
  run.mean_output_tokens = tokens;
  return run;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(repeated_runs)

BOOST_AUTO_TEST_CASE(reports_of_one_problem_set_combine_weighted_by_their_samples) {
  // 64 samples at 24/30 and one sample at 21/30 of the same 30 problems: (64 x 0.8 + 1 x 0.7) / 65 = 0.798462,
  // still 30 problems; tokens (64 x 5000 + 1 x 6000) / 65 = 5015.38.
  const std::vector<CombinedRun> combined =
      CombineRepeatedRuns({Report("one", "high", 1, 21, 6000), Report("many", "high", 64, 24, 5000)});
  BOOST_REQUIRE_EQUAL(combined.size(), 1u);
  const Run& run = combined[0].run;
  BOOST_TEST(run.run_key == "many");  // the most detailed report
  BOOST_TEST((combined[0].keys == std::vector<std::string>{"many", "one"}));
  BOOST_TEST(run.n_problems == 30);
  BOOST_TEST(run.accuracy() == (64 * 0.8 + 0.7) / 65, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(*run.mean_output_tokens == (64 * 5000.0 + 6000.0) / 65, boost::test_tools::tolerance(1e-12));
  // Without a named set each run is its own problems.
  Run a = Report("a", "high", 1, 21, 6000), b = Report("b", "high", 1, 24, 5000);
  a.problem_set.clear();
  b.problem_set.clear();
  BOOST_TEST(CombineRepeatedRuns({a, b}).size() == 2u);
}

BOOST_AUTO_TEST_CASE(the_sequential_fit_counts_distinct_problems_and_leaves_fast_runs_out) {
  // o3-mini high's two launch-post reports of AIME-2024 (25.08 and 26.19 of 30), one low-effort report, and a fast
  // run with measured output: two points of 30 problems each, the first at 25.635 correct.
  FitInputs inputs;
  inputs.runs = {Report("high-a", "high", 1, 25.08, 6000), Report("high-b", "high", 1, 26.19, 6000),
                 Report("low", "low", 1, 18, 2000), Report("fast", "", 1, 3, 300, Mode::kFast)};
  const std::vector<FitJob> jobs = PlanFitJobs(inputs, {std::nullopt, std::nullopt, FitKind::kSequential});
  BOOST_REQUIRE_EQUAL(jobs.size(), 1u);
  const SequentialData data = SequentialPointsFromRuns(jobs[0].runs);
  BOOST_REQUIRE_EQUAL(data.points.size(), 2u);
  double problems = 0, high_correct = 0;
  for (const SequentialPoint& p : data.points) {
    problems += p.n;
    if (p.tokens == 6000) high_correct = p.correct;
  }
  BOOST_TEST(problems == 60.0);  // not 90: the two high reports are one set of 30
  BOOST_TEST(high_correct == 25.635, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(std::none_of(jobs[0].runs.begin(), jobs[0].runs.end(), [](const Run& r) { return r.mode == Mode::kFast; }));
}

BOOST_AUTO_TEST_SUITE_END()
