// The hull-walking allocator against two independent references: GLPK's simplex on the same LP, and brute
// force over the LP's vertices (every pure assignment, and every way for one class to split between two of
// its options with the budget binding), on small random instances.
#include <boost/test/unit_test.hpp>

#include <glpk.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "core/errors.h"
#include "planner/allocation.h"

using namespace thinkplan::planner;

namespace {

std::vector<ClassOptions> RandomInstance(std::mt19937_64& rng, int classes, int options) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<ClassOptions> out;
  for (int i = 0; i < classes; ++i) {
    ClassOptions c;
    c.name = "c" + std::to_string(i);
    c.volume = 1 + 99 * unit(rng);
    c.value = 0.5 + 2 * unit(rng);
    for (int j = 0; j < options; ++j) c.options.push_back({0.001 + unit(rng), unit(rng)});
    out.push_back(c);
  }
  return out;
}

// max sum_i v_i u_i sum_j x_ij a_ij  s.t.  sum_i v_i sum_j x_ij c_ij <= budget, sum_j x_ij = 1, x >= 0.
double GlpkOptimum(const std::vector<ClassOptions>& classes, double budget, bool* feasible) {
  glp_term_out(GLP_OFF);
  glp_prob* lp = glp_create_prob();
  glp_set_obj_dir(lp, GLP_MAX);
  const int rows = static_cast<int>(classes.size()) + 1;
  glp_add_rows(lp, rows);
  glp_set_row_bnds(lp, 1, GLP_UP, 0.0, budget);
  for (int i = 0; i < static_cast<int>(classes.size()); ++i) glp_set_row_bnds(lp, i + 2, GLP_FX, 1.0, 1.0);
  std::vector<int> ia{0}, ja{0};
  std::vector<double> ar{0};
  int column = 0;
  for (int i = 0; i < static_cast<int>(classes.size()); ++i) {
    for (const CostAccuracy& o : classes[i].options) {
      column = glp_add_cols(lp, 1);
      glp_set_col_bnds(lp, column, GLP_LO, 0.0, 0.0);
      glp_set_obj_coef(lp, column, classes[i].volume * classes[i].value * o.accuracy);
      ia.push_back(1), ja.push_back(column), ar.push_back(classes[i].volume * o.cost);
      ia.push_back(i + 2), ja.push_back(column), ar.push_back(1.0);
    }
  }
  glp_load_matrix(lp, static_cast<int>(ia.size()) - 1, ia.data(), ja.data(), ar.data());
  glp_smcp params;
  glp_init_smcp(&params);
  glp_simplex(lp, &params);
  *feasible = glp_get_status(lp) == GLP_OPT;
  const double optimum = glp_get_obj_val(lp);
  glp_delete_prob(lp);
  return optimum;
}

// The best vertex of the LP by enumeration (feasible when the cheapest assignment fits the budget).
double BruteForceOptimum(const std::vector<ClassOptions>& classes, double budget) {
  const std::size_t m = classes.size();
  double best = -INFINITY;
  std::vector<std::size_t> pick(m, 0);
  for (;;) {
    double spend = 0, objective = 0;
    for (std::size_t i = 0; i < m; ++i) {
      spend += classes[i].volume * classes[i].options[pick[i]].cost;
      objective += classes[i].volume * classes[i].value * classes[i].options[pick[i]].accuracy;
    }
    if (spend <= budget) best = std::max(best, objective);
    // Class s moves a fraction f of its traffic from pick[s] to option t, with the budget exactly spent.
    for (std::size_t s = 0; s < m; ++s) {
      const CostAccuracy& from = classes[s].options[pick[s]];
      for (const CostAccuracy& to : classes[s].options) {
        const double dc = classes[s].volume * (to.cost - from.cost);
        if (dc == 0) continue;
        const double f = (budget - spend) / dc;
        if (f <= 0 || f >= 1) continue;
        best = std::max(best, objective + f * classes[s].volume * classes[s].value * (to.accuracy - from.accuracy));
      }
    }
    std::size_t i = 0;
    while (i < m && ++pick[i] == classes[i].options.size()) pick[i++] = 0;
    if (i == m) break;
  }
  return best;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(allocation)

BOOST_AUTO_TEST_CASE(upper_hull_of_a_hand_drawn_set) {
  // (cost, accuracy): 1 is dominated by 0 (dearer, worse); 3 lies below the chord 2-4; 5 is the top.
  const std::vector<CostAccuracy> options = {{1, 0.5}, {2, 0.4}, {2, 0.7}, {3, 0.75}, {4, 0.9}, {8, 0.95}, {9, 0.95}};
  const std::vector<std::size_t> expected = {0, 2, 4, 5};
  BOOST_TEST(UpperHull(options) == expected, boost::test_tools::per_element());
}

// The textbook monotone chain: indices stably sorted by (cost ascending, accuracy descending), then the upper
// hull with dominated and collinear points dropped. The planner sorts its keys another way (counting passes on
// the cost's bits); the hull must come out the same, index for index.
std::vector<std::size_t> ReferenceHull(const std::vector<CostAccuracy>& options) {
  std::vector<std::size_t> order(options.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    if (options[x].cost != options[y].cost) return options[x].cost < options[y].cost;
    return options[x].accuracy > options[y].accuracy;
  });
  std::vector<std::size_t> hull;
  for (std::size_t idx : order) {
    const CostAccuracy& p = options[idx];
    if (!hull.empty() && p.accuracy <= options[hull.back()].accuracy) continue;
    while (hull.size() >= 2) {
      const CostAccuracy& o = options[hull[hull.size() - 2]];
      const CostAccuracy& a = options[hull.back()];
      if ((a.accuracy - o.accuracy) * (p.cost - o.cost) > (p.accuracy - o.accuracy) * (a.cost - o.cost)) break;
      hull.pop_back();
    }
    hull.push_back(idx);
  }
  return hull;
}

