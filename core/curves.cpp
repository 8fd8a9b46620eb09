#include "core/curves.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/special_functions.h"

namespace thinkplan {
namespace {

constexpr double kLn2 = std::numbers::ln2;

double Clamp01(double x) { return std::clamp(x, 0.0, 1.0); }

double SdOf(const std::vector<double>& gradient, const std::vector<double>& covariance) {
  return std::sqrt(DeltaMethodVariance(gradient, covariance));
}

// A probability's interval from its delta-method standard deviation, on the logit scale where it is strictly
// inside (0, 1) so that the band cannot leave [0, 1]; clipped on the linear scale at the edges.
Interval ProbabilityBand(double value, double sd, double level) {
  const double z = TwoSidedZ(level);
  constexpr double kEdge = 1e-12;
  if (value > kEdge && value < 1.0 - kEdge) {
    const double center = Logit(value);
    const double half = z * sd / (value * (1.0 - value));
    return {Sigmoid(center - half), Sigmoid(center + half)};
  }
  return {Clamp01(value - z * sd), Clamp01(value + z * sd)};
}

// Central-difference gradient of f with respect to each parameter; used where a closed-form derivative would be
// longer than the function (the Beta mixtures, the truncated LogNormal mean).
template <typename F>
std::vector<double> NumericGradient(const std::vector<double>& x, F f) {
  std::vector<double> gradient(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double h = 1e-6 * std::max(1.0, std::abs(x[i]));
    std::vector<double> up = x, down = x;
    up[i] += h;
    down[i] -= h;
    gradient[i] = (f(up) - f(down)) / (2.0 * h);
  }
  return gradient;
}

double LogOrMinusInf(double tokens) {
  return tokens > 0.0 ? std::log(tokens) : -std::numeric_limits<double>::infinity();
}

}  // namespace

std::string_view ToString(FitStatus status) {
  switch (status) {
    case FitStatus::kOk: return "ok";
    case FitStatus::kFallback: return "fallback";
    case FitStatus::kInsufficientData: return "insufficient data";
    case FitStatus::kNotConverged: return "not converged";
    case FitStatus::kUnidentified: return "unidentified";
  }
  return "unknown";
}

std::string_view ToString(SequentialForm form) {
  return form == SequentialForm::kSigmoid ? "sigmoid" : "log-linear";
}

std::string_view ToString(TokenAxis axis) { return axis == TokenAxis::kTokensUsed ? "tokens used" : "budget"; }

std::string_view ToString(TestTimeAxis axis) {
  return axis == TestTimeAxis::kThinkingTokens ? "thinking tokens" : "samples";
}

double DeltaMethodVariance(const std::vector<double>& gradient, const std::vector<double>& covariance) {
  const size_t n = gradient.size();
  if (covariance.size() != n * n) return 0.0;
  double variance = 0.0;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j) variance += gradient[i] * covariance[i * n + j] * gradient[j];
  }
  return std::max(0.0, variance);
}

// --- SequentialCurve ------------------------------------------------------------------------------------------

SequentialCurve SequentialCurve::Sigmoid(double lo, double hi, double k, double b50) {
  SequentialCurve curve;
  curve.form = SequentialForm::kSigmoid;
  curve.params = {lo, hi, k, std::log(b50)};
  curve.quality.status = FitStatus::kOk;
  return curve;
}

SequentialCurve SequentialCurve::LogLinear(double alpha, double beta) {
  SequentialCurve curve;
  curve.form = SequentialForm::kLogLinear;
  curve.params = {alpha, beta};
  curve.quality.status = FitStatus::kOk;
  return curve;
}

double SequentialCurve::Evaluate(double tokens) const {
  const double x = LogOrMinusInf(tokens);
  if (form == SequentialForm::kSigmoid) {
    if (params.size() != 4) return 0.0;
    const double s = std::isinf(x) ? 0.0 : thinkplan::Sigmoid(params[2] * (x - params[3]));
    return params[0] + (params[1] - params[0]) * s;
  }
  if (params.size() != 2) return 0.0;
  if (std::isinf(x)) return params[1] > 0 ? 0.0 : (params[1] < 0 ? 1.0 : Clamp01(params[0]));
  return Clamp01(params[0] + params[1] * x);
}

