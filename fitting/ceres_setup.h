// How every fitter in fitting/ sets up Ceres, in one place: Levenberg-Marquardt on dense QR for least squares,
// line search for the censored likelihood, a dense SVD for covariances; always silent (no log lines from inside a
// fit) and single-threaded (the fits run side by side; a thread pool each would oversubscribe the machine).
#pragma once

#include <ceres/ceres.h>

namespace thinkplan::fitting {

// When an optimisation stops. Fitters pass their options' limits (fitting::Options, MleOptions).
struct StoppingRule {
  int max_iterations = 0;
  double function_tolerance = 0;
  double gradient_tolerance = 0;
  double parameter_tolerance = 0;

  template <typename Options>
  static StoppingRule Of(const Options& o) {
    return {o.max_iterations, o.function_tolerance, o.gradient_tolerance, o.parameter_tolerance};
  }
};

// Least squares with Ceres' own tolerances; only the iteration cap is the fitter's.
ceres::Solver::Options LeastSquaresOptions(int max_iterations);
// Least squares stopping by `rule`.
ceres::Solver::Options LeastSquaresOptions(const StoppingRule& rule);
// Unconstrained minimisation of a GradientProblem stopping by `rule`.
ceres::GradientProblemSolver::Options GradientOptions(const StoppingRule& rule);
// Covariance of a least-squares optimum by dense SVD: it copes with a rank-deficient Jacobian, which the fits
// detect and report rather than fail on.
ceres::Covariance::Options CovarianceOptions();

// True when Ceres says the optimiser converged (not merely stopped at its iteration cap).
inline bool Converged(ceres::TerminationType termination) { return termination == ceres::CONVERGENCE; }

}  // namespace thinkplan::fitting
