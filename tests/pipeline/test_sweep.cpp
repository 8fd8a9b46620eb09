// `thinkplan sweep` (pipeline/sweep_stage.h, pipeline/posterior_draw.h). References: sample moments of multivariate
// normal draws against the covariance they were drawn from (standard errors of a sample mean, sqrt(s_ii / n), and
// of a sample covariance, sqrt((s_ii s_jj + s_ij^2) / n)); the Jeffreys posterior Beta(c + 1/2, n - c + 1/2) and
// its mean and variance; the delta method by hand for the log scale; and a closed form for the probability that a
// one-option API plan stays within budget: monthly spend 30 V (f + p exp(mu + sigma^2 / 2)) with mu ~ N(mu_hat,
// s^2) is within B exactly when mu <= mu*, so P = Phi((mu* - mu_hat) / s), widened by the Poisson-compound noise of
// one simulated day (variance E[(f + pL)^2] / (V (f + pm)^2) on the log of the spend).
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/special_functions.h"
#include "pipeline/plan_stage.h"
#include "pipeline/posterior_draw.h"
#include "pipeline/sweep_stage.h"
#include "planner/options.h"
#include "planner/workload.h"
#include "store/database.h"
#include "store/sweeps.h"
#include "tests/common/test_support.h"

namespace thinkplan {
namespace {

using pipeline::DrawOutcome;

struct Moments {
  std::vector<double> mean, covariance;
};

Moments SampleMoments(const std::vector<std::vector<double>>& xs) {
  const std::size_t n = xs.front().size(), m = xs.size();
  Moments out{std::vector<double>(n, 0.0), std::vector<double>(n * n, 0.0)};
  for (const auto& x : xs)
    for (std::size_t i = 0; i < n; ++i) out.mean[i] += x[i] / static_cast<double>(m);
  for (const auto& x : xs)
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j)
        out.covariance[i * n + j] += (x[i] - out.mean[i]) * (x[j] - out.mean[j]) / static_cast<double>(m - 1);
  return out;
}

// Sample mean and covariance of `xs` within `k` standard errors of `mean` and `covariance`.
void CheckMoments(const std::vector<std::vector<double>>& xs, const std::vector<double>& mean,
                  const std::vector<double>& covariance, double k = 4.5) {
  const std::size_t n = mean.size();
  const double m = static_cast<double>(xs.size());
  const Moments s = SampleMoments(xs);
  for (std::size_t i = 0; i < n; ++i) {
    BOOST_TEST(std::abs(s.mean[i] - mean[i]) <= k * std::sqrt(covariance[i * n + i] / m), "mean " << i);
    for (std::size_t j = 0; j < n; ++j) {
      const double se = std::sqrt((covariance[i * n + i] * covariance[j * n + j] + covariance[i * n + j] * covariance[i * n + j]) / m);
      BOOST_TEST(std::abs(s.covariance[i * n + j] - covariance[i * n + j]) <= k * se, "covariance " << i << "," << j);
    }
  }
}

// One class of daily volume `volume`, served by one API system with a thinking budget fixed far above what it
// uses, planned at least cost for a target its only single-sample option meets.
constexpr double kPriceIn = 1.0, kPriceOut = 10.0, kPromptTokens = 100, kMu = 7.6, kSigma = 0.3, kMuSd = 0.1;

planner::Workload OneOptionWorkload(double volume, bool proxy = false) {
  const nlohmann::json j = {
      {"name", "one-option"},
      {"objective", "min_cost"},
      {"target_accuracy", 0.5},
      {"days_per_month", 30},
      {"systems",
       {{{"name", "api-x"}, {"kind", "api"}, {"price_in_usd_per_mtok", kPriceIn}, {"price_out_usd_per_mtok", kPriceOut},
         {"output_tokens_per_s", 1000}, {"ttft_s", 0.5}, {"min_thinking_tokens", 1048576},
         {"max_thinking_tokens", 1048576}}}},
      {"classes",
       {{{"name", "c"}, {"daily_volume", volume}, {"peak_factor", 1.0}, {"value_usd", 1.0}, {"slo_p95_s", 0},
         {"verifier", {{"kind", "none"}}}, {"prompt_tokens", kPromptTokens}, {"answer_tokens", 0},
         {"buckets", {{{"task_class", "tc"}, {"proxy", proxy}}}}}}}};
  return planner::ParseWorkload(j, "one-option.json");
}

CurveSet OneOptionCurves() {
  CurveSet curves;
  FittedCurves& f = curves.At({"api-x", "tc", ""});
  f.sequential = SequentialCurve::LogLinear(0.6, 0.0);  // no covariance: accuracy is not drawn
  f.sequential->quality.status = FitStatus::kOk;
  TokenModel tokens;
  tokens.mu = kMu;
  tokens.sigma = kSigma;
  tokens.covariance = {kMuSd * kMuSd, 0.0, 0.0, 0.0};  // mu uncertain, sigma known
  tokens.quality.status = FitStatus::kOk;
  f.tokens = tokens;
  return curves;
}

// The sweep of the one-option plan with the budget set to `budget`, prepared without a database.
pipeline::PreparedSweep OneOptionSweep(double volume, double budget, long draws, bool proxy = false,
                                       std::optional<double> proxy_sigma_logit = std::nullopt) {
  pipeline::PreparedSweep sweep;
  sweep.options.proxy_sigma_logit = proxy_sigma_logit;
  sweep.options.draws = draws;
  sweep.options.days = 1;
  sweep.options.seed = 11;
  sweep.inputs = std::make_unique<pipeline::LoadedInputs>();
  sweep.inputs->curves = OneOptionCurves();
  sweep.inputs->inputs.workload = OneOptionWorkload(volume, proxy);
  sweep.inputs->inputs.curves = &sweep.inputs->curves;
  sweep.inputs->inputs.catalogues = planner::Catalogues::Load(testing::DataDir());
  planner::PlanOptions options;
  options.analyse_routing = options.analyse_training = false;
  options.volume_sweep.clear();
  pipeline::SweepScenario s;
  s.label = "as planned";
  s.workload = sweep.inputs->inputs.workload;
  s.workload_json = planner::ToJson(s.workload).dump();
  s.plan = planner::MakePlan(sweep.inputs->inputs, options);
  s.feasible = s.plan.feasible;
  s.reason = s.plan.reason;
  s.budget_usd_per_month = budget;
  s.class_names = {"c"};
  s.slo_p95_s = {0};
  sweep.scenarios.push_back(std::move(s));
  return sweep;
}

bool SameOutcomes(const std::vector<DrawOutcome>& a, const std::vector<DrawOutcome>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].scenario != b[i].scenario || a[i].draw != b[i].draw || a[i].accuracy != b[i].accuracy ||
        a[i].usd_per_month != b[i].usd_per_month || a[i].class_p95_s != b[i].class_p95_s ||
        a[i].class_slo_miss_fraction != b[i].class_slo_miss_fraction) {
      return false;
    }
  }
  return true;
}

