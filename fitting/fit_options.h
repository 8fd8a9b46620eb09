// Options shared by the curve fits in fitting/ (sequential, tokens, parallel, training) and the Summary every fit
// can fill: parameters with intervals, derived figures, notes and the fit's status, printable briefly or in full.
#pragma once

#include <string>
#include <vector>

#include "core/curves.h"

namespace thinkplan::fitting {

struct Options {
  // Level of every interval and band reported.
  double confidence_level = 0.95;
  // Fewest distinct x values (budgets or token counts) for the four-parameter sigmoid; with fewer the log-linear
  // form is fitted and the status says "fallback". Four: one per parameter, below which the sigmoid interpolates.
  int min_distinct_x_for_sigmoid = 4;
  // Choose the log-linear form over the sigmoid when its AIC is lower (docs/design.md 3.1).
  bool select_by_aic = true;
  // Ceres (and Newton) limits for each maximum-likelihood fit.
  int max_iterations = 200;
  double function_tolerance = 1e-12;
  double gradient_tolerance = 1e-12;
  double parameter_tolerance = 1e-10;
  // Token model: the LogNormal sigma assumed when the data cannot identify it (every point uncapped, or a single
  // budget). 0.8 is a middle value of reasoning-length spreads across problems; a fit using it says so.
  double fallback_token_sigma = 0.8;
  // Beta: bounds on a and b; an estimate at a bound is reported as a fallback with the reason.
  double beta_min = 1e-3;
  double beta_max = 1e5;

  bool IsValid(std::string* error) const;
};

struct Estimate {
  std::string name;
  double value = 0.0;
  Interval interval;  // equal to {value, value} when no interval could be computed
};

// "name=0.1234 [0.1, 0.15]", or "name=0.1234" when the estimate has no interval.
std::string FormatEstimate(const Estimate& e);

struct Summary {
  std::string kind;   // sequential | tokens | parallel | coverage | training | rho
  std::string form;   // sigmoid | log-linear | lognormal | beta | exp-power | logit-linear | trinomial
  std::string label;  // what was fitted (system / class), set by the caller
  FitQuality quality;
  std::vector<Estimate> parameters;
  std::vector<Estimate> derived;  // slope per doubling, exchange rate, ...
  std::vector<std::string> notes;  // x-axis used, dropped points, assumptions
  double confidence_level = 0.95;
  double seconds = 0.0;

  // One line: kind, form, n, parameters with intervals, status.
  std::string BriefReport() const;
  // Several lines: everything above plus derived figures, deviance, AIC, iterations, notes and the reason.
  std::string FullReport() const;
};

}  // namespace thinkplan::fitting
