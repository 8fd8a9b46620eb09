// Token-use fits: noise-free recovery from means, censored MLE recovery and interval coverage, a real per-problem
// set (RouteLLM GSM8K response lengths) and the degenerate inputs.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include <unistd.h>

#include "core/errors.h"
#include "fitting/token_fit.h"
#include "tests/fitting/csv_table.h"

namespace thinkplan::fitting {
namespace {

// E[min(L, b)] written out independently of the library: Phi by erfc.
double ReferenceMean(double mu, double sigma, double b) {
  const auto phi = [](double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); };
  if (std::isinf(b)) return std::exp(mu + sigma * sigma / 2);
  return std::exp(mu + sigma * sigma / 2) * phi((std::log(b) - mu - sigma * sigma) / sigma) +
         b * (1 - phi((std::log(b) - mu) / sigma));
}

// What the process writes to file descriptor 2 while `f` runs (stderr redirected to a temporary file).
template <typename F>
std::string StderrDuring(F f) {
  std::fflush(stderr);
  std::FILE* file = std::tmpfile();
  const int saved = dup(2);
  dup2(fileno(file), 2);
  f();
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  std::string text;
  std::rewind(file);
  for (int c; (c = std::fgetc(file)) != EOF;) text += static_cast<char>(c);
  std::fclose(file);
  return text;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(token_fit)

BOOST_AUTO_TEST_CASE(recovers_lognormal_from_noise_free_means) {
  std::vector<TokenMeanPoint> points;
  for (double b : {1024.0, 4096.0, 16384.0, kUncapped}) points.push_back({b, ReferenceMean(8.5, 0.9, b), 30.0});
  Summary summary;
  const TokenModel model = FitTokensFromMeans(points, Options{}, &summary);
  BOOST_TEST_MESSAGE(summary.FullReport());
  BOOST_REQUIRE(model.quality.status == FitStatus::kOk);
  BOOST_CHECK_CLOSE(model.mu, 8.5, 1e-5);
  BOOST_CHECK_CLOSE(model.sigma, 0.9, 1e-4);
}

BOOST_AUTO_TEST_CASE(censored_mle_recovers_parameters_with_calibrated_intervals) {
  const double mu = 8.5, sigma = 0.9, budget = 8000.0;  // about 42% of lengths exceed the cap
  std::mt19937_64 rng(99);
  std::lognormal_distribution<double> length(mu, sigma);
  int covered_mu = 0, covered_sigma = 0, ok = 0;
  const double z = 1.959963984540054;
  for (int rep = 0; rep < 200; ++rep) {
    std::vector<TokenCount> counts;
    for (int i = 0; i < 300; ++i) counts.push_back({std::min(length(rng), budget), budget});
    const TokenModel model = FitTokensFromCounts(counts, Options{});
    if (model.quality.status != FitStatus::kOk || model.covariance.size() != 4) continue;
    ++ok;
    covered_mu += std::abs(model.mu - mu) <= z * std::sqrt(model.covariance[0]);
    covered_sigma += std::abs(model.sigma - sigma) <= z * std::sqrt(model.covariance[3]);
  }
  BOOST_CHECK_EQUAL(ok, 200);
  BOOST_TEST_MESSAGE("coverage mu " << covered_mu / 200.0 << " sigma " << covered_sigma / 200.0);
  BOOST_CHECK_GE(covered_mu / 200.0, 0.90);
  BOOST_CHECK_LE(covered_mu / 200.0, 0.99);
  BOOST_CHECK_GE(covered_sigma / 200.0, 0.90);
  BOOST_CHECK_LE(covered_sigma / 200.0, 0.99);
}

BOOST_AUTO_TEST_CASE(routellm_gsm8k_response_lengths) {
  // GPT-4-1106 on GSM8K: response length per question in characters; tokens ~ chars / 4 (an assumption, stated
  // in data/public/routellm/README.md). max_tokens was 1024 and no response reaches it: nothing is censored.
  const testing::CsvTable table =
      testing::ReadCsv(testing::SharedDataDir() / "public/routellm/gsm8k_strong_weak_outcomes.csv");
  const int column = table.Column("gpt4_response_chars");
  std::vector<TokenCount> counts;
  std::vector<double> tokens;
  double log_sum = 0.0, log_sq = 0.0;
  for (const auto& row : table.rows) {
    const double t = std::stod(row[column]) / 4.0;
    counts.push_back({t, 1024.0});
    tokens.push_back(t);
    log_sum += std::log(t);
    log_sq += std::log(t) * std::log(t);
  }
  BOOST_REQUIRE_EQUAL(counts.size(), 1319u);
  Summary summary;
  const TokenModel model = FitTokensFromCounts(counts, Options{}, &summary);
  BOOST_TEST_MESSAGE(summary.FullReport());
  BOOST_REQUIRE(model.quality.status == FitStatus::kOk);
  // Without censoring the MLE is the mean and (1/n) standard deviation of the log lengths.
  const double n = static_cast<double>(counts.size());
  const double log_mean = log_sum / n, log_sd = std::sqrt(log_sq / n - log_mean * log_mean);
  BOOST_CHECK_CLOSE(model.mu, log_mean, 1e-4);
  BOOST_CHECK_CLOSE(model.sigma, log_sd, 1e-3);
  // The fitted quantiles against the empirical ones (a LogNormal is an approximation: 15%).
  std::sort(tokens.begin(), tokens.end());
  BOOST_CHECK_CLOSE(model.Quantile(0.5, 1024.0), tokens[tokens.size() / 2], 15.0);
  BOOST_CHECK_CLOSE(model.Quantile(0.95, 1024.0), tokens[static_cast<size_t>(0.95 * n)], 15.0);
  BOOST_CHECK_CLOSE(model.MeanUsed(1024.0), 418.5 / 4.0, 5.0);  // the README's mean of 418.5 chars
}

BOOST_AUTO_TEST_CASE(o3_mini_matharena_means_fix_sigma_and_say_so) {
  // MathArena AIME 2025 I mean output tokens for o3-mini at low / medium / high effort. Effort is not a token cap,
  // so each level is one uncapped mean: sigma is not identified and the documented default is used.
  for (double mean : {2308.016666666667, 6272.716666666666, 12046.85}) {
    Summary summary;
    const TokenModel model = FitTokensFromMeans({{kUncapped, mean, 15.0}}, Options{}, &summary);
    BOOST_TEST_MESSAGE(summary.BriefReport());
    BOOST_CHECK(model.quality.status == FitStatus::kFallback);
    BOOST_CHECK_NE(model.quality.reason.find("sigma fixed"), std::string::npos);
    BOOST_CHECK_CLOSE(model.sigma, Options{}.fallback_token_sigma, 1e-12);
    BOOST_CHECK_CLOSE(model.MeanUsed(), mean, 1e-6);
    BOOST_CHECK_CLOSE(ReferenceMean(model.mu, model.sigma, kUncapped), mean, 1e-6);
  }
  // Under a cap the same model predicts fewer tokens, and p95 at the cap.
  const TokenModel high = FitTokensFromMeans({{kUncapped, 12046.85, 15.0}}, Options{});
  BOOST_CHECK_LT(high.MeanUsed(8192.0), 8192.0);
  BOOST_CHECK_EQUAL(high.Quantile(0.95, 8192.0), 8192.0);
}

BOOST_AUTO_TEST_CASE(means_that_cannot_separate_mu_from_sigma_are_unidentified_and_print_nothing) {
  // Every budget far above the lengths: the means see only exp(mu + sigma^2 / 2), a ridge in (mu, sigma). Before,
  // Ceres printed "Covariance matrix is near rank deficient" to stderr and the fit was stored ok.
  std::vector<TokenMeanPoint> points;
  for (double b : {1e7, 2e7, 4e7, 8e7}) points.push_back({b, ReferenceMean(7.0, 0.6, b), 30.0});
  Summary summary;
  TokenModel model;
  const std::string printed = StderrDuring([&] { model = FitTokensFromMeans(points, Options{}, &summary); });
  BOOST_TEST_MESSAGE(summary.FullReport());
  BOOST_CHECK_EQUAL(printed, "");
  BOOST_CHECK(model.quality.status == FitStatus::kUnidentified);
  BOOST_CHECK(!model.quality.usable());
  BOOST_CHECK(!model.quality.reason.empty());
  BOOST_CHECK(model.covariance.empty());
  // Whatever Ceres said is kept in the notes, not lost.
  for (const std::string& line : summary.notes) BOOST_TEST_MESSAGE("note: " << line);
}

BOOST_AUTO_TEST_CASE(degenerate_inputs_end_in_a_defined_status) {
  const Options options;
  BOOST_CHECK(FitTokensFromMeans({}, options).quality.status == FitStatus::kInsufficientData);
  BOOST_CHECK(FitTokensFromMeans({{1000.0, 0.0, 1.0}, {kUncapped, 0.0, 1.0}}, options).quality.status ==
              FitStatus::kInsufficientData);  // zero tokens only
  BOOST_CHECK(FitTokensFromMeans({{1000.0, 1000.0, 1.0}}, options).quality.status == FitStatus::kInsufficientData);
  BOOST_CHECK(FitTokensFromCounts({{0.0}, {0.0}}, options).quality.status == FitStatus::kInsufficientData);
  BOOST_CHECK(FitTokensFromCounts({{500.0, 500.0}, {500.0, 500.0}, {100.0, 500.0}}, options).quality.status ==
              FitStatus::kInsufficientData);  // one uncensored count
  BOOST_CHECK_THROW(FitTokensFromMeans({{1000.0, std::nan(""), 1.0}}, options), InputError);
  const TokenModel huge = FitTokensFromMeans({{1e9, 4e8, 1e9}, {kUncapped, 9e8, 1e9}, {2e8, 1.5e8, 1e9}}, options);
  BOOST_CHECK(huge.quality.usable());
  BOOST_CHECK(std::isfinite(huge.mu) && std::isfinite(huge.sigma) && std::isfinite(huge.MeanUsed(1e9)));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace thinkplan::fitting
