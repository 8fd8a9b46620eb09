#include "fitting/binomial_mle.h"

#include <algorithm>
#include <cmath>

#include <ceres/ceres.h>
#include <Eigen/Dense>
#include <fmt/format.h>

#include "core/errors.h"
#include "core/special_functions.h"
#include "fitting/ceres_setup.h"

namespace thinkplan::fitting {
namespace {

constexpr double kLogLinearEdge = 1e-9;  // the clipped log-linear form stays this far inside (0, 1)
constexpr double kProbabilityFloor = 1e-300;
// Every model is written for the largest parameter vector so that the per-model switch never indexes past the
// end of a smaller array; unused trailing entries stay zero.
constexpr int kMaxParameters = 4;

inline double ValueOf(double x) { return x; }
template <int N>
inline double ValueOf(const ceres::Jet<double, N>& x) { return x.a; }

template <typename T>
T StableSigmoid(const T& x) {
  using std::exp;
  if (ValueOf(x) >= 0.0) return T(1.0) / (T(1.0) + exp(-x));
  const T e = exp(x);
  return e / (T(1.0) + e);
}

template <typename T>
void InternalToNatural(BinomialModel model, const T* internal, T* natural) {
  using std::exp;
  switch (model) {
    case BinomialModel::kSigmoid: {
      natural[0] = internal[0];
      natural[1] = internal[0] + (T(1.0) - internal[0]) * internal[1];
      natural[2] = exp(internal[2]);
      natural[3] = internal[3];
      return;
    }
    case BinomialModel::kBetaPassAtK:
      natural[0] = exp(internal[0]);
      natural[1] = exp(internal[1]);
      return;
    case BinomialModel::kCoverageLaw:
      natural[0] = -exp(internal[0]);
      natural[1] = -exp(internal[1]);
      return;
    case BinomialModel::kLogLinear:
    case BinomialModel::kLogitLinear:
      for (int i = 0; i < ParameterCount(model); ++i) natural[i] = internal[i];
      return;
  }
}

template <typename T>
T ProbabilityAt(BinomialModel model, const T* natural, const BinomialObservation& obs) {
  using std::exp;
  using std::log;
  switch (model) {
    case BinomialModel::kSigmoid:
      return natural[0] + (natural[1] - natural[0]) * StableSigmoid(natural[2] * (obs.x1 - natural[3]));
    case BinomialModel::kLogLinear: {
      const T p = natural[0] + natural[1] * obs.x1;
      if (ValueOf(p) < kLogLinearEdge) return T(kLogLinearEdge);
      if (ValueOf(p) > 1.0 - kLogLinearEdge) return T(1.0 - kLogLinearEdge);
      return p;
    }
    case BinomialModel::kBetaPassAtK: {
      // 1 - prod_{j<k} (b + j) / (a + b + j), summed in logs.
      const long k = std::lround(obs.x1);
      T log_none(0.0);
      for (long j = 0; j < k; ++j) log_none += log((natural[1] + double(j)) / (natural[0] + natural[1] + double(j)));
      return T(1.0) - exp(log_none);
    }
    case BinomialModel::kCoverageLaw:
      return exp(natural[0] * exp(natural[1] * std::log(obs.x1)));
    case BinomialModel::kLogitLinear:
      return StableSigmoid(natural[0] + natural[1] * obs.x1 + natural[2] * obs.x2);
  }
  return T(0.5);
}

// (1 + t) ln(1 + t) - t, >= 0, with the t -> 0 cancellation done by its series and f(-1) = 1 (0 ln 0 = 0).
double DevianceKernel(double t) {
  if (t <= -1.0) return 1.0;
  if (std::abs(t) < 1e-3) {
    const double t2 = t * t;
    return t2 * (0.5 - t / 6.0 + t2 / 12.0 - t2 * t / 20.0 + t2 * t2 / 30.0);
  }
  return (1.0 + t) * std::log1p(t) - t;
}

struct DevianceResidual {
  double r = 0.0;     // sign(y - np) sqrt(deviance)
  double dr_dp = 0.0;
};

DevianceResidual ResidualAt(double n, double y, double p) {
  p = std::clamp(p, kProbabilityFloor, 1.0 - 1e-16);
  const double delta = y - n * p;
  const double deviance = BinomialDeviance(n, y, p);
  DevianceResidual out;
  out.r = (delta > 0 ? 1.0 : (delta < 0 ? -1.0 : 0.0)) * std::sqrt(deviance);
  // dD/dp = -2 delta / (p (1-p)) and dr/dp = (dD/dp) / (2 r); as delta -> 0 the ratio delta / r tends to
  // sqrt(n p (1-p)), so the derivative stays finite where the square root of the deviance is not differentiable.
  out.dr_dp = out.r != 0.0 ? -delta / (p * (1.0 - p) * out.r) : -std::sqrt(n / (p * (1.0 - p)));
  return out;
}

// All observations as one residual block: the model is evaluated once per point with a Jet over the internal
// parameters and the deviance residual is chained on analytically.
template <int M>
class DevianceCost : public ceres::CostFunction {
 public:
  DevianceCost(BinomialModel model, const std::vector<BinomialObservation>& data) : model_(model), data_(data) {
    set_num_residuals(static_cast<int>(data.size()));
    mutable_parameter_block_sizes()->push_back(M);
  }

