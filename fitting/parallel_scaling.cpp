#include "fitting/parallel_scaling.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/special_functions.h"
#include "core/timing.h"
#include "fitting/binomial_mle.h"
#include "fitting/quadrature.h"

namespace thinkplan::fitting {
namespace {

// Wilson score interval of a binomial proportion: keeps its coverage near 0 and 1 where 30 problems put it.
Interval WilsonInterval(double share, double n, double level) {
  const double z = TwoSidedZ(level), z2 = z * z;
  const double center = (share + z2 / (2 * n)) / (1 + z2 / n);
  const double half = z * std::sqrt(share * (1 - share) / n + z2 / (4 * n * n)) / (1 + z2 / n);
  return {std::max(0.0, center - half), std::min(1.0, center + half)};
}

double ConsAtK(const DifficultyDistribution& difficulty, long k, double rho) {
  return difficulty.Expectation(ConsensusCredit(k, rho));
}

// rho in [0, 1] with cons@k(rho) = target, for cons@k(1) <= target <= cons@k(0).
double SolveRho(const DifficultyDistribution& difficulty, long k, double target) {
  double low = 0.0, high = 1.0;
  for (int i = 0; i < 60; ++i) {
    const double mid = 0.5 * (low + high);
    (ConsAtK(difficulty, k, mid) > target ? low : high) = mid;
  }
  return 0.5 * (low + high);
}

// P(p > t): the limit of cons@k as k grows at t = rho / (1 + rho).
double ProbabilityAbove(const DifficultyDistribution& difficulty, double t) {
  if (difficulty.family == DifficultyFamily::kBeta) return difficulty.beta.ProbabilityAbove(t);
  if (t <= 0) return 1.0;
  if (t >= 1) return 0.0;
  const LogitNormalDifficulty& ln = difficulty.logit_normal;
  return 1.0 - NormalCdf((Logit(t) - ln.mu) / ln.sigma);
}

}  // namespace

RhoFit FitRho(const DifficultyDistribution& difficulty, long k, double n_problems, double cons_correct, const Options& options,
              Summary* summary) {
  std::string error;
  if (!options.IsValid(&error)) throw UsageError("fit options: " + error);
  if (!std::isfinite(cons_correct) || !std::isfinite(n_problems) || cons_correct < 0 || cons_correct > n_problems) {
    throw InputError(SourceLocation{"cons@k point", 0, "n_correct", fmt::format("{}", cons_correct)},
                     "must be a number in [0, n_problems]");
  }
  RhoFit fit;
  fit.quality.n_points = 1;
  if (k < 2 || !(n_problems > 0) || !difficulty.quality().usable()) {
    fit.quality.status = FitStatus::kInsufficientData;
    fit.quality.reason = k < 2 ? "cons@k needs k >= 2"
                               : (!(n_problems > 0) ? "no problems" : "the difficulty distribution is not usable");
  } else {
    const double target = cons_correct / n_problems;
    const double most = ConsAtK(difficulty, k, 0.0), least = ConsAtK(difficulty, k, 1.0);
    const auto invert = [&](double share) {
      if (share >= most) return 0.0;
      if (share <= least) return 1.0;
      return SolveRho(difficulty, k, share);
    };
    fit.rho = invert(target);
    const Interval share = WilsonInterval(target, n_problems, options.confidence_level);
    fit.interval = {invert(share.upper), invert(share.lower)};  // ConsAtK falls with rho
    if (target > most || target < least) {
      fit.quality.status = FitStatus::kFallback;
      fit.quality.reason = fmt::format(
          "cons@{} = {:.4f} lies outside what rho in [0, 1] gives with this {} ([{:.4f}, {:.4f}]): rho clamped to {}",
          k, target, ToString(difficulty.family), least, most, target > most ? 0 : 1);
    } else {
      fit.quality.status = FitStatus::kOk;
    }
  }
  if (summary != nullptr) {
    *summary = Summary{};
    summary->kind = "rho";
    summary->form = "trinomial majority vote";
    summary->quality = fit.quality;
    summary->confidence_level = options.confidence_level;
    if (fit.quality.usable()) {
      summary->parameters = {{"rho", fit.rho, fit.interval}};
      const auto above = [&](double rho) { return ProbabilityAbove(difficulty, rho / (1 + rho)); };
      summary->derived = {{fmt::format("cons@{} limit P(p > rho/(1+rho))", k), above(fit.rho),
                           {above(fit.interval.upper), above(fit.interval.lower)}}};
    }
    summary->notes.push_back(fmt::format("difficulty distribution {}", difficulty.Describe()));
    summary->notes.push_back(fmt::format("interval from the cons@k point's binomial sampling; the {} is taken as known",
                                         ToString(difficulty.family)));
  }
  return fit;
}

CoverageLaw FitCoverageLaw(const std::vector<PassAtKPoint>& input, const Options& options, Summary* summary) {
  const Stopwatch started;
  std::string error;
  if (!options.IsValid(&error)) throw UsageError("fit options: " + error);
  std::vector<BinomialObservation> data;
  std::set<long> ks;
  // Start: ln(-ln coverage) = ln(-a) + b ln k is a line through the points strictly inside (0, 1).
  double sx = 0, sy = 0, sxx = 0, sxy = 0, m = 0;
  for (size_t i = 0; i < input.size(); ++i) {
    const PassAtKPoint& p = input[i];
    if (!std::isfinite(p.n_problems) || !std::isfinite(p.n_correct) || p.n_correct < 0 || p.n_correct > p.n_problems) {
      throw InputError(SourceLocation{"coverage points", static_cast<long>(i + 1), "n_correct",
                                      fmt::format("{}", p.n_correct)},
                       "n_correct must be a number in [0, n_problems]");
    }
    if (p.k < 1 || p.n_problems <= 0) continue;
    data.push_back({static_cast<double>(p.k), 0.0, p.n_problems, p.n_correct});
    ks.insert(p.k);
    const double share = p.n_correct / p.n_problems;
    if (share > 0 && share < 1) {
      const double x = std::log(static_cast<double>(p.k)), y = std::log(-std::log(share));
      sx += x, sy += y, sxx += x * x, sxy += x * y, m += 1;
    }
  }
  CoverageLaw law;
  law.quality.n_points = static_cast<long>(data.size());
  if (ks.size() < 2) {
    law.quality.reason = fmt::format("needs coverage at two distinct k, got {}", ks.size());
  } else {
    double slope = -0.3, intercept = 0.0;
    if (m >= 2 && sxx - sx * sx / m > 0) {
      slope = std::min((sxy - sx * sy / m) / (sxx - sx * sx / m), -1e-3);
      intercept = (sy - slope * sx) / m;
    }
    MleOptions mle;
    mle.max_iterations = options.max_iterations;
    mle.function_tolerance = options.function_tolerance;
    mle.gradient_tolerance = options.gradient_tolerance;
    mle.parameter_tolerance = options.parameter_tolerance;
    mle.lower = {-30.0, -30.0};
    mle.upper = {10.0, 3.0};
    const MleResult fit = FitBinomialMle(BinomialModel::kCoverageLaw, data, {intercept, std::log(-slope)}, mle);
    law.a = fit.natural[0];
    law.b = fit.natural[1];
    law.covariance = fit.covariance;
    law.quality = QualityOf(fit, law.quality.n_points, "a parameter at its bound");
  }
  if (summary != nullptr) {
    *summary = Summary{};
    summary->kind = "coverage";
    summary->form = "exp(a k^b)";
    summary->quality = law.quality;
    summary->confidence_level = options.confidence_level;
    if (law.quality.usable()) {
      const double z = TwoSidedZ(options.confidence_level);
      const auto estimate = [&](const char* name, double value, int i) {
        const double half = law.covariance.size() == 4 ? z * std::sqrt(law.covariance[i * 3]) : 0.0;
        return Estimate{name, value, {value - half, value + half}};
      };
      summary->parameters = {estimate("a", law.a, 0), estimate("b", law.b, 1)};
    }
    summary->seconds = started.Seconds();
  }
  return law;
}

EmpiricalPassAtK EmpiricalPassAt(const std::vector<SampleCount>& problems, long k, double level) {
  EmpiricalPassAtK out;
  double sum = 0.0, sum_sq = 0.0;
  for (const SampleCount& p : problems) {
    const long n = std::lround(p.samples), c = std::lround(p.correct);
    if (n < k) continue;
    const double estimate = UnbiasedPassAtK(n, c, k);
    sum += estimate;
    sum_sq += estimate * estimate;
    ++out.problems;
  }
  if (out.problems == 0) return out;
  const double m = static_cast<double>(out.problems);
  out.value = sum / m;
  const double var = out.problems > 1 ? std::max(0.0, (sum_sq - m * out.value * out.value) / (m - 1)) : 0.0;
  const double half = TwoSidedZ(level) * std::sqrt(var / m);
  out.interval = {std::max(0.0, out.value - half), std::min(1.0, out.value + half)};
  return out;
}

double ExpectOverBeta(const BetaDifficulty& beta, const std::function<double(double)>& f, int nodes) {
  return Expectation(GaussJacobiBeta(nodes, beta.a, beta.b), f);
}

}  // namespace thinkplan::fitting