// A small database: the published runs and catalogues and a plan of the default workload's chat class alone.
long StoreChatPlan(store::Database& db) {
  for (const char* file : {"published/systems.csv", "published/hardware.csv", "published/runs.csv"}) {
    db.Ingest(testing::DataDir() / file);
  }
  planner::Workload w = planner::LoadWorkload(testing::DataDir() / "workloads" / "default.json");
  std::erase_if(w.classes, [](const planner::TaskClassSpec& c) { return c.name != "chat"; });
  w.budget_usd_per_month = 150000;  // the cheapest chat plan costs $68.4k: 0.5x stays feasible
  const pipeline::PlanStageResult planned = pipeline::PlanStage(db, w);
  BOOST_REQUIRE_MESSAGE(planned.plan_id, planned.plan.reason);
  return *planned.plan_id;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sweep)

BOOST_AUTO_TEST_CASE(grid_values_cross_with_the_first_key_slowest) {
  const auto points = pipeline::GridPoints({"budget=0.5x,1x", "slo.c=10,20,30"});
  BOOST_REQUIRE_EQUAL(points.size(), 6u);
  BOOST_TEST(points[0] == (std::vector<std::string>{"budget=0.5x", "slo.c=10"}));
  BOOST_TEST(points[2] == (std::vector<std::string>{"budget=0.5x", "slo.c=30"}));
  BOOST_TEST(points[5] == (std::vector<std::string>{"budget=1x", "slo.c=30"}));
  BOOST_TEST(pipeline::GridPoints({}).size() == 1u);
  BOOST_CHECK_THROW(pipeline::GridValues("budget=1x,,2x"), UsageError);
  BOOST_CHECK_THROW(pipeline::GridValues("budget"), UsageError);
}