  bool Evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
    using Jet = ceres::Jet<double, M>;
    Jet internal[kMaxParameters], natural[kMaxParameters];
    for (int i = 0; i < M; ++i) internal[i] = Jet(parameters[0][i], i);
    InternalToNatural(model_, internal, natural);
    for (size_t i = 0; i < data_.size(); ++i) {
      const Jet p = ProbabilityAt(model_, natural, data_[i]);
      if (!std::isfinite(p.a)) return false;
      const DevianceResidual term = ResidualAt(data_[i].n, data_[i].y, p.a);
      residuals[i] = term.r;
      if (jacobians != nullptr && jacobians[0] != nullptr) {
        for (int j = 0; j < M; ++j) jacobians[0][i * M + j] = term.dr_dp * p.v[j];
      }
    }
    return true;
  }

 private:
  BinomialModel model_;
  const std::vector<BinomialObservation>& data_;
};

template <int M>
std::vector<double> FisherCovariance(BinomialModel model, const std::vector<BinomialObservation>& data,
                                     const std::vector<double>& natural) {
  using Jet = ceres::Jet<double, M>;
  Jet params[kMaxParameters];
  for (int i = 0; i < M; ++i) params[i] = Jet(natural[i], i);
  Eigen::Matrix<double, M, M> information = Eigen::Matrix<double, M, M>::Zero();
  for (const BinomialObservation& obs : data) {
    const Jet p = ProbabilityAt(model, params, obs);
    const double q = std::clamp(p.a, kProbabilityFloor, 1.0 - 1e-16);
    information += (obs.n / (q * (1.0 - q))) * p.v * p.v.transpose();
  }
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix<double, M, M>> solver(information);
  const auto& eigenvalues = solver.eigenvalues();
  if (!(eigenvalues.minCoeff() > 1e-13 * std::max(eigenvalues.maxCoeff(), 1e-300))) return {};
  const Eigen::Matrix<double, M, M> covariance =
      solver.eigenvectors() * eigenvalues.cwiseInverse().asDiagonal() * solver.eigenvectors().transpose();
  std::vector<double> out(M * M);
  for (int i = 0; i < M; ++i) {
    for (int j = 0; j < M; ++j) out[i * M + j] = covariance(i, j);
  }
  return out;
}

template <int M>
MleResult Solve(BinomialModel model, const std::vector<BinomialObservation>& data,
                const std::vector<double>& start, const MleOptions& options) {
  MleResult result;
  result.internal = start;
  ceres::Problem problem;
  problem.AddResidualBlock(new DevianceCost<M>(model, data), nullptr, result.internal.data());
  for (int i = 0; i < M; ++i) {
    if (static_cast<int>(options.lower.size()) == M) problem.SetParameterLowerBound(result.internal.data(), i, options.lower[i]);
    if (static_cast<int>(options.upper.size()) == M) problem.SetParameterUpperBound(result.internal.data(), i, options.upper[i]);
  }
  const ceres::Solver::Options solver_options = LeastSquaresOptions(StoppingRule::Of(options));
  const SolverLogCapture capture;
  ceres::Solver::Summary summary;
  ceres::Solve(solver_options, &problem, &summary);
  int iterations = static_cast<int>(summary.iterations.size());
  // Active-set polish: bounded Levenberg-Marquardt projects its steps and tends to stop early once a parameter sits
  // on a bound (hi = 1, lo = 0). Holding those parameters fixed and solving again in the others reaches the
  // constrained optimum.
  std::vector<int> fixed;
  for (int i = 0; i < M; ++i) {
    const bool on_lower = static_cast<int>(options.lower.size()) == M && result.internal[i] <= options.lower[i] + 1e-12;
    const bool on_upper = static_cast<int>(options.upper.size()) == M && result.internal[i] >= options.upper[i] - 1e-12;
    if (on_lower || on_upper) fixed.push_back(i);
  }
  if (!fixed.empty() && static_cast<int>(fixed.size()) < M) {
    problem.SetManifold(result.internal.data(), new ceres::SubsetManifold(M, fixed));
    ceres::Solve(solver_options, &problem, &summary);
    iterations += static_cast<int>(summary.iterations.size());
  }

  result.converged = Converged(summary.termination_type);
  result.iterations = iterations;
  if (!result.converged) result.message = summary.message;
  for (int i = 0; i < M; ++i) {
    const auto near = [&](const std::vector<double>& bound) {
      return static_cast<int>(bound.size()) == M && std::abs(result.internal[i] - bound[i]) < 1e-6;
    };
    result.at_bound = result.at_bound || near(options.lower) || near(options.upper);
  }
  result.natural = ToNatural(model, result.internal);
  for (const BinomialObservation& obs : data) {
    const double p = NaturalProbability(model, result.natural, obs);
    result.deviance += BinomialDeviance(obs.n, obs.y, p);
    result.log_likelihood += BinomialLogLikelihood(obs.n, obs.y, p);
  }
  result.covariance = FisherCovariance<M>(model, data, result.natural);
  result.model = model;
  result.solver_log = capture.messages();
  return result;
}

}  // namespace

