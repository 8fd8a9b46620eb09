// Numerical robustness of plans and simulations: random valid workloads (the default workload with its budget,
// objective, volumes, peak factors, values, SLOs, prompt and answer lengths, bucket shares and router varied over
// orders of magnitude) and edge cases are planned on the demo's fits, and each feasible plan is stored and
// simulated. No number in a plan or in a stored simulation may be NaN or infinite (a latency that does not exist is
// written as null), and every accuracy lies in [0, 1].
// THINKPLAN_NUMERICAL_PLANS (default 100; 25 under ASan) lengthens the run locally.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <fstream>
#include <functional>
#include <random>

#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "pipeline/plan_stage.h"
#include "pipeline/simulate_stage.h"
#include "planner/workload.h"
#include "tests/common/test_support.h"
#include "tests/reliability/reliability_support.h"

namespace thinkplan::testing {
namespace {

using nlohmann::json;

#if defined(__SANITIZE_ADDRESS__)
constexpr long kDefaultPlans = 25;
#else
constexpr long kDefaultPlans = 100;
#endif

// Every number under `node`; returns how many were looked at and records the path of the first one that is not
// finite (nlohmann keeps NaN and infinity in memory; only its text output turns them into null).
long CountFiniteNumbers(const json& node, const std::string& path, std::string* first_bad) {
  if (node.is_number_float()) {
    if (!std::isfinite(node.get<double>()) && first_bad->empty()) *first_bad = path;
    return 1;
  }
  if (node.is_number()) return 1;
  long n = 0;
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) n += CountFiniteNumbers(value, path + "." + key, first_bad);
  } else if (node.is_array()) {
    for (std::size_t i = 0; i < node.size(); ++i) n += CountFiniteNumbers(node[i], path + "[" + std::to_string(i) + "]", first_bad);
  }
  return n;
}

json DefaultWorkload() {
  std::ifstream in(DataDir() / "workloads" / "default.json");
  return json::parse(in);
}

// The default workload with every scale drawn afresh; attempt % 3 picks the objective.
json RandomWorkload(std::mt19937_64& random, long attempt) {
  auto uniform = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(random); };
  auto log_uniform = [&](double lo, double hi) { return std::exp(uniform(std::log(lo), std::log(hi))); };
  json w = DefaultWorkload();
  w["name"] = "numerical-" + std::to_string(attempt);
  w["budget_usd_per_month"] = w["budget_usd_per_month"].get<double>() * log_uniform(1e-2, 1e2);
  if (attempt % 3 == 1) {
    w["objective"] = "min_cost";
    w["target_accuracy"] = uniform(0.05, 0.95);
  } else if (attempt % 3 == 2) {
    w["objective"] = "max_net_value";
  }
  for (json& c : w["classes"]) {
    c["daily_volume"] = c["daily_volume"].get<double>() * log_uniform(1e-4, 5);
    c["peak_factor"] = uniform(1, 6);
    c["value_usd"] = log_uniform(1e-4, 10);
    c["slo_p95_s"] = log_uniform(0.5, 3600);
    c["prompt_tokens"] = std::round(log_uniform(1, 20000));
    c["answer_tokens"] = std::round(log_uniform(1, 4000));
    json& buckets = c["buckets"];
    if (buckets.size() > 1) {
      std::vector<double> shares;
      double total = 0;
      for (std::size_t b = 0; b < buckets.size(); ++b) total += shares.emplace_back(uniform(0, 1) < 0.2 ? 0.0 : uniform(0.01, 1));
      if (total == 0) shares[0] = total = 1;
      for (std::size_t b = 0; b < buckets.size(); ++b) buckets[b]["share"] = shares[b] / total;
      if (c.contains("router")) c["router"] = json{{"auc", uniform(0.5, 0.9999)}};
    }
  }
  return w;
}

// Edge cases a user can write: a single query a day, volumes at the reader's ceiling, a budget of one cent, SLOs
// nobody can meet, one-token prompts and answers, a class whose buckets all go one way.
std::vector<json> EdgeWorkloads() {
  std::vector<json> out;
  auto with = [&](const std::string& name, const std::function<void(json&)>& change) {
    json w = DefaultWorkload();
    w["name"] = name;
    change(w);
    out.push_back(w);
  };
  with("one-query-a-day", [](json& w) { for (json& c : w["classes"]) c["daily_volume"] = 1; });
  with("huge-volume", [](json& w) { for (json& c : w["classes"]) c["daily_volume"] = 1e9; });
  with("one-cent", [](json& w) { w["budget_usd_per_month"] = 0.01; });
  with("impossible-slo", [](json& w) { for (json& c : w["classes"]) c["slo_p95_s"] = 0.001; });
  with("one-token", [](json& w) {
    for (json& c : w["classes"]) {
      c["prompt_tokens"] = 1;
      c["answer_tokens"] = 1;
    }
  });
  with("one-bucket-only", [](json& w) {
    for (json& c : w["classes"]) {
      for (std::size_t b = 0; b < c["buckets"].size(); ++b) c["buckets"][b]["share"] = b == 0 ? 1.0 : 0.0;
    }
  });
  with("zero-value", [](json& w) {
    w["objective"] = "max_net_value";
    for (json& c : w["classes"]) c["value_usd"] = 0;
  });
  return out;
}