BOOST_AUTO_TEST_CASE(multivariate_normal_draws_have_the_stored_mean_and_covariance) {
  const std::vector<double> mean = {1.0, -2.0, 0.5};
  const std::vector<double> cov = {0.04, 0.01, -0.006, 0.01, 0.09, 0.0, -0.006, 0.0, 0.01};
  std::vector<std::vector<double>> xs;
  for (uint64_t d = 0; d < 20000; ++d) {
    std::vector<double> x;
    BOOST_REQUIRE(pipeline::MultivariateNormal(mean, cov, pipeline::StandardNormals(5, d, 0, 3), &x));
    xs.push_back(x);
  }
  CheckMoments(xs, mean, cov);
  std::vector<double> x;
  BOOST_TEST(!pipeline::MultivariateNormal(mean, {1, 2, 0, 2, 1, 0, 0, 0, 1}, {0, 0, 0}, &x));  // indefinite
}

BOOST_AUTO_TEST_CASE(a_covariance_with_a_zero_direction_is_drawn_on_its_support) {
  std::vector<double> x;
  for (uint64_t d = 0; d < 50; ++d) {
    BOOST_REQUIRE(pipeline::MultivariateNormal({1.0, 2.0}, {0.25, 0.25, 0.25, 0.25}, pipeline::StandardNormals(1, d, 0, 2), &x));
    BOOST_TEST(x[1] - 2.0 == x[0] - 1.0, boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_CASE(curve_draws_have_the_stored_moments_on_the_scale_each_fit_solves_in) {
  CurveSet fitted;
  FittedCurves& f = fitted.At({"s", "c", ""});
  f.sequential = SequentialCurve::LogLinear(0.2, 0.05);
  f.sequential->covariance = {0.0004, -0.00003, -0.00003, 0.000004};
  BetaDifficulty beta;
  beta.a = 2.0;
  beta.b = 3.0;
  beta.covariance = {0.04, 0.02, 0.02, 0.09};
  f.difficulty = beta;
  TokenModel tokens;
  tokens.mu = 8.0;
  tokens.sigma = 0.5;
  tokens.covariance = {0.01, 0.001, 0.001, 0.0025};
  f.tokens = tokens;
  std::vector<std::vector<double>> sequential, log_beta, token_scale;
  for (uint64_t d = 0; d < 20000; ++d) {
    pipeline::CurveDrawCounts counts;
    const CurveSet drawn = pipeline::DrawCurveSet(fitted, 3, d, &counts);
    BOOST_REQUIRE_EQUAL(counts.drawn, 3);
    const FittedCurves& g = drawn.all().begin()->second;
    sequential.push_back(g.sequential->params);
    log_beta.push_back({std::log(g.difficulty->a), std::log(g.difficulty->b)});
    token_scale.push_back({g.tokens->mu, std::log(g.tokens->sigma)});
  }
  CheckMoments(sequential, {0.2, 0.05}, f.sequential->covariance);
  // Delta method by hand: cov(ln a, ln b) = C_ab / (a b); cov(mu, ln sigma) = C / sigma.
  CheckMoments(log_beta, {std::log(2.0), std::log(3.0)}, {0.04 / 4, 0.02 / 6, 0.02 / 6, 0.09 / 9});
  CheckMoments(token_scale, {8.0, std::log(0.5)}, {0.01, 0.001 / 0.5, 0.001 / 0.5, 0.0025 / 0.25});
}

BOOST_AUTO_TEST_CASE(sigmoid_draws_stay_inside_the_fit_bounds_and_centre_on_the_estimate) {
  SequentialCurve curve = SequentialCurve::Sigmoid(0.1, 0.8, 1.5, 4000);
  curve.covariance = {0.0004, 0, 0, 0, 0, 0.0009, 0, 0, 0, 0, 0.01, 0, 0, 0, 0, 0.04};
  const pipeline::DrawScale scale = pipeline::SequentialDrawScale(curve);
  // Internal: lo, (hi - lo) / (1 - lo), ln k, ln b50; its covariance by the delta method, by hand.
  BOOST_TEST(scale.internal[1] == 0.7 / 0.9, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(scale.covariance[0] == 0.0004, boost::test_tools::tolerance(1e-12));
  const double dg_dlo = (0.8 - 1) / (0.9 * 0.9), dg_dhi = 1 / 0.9;
  BOOST_TEST(scale.covariance[5] == dg_dlo * dg_dlo * 0.0004 + dg_dhi * dg_dhi * 0.0009, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(scale.covariance[10] == 0.01 / (1.5 * 1.5), boost::test_tools::tolerance(1e-12));
  CurveSet fitted;
  fitted.At({"s", "c", ""}).sequential = curve;
  for (uint64_t d = 0; d < 500; ++d) {
    const CurveSet drawn = pipeline::DrawCurveSet(fitted, 9, d);
    const SequentialCurve& g = *drawn.all().begin()->second.sequential;
    BOOST_TEST((g.params[0] >= 0 && g.params[0] <= g.params[1] && g.params[1] <= 1 && g.params[2] > 0));
  }
}

BOOST_AUTO_TEST_CASE(run_draws_follow_the_jeffreys_posterior) {
  Run run;
  run.n_problems = 30;
  run.n_correct = 12;
  const double a = 12.5, b = 18.5;
  double sum = 0, sum2 = 0;
  const int n = 20000;
  for (int d = 0; d < n; ++d) {
    const double p = pipeline::DrawRuns({run}, 4, static_cast<uint64_t>(d))[0].n_correct / 30;
    sum += p;
    sum2 += p * p;
  }
  const double mean = a / (a + b), var = a * b / ((a + b) * (a + b) * (a + b + 1));
  BOOST_TEST(std::abs(sum / n - mean) <= 4.5 * std::sqrt(var / n));
  BOOST_TEST(std::abs((sum2 / n - (sum / n) * (sum / n)) / var - 1) <= 0.05);
}

BOOST_AUTO_TEST_CASE(probability_of_staying_within_budget_matches_the_closed_form) {
  const double volume = 20000, f = kPriceIn * 1e-6 * kPromptTokens, p = kPriceOut * 1e-6;
  // The budget at which mu* = mu_hat + 0.5244 s: P = Phi(0.5244) = 0.70 before the simulation's own noise.
  const double mu_star = kMu + 0.5244 * kMuSd;
  const double budget = 30 * volume * (f + p * std::exp(mu_star + kSigma * kSigma / 2));
  const pipeline::PreparedSweep sweep = OneOptionSweep(volume, budget, 400);
  BOOST_REQUIRE_MESSAGE(sweep.scenarios[0].feasible, sweep.scenarios[0].reason);
  BOOST_REQUIRE_EQUAL(sweep.scenarios[0].plan.buckets.at(0).shares.size(), 1u);
  const pipeline::SweepSummary summary =
      pipeline::SummariseSweep(sweep, pipeline::MergeSweepPartials({pipeline::RunSweepShard(sweep, 0, 1)}));
  const pipeline::Probability& within = *summary.scenarios.at(0).within_budget;
  // One day's noise on the log of the spend: E[(f + pL)^2] / (V (f + pm)^2), with m, E[L^2] of the LogNormal.
  const double m = std::exp(kMu + kSigma * kSigma / 2), l2 = std::exp(2 * kMu + 2 * kSigma * kSigma);
  const double noise = (f * f + 2 * f * p * m + p * p * l2) / (volume * (f + p * m) * (f + p * m));
  const double slope = p * m / (f + p * m);  // d ln(spend) / d mu
  const double expected = NormalCdf((mu_star - kMu) / std::sqrt(kMuSd * kMuSd + noise / (slope * slope)));
  BOOST_TEST_MESSAGE("P(within budget) " << within.value << " +- " << within.standard_error << ", closed form " << expected);
  BOOST_TEST(std::abs(within.value - expected) <= 4 * std::sqrt(expected * (1 - expected) / 400));
  BOOST_TEST(within.trials == 400);
  BOOST_TEST(within.standard_error == std::sqrt(within.value * (1 - within.value) / 400), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(within.wilson.Contains(within.value));
}

// The measured spread of GPQA-Diamond against the other stored classes (planner/options.h, docs/planner.md).
constexpr double kSigmaT = 0.6396;

BOOST_AUTO_TEST_CASE(a_proxy_buckets_drawn_transfer_error_has_sd_sigma_t_on_the_logit_scale) {
  // The one option's single-sample accuracy is the curve's 0.6 with no covariance: whatever a draw moves is the
  // transfer error alone, logit(acc) - logit(0.6) = z x sigma_T with z the draw's normal for the bucket.
  const planner::Workload w = OneOptionWorkload(1000, /*proxy=*/true);
  const CurveSet curves = OneOptionCurves();
  const planner::Catalogues catalogues = planner::Catalogues::Load(testing::DataDir());
  const long n = 4000;
  double sum = 0, sum2 = 0;
  for (long draw = 0; draw < n; ++draw) {
    planner::OptionsConfig config;
    config.samples = {1};
    config.proxy_sigma_logit = kSigmaT;
    config.proxy_transfer_z = pipeline::ProxyTransferNormals(7, static_cast<uint64_t>(draw), 0, 1);
    const std::vector<planner::Candidate> c = planner::GenerateCandidates(w, w.classes[0], curves, {}, catalogues, config, nullptr);
    BOOST_REQUIRE_EQUAL(c.size(), 1u);
    const double d = Logit(c[0].per_bucket.at(0)->accuracy) - Logit(0.6);
    BOOST_REQUIRE_CLOSE(d, config.proxy_transfer_z[0] * kSigmaT, 1e-6);
    sum += d;
    sum2 += d * d;
  }
  const double mean = sum / n, sd = std::sqrt((sum2 - n * mean * mean) / (n - 1));
  BOOST_TEST_MESSAGE("transfer draws: mean " << mean << ", sd " << sd << " (sigma_T " << kSigmaT << ")");
  // Standard errors of a normal sample's mean, sigma / sqrt(n), and sd, sigma / sqrt(2 (n - 1)).
  BOOST_TEST(std::abs(mean) <= 4.5 * kSigmaT / std::sqrt(n));
  BOOST_TEST(std::abs(sd - kSigmaT) <= 4.5 * kSigmaT / std::sqrt(2.0 * (n - 1)));
  // Outside a sweep (no z) the plan's figure stands.
  planner::OptionsConfig plan_config;
  plan_config.samples = {1};
  const auto planned = planner::GenerateCandidates(w, w.classes[0], curves, {}, catalogues, plan_config, nullptr);
  BOOST_TEST(planned.at(0).per_bucket.at(0)->accuracy == 0.6, boost::test_tools::tolerance(1e-12));
}

// The proxy note says where sigma_T came from: with no stored runs to measure it, the shipped default (assumed);
// set by the options, that value, "not measured", and the figure it replaced.
BOOST_AUTO_TEST_CASE(the_proxy_note_says_where_the_transfer_spread_came_from) {
  const planner::Workload w = OneOptionWorkload(1000, /*proxy=*/true);
  const CurveSet curves = OneOptionCurves();
  const planner::Catalogues catalogues = planner::Catalogues::Load(testing::DataDir());
  const auto proxy_note = [&](std::optional<double> sigma) {
    planner::OptionsConfig config;
    config.samples = {1};
    config.proxy_sigma_logit = sigma;
    std::vector<std::string> notes;
    planner::GenerateCandidates(w, w.classes[0], curves, {}, catalogues, config, &notes);
    for (const std::string& note : notes) {
      if (note.find("rests on a proxy") != std::string::npos) return note;
    }
    return std::string();
  };
  const std::string assumed = proxy_note(std::nullopt);
  BOOST_TEST(assumed.find(fmt::format("{:.2f} on the logit scale, assumed:", planner::kProxyFallbackSigmaLogit)) !=
                 std::string::npos, assumed);
  BOOST_TEST(assumed.find("measured:") == std::string::npos, assumed);
  const std::string set = proxy_note(0.3);
  BOOST_TEST(set.find("0.30 on the logit scale, as set by the options (proxy spread), not measured; the stored runs "
                      "give 0.65, assumed:") != std::string::npos, set);
}

BOOST_AUTO_TEST_CASE(a_sweep_of_a_proxy_class_has_a_wider_accuracy_band_than_with_the_spread_at_zero) {
  const double volume = 5000;
  const long draws = 300;
  const auto band_of = [&](std::optional<double> sigma) {
    const pipeline::PreparedSweep sweep = OneOptionSweep(volume, 1e9, draws, /*proxy=*/true, sigma);
    BOOST_REQUIRE_MESSAGE(sweep.scenarios[0].feasible, sweep.scenarios[0].reason);
    return pipeline::SummariseSweep(sweep, pipeline::MergeSweepPartials({pipeline::RunSweepShard(sweep, 0, 1)}))
        .scenarios.at(0)
        .accuracy;
  };
  const pipeline::Distribution spread = band_of(kSigmaT), none = band_of(0.0), measured = band_of(std::nullopt);
  BOOST_TEST_MESSAGE("accuracy p5..p95 with sigma_T: " << spread.p5 << ".." << spread.p95 << "; at 0: " << none.p5
                                                      << ".." << none.p95);
  // With the spread at 0 only the simulated day's binomial noise is left: about 1.645 sqrt(0.24 / 5000) = 0.011
  // either side. With sigma_T the band is the transfer error's: sigmoid(logit 0.6 -+ 1.645 sigma_T) = 0.358 and
  // 0.811. A 5% quantile of 300 draws has a standard error of sqrt(0.05 x 0.95 / 300) / density: 0.08 on the
  // logit scale, 0.02 in accuracy; four of them allowed.
  BOOST_TEST(none.p95 - none.p5 <= 0.05);
  BOOST_TEST(spread.p95 - spread.p5 >= 5 * (none.p95 - none.p5));
  BOOST_TEST(std::abs(spread.p5 - Sigmoid(Logit(0.6) - 1.6449 * kSigmaT)) <= 0.08);
  BOOST_TEST(std::abs(spread.p95 - Sigmoid(Logit(0.6) + 1.6449 * kSigmaT)) <= 0.08);
  // Without stored runs to measure it from, the plan's fallback spread (0.65) is drawn: as wide as sigma_T.
  BOOST_TEST(measured.p95 - measured.p5 >= 5 * (none.p95 - none.p5));
}

BOOST_AUTO_TEST_CASE(shards_merge_to_the_same_outcomes_as_one_shard) {
  const pipeline::PreparedSweep sweep = OneOptionSweep(2000, 1e9, 12);
  const pipeline::SweepPartial one = pipeline::MergeSweepPartials({pipeline::RunSweepShard(sweep, 0, 1)});
  std::vector<pipeline::SweepPartial> parts;
  for (int shard = 2; shard >= 0; --shard) parts.push_back(pipeline::RunSweepShard(sweep, shard, 3));
  const pipeline::SweepPartial three = pipeline::MergeSweepPartials(parts);
  BOOST_TEST(one.outcomes.size() == 12u);
  BOOST_TEST(SameOutcomes(one.outcomes, three.outcomes));
  // And through the JSON a rank would send.
  BOOST_TEST(SameOutcomes(one.outcomes, pipeline::SweepPartial::FromJson(three.ToJson()).outcomes));
  BOOST_CHECK_THROW(pipeline::MergeSweepPartials({one, one}), InternalError);
}

BOOST_AUTO_TEST_CASE(the_stored_sweep_is_the_same_on_one_and_two_threads) {
  testing::ScratchDir dir;
  store::Database db = store::Database::Open(dir / "t.db");
  const long plan_id = StoreChatPlan(db);
  pipeline::SweepOptions options;
  options.grid = {"budget=0.5x,1x"};
  options.draws = 6;
  options.days = 0.01;
  options.threads = 1;
  const pipeline::SweepSummary one = pipeline::SweepStage(db, plan_id, options);
  options.threads = 2;
  const pipeline::SweepSummary two = pipeline::SweepStage(db, plan_id, options);
  BOOST_TEST(two.threads == 2);
  BOOST_REQUIRE_EQUAL(one.scenarios.size(), 2u);
  BOOST_TEST(one.ToJson()["scenarios"] == two.ToJson()["scenarios"]);
  BOOST_TEST(store::ListSweeps(db, plan_id).size() == 2u);
  const nlohmann::json stored = nlohmann::json::parse(store::LoadSweep(db, *one.id).body);
  BOOST_TEST(stored["scenarios"] == one.ToJson()["scenarios"]);
}

BOOST_AUTO_TEST_CASE(a_sweep_that_fails_midway_stores_nothing) {
  testing::ScratchDir dir;
  store::Database db = store::Database::Open(dir / "t.db");
  const long plan_id = StoreChatPlan(db);
  pipeline::SweepOptions options;
  options.draws = 8;
  options.days = 0.01;
  options.threads = 2;
  int items = 0;
  const auto fail_at_the_fifth = [&] {
    if (++items == 5) throw std::runtime_error("interrupted");
  };
  BOOST_CHECK_THROW(pipeline::SweepStage(db, plan_id, options, nullptr, fail_at_the_fifth),
                    std::runtime_error);
  BOOST_TEST(store::ListSweeps(db).empty());
  options.draws = 0;
  BOOST_CHECK_THROW(pipeline::SweepStage(db, plan_id, options), UsageError);
  BOOST_TEST(store::ListSweeps(db).empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace thinkplan