int ParameterCount(BinomialModel model) {
  switch (model) {
    case BinomialModel::kSigmoid: return 4;
    case BinomialModel::kLogitLinear: return 3;
    case BinomialModel::kLogLinear:
    case BinomialModel::kBetaPassAtK:
    case BinomialModel::kCoverageLaw: return 2;
  }
  return 0;
}

double BinomialDeviance(double n, double y, double p) {
  if (!(n > 0.0)) return 0.0;
  p = std::clamp(p, kProbabilityFloor, 1.0 - 1e-16);
  const double delta = y - n * p;
  // y = np (1 + t1) and n - y = n (1-p) (1 + t2): the first-order terms cancel exactly, leaving the kernel.
  return 2.0 * (n * p * DevianceKernel(delta / (n * p)) + n * (1.0 - p) * DevianceKernel(-delta / (n * (1.0 - p))));
}

double BinomialLogLikelihood(double n, double y, double p) {
  p = std::clamp(p, kProbabilityFloor, 1.0 - 1e-16);
  double ll = LogChoose(n, y);
  if (y > 0.0) ll += y * std::log(p);
  if (n - y > 0.0) ll += (n - y) * std::log1p(-p);
  return ll;
}

std::vector<double> ToNatural(BinomialModel model, const std::vector<double>& internal) {
  double in[kMaxParameters] = {}, out[kMaxParameters] = {};
  std::copy(internal.begin(), internal.end(), in);
  InternalToNatural(model, in, out);
  return std::vector<double>(out, out + internal.size());
}

