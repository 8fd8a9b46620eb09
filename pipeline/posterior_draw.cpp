#include "pipeline/posterior_draw.h"

#include <algorithm>
#include <cmath>

#include "sim/monte_carlo_problem.h"

namespace thinkplan::pipeline {
namespace {

// Tags of the sweep's Philox streams, apart from the simulator's (tags 0-3 and 2 + 256 a) by their high bit.
constexpr uint32_t kCurveStreamTag = 0x80000000u;
constexpr uint32_t kRunStreamTag = 0xA0000000u;  // plus the run's ordinal (below 2^29)
constexpr uint32_t kProxyStreamTag = 0xE0000000u;  // plus the class's index (below 2^28)

// `n` standard normals of the Philox stream (seed, draw, tag).
std::vector<double> NormalsOfStream(uint64_t seed, uint64_t draw, uint32_t tag, std::size_t n) {
  sim::detail::UniformStream uniforms{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                                      static_cast<uint32_t>(draw), static_cast<uint32_t>(draw >> 32), tag};
  std::vector<double> z(n);
  for (double& x : z) x = sim::detail::Normal(uniforms);
  return z;
}

bool AllFinite(const std::vector<double>& v) {
  return std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
}

// J C J' for row-major J (n x n) and C (n x n).
std::vector<double> Sandwich(const std::vector<double>& j, const std::vector<double>& c, std::size_t n) {
  std::vector<double> jc(n * n, 0.0), out(n * n, 0.0);
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t k = 0; k < n; ++k)
      for (std::size_t m = 0; m < n; ++m) jc[r * n + k] += j[r * n + m] * c[m * n + k];
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t k = 0; k < n; ++k)
      for (std::size_t m = 0; m < n; ++m) out[r * n + k] += jc[r * n + m] * j[k * n + m];
  return out;
}

// Draws one curve: internal = scale.internal + L z; `fixed` when its covariance cannot be drawn from.
template <typename Curve, typename FromInternal>
Curve DrawOne(const Curve& fitted, const DrawScale& scale, uint64_t seed, uint64_t draw, uint32_t stream,
              FromInternal from_internal, CurveDrawCounts* counts) {
  std::vector<double> x;
  const std::vector<double> z = StandardNormals(seed, draw, stream, scale.internal.size());
  if (scale.covariance.empty() || !MultivariateNormal(scale.internal, scale.covariance, z, &x)) {
    ++counts->fixed;
    return fitted;
  }
  ++counts->drawn;
  return from_internal(fitted, x);
}

}  // namespace

std::vector<double> StandardNormals(uint64_t seed, uint64_t draw, uint32_t stream, std::size_t n) {
  return NormalsOfStream(seed, draw, kCurveStreamTag | stream, n);
}

std::vector<double> ProxyTransferNormals(uint64_t seed, uint64_t draw, uint32_t class_index, std::size_t buckets) {
  return NormalsOfStream(seed, draw, kProxyStreamTag | (class_index & 0x0FFFFFFFu), buckets);
}

bool MultivariateNormal(const std::vector<double>& mean, const std::vector<double>& covariance,
                        const std::vector<double>& z, std::vector<double>* out) {
  const std::size_t n = mean.size();
  *out = mean;
  if (covariance.size() != n * n || z.size() != n || !AllFinite(covariance)) return false;
  double scale = 0;
  for (std::size_t i = 0; i < n; ++i) scale = std::max(scale, std::abs(covariance[i * n + i]));
  const double tolerance = 1e-12 * std::max(scale, 1e-300);
  std::vector<double> l(n * n, 0.0);
  for (std::size_t j = 0; j < n; ++j) {
    double pivot = covariance[j * n + j];
    for (std::size_t k = 0; k < j; ++k) pivot -= l[j * n + k] * l[j * n + k];
    if (pivot < -tolerance * 1e3) return false;  // indefinite beyond rounding
    if (pivot <= tolerance) continue;           // no variance left in this direction: a zero column
    l[j * n + j] = std::sqrt(pivot);
    for (std::size_t i = j + 1; i < n; ++i) {
      double s = covariance[i * n + j];
      for (std::size_t k = 0; k < j; ++k) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = s / l[j * n + j];
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t k = 0; k <= i; ++k) (*out)[i] += l[i * n + k] * z[k];
  }
  return true;
}

DrawScale SequentialDrawScale(const SequentialCurve& curve) {
  DrawScale s;
  const std::size_t n = curve.params.size();
  if (curve.form == SequentialForm::kLogLinear || n != 4) {
    s.internal = curve.params;
    s.covariance = curve.covariance;
    return s;
  }
  // The fit's own scale (fitting/binomial_mle.cpp ToInternal): lo, gap = (hi - lo) / (1 - lo), ln k, ln b50.
  const double lo = std::clamp(curve.params[0], 0.0, 1.0 - 1e-9), hi = curve.params[1], k = curve.params[2];
  s.internal = {lo, std::clamp((hi - lo) / (1 - lo), 0.0, 1.0), std::log(k), curve.params[3]};
  if (curve.covariance.size() != 16 || !(k > 0)) return s;
  const std::vector<double> j = {1, 0, 0, 0,                                          //
                                 (hi - 1) / ((1 - lo) * (1 - lo)), 1 / (1 - lo), 0, 0,  //
                                 0, 0, 1 / k, 0,                                      //
                                 0, 0, 0, 1};
  s.covariance = Sandwich(j, curve.covariance, 4);
  return s;
}