std::vector<double> SequentialCurve::EvaluateGradient(double tokens) const {
  const double x = LogOrMinusInf(tokens);
  if (form == SequentialForm::kSigmoid) {
    if (params.size() != 4) return {};
    if (std::isinf(x)) return {1.0, 0.0, 0.0, 0.0};
    const double s = thinkplan::Sigmoid(params[2] * (x - params[3]));
    const double w = (params[1] - params[0]) * s * (1.0 - s);
    return {1.0 - s, s, w * (x - params[3]), -w * params[2]};
  }
  if (params.size() != 2 || std::isinf(x)) return {0.0, 0.0};
  const double raw = params[0] + params[1] * x;
  if (raw <= 0.0 || raw >= 1.0) return {0.0, 0.0};
  return {1.0, x};
}

Interval SequentialCurve::Band(double tokens, double level) const {
  const double value = Evaluate(tokens);
  if (covariance.empty()) return {value, value};
  return ProbabilityBand(value, SdOf(EvaluateGradient(tokens), covariance), level);
}

double SequentialCurve::PointsPerDoubling(double tokens) const {
  if (form == SequentialForm::kLogLinear) return params.size() == 2 ? 100.0 * kLn2 * params[1] : 0.0;
  if (params.size() != 4 || tokens <= 0.0) return 0.0;
  const double s = thinkplan::Sigmoid(params[2] * (std::log(tokens) - params[3]));
  return 100.0 * kLn2 * (params[1] - params[0]) * params[2] * s * (1.0 - s);
}

std::vector<double> SequentialCurve::SlopeGradient(double tokens) const {
  if (form == SequentialForm::kLogLinear) return {0.0, 100.0 * kLn2};
  if (params.size() != 4 || tokens <= 0.0) return {0.0, 0.0, 0.0, 0.0};
  const double lo = params[0], hi = params[1], k = params[2], m = params[3];
  const double d = std::log(tokens) - m;
  const double s = thinkplan::Sigmoid(k * d);
  const double w = s * (1.0 - s);
  const double dw_du = w * (1.0 - 2.0 * s);  // derivative of s (1 - s) with respect to u = k d
  const double c = 100.0 * kLn2;
  return {-c * k * w, c * k * w, c * (hi - lo) * (w + k * dw_du * d), -c * (hi - lo) * k * k * dw_du};
}

Interval SequentialCurve::PointsPerDoublingInterval(double tokens, double level) const {
  const double slope = PointsPerDoubling(tokens);
  if (covariance.empty()) return {slope, slope};
  const double half = TwoSidedZ(level) * SdOf(SlopeGradient(tokens), covariance);
  return {slope - half, slope + half};
}

double SequentialCurve::b50() const {
  return form == SequentialForm::kSigmoid && params.size() == 4 ? std::exp(params[3]) : 0.0;
}

// --- TokenModel -----------------------------------------------------------------------------------------------

namespace {

double TruncatedLogNormalMean(double mu, double sigma, double budget) {
  if (!(budget > 0.0)) return 0.0;
  if (sigma <= 0.0) return std::min(std::exp(mu), budget);
  const double uncapped = std::exp(mu + 0.5 * sigma * sigma);
  if (std::isinf(budget)) return uncapped;
  const double lb = std::log(budget);
  return uncapped * NormalCdf((lb - mu - sigma * sigma) / sigma) + budget * NormalCdf(-(lb - mu) / sigma);
}

}  // namespace

double TokenModel::MeanUsed(double budget) const { return TruncatedLogNormalMean(mu, sigma, budget); }

Interval TokenModel::MeanUsedBand(double budget, double level) const {
  const double mean = MeanUsed(budget);
  if (covariance.empty() || !(mean > 0.0)) return {mean, mean};
  // On the log scale: a mean of tokens is positive and its uncertainty multiplicative.
  const auto log_mean = [budget](const std::vector<double>& x) {
    return std::log(TruncatedLogNormalMean(x[0], x[1], budget));
  };
  const double half = TwoSidedZ(level) * SdOf(NumericGradient({mu, sigma}, log_mean), covariance);
  return {mean * std::exp(-half), mean * std::exp(half)};
}

