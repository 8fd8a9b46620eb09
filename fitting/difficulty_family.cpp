#include "fitting/difficulty_family.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <map>

#include <fmt/format.h>

#include "core/special_functions.h"

namespace thinkplan::fitting {
namespace {

constexpr double kSigmaMin = 0.01, kSigmaMax = 20.0;

// Expectations over Z ~ Normal(0, 1) by the trapezoid rule on [-9, 9] in steps of 0.02 (901 nodes, weights
// normalised to 1). The integrands are analytic in z with their nearest poles (those of the sigmoid) at imaginary
// distance pi / sigma, so the rule's error is of order exp(-2 pi^2 / (sigma h)) < 1e-20 for sigma <= 20, and the
// mass beyond |z| = 9 is 2e-19. (Gauss-Hermite with 64 nodes was tried first: for sigma = 3.5 and k = 64 its error is
// 2e-4, since (1 - p)^k is a steep step in z.)
struct NormalRule {
  std::vector<double> nodes, weights;
};
const NormalRule& Rule() {
  static const NormalRule rule = [] {
    NormalRule r;
    constexpr int kHalf = 450;
    constexpr double kStep = 0.02;
    double total = 0;
    for (int i = -kHalf; i <= kHalf; ++i) {
      r.nodes.push_back(i * kStep);
      r.weights.push_back(NormalPdf(i * kStep));
      total += r.weights.back();
    }
    for (double& w : r.weights) w /= total;
    return r;
  }();
  return rule;
}

template <typename F>
double ExpectNormal(F f) {
  const NormalRule& rule = Rule();
  double sum = 0;
  for (size_t i = 0; i < rule.nodes.size(); ++i) sum += rule.weights[i] * f(rule.nodes[i]);
  return sum;
}

// ln(sigmoid(x)) and ln(1 - sigmoid(x)) without overflow.
double LogSigmoid(double x) { return x >= 0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x)); }

// Problems grouped by (samples, correct): the likelihood needs one quadrature per distinct pair, not per problem.
std::map<std::pair<double, double>, double> Grouped(const std::vector<SampleCount>& problems) {
  std::map<std::pair<double, double>, double> groups;
  for (const SampleCount& p : problems) {
    if (p.samples > 0) groups[{p.samples, p.correct}] += 1.0;
  }
  return groups;
}

// ln E[p^c (1 - p)^(n - c)], p = sigmoid(mu + sigma Z), by log-sum-exp over the nodes.
double LogMarginal(double mu, double sigma, double n, double c) {
  const NormalRule& rule = Rule();
  std::vector<double> terms(rule.nodes.size());
  double top = -INFINITY;
  for (size_t j = 0; j < rule.nodes.size(); ++j) {
    const double x = mu + sigma * rule.nodes[j];
    terms[j] = std::log(rule.weights[j]) + c * LogSigmoid(x) + (n - c) * LogSigmoid(-x);
    top = std::max(top, terms[j]);
  }
  double sum = 0;
  for (const double t : terms) sum += std::exp(t - top);
  return top + std::log(sum);
}

double NegativeLogLikelihood(const std::map<std::pair<double, double>, double>& groups, double mu, double sigma) {
  double total = 0;
  for (const auto& [nc, count] : groups) total += count * (LogChoose(nc.first, nc.second) + LogMarginal(mu, sigma, nc.first, nc.second));
  return -total;
}

