// The planner layer above the allocation solver: workload validation (an error catalogue naming JSON paths), the
// router confusion from an AUC (closed form), parallel accuracy through the rescaled Beta (docs/design.md reference
// values and the core's quadrature), routing and the router analysis on a hand-computed instance, and a plan on
// the shipped default workload whose figures are recomputed here from the stored runs and list prices.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <map>

#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/special_functions.h"
#include "core/text.h"
#include "planner/plan.h"
#include "planner/whatif.h"
#include "store/database.h"
#include "tests/common/test_support.h"
#include "tests/planner/planner_fixtures.h"

using namespace thinkplan;
using namespace thinkplan::planner;
using thinkplan::testing::MakeRun;
using nlohmann::json;

namespace {

json MinimalWorkload() {
  return json::parse(R"({
    "name": "t", "objective": "max_accuracy", "budget_usd_per_month": 100,
    "systems": [{"name": "fast", "kind": "api", "price_in_usd_per_mtok": 0, "price_out_usd_per_mtok": 10,
                 "budget_knob": false, "ttft_s": 0, "output_tokens_per_s": 1000},
                {"name": "slow", "kind": "api", "price_in_usd_per_mtok": 0, "price_out_usd_per_mtok": 10,
                 "budget_knob": false, "ttft_s": 0, "output_tokens_per_s": 1000}],
    "classes": [{"name": "code", "daily_volume": 1000, "value_usd": 1, "verifier": {"kind": "none"},
                 "buckets": [{"name": "easy", "task_class": "x", "difficulty": "easy", "share": 0.6},
                             {"name": "hard", "task_class": "x", "difficulty": "hard", "share": 0.4}],
                 "router": {"confusion": [[0.9, 0.1], [0.2, 0.8]]}}]
  })");
}