BOOST_AUTO_TEST_CASE(upper_hull_matches_the_textbook_chain_on_awkward_sets) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_int_distribution<int> small(0, 4);
  for (int trial = 0; trial < 400; ++trial) {
    const int n = 1 + trial % 60 + (trial % 7 == 0 ? 2000 : 0);
    std::vector<CostAccuracy> options;
    for (int j = 0; j < n; ++j) {
      switch (trial % 5) {
        case 0:  // spread over decades, as plans are
          options.push_back({std::exp(-12 + 14 * unit(rng)), unit(rng)});
          break;
        case 1:  // a handful of values: many exact ties and repeated points
          options.push_back({0.25 * small(rng), 0.25 * small(rng)});
          break;
        case 2:  // one narrow band of costs: every key in the same counting bucket
          options.push_back({1.0 + 1e-9 * unit(rng), unit(rng)});
          break;
        case 3:  // collinear points on one line, zero and negative zero costs
          options.push_back({j % 3 == 0 ? -0.0 : 0.1 * small(rng), 0.2 * small(rng) / 4 + 0.1});
          break;
        default:  // negative costs (the allocation refuses them; the hull still orders them)
          options.push_back({unit(rng) - 0.5, unit(rng)});
      }
    }
    const std::vector<std::size_t> expected = ReferenceHull(options);
    const std::vector<std::size_t> got = UpperHull(options);
    BOOST_TEST_CONTEXT("trial " << trial << ", " << n << " options") {
      BOOST_TEST(got == expected, boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(upper_hull_refuses_nan) {
  BOOST_CHECK_THROW(UpperHull({{1, 0.5}, {std::nan(""), 0.4}}), thinkplan::InputError);
}

BOOST_AUTO_TEST_CASE(hand_computed_two_class_plan) {
  // Class A: 0.01 -> 0.5, 0.11 -> 0.9 (0.4 per 0.10 USD, x100 queries). Class B: 0.02 -> 0.6, 0.22 -> 0.8
  // (0.2 per 0.20 USD). A's upgrade is worth 4/USD per query, B's 1/USD: A first. Budget 1+2+10+5 = 18 USD
  // buys A's upgrade (10 USD) and half of B's (10 of 20 USD... 5 USD is a quarter).
  std::vector<ClassOptions> classes = {{"A", 100, 1, {{0.01, 0.5}, {0.11, 0.9}}}, {"B", 100, 1, {{0.02, 0.6}, {0.22, 0.8}}}};
  const AllocationResult r = MaximiseAccuracy(classes, 18.0);
  BOOST_REQUIRE(r.feasible);
  BOOST_TEST(r.classes[0].shares.size() == 1u);
  BOOST_TEST(r.classes[0].shares[0].option == 1u);
  BOOST_REQUIRE(r.classes[1].shares.size() == 2u);
  BOOST_TEST(r.classes[1].shares[1].fraction == 0.25, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(r.spend == 18.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(r.objective == 100 * 0.9 + 100 * (0.6 + 0.25 * 0.2), boost::test_tools::tolerance(1e-12));
  // The frontier runs from the cheapest plan (3 USD) to the dearest (33 USD).
  BOOST_TEST(r.frontier.front().spend == 3.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(r.frontier.back().spend == 33.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(r.frontier.back().accuracy == 0.85, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(matches_glpk_and_brute_force_on_random_instances) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  int feasible_cases = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const int classes = 1 + trial % 4, options = 1 + (trial / 4) % 5;
    const auto instance = RandomInstance(rng, classes, options);
    double cheapest = 0, dearest = 0;
    for (const auto& c : instance) {
      double lo = INFINITY, hi = 0;
      for (const auto& o : c.options) lo = std::min(lo, o.cost), hi = std::max(hi, o.cost);
      cheapest += c.volume * lo;
      dearest += c.volume * hi;
    }
    const double budget = cheapest * 0.9 + (dearest * 1.1 - cheapest * 0.9) * unit(rng);
    const AllocationResult ours = MaximiseAccuracy(instance, budget);
    bool glpk_feasible = false;
    const double glpk = GlpkOptimum(instance, budget, &glpk_feasible);
    BOOST_TEST(ours.feasible == glpk_feasible, "trial " << trial);
    if (!ours.feasible || !glpk_feasible) continue;
    ++feasible_cases;
    BOOST_TEST(ours.objective == glpk, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(ours.objective == BruteForceOptimum(instance, budget), boost::test_tools::tolerance(1e-9));
    BOOST_TEST(ours.spend <= budget * (1 + 1e-12));
    int split_classes = 0;
    for (const auto& c : ours.classes) {
      double total = 0;
      for (const auto& share : c.shares) total += share.fraction;
      BOOST_TEST(total == 1.0, boost::test_tools::tolerance(1e-12));
      split_classes += c.shares.size() > 1;
    }
    BOOST_TEST(split_classes <= 1);
  }
  BOOST_TEST(feasible_cases > 200);
}

BOOST_AUTO_TEST_CASE(min_cost_for_a_target_inverts_max_accuracy) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 100; ++trial) {
    const auto instance = RandomInstance(rng, 3, 4);
    const AllocationResult top = MaximiseAccuracy(instance, 1e12);
    const AllocationResult bottom = MaximiseAccuracy(instance, 0.0 + top.frontier.front().spend);
    const double target = bottom.accuracy + 0.5 * (top.accuracy - bottom.accuracy);
    const AllocationResult cheapest = MinimiseCostForAccuracy(instance, target);
    BOOST_REQUIRE(cheapest.feasible);
    BOOST_TEST(cheapest.accuracy == target, boost::test_tools::tolerance(1e-9));
    // Spending exactly that much with the max-accuracy objective buys exactly the target back.
    BOOST_TEST(MaximiseAccuracy(instance, cheapest.spend).accuracy == target, boost::test_tools::tolerance(1e-9));
  }
  std::vector<ClassOptions> classes = {{"A", 1, 1, {{0.01, 0.5}, {0.11, 0.9}}}};
  BOOST_TEST(!MinimiseCostForAccuracy(classes, 0.95).feasible);
}

BOOST_AUTO_TEST_CASE(per_class_targets_and_net_value) {
  std::vector<ClassOptions> classes = {{"A", 10, 1, {{0.01, 0.5}, {0.11, 0.9}}}, {"B", 10, 2, {{0.02, 0.6}, {0.22, 0.8}}}};
  const AllocationResult r = MinimiseCostForClassTargets(classes, {0.7, 0.6});
  BOOST_REQUIRE(r.feasible);
  BOOST_TEST(r.classes[0].accuracy == 0.7, boost::test_tools::tolerance(1e-12));  // half of A's traffic upgraded
  BOOST_TEST(r.classes[0].cost_per_query == 0.06, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(r.classes[1].cost_per_query == 0.02, boost::test_tools::tolerance(1e-12));
  // Net value: A: 0.5-0.01 = 0.49 vs 0.9-0.11 = 0.79 -> option 1; B (value 2): 1.2-0.02 = 1.18 vs 1.6-0.22 = 1.38.
  const AllocationResult net = MaximiseNetValue(classes);
  BOOST_TEST(net.classes[0].shares[0].option == 1u);
  BOOST_TEST(net.classes[1].shares[0].option == 1u);
  BOOST_TEST(net.objective == 10 * 0.79 + 10 * 1.38, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(bad_inputs_are_refused) {
  std::vector<ClassOptions> empty = {{"A", 1, 1, {}}};
  BOOST_CHECK_THROW(MaximiseAccuracy(empty, 1), thinkplan::InputError);
  std::vector<ClassOptions> nan_cost = {{"A", 1, 1, {{NAN, 0.5}}}};
  BOOST_CHECK_THROW(MaximiseAccuracy(nan_cost, 1), thinkplan::InputError);
  std::vector<ClassOptions> ok = {{"A", 1, 1, {{0.1, 0.5}}}};
  BOOST_CHECK_THROW(MaximiseAccuracy(ok, -1), thinkplan::InputError);
  BOOST_TEST(!MaximiseAccuracy(ok, 0.05).feasible);
}

BOOST_AUTO_TEST_SUITE_END()
