// Budgets as targets: recovery of a known share-of-budget law from noise-free means (checked against the law
// written out here), interval coverage over 200 simulated replicates, Epoch AI's Claude 3.7 Sonnet runs at a 16K
// thinking budget (mean output tokens per sample from the source file), the vendor semantics of the shipped
// compute knobs, and the degenerate inputs.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <random>

#include "fitting/budget_target_fit.h"
#include "tests/fitting/csv_table.h"

namespace thinkplan::fitting {
namespace {

// The truth of the tests: 90% of a 10k budget used, the share falling by 0.3 in ln per unit of ln budget.
double TrueShare(double budget) { return 0.9 * std::pow(budget / 1e4, -0.3); }

}  // namespace

BOOST_AUTO_TEST_SUITE(budget_target_fit)

BOOST_AUTO_TEST_CASE(recovers_a_share_of_budget_law_from_noise_free_means) {
  std::vector<TokenMeanPoint> points;
  double w = 10;
  for (double b : {2000.0, 4000.0, 8000.0, 16000.0, 32000.0}) points.push_back({b, b * TrueShare(b), w *= 1.7});
  points.push_back({kUncapped, 5000.0, 30.0});  // an uncapped point says nothing about a target
  Summary summary;
  const BudgetTarget fit = FitBudgetTarget(points, Options{}, &summary);
  BOOST_TEST_MESSAGE(summary.FullReport());
  BOOST_REQUIRE(fit.quality.status == FitStatus::kOk);
  BOOST_CHECK_EQUAL(fit.quality.n_points, 5);
  BOOST_CHECK_CLOSE(fit.c1, -0.3, 1e-9);
  for (double b : {1000.0, 12345.0, 64000.0}) {
    BOOST_CHECK_CLOSE(fit.MeanUsed(b), b * TrueShare(b), 1e-9);  // beyond the budgets measured too
    const Interval band = fit.RatioBand(b);
    BOOST_CHECK_SMALL(band.upper - band.lower, 1e-9);  // noise-free: zero residual variance
  }
}

BOOST_AUTO_TEST_CASE(intervals_cover_the_truth_in_200_replicates) {
  // 20 budgets from 1k to 64k, 50 to 400 problems behind each mean; ln of a mean has sd 0.4 / sqrt(problems).
  std::mt19937_64 rng(15);
  std::normal_distribution<double> normal;
  int c1_covered = 0, band_covered = 0;
  const int replicates = 200;
  for (int r = 0; r < replicates; ++r) {
    std::vector<TokenMeanPoint> points;
    for (int i = 0; i < 20; ++i) {
      const double b = 1000.0 * std::pow(64.0, i / 19.0), w = 50.0 + 350.0 * (i % 5) / 4.0;
      points.push_back({b, b * TrueShare(b) * std::exp(0.4 / std::sqrt(w) * normal(rng)), w});
    }
    const BudgetTarget fit = FitBudgetTarget(points, Options{});
    BOOST_REQUIRE(fit.quality.status == FitStatus::kOk);
    const double half = 1.959963984540054 * std::sqrt(fit.covariance[3]);
    c1_covered += std::abs(fit.c1 - (-0.3)) <= half;
    const Interval band = fit.RatioBand(48000.0);
    band_covered += band.lower <= TrueShare(48000.0) && TrueShare(48000.0) <= band.upper;
  }
  BOOST_TEST_MESSAGE("coverage: c1 " << c1_covered / 2.0 << "%, share at 48k " << band_covered / 2.0 << "%");
  // z rather than t with 18 degrees of freedom: the nominal 95% is about 93.5% here.
  BOOST_CHECK_GE(c1_covered, 0.89 * replicates);
  BOOST_CHECK_LE(c1_covered, 0.99 * replicates);
  BOOST_CHECK_GE(band_covered, 0.89 * replicates);
  BOOST_CHECK_LE(band_covered, 0.99 * replicates);
}

BOOST_AUTO_TEST_CASE(claude_3_7_sonnet_lands_below_its_16k_target_on_epoch_runs) {
  // Epoch AI, epoch_tokens_with_accuracy.csv: claude-3-7-sonnet-20250219_16K, mean output tokens per sample on
  // GPQA Diamond, MATH level 5 and OTIS Mock AIME. "16K" is read as 16,000 (the source does not say 16,384).
  const testing::CsvTable table =
      testing::ReadCsv(testing::SharedDataDir() / "public/epoch_effort/epoch_tokens_with_accuracy.csv");
  const int model = table.Column("model_id"), mean = table.Column("mean_output_tokens_per_sample"),
            samples = table.Column("total_samples"), bench = table.Column("benchmark");
  int found = 0;
  for (const auto& row : table.rows) {
    if (row[model] != "claude-3-7-sonnet-20250219_16K") continue;
    ++found;
    const double tokens = std::stod(row[mean]);
    Summary summary;
    const BudgetTarget fit = FitBudgetTarget({{16000.0, tokens, std::stod(row[samples])}}, Options{}, &summary);
    summary.label = row[bench];
    BOOST_TEST_MESSAGE(summary.BriefReport());
    BOOST_CHECK(fit.quality.status == FitStatus::kFallback);  // one budget: the share is assumed constant
    BOOST_CHECK_CLOSE(fit.MeanUsed(16000.0), tokens, 1e-9);
    BOOST_CHECK_CLOSE(fit.MeanUsed(32000.0), 2.0 * tokens, 1e-9);
    BOOST_CHECK_LT(fit.Ratio(16000.0), 1.0);  // 52% (GPQA) to 92% (OTIS) of the target
  }
  BOOST_CHECK_EQUAL(found, 3);
}

BOOST_AUTO_TEST_CASE(vendor_knobs_map_to_their_semantics_and_degenerate_inputs_end_in_a_defined_status) {
  BOOST_CHECK(SemanticsOfKnob("thinking.budget_tokens") == BudgetSemantics::kTarget);
  BOOST_CHECK(SemanticsOfKnob("thinkingConfig.thinkingBudget") == BudgetSemantics::kTarget);
  BOOST_CHECK(SemanticsOfKnob("reasoning_effort") == BudgetSemantics::kEffort);
  BOOST_CHECK(SemanticsOfKnob("budget forcing") == BudgetSemantics::kHardCap);
  const Options options;
  BOOST_CHECK(FitBudgetTarget({}, options).quality.status == FitStatus::kInsufficientData);
  BOOST_CHECK(FitBudgetTarget({{kUncapped, 900.0, 10.0}}, options).quality.status == FitStatus::kInsufficientData);
  const BudgetTarget two = FitBudgetTarget({{1000.0, 1200.0, 5.0}, {4000.0, 3000.0, 5.0}}, options);
  BOOST_CHECK(two.quality.status == FitStatus::kFallback);  // exact: no interval
  BOOST_CHECK(two.covariance.empty());
  BOOST_CHECK_CLOSE(two.MeanUsed(1000.0), 1200.0, 1e-9);  // 120%: an overshoot is representable
  BOOST_CHECK_CLOSE(two.MeanUsed(4000.0), 3000.0, 1e-9);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace thinkplan::fitting
