#include "fitting/token_fit.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <set>

#include <ceres/ceres.h>
#include <fmt/format.h>

#include "core/errors.h"
#include "core/special_functions.h"
#include "core/timing.h"
#include "fitting/ceres_setup.h"

namespace thinkplan::fitting {
namespace {

template <typename T>
T NormalCdfT(const T& x) {
  using std::erfc;
  return 0.5 * erfc(-x / std::numbers::sqrt2);
}

// E[min(L, b)] for L ~ LogNormal(mu, sigma), written for Jets.
template <typename T>
T MeanUsedT(const T& mu, const T& sigma, double budget) {
  using std::exp;
  using std::log;
  const T uncapped = exp(mu + 0.5 * sigma * sigma);
  if (std::isinf(budget)) return uncapped;
  const double lb = std::log(budget);
  return uncapped * NormalCdfT((lb - mu - sigma * sigma) / sigma) + budget * NormalCdfT(-(lb - mu) / sigma);
}

struct LogMeanResidual {
  double budget, log_mean, sqrt_weight;
  template <typename T>
  bool operator()(const T* const theta, T* residual) const {  // theta = (mu, ln sigma)
    using std::exp;
    using std::log;
    residual[0] = sqrt_weight * (log(MeanUsedT(theta[0], exp(theta[1]), budget)) - log_mean);
    return true;
  }
};

// Minus the log-likelihood of right-censored LogNormal data, theta = (mu, ln sigma).
struct CensoredNegLogLik {
  const std::vector<TokenCount>* counts;
  template <typename T>
  bool operator()(const T* const theta, T* cost) const {
    using std::erfc;
    using std::exp;
    using std::log;
    const T sigma = exp(theta[1]);
    T nll(0.0);
    for (const TokenCount& c : *counts) {
      if (c.tokens >= c.budget) {
        const T z = (std::log(c.budget) - theta[0]) / sigma;
        nll -= log(0.5 * erfc(z / std::numbers::sqrt2));
      } else {
        const double lt = std::log(c.tokens);
        const T z = (lt - theta[0]) / sigma;
        nll += theta[1] + 0.5 * z * z + lt + 0.5 * std::log(2.0 * std::numbers::pi);
      }
    }
    cost[0] = nll;
    return true;
  }
};

FitQuality Insufficient(long n, const std::string& reason) {
  FitQuality q;
  q.status = FitStatus::kInsufficientData;
  q.n_points = n;
  q.reason = reason;
  return q;
}

void FillSummary(const TokenModel& model, const Options& options, const std::string& form, Summary* summary) {
  *summary = Summary{};
  summary->kind = "tokens";
  summary->form = form;
  summary->quality = model.quality;
  summary->confidence_level = options.confidence_level;
  const double z = TwoSidedZ(options.confidence_level);
  const auto estimate = [&](const std::string& name, double value, int i) {
    if (model.covariance.size() != 4) return Estimate{name, value, {value, value}};
    const double half = z * std::sqrt(std::max(0.0, model.covariance[i * 2 + i]));
    return Estimate{name, value, {value - half, value + half}};
  };
  if (!model.quality.usable()) return;
  summary->parameters = {estimate("mu", model.mu, 0), estimate("sigma", model.sigma, 1)};
  summary->derived.push_back({"median_uncapped", std::exp(model.mu), {std::exp(model.mu), std::exp(model.mu)}});
  summary->derived.push_back({"mean_uncapped", model.MeanUsed(), model.MeanUsedBand(kUncapped, options.confidence_level)});
}

// mu with E[min(L, b)] = mean at a fixed sigma; the mean is increasing in mu, so bisection.
double SolveMu(double sigma, double budget, double mean) {
  double low = -20.0, high = 40.0;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (low + high);
    (MeanUsedT<double>(mid, sigma, budget) < mean ? low : high) = mid;
  }
  return 0.5 * (low + high);
}

TokenModel FallbackSigma(const std::vector<TokenMeanPoint>& points, const Options& options) {
  TokenModel model;
  double weight = 0.0, log_sum = 0.0;
  for (const TokenMeanPoint& p : points) {
    weight += p.weight;
    log_sum += p.weight * std::log(p.mean_tokens);
  }
  const double mean = std::exp(log_sum / weight), budget = points.front().budget;
  model.quality.n_points = static_cast<long>(points.size());
  if (mean >= budget * (1.0 - 1e-9)) {
    model.quality = Insufficient(model.quality.n_points, "mean tokens at the budget: lengths beyond it unobserved");
    return model;
  }
  model.sigma = options.fallback_token_sigma;
  model.mu = SolveMu(model.sigma, budget, mean);
  model.quality.status = FitStatus::kFallback;
  model.quality.reason = fmt::format(
      "one budget ({}) cannot separate mu from sigma: sigma fixed at {} (Options::fallback_token_sigma), mu solved "
      "from the mean", std::isinf(budget) ? std::string("uncapped") : fmt::format("{:g}", budget),
      options.fallback_token_sigma);
  return model;
}


constexpr double kMinSigma = 1e-3, kMaxSigma = 5.0;  // the box on sigma of the moment fit

// Scaled covariance of (mu, sigma) from Ceres at the optimum of `problem`; empty, with Ceres's account in `log`,
// when the Jacobian is (near) rank deficient.
std::vector<double> MomentFitCovariance(ceres::Problem& problem, double* theta, double rss, long n, double sigma) {
  ceres::Covariance covariance(CovarianceOptions());
  std::vector<std::pair<const double*, const double*>> blocks = {{theta, theta}};
  double internal[4];
  if (!covariance.Compute(blocks, &problem) || !covariance.GetCovarianceBlock(theta, theta, internal)) return {};
  const double scale = rss * static_cast<double>(n) / (static_cast<double>(n) - 2.0);
  // (mu, ln sigma) -> (mu, sigma): d sigma / d ln sigma = sigma.
  const double g[2] = {1.0, sigma};
  std::vector<double> out(4);
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 2; ++j) out[i * 2 + j] = scale * g[i] * g[j] * internal[i * 2 + j];
  }
  return out;
}

