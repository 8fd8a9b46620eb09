#include "fitting/ceres_setup.h"

#include <mutex>

#include <glog/logging.h>

namespace thinkplan::fitting {
namespace {

thread_local std::vector<std::string>* active_capture = nullptr;

// Hands each glog line to the capture active on the logging thread; lines logged outside a capture are dropped.
class CaptureSink : public google::LogSink {
 public:
  void send(google::LogSeverity, const char*, const char*, int, const google::LogMessageTime&, const char* message,
            size_t message_len) override {
    if (active_capture != nullptr) active_capture->push_back("Ceres: " + std::string(message, message_len));
  }
};

// Before InitGoogleLogging glog writes every line to stderr; after it, lines go to log files and to stderr from
// FLAGS_stderrthreshold up. Both are turned off here (an empty file name disables a severity's log file).
void RouteGlogToSink() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (!google::IsGoogleLoggingInitialized()) google::InitGoogleLogging("thinkplan");
    FLAGS_logtostderr = false;
    FLAGS_alsologtostderr = false;
    FLAGS_stderrthreshold = google::GLOG_FATAL;
    for (google::LogSeverity s : {google::GLOG_INFO, google::GLOG_WARNING, google::GLOG_ERROR}) {
      google::SetLogDestination(s, "");
    }
    static CaptureSink sink;
    google::AddLogSink(&sink);
  });
}

}  // namespace

SolverLogCapture::SolverLogCapture() {
  RouteGlogToSink();
  previous_ = active_capture;
  active_capture = &messages_;
}

SolverLogCapture::~SolverLogCapture() {
  active_capture = previous_;
  if (previous_ != nullptr) previous_->insert(previous_->end(), messages_.begin(), messages_.end());
}

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
