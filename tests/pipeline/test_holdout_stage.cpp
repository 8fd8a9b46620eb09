// Leave-one-budget-out: each sequential curve refitted without one token value predicts it. Checked on noise-free
// curves (the refit must recover the held-out value exactly), on simulated binomial sweeps (the predictive band
// must cover the truth at its level) and on the shipped data, whose figures docs/curves.md reports.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <random>

#include <fmt/format.h>

#include "core/errors.h"
#include "fitting/sequential_fit.h"
#include "pipeline/holdout_stage.h"
#include "tests/fitting/shipped_runs.h"

using namespace thinkplan;
using namespace thinkplan::fitting;
using namespace thinkplan::pipeline;

namespace {

FitJob JobOf(const std::vector<std::pair<double, double>>& points, long n) {
  FitJob job;
  job.kind = FitKind::kSequential;
  job.key = {"S", "math", ""};
  for (const auto& [tokens, accuracy] : points) {
    Run run;
    run.run_key = "r" + std::to_string(job.runs.size());
    run.system = "S";
    run.task_class = "math";
    run.n_problems = n;
    run.n_correct = accuracy * static_cast<double>(n);
    run.mean_output_tokens = tokens;
    job.runs.push_back(run);
  }
  return job;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(holdout_stage)

BOOST_AUTO_TEST_CASE(noise_free_log_linear_points_are_predicted_exactly) {
  // acc = 0.1 + 0.05 ln b at four budgets: any three of them give back the line, so each held-out value is
  // predicted to the optimiser's tolerance, inside its band, including the two extrapolated ends.
  const auto truth = [](double b) { return 0.1 + 0.05 * std::log(b); };
  std::vector<std::pair<double, double>> points;
  for (double b : {500.0, 1000.0, 2000.0, 4000.0}) points.emplace_back(b, truth(b));
  const LeaveOneBudgetOutSummary summary = LeaveOneBudgetOut({JobOf(points, 400)});
  BOOST_REQUIRE(summary.sweeps.size() == 1u);
  BOOST_TEST(summary.held_out == 4);
  BOOST_TEST(summary.predicted == 4);
  for (const HeldOutPoint& p : summary.sweeps.front().points) {
    BOOST_TEST(p.predicted == truth(p.tokens), boost::test_tools::tolerance(1e-5));
    BOOST_TEST(p.covered);
    BOOST_TEST(p.refit_form == "log-linear");  // 3 distinct values: below the sigmoid's 4
  }
  BOOST_TEST(summary.sweeps.front().points.front().extrapolated);
  BOOST_TEST(summary.median_error_points < 1e-3);
  BOOST_TEST((summary.status == LeaveOneBudgetOutSummary::Status::kMeetsTargets));
}

BOOST_AUTO_TEST_CASE(curves_with_too_few_token_values_are_counted_not_checked) {
  const LeaveOneBudgetOutSummary summary = LeaveOneBudgetOut({JobOf({{1000, 0.3}, {2000, 0.4}}, 30)});
  BOOST_TEST(summary.sweeps.empty());
  BOOST_TEST(summary.skipped_thin == 1);
  BOOST_TEST((summary.status == LeaveOneBudgetOutSummary::Status::kNoSweeps));
  HoldoutOptions bad;
  bad.min_distinct_tokens = 2;
  std::string why;
  BOOST_TEST(!bad.IsValid(&why));
  BOOST_CHECK_THROW(LeaveOneBudgetOut({}, bad), UsageError);
}

BOOST_AUTO_TEST_CASE(predictive_band_covers_simulated_held_out_points_at_its_level) {
  // 150 simulated sweeps from a known log-linear truth, 5 budgets x 100 problems, binomial noise: the 95%
  // predictive band of each held-out point (refit on the other four, the two ends extrapolated) should contain the
  // measured share about 95% of the time. The bounds allow for the binomial error of a 750-point coverage estimate
  // (sd 0.8 points) and for the discreteness of the band, which makes it slightly conservative.
  std::mt19937 rng(20261207);
  long held = 0, covered = 0;
  for (int rep = 0; rep < 150; ++rep) {
    std::vector<std::pair<double, double>> points;
    for (double b : {500.0, 1000.0, 2000.0, 4000.0, 8000.0}) {
      const double p = 0.05 + 0.08 * std::log2(b / 250.0);
      std::binomial_distribution<long> draw(100, p);
      points.emplace_back(b, static_cast<double>(draw(rng)) / 100.0);
    }
    fitting::Options fit;
    fit.min_distinct_x_for_sigmoid = 100;  // the truth is log-linear: check the log-linear refit's band alone
    HoldoutOptions options;
    options.fit = fit;
    const LeaveOneBudgetOutSummary summary = LeaveOneBudgetOut({JobOf(points, 100)}, options);
    held += summary.predicted;
    covered += std::lround(summary.coverage * static_cast<double>(summary.predicted));
  }
  const double coverage = static_cast<double>(covered) / static_cast<double>(held);
  BOOST_TEST_MESSAGE("simulated leave-one-budget-out coverage: " << coverage << " of " << held);
  BOOST_TEST(held == 750);
  BOOST_TEST(coverage >= 0.92);
  BOOST_TEST(coverage <= 0.995);
}

BOOST_AUTO_TEST_CASE(shipped_sweeps_leave_one_budget_out) {
  const FitInputs inputs = testing::ShippedFitInputs();
  BOOST_REQUIRE(!inputs.runs.empty());
  const std::vector<FitJob> jobs = PlanFitJobs(inputs, {std::nullopt, std::nullopt, FitKind::kSequential});
  const LeaveOneBudgetOutSummary summary = LeaveOneBudgetOut(jobs);
  std::cout << summary.FullReport();
  BOOST_TEST(summary.sweeps.size() >= 5u);
  BOOST_TEST(summary.predicted >= 20);
  // Targets of issue 15 (median |error| at most 4 points, predictive band coverage at least 90%), which the shipped
  // sweeps meet (docs/curves.md carries the figures): a data or model change that breaks them fails here.
  BOOST_CHECK_MESSAGE(summary.median_error_points <= summary.target_median_error_points,
                      "median |error| " << summary.median_error_points << " points above the target");
  BOOST_CHECK_MESSAGE(summary.coverage >= summary.target_coverage,
                      "predictive band coverage " << summary.coverage << " below the target");
}

BOOST_AUTO_TEST_SUITE_END()

// The table of docs/curves.md: every usable sequential curve of the shipped data, as `thinkplan fit` fits it on
// the demo database (the same runs, the same jobs). Refresh the doc from this test's output:
//   build/tests/test_pipeline --run_test=curve_table --log_level=nothing
BOOST_AUTO_TEST_SUITE(curve_table)

BOOST_AUTO_TEST_CASE(usable_sequential_curves_of_the_shipped_data) {
  const FitInputs inputs = testing::ShippedFitInputs();
  const std::vector<FitJob> jobs = PlanFitJobs(inputs, {std::nullopt, std::nullopt, FitKind::kSequential});
  std::cout << "| system | class | difficulty | form | axis | points per doubling [95%] | n points | status |\n"
               "|---|---|---|---|---|---|---|---|\n";
  long usable = 0;
  for (const FitJob& job : jobs) {
    const FitOutcome outcome = RunFitJob(job, Options{});
    if (!outcome.quality.usable()) continue;
    ++usable;
    std::string slope = "n/a";
    for (const Estimate& e : outcome.summary.derived) {
      if (e.name.rfind("points_per_doubling", 0) == 0) {
        slope = fmt::format("{:.1f} [{:.1f}, {:.1f}]{}", e.value, e.interval.lower, e.interval.upper,
                            e.name == "points_per_doubling_at_b50" ? " at b50" : "");
      }
    }
    std::cout << fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} |\n", job.key.system, job.key.task_class,
                             job.key.difficulty.empty() ? "all" : job.key.difficulty, outcome.form, outcome.axis, slope,
                             outcome.quality.n_points, ToString(outcome.quality.status));
  }
  BOOST_TEST(usable >= 6);
}