// The status of a converged moment fit: sigma on its box, or a covariance Ceres could not compute, means the
// points do not separate mu from sigma (e.g. every budget far above the lengths: only mu + sigma^2 / 2 is seen).
void JudgeMomentFit(TokenModel* model, bool covariance_wanted, const std::vector<std::string>& log) {
  FitQuality& q = model->quality;
  if (q.status != FitStatus::kOk) return;
  const bool at_bound = model->sigma <= kMinSigma * 1.001 || model->sigma >= kMaxSigma * 0.999;
  if (at_bound) {
    q.status = FitStatus::kUnidentified;
    q.reason = fmt::format("sigma ended at its bound ({:g}): the means do not identify the spread", model->sigma);
  } else if (covariance_wanted && model->covariance.empty()) {
    q.status = FitStatus::kUnidentified;
    q.reason = "the covariance of (mu, sigma) is not estimable (near rank-deficient Jacobian): the means do not "
               "separate mu from sigma" + std::string(log.empty() ? "" : "; see the solver's note");
  }
}

TokenModel FitMeansByLeastSquares(const std::vector<TokenMeanPoint>& points, double weight, double* theta,
                                  const Options& options, std::vector<std::string>* log) {
  const SolverLogCapture capture;
  ceres::Problem problem;
  for (const TokenMeanPoint& p : points) {
    problem.AddResidualBlock(new ceres::AutoDiffCostFunction<LogMeanResidual, 1, 2>(new LogMeanResidual{
                                 p.budget, std::log(p.mean_tokens), std::sqrt(p.weight / weight)}),
                             nullptr, theta);
  }
  problem.SetParameterLowerBound(theta, 1, std::log(kMinSigma));
  problem.SetParameterUpperBound(theta, 1, std::log(kMaxSigma));
  ceres::Solver::Summary solver_summary;
  ceres::Solve(LeastSquaresOptions(StoppingRule::Of(options)), &problem, &solver_summary);
  TokenModel model;
  model.mu = theta[0];
  model.sigma = std::exp(theta[1]);
  FitQuality& q = model.quality;
  q.n_points = static_cast<long>(points.size());
  q.iterations = static_cast<int>(solver_summary.iterations.size());
  q.status = Converged(solver_summary.termination_type) ? FitStatus::kOk : FitStatus::kNotConverged;
  if (q.status != FitStatus::kOk) q.reason = "optimiser stopped: " + solver_summary.message;
  // Residual variance on the weight-normalised scale: the weights sum to one, so sigma_hat^2 = RSS n / (n - 2).
  const long n = q.n_points;
  if (n > 2) {
    model.covariance = MomentFitCovariance(problem, theta, 2.0 * solver_summary.final_cost, n, model.sigma);
  } else if (q.status == FitStatus::kOk) {
    q.reason = "two points fit exactly: no residual degrees of freedom for an interval";
  }
  *log = capture.messages();
  JudgeMomentFit(&model, n > 2, *log);
  return model;
}
}  // namespace

