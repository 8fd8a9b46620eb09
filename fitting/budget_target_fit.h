// How far above or below its budget a system lands when the budget is a target (core/budget_target.h,
// docs/formulas.md section 8): weighted least squares of ln(mean tokens / budget) on ln budget, in closed form.
#pragma once

#include <vector>

#include "core/budget_target.h"
#include "fitting/fit_options.h"
#include "fitting/token_fit.h"

namespace thinkplan::fitting {

// Fits c0 and c1 to the points with a finite budget (uncapped points say nothing about a target and are dropped,
// as are points with zero tokens or weight). A mean is an aggregate whose variance is not in the data, so
// Var(ln m_i) = s^2 / w_i with s^2 estimated from the residuals: intervals need three points. Statuses: no point
// with a budget: insufficient data; one distinct budget: c1 fixed at 0 (the same share at every budget), fallback;
// two points: an exact fit without interval, fallback; otherwise ok.
BudgetTarget FitBudgetTarget(const std::vector<TokenMeanPoint>& points, const Options& options,
                             Summary* summary = nullptr);

}  // namespace thinkplan::fitting