double TokenModel::Quantile(double q, double budget) const {
  if (!(budget > 0.0)) return 0.0;
  return std::min(std::exp(mu + sigma * NormalQuantile(std::clamp(q, 0.0, 1.0))), budget);
}

// --- Parallel scaling -----------------------------------------------------------------------------------------

namespace {

double Dot(const std::vector<double>& x, const std::vector<double>& y) {
  double sum = 0.0;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) sum += x[i] * y[i];
  return sum;
}

double PassAtKOf(double a, double b, long k) {
  if (k <= 0) return 0.0;
  return -std::expm1(LogBeta(a, b + static_cast<double>(k)) - LogBeta(a, b));
}

Interval LogScaleInterval(double value, double variance, double level) {
  if (!(value > 0.0)) return {value, value};
  const double half = TwoSidedZ(level) * std::sqrt(std::max(0.0, variance)) / value;
  return {value * std::exp(-half), value * std::exp(half)};
}

}  // namespace

std::vector<double> ConsensusCredit(long k, double rho) {
  std::vector<double> credit(static_cast<size_t>(std::max(0L, k)) + 1, 0.0);
  for (long right = 1; right <= k; ++right) {
    const long rest = k - right;  // each is the top wrong answer with probability rho, else a unique answer
    if (right == 1) {
      // One right vote ties with every answer that has one vote: with W = 0 or 1 top-wrong votes there are
      // rest + 1 answers at one vote each; with W >= 2 the top wrong answer wins.
      credit[1] = (BinomialProbability(0, rest, rho) + BinomialProbability(1, rest, rho)) / (rest + 1.0);
    } else {
      credit[right] = BinomialCdf(right - 1, rest, rho) + 0.5 * BinomialProbability(right, rest, rho);
    }
  }
  return credit;
}

std::vector<double> BestOfCredit(long n, double d_prime) {
  std::vector<double> credit(static_cast<size_t>(std::max(0L, n)) + 1, 0.0);
  if (n <= 0) return credit;
  credit[n] = 1.0;
  if (n == 1) return credit;
  // h(j) = integral of j phi(x - d') Phi(x - d')^(j-1) Phi(x)^(n-j) dx: the density of the best right score
  // times the chance that all n - j wrong scores lie below it. The integrand is smooth and decays like a
  // Gaussian on both sides, so the trapezoid rule on a fine fixed grid converges geometrically.
  constexpr double kStep = 0.01, kReach = 9.0;
  const double x_min = std::min(d_prime, 0.0) - kReach, x_max = std::max(d_prime, 0.0) + kReach;
  const int points = static_cast<int>(std::ceil((x_max - x_min) / kStep)) + 1;
  std::vector<double> log_pdf_right(points), log_cdf_right(points), log_cdf_wrong(points);
  for (int i = 0; i < points; ++i) {
    const double x = x_min + i * kStep;
    log_pdf_right[i] = -0.5 * (x - d_prime) * (x - d_prime) - 0.5 * std::log(2.0 * std::numbers::pi);
    log_cdf_right[i] = std::log(NormalCdf(x - d_prime));
    log_cdf_wrong[i] = std::log(NormalCdf(x));
  }
  // At one grid point the terms j phi(x - d') R^(j-1) W^(n-j) (R = Phi(x - d'), W = Phi(x)) follow from one another
  // by the factor (R / W) (j + 1) / j, so each point needs two exps rather than one per j (the planner asks for
  // every k up to 64 on every plan). The walk starts at the larger end (j = 1 when d' >= 0, where R <= W; j = n
  // otherwise), so each step shrinks a term or grows it at most (j + 1) / j, and no term that matters underflows.
  const bool up = d_prime >= 0.0;
  const double nn = static_cast<double>(n);
  std::vector<double> term(points), ratio(points);
  for (int i = 0; i < points; ++i) {
    const double weight = (i == 0 || i == points - 1) ? 0.5 : 1.0;
    const double log_ratio = log_cdf_right[i] - log_cdf_wrong[i];
    term[i] = weight * std::exp(up ? log_pdf_right[i] + (nn - 1) * log_cdf_wrong[i]
                                   : std::log(nn) + log_pdf_right[i] + (nn - 1) * log_cdf_right[i]);
    ratio[i] = std::exp(up ? log_ratio : -log_ratio);
  }
  const auto integral = [&] {
    double sum = 0.0;
    for (int i = 0; i < points; ++i) sum += term[i];
    return std::clamp(sum * kStep, 0.0, 1.0);
  };
  if (up) {
    for (long j = 1; j < n; ++j) {
      credit[j] = integral();
      const double factor = static_cast<double>(j + 1) / static_cast<double>(j);
      for (int i = 0; i < points; ++i) term[i] *= ratio[i] * factor;
    }
  } else {
    for (long j = n; j > 1; --j) {
      const double factor = static_cast<double>(j - 1) / static_cast<double>(j);
      for (int i = 0; i < points; ++i) term[i] *= ratio[i] * factor;
      credit[j - 1] = integral();
    }
  }
  return credit;
}

