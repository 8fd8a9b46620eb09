#include "fitting/difficulty_family.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "core/special_functions.h"

namespace thinkplan::fitting {
namespace {

constexpr double kSigmaMin = 0.01, kSigmaMax = 20.0;

// Problems grouped by (samples, correct): the likelihood needs one quadrature per distinct pair, not per problem.
struct Group {
  double samples = 0, correct = 0, count = 0;
  double log_choose = 0;  // ln C(samples, correct), once per group rather than once per evaluation
};
struct Groups {
  std::vector<Group> items;
  double max_samples = 0;
};

Groups Grouped(const std::vector<SampleCount>& problems) {
  Groups groups;
  for (const SampleCountGroup& g : GroupSampleCounts(problems)) {
    groups.items.push_back({g.samples, g.correct, g.problems, LogChoose(g.samples, g.correct)});
    groups.max_samples = std::max(groups.max_samples, g.samples);
  }
  return groups;
}

// Which nodes of the standard rule (z-step 0.02) a likelihood needs: every `stride`-th, z-step h = 0.02 stride, such
// that sigma h <= 0.25 (the sigmoid's poles at imaginary distance pi / sigma: error bound exp(-pi^2 / (sigma h)),
// below 1e-17) and h sqrt(sigma^2 n / 4 + 1) <= 0.5 for the largest n (p^c (1 - p)^(n - c) N(z) is a peak in z no
// narrower than 1 / sqrt(sigma^2 n / 4 + 1), and the trapezoid rule's error on a Gaussian of width w is
// 2 exp(-2 pi^2 w^2 / h^2), below 1e-30 at w / h = 2). The test `coarse_rule_matches_a_high_order_reference` checks
// the thinned rule against Simpson's rule on 48,000 intervals up to n = 200.
int Stride(double sigma, double max_samples) {
  constexpr int kMaxStride = 12;
  const double h = std::min(0.25 / sigma, 0.5 / std::sqrt(sigma * sigma * max_samples / 4.0 + 1.0));
  return std::clamp(static_cast<int>(std::min(h / 0.02, 1e6)), 1, kMaxStride);
}

// The nodes kept at `stride` (those at a multiple of stride x 0.02, symmetric about 0) with their log weights
// renormalised to sum to 1, as (index into the standard rule, ln weight).
const std::vector<std::pair<size_t, double>>& KeptNodes(int stride) {
  static const std::vector<std::vector<std::pair<size_t, double>>> tables = [] {
    const NormalRule& rule = StandardNormalRule();
    const long half = static_cast<long>(rule.nodes.size() / 2);
    std::vector<std::vector<std::pair<size_t, double>>> out(13);
    for (int s = 1; s < static_cast<int>(out.size()); ++s) {
      double total = 0;
      for (size_t j = 0; j < rule.nodes.size(); ++j) {
        if ((static_cast<long>(j) - half) % s == 0) total += rule.weights[j];
      }
      for (size_t j = 0; j < rule.nodes.size(); ++j) {
        if ((static_cast<long>(j) - half) % s == 0) out[s].emplace_back(j, std::log(rule.weights[j] / total));
      }
    }
    return out;
  }();
  return tables[stride];
}

// z, ln(weight), ln p, ln(1 - p) and p at the kept nodes for one (mu, sigma): shared by every (n, c) group, so a
// likelihood costs a few transcendentals per node plus one exp per node and group (ln(1 - p) = ln p - x).
struct NodeLogs {
  std::vector<double> z, log_weight, log_p, log_q, p;
  NodeLogs(double mu, double sigma, double max_samples) {
    const NormalRule& rule = StandardNormalRule();
    const auto& kept = KeptNodes(Stride(sigma, max_samples));
    for (std::vector<double>* v : {&z, &log_weight, &log_p, &log_q, &p}) v->resize(kept.size());
    for (size_t m = 0; m < kept.size(); ++m) {
      z[m] = rule.nodes[kept[m].first];
      const double x = mu + sigma * z[m];
      log_weight[m] = kept[m].second;
      log_p[m] = LogSigmoid(x);
      log_q[m] = log_p[m] - x;
      p[m] = std::exp(log_p[m]);
    }
  }
};

// exp(terms - max) in place, so that they sum to one; returns ln of the sum of exp(terms). Terms more than 40 below
// the largest are dropped unexponentiated: at most 901 of them change the sum by under 901 e^-40 = 4e-15 of itself,
// and they are most of the nodes when the posterior is narrow (the exponent is concave in z, so what is kept is one
// window about the peak).
double Normalise(std::vector<double>& terms) {
  const double top = *std::max_element(terms.begin(), terms.end());
  double sum = 0;
  for (double& t : terms) {
    t = t - top > -40.0 ? std::exp(t - top) : 0.0;
    sum += t;
  }
  for (double& t : terms) t /= sum;
  return top + std::log(sum);
}

// ln E[p^c (1 - p)^(n - c)], p = sigmoid(mu + sigma Z), by log-sum-exp over the nodes; `posterior` (when given)
// receives each node's share of the sum: the posterior of z given the group's counts.
double LogMarginal(const NodeLogs& logs, double n, double c, std::vector<double>& posterior) {
  posterior.resize(logs.log_p.size());
  for (size_t j = 0; j < posterior.size(); ++j) {
    posterior[j] = logs.log_weight[j] + c * logs.log_p[j] + (n - c) * logs.log_q[j];
  }
  return Normalise(posterior);
}

double NegativeLogLikelihood(const Groups& groups, double mu, double sigma) {
  const NodeLogs logs(mu, sigma, groups.max_samples);
  std::vector<double> posterior;
  double total = 0;
  for (const Group& g : groups.items) {
    total += g.count * (g.log_choose + LogMarginal(logs, g.samples, g.correct, posterior));
  }
  return -total;
}

// The negative log-likelihood with its gradient and Hessian in (mu, sigma), by the same rule. With the score of one
// group's exponent u(x) = c - n p and its slope u' = -n p (1 - p), x = mu + sigma z, and E the posterior over the
// nodes: d ln L / d mu = E[u], d ln L / d sigma = E[u z], and the second derivatives are posterior covariances plus
// the mean slope: d2 / d mu2 = Var[u] + E[u'], d2 / d mu d sigma = Cov[u, u z] + E[u' z],
// d2 / d sigma2 = Var[u z] + E[u' z^2] (docs/formulas.md section 4).
struct Local {
  double value = 0;
  double d_mu = 0, d_sigma = 0;                // gradient
  double d_mu_mu = 0, d_mu_sigma = 0, d_sigma_sigma = 0;  // Hessian
};

Local NegativeLogLikelihoodWithDerivatives(const Groups& groups, double mu, double sigma) {
  const NodeLogs logs(mu, sigma, groups.max_samples);
  std::vector<double> posterior;
  Local out;
  for (const Group& g : groups.items) {
    const double log_marginal = LogMarginal(logs, g.samples, g.correct, posterior);
    double e_u = 0, e_uz = 0, e_uu = 0, e_uuz = 0, e_uzuz = 0, e_s = 0, e_sz = 0, e_szz = 0;
    for (size_t j = 0; j < posterior.size(); ++j) {
      const double r = posterior[j], z = logs.z[j];
      const double u = g.correct - g.samples * logs.p[j], slope = -g.samples * logs.p[j] * (1.0 - logs.p[j]);
      e_u += r * u, e_uz += r * u * z, e_uu += r * u * u, e_uuz += r * u * u * z, e_uzuz += r * u * u * z * z;
      e_s += r * slope, e_sz += r * slope * z, e_szz += r * slope * z * z;
    }
    out.value -= g.count * (g.log_choose + log_marginal);
    out.d_mu -= g.count * e_u;
    out.d_sigma -= g.count * e_uz;
    out.d_mu_mu -= g.count * (e_uu - e_u * e_u + e_s);
    out.d_mu_sigma -= g.count * (e_uuz - e_u * e_uz + e_sz);
    out.d_sigma_sigma -= g.count * (e_uzuz - e_uz * e_uz + e_szz);
  }
  return out;
}

struct Optimum {
  double mu = 0, sigma = 1, value = INFINITY;
  int iterations = 0;
};

// The damped Newton step on (mu, s) for gradient g and Hessian h (h[0] mu-mu, h[1] mu-s, h[2] s-s) plus lambda on
// the diagonal; s held where `pinned`; empty when the damped Hessian is not positive definite.
std::optional<std::array<double, 2>> NewtonStep(const std::array<double, 2>& g, const std::array<double, 3>& h,
                                                double lambda, bool pinned) {
  const double a = h[0] + lambda, b = h[1], d = h[2] + lambda;
  if (pinned) {
    if (!(a > 0)) return std::nullopt;
    return std::array<double, 2>{-g[0] / a, 0.0};
  }
  const double det = a * d - b * b;
  if (!(a > 0 && det > 1e-14 * std::max(a * a, d * d))) return std::nullopt;
  std::array<double, 2> step = {(-d * g[0] + b * g[1]) / det, (b * g[0] - a * g[1]) / det};
  // A step longer than the likelihood's scale is shortened: logit 5 and a factor e^1.5 in sigma.
  const double scale = std::max({1.0, std::abs(step[0]) / 5.0, std::abs(step[1]) / 1.5});
  return std::array<double, 2>{step[0] / scale, step[1] / scale};
}

// Levenberg-Marquardt on (mu, s = ln sigma) with the analytic gradient and Hessian, s kept in
// [ln kSigmaMin, ln kSigmaMax] (at a bound with the descent pointing out, mu alone moves). Newton's step where the
// Hessian is positive definite and the step lowers the objective; otherwise lambda on the diagonal, raised tenfold
// until it does. Stops when the Newton decrement g' H^-1 g / 2 is below 1e-12 (the step is taken: quadratic
// convergence puts the optimum within ~1e-6 standard errors) or no damped step lowers the objective.
Optimum MinimiseNewton(const Groups& groups, double mu, double sigma, int max_iterations) {
  const double s_lo = std::log(kSigmaMin), s_hi = std::log(kSigmaMax);
  double s = std::clamp(std::log(sigma), s_lo, s_hi);
  Local at = NegativeLogLikelihoodWithDerivatives(groups, mu, std::exp(s));
  double lambda = 0;
  int it = 0;
  for (bool done = false; it < max_iterations && !done; ++it) {
    const double sg = std::exp(s);
    const std::array<double, 2> g = {at.d_mu, sg * at.d_sigma};
    const std::array<double, 3> h = {at.d_mu_mu, sg * at.d_mu_sigma, sg * sg * at.d_sigma_sigma + sg * at.d_sigma};
    const bool pinned = (s <= s_lo && g[1] > 0) || (s >= s_hi && g[1] < 0);
    done = true;
    for (int attempt = 0; attempt < 40; ++attempt) {
      const std::optional<std::array<double, 2>> step = NewtonStep(g, h, lambda, pinned);
      if (!step) {
        lambda = std::max(10.0 * lambda, 1e-3 * (std::abs(h[0]) + std::abs(h[2]) + 1e-12));
        continue;
      }
      const double next_mu = mu + (*step)[0], next_s = std::clamp(s + (*step)[1], s_lo, s_hi);
      const double decrement = -0.5 * (g[0] * (*step)[0] + g[1] * (next_s - s));
      const bool converged = lambda == 0 && decrement < 1e-12;
      // The trial point's derivatives come with its value: most trials are taken.
      const Local trial = NegativeLogLikelihoodWithDerivatives(groups, next_mu, std::exp(next_s));
      if (!converged && !(trial.value < at.value)) {
        lambda = std::max(10.0 * lambda, 1e-3 * (std::abs(h[0]) + std::abs(h[2]) + 1e-12));
        continue;
      }
      mu = next_mu, s = next_s, at = trial;
      lambda /= 10.0;
      if (lambda < 1e-12) lambda = 0;
      done = converged;
      break;
    }
  }
  return {mu, std::exp(s), at.value, it};
}

// Inverse observed information in (mu, sigma) from the analytic Hessian; empty when not positive definite.
std::vector<double> Covariance(const Groups& groups, double mu, double sigma) {
  const Local at = NegativeLogLikelihoodWithDerivatives(groups, mu, sigma);
  const double haa = at.d_mu_mu, hbb = at.d_sigma_sigma, hab = at.d_mu_sigma;
  const double det = haa * hbb - hab * hab;
  if (!(haa > 0 && det > 1e-13 * std::max(haa * haa, hbb * hbb))) return {};
  return {hbb / det, -hab / det, -hab / det, haa / det};
}

}  // namespace

LogitNormalDifficulty FitLogitNormal(const std::vector<SampleCount>& problems, const Options& options,
                                     const LogitNormalDifficulty* start) {
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
  const Groups groups = Grouped(problems);
  // Starts at the pooled logit and three spreads; the best end wins (the likelihood can be flat in sigma).
  const double mu0 = Logit(std::clamp(correct / samples, 1e-3, 1 - 1e-3));
  std::vector<std::pair<double, double>> starts = {{mu0, 0.5}, {mu0, 1.5}, {mu0, 4.0}};
  if (start != nullptr) starts = {{start->mu, start->sigma}};
  Optimum best;
  for (const auto& [mu, sigma] : starts) {
    const Optimum end = MinimiseNewton(groups, mu, sigma, options.max_iterations);
    out.quality.iterations += end.iterations;
    if (end.value < best.value) best = end;
  }
  out.mu = best.mu;
  out.sigma = best.sigma;
  out.quality.log_likelihood = -best.value;
  out.quality.aic = 4.0 + 2.0 * best.value;
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
  const double log_beta = LogBeta(beta.a, beta.b);
  for (const SampleCountGroup& g : GroupSampleCounts(problems)) {
    total += g.problems *
             (LogChoose(g.samples, g.correct) + LogBeta(g.correct + beta.a, g.samples - g.correct + beta.b) - log_beta);
  }
  return total;
}

double LogLikelihood(const LogitNormalDifficulty& family, const std::vector<SampleCount>& problems) {
  return -NegativeLogLikelihood(Grouped(problems), family.mu, family.sigma);
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
    // From the whole-data fit: a fold's optimum lies near it, so one start does what three do on the whole.
    const LogitNormalDifficulty logit_normal =
        FitLogitNormal(folds[f], options, out.logit_normal.quality.usable() ? &out.logit_normal : nullptr);
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
