#include "fitting/quadrature.h"

#include <cmath>
#include <string>

#include <Eigen/Eigenvalues>

#include "core/errors.h"

namespace thinkplan::fitting {
namespace {

// Recurrence of the monic Jacobi polynomials for the weight (1-x)^alpha (1+x)^beta on [-1, 1]:
// diagonal a_n and squared off-diagonal b_n of the Jacobi matrix (Golub and Welsch 1969).
double JacobiDiagonal(int n, double alpha, double beta) {
  const double s = 2.0 * n + alpha + beta;
  if (n == 0) return (beta - alpha) / (alpha + beta + 2.0);
  return (beta * beta - alpha * alpha) / (s * (s + 2.0));
}

double JacobiOffDiagonalSquared(int n, double alpha, double beta) {
  const double s = 2.0 * n + alpha + beta;
  if (n == 1) return 4.0 * (1.0 + alpha) * (1.0 + beta) / ((s * s) * (s + 1.0));  // (1 + alpha + beta) cancels
  return 4.0 * n * (n + alpha) * (n + beta) * (n + alpha + beta) / (s * s * (s + 1.0) * (s - 1.0));
}

}  // namespace

QuadratureRule GaussJacobiBeta(int n, double a, double b) {
  if (n < 1 || !(a > 0.0) || !(b > 0.0)) {
    throw InputError("Gauss-Jacobi rule needs n >= 1 and a, b > 0; got n=" + std::to_string(n) +
                     " a=" + std::to_string(a) + " b=" + std::to_string(b));
  }
  // p = (1 + x) / 2 maps p^(a-1) (1-p)^(b-1) on [0, 1] to (1-x)^(b-1) (1+x)^(a-1) on [-1, 1].
  const double alpha = b - 1.0, beta = a - 1.0;
  Eigen::VectorXd diagonal(n);
  Eigen::VectorXd off_diagonal(std::max(n - 1, 0));
  for (int i = 0; i < n; ++i) diagonal[i] = JacobiDiagonal(i, alpha, beta);
  for (int i = 1; i < n; ++i) off_diagonal[i - 1] = std::sqrt(JacobiOffDiagonalSquared(i, alpha, beta));
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver;
  solver.computeFromTridiagonal(diagonal, off_diagonal, Eigen::ComputeEigenvectors);
  QuadratureRule rule;
  rule.nodes.resize(n);
  rule.weights.resize(n);
  for (int i = 0; i < n; ++i) {
    rule.nodes[i] = 0.5 * (1.0 + solver.eigenvalues()[i]);
    const double v = solver.eigenvectors()(0, i);
    rule.weights[i] = v * v;  // the zeroth moment is 1 for a probability measure
  }
  return rule;
}

}  // namespace thinkplan::fitting
