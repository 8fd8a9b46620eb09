#include "fitting/ceres_setup.h"

namespace thinkplan::fitting {

ceres::Solver::Options LeastSquaresOptions(int max_iterations) {
  ceres::Solver::Options options;
  options.linear_solver_type = ceres::DENSE_QR;
  options.max_num_iterations = max_iterations;
  options.logging_type = ceres::SILENT;
  options.minimizer_progress_to_stdout = false;
  options.num_threads = 1;
  return options;
}

ceres::Solver::Options LeastSquaresOptions(const StoppingRule& rule) {
  ceres::Solver::Options options = LeastSquaresOptions(rule.max_iterations);
  options.function_tolerance = rule.function_tolerance;
  options.gradient_tolerance = rule.gradient_tolerance;
  options.parameter_tolerance = rule.parameter_tolerance;
  return options;
}

ceres::GradientProblemSolver::Options GradientOptions(const StoppingRule& rule) {
  ceres::GradientProblemSolver::Options options;
  options.max_num_iterations = rule.max_iterations;
  options.function_tolerance = rule.function_tolerance;
  options.gradient_tolerance = rule.gradient_tolerance;
  options.parameter_tolerance = rule.parameter_tolerance;
  options.logging_type = ceres::SILENT;
  options.minimizer_progress_to_stdout = false;
  return options;
}

ceres::Covariance::Options CovarianceOptions() {
  ceres::Covariance::Options options;
  options.algorithm_type = ceres::DENSE_SVD;
  options.num_threads = 1;
  return options;
}

}  // namespace thinkplan::fitting