std::vector<TokenMeanPoint> TokenMeansFromRuns(const std::vector<Run>& runs) {
  std::vector<TokenMeanPoint> points;
  for (const Run& run : runs) {
    const std::optional<double> thinking = run.ThinkingTokens();
    if (run.mode != Mode::kExtended || !thinking) continue;  // fast mode thinks nothing
    points.push_back({run.budget_tokens.value_or(kUncapped), *thinking,
                      static_cast<double>(std::max(1L, run.n_problems))});
  }
  return points;
}

std::vector<TokenCount> TokenCountsFromProblems(const std::vector<ProblemResult>& problems, double budget) {
  std::vector<TokenCount> counts;
  for (const ProblemResult& p : problems) {
    if (p.output_tokens) counts.push_back({*p.output_tokens, budget});
  }
  return counts;
}

TokenModel FitTokensFromMeans(const std::vector<TokenMeanPoint>& input, const Options& options, Summary* summary) {
  const Stopwatch started;
  std::string error;
  if (!options.IsValid(&error)) throw UsageError("fit options: " + error);
  std::vector<TokenMeanPoint> points;
  for (size_t i = 0; i < input.size(); ++i) {
    const TokenMeanPoint& p = input[i];
    if (!std::isfinite(p.mean_tokens) || std::isnan(p.budget) || !std::isfinite(p.weight) || p.weight < 0) {
      throw InputError(SourceLocation{"token means", static_cast<long>(i + 1), "mean_tokens",
                                      fmt::format("{}", p.mean_tokens)},
                       "mean tokens, budget and weight must be numbers (weight >= 0)");
    }
    if (p.mean_tokens > 0.0 && p.budget > 0.0 && p.weight > 0.0) points.push_back(p);
  }
  const long dropped = static_cast<long>(input.size() - points.size());
  std::set<double> budgets;
  for (const TokenMeanPoint& p : points) budgets.insert(p.budget);

  TokenModel model;
  std::vector<std::string> solver_log;
  if (points.empty()) {
    model.quality = Insufficient(0, "no point with positive mean tokens");
  } else if (budgets.size() < 2) {
    model = FallbackSigma(points, options);
  } else {
    double theta[2] = {0.0, std::log(options.fallback_token_sigma)};
    double weight = 0.0;
    for (const TokenMeanPoint& p : points) {
      theta[0] += p.weight * std::log(p.mean_tokens);
      weight += p.weight;
    }
    theta[0] /= weight;
    model = FitMeansByLeastSquares(points, weight, theta, options, &solver_log);
  }
  if (summary != nullptr) {
    FillSummary(model, options, "lognormal (moment fit to log means)", summary);
    summary->notes.insert(summary->notes.end(), solver_log.begin(), solver_log.end());
    if (dropped > 0) summary->notes.push_back(fmt::format("{} point(s) with zero tokens or weight dropped", dropped));
    summary->seconds = started.Seconds();
  }
  return model;
}

