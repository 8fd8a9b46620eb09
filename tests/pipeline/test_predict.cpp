// `predict` on curves built by hand, against values computed here from the closed forms (docs/formulas.md):
// the log-linear and sigmoid curves with the truncated LogNormal mean for tokens, the delta-method band on the
// logit scale, pass@k of a Beta as the product prod_{j<k} (b + j) / (a + b + j), majority vote over three samples
// enumerated by hand, API cost from list prices, and the predictive band as binomial quantiles summed from the pmf.
// The stated prior on rho is checked against its source: the rho fits of the shipped cons@k points.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "core/errors.h"
#include "fitting/fit_jobs.h"
#include "pipeline/predict_stage.h"
#include "tests/fitting/shipped_runs.h"

namespace thinkplan::pipeline {
namespace {

constexpr double kZ = 1.959963984540054;  // the 97.5% normal quantile

double Expit(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double LogitOf(double p) { return std::log(p / (1.0 - p)); }
double Phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// E[min(L, b)], L ~ LogNormal(mu, sigma).
double CappedMean(double mu, double sigma, double b) {
  return std::exp(mu + sigma * sigma / 2) * Phi((std::log(b) - mu - sigma * sigma) / sigma) +
         b * (1 - Phi((std::log(b) - mu) / sigma));
}

// 1 - prod_{j<k} (b + j) / (a + b + j).
double BetaPassAtK(double a, double b, long k) {
  double miss = 1.0;
  for (long j = 0; j < k; ++j) miss *= (b + j) / (a + b + j);
  return 1.0 - miss;
}

// The smallest y / n with P(Y <= y) >= q, Y ~ Binomial(n, p), from the pmf summed term by term.
double BinomialQuantile(long n, double p, double q) {
  double cdf = 0.0;
  for (long y = 0; y <= n; ++y) {
    cdf += std::exp(std::lgamma(n + 1.0) - std::lgamma(y + 1.0) - std::lgamma(n - y + 1.0) + y * std::log(p) +
                    (n - y) * std::log1p(-p));
    if (cdf >= q - 1e-15) return static_cast<double>(y) / n;
  }
  return 1.0;
}

PredictOptions At(double tokens, const char* aggregation = "pass@1") {
  PredictOptions o;
  o.key = {"sys", "math", ""};
  o.thinking_tokens = tokens;
  o.aggregation = *Aggregation::Parse(aggregation);
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(predict)

BOOST_AUTO_TEST_CASE(log_linear_curve_its_logit_band_and_api_cost_match_the_closed_forms) {
  FittedCurves curves;
  curves.sequential = SequentialCurve::LogLinear(-0.5, 0.1);
  curves.sequential->covariance = {0.04, -0.004, -0.004, 0.0005};
  SystemInfo system;
  system.name = "sys";
  system.price_in_usd_per_mtok = 1.1;
  system.price_out_usd_per_mtok = 4.4;
  const Prediction p = Predict(curves, &system, At(8000));
  const double x = std::log(8000.0), acc = -0.5 + 0.1 * x;
  const double sd = std::sqrt(0.04 - 2 * 0.004 * x + 0.0005 * x * x);
  const double half = kZ * sd / (acc * (1 - acc));
  BOOST_CHECK_CLOSE_FRACTION(p.accuracy, acc, 1e-12);
  BOOST_CHECK_SMALL(p.mean_band.lower - Expit(LogitOf(acc) - half), 1e-9);
  BOOST_CHECK_SMALL(p.mean_band.upper - Expit(LogitOf(acc) + half), 1e-9);
  BOOST_CHECK_EQUAL(p.thinking_tokens, 8000.0);
  BOOST_REQUIRE(p.output_tokens_per_query);
  BOOST_CHECK_EQUAL(*p.output_tokens_per_query, 8500.0);
  BOOST_REQUIRE(p.cost_usd_per_query);
  BOOST_CHECK_SMALL(*p.cost_usd_per_query - (1000 * 1.1 + 8500 * 4.4) / 1e6, 1e-12);
}

BOOST_AUTO_TEST_CASE(sigmoid_curve_at_a_budget_reads_the_token_models_capped_mean) {
  FittedCurves curves;
  curves.sequential = SequentialCurve::Sigmoid(0.1, 0.9, 1.5, 3000.0);
  curves.tokens = TokenModel{8.0, 0.7, {}, {}};
  PredictOptions o = At(0);
  o.thinking_tokens.reset();
  o.budget_tokens = 6000.0;
  const Prediction p = Predict(curves, nullptr, o);
  const double used = CappedMean(8.0, 0.7, 6000.0);
  const double acc = 0.1 + 0.8 * Expit(1.5 * (std::log(used) - std::log(3000.0)));
  BOOST_CHECK_SMALL(p.thinking_tokens - used, 1e-9 * used);
  BOOST_CHECK_SMALL(p.accuracy - acc, 1e-9);
  BOOST_CHECK_EQUAL(p.mean_band.lower, p.mean_band.upper);  // no covariance given: a zero-width band
  BOOST_CHECK(!p.cost_usd_per_query);                        // no prices: no cost, and a note says so
  // The same curve fitted on the budget axis is read at the budget itself.
  curves.sequential->axis = TokenAxis::kBudget;
  BOOST_CHECK_SMALL(Predict(curves, nullptr, o).accuracy - (0.1 + 0.8 * Expit(1.5 * std::log(2.0))), 1e-12);
  o.budget_tokens.reset();
  o.thinking_tokens = 5000.0;
  BOOST_CHECK_THROW(Predict(curves, nullptr, o), UsageError);  // a budget-axis curve needs --budget
}

BOOST_AUTO_TEST_CASE(beta_pass_at_k_alone_and_moved_to_the_curves_mean) {
  FittedCurves curves;
  curves.difficulty = BetaDifficulty{0.4, 0.6, {}, {}};
  PredictOptions o = At(0, "pass@16");
  o.thinking_tokens.reset();
  const Prediction alone = Predict(curves, nullptr, o);
  BOOST_CHECK_SMALL(alone.accuracy - BetaPassAtK(0.4, 0.6, 16), 1e-9);
  BOOST_CHECK_SMALL(alone.accuracy - 0.7801, 5e-5);  // docs/formulas.md section 4
  // With a sequential curve the Beta keeps its spread a + b = 1 and takes the curve's mean.
  curves.sequential = SequentialCurve::LogLinear(0.2, 0.0);
  const Prediction moved = Predict(curves, nullptr, At(4000, "pass@16"));
  BOOST_CHECK_SMALL(moved.single_sample - 0.2, 1e-12);
  BOOST_CHECK_SMALL(moved.accuracy - BetaPassAtK(0.2, 0.8, 16), 1e-9);
  // best@k with a perfect verifier is pass@k.
  BOOST_CHECK_SMALL(Predict(curves, nullptr, At(4000, "best@16")).accuracy - BetaPassAtK(0.2, 0.8, 16), 1e-9);
}

BOOST_AUTO_TEST_CASE(majority_vote_of_three_matches_the_enumeration_and_assumes_rho_without_a_fit) {
  FittedCurves curves;
  curves.sequential = SequentialCurve::LogLinear(0.5, 0.0);
  curves.difficulty = BetaDifficulty{1.0, 1.0, {}, {}};
  // Without a fitted rho: the stated prior, its band from the prior's range (cons@3 falls with rho), a fallback.
  const auto vote_of_three = [](double r) { return 0.25 * (1 + 1 + (1 - r * r) / 3.0); };
  const Prediction assumed = Predict(curves, nullptr, At(1000, "cons@3"));
  BOOST_CHECK_SMALL(assumed.accuracy - vote_of_three(kAssumedRho.rho), 1e-9);
  BOOST_CHECK_SMALL(assumed.mean_band.lower - vote_of_three(kAssumedRho.upper), 1e-9);
  BOOST_CHECK_SMALL(assumed.mean_band.upper - vote_of_three(kAssumedRho.lower), 1e-9);
  BOOST_CHECK(assumed.status == FitStatus::kFallback);
  const double rho = 0.3;
  curves.rho = RhoEstimate{rho, {rho, rho}, {}};
  // Beta(1, 1): R right of 3 is uniform on 0..3. R = 2, 3 win; R = 1 ties with the two wrong answers unless they
  // agree (probability rho^2), so it wins 1/3 of the time with probability 1 - rho^2; R = 0 loses.
  const double expected = 0.25 * (1 + 1 + (1 - rho * rho) / 3.0);
  BOOST_CHECK_SMALL(Predict(curves, nullptr, At(1000, "cons@3")).accuracy - expected, 1e-9);
}

BOOST_AUTO_TEST_CASE(predictive_band_is_the_binomial_quantiles_widened_by_the_means_uncertainty) {
  for (const auto& [n, p] : {std::pair{30L, 0.4}, std::pair{30L, 0.93}, std::pair{500L, 0.62}}) {
    const Interval band = PredictiveBand(p, {p, p}, n, 0.95);
    BOOST_CHECK_EQUAL(band.lower, BinomialQuantile(n, p, 0.025));
    BOOST_CHECK_EQUAL(band.upper, BinomialQuantile(n, p, 0.975));
  }
  const Interval exact = PredictiveBand(0.4, {0.4, 0.4}, 200, 0.95);
  const Interval wider = PredictiveBand(0.4, {0.3, 0.5}, 200, 0.95);
  BOOST_CHECK_LT(wider.lower, exact.lower);
  BOOST_CHECK_GT(wider.upper, exact.upper);
  // With many problems the binomial noise vanishes and the band tends to the band of the mean (taken symmetric
  // on the logit scale, as the mean's band is formed).
  const Interval mean_band = {Expit(LogitOf(0.4) - 0.4), Expit(LogitOf(0.4) + 0.4)};
  const Interval large = PredictiveBand(0.4, mean_band, 1'000'000, 0.95);
  BOOST_CHECK_SMALL(large.lower - mean_band.lower, 2e-3);
  BOOST_CHECK_SMALL(large.upper - mean_band.upper, 2e-3);
}

BOOST_AUTO_TEST_CASE(a_target_budget_is_read_through_the_share_of_budget_law_and_may_be_overshot) {
  // ln(m / b) = c0 + c1 (ln b - ln 8000): 130% of the budget at 8k, falling by 2^-0.2 per doubling.
  FittedCurves curves;
  curves.sequential = SequentialCurve::LogLinear(-0.5, 0.1);
  curves.tokens = TokenModel{8.0, 0.7, {}, {}};  // min(L, b) could not exceed the budget; the target law is read
  curves.budget_target = BudgetTarget{std::log(1.3), -0.2, std::log(8000.0), {0.01, 0.0, 0.0, 0.0025}, {}};
  PredictOptions o = At(0);
  o.thinking_tokens.reset();
  o.budget_tokens = 16000.0;
  const Prediction p = Predict(curves, nullptr, o);
  const double used = 16000.0 * 1.3 * std::pow(2.0, -0.2);
  const double half = kZ * std::sqrt(0.01 + 0.0025 * std::pow(std::log(2.0), 2));
  BOOST_CHECK_SMALL(p.thinking_tokens - used, 1e-9 * used);
  BOOST_CHECK_GT(p.thinking_tokens, 16000.0);
  BOOST_CHECK_SMALL(p.thinking_tokens_band.lower - used * std::exp(-half), 1e-9 * used);
  BOOST_CHECK_SMALL(p.thinking_tokens_band.upper - used * std::exp(half), 1e-9 * used);
  BOOST_CHECK_SMALL(p.accuracy - (-0.5 + 0.1 * std::log(used)), 1e-12);
  // Tokens given explicitly still win over any token model.
  o.thinking_tokens = 5000.0;
  BOOST_CHECK_EQUAL(Predict(curves, nullptr, o).thinking_tokens, 5000.0);
}

BOOST_AUTO_TEST_CASE(missing_curves_are_named_instead_of_guessed) {
  FittedCurves curves;
  BOOST_CHECK_THROW(Predict(curves, nullptr, At(1000)), InputError);  // no sequential curve for a token count
  PredictOptions o = At(0);
  o.thinking_tokens.reset();
  BOOST_CHECK_THROW(Predict(curves, nullptr, o), InputError);  // no curve at all
  curves.sequential = SequentialCurve::LogLinear(0.5, 0.0);
  BOOST_CHECK_THROW(Predict(curves, nullptr, o), UsageError);  // a curve to read, but no budget or tokens given
  BOOST_CHECK_THROW(Predict(curves, nullptr, At(1000, "pass@8")), InputError);  // k > 1 needs the Beta
  o = At(1000);
  o.level = 1.5;
  BOOST_CHECK_THROW(Predict(curves, nullptr, o), UsageError);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(rho_prior)

// The prior's median and range are those of rho fitted, as `thinkplan fit` fits it, to every shipped cons@k point
// whose key has a usable Beta (the parallel fit of the same key first, as the fit stage orders them).
BOOST_AUTO_TEST_CASE(matches_the_rho_fits_of_the_shipped_cons_at_k_points) {
  const fitting::FitInputs inputs = testing::ShippedFitInputs();
  const std::vector<fitting::FitJob> jobs = fitting::PlanFitJobs(inputs, {});
  std::set<CurveKey> voted;
  for (const fitting::FitJob& job : jobs) {
    if (job.kind == fitting::FitKind::kRho) voted.insert(job.key);
  }
  std::map<CurveKey, DifficultyDistribution> betas;
  for (const fitting::FitJob& job : jobs) {
    if (job.kind != fitting::FitKind::kParallel || !voted.count(job.key)) continue;
    const fitting::FitOutcome beta = fitting::RunFitJob(job, fitting::Options{});
    betas[job.key] = BetaDifficulty{beta.params[0], beta.params[1], beta.covariance, beta.quality};
  }
  std::vector<double> rhos;
  for (const fitting::FitJob& job : jobs) {
    if (job.kind != fitting::FitKind::kRho) continue;
    const auto beta = betas.find(job.key);
    const fitting::FitOutcome rho = fitting::RunFitJob(job, fitting::Options{},
                                                       beta == betas.end() ? nullptr : &beta->second);
    BOOST_TEST_MESSAGE(job.key.ToString() << ": rho " << rho.params[0] << " (" << ToString(rho.quality.status) << ")");
    if (rho.quality.usable()) rhos.push_back(rho.params[0]);
  }
  BOOST_REQUIRE(rhos.size() >= 5u);
  std::sort(rhos.begin(), rhos.end());
  const double median = rhos.size() % 2 ? rhos[rhos.size() / 2]
                                        : (rhos[rhos.size() / 2 - 1] + rhos[rhos.size() / 2]) / 2;
  BOOST_TEST(std::abs(median - kAssumedRho.rho) < 0.005, "median " << median);
  BOOST_TEST(std::abs(rhos.front() - kAssumedRho.lower) < 0.005, "lowest " << rhos.front());
  BOOST_TEST(std::abs(rhos.back() - kAssumedRho.upper) < 0.005, "highest " << rhos.back());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace thinkplan::pipeline