struct Tally {
  int workloads = 0, refused = 0, plans = 0, feasible = 0, simulations = 0;
  long numbers = 0;
};

// Plans `workload_json`, checks the plan, and stores and simulates it when feasible.
void PlanAndSimulate(store::Database& db, const json& workload_json, Tally* tally) {
  ++tally->workloads;
  const std::string name = workload_json.value("name", "?");
  BOOST_TEST_INFO("workload " << name);
  planner::Workload workload;
  try {
    workload = planner::ParseWorkload(workload_json, name + ".json");
  } catch (const InputError&) {
    ++tally->refused;  // outside the reader's range: refused with a message, nothing to plan
    return;
  }
  const auto loaded = pipeline::LoadPlanInputs(db, workload);
  const planner::PlanResult plan = planner::MakePlan(loaded->inputs);
  ++tally->plans;
  const json plan_json = plan.ToJson();
  std::string bad;
  tally->numbers += CountFiniteNumbers(plan_json, "plan", &bad);
  BOOST_REQUIRE_MESSAGE(bad.empty(), "not finite: " << bad);
  if (!plan.feasible) return;
  ++tally->feasible;

  const long plan_id = pipeline::StorePlan(db, workload, plan, std::nullopt);
  pipeline::SimulateSettings settings;
  settings.days = 0.05;
  pipeline::SimulateStageResult simulated;
  try {
    simulated = pipeline::SimulateStage(db, plan_id, settings, nullptr);
  } catch (const InputError& e) {
    BOOST_FAIL("a feasible plan could not be simulated: " << e.what());
  }
  ++tally->simulations;
  tally->numbers += CountFiniteNumbers(simulated.json, "simulation", &bad);
  BOOST_REQUIRE_MESSAGE(bad.empty(), "not finite: " << bad);
  const sim::FleetSummary& s = simulated.summary;
  BOOST_TEST((s.accuracy >= 0 && s.accuracy <= 1));
  for (const sim::ClassOutcome& c : s.classes) {
    BOOST_TEST_INFO("class " << c.name);
    BOOST_TEST((c.accuracy >= 0 && c.accuracy <= 1));
    BOOST_TEST((c.slo_miss_fraction >= 0 && c.slo_miss_fraction <= 1));
  }
}

BOOST_AUTO_TEST_CASE(plans_and_simulations_are_finite_on_random_and_edge_workloads) {
  std::string probe;  // the check itself finds a NaN where one is
  CountFiniteNumbers(json{{"x", {1.0, std::nan("")}}}, "probe", &probe);
  BOOST_REQUIRE_EQUAL(probe, "probe.x[1]");

  ScratchDir dir("thinkplan-numerical-plans");
  const auto db_path = dir / "store.db";
  const CommandResult demo = RunThinkplan("demo --quiet --db " + ShellQuote(db_path.string()));
  BOOST_REQUIRE_MESSAGE(demo.exit_code == 0, demo.err);
  store::Database db = store::Database::Open(db_path);

  Tally tally;
  for (const json& w : EdgeWorkloads()) PlanAndSimulate(db, w, &tally);
  std::mt19937_64 random(20261130);
  const long attempts = EnvCount("THINKPLAN_NUMERICAL_PLANS", kDefaultPlans);
  for (long attempt = 0; attempt < attempts; ++attempt) PlanAndSimulate(db, RandomWorkload(random, attempt), &tally);

  BOOST_TEST_MESSAGE("numerical plans: " << tally.workloads << " workloads (" << tally.refused << " refused by the reader), "
                                         << tally.plans << " plans, " << tally.feasible << " feasible, "
                                         << tally.simulations << " simulated; " << tally.numbers
                                         << " numbers checked, all finite");
  BOOST_TEST(tally.feasible > 0);
  BOOST_TEST(tally.plans > tally.feasible);  // the edge cases reach infeasible plans too
}

}  // namespace
}  // namespace thinkplan::testing
