// Draws of the fitted curves from their approximate posterior, for `thinkplan sweep` (docs/sweep.md). Each usable
// fit is a multivariate normal centred on its estimate with its stored covariance (the inverse Fisher information,
// a large-sample approximation), drawn in the parameters the fit is solved in, where the normal is a fair shape, and
// mapped back: the sigmoid's (lo, relative gap, ln k, ln b50), the LogNormal token model's (mu, ln sigma), the
// Beta's (ln a, ln b), the logit-normal difficulty's (mu, ln sigma); the log-linear form's (alpha, beta) as they
// are. The covariance is carried to that scale by the delta method (J C J'). Fits are drawn independently of one
// another: each comes from its own data. Every normal is a Philox stream keyed by (seed, draw, fit, part), so a draw
// does not depend on which thread or rank makes it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/curve_set.h"
#include "core/run.h"

namespace thinkplan::pipeline {

// `n` standard normals of stream (seed, draw, stream): Marsaglia's polar method on Philox4x32-10 uniforms.
std::vector<double> StandardNormals(uint64_t seed, uint64_t draw, uint32_t stream, std::size_t n);

// `buckets` standard normals for the proxy transfer errors of class `class_index` in draw `draw`: a stream of its
// own per class (tag 0xE0000000 | class index), so that a class's draw does not depend on other classes or curves.
// A proxy bucket's single-sample accuracies move by z x sigma_T on the logit scale (planner::OptionsConfig).
std::vector<double> ProxyTransferNormals(uint64_t seed, uint64_t draw, uint32_t class_index, std::size_t buckets);

// mean + L z with L L' = covariance (row-major, n x n), a Cholesky factor that gives a zero column to a direction
// of zero variance, so a positive semi-definite covariance is drawn on its support. False, with `out` = mean, when
// the covariance is not n x n, has a non-finite entry or is indefinite beyond rounding.
bool MultivariateNormal(const std::vector<double>& mean, const std::vector<double>& covariance,
                        const std::vector<double>& z, std::vector<double>* out);

// The scale each curve is drawn in and back. Internal(x) and its Jacobian d Internal / d natural at the estimate.
struct DrawScale {
  std::vector<double> internal;    // the estimate in the drawn parameters
  std::vector<double> covariance;  // J C J', row-major
};
DrawScale SequentialDrawScale(const SequentialCurve& curve);
DrawScale TokenDrawScale(const TokenModel& model);
DrawScale BetaDrawScale(const BetaDifficulty& beta);
DrawScale LogitNormalDrawScale(const LogitNormalDifficulty& difficulty);

// One draw of each curve from internal-scale values `x` (clamped to the fit's own bounds where it has them).
SequentialCurve SequentialFromInternal(const SequentialCurve& fitted, const std::vector<double>& x);
TokenModel TokenFromInternal(const TokenModel& fitted, const std::vector<double>& x);
BetaDifficulty BetaFromInternal(const BetaDifficulty& fitted, const std::vector<double>& x);
LogitNormalDifficulty LogitNormalFromInternal(const LogitNormalDifficulty& fitted, const std::vector<double>& x);

// What one draw changed: curves drawn, and curves kept at their estimate because their covariance is missing or
// unusable (they carry no uncertainty into the sweep).
struct CurveDrawCounts {
  long drawn = 0;
  long fixed = 0;
};

// Draw `draw` of every sequential, token and difficulty curve of `fitted`. Majority-vote rho, coverage laws and
// training surfaces are kept at their estimates (rho is stored with an interval, not a covariance).
CurveSet DrawCurveSet(const CurveSet& fitted, uint64_t seed, uint64_t draw, CurveDrawCounts* counts = nullptr);

// Draw `draw` of each stored run's accuracy from its Jeffreys posterior, Beta(correct + 1/2, n - correct + 1/2)
// (a binomial count with the Jeffreys prior): the options the planner scores from a run's measured figure, not a
// curve, carry their sampling uncertainty into the sweep too. Counts, tokens and latencies are kept as measured.
std::vector<Run> DrawRuns(const std::vector<Run>& runs, uint64_t seed, uint64_t draw);

}  // namespace thinkplan::pipeline