std::vector<double> ToInternal(BinomialModel model, const std::vector<double>& natural) {
  std::vector<double> internal = natural;
  switch (model) {
    case BinomialModel::kSigmoid: {
      const double lo = std::clamp(natural[0], 0.0, 1.0 - 1e-9);
      const double gap = std::clamp((natural[1] - lo) / (1.0 - lo), 0.0, 1.0);
      internal = {lo, gap, std::log(natural[2]), natural[3]};
      break;
    }
    case BinomialModel::kBetaPassAtK: internal = {std::log(natural[0]), std::log(natural[1])}; break;
    case BinomialModel::kCoverageLaw: internal = {std::log(-natural[0]), std::log(-natural[1])}; break;
    case BinomialModel::kLogLinear:
    case BinomialModel::kLogitLinear: break;
  }
  return internal;
}

double NaturalProbability(BinomialModel model, const std::vector<double>& natural, const BinomialObservation& obs) {
  double params[kMaxParameters] = {};
  std::copy(natural.begin(), natural.begin() + std::min<size_t>(natural.size(), kMaxParameters), params);
  return ProbabilityAt(model, params, obs);
}

MleResult FitBinomialMle(BinomialModel model, const std::vector<BinomialObservation>& data,
                         const std::vector<double>& internal_start, const MleOptions& options) {
  const int m = ParameterCount(model);
  if (static_cast<int>(internal_start.size()) != m) {
    throw InternalError("FitBinomialMle: start has " + std::to_string(internal_start.size()) +
                        " parameters, the model needs " + std::to_string(m));
  }
  switch (m) {
    case 2: return Solve<2>(model, data, internal_start, options);
    case 3: return Solve<3>(model, data, internal_start, options);
    case 4: return Solve<4>(model, data, internal_start, options);
  }
  throw InternalError("FitBinomialMle: unsupported parameter count");
}

std::vector<std::string> ParameterNames(BinomialModel model) {
  switch (model) {
    case BinomialModel::kSigmoid: return {"lo", "hi", "k", "ln_b50"};
    case BinomialModel::kLogLinear: return {"alpha", "beta"};
    case BinomialModel::kBetaPassAtK:
    case BinomialModel::kCoverageLaw: return {"a", "b"};
    case BinomialModel::kLogitLinear: return {"t0 (centred covariates)", "t1", "t2"};
  }
  return {};
}

namespace {

// Why a converged fit is not identified, or nothing when it is.
std::optional<std::string> Unidentified(const MleResult& mle) {
  const size_t m = mle.natural.size();
  if (mle.covariance.size() != m * m) {
    return std::string("the Fisher information is singular: the data do not identify every parameter");
  }
  const std::vector<std::string> names = ParameterNames(mle.model);
  for (size_t i = 0; i < m; ++i) {
    const double se = std::sqrt(std::max(0.0, mle.covariance[i * m + i]));
    if (se > kMaxRelativeStandardError * std::max(1.0, std::abs(mle.natural[i]))) {
      return fmt::format("{} = {:.4g} has a standard error of {:.3g}: the likelihood is flat along it (e.g. "
                         "separable data or a curve saturated at every point), so the data do not identify it",
                         i < names.size() ? names[i] : std::to_string(i), mle.natural[i], se);
    }
  }
  return std::nullopt;
}

}  // namespace

FitQuality QualityOf(const MleResult& mle, long n_points, std::optional<std::string> at_bound_reason) {
  FitQuality q;
  q.n_points = n_points;
  q.log_likelihood = mle.log_likelihood;
  q.deviance = mle.deviance;
  q.aic = 2.0 * static_cast<double>(mle.natural.size()) - 2.0 * mle.log_likelihood;
  q.iterations = mle.iterations;
  if (!mle.converged) {
    q.status = FitStatus::kNotConverged;
    q.reason = "optimiser stopped: " + mle.message;
  } else if (mle.at_bound && at_bound_reason) {
    q.status = FitStatus::kFallback;
    q.reason = std::move(*at_bound_reason);
  } else if (std::optional<std::string> why = Unidentified(mle)) {
    q.status = FitStatus::kUnidentified;
    q.reason = std::move(*why);
  } else {
    q.status = FitStatus::kOk;
  }
  if (q.status != FitStatus::kOk) {
    for (const std::string& line : mle.solver_log) q.reason += "; " + line;
  }
  return q;
}

}  // namespace thinkplan::fitting
