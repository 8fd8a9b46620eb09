// The simulator draws what was fitted (issue 13, item 6). On the shipped data, ingested and fitted as the demo does:
// a plan carries each option's fitted difficulty Beta (the fitted concentration, the mean at the option's planned
// single-sample accuracy) and the simulator draws correctness from it. Checked against closed forms computed here
// (pass@k under Beta(a, b) is 1 - B(a, b + k) / B(a, b), with B from std::lgamma), against the concentrations of
// the stored fits read back from the store, and against the plan's own per-class 95% intervals; a plan stored
// before plans carried the distribution still simulates, on the stated default spread a + b = 2.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/run.h"
#include "pipeline/catalogues.h"
#include "pipeline/demo.h"
#include "pipeline/fit_stage.h"
#include "pipeline/plan_stage.h"
#include "pipeline/simulate_scenario.h"
#include "pipeline/simulate_stage.h"
#include "planner/workload.h"
#include "sim/monte_carlo.h"
#include "store/database.h"
#include "store/fits.h"
#include "store/plans.h"
#include "tests/common/test_support.h"

namespace thinkplan::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// ln B(a, b), written out here rather than taken from core/.
double LogBeta(double a, double b) { return std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b); }
// pass@k under Beta(a, b): 1 - E[(1 - p)^k] = 1 - B(a, b + k) / B(a, b).
double PassAtK(double a, double b, long k) { return 1 - std::exp(LogBeta(a, b + static_cast<double>(k)) - LogBeta(a, b)); }

// The shipped data ingested and fitted once for the suite (as the demo's first two stages); each test case works
// on its own copy.
struct ShippedFits {
  ScratchDir dir{"thinkplan-draws"};
  ShippedFits() {
    store::Database db = store::Database::Open(dir / "fits.db");
    pipeline::IngestStage(db, pipeline::ReadManifest(DataDir()), nullptr);
    pipeline::FitStageOptions fit;
    fit.families_csv = DataDir() / "models" / "families.csv";
    pipeline::FitStage(db, DataDir(), fit);
  }
  static const ShippedFits& Get() {
    static const ShippedFits fits;
    return fits;
  }
  fs::path Copy(const ScratchDir& into) const {
    const fs::path copy = into / "copy.db";
    fs::copy_file(dir / "fits.db", copy);
    return copy;
  }
};

// Every figure of a plan's allocation that may carry a distribution: each option, and each of its true buckets.
struct CarriedFigure {
  std::string label;       // "class / bucket / system aggregation [/ true bucket t]"
  std::string aggregation;
  double accuracy = 0;
  json difficulty;
};

std::vector<CarriedFigure> CarriedFigures(const json& plan) {
  std::vector<CarriedFigure> out;
  for (const json& a : plan.at("allocation")) {
    for (const json& o : a.at("options")) {
      const std::string label = a.at("class").get<std::string>() + " / " + a.at("bucket").get<std::string>() + " / " +
                                o.at("system").get<std::string>() + " " + o.at("aggregation").get<std::string>();
      const std::string aggregation = o.at("aggregation").get<std::string>();
      out.push_back({label, aggregation, o.at("accuracy").get<double>(), o.value("difficulty", json())});
      if (!o.contains("by_true_bucket")) continue;
      for (std::size_t t = 0; t < o["by_true_bucket"].size(); ++t) {
        const json& f = o["by_true_bucket"][t];
        if (!f.is_object()) continue;
        out.push_back({label + " / true bucket " + std::to_string(t), aggregation, f.at("accuracy").get<double>(),
                       f.value("difficulty", json())});
      }
    }
  }
  return out;
}

bool HasBeta(const json& difficulty) { return difficulty.is_object() && difficulty.contains("a") && difficulty.contains("b"); }