// Nelder-Mead on two parameters (standard coefficients 1, 2, 1/2, 1/2): the objective is smooth but its
// derivatives through the quadrature are tedious, and two parameters are cheap.
std::array<double, 2> NelderMead(const std::function<double(const std::array<double, 2>&)>& f, std::array<double, 2> x0,
                                 int max_iterations, double tolerance, int* iterations) {
  std::array<std::array<double, 2>, 3> s = {x0, {x0[0] + 0.5, x0[1]}, {x0[0], x0[1] + 0.3}};
  std::array<double, 3> v = {f(s[0]), f(s[1]), f(s[2])};
  int it = 0;
  for (; it < max_iterations; ++it) {
    std::array<int, 3> order = {0, 1, 2};
    std::sort(order.begin(), order.end(), [&](int a, int b) { return v[a] < v[b]; });
    const int best = order[0], mid = order[1], worst = order[2];
    if (std::abs(v[worst] - v[best]) < tolerance * (1.0 + std::abs(v[best]))) break;
    const std::array<double, 2> centre = {(s[best][0] + s[mid][0]) / 2, (s[best][1] + s[mid][1]) / 2};
    const auto along = [&](double t) {
      return std::array<double, 2>{centre[0] + t * (s[worst][0] - centre[0]), centre[1] + t * (s[worst][1] - centre[1])};
    };
    const std::array<double, 2> reflected = along(-1.0);
    const double fr = f(reflected);
    if (fr < v[best]) {
      const std::array<double, 2> expanded = along(-2.0);
      const double fe = f(expanded);
      s[worst] = fe < fr ? expanded : reflected;
      v[worst] = std::min(fe, fr);
    } else if (fr < v[mid]) {
      s[worst] = reflected, v[worst] = fr;
    } else {
      const std::array<double, 2> contracted = along(0.5);
      const double fc = f(contracted);
      if (fc < v[worst]) {
        s[worst] = contracted, v[worst] = fc;
      } else {
        for (int i : {mid, worst}) {
          s[i] = {(s[i][0] + s[best][0]) / 2, (s[i][1] + s[best][1]) / 2};
          v[i] = f(s[i]);
        }
      }
    }
  }
  *iterations = it;
  return s[std::min_element(v.begin(), v.end()) - v.begin()];
}

// Inverse observed information in (mu, sigma) by central differences; empty when not positive definite.
std::vector<double> Covariance(const std::map<std::pair<double, double>, double>& groups, double mu, double sigma) {
  const double h0 = 1e-4 * std::max(1.0, std::abs(mu)), h1 = 1e-4 * std::max(1.0, sigma);
  const auto f = [&](double a, double b) { return NegativeLogLikelihood(groups, a, b); };
  const double f0 = f(mu, sigma);
  const double haa = (f(mu + h0, sigma) - 2 * f0 + f(mu - h0, sigma)) / (h0 * h0);
  const double hbb = (f(mu, sigma + h1) - 2 * f0 + f(mu, sigma - h1)) / (h1 * h1);
  const double hab = (f(mu + h0, sigma + h1) - f(mu + h0, sigma - h1) - f(mu - h0, sigma + h1) +
                      f(mu - h0, sigma - h1)) / (4 * h0 * h1);
  const double det = haa * hbb - hab * hab;
  if (!(haa > 0 && det > 1e-13 * std::max(haa * haa, hbb * hbb))) return {};
  return {hbb / det, -hab / det, -hab / det, haa / det};
}

}  // namespace

double LogitNormalDifficulty::Mean() const {
  return ExpectNormal([&](double z) { return Sigmoid(mu + sigma * z); });
}

double LogitNormalDifficulty::PassAtK(long k) const {
  if (k <= 0) return 0.0;
  return 1.0 - ExpectNormal([&](double z) { return std::exp(static_cast<double>(k) * LogSigmoid(-(mu + sigma * z))); });
}

