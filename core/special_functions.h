// Scalar special functions shared by fitting, planner and simulator: the normal distribution, log-gamma family,
// stable logistic transforms and the binomial / beta-binomial probability vectors used by the parallel-scaling
// formulas. Thread-safe (no global state such as glibc's signgam).
#pragma once

#include <vector>

namespace thinkplan {

double NormalPdf(double x);
double NormalCdf(double x);
// Inverse of NormalCdf on (0, 1); -inf / +inf at 0 / 1.
double NormalQuantile(double p);
// z such that a two-sided interval of the given level (0.95 -> 1.95996...) holds that mass.
double TwoSidedZ(double level);

// The standard normal quantiles that fixed-level formulas use, correctly rounded; NormalQuantile(0.95) and
// NormalQuantile(0.975) agree with them to within an ulp (tests/core/test_statistics.cpp). Constants rather than
// calls keep those formulas' results bit for bit what they were.
inline constexpr double kZ95OneSided = 1.6448536269514722;  // P(Z <= z) = 0.95: a p95 of a LogNormal
inline constexpr double kZ95TwoSided = 1.959963984540054;   // P(|Z| <= z) = 0.95: a 95% interval

double LogGamma(double x);
double LogBeta(double a, double b);
// ln C(n, k) continued to real arguments through the gamma function; 0 <= k <= n.
double LogChoose(double n, double k);
// P(X <= x) for X ~ Beta(a, b).
double BetaCdf(double x, double a, double b);

double Sigmoid(double x);
double Logit(double p);

// Binomial(k, p) probabilities of 0..k successes.
std::vector<double> BinomialPmf(long k, double p);
// Beta-binomial(k, a, b) probabilities of 0..k successes: Binomial(k, p) mixed over p ~ Beta(a, b).
std::vector<double> BetaBinomialPmf(long k, double a, double b);

// P(X = x) and P(X <= x) for X ~ Binomial(m, p), with the p = 0 and p = 1 limits exact.
double BinomialProbability(long x, long m, double p);
double BinomialCdf(long x, long m, double p);

}  // namespace thinkplan
