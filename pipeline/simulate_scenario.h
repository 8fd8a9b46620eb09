// The fleet scenario of a stored plan: classes, router and volumes from the plan's workload, options with their
// traffic fractions from the allocation, replicas from the capacity lines, step times from the cost model of each
// self-hosted system and prices from the catalogues. See docs/simulator.md for what is taken from where.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "planner/options.h"
#include "sim/fleet.h"
#include "store/plans.h"

namespace thinkplan::pipeline {

struct BuiltScenario {
  sim::FleetScenario scenario;
  std::vector<std::string> notes;
};

// `devices` overrides the planned devices of named self-hosted systems (whole replicas are kept; a remainder is
// noted). `catalogues`: the stored ones (LoadCatalogues). Throws InputError when the plan cannot be simulated
// (infeasible, unknown system, missing price).
BuiltScenario BuildScenario(const store::StoredPlan& plan, const std::map<std::string, long>& devices,
                            const planner::Catalogues& catalogues);

// The Beta(a, b) with a + b = `concentration` whose accuracy under the aggregation equals `accuracy`: the draw of
// an option the plan carries no fitted difficulty distribution for. `d_prime` = +inf: a perfect verifier.
sim::McProblemSpec CorrectnessMatching(double accuracy, const Aggregation& aggregation, double d_prime, double rho,
                                       double concentration);

// LogNormal thinking length with the given mean and 95th percentile (sigma from ln(p95 / mean) =
// 1.645 sigma - sigma^2 / 2, the smaller root); no thinking when the mean is 0.
sim::TokenDraw TokensFromMeanAndP95(double mean, double p95, double cap, double answer_tokens);

}  // namespace thinkplan::pipeline
