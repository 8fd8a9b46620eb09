#include "fitting/beta_fit.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <boost/math/special_functions/digamma.hpp>
#include <boost/math/special_functions/trigamma.hpp>
#include <fmt/format.h>

#include "core/errors.h"
#include "core/special_functions.h"
#include "core/timing.h"
#include "fitting/binomial_mle.h"

namespace thinkplan::fitting {
namespace {

using boost::math::digamma;
using boost::math::trigamma;

struct Derivatives {
  double ll = 0.0;
  double ga = 0.0, gb = 0.0;             // gradient in (a, b)
  double haa = 0.0, hab = 0.0, hbb = 0.0;  // Hessian in (a, b)
};

// sum_i ln B(c_i + a, n_i - c_i + b) - ln B(a, b) + ln C(n_i, c_i) and its first two derivatives.
// Over problems pooled by (n, c) (GroupSampleCounts), each pair's terms times its number of problems.
Derivatives Evaluate(const std::vector<SampleCountGroup>& groups, double a, double b, bool second) {
  Derivatives d;
  const double psi_ab = digamma(a + b), psi_a = digamma(a), psi_b = digamma(b);
  const double tri_ab = second ? trigamma(a + b) : 0.0, tri_a = second ? trigamma(a) : 0.0;
  const double tri_b = second ? trigamma(b) : 0.0;
  const double log_beta = LogBeta(a, b);
  for (const SampleCountGroup& g : groups) {
    const double n = g.samples, c = g.correct, w = g.problems;
    d.ll += w * (LogChoose(n, c) + LogBeta(c + a, n - c + b) - log_beta);
    const double psi_n = digamma(n + a + b);
    d.ga += w * (digamma(c + a) - psi_n - psi_a + psi_ab);
    d.gb += w * (digamma(n - c + b) - psi_n - psi_b + psi_ab);
    if (second) {
      const double tri_n = trigamma(n + a + b);
      d.haa += w * (trigamma(c + a) - tri_n - tri_a + tri_ab);
      d.hab += w * (-tri_n + tri_ab);
      d.hbb += w * (trigamma(n - c + b) - tri_n - tri_b + tri_ab);
    }
  }
  return d;
}

// Method-of-moments start: the spread of the observed rates beyond what binomial noise explains.
std::pair<double, double> MomentStart(const std::vector<SampleCount>& problems) {
  double m = 0.0, m2 = 0.0, inv_n = 0.0;
  for (const SampleCount& p : problems) {
    const double r = p.correct / p.samples;
    m += r;
    m2 += r * r;
    inv_n += 1.0 / p.samples;
  }
  const double count = static_cast<double>(problems.size());
  m /= count;
  const double v = std::max(m2 / count - m * m, 1e-12);
  const double binomial = m * (1.0 - m) * inv_n / count;
  double s = v > binomial ? (m * (1.0 - m) - v) / (v - binomial) : 1e3;
  s = std::clamp(s, 0.05, 1e3);
  m = std::clamp(m, 1e-3, 1.0 - 1e-3);
  return {m * s, (1.0 - m) * s};
}

void FillSummary(const BetaDifficulty& beta, const Options& options, Summary* summary) {
  summary->kind = "parallel";
  summary->form = "beta";
  summary->quality = beta.quality;
  summary->confidence_level = options.confidence_level;
  if (!beta.quality.usable()) return;
  summary->parameters = {{"a", beta.a, beta.AInterval(options.confidence_level)},
                         {"b", beta.b, beta.BInterval(options.confidence_level)}};
  for (long k : {1L, 10L, 100L}) {
    summary->derived.push_back({fmt::format("pass@{}", k), beta.PassAtK(k), beta.PassAtKBand(k, options.confidence_level)});
  }
}

}  // namespace

std::vector<SampleCount> SampleCountsFromProblems(const std::vector<ProblemResult>& problems) {
  std::vector<SampleCount> counts;
  counts.reserve(problems.size());
  for (const ProblemResult& p : problems) counts.push_back({static_cast<double>(p.samples), p.correct});
  return counts;
}

std::vector<SampleCountGroup> GroupSampleCounts(const std::vector<SampleCount>& problems) {
  std::map<std::pair<double, double>, double> counts;
  for (const SampleCount& p : problems) {
    if (p.samples > 0) counts[{p.samples, p.correct}] += 1.0;
  }
  std::vector<SampleCountGroup> groups;
  groups.reserve(counts.size());
  for (const auto& [nc, count] : counts) groups.push_back({nc.first, nc.second, count});
  return groups;
}

BetaDifficulty FitBetaBinomial(const std::vector<SampleCount>& input, const Options& options, Summary* summary) {
  const Stopwatch started;
  std::string error;
  if (!options.IsValid(&error)) throw UsageError("fit options: " + error);
  std::vector<SampleCount> problems;
  double samples = 0.0, right = 0.0, most_samples = 0.0;
  for (size_t i = 0; i < input.size(); ++i) {
    const SampleCount& p = input[i];
    if (!std::isfinite(p.samples) || !std::isfinite(p.correct) || p.correct < 0.0 || p.correct > p.samples) {
      throw InputError(SourceLocation{"problems", static_cast<long>(i + 1), "correct", fmt::format("{}", p.correct)},
                       "correct must be a number in [0, samples]");
    }
    if (p.samples <= 0.0) continue;
    problems.push_back(p);
    samples += p.samples;
    right += p.correct;
    most_samples = std::max(most_samples, p.samples);
  }
  BetaDifficulty beta;
  beta.quality.n_points = static_cast<long>(problems.size());
  const auto done = [&]() {
    if (summary != nullptr) {
      *summary = Summary{};
      FillSummary(beta, options, summary);
      summary->seconds = started.Seconds();
    }
    return beta;
  };
  if (problems.empty()) {
    beta.quality.reason = "no problem with samples";
    return done();
  }
  if (right == 0.0 || right == samples) {
    beta.quality.reason = right == 0.0 ? "every sample of every problem was wrong: no spread to fit"
                                       : "every sample of every problem was right: no spread to fit";
    return done();
  }
  if (most_samples < 2.0) {
    beta.quality.reason = "one sample per problem identifies only the mean a / (a + b)";
    return done();
  }

  const double log_min = std::log(options.beta_min), log_max = std::log(options.beta_max);
  auto [a, b] = MomentStart(problems);
  double x[2] = {std::log(a), std::log(b)};
  const std::vector<SampleCountGroup> groups = GroupSampleCounts(problems);
  Derivatives d = Evaluate(groups, a, b, true);
  bool converged = false;
  int iteration = 0;
  for (; iteration < options.max_iterations && !converged; ++iteration) {
    // Gradient and Hessian in (ln a, ln b): chain rule with d a / d ln a = a.
    const double g0 = a * d.ga, g1 = b * d.gb;
    const double h00 = a * a * d.haa + g0, h01 = a * b * d.hab, h11 = b * b * d.hbb + g1;
    double step[2];
    const double det = h00 * h11 - h01 * h01;
    if (h00 < 0.0 && det > 0.0) {  // concave here: Newton ascent
      step[0] = -(h11 * g0 - h01 * g1) / det;
      step[1] = -(-h01 * g0 + h00 * g1) / det;
    } else {  // not concave: a scaled gradient step
      const double norm = std::max(1.0, std::hypot(g0, g1));
      step[0] = g0 / norm;
      step[1] = g1 / norm;
    }
    double t = 1.0;
    Derivatives next;
    double candidate[2];
    for (int halving = 0; halving < 60; ++halving, t *= 0.5) {
      candidate[0] = std::clamp(x[0] + t * step[0], log_min, log_max);
      candidate[1] = std::clamp(x[1] + t * step[1], log_min, log_max);
      next = Evaluate(groups, std::exp(candidate[0]), std::exp(candidate[1]), false);
      if (next.ll >= d.ll - 1e-12 * std::abs(d.ll)) break;
    }
    const double moved = std::hypot(candidate[0] - x[0], candidate[1] - x[1]);
    const double gain = next.ll - d.ll;
    x[0] = candidate[0];
    x[1] = candidate[1];
    a = std::exp(x[0]);
    b = std::exp(x[1]);
    d = Evaluate(groups, a, b, true);
    converged = moved < options.parameter_tolerance ||
                (std::abs(gain) <= options.function_tolerance * std::max(1.0, std::abs(d.ll)) && moved < 1e-6);
  }
  beta.a = a;
  beta.b = b;
  FitQuality& q = beta.quality;
  q.iterations = iteration;
  q.log_likelihood = d.ll;
  q.aic = 4.0 - 2.0 * d.ll;
  const bool at_bound = std::min(x[0], x[1]) <= log_min + 1e-9 || std::max(x[0], x[1]) >= log_max - 1e-9;
  // Observed information in (a, b).
  const double det = d.haa * d.hbb - d.hab * d.hab;
  if (d.haa < 0.0 && det > 0.0) beta.covariance = {-d.hbb / det, d.hab / det, d.hab / det, -d.haa / det};
  if (!converged) {
    q.status = FitStatus::kNotConverged;
    q.reason = fmt::format("Newton iterations stopped after {} steps", iteration);
  } else if (at_bound) {
    q.status = FitStatus::kFallback;
    q.reason = fmt::format("a or b at its bound [{:g}, {:g}]: {}", options.beta_min, options.beta_max,
                           std::max(x[0], x[1]) >= log_max - 1e-9 ? "no spread of difficulty beyond binomial noise"
                                                                  : "problems split into always / never solved");
  } else {
    q.status = FitStatus::kOk;
  }
  return done();
}

BetaDifficulty FitBetaFromPassAtK(const std::vector<PassAtKPoint>& input, const Options& options, Summary* summary) {
  const Stopwatch started;
  std::string error;
  if (!options.IsValid(&error)) throw UsageError("fit options: " + error);
  std::vector<BinomialObservation> data;
  std::set<long> ks;
  for (size_t i = 0; i < input.size(); ++i) {
    const PassAtKPoint& p = input[i];
    if (!std::isfinite(p.n_problems) || !std::isfinite(p.n_correct) || p.n_correct < 0 || p.n_correct > p.n_problems) {
      throw InputError(SourceLocation{"pass@k points", static_cast<long>(i + 1), "n_correct",
                                      fmt::format("{}", p.n_correct)},
                       "n_correct must be a number in [0, n_problems]");
    }
    if (p.k < 1 || p.n_problems <= 0) continue;
    data.push_back({static_cast<double>(p.k), 0.0, p.n_problems, p.n_correct});
    ks.insert(p.k);
  }
  BetaDifficulty beta;
  beta.quality.n_points = static_cast<long>(data.size());
  if (ks.size() < 2) {
    beta.quality.reason = fmt::format("needs pass@k at two distinct k, got {}", ks.size());
  } else {
    MleOptions mle;
    mle.max_iterations = options.max_iterations;
    mle.function_tolerance = options.function_tolerance;
    mle.gradient_tolerance = options.gradient_tolerance;
    mle.parameter_tolerance = options.parameter_tolerance;
    mle.lower = {std::log(options.beta_min), std::log(options.beta_min)};
    mle.upper = {std::log(options.beta_max), std::log(options.beta_max)};
    // Start with the mean from the smallest k and a U-shaped spread.
    const BinomialObservation& first = *std::min_element(
        data.begin(), data.end(), [](const auto& l, const auto& r) { return l.x1 < r.x1; });
    const double m = std::clamp(1.0 - std::pow(1.0 - first.y / first.n, 1.0 / first.x1), 0.01, 0.99);
    const MleResult fit = FitBinomialMle(BinomialModel::kBetaPassAtK, data, {std::log(m), std::log(1.0 - m)}, mle);
    beta.a = fit.natural[0];
    beta.b = fit.natural[1];
    beta.covariance = fit.covariance;
    beta.quality = QualityOf(fit, beta.quality.n_points, "a or b at its bound");
  }
  if (summary != nullptr) {
    *summary = Summary{};
    FillSummary(beta, options, summary);
    summary->form = "beta (aggregate pass@k)";
    summary->notes.push_back("points from the same problems are correlated: intervals are optimistic");
    summary->seconds = started.Seconds();
  }
  return beta;
}

}  // namespace thinkplan::fitting
