// How every fitter in fitting/ sets up Ceres, in one place: Levenberg-Marquardt on dense QR for least squares,
// line search for the censored likelihood, a dense SVD for covariances; always silent (no log lines from inside a
// fit) and single-threaded (the fits run side by side; a thread pool each would oversubscribe the machine).
// What Ceres still logs through glog (e.g. "Covariance matrix is near rank deficient") is captured by
// SolverLogCapture and kept in the fit's notes; it never reaches stderr.
#pragma once

#include <string>
#include <vector>

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

// Collects the glog lines Ceres writes on this thread while the capture lives. The first capture routes glog away
// from stderr and log files for the whole process (only fitting/ uses glog, and always inside a capture); messages
// of FATAL severity still reach stderr, since glog aborts after them.
class SolverLogCapture {
 public:
  SolverLogCapture();
  ~SolverLogCapture();
  SolverLogCapture(const SolverLogCapture&) = delete;
  SolverLogCapture& operator=(const SolverLogCapture&) = delete;

  // The captured lines, oldest first, each as "Ceres: <message>".
  const std::vector<std::string>& messages() const { return messages_; }

 private:
  std::vector<std::string> messages_;
  std::vector<std::string>* previous_ = nullptr;  // the enclosing capture on this thread, restored on exit
};

// True when Ceres says the optimiser converged (not merely stopped at its iteration cap).
inline bool Converged(ceres::TerminationType termination) { return termination == ceres::CONVERGENCE; }

}  // namespace thinkplan::fitting