double ConsAtKGivenP(double p, long k, double rho) { return Dot(BinomialPmf(k, p), ConsensusCredit(k, rho)); }

double BestOfNGivenP(double p, long n, double d_prime) {
  if (std::isinf(d_prime) && d_prime > 0) return 1.0 - std::pow(1.0 - p, static_cast<double>(n));
  return Dot(BinomialPmf(n, p), BestOfCredit(n, d_prime));
}

double UnbiasedPassAtK(long n, long c, long k) {
  if (k <= 0 || n <= 0) return 0.0;
  if (n - c < k) return 1.0;
  double none = 1.0;  // C(n - c, k) / C(n, k) as a product, stable for large n
  for (long i = n - c + 1; i <= n; ++i) none *= 1.0 - static_cast<double>(k) / static_cast<double>(i);
  return 1.0 - none;
}

double BetaDifficulty::PassAtK(long k) const { return PassAtKOf(a, b, k); }

double BetaDifficulty::ConsAtK(long k, double rho) const {
  return Dot(BetaBinomialPmf(k, a, b), ConsensusCredit(k, rho));
}

double BetaDifficulty::BestOfN(long n, double d_prime) const {
  if (std::isinf(d_prime) && d_prime > 0) return PassAtK(n);
  return Dot(BetaBinomialPmf(n, a, b), BestOfCredit(n, d_prime));
}

double BetaDifficulty::ProbabilityAbove(double t) const { return 1.0 - BetaCdf(t, a, b); }

Interval BetaDifficulty::AInterval(double level) const {
  return LogScaleInterval(a, covariance.size() == 4 ? covariance[0] : 0.0, level);
}

Interval BetaDifficulty::BInterval(double level) const {
  return LogScaleInterval(b, covariance.size() == 4 ? covariance[3] : 0.0, level);
}

Interval BetaDifficulty::PassAtKBand(long k, double level) const {
  const double value = PassAtK(k);
  if (covariance.empty()) return {value, value};
  const auto pass = [k](const std::vector<double>& x) { return PassAtKOf(x[0], x[1], k); };
  return ProbabilityBand(value, SdOf(NumericGradient({a, b}, pass), covariance), level);
}

double CoverageLaw::Evaluate(double k) const { return std::exp(a * std::pow(k, b)); }

// --- TrainingSurface ------------------------------------------------------------------------------------------

double TrainingSurface::Evaluate(double train_flops, double test_time) const {
  return thinkplan::Sigmoid(t0 + t1 * std::log(train_flops) + t2 * std::log(test_time));
}

double TrainingSurface::ExchangeRate() const { return t2 > 0.0 ? std::pow(10.0, t1 / t2) : 0.0; }

Interval TrainingSurface::ExchangeRateInterval(double level) const {
  if (!(t2 > 0.0)) return {0.0, 0.0};
  const double log10_rate = t1 / t2;
  const double sd = SdOf({0.0, 1.0 / t2, -t1 / (t2 * t2)}, covariance);
  const double half = TwoSidedZ(level) * sd;
  return {std::pow(10.0, log10_rate - half), std::pow(10.0, log10_rate + half)};
}

}  // namespace thinkplan
