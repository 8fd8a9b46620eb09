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

// Problems grouped by (samples, correct): the likelihood needs one quadrature per distinct pair, not per problem.
std::map<std::pair<double, double>, double> Grouped(const std::vector<SampleCount>& problems) {
  std::map<std::pair<double, double>, double> groups;
  for (const SampleCount& p : problems) {
    if (p.samples > 0) groups[{p.samples, p.correct}] += 1.0;
  }
  return groups;
}

// ln(weight), ln p and ln(1 - p) at the nodes of the rule for one (mu, sigma): shared by every (n, c) group, so a
// likelihood costs two transcendentals per node plus one exp per node and group (ln(1 - p) = ln p - x). Where sigma
// is small every `stride`-th node of the standard rule is used (step 0.02 stride, renormalised), keeping
// sigma x step <= 0.25: the error bound exp(-pi^2 / (sigma h)) of core/difficulty.h is then below 1e-17.
struct NodeLogs {
  std::vector<double> log_weight, log_p, log_q;
  NodeLogs(double mu, double sigma) {
    const NormalRule& rule = StandardNormalRule();
    const int stride = std::clamp(static_cast<int>(0.25 / (0.02 * sigma)), 1, kMaxStride);
    const std::vector<std::pair<size_t, double>>& kept = Kept(stride);
    log_weight.resize(kept.size()), log_p.resize(kept.size()), log_q.resize(kept.size());
    for (size_t m = 0; m < kept.size(); ++m) {
      const double x = mu + sigma * rule.nodes[kept[m].first];
      log_weight[m] = kept[m].second;
      log_p[m] = LogSigmoid(x);
      log_q[m] = log_p[m] - x;
    }
  }

 private:
  static constexpr int kMaxStride = 12;
  // The nodes of the standard rule kept at `stride` (those at a multiple of stride x 0.02, symmetric about 0) with
  // their log weights renormalised to sum to 1.
  static const std::vector<std::pair<size_t, double>>& Kept(int stride) {
    static const std::vector<std::vector<std::pair<size_t, double>>> tables = [] {
      const NormalRule& rule = StandardNormalRule();
      const long half = static_cast<long>(rule.nodes.size() / 2);
      std::vector<std::vector<std::pair<size_t, double>>> out(kMaxStride + 1);
      for (int s = 1; s <= kMaxStride; ++s) {
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
};

// ln E[p^c (1 - p)^(n - c)], p = sigmoid(mu + sigma Z), by log-sum-exp over the nodes.
double LogMarginal(const NodeLogs& logs, double n, double c) {
  std::vector<double> terms(logs.log_p.size());
  double top = -INFINITY;
  for (size_t j = 0; j < terms.size(); ++j) {
    terms[j] = logs.log_weight[j] + c * logs.log_p[j] + (n - c) * logs.log_q[j];
    top = std::max(top, terms[j]);
  }
  double sum = 0;
  for (const double t : terms) sum += t - top > -745.0 ? std::exp(t - top) : 0.0;  // exp underflows below
  return top + std::log(sum);
}

double NegativeLogLikelihood(const std::map<std::pair<double, double>, double>& groups, double mu, double sigma) {
  const NodeLogs logs(mu, sigma);
  double total = 0;
  for (const auto& [nc, count] : groups) {
    total += count * (LogChoose(nc.first, nc.second) + LogMarginal(logs, nc.first, nc.second));
  }
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
  const auto groups = Grouped(problems);
  const auto objective = [&](const std::array<double, 2>& x) {
    return NegativeLogLikelihood(groups, x[0], std::clamp(std::exp(x[1]), kSigmaMin, kSigmaMax));
  };
  // Starts at the pooled logit and three spreads; the best end wins (the likelihood can be flat in sigma).
  const double mu0 = Logit(std::clamp(correct / samples, 1e-3, 1 - 1e-3));
  std::array<double, 2> best{mu0, 0.0};
  double best_value = INFINITY;
  std::vector<std::array<double, 2>> starts = {{mu0, std::log(0.5)}, {mu0, std::log(1.5)}, {mu0, std::log(4.0)}};
  if (start != nullptr) starts = {{start->mu, std::log(std::clamp(start->sigma, kSigmaMin, kSigmaMax))}};
  for (const std::array<double, 2>& x0 : starts) {
    int iterations = 0;
    const auto x = NelderMead(objective, x0, options.max_iterations * 4, 1e-10, &iterations);
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