// Expects ParseWorkload to fail with an InputError whose location names `field`.
void ExpectError(const json& j, const std::string& field) {
  try {
    ParseWorkload(j, "w.json");
    BOOST_ERROR("no error for " + field);
  } catch (const InputError& e) {
    BOOST_TEST(e.where().file == "w.json");
    BOOST_TEST(e.where().field == field, "field '" << e.where().field << "' expected '" << field << "': " << e.what());
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(workload)

BOOST_AUTO_TEST_CASE(minimal_workload_parses_and_round_trips) {
  const Workload w = ParseWorkload(MinimalWorkload(), "w.json");
  BOOST_TEST(w.classes.size() == 1u);
  BOOST_TEST(w.classes[0].buckets[1].share == 0.4);
  BOOST_TEST(w.classes[0].router->confusion[1][0] == 0.2);
  const Workload again = ParseWorkload(ToJson(w), "again.json");
  BOOST_TEST(ToJson(again).dump() == ToJson(w).dump());
}

BOOST_AUTO_TEST_CASE(streaming_slos_parse_and_round_trip) {
  json j = MinimalWorkload();
  j["classes"][0]["slo_ttft_p95_s"] = 2.5;
  j["classes"][0]["slo_tpot_s"] = 0.05;
  const Workload w = ParseWorkload(j, "w.json");
  BOOST_TEST(w.classes[0].slo_ttft_p95_s == 2.5);
  BOOST_TEST(w.classes[0].slo_tpot_s == 0.05);
  BOOST_TEST(ParseWorkload(MinimalWorkload(), "w.json").classes[0].slo_ttft_p95_s == 0.0);  // absent: none
  const Workload again = ParseWorkload(ToJson(w), "again.json");
  BOOST_TEST(again.classes[0].slo_ttft_p95_s == 2.5);
  BOOST_TEST(again.classes[0].slo_tpot_s == 0.05);
}

// The replica sizes the configuration search may try: from `devices` up to `max_devices_per_replica` (default 8).
BOOST_AUTO_TEST_CASE(replica_size_bounds_parse_round_trip_and_are_checked) {
  json j = MinimalWorkload();
  j["systems"].push_back({{"name", "QwQ@H100"}, {"kind", "self_hosted"}, {"curves", "QwQ-32B-Preview"},
                          {"model", "QwQ-32B-Preview"}, {"hardware", "H100-SXM-80GB"}, {"devices", 2},
                          {"max_devices_per_replica", 4}});
  const Workload w = ParseWorkload(j, "w.json");
  BOOST_TEST(w.systems.back().max_devices_per_replica == 4);
  BOOST_TEST(ParseWorkload(ToJson(w), "again.json").systems.back().max_devices_per_replica == 4);
  const std::string field = "systems[" + std::to_string(j["systems"].size() - 1) + "].max_devices_per_replica";
  j["systems"].back()["max_devices_per_replica"] = 1;  // below devices
  ExpectError(j, field);
  j["systems"].back()["max_devices_per_replica"] = 2.5;
  ExpectError(j, field);
  j["systems"].back().erase("max_devices_per_replica");
  BOOST_TEST(ParseWorkload(j, "w.json").systems.back().max_devices_per_replica == 8);
}

BOOST_AUTO_TEST_CASE(error_catalogue_names_the_json_path) {
  struct Case {
    std::string pointer;  // JSON pointer to change
    json value;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"/classes/0/verifier", json{{"kind", "reward_model"}, {"dprime", -1}}, "classes[0].verifier.dprime"},
      {"/classes/0/verifier", json{{"kind", "reward_model"}, {"auc", 1.5}}, "classes[0].verifier.auc"},
      {"/classes/0/verifier", json{{"kind", "oracle"}}, "classes[0].verifier.kind"},
      {"/classes/0/verifier", json{{"kind", "exact"}, {"dprime", 2}}, "classes[0].verifier.dprime"},
      {"/classes/0/verifier", json{{"kind", "human"}}, "classes[0].verifier.usd_per_review"},
      {"/classes/0/daily_volume", -5, "classes[0].daily_volume"},
      {"/classes/0/daily_volume", "many", "classes[0].daily_volume"},
      {"/classes/0/peak_factor", 0.5, "classes[0].peak_factor"},
      {"/classes/0/slo_ttft_p95_s", -1, "classes[0].slo_ttft_p95_s"},
      {"/classes/0/slo_ttft_p95_s", "fast", "classes[0].slo_ttft_p95_s"},
      {"/classes/0/slo_tpot_s", 61, "classes[0].slo_tpot_s"},
      {"/classes/0/buckets/1/share", 0.3, "classes[0].buckets"},
      {"/classes/0/router/confusion/1", json::array({0.5, 0.4}), "classes[0].router.confusion[1]"},
      {"/classes/0/router/confusion/0", json::array({0.9}), "classes[0].router.confusion[0]"},
      {"/classes/0/volume", 1, "classes[0].volume"},
      {"/classes/0/systems", json::array({"nope"}), "classes[0].systems[0]"},
      {"/systems/1/name", "fast", "systems[1].name"},
      {"/systems/0/kind", "cloud", "systems[0].kind"},
      {"/systems/0/devices", 2, "systems[0].devices"},
      {"/objective", "max_fun", "objective"},
      {"/budget_usd_per_month", nullptr, "budget_usd_per_month"},
      {"/confidence", 1.5, "confidence"},
  };
  for (const Case& c : cases) {
    json j = MinimalWorkload();
    j[json::json_pointer(c.pointer)] = c.value;
    ExpectError(j, c.field);
  }
  json no_classes = MinimalWorkload();
  no_classes.erase("classes");
  ExpectError(no_classes, "classes");
}

BOOST_AUTO_TEST_CASE(router_confusion_from_auc_is_the_equal_variance_gaussian) {
  // Two buckets: correct with probability Phi(d'/2), d' = sqrt 2 Phi^-1(AUC).
  const double auc = 0.76;
  const double d = std::sqrt(2.0) * NormalQuantile(auc);
  const auto m = ConfusionFromAuc(auc, 2);
  BOOST_TEST(m[0][0] == NormalCdf(d / 2), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(m[1][1] == NormalCdf(d / 2), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(m[0][0] == 0.6913, boost::test_tools::tolerance(1e-3));
  // Three buckets: the middle one loses mass on both sides.
  const auto m3 = ConfusionFromAuc(auc, 3);
  BOOST_TEST(m3[1][1] == 2 * NormalCdf(d / 2) - 1, boost::test_tools::tolerance(1e-12));
  for (const auto& row : m3) BOOST_TEST(row[0] + row[1] + row[2] == 1.0, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(parallel_composition)

BOOST_AUTO_TEST_CASE(reference_values_of_design_section_3_3) {
  // Rescaling Beta(0.4, 0.6) to its own mean leaves it unchanged: the docs/design.md reference values apply.
  BetaDifficulty beta;
  beta.a = 0.4;
  beta.b = 0.6;
  const double inf = std::numeric_limits<double>::infinity();
  BOOST_TEST(ParallelAccuracy(beta, 0.4, {AggregationKind::kPassAt, 16}, inf, 0) == 0.7801, boost::test_tools::tolerance(1e-3));
  BOOST_TEST(ParallelAccuracy(beta, 0.4, {AggregationKind::kBestOf, 16}, 1.0, 0) == 0.599, boost::test_tools::tolerance(2e-3));
  BOOST_TEST(ParallelAccuracy(beta, 0.4, {AggregationKind::kBestOf, 16}, 3.0, 0) == 0.765, boost::test_tools::tolerance(2e-3));
  BOOST_TEST(ParallelAccuracy(beta, 0.4, {AggregationKind::kBestOf, 64}, 1.0, 0) == 0.660, boost::test_tools::tolerance(2e-3));
  BOOST_TEST(ParallelAccuracy(beta, 0.4, {AggregationKind::kConsensus, 5}, inf, 0.5) == 0.479, boost::test_tools::tolerance(2e-3));
}

BOOST_AUTO_TEST_CASE(beta_binomial_sum_agrees_with_the_core_quadrature_at_other_means) {
  BetaDifficulty shape;
  shape.a = 0.7;
  shape.b = 1.9;
  for (double mean : {0.1, 0.35, 0.8}) {
    const BetaDifficulty beta = RescaleBeta(shape, mean);
    BOOST_TEST(beta.a + beta.b == 2.6, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(beta.Mean() == mean, boost::test_tools::tolerance(1e-12));
    for (long k : {2L, 8L, 32L}) {
      BOOST_TEST(ParallelAccuracy(shape, mean, {AggregationKind::kBestOf, k}, 1.5, 0) == beta.BestOfN(k, 1.5),
                 boost::test_tools::tolerance(1e-6));
      BOOST_TEST(ParallelAccuracy(shape, mean, {AggregationKind::kConsensus, k}, 0, 0.3) == beta.ConsAtK(k, 0.3),
                 boost::test_tools::tolerance(1e-6));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(routing)

// Two true buckets (easy 60%, hard 40%), confusion [[0.9, 0.1], [0.2, 0.8]]. Option A ("fast") is right on 90% of
// easy and 30% of hard problems for 100 tokens ($0.001 at $10 per million); option B ("slow") 95% / 70% for 1000
// tokens ($0.01). 30,000 queries a month. Hand computation in the comments.
struct RoutingFixture {
  Workload workload = ParseWorkload(MinimalWorkload(), "w.json");
  CurveSet curves;
  std::vector<Run> runs = {MakeRun("fast", "easy", Mode::kFast, 90, 100), MakeRun("fast", "hard", Mode::kFast, 30, 100),
                           MakeRun("slow", "easy", Mode::kExtended, 95, 1000),
                           MakeRun("slow", "hard", Mode::kExtended, 70, 1000)};
  PlanInputs Inputs() const {
    PlanInputs in;
    in.workload = workload;
    in.curves = &curves;
    in.runs = runs;
    return in;
  }
};

BOOST_FIXTURE_TEST_CASE(predicted_buckets_mix_the_true_buckets, RoutingFixture) {
  const auto routed = RouteBuckets(workload.classes[0], workload.classes[0].router->confusion);
  BOOST_REQUIRE(routed.size() == 2u);
  BOOST_TEST(routed[0].mass == 0.62, boost::test_tools::tolerance(1e-12));  // 0.6 * 0.9 + 0.4 * 0.2
  BOOST_TEST(routed[1].mass == 0.38, boost::test_tools::tolerance(1e-12));  // 0.6 * 0.1 + 0.4 * 0.8
  std::vector<std::string> notes;
  const auto candidates = GenerateCandidates(workload, workload.classes[0], curves, runs, Catalogues{}, OptionsConfig{}, &notes);
  BOOST_REQUIRE(candidates.size() == 2u);
  const auto easy = MixOptions(candidates, routed[0], 0);
  const auto hard = MixOptions(candidates, routed[1], 0);
  auto by_system = [&](const std::vector<RoutedOption>& options, const std::string& system) {
    for (const RoutedOption& o : options) if (candidates[o.candidate].setting.system == system) return o.figures;
    BOOST_FAIL("missing " + system);
    return Figures{};
  };
  BOOST_TEST(by_system(easy, "fast").accuracy == 0.51 / 0.62, boost::test_tools::tolerance(1e-12));   // (.54*.9+.08*.3)/.62
  BOOST_TEST(by_system(easy, "slow").accuracy == 0.569 / 0.62, boost::test_tools::tolerance(1e-12));  // (.54*.95+.08*.7)/.62
  BOOST_TEST(by_system(hard, "fast").accuracy == 0.15 / 0.38, boost::test_tools::tolerance(1e-12));   // (.06*.9+.32*.3)/.38
  BOOST_TEST(by_system(hard, "slow").accuracy == 0.281 / 0.38, boost::test_tools::tolerance(1e-12));  // (.06*.95+.32*.7)/.38
  BOOST_TEST(by_system(hard, "slow").cost_usd == 0.01, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(by_system(easy, "fast").cost_usd == 0.001, boost::test_tools::tolerance(1e-12));
  // An SLO below the slow option's latency (1000 tokens at 1000/s = 1 s) leaves only the fast one.
  BOOST_TEST(MixOptions(candidates, routed[1], 0.5).size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(plan_routes_hard_to_slow_and_prices_the_router_error, RoutingFixture) {
  // All on A costs 30000 * 0.001 = $30. Upgrading predicted-hard to B: +30000 * 0.38 * 0.009 = $102.60, at
  // 0.38 * 0.3447 / (0.38 * 0.009) = 38.3 accuracy per dollar, ahead of predicted-easy (10.6). Budget $132.60:
  // predicted-hard on B, predicted-easy on A: accuracy 0.51 + 0.281 = 0.791.
  workload.budget_usd_per_month = 132.6;
  const PlanResult plan = MakePlan(Inputs());
  BOOST_REQUIRE(plan.feasible);
  BOOST_TEST(plan.accuracy == 0.791, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(plan.inference_usd_per_month == 132.6, boost::test_tools::tolerance(1e-9));
  BOOST_REQUIRE(plan.buckets.size() == 2u);
  // The budget sits exactly on a hull vertex: a zero-fraction second share may be listed beside the full one.
  auto main_system = [](const BucketPlan& b) {
    const ChosenShare* top = &b.shares[0];
    for (const ChosenShare& s : b.shares) if (s.fraction > top->fraction) top = &s;
    BOOST_TEST(top->fraction == 1.0, boost::test_tools::tolerance(1e-9));
    return top->setting.system;
  };
  BOOST_TEST(main_system(plan.buckets[0]) == "fast");
  BOOST_TEST(main_system(plan.buckets[1]) == "slow");
  // Perfect router, same budget: hard (40%) upgrade costs $108, so 102.6 / 108 = 95% of it:
  // 0.6 * 0.9 + 0.4 * (0.3 + 0.95 * 0.4) = 0.812.
  BOOST_REQUIRE(plan.perfect_router.has_value());
  BOOST_TEST(plan.perfect_router->accuracy == 0.812, boost::test_tools::tolerance(1e-9));
  // No router: one choice for all; B costs $270 more in full, 102.6 / 270 = 0.38 of it: 0.66 + 0.38 * 0.19.
  BOOST_REQUIRE(plan.no_router.has_value());
  BOOST_TEST(plan.no_router->accuracy == 0.66 + 0.38 * 0.19, boost::test_tools::tolerance(1e-9));
}

BOOST_FIXTURE_TEST_CASE(plan_json_gives_each_option_per_true_bucket, RoutingFixture) {
  // The plan above: predicted-easy on A (90% / 30% on true easy / hard), predicted-hard on B (95% / 70%); each
  // option's accuracy is the mix of these by the bucket's true-bucket weights.
  workload.budget_usd_per_month = 132.6;
  const json allocation = MakePlan(Inputs()).ToJson().at("allocation");
  BOOST_REQUIRE(allocation.size() == 2u);
  const std::map<std::string, std::vector<double>> expected = {{"fast", {0.9, 0.3}}, {"slow", {0.95, 0.7}}};
  for (const json& bucket : allocation) {
    const std::vector<double> weights = bucket.at("true_bucket_mix").get<std::vector<double>>();
    for (const json& option : bucket.at("options")) {
      const json& by_true = option.at("by_true_bucket");
      BOOST_REQUIRE(by_true.size() == 2u);
      const std::vector<double>& want = expected.at(option.at("system").get<std::string>());
      double mixed = 0;
      for (std::size_t t = 0; t < 2; ++t) {
        BOOST_TEST(by_true[t].at("accuracy").get<double>() == want[t], boost::test_tools::tolerance(1e-12));
        mixed += weights[t] * want[t];
      }
      BOOST_TEST(option.at("accuracy").get<double>() == mixed, boost::test_tools::tolerance(1e-12));
    }
  }
}

BOOST_FIXTURE_TEST_CASE(min_cost_for_a_target_and_the_robust_bound, RoutingFixture) {
  // Target 0.791 is exactly the plan above, whose cost is $132.60.
  workload.objective = Objective::kMinCost;
  workload.target_accuracy = 0.791;
  PlanResult plan = MakePlan(Inputs());
  BOOST_REQUIRE(plan.feasible);
  BOOST_TEST(plan.inference_usd_per_month == 132.6, boost::test_tools::tolerance(1e-9));
  // Robust planning needs more spend for the same target on the lower bounds (or is infeasible).
  PlanOptions robust;
  robust.robust = true;
  robust.target_accuracy = 0.70;
  plan = MakePlan(Inputs(), robust);
  PlanOptions plain;
  plain.target_accuracy = 0.70;
  const PlanResult expected = MakePlan(Inputs(), plain);
  BOOST_REQUIRE(plan.feasible);
  BOOST_TEST(plan.inference_usd_per_month > expected.inference_usd_per_month);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

// The default workload on the shipped runs its classes draw on.
PlanInputs DefaultWorkloadInputs(store::Database& db, const CurveSet& curves) {
  return thinkplan::testing::ShippedPlanInputs(
      db,
      {"published/systems.csv", "published/hardware.csv", "published/runs.csv",
       "public/livecodebench/runs_2025-01.csv", "public/routellm/runs.csv", "public/matharena/runs.csv",
       "public/deepseek_r1/runs.csv"},
      "default.json", curves);
}

// The default workload stored in a scratch database, with no fits (every option is a stored run, so each figure can
// be recomputed from the runs alone), and its plan.
struct DefaultPlanFixture {
  thinkplan::testing::ScratchDir dir;
  store::Database db = store::Database::Open(dir / "t.db");
  CurveSet curves;
  PlanInputs in = DefaultWorkloadInputs(db, curves);
  PlanResult base = MakePlan(in);
};

}  // namespace

BOOST_AUTO_TEST_SUITE(default_workload)

BOOST_FIXTURE_TEST_CASE(plan_figures_recomputed_from_stored_runs_and_prices, DefaultPlanFixture) {
  const PlanResult& plan = base;
  BOOST_REQUIRE(plan.feasible);
  BOOST_TEST(plan.inference_usd_per_month <= *in.workload.budget_usd_per_month * (1 + 1e-9));

  double spend = 0;
  for (const BucketPlan& b : plan.buckets) {
    const TaskClassSpec& c = *in.workload.FindClass(b.class_name);
    double fractions = 0;
    for (const ChosenShare& share : b.shares) {
      fractions += share.fraction;
      const SystemSpec& s = *in.workload.FindSystem(share.setting.system);
      BOOST_TEST(!share.setting.from_curve);
      // Accuracy: the stored runs with this setting, reports of one problem set counted as one set of problems
      // (their accuracies averaged, weighted by samples), distinct sets pooled; mixed over the true buckets.
      // Tokens: measured output (all answer in fast mode, thinking + answer otherwise) and input where measured.
      double accuracy = 0, output = 0, prompt = 0;
      for (std::size_t t = 0; t < c.buckets.size(); ++t) {
        if (b.weights[t] == 0) continue;
        struct Set { double n = 0, acc = 0, w = 0, out = 0, out_w = 0, in = 0, in_w = 0; };
        std::map<std::string, Set> sets;
        for (const Run& r : in.runs) {
          if (r.system != s.CurveName(c.buckets[t].task_class) || r.task_class != c.buckets[t].task_class ||
              r.difficulty != c.buckets[t].difficulty || r.mode != share.setting.mode || r.effort != share.setting.effort ||
              r.budget_tokens != share.setting.budget || r.aggregation.kind != AggregationKind::kPass1) {
            continue;
          }
          Set& set = sets[r.problem_set.empty() ? r.run_key : r.problem_set];
          const double w = static_cast<double>(r.samples);
          set.n = std::max(set.n, static_cast<double>(r.n_problems));
          set.acc += w * r.n_correct / static_cast<double>(r.n_problems), set.w += w;
          if (r.mean_output_tokens) set.out += w * *r.mean_output_tokens, set.out_w += w;
          if (r.mean_input_tokens) set.in += w * *r.mean_input_tokens, set.in_w += w;
        }
        double n = 0, correct = 0, out_sum = 0, out_n = 0, in_sum = 0, in_n = 0;
        for (const auto& [name, set] : sets) {
          n += set.n;
          correct += set.n * set.acc / set.w;
          if (set.out_w > 0) out_sum += set.n * set.out / set.out_w, out_n += set.n;
          if (set.in_w > 0) in_sum += set.n * set.in / set.in_w, in_n += set.n;
        }
        BOOST_REQUIRE(n > 0);
        accuracy += b.weights[t] * correct / n;
        const std::string level = share.setting.mode == Mode::kFast ? "fast" : share.setting.effort.empty() ? "extended" : share.setting.effort;
        const double assumed = share.setting.mode == Mode::kFast ? c.answer_tokens : s.thinking_tokens.at(level) + c.answer_tokens;
        output += b.weights[t] * (out_n > 0 ? out_sum / out_n : assumed);
        prompt += b.weights[t] * (in_n > 0 ? in_sum / in_n : c.prompt_tokens);
      }
      BOOST_TEST(share.figures.accuracy == accuracy, boost::test_tools::tolerance(1e-9));
      if (s.kind == SystemKind::kApi) {
        const SystemInfo* info = in.catalogues.FindSystem(s.catalogue_name.empty() ? s.name : s.catalogue_name);
        const double pin = s.price_in_usd_per_mtok.value_or(info ? info->price_in_usd_per_mtok.value_or(0) : 0);
        const double pout = s.price_out_usd_per_mtok.value_or(info ? info->price_out_usd_per_mtok.value_or(0) : 0);
        const double cost = (prompt * pin + output * pout) / 1e6;
        BOOST_TEST(share.figures.cost_usd == cost, boost::test_tools::tolerance(1e-9));
      }
      if (c.slo_p95_s > 0) BOOST_TEST(share.figures.latency_p95_s <= c.slo_p95_s);
      spend += b.queries_per_month * share.fraction * share.figures.cost_usd;
    }
    BOOST_TEST(fractions == 1.0, boost::test_tools::tolerance(1e-12));
  }
  BOOST_TEST(spend == plan.inference_usd_per_month, boost::test_tools::tolerance(1e-9));
  // The class accuracies recombine to the total, value-weighted.
  double weighted = 0, weight = 0;
  for (const ClassPlan& cp : plan.classes) {
    const TaskClassSpec& c = *in.workload.FindClass(cp.name);
    weighted += c.daily_volume * c.value_usd * cp.accuracy;
    weight += c.daily_volume * c.value_usd;
    BOOST_TEST(cp.interval.lower <= cp.accuracy);
    BOOST_TEST(cp.accuracy <= cp.interval.upper);
  }
  BOOST_TEST(plan.accuracy == weighted / weight, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(plan.accuracy_interval.lower <= plan.accuracy);
  BOOST_TEST(plan.accuracy <= plan.accuracy_interval.upper);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(whatif)

BOOST_AUTO_TEST_CASE(set_parser_error_catalogue) {
  const Workload w = ParseWorkload(MinimalWorkload(), "w.json");
  const Catalogues catalogues;
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"budget", "expected KEY=VALUE"},
      {"=2x", "expected KEY=VALUE"},
      {"budget=", "expected KEY=VALUE"},
      {"budget=lots", "value 'lots': not a number"},
      {"budget=2y", "value '2y': not a number"},
      {"budget=-5", ">= 0"},
      {"budget=30,000", "thousands separators are not accepted; write 30000 or 30k"},
      {"budget=nan", "not a finite number"},
      {"budget=2kx", "a suffix and a multiplier together"},
      {"slo.code=2k", "suffixes k, M and G are for amounts"},
      {"budget=0x", "multiplier must be > 0"},
      {"budget.code=2x", "takes no sub-key"},
      {"volume=2x", "needs a class"},
      {"volume.cod=2x", "did you mean 'code'"},
      {"slo.code=0", "must be > 0"},
      {"verifier.code=2", "expected verifier.<class>.dprime"},
      {"verifier.code.dprime=2", "has no reward_model verifier"},
      {"price.nothing=2", "no system or hardware"},
      {"price.fast=2", "needs .in or .out"},
      {"colour.code=2", "unknown key"},
      {"value=2", "needs a class"},
      {"peak.code=0.5", "a peak factor must be >= 1"},
      {"peak.cod=2", "did you mean 'code'"},
      {"router.code=0.8", "expected router.<class>.auc"},
      {"router.code.auc=2x", "auc must be an absolute value"},
      {"router.code.auc=1", "auc must be an absolute value"},
      {"devices.fast=2", "is an API"},
      {"devices.nothing=2", "no system 'nothing'"},
      {"hardware.fast=H100-SXM-80GB", "is an API"},
      {"tokens=2x", "needs a system"},
      {"tokens.nothing=2", "no system 'nothing'"},
      {"tokens.fast.ultra=2", "no system 'fast.ultra'"},
      {"tokens.fast=0", "factor must be > 0"},
  };
  for (const auto& [text, fragment] : bad) {
    try {
      ParseWhatIf(text, w, catalogues);
      BOOST_ERROR("no error for " + text);
    } catch (const UsageError& e) {
      BOOST_TEST(std::string(e.what()).find(fragment) != std::string::npos, text << ": " << e.what());
      BOOST_TEST(std::string(e.what()).find(text) != std::string::npos);
    }
  }
}

// The keys that reach a class's value, peak, router and a self-hosted system's replica and card: each lands in the
// workload as typed, and a card without a price asks for one.
BOOST_AUTO_TEST_CASE(class_and_fleet_keys_apply) {
  json j = MinimalWorkload();
  j["systems"].push_back({{"name", "own"}, {"kind", "self_hosted"}, {"model", "m"}, {"hardware", "CardA"},
                          {"devices", 2}, {"usd_per_device_hour", 9.0}});
  j["classes"][0]["peak_factor"] = 2.0;
  const Workload w = ParseWorkload(j, "w.json");
  Catalogues catalogues;
  HardwareInfo priced, unpriced;
  priced.name = "CardB";
  priced.usd_per_hour = 3.5;
  unpriced.name = "CardC";
  catalogues.hardware = {priced, unpriced};
  Workload changed = w;
  std::optional<double> budget = 100.0;
  ApplyWhatIf({ParseWhatIf("value.code=0.5", w, catalogues), ParseWhatIf("peak.code=1.5x", w, catalogues),
               ParseWhatIf("router.code.auc=0.75", w, catalogues), ParseWhatIf("devices.own=2x", w, catalogues),
               ParseWhatIf("hardware.own=CardB", w, catalogues)},
              catalogues, &changed, &budget);
  BOOST_TEST(changed.classes[0].value_usd == 0.5);
  BOOST_TEST(changed.classes[0].peak_factor == 3.0);
  BOOST_REQUIRE(changed.classes[0].router.has_value());
  BOOST_TEST(*changed.classes[0].router->auc == 0.75);
  // Two buckets split at the threshold where both errors are equal: each row keeps Phi(d'/2) of its traffic, with
  // d' = sqrt(2) Phi^-1(AUC) (equal-variance normal scores), so the diagonal is Phi(Phi^-1(0.75) / sqrt(2)).
  const double kept = 0.5 * std::erfc(-(0.6744897501960817 / std::sqrt(2.0)) / std::sqrt(2.0));
  BOOST_TEST(changed.classes[0].router->confusion[0][0] + changed.classes[0].router->confusion[1][1] == 2 * kept,
             boost::test_tools::tolerance(1e-9));
  BOOST_TEST(changed.FindSystem("own")->devices == 4);
  BOOST_TEST(changed.FindSystem("own")->hardware == "CardB");
  BOOST_TEST(!changed.FindSystem("own")->usd_per_device_hour.has_value());  // the old card's price is dropped

  // A card with no list price: refused unless the same what-if gives one, whatever the order typed.
  Workload moved = w;
  BOOST_CHECK_EXCEPTION(ApplyWhatIf({ParseWhatIf("hardware.own=CardC", w, catalogues)}, catalogues, &moved, &budget),
                        UsageError, [](const UsageError& e) {
                          return std::string(e.what()).find("CardC has no price per device-hour") != std::string::npos;
                        });
  moved = w;
  ApplyWhatIf({ParseWhatIf("price.own=4.2", w, catalogues), ParseWhatIf("hardware.own=CardC", w, catalogues)},
              catalogues, &moved, &budget);
  BOOST_TEST(*moved.FindSystem("own")->usd_per_device_hour == 4.2);
  BOOST_TEST(moved.FindSystem("own")->hardware == "CardC");
}

// The workload field the tokens key writes: read, written back unchanged, and refused out of range or with an
// unknown setting, naming the field.
BOOST_AUTO_TEST_CASE(thinking_token_factor_is_read_and_written_back) {
  json j = MinimalWorkload();
  j["systems"][0]["thinking_token_factor"] = {{"*", 1.5}, {"high", 2.0}};
  const Workload w = ParseWorkload(j, "w.json");
  BOOST_TEST(w.systems[0].ThinkingTokenFactor("high") == 3.0);
  BOOST_TEST(w.systems[0].ThinkingTokenFactor("fast") == 1.5);
  BOOST_TEST(ParseWorkload(ToJson(w), "again").systems[0].thinking_token_factor == w.systems[0].thinking_token_factor);
  for (const json& bad : {json{{"ultra", 2.0}}, json{{"*", 0.0}}, json{{"low", 1e4}}, json{{"high", "2x"}}}) {
    json k = MinimalWorkload();
    k["systems"][0]["thinking_token_factor"] = bad;
    try {
      ParseWorkload(k, "w.json");
      BOOST_ERROR("accepted " + bad.dump());
    } catch (const InputError& e) {
      BOOST_TEST(std::string(e.what()).find("thinking_token_factor") != std::string::npos, e.what());
    }
  }
}

BOOST_AUTO_TEST_CASE(set_values_read_k_m_g_on_budgets_and_volumes) {
  const Workload w = ParseWorkload(MinimalWorkload(), "w.json");
  const Catalogues catalogues;
  const WhatIfChange budget = ParseWhatIf("budget=50k", w, catalogues);
  BOOST_TEST(budget.value == 50000.0);
  BOOST_TEST(!budget.relative);
  const WhatIfChange volume = ParseWhatIf("volume.code=1.5M", w, catalogues);
  BOOST_TEST(volume.value == 1500000.0);
  const WhatIfChange twice = ParseWhatIf("volume.code=2x", w, catalogues);
  BOOST_TEST(twice.value == 2.0);
  BOOST_TEST(twice.relative);
}

BOOST_FIXTURE_TEST_CASE(changes_apply_and_replan, routing::RoutingFixture) {
  const Catalogues catalogues;
  std::optional<double> budget = 132.6;
  Workload changed = workload;
  ApplyWhatIf({ParseWhatIf("budget=2x", workload, catalogues), ParseWhatIf("volume.code=0.5x", workload, catalogues),
               ParseWhatIf("price.slow.out=20", workload, catalogues), ParseWhatIf("slo.code=30", workload, catalogues)},
              catalogues, &changed, &budget);
  BOOST_TEST(*budget == 265.2, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(changed.classes[0].daily_volume == 500.0);
  BOOST_TEST(*changed.FindSystem("slow")->price_out_usd_per_mtok == 20.0);
  BOOST_TEST(changed.classes[0].slo_p95_s == 30.0);
  // Half the volume and twice the budget: $265.20 buys everything on B at $20/M (15000 * 0.02 = $300 > 265.2, so
  // not all): all-A $15; upgrading predicted-hard costs 15000 * .38 * .019 = $108.30, predicted-easy $176.70 more.
  PlanInputs in = Inputs();
  in.workload = changed;
  PlanOptions o;
  o.budget_usd_per_month = budget;
  const PlanResult plan = MakePlan(in, o);
  BOOST_REQUIRE(plan.feasible);
  const double easy_fraction = (265.2 - 15 - 108.3) / 176.7;
  BOOST_TEST(plan.accuracy == 0.51 + 0.281 + easy_fraction * (0.569 - 0.51), boost::test_tools::tolerance(1e-9));
  BOOST_TEST(!DiffReport(MakePlan(Inputs()), plan).empty());
}

// tokens.<system>[.<setting>] multiplies the thinking tokens of that system's options and nothing else of them:
// every option keeps its accuracy, its tokens (mean and p95) are the factor times the base plan's, and an API
// option's cost moves by exactly the extra thinking tokens at its per-output-token rate (all samples). Options
// of other systems and other settings are untouched.
BOOST_FIXTURE_TEST_CASE(a_thinking_token_factor_scales_tokens_and_cost_only, DefaultPlanFixture) {
  BOOST_REQUIRE(base.feasible);
  PlanInputs changed = in;
  std::optional<double> budget = in.workload.budget_usd_per_month;
  ApplyWhatIf({ParseWhatIf("tokens.o3-mini=1.5x", in.workload, in.catalogues),
               ParseWhatIf("tokens.o3-mini.high=2x", in.workload, in.catalogues)},
              in.catalogues, &changed.workload, &budget);
  BOOST_TEST(changed.workload.FindSystem("o3-mini")->ThinkingTokenFactor("high") == 3.0);
  BOOST_TEST(changed.workload.FindSystem("o3-mini")->ThinkingTokenFactor("low") == 1.5);
  const PlanResult after = MakePlan(changed);
  BOOST_REQUIRE(after.candidates.size() == base.candidates.size());
  long scaled = 0, kept = 0;
  for (std::size_t ci = 0; ci < base.candidates.size(); ++ci) {
    BOOST_REQUIRE(base.candidates[ci] && after.candidates[ci]);
    std::map<std::string, const Candidate*> by_key;
    for (const Candidate& c : after.candidates[ci]->candidates) by_key[c.setting.Key()] = &c;
    for (const Candidate& before : base.candidates[ci]->candidates) {
      const auto it = by_key.find(before.setting.Key());
      BOOST_REQUIRE_MESSAGE(it != by_key.end(), before.setting.Describe());
      const bool ours = before.setting.system == "o3-mini";
      const bool high = Lower(before.setting.effort) == "high";
      const double factor = !ours ? 1.0 : high ? 3.0 : 1.5;
      for (std::size_t bi = 0; bi < before.per_bucket.size(); ++bi) {
        const auto& f0 = before.per_bucket[bi];
        const auto& f1 = it->second->per_bucket[bi];
        BOOST_REQUIRE(f0.has_value() == f1.has_value());
        if (!f0) continue;
        BOOST_TEST(f1->accuracy == f0->accuracy);
        BOOST_TEST(f1->thinking_tokens == factor * f0->thinking_tokens, boost::test_tools::tolerance(1e-12));
        BOOST_TEST(f1->thinking_tokens_p95 == factor * f0->thinking_tokens_p95, boost::test_tools::tolerance(1e-12));
        const double extra = (factor - 1) * f0->thinking_tokens * static_cast<double>(before.setting.aggregation.k) *
                             f0->usd_per_output_token;
        BOOST_TEST(f1->cost_usd == f0->cost_usd + extra, boost::test_tools::tolerance(1e-9));
        (factor == 1 ? kept : scaled) += 1;
      }
    }
  }
  BOOST_TEST(scaled > 0);
  BOOST_TEST(kept > 0);
}

// A what-if re-plan reuses the base plan's options for the classes its changes leave alone; the plan must be the
// one made from scratch on the changed workload (all of it but the pass timings), for every kind of change.
BOOST_FIXTURE_TEST_CASE(replan_reusing_options_equals_a_fresh_plan, DefaultPlanFixture) {
  BOOST_REQUIRE(base.feasible);
  auto without_timings = [](const PlanResult& p) {
    json j = p.ToJson();
    j.erase("passes");
    return j.dump();
  };
  for (const char* text : {"budget=2x", "volume.chat=3x", "slo.code=60", "price.o3-mini=0.5x",
                           "price.H100-SXM-80GB=1.5", "verifier.competition.dprime=3", "value.code=3x",
                           "value.chat=0.1", "peak.school-math=4", "router.code.auc=0.7",
                           "devices.Mixtral-8x7B@A100=2x", "hardware.Mixtral-8x7B@A100=H100-SXM-80GB",
                           "tokens.o3-mini=1.5x", "tokens.o3-mini.high=2", "tokens.Mixtral-8x7B@A100=2"}) {
    const WhatIfChange change = ParseWhatIf(text, in.workload, in.catalogues);
    PlanInputs changed = in;
    PlanOptions options;
    options.budget_usd_per_month = in.workload.budget_usd_per_month;
    ApplyWhatIf({change}, in.catalogues, &changed.workload, &options.budget_usd_per_month);
    const PlanResult fresh = MakePlan(changed, options);
    const std::vector<bool> regenerate = OptionsChanged({change}, changed.workload);
    for (std::size_t ci = 0; ci < regenerate.size(); ++ci) changed.reuse.push_back(regenerate[ci] ? nullptr : base.candidates[ci]);
    const PlanResult reused = MakePlan(changed, options);
    BOOST_TEST(without_timings(reused) == without_timings(fresh), text);
  }
}

BOOST_AUTO_TEST_SUITE_END()