// (mu, sigma) drawn as (mu, ln sigma): the token model's LogNormal and the logit-normal difficulty alike.
DrawScale MuLogSigmaScale(double mu, double sigma, const std::vector<double>& covariance) {
  DrawScale s;
  s.internal = {mu, std::log(std::max(sigma, 1e-300))};
  if (covariance.size() == 4 && sigma > 0) s.covariance = Sandwich({1, 0, 0, 1 / sigma}, covariance, 2);
  return s;
}

DrawScale TokenDrawScale(const TokenModel& model) { return MuLogSigmaScale(model.mu, model.sigma, model.covariance); }

DrawScale LogitNormalDrawScale(const LogitNormalDifficulty& difficulty) {
  return MuLogSigmaScale(difficulty.mu, difficulty.sigma, difficulty.covariance);
}

DrawScale BetaDrawScale(const BetaDifficulty& beta) {
  DrawScale s;
  s.internal = {std::log(std::max(beta.a, 1e-300)), std::log(std::max(beta.b, 1e-300))};
  if (beta.covariance.size() == 4 && beta.a > 0 && beta.b > 0) {
    s.covariance = Sandwich({1 / beta.a, 0, 0, 1 / beta.b}, beta.covariance, 2);
  }
  return s;
}

SequentialCurve SequentialFromInternal(const SequentialCurve& fitted, const std::vector<double>& x) {
  SequentialCurve out = fitted;
  if (fitted.form == SequentialForm::kLogLinear || x.size() != 4) {
    out.params = x;
    return out;
  }
  // The fit's bounds (fitting/sequential_fit.cpp SigmoidBounds): lo in [0, 1), the relative gap in [0, 1].
  const double lo = std::clamp(x[0], 0.0, 1.0 - 1e-9);
  const double gap = std::clamp(x[1], 0.0, 1.0);
  out.params = {lo, lo + gap * (1 - lo), std::exp(x[2]), x[3]};
  return out;
}

TokenModel TokenFromInternal(const TokenModel& fitted, const std::vector<double>& x) {
  TokenModel out = fitted;
  out.mu = x[0];
  out.sigma = std::exp(x[1]);
  return out;
}

LogitNormalDifficulty LogitNormalFromInternal(const LogitNormalDifficulty& fitted, const std::vector<double>& x) {
  LogitNormalDifficulty out = fitted;
  out.mu = x[0];
  out.sigma = std::exp(x[1]);
  return out;
}

BetaDifficulty BetaFromInternal(const BetaDifficulty& fitted, const std::vector<double>& x) {
  BetaDifficulty out = fitted;
  out.a = std::exp(x[0]);
  out.b = std::exp(x[1]);
  return out;
}

CurveSet DrawCurveSet(const CurveSet& fitted, uint64_t seed, uint64_t draw, CurveDrawCounts* counts) {
  CurveDrawCounts local;
  CurveDrawCounts& c = counts ? *counts : local;
  CurveSet out = fitted;
  uint32_t ordinal = 0;
  for (const auto& [key, curves] : fitted.all()) {
    FittedCurves& drawn = out.At(key);
    const uint32_t stream = ordinal++ * 4;  // one stream per (fit, part)
    if (curves.sequential) {
      drawn.sequential = DrawOne(*curves.sequential, SequentialDrawScale(*curves.sequential), seed, draw, stream,
                                 SequentialFromInternal, &c);
    }
    if (curves.tokens) {
      drawn.tokens = DrawOne(*curves.tokens, TokenDrawScale(*curves.tokens), seed, draw, stream + 1, TokenFromInternal, &c);
    }
    if (curves.difficulty) {
      drawn.difficulty =
          DrawOne(*curves.difficulty, BetaDrawScale(*curves.difficulty), seed, draw, stream + 2, BetaFromInternal, &c);
    }
    if (curves.logit_normal) {
      drawn.logit_normal = DrawOne(*curves.logit_normal, LogitNormalDrawScale(*curves.logit_normal), seed, draw,
                                   stream + 3, LogitNormalFromInternal, &c);
    }
  }
  return out;
}

std::vector<Run> DrawRuns(const std::vector<Run>& runs, uint64_t seed, uint64_t draw) {
  std::vector<Run> out = runs;
  for (std::size_t i = 0; i < out.size(); ++i) {
    Run& r = out[i];
    if (r.n_problems <= 0) continue;
    const double n = static_cast<double>(r.n_problems);
    const double correct = std::clamp(r.n_correct, 0.0, n);
    sim::detail::UniformStream uniforms{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                                        static_cast<uint32_t>(draw), static_cast<uint32_t>(draw >> 32),
                                        kRunStreamTag | (static_cast<uint32_t>(i) & 0x1FFFFFFFu)};
    // Beta(a, b) as Ga / (Ga + Gb), in logs so that a count of 0 or n (shape 1/2) does not underflow.
    const double log_a = sim::detail::LogGammaVariate(correct + 0.5, uniforms);
    const double log_b = sim::detail::LogGammaVariate(n - correct + 0.5, uniforms);
    r.n_correct = n / (1.0 + std::exp(log_b - log_a));
  }
  return out;
}

}  // namespace thinkplan::pipeline