struct PlannedDefault {
  ScratchDir dir{"thinkplan-draws-plan"};
  store::Database db;
  long plan_id = 0;
  planner::PlanResult plan;
  json plan_json;
  PlannedDefault() : db(store::Database::Open(ShippedFits::Get().Copy(dir))) {
    pipeline::PlanStageResult planned = pipeline::PlanStage(db, planner::LoadWorkload(DataDir() / "workloads" / "default.json"));
    BOOST_TEST_REQUIRE(planned.plan.feasible);
    plan_id = *planned.plan_id;
    plan = std::move(planned.plan);
    plan_json = json::parse(store::LoadPlan(db, plan_id).plan_json);
  }
  // Planned once for the suite (planning the default workload is the slow part); the cases only add simulations.
  static PlannedDefault& Get() {
    static PlannedDefault planned;
    return planned;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(simulated_draws)

BOOST_AUTO_TEST_CASE(a_plan_carries_each_options_fitted_beta_whose_closed_form_is_the_planned_accuracy) {
  PlannedDefault& p = PlannedDefault::Get();
  // The concentrations a + b of every stored Beta fit, read back from the store.
  std::vector<double> concentrations;
  const CurveSet stored = store::LoadCurveSet(p.db);
  for (const auto& [key, curves] : stored.all()) {
    if (curves.difficulty) concentrations.push_back(curves.difficulty->a + curves.difficulty->b);
  }
  BOOST_TEST_REQUIRE(!concentrations.empty());
  long carried = 0, pass_at_k = 0, without = 0;
  for (const CarriedFigure& f : CarriedFigures(p.plan_json)) {
    BOOST_TEST_CONTEXT(f.label) {
      BOOST_TEST_REQUIRE(f.difficulty.is_object());
      BOOST_TEST(!f.difficulty.value("source", "").empty());
      if (!HasBeta(f.difficulty)) {
        ++without;
        continue;
      }
      ++carried;
      const double a = f.difficulty["a"].get<double>(), b = f.difficulty["b"].get<double>();
      // The spread is a fitted one: a + b equals the concentration of a stored fit.
      bool fitted = false;
      for (double c : concentrations) fitted = fitted || std::abs(a + b - c) <= 1e-9 * c;
      BOOST_TEST(fitted, "a + b = " << a + b << " is no stored fit's concentration");
      // Its aggregated accuracy, in closed form, is the planned accuracy.
      const std::optional<Aggregation> agg = Aggregation::Parse(f.aggregation);
      BOOST_TEST_REQUIRE(agg.has_value());
      if (agg->kind == AggregationKind::kPass1) {
        BOOST_TEST(a / (a + b) == f.accuracy, boost::test_tools::tolerance(1e-9));
      } else if (agg->kind == AggregationKind::kPassAt) {
        BOOST_TEST(PassAtK(a, b, agg->k) == f.accuracy, boost::test_tools::tolerance(1e-6));
        ++pass_at_k;
      }
    }
  }
  BOOST_TEST_MESSAGE(carried << " figure(s) carry a fitted Beta (" << pass_at_k << " of them pass@k, k > 1), "
                             << without << " carry none");
  BOOST_TEST(carried > 0);
}

// The scenario's per-problem spec of an option is the carried Beta, not the old a + b = 2 at a solved mean: drawn
// at several k, pass@k follows the closed form of the carried Beta, and at the largest k that closed form is far
// (many standard errors) from what a + b = 2 at the same single-sample mean gives, so the old draw would fail here.
BOOST_AUTO_TEST_CASE(the_simulator_draws_pass_at_k_of_the_fitted_beta_not_of_the_default_spread) {
  PlannedDefault& p = PlannedDefault::Get();
  const pipeline::BuiltScenario built =
      pipeline::BuildScenario(store::LoadPlan(p.db, p.plan_id), {}, pipeline::LoadCatalogues(p.db));
  // The carried Beta whose concentration is furthest from 2, with the scenario's spec of the same figure.
  double best_distance = 0, a = 0, b = 0;
  const sim::McProblemSpec* spec = nullptr;
  for (const sim::FleetClass& c : built.scenario.classes) {
    for (const sim::FleetBucket& bucket : c.buckets) {
      for (const sim::FleetOption& o : bucket.options) {
        std::vector<const sim::McProblemSpec*> specs{&o.correctness};
        for (const sim::McProblemSpec& s : o.correctness_by_true) specs.push_back(&s);
        for (const sim::McProblemSpec* s : specs) {
          const double distance = std::abs(std::log((s->beta_a + s->beta_b) / 2));
          if (distance > best_distance) best_distance = distance, spec = s, a = s->beta_a, b = s->beta_b;
        }
      }
    }
  }
  BOOST_TEST_REQUIRE(spec != nullptr, "no option draws from a Beta other than a + b = 2");
  // That Beta is one the plan carries (the spec is not a re-solved one).
  bool in_plan = false;
  for (const CarriedFigure& f : CarriedFigures(p.plan_json)) {
    if (HasBeta(f.difficulty)) in_plan = in_plan || (std::abs(f.difficulty["a"].get<double>() - a) <= 1e-12 * a &&
                                                     std::abs(f.difficulty["b"].get<double>() - b) <= 1e-12 * b);
  }
  BOOST_TEST(in_plan);
  const double mean = a / (a + b);
  BOOST_TEST_MESSAGE("drawing Beta(" << a << ", " << b << "), a + b = " << a + b << ", mean " << mean);
  sim::MonteCarloOptions mc;
  mc.problems = 400'000;
  mc.threads = 1;
  for (long k : {1L, 4L, 16L, 64L}) {
    sim::McProblemSpec at_k = *spec;
    at_k.samples = static_cast<int32_t>(k);
    at_k.aggregation = k == 1 ? sim::McAggregation::kPass1 : sim::McAggregation::kPassAt;
    const sim::MonteCarloSummary drawn = sim::RunMonteCarlo(sim::WithSeed(at_k, 7), mc);
    const double fitted = PassAtK(a, b, k);
    const double default_spread = PassAtK(2 * mean, 2 * (1 - mean), k);
    BOOST_TEST_MESSAGE("pass@" << k << ": drawn " << drawn.accuracy << " +- " << drawn.std_error << ", fitted Beta "
                               << fitted << ", a + b = 2 " << default_spread);
    BOOST_TEST(std::abs(drawn.accuracy - fitted) <= 4 * drawn.std_error + 1e-12);
    if (k == 64) BOOST_TEST(std::abs(default_spread - fitted) > 20 * drawn.std_error);
  }
}

// On the shipped data's workloads, a day of simulated queries drawn from the fitted distributions: each class's
// simulated accuracy lies inside the plan's 95% interval for it.
BOOST_AUTO_TEST_CASE(simulated_accuracy_per_class_lies_inside_the_planned_interval_on_the_shipped_workloads) {
  PlannedDefault& p = PlannedDefault::Get();
  for (const char* name : {"default.json", "training.json"}) {
    BOOST_TEST_CONTEXT(name) {
      pipeline::PlanStageResult planned;
      if (std::string(name) == "default.json") {
        planned.plan = p.plan;
        planned.plan_id = p.plan_id;
      } else {
        planned = pipeline::PlanStage(p.db, planner::LoadWorkload(DataDir() / "workloads" / name));
      }
      BOOST_TEST_REQUIRE(planned.plan.feasible);
      pipeline::SimulateSettings settings;
      settings.capacity_check = false;
      const pipeline::SimulateStageResult sim = pipeline::SimulateStage(p.db, *planned.plan_id, settings);
      bool noted = false;
      for (const std::string& note : sim.notes) noted = noted || note.find("from the plan's fitted difficulty") != std::string::npos;
      BOOST_TEST(noted);
      for (const planner::ClassPlan& c : planned.plan.classes) {
        const auto it = std::find_if(sim.summary.classes.begin(), sim.summary.classes.end(),
                                     [&](const sim::ClassOutcome& o) { return o.name == c.name; });
        BOOST_TEST_REQUIRE((it != sim.summary.classes.end()));
        BOOST_TEST_CONTEXT(c.name) {
          BOOST_TEST_MESSAGE(name << " " << c.name << ": simulated " << it->accuracy << " ["
                                  << it->accuracy_interval.lower << ", " << it->accuracy_interval.upper << "] over "
                                  << it->queries << " queries; planned " << c.accuracy << " [" << c.interval.lower
                                  << ", " << c.interval.upper << "]");
          BOOST_TEST(it->queries - it->unserved >= 1000u);
          BOOST_TEST(it->accuracy >= c.interval.lower);
          BOOST_TEST(it->accuracy <= c.interval.upper);
        }
      }
    }
  }
}

// A plan stored before plans carried their distributions (no "difficulty" anywhere) still simulates: every option
// falls back to Beta with a + b = 2 at the mean that reproduces its planned accuracy, and the note says why.
BOOST_AUTO_TEST_CASE(a_plan_stored_without_distributions_falls_back_to_the_stated_default_spread) {
  PlannedDefault& p = PlannedDefault::Get();
  store::StoredPlan old = store::LoadPlan(p.db, p.plan_id);
  json body = json::parse(old.plan_json);
  for (json& a : body["allocation"]) {
    for (json& o : a["options"]) {
      o.erase("difficulty");
      if (!o.contains("by_true_bucket")) continue;
      for (json& t : o["by_true_bucket"]) {
        if (t.is_object()) t.erase("difficulty");
      }
    }
  }
  old.plan_json = body.dump();
  const pipeline::BuiltScenario built = pipeline::BuildScenario(old, {}, pipeline::LoadCatalogues(p.db));
  for (const sim::FleetClass& c : built.scenario.classes) {
    for (const sim::FleetBucket& bucket : c.buckets) {
      for (const sim::FleetOption& o : bucket.options) {
        BOOST_TEST(o.correctness.beta_a + o.correctness.beta_b == 2.0, boost::test_tools::tolerance(1e-9));
        // pass@1 keeps the planned accuracy as its mean; pass@k reproduces it through the default spread.
        if (o.correctness.aggregation == sim::McAggregation::kPass1) {
          BOOST_TEST(o.correctness.beta_a / 2 == o.planned_accuracy, boost::test_tools::tolerance(1e-6));
        } else if (o.correctness.aggregation == sim::McAggregation::kPassAt) {
          BOOST_TEST(PassAtK(o.correctness.beta_a, o.correctness.beta_b, o.correctness.samples) == o.planned_accuracy,
                     boost::test_tools::tolerance(1e-6));
        }
      }
    }
  }
  bool noted = false;
  for (const std::string& note : built.notes) noted = noted || note.find("stored before plans carried") != std::string::npos;
  BOOST_TEST(noted);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace thinkplan::testing
