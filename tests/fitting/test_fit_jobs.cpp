// Which fits the data support: grouping runs and per-problem results into jobs, the order that lets rho read its
// Beta, the choice of one setting for per-problem fits, and fingerprints that change exactly when inputs do.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <set>

#include "fitting/fit_jobs.h"

using namespace thinkplan;
using namespace thinkplan::fitting;

namespace {

Run MakeRun(std::string key, std::string system, std::string aggregation, long samples, double accuracy,
            std::optional<double> tokens = std::nullopt, std::string effort = "") {
  Run run;
  run.run_key = std::move(key);
  run.system = std::move(system);
  run.task_class = "math";
  run.benchmark = "B";
  run.samples = samples;
  run.aggregation = *Aggregation::Parse(aggregation);
  run.n_problems = 30;
  run.n_correct = 30 * accuracy;
  run.mean_output_tokens = tokens;
  run.effort = std::move(effort);
  return run;
}

size_t Count(const std::vector<FitJob>& jobs, FitKind kind) {
  return std::count_if(jobs.begin(), jobs.end(), [&](const FitJob& j) { return j.kind == kind; });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fit_jobs)

BOOST_AUTO_TEST_CASE(jobs_follow_what_the_data_hold) {
  FitInputs inputs;
  inputs.runs = {MakeRun("a1", "A", "pass@1", 1, 0.4, 1000.0, "low"), MakeRun("a2", "A", "pass@1", 1, 0.6, 4000.0, "high"),
                 MakeRun("a3", "A", "cons@16", 16, 0.7), MakeRun("b1", "B", "pass@1", 4, 0.5, std::nullopt, "high"),
                 MakeRun("b2", "B", "pass@1", 4, 0.3, std::nullopt, "low")};
  // B has per-problem results at two settings: the one with more problems is used alone.
  for (int i = 0; i < 30; ++i) inputs.problems["b1"].push_back({"b1", "p" + std::to_string(i), 4, double(i % 5), std::nullopt});
  for (int i = 0; i < 10; ++i) inputs.problems["b2"].push_back({"b2", "p" + std::to_string(i), 4, double(i % 3), std::nullopt});
  const std::vector<FitJob> jobs = PlanFitJobs(inputs, {});
  BOOST_TEST(Count(jobs, FitKind::kSequential) == 1u);  // A has token counts; B has none
  BOOST_TEST(Count(jobs, FitKind::kTokens) == 1u);
  BOOST_TEST(Count(jobs, FitKind::kParallel) == 1u);    // only B has repeated samples
  BOOST_TEST(Count(jobs, FitKind::kRho) == 1u);         // A's cons@16 point
  BOOST_TEST(Count(jobs, FitKind::kCoverage) == 1u);
  BOOST_TEST((jobs.front().kind == FitKind::kParallel));  // before any rho job
  const auto parallel = std::find_if(jobs.begin(), jobs.end(), [](const FitJob& j) { return j.kind == FitKind::kParallel; });
  BOOST_TEST(parallel->problems.size() == 30u);
  BOOST_TEST(parallel->setting.find("effort high") != std::string::npos);
  // The rho job carries the cons point first and the pass@1 runs of its benchmark for the Beta's mean.
  const auto rho = std::find_if(jobs.begin(), jobs.end(), [](const FitJob& j) { return j.kind == FitKind::kRho; });
  BOOST_TEST(rho->runs.front().run_key == "a3");
  BOOST_TEST(rho->runs.size() == 3u);
  // Without a Beta for its key, rho is insufficient data with a reason, not a guess.
  const FitOutcome outcome = RunFitJob(*rho, Options{});
  BOOST_TEST((outcome.quality.status == FitStatus::kInsufficientData));
  BOOST_TEST(outcome.quality.reason.find("Beta") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(effort_levels_are_placed_at_the_systems_own_token_counts_and_say_so) {
  FitInputs inputs;
  inputs.runs = {MakeRun("m1", "A", "pass@1", 1, 0.4, 1000.0, "low"), MakeRun("m2", "A", "pass@1", 1, 0.6, 4000.0, "high"),
                 MakeRun("c1", "A", "pass@1", 1, 0.3, std::nullopt, "low"),
                 MakeRun("c2", "A", "pass@1", 1, 0.5, std::nullopt, "high"),
                 MakeRun("d1", "D", "pass@1", 1, 0.5, std::nullopt, "high")};
  inputs.runs[2].task_class = inputs.runs[3].task_class = "code";
  std::vector<SkippedSlice> skipped;
  const std::vector<FitJob> jobs = PlanFitJobs(inputs, {std::nullopt, std::nullopt, FitKind::kSequential}, &skipped);
  const auto code = std::find_if(jobs.begin(), jobs.end(), [](const FitJob& j) { return j.key.task_class == "code"; });
  BOOST_REQUIRE(code != jobs.end());
  BOOST_TEST(code->runs.size() == 2u);
  for (const Run& run : code->runs) BOOST_TEST(*run.ThinkingTokens() == (run.effort == "low" ? 1000.0 : 4000.0));
  BOOST_REQUIRE(code->assumptions.size() == 2u);
  BOOST_TEST(code->assumptions[0].find("another task class") != std::string::npos, code->assumptions[0]);
  const FitOutcome outcome = RunFitJob(*code, Options{});
  BOOST_TEST(outcome.quality.usable());
  BOOST_TEST((outcome.quality.status == FitStatus::kFallback));  // resting on an assumption, never plain ok
  BOOST_TEST(std::count(outcome.summary.notes.begin(), outcome.summary.notes.end(), code->assumptions[1]) == 1);
  // D has no token data at all: its effort run is listed as skipped with that reason.
  BOOST_REQUIRE(skipped.size() == 1u);
  BOOST_TEST(skipped[0].key.system == "D");
  BOOST_TEST(skipped[0].detail.find("no run of the system reports tokens") != std::string::npos, skipped[0].detail);
}

BOOST_AUTO_TEST_CASE(filters_select_kind_class_and_system) {
  FitInputs inputs;
  inputs.runs = {MakeRun("a1", "A", "pass@1", 1, 0.4, 1000.0), MakeRun("a2", "A", "pass@1", 1, 0.6, 4000.0),
                 MakeRun("c1", "C", "pass@1", 1, 0.5, 2000.0)};
  FitJobFilter only_a;
  only_a.system = "A";
  only_a.kind = FitKind::kSequential;
  const auto jobs = PlanFitJobs(inputs, only_a);
  BOOST_REQUIRE(jobs.size() == 1u);
  BOOST_TEST(jobs[0].key.system == "A");
  FitJobFilter other_class;
  other_class.task_class = "code";
  BOOST_TEST(PlanFitJobs(inputs, other_class).empty());
}

BOOST_AUTO_TEST_CASE(training_jobs_need_two_family_members) {
  FitInputs inputs;
  inputs.families = {{"S", "Fam", 1.0, 2.0}, {"M", "Fam", 7.0, 2.0}};
  inputs.runs = {MakeRun("s", "S", "pass@1", 10, 0.2), MakeRun("m", "M", "pass@1", 10, 0.4)};
  for (int i = 0; i < 40; ++i) {
    inputs.problems["s"].push_back({"s", "p" + std::to_string(i), 10, double(i % 4), std::nullopt});
  }
  BOOST_TEST(Count(PlanFitJobs(inputs, {}), FitKind::kTraining) == 0u);  // M has no per-problem results yet
  for (int i = 0; i < 40; ++i) {
    inputs.problems["m"].push_back({"m", "p" + std::to_string(i), 10, double(i % 7), std::nullopt});
  }
  const auto jobs = PlanFitJobs(inputs, {});
  const auto training = std::find_if(jobs.begin(), jobs.end(), [](const FitJob& j) { return j.kind == FitKind::kTraining; });
  BOOST_REQUIRE(training != jobs.end());
  BOOST_TEST(training->key.system == "Fam");
  // k = 1, 2, 5 and 10 for each member; the training compute is 6 N D.
  BOOST_TEST(training->training_points.size() == 8u);
  std::set<double> flops;
  for (const auto& point : training->training_points) flops.insert(point.train_flops);
  BOOST_REQUIRE(flops.size() == 2u);
  BOOST_TEST(*flops.begin() == 6.0 * 1e9 * 2e12, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(*flops.rbegin() == 6.0 * 7e9 * 2e12, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(fingerprints_change_exactly_when_inputs_do) {
  FitInputs inputs;
  inputs.runs = {MakeRun("a1", "A", "pass@1", 1, 0.4, 1000.0), MakeRun("a2", "A", "pass@1", 1, 0.6, 4000.0)};
  const Options options;
  const std::string base = PlanFitJobs(inputs, {}).front().Fingerprint(options);
  std::reverse(inputs.runs.begin(), inputs.runs.end());  // row order does not matter
  BOOST_TEST(PlanFitJobs(inputs, {}).front().Fingerprint(options) == base);
  inputs.runs[0].n_correct += 1;  // content does
  BOOST_TEST(PlanFitJobs(inputs, {}).front().Fingerprint(options) != base);
  Options wider;
  wider.confidence_level = 0.9;  // and so do the options that shape the result
  inputs.runs[0].n_correct -= 1;
  BOOST_TEST(PlanFitJobs(inputs, {}).front().Fingerprint(wider) != base);
}

BOOST_AUTO_TEST_SUITE_END()
