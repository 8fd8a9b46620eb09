// What the planner does with large and hostile input: the workload reader's limits (each refused with an
// InputError naming the file and the limit), one note per system for classes alike instead of one per class, and
// text reports that print control characters in names as escapes.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <fstream>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/printable_text.h"
#include "planner/plan.h"
#include "planner/whatif.h"
#include "tests/common/test_support.h"
#include "tests/planner/planner_fixtures.h"

using namespace thinkplan;
using namespace thinkplan::planner;
using thinkplan::testing::MakeRun;
using nlohmann::json;

namespace {

// Two API systems with stored runs on a two-bucket class, and a third ("idle") with nothing to score.
json Workload3(int classes, const std::string& class_prefix = "c") {
  json w = json::parse(R"({
    "name": "t", "objective": "max_accuracy", "budget_usd_per_month": 100,
    "systems": [{"name": "fast", "kind": "api", "price_in_usd_per_mtok": 0, "price_out_usd_per_mtok": 10,
                 "budget_knob": false, "ttft_s": 0, "output_tokens_per_s": 1000},
                {"name": "slow", "kind": "api", "price_in_usd_per_mtok": 0, "price_out_usd_per_mtok": 10,
                 "budget_knob": false, "ttft_s": 0, "output_tokens_per_s": 1000},
                {"name": "idle", "kind": "api", "price_in_usd_per_mtok": 0, "price_out_usd_per_mtok": 10,
                 "budget_knob": false, "ttft_s": 0, "output_tokens_per_s": 1000}],
    "classes": []
  })");
  for (int i = 0; i < classes; ++i) {
    json c = json::parse(R"({"daily_volume": 1000, "value_usd": 1, "verifier": {"kind": "none"},
                 "buckets": [{"name": "easy", "task_class": "x", "difficulty": "easy", "share": 0.6},
                             {"name": "hard", "task_class": "x", "difficulty": "hard", "share": 0.4}],
                 "router": {"confusion": [[0.9, 0.1], [0.2, 0.8]]}})");
    c["name"] = class_prefix + std::to_string(i);
    w["classes"].push_back(c);
  }
  w["budget_usd_per_month"] = 100 * std::max(classes, 1);  // the cheapest plan is 30 USD a class
  return w;
}

PlanResult PlanOf(const json& workload, const CurveSet& curves) {
  PlanInputs in;
  in.workload = ParseWorkload(workload, "w.json");
  in.curves = &curves;
  in.runs = {MakeRun("fast", "easy", Mode::kFast, 90, 100), MakeRun("fast", "hard", Mode::kFast, 30, 100),
             MakeRun("slow", "easy", Mode::kExtended, 95, 1000), MakeRun("slow", "hard", Mode::kExtended, 70, 1000)};
  return MakePlan(in);
}

// Expects `read` to throw an InputError naming `file`, `field` and the limit `limit_name`.
template <typename F>
void ExpectRefused(F read, const std::string& file, const std::string& field, const std::string& limit_name) {
  try {
    read();
    BOOST_ERROR("not refused: " + limit_name);
  } catch (const InputError& e) {
    const std::string what = e.what();
    BOOST_TEST(e.where().file == file);
    BOOST_TEST(e.where().field == field, "field '" << e.where().field << "' expected '" << field << "'");
    BOOST_TEST(what.find(limit_name) != std::string::npos, what);
    BOOST_TEST(what.find(file) != std::string::npos, what);
  }
}

