// Gauss-Jacobi quadrature for expectations over a Beta(a, b) distribution. Fitted difficulty distributions are
// often U-shaped (a, b < 1), where the density is unbounded at 0 and 1 and Gauss-Legendre converges slowly; putting
// the weight p^(a-1) (1-p)^(b-1) into the rule makes an n-node rule exact for polynomials of degree 2n - 1 in p.
#pragma once

#include <cstddef>
#include <vector>

namespace thinkplan::fitting {

struct QuadratureRule {
  std::vector<double> nodes;    // in (0, 1), ascending
  std::vector<double> weights;  // positive, summing to 1 (a probability measure)
};

// n-point rule with sum_i w_i f(x_i) ~= E[f(p)], p ~ Beta(a, b); built by Golub-Welsch from the Jacobi recurrence.
// Requires n >= 1, a > 0, b > 0 (throws InputError otherwise).
QuadratureRule GaussJacobiBeta(int n, double a, double b);

template <typename F>
double Expectation(const QuadratureRule& rule, F f) {
  double sum = 0.0;
  for (std::size_t i = 0; i < rule.nodes.size(); ++i) sum += rule.weights[i] * f(rule.nodes[i]);
  return sum;
}

}  // namespace thinkplan::fitting