LogitNormalDifficulty FitLogitNormal(const std::vector<SampleCount>& problems, const Options& options) {
  LogitNormalDifficulty out;
  double samples = 0, correct = 0;
  bool repeated = false;
  for (const SampleCount& p : problems) {
    samples += p.samples;
    correct += p.correct;
    repeated = repeated || p.samples >= 2;
  }
  out.quality.n_points = static_cast<long>(problems.size());
  if (samples <= 0 || correct <= 0 || correct >= samples || !repeated) {
    out.quality.status = FitStatus::kInsufficientData;
    out.quality.reason = !repeated ? "no problem has two samples: only the mean is identified"
                                   : "every sample right or every sample wrong: no spread identifiable";
    return out;
  }
  const auto groups = Grouped(problems);
  const auto objective = [&](const std::array<double, 2>& x) {
    return NegativeLogLikelihood(groups, x[0], std::clamp(std::exp(x[1]), kSigmaMin, kSigmaMax));
  };
  // Starts at the pooled logit and three spreads; the best end wins (the likelihood can be flat in sigma).
  const double mu0 = Logit(std::clamp(correct / samples, 1e-3, 1 - 1e-3));
  std::array<double, 2> best{mu0, 0.0};
  double best_value = INFINITY;
  for (double sigma0 : {0.5, 1.5, 4.0}) {
    int iterations = 0;
    const auto x = NelderMead(objective, {mu0, std::log(sigma0)}, options.max_iterations * 4, 1e-12, &iterations);
    out.quality.iterations += iterations;
    if (const double v = objective(x); v < best_value) best_value = v, best = x;
  }
  out.mu = best[0];
  out.sigma = std::clamp(std::exp(best[1]), kSigmaMin, kSigmaMax);
  out.quality.log_likelihood = -best_value;
  out.quality.aic = 4.0 + 2.0 * best_value;
  out.covariance = Covariance(groups, out.mu, out.sigma);
  const bool at_bound = out.sigma <= kSigmaMin * 1.001 || out.sigma >= kSigmaMax * 0.999;
  if (at_bound) {
    out.covariance.clear();
    out.quality.status = FitStatus::kFallback;
    out.quality.reason = fmt::format("sigma ended at its bound {} (no spread of difficulty detected, or none bounded)",
                                     out.sigma);
  } else if (out.covariance.empty()) {
    out.quality.status = FitStatus::kUnidentified;
    out.quality.reason = "the observed information in (mu, sigma) is not positive definite";
  } else {
    out.quality.status = FitStatus::kOk;
  }
  return out;
}

double LogLikelihood(const BetaDifficulty& beta, const std::vector<SampleCount>& problems) {
  double total = 0;
  for (const SampleCount& p : problems) {
    if (p.samples <= 0) continue;
    total += LogChoose(p.samples, p.correct) + LogBeta(p.correct + beta.a, p.samples - p.correct + beta.b) -
             LogBeta(beta.a, beta.b);
  }
  return total;
}

double LogLikelihood(const LogitNormalDifficulty& family, const std::vector<SampleCount>& problems) {
  return -NegativeLogLikelihood(Grouped(problems), family.mu, family.sigma);
}

std::string_view ToString(DifficultyFamilyChoice::Family family) {
  return family == DifficultyFamilyChoice::Family::kBeta ? "beta" : "logit-normal";
}

DifficultyFamilyChoice ChooseDifficultyFamily(const std::vector<SampleCount>& problems, const Options& options) {
  DifficultyFamilyChoice out;
  out.problems = static_cast<long>(problems.size());
  out.beta = FitBetaBinomial(problems, options);
  out.logit_normal = FitLogitNormal(problems, options);
  std::array<std::vector<SampleCount>, 2> folds;
  for (size_t i = 0; i < problems.size(); ++i) folds[i % 2].push_back(problems[i]);
  out.decided = true;
  for (int f = 0; f < 2 && out.decided; ++f) {
    const BetaDifficulty beta = FitBetaBinomial(folds[f], options);
    const LogitNormalDifficulty logit_normal = FitLogitNormal(folds[f], options);
    if (!beta.quality.usable() || !logit_normal.quality.usable()) {
      out.decided = false;
      out.reason = fmt::format("fold {}: beta {}, logit-normal {}: the Beta is kept", f + 1,
                               ToString(beta.quality.status), ToString(logit_normal.quality.status));
      break;
    }
    out.heldout_log_likelihood_beta += LogLikelihood(beta, folds[1 - f]);
    out.heldout_log_likelihood_logit_normal += LogLikelihood(logit_normal, folds[1 - f]);
  }
  if (out.decided && out.heldout_log_likelihood_logit_normal > out.heldout_log_likelihood_beta) {
    out.chosen = DifficultyFamilyChoice::Family::kLogitNormal;
  }
  if (out.decided) {
    out.reason = fmt::format("held-out log-likelihood beta {:.2f}, logit-normal {:.2f}", out.heldout_log_likelihood_beta,
                             out.heldout_log_likelihood_logit_normal);
  }
  return out;
}

std::string DifficultyFamilyChoice::BriefReport() const {
  return fmt::format("{} problems: beta a={:.3g} b={:.3g} ({}), logit-normal mu={:.3g} sigma={:.3g} ({}); chosen {}: {}",
                     problems, beta.a, beta.b, ToString(beta.quality.status), logit_normal.mu, logit_normal.sigma,
                     ToString(logit_normal.quality.status), ToString(chosen), reason);
}

}  // namespace thinkplan::fitting