std::size_t RawControls(const std::string& text) {
  std::size_t n = 0;
  for (unsigned char c : text) n += (c < 0x20 && c != '\n') || c == 0x7f;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(workload_limits)

BOOST_AUTO_TEST_CASE(counts_at_the_limits_are_accepted) {
  WorkloadReaderOptions limits;
  limits.max_classes = 3;
  limits.max_systems = 3;
  limits.max_buckets_per_class = 2;
  limits.max_buckets = 6;
  const Workload w = ParseWorkload(Workload3(3), "w.json", limits);
  BOOST_TEST(w.classes.size() == 3u);
  BOOST_TEST(w.systems.size() == 3u);
}

BOOST_AUTO_TEST_CASE(too_many_classes_are_refused) {
  WorkloadReaderOptions limits;
  limits.max_classes = 2;
  ExpectRefused([&] { ParseWorkload(Workload3(3), "w.json", limits); }, "w.json", "classes", "max_classes");
}

BOOST_AUTO_TEST_CASE(too_many_systems_are_refused) {
  WorkloadReaderOptions limits;
  limits.max_systems = 2;
  ExpectRefused([&] { ParseWorkload(Workload3(1), "w.json", limits); }, "w.json", "systems", "max_systems");
}

BOOST_AUTO_TEST_CASE(too_many_buckets_in_one_class_are_refused) {
  WorkloadReaderOptions limits;
  limits.max_buckets_per_class = 1;
  ExpectRefused([&] { ParseWorkload(Workload3(2), "w.json", limits); }, "w.json", "classes[0].buckets",
                "max_buckets_per_class");
}

BOOST_AUTO_TEST_CASE(too_many_buckets_in_all_are_refused) {
  WorkloadReaderOptions limits;
  limits.max_buckets = 5;  // the third class brings the total to 6
  ExpectRefused([&] { ParseWorkload(Workload3(3), "w.json", limits); }, "w.json", "classes[2].buckets",
                "max_buckets");
}

BOOST_AUTO_TEST_CASE(a_workload_file_over_the_size_limit_is_refused) {
  thinkplan::testing::ScratchDir dir;
  const std::string text = Workload3(2).dump();
  const auto path = dir / "w.json";
  std::ofstream(path) << text;
  WorkloadReaderOptions limits;
  limits.max_file_bytes = text.size();
  BOOST_TEST(LoadWorkload(path, limits).classes.size() == 2u);  // exactly at the limit
  limits.max_file_bytes = text.size() - 1;
  ExpectRefused([&] { LoadWorkload(path, limits); }, path.string(), "", "max_file_bytes");
}

BOOST_AUTO_TEST_CASE(zero_limits_are_a_usage_error) {
  WorkloadReaderOptions limits;
  limits.max_classes = 0;
  std::string error;
  BOOST_TEST(!limits.IsValid(&error));
  BOOST_TEST(error.find("max_classes") != std::string::npos);
  BOOST_CHECK_THROW(ParseWorkload(Workload3(1), "w.json", limits), UsageError);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(plan_notes)

BOOST_AUTO_TEST_CASE(one_class_keeps_the_per_class_note) {
  CurveSet curves;
  const PlanResult plan = PlanOf(Workload3(1), curves);
  int idle = 0;
  for (const std::string& n : plan.notes) {
    if (n.find("idle has no fitted curve") == std::string::npos) continue;
    ++idle;
    BOOST_TEST(n.rfind("class c0: idle has no fitted curve or stored run for ", 0) == 0u, n);
  }
  BOOST_TEST(idle == 1);
}

BOOST_AUTO_TEST_CASE(classes_alike_share_one_note_per_system) {
  CurveSet curves;
  const PlanResult plan = PlanOf(Workload3(50), curves);
  BOOST_REQUIRE(plan.feasible);
  BOOST_TEST(plan.classes.size() == 50u);
  int idle = 0;
  for (const std::string& n : plan.notes) {
    if (n.find("idle has no fitted curve") == std::string::npos) continue;
    ++idle;
    BOOST_TEST(n.rfind("50 classes: idle has no fitted curve or stored run for ", 0) == 0u, n);
    BOOST_TEST(n.find("(classes c0, c1, c2 and 47 more)") != std::string::npos, n);
  }
  BOOST_TEST(idle == 1);
  // No note is repeated.
  std::set<std::string> distinct(plan.notes.begin(), plan.notes.end());
  BOOST_TEST(distinct.size() == plan.notes.size());
}

BOOST_AUTO_TEST_CASE(class_figures_are_the_traffic_weighted_sums_of_their_buckets) {
  // Classes alike must come out alike, each equal to the plan of that class alone (its buckets are summed once,
  // in one pass over all buckets, so a mix-up of classes would show here).
  CurveSet curves;
  const PlanResult one = PlanOf(Workload3(1), curves);
  const PlanResult many = PlanOf(Workload3(7), curves);
  BOOST_REQUIRE(one.feasible);
  BOOST_REQUIRE(many.feasible);
  BOOST_REQUIRE(many.classes.size() == 7u);
  for (const ClassPlan& c : many.classes) {
    double accuracy = 0, cost = 0;
    for (const BucketPlan& b : many.buckets) {
      if (b.class_name != c.name) continue;
      accuracy += b.mass * b.accuracy;
      cost += b.mass * b.cost_per_query;
    }
    BOOST_TEST(c.accuracy == accuracy, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(c.cost_per_query == cost, boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(printable_text)

BOOST_AUTO_TEST_CASE(controls_are_escaped_and_other_text_passes) {
  BOOST_TEST(PrintableText("plain name / 名前 \\ \"q\"") == "plain name / 名前 \\ \"q\"");
  BOOST_TEST(PrintableText("a\nb\rc\td") == "a\\nb\\rc\\td");
  BOOST_TEST(PrintableText("\x1b[31mred") == "\\x1b[31mred");
  BOOST_TEST(PrintableText(std::string("x\0y", 3)) == "x\\x00y");
  BOOST_TEST(PrintableText("\x01\x7f") == "\\x01\\x7f");
  BOOST_TEST(PrintableText("\xc2\x9b" "2J") == "\\u009b2J");          // C1 CSI
  BOOST_TEST(PrintableText("\xc2\xa0") == "\xc2\xa0");                // U+00A0 is not a control
  BOOST_TEST(PrintableText("\xc2") == "\xc2");                        // a lone lead byte passes
}

BOOST_AUTO_TEST_CASE(plan_and_whatif_reports_escape_names) {
  CurveSet curves;
  json w = Workload3(2, "\x1b[2Jc\nnote: forged ");
  w["name"] = "w\rname";
  const PlanResult plan = PlanOf(w, curves);
  BOOST_REQUIRE(plan.feasible);
  const std::string brief = plan.BriefReport();
  BOOST_TEST(RawControls(brief) == 0u, brief);
  BOOST_TEST(brief.find("w\\rname") != std::string::npos, brief);
  for (const std::string& text : {plan.FullReport(), DiffReport(plan, plan)}) {
    BOOST_TEST(RawControls(text) == 0u, text);
    BOOST_TEST(text.find("\nnote: forged") == std::string::npos);
    BOOST_TEST(text.find("\\x1b[2Jc\\nnote: forged 0") != std::string::npos, text);
  }
  // The JSON keeps names verbatim.
  BOOST_TEST(plan.ToJson()["workload"].get<std::string>() == "w\rname");
}

BOOST_AUTO_TEST_SUITE_END()
