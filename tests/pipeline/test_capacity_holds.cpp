// Capacity that holds (issue 13): the simulator, an independent discrete-event model of the fleet, as the check of
// what the planner promises for its self-hosted fleet: p95 within the SLO with at most 5% of queries over it,
// monthly cost within 5% of the plan's, planned p95 within 25% of the simulated one, and weights plus KV within the
// card's usable memory (recomputed from the model shape). The case is the issue's: QwQ-32B-Preview on one H100 for
// competition maths, which planned batch 7 with 21 GiB of KV beside 61 GiB of weights; the configuration search
// (planner/capacity.h) now chooses the replica size, and the simulator serves the size it chose.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "core/model_shape.h"
#include "pipeline/plan_stage.h"
#include "pipeline/simulate_stage.h"
#include "planner/workload.h"
#include "store/database.h"
#include "tests/common/test_support.h"
#include "tests/pipeline/workload_subset.h"

namespace thinkplan {
namespace {

planner::Workload QwqCompetition(double slo_s) {
  planner::Workload w = planner::LoadWorkload(testing::DataDir() / "workloads" / "default.json");
  w.name = "qwq-competition";
  std::erase_if(w.systems, [](const planner::SystemSpec& s) { return s.name != "QwQ-32B-Preview@H100"; });
  std::erase_if(w.classes, [](const planner::TaskClassSpec& c) { return c.name != "competition"; });
  w.classes[0].slo_p95_s = slo_s;
  return w;
}

void IngestRuns(store::Database& db) {
  for (const char* file : {"published/systems.csv", "published/hardware.csv", "models/models.csv",
                           "published/runs.csv", "public/matharena/runs.csv"}) {
    db.Ingest(testing::DataDir() / file);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(capacity_holds)

BOOST_AUTO_TEST_CASE(qwq_on_h100s_keeps_its_slo_and_cost_when_simulated) {
  testing::ScratchDir dir;
  store::Database db = store::Database::Open(dir / "t.db");
  IngestRuns(db);
  const pipeline::PlanStageResult planned = pipeline::PlanStage(db, QwqCompetition(900));
  BOOST_REQUIRE(planned.plan.feasible);
  BOOST_REQUIRE(planned.plan_id);
  const planner::PlanResult& plan = planned.plan;
  BOOST_REQUIRE_EQUAL(plan.capacity.size(), 1u);
  const planner::CapacityLine& line = plan.capacity[0];
  // Weights from the shape (32.76e9 bf16 parameters) plus KV at 262,144 bytes per token (64 layers x 8 KV heads x
  // 128 x 2 x 2) at the batch and sizing context, within 90% of 80 GiB per device of the replica the
  // configuration search chose (the workload says 1; one H100 holds a batch of 2 beside the weights).
  const double gib = 1024.0 * 1024 * 1024;
  const double bytes = 32.76e9 * 2 + static_cast<double>(line.batch) * line.sizing_context_tokens * 262144.0;
  BOOST_TEST(bytes <= 0.9 * 80 * gib * static_cast<double>(line.devices_per_replica));
  BOOST_TEST(line.devices == line.replicas * line.devices_per_replica);
  BOOST_TEST(line.alternatives.size() == 4u);  // the cheapest fleet of 1, 2, 4 and 8 devices per replica
  for (const planner::CapacityLine::Alternative& a : line.alternatives) {
    if (a.replicas > 0) BOOST_TEST(a.usd_per_month >= line.usd_per_month * (1 - 1e-12));
  }
  // The spend is the bill: the fleet's devices at the hourly price, all month.
  BOOST_TEST(plan.fleet_usd_per_month == static_cast<double>(line.devices) * 4.25 * 24 * 30, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(plan.inference_usd_per_month >= plan.fleet_usd_per_month * (1 - 1e-9));

  pipeline::SimulateSettings settings;
  settings.capacity_check = false;
  const pipeline::SimulateStageResult sim = pipeline::SimulateStage(db, *planned.plan_id, settings);
  const sim::ClassOutcome& c = sim.summary.classes.at(0);
  BOOST_TEST_MESSAGE("planned p95 " << plan.classes[0].latency_p95_s << " s, simulated " << c.latency_s.p95 << " s, "
                     << 100 * c.slo_miss_fraction << "% over the SLO; planned $" << plan.inference_usd_per_month
                     << ", simulated $" << sim.summary.usd_per_month);
  BOOST_TEST(c.latency_s.p95 <= 900.0);
  BOOST_TEST(c.slo_miss_fraction <= 0.05);
  BOOST_TEST(std::abs(sim.summary.usd_per_month / plan.inference_usd_per_month - 1) <= 0.05);
  BOOST_TEST(std::abs(plan.classes[0].latency_p95_s / c.latency_s.p95 - 1) <= 0.25);
}

BOOST_AUTO_TEST_CASE(an_slo_no_option_meets_is_named_with_the_fastest_option_and_the_gap) {
  testing::ScratchDir dir;
  store::Database db = store::Database::Open(dir / "t.db");
  IngestRuns(db);
  const pipeline::PlanStageResult planned = pipeline::PlanStage(db, QwqCompetition(300));
  BOOST_TEST(!planned.plan.feasible);
  BOOST_TEST(planned.plan.reason.find("no option meets the 300 s p95 SLO; the fastest") != std::string::npos,
             planned.plan.reason);
  // The text report carries the reason and the notes, not only --json.
  BOOST_TEST(planned.plan.FullReport().find(planned.plan.reason) != std::string::npos);
}

using testing::DefaultWorkloadSubset;

// Plans `w`; where feasible, simulates a day and checks the plan's promise against it class by class.
void CheckPromise(const planner::Workload& w, std::optional<double> budget = std::nullopt) {
  testing::ScratchDir dir;
  store::Database db = store::Database::Open(dir / "t.db");
  IngestRuns(db);
  db.Ingest(testing::DataDir() / "public/routellm/runs.csv");
  db.Ingest(testing::DataDir() / "public/deepseek_r1/runs.csv");
  pipeline::PlanStageOptions options;
  options.plan.budget_usd_per_month = budget;
  const pipeline::PlanStageResult planned = pipeline::PlanStage(db, w, options);
  BOOST_TEST_MESSAGE(w.name << ": " << planned.plan.BriefReport());
  if (!planned.plan.feasible) {
    BOOST_TEST(!planned.plan.reason.empty());
    return;
  }
  // No replica whose weights plus KV exceed the card: recomputed from the catalogue's shape and card.
  const ModelCatalogue models = ModelCatalogue::Load(testing::DataDir() / "models" / "models.csv");
  const std::vector<HardwareInfo> cards = LoadHardwareCatalogue(testing::DataDir() / "published" / "hardware.csv");
  for (const planner::CapacityLine& l : planned.plan.capacity) {
    const ModelShape* shape = models.Find(l.model);
    const auto card = std::find_if(cards.begin(), cards.end(), [&](const HardwareInfo& h) { return h.name == l.hardware; });
    BOOST_REQUIRE(shape);
    BOOST_REQUIRE(card != cards.end());
    const double usable = 0.9 * *card->hbm_gib * 1024.0 * 1024 * 1024 * static_cast<double>(l.devices_per_replica);
    const double bytes = shape->WeightBytes() + static_cast<double>(l.batch) * l.sizing_context_tokens * shape->KvBytesPerToken();
    BOOST_TEST(bytes <= usable, w.name << " " << l.system);
    BOOST_TEST_MESSAGE("  " << l.system << ": " << l.replicas << " x " << l.devices_per_replica << " device(s), batch "
                            << l.batch << ", TTFT p95 at peak " << l.ttft_p95_s << " s, " << 1e3 * l.tpot_s << " ms/token");
  }
  pipeline::SimulateSettings settings;
  settings.capacity_check = false;
  const pipeline::SimulateStageResult sim = pipeline::SimulateStage(db, *planned.plan_id, settings);
  const planner::PlanResult& plan = planned.plan;
  BOOST_TEST_MESSAGE("  cost planned " << plan.inference_usd_per_month << " simulated " << sim.summary.usd_per_month);
  BOOST_TEST(std::abs(sim.summary.usd_per_month / plan.inference_usd_per_month - 1) <= 0.05, w.name);
  for (const sim::ClassOutcome& c : sim.summary.classes) {
    const planner::ClassPlan* p = nullptr;
    for (const planner::ClassPlan& cp : plan.classes) if (cp.name == c.name) p = &cp;
    BOOST_REQUIRE(p);
    BOOST_TEST_MESSAGE("  " << c.name << ": p95 planned " << p->latency_p95_s << " s, simulated " << c.latency_s.p95
                            << " s (SLO " << c.slo_p95_s << " s), " << 100 * c.slo_miss_fraction << "% over");
    BOOST_TEST(c.latency_s.p95 <= c.slo_p95_s, w.name << " " << c.name);
    BOOST_TEST(c.slo_miss_fraction <= 0.05, w.name << " " << c.name);
    BOOST_TEST(p->latency_p95_s / c.latency_s.p95 <= 1.25, w.name << " " << c.name);
    const planner::TaskClassSpec* spec = w.FindClass(c.name);
    BOOST_REQUIRE(spec);
    if (spec->slo_ttft_p95_s > 0) {
      BOOST_TEST_MESSAGE("  " << c.name << ": TTFT p95 simulated " << c.ttft_s.p95 << " s (SLO " << spec->slo_ttft_p95_s << " s)");
      BOOST_TEST(c.ttft_s.p95 <= spec->slo_ttft_p95_s, w.name << " " << c.name);
    }
  }
}

BOOST_AUTO_TEST_CASE(r1_distill_32b_on_two_h100s_for_competition_maths_at_peak_3) {
  planner::Workload w = DefaultWorkloadSubset("r1-32b-competition", {"R1-Distill-Qwen-32B@H100"}, {"competition"}, 5000);
  w.classes[0].slo_p95_s = 1800;
  CheckPromise(w);
}

BOOST_AUTO_TEST_CASE(qwq_on_a100s_for_competition_maths) {
  planner::Workload w = DefaultWorkloadSubset("qwq-a100", {"QwQ-32B-Preview@H100"}, {"competition"}, 3000);
  w.systems[0].hardware = "A100-SXM-80GB";
  w.systems[0].usd_per_device_hour = 2.21;
  w.systems[0].devices = 2;
  w.classes[0].slo_p95_s = 1800;
  CheckPromise(w);
}

BOOST_AUTO_TEST_CASE(mixtral_on_a100s_for_short_fast_school_maths_at_peak_1_5) {
  planner::Workload w = DefaultWorkloadSubset("mixtral-school", {"Mixtral-8x7B@A100"}, {"school-math"}, 50000);
  w.classes[0].peak_factor = 1.5;
  CheckPromise(w);
}

BOOST_AUTO_TEST_CASE(an_api_beside_a_self_hosted_model_under_a_budget) {
  planner::Workload w = DefaultWorkloadSubset("api-and-qwq", {"o3-mini", "QwQ-32B-Preview@H100"}, {"competition"}, 5000);
  w.classes[0].slo_p95_s = 900;
  CheckPromise(w, 40000);
}

BOOST_AUTO_TEST_CASE(classes_at_peaks_1_5_and_3_share_one_self_hosted_fleet) {
  planner::Workload w = DefaultWorkloadSubset("shared-qwq", {"QwQ-32B-Preview@H100"}, {"competition", "chat"}, 2000);
  w.classes[0].slo_p95_s = 1200;
  w.classes[1].slo_p95_s = 1200;
  w.classes[1].peak_factor = 1.5;
  CheckPromise(w);
}

// A time-to-first-token SLO on chat beside competition maths on one QwQ fleet: the configuration search sizes the
// fleet so that the wait for a slot plus the prefill stays within 10 s at the peak, and the simulation keeps it.
BOOST_AUTO_TEST_CASE(a_ttft_slo_is_kept_by_the_searched_fleet) {
  planner::Workload w = DefaultWorkloadSubset("qwq-ttft", {"QwQ-32B-Preview@H100"}, {"competition", "chat"}, 2000);
  for (planner::TaskClassSpec& c : w.classes) {
    c.slo_p95_s = 1200;
    if (c.name == "chat") c.slo_ttft_p95_s = 10;
  }
  CheckPromise(w);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace thinkplan