// Section 1's per-family table: for each reasoning-model family the product targets, its usable sequential curves
// and, for every other sequential slice of its systems, why `fit` has none (the skip's category or the fit's status
// and reason). The assertions hold the causes the doc states: no o-series effort level but o3-mini's has token data
// in the shipped sets, and DeepSeek-R1 and QwQ were measured at one setting per benchmark (no knob swept).
BOOST_AUTO_TEST_CASE(every_targeted_family_has_curves_or_a_stated_reason) {
  const FitInputs inputs = testing::ShippedFitInputs();
  std::vector<SkippedSlice> skipped;
  const std::vector<FitJob> jobs = PlanFitJobs(inputs, {std::nullopt, std::nullopt, FitKind::kSequential}, &skipped);
  const std::vector<std::pair<std::string, std::vector<std::string>>> families = {
      {"o1", {"o1", "o1-preview", "o1-mini"}},
      {"o3 / o4-mini", {"o3", "o4-mini", "o3-mini"}},
      {"DeepSeek-R1", {"DeepSeek-R1", "DeepSeek-R1-Zero"}},
      {"Claude 3.7", {"Claude-3.7-Sonnet"}},
      {"Gemini 2.5", {"Gemini-2.5-Pro", "Gemini-2.5-Flash"}},
      {"QwQ", {"QwQ-32B", "QwQ-32B-Preview"}}};
  std::map<std::string, long> usable_by_system;
  for (const auto& [family, systems] : families) {
    std::cout << "\n" << family << "\n";
    for (const std::string& system : systems) {
      for (const FitJob& job : jobs) {
        if (job.key.system != system) continue;
        const FitOutcome outcome = RunFitJob(job, Options{});
        usable_by_system[system] += outcome.quality.usable();
        std::cout << fmt::format("  {}: {} ({}): {}\n", job.key.ToString(), ToString(outcome.quality.status),
                                 outcome.quality.n_points, outcome.quality.reason);
      }
      for (const SkippedSlice& s : skipped) {
        if (s.key.system != system) continue;
        std::cout << fmt::format("  {}: skipped, {}: {}\n", s.key.ToString(), s.category, s.detail);
      }
    }
  }
  // Effort levels with no token data of the same system: no o1, o3 or o4-mini curve.
  for (const char* system : {"o1", "o3", "o4-mini", "DeepSeek-R1", "QwQ-32B", "QwQ-32B-Preview"}) {
    BOOST_TEST(usable_by_system[system] == 0, system << " has a usable curve: update docs/curves.md section 1");
  }
  BOOST_TEST(usable_by_system["o3-mini"] >= 3);
  BOOST_TEST(usable_by_system["Claude-3.7-Sonnet"] >= 3);
  BOOST_TEST(usable_by_system["Gemini-2.5-Pro"] >= 1);
  const auto has_skip = [&](const std::string& system, const std::string& category) {
    return std::any_of(skipped.begin(), skipped.end(),
                       [&](const SkippedSlice& s) { return s.key.system == system && s.category == category; });
  };
  BOOST_TEST(has_skip("o3", "effort levels without tokens"));
  BOOST_TEST(has_skip("o4-mini", "effort levels without tokens"));
  BOOST_TEST(has_skip("o1", "effort levels without tokens"));
}

BOOST_AUTO_TEST_SUITE_END()