TokenModel FitTokensFromCounts(const std::vector<TokenCount>& input, const Options& options, Summary* summary) {
  const Stopwatch started;
  std::string error;
  if (!options.IsValid(&error)) throw UsageError("fit options: " + error);
  std::vector<TokenCount> counts;
  long uncensored = 0;
  for (size_t i = 0; i < input.size(); ++i) {
    const TokenCount& c = input[i];
    if (!std::isfinite(c.tokens) || std::isnan(c.budget)) {
      throw InputError(SourceLocation{"token counts", static_cast<long>(i + 1), "tokens", fmt::format("{}", c.tokens)},
                       "tokens and budget must be numbers");
    }
    if (c.tokens > 0.0 && c.budget > 0.0) {
      counts.push_back(c);
      uncensored += c.tokens < c.budget;
    }
  }
  const long dropped = static_cast<long>(input.size() - counts.size());
  TokenModel model;
  std::vector<std::string> solver_log;
  std::set<double> distinct;
  for (const TokenCount& c : counts) {
    if (c.tokens < c.budget) distinct.insert(c.tokens);
  }
  if (distinct.size() < 2) {
    model.quality = Insufficient(static_cast<long>(counts.size()),
                                 fmt::format("needs two distinct uncensored token counts, got {}", distinct.size()));
  } else {
    // Start from the moments of the log counts, censored ones taken at the cap.
    double sum = 0.0, sum_sq = 0.0;
    for (const TokenCount& c : counts) {
      const double lt = std::log(std::min(c.tokens, c.budget));
      sum += lt;
      sum_sq += lt * lt;
    }
    const double n = static_cast<double>(counts.size());
    const double var = std::max(sum_sq / n - (sum / n) * (sum / n), 1e-6);
    double theta[2] = {sum / n, 0.5 * std::log(var)};
    ceres::GradientProblem problem(
        new ceres::AutoDiffFirstOrderFunction<CensoredNegLogLik, 2>(new CensoredNegLogLik{&counts}));
    ceres::GradientProblemSolver::Summary solver_summary;
    {
      const SolverLogCapture capture;
      ceres::Solve(GradientOptions(StoppingRule::Of(options)), problem, theta, &solver_summary);
      solver_log = capture.messages();
    }
    model.mu = theta[0];
    model.sigma = std::exp(theta[1]);
    FitQuality& q = model.quality;
    q.n_points = static_cast<long>(counts.size());
    q.iterations = static_cast<int>(solver_summary.iterations.size());
    q.log_likelihood = -solver_summary.final_cost;
    q.aic = 4.0 + 2.0 * solver_summary.final_cost;
    q.status = Converged(solver_summary.termination_type) ? FitStatus::kOk : FitStatus::kNotConverged;
    if (q.status != FitStatus::kOk) q.reason = "optimiser stopped: " + solver_summary.message;
    // Observed information in (mu, sigma): central differences of the exact gradient.
    const auto gradient = [&](double mu, double sigma, double* g) {
      double x[2] = {mu, std::log(sigma)}, cost = 0.0, g_internal[2];
      problem.Evaluate(x, &cost, g_internal);
      g[0] = g_internal[0];
      g[1] = g_internal[1] / sigma;  // d/d sigma = d/d ln sigma / sigma
    };
    double hessian[2][2];
    const double h[2] = {1e-5 * std::max(1.0, std::abs(model.mu)), 1e-5 * model.sigma};
    for (int j = 0; j < 2; ++j) {
      double up[2], down[2];
      gradient(model.mu + (j == 0) * h[0], model.sigma + (j == 1) * h[1], up);
      gradient(model.mu - (j == 0) * h[0], model.sigma - (j == 1) * h[1], down);
      for (int i = 0; i < 2; ++i) hessian[i][j] = (up[i] - down[i]) / (2.0 * h[j]);
    }
    const double off = 0.5 * (hessian[0][1] + hessian[1][0]);
    const double det = hessian[0][0] * hessian[1][1] - off * off;
    if (det > 0.0 && hessian[0][0] > 0.0) {
      model.covariance = {hessian[1][1] / det, -off / det, -off / det, hessian[0][0] / det};
    } else if (q.status == FitStatus::kOk) {
      q.status = FitStatus::kUnidentified;
      q.reason = "the observed information is not positive definite: the counts do not identify (mu, sigma)";
    }
  }
  if (summary != nullptr) {
    FillSummary(model, options, "lognormal (censored MLE)", summary);
    summary->notes.insert(summary->notes.end(), solver_log.begin(), solver_log.end());
    summary->notes.push_back(fmt::format("{} of {} counts censored at the budget", counts.size() - uncensored, counts.size()));
    if (dropped > 0) summary->notes.push_back(fmt::format("{} count(s) <= 0 dropped", dropped));
    summary->seconds = started.Seconds();
  }
  return model;
}

}  // namespace thinkplan::fitting
