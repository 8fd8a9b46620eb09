// A plan offers only what the system's API accepts (issue 16's joint with the planner): a setting measured at an
// effort level the API does not take (o1's published "max") must not be planned and then refused at export.
// Built so the answer is known by hand: "deep" is the more accurate system but was measured only at effort "max".
#include <boost/test/unit_test.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "core/curve_set.h"
#include "core/system_api.h"
#include "planner/plan.h"
#include "planner/workload.h"
#include "tests/planner/planner_fixtures.h"

using namespace thinkplan;
using namespace thinkplan::planner;
using thinkplan::testing::MakeRun;

namespace {

nlohmann::json TwoSystemsWorkload() {
  return nlohmann::json::parse(R"({
    "name": "t", "objective": "max_accuracy", "budget_usd_per_month": 100000,
    "systems": [{"name": "quick", "kind": "api", "price_in_usd_per_mtok": 0, "price_out_usd_per_mtok": 1,
                 "budget_knob": false, "ttft_s": 0, "output_tokens_per_s": 100},
                {"name": "deep", "kind": "api", "price_in_usd_per_mtok": 0, "price_out_usd_per_mtok": 1,
                 "budget_knob": false, "ttft_s": 0, "output_tokens_per_s": 100}],
    "classes": [{"name": "c", "daily_volume": 100, "value_usd": 1, "slo_p95_s": 1000, "verifier": {"kind": "none"},
                 "buckets": [{"name": "all", "task_class": "x", "difficulty": "all", "share": 1}]}]
  })");
}

SystemApi EffortApi(const std::string& system) {
  SystemApi api;
  api.system = system;
  api.vendor = "OpenAI";
  api.api = "openai";
  api.api_model_id = system;
  api.thinking = "always";
  api.knob = "effort";
  api.effort_values = "low|medium|high";
  api.max_output_tokens = 100000;
  return api;
}

PlanResult PlanOf(std::vector<SystemApi> apis) {
  static const CurveSet curves;
  Run quick = MakeRun("quick", "all", Mode::kExtended, 60, 100);
  quick.effort = "high";
  Run deep = MakeRun("deep", "all", Mode::kExtended, 90, 100);
  deep.effort = "max";
  PlanInputs in;
  in.workload = ParseWorkload(TwoSystemsWorkload(), "w.json");
  in.curves = &curves;
  in.runs = {quick, deep};
  in.catalogues.apis = std::move(apis);
  return MakePlan(in);
}

std::string ChosenSystem(const PlanResult& plan) {
  BOOST_TEST_REQUIRE(plan.buckets.size() == 1u);
  BOOST_TEST_REQUIRE(plan.buckets[0].shares.size() == 1u);
  return plan.buckets[0].shares[0].setting.system;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(plan_servable)

BOOST_AUTO_TEST_CASE(without_an_api_catalogue_the_more_accurate_setting_is_planned) {
  const PlanResult plan = PlanOf({});
  BOOST_TEST_REQUIRE(plan.feasible);
  BOOST_TEST(ChosenSystem(plan) == "deep");
}

BOOST_AUTO_TEST_CASE(an_effort_level_the_api_does_not_accept_is_not_offered_and_the_notes_say_why) {
  const PlanResult plan = PlanOf({EffortApi("quick"), EffortApi("deep")});
  BOOST_TEST_REQUIRE(plan.feasible);
  BOOST_TEST(ChosenSystem(plan) == "quick");
  bool named = false;
  for (const std::string& note : plan.notes) {
    named = named || (note.find("deep") != std::string::npos && note.find("not offered") != std::string::npos &&
                      note.find("'max'") != std::string::npos && note.find("low|medium|high") != std::string::npos);
  }
  BOOST_TEST(named);
}

BOOST_AUTO_TEST_CASE(fast_mode_on_a_model_that_always_thinks_is_not_offered) {
  SystemApi always = EffortApi("deep");
  always.knob = "none";
  always.effort_values.clear();
  static const CurveSet curves;
  PlanInputs in;
  in.workload = ParseWorkload(TwoSystemsWorkload(), "w.json");
  in.curves = &curves;
  in.runs = {MakeRun("quick", "all", Mode::kFast, 60, 100), MakeRun("deep", "all", Mode::kFast, 90, 100)};
  in.catalogues.apis = {always};
  const PlanResult plan = MakePlan(in);
  BOOST_TEST_REQUIRE(plan.feasible);
  BOOST_TEST(ChosenSystem(plan) == "quick");
}

BOOST_AUTO_TEST_SUITE_END()
