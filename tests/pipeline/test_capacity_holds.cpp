// Capacity that holds (issue 13): the simulator, an independent discrete-event model of the fleet, as the check of
// what the planner promises for its self-hosted fleet: p95 within the SLO with at most 5% of queries over it,
// monthly cost within 5% of the plan's, planned p95 within 25% of the simulated one, and weights plus KV within the
// card's usable memory (recomputed from the model shape). The case is the issue's: QwQ-32B-Preview on one H100 for
// competition maths, which planned batch 7 with 21 GiB of KV beside 61 GiB of weights; the configuration search
// (planner/capacity.h) now chooses the replica size, and the simulator serves the size it chose.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/fleet_model.h"
#include "core/model_shape.h"
#include "pipeline/catalogues.h"
#include "pipeline/plan_stage.h"
#include "pipeline/simulate_scenario.h"
#include "pipeline/simulate_stage.h"
#include "planner/capacity.h"
#include "planner/workload.h"
#include "store/database.h"
#include "store/plans.h"
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

constexpr double kTpotSloS = 0.030;

// What a test may check beside the promise, with the database the plan and its simulation are stored in.
using AlsoCheck = std::function<void(store::Database&, const pipeline::PlanStageResult&, const pipeline::SimulateStageResult&)>;

// The plan's monthly bill recomputed from its fleet, not from the plan's totals: each self-hosted system's devices
// (replicas x devices per replica) x 24 h x the month's days x the hourly price (the workload's, else the card's),
// plus what the shares on APIs cost per query, the verifiers and the amortised training.
double RecomputedBill(const planner::Workload& w, const planner::PlanResult& plan, const std::vector<HardwareInfo>& cards) {
  double bill = plan.training_usd_per_month;
  std::vector<std::string> hosted;
  for (const planner::CapacityLine& l : plan.capacity) {
    BOOST_TEST(l.devices == l.replicas * l.devices_per_replica);
    const planner::SystemSpec* s = w.FindSystem(l.system);
    BOOST_REQUIRE(s);
    const auto card = std::find_if(cards.begin(), cards.end(), [&](const HardwareInfo& h) { return h.name == l.hardware; });
    BOOST_REQUIRE(card != cards.end());
    const double price = s->usd_per_device_hour ? *s->usd_per_device_hour : card->usd_per_hour.value_or(0);
    BOOST_REQUIRE(price > 0);
    bill += static_cast<double>(l.replicas * l.devices_per_replica) * 24 * w.days_per_month * price;
    hosted.push_back(l.system);
  }
  for (const planner::BucketPlan& b : plan.buckets) {
    for (const planner::ChosenShare& sh : b.shares) {
      const bool on_fleet = std::find(hosted.begin(), hosted.end(), sh.setting.system) != hosted.end();
      bill += b.queries_per_month * sh.fraction * (on_fleet ? sh.figures.verifier_usd : sh.figures.cost_usd);
    }
  }
  return bill;
}

// A plan that says feasible under a budget is billed within it: recomputed from its fleet, and as it states.
void CheckBillWithinBudget(const planner::Workload& w, const planner::PlanResult& plan, std::optional<double> budget) {
  const std::vector<HardwareInfo> cards = LoadHardwareCatalogue(testing::DataDir() / "published" / "hardware.csv");
  const double bill = RecomputedBill(w, plan, cards);
  BOOST_TEST_MESSAGE("  bill recomputed from the fleet " << bill << ", stated "
                     << plan.inference_usd_per_month + plan.training_usd_per_month);
  BOOST_TEST(bill == plan.inference_usd_per_month + plan.training_usd_per_month, boost::test_tools::tolerance(1e-6));
  const std::optional<double> limit = budget ? budget : w.budget_usd_per_month;
  if (w.objective == planner::Objective::kMaxAccuracy && limit) BOOST_TEST(bill <= *limit * (1 + 1e-9), w.name);
}

// Plans `w`; where feasible, simulates a day and checks the plan's promise against it class by class.
void CheckPromise(const planner::Workload& w, std::optional<double> budget = std::nullopt, const AlsoCheck& also = {}) {
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
                            << l.batch << ", TTFT p95 at peak " << l.ttft_p95_s << " s, " << 1e3 * l.tpot_s << " ms/token"
                            << ", wait p95 " << l.wait_p95_s << " s, utilisation peak " << l.peak_utilisation << " mean "
                            << l.mean_utilisation);
  }
  CheckBillWithinBudget(w, planned.plan, budget);
  pipeline::SimulateSettings settings;
  settings.capacity_check = false;
  const pipeline::SimulateStageResult sim = pipeline::SimulateStage(db, *planned.plan_id, settings);
  const planner::PlanResult& plan = planned.plan;
  BOOST_TEST_MESSAGE("  cost planned " << plan.inference_usd_per_month << " simulated " << sim.summary.usd_per_month);
  for (const sim::SystemOutcome& s : sim.summary.systems) {
    BOOST_TEST_MESSAGE("  simulated " << s.name << ": utilisation " << s.utilisation << ", mean batch " << s.mean_batch
                                      << ", mean wait " << s.mean_wait_s << " s, KV peak " << s.kv_peak_fraction);
  }
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
  if (also) also(db, planned, sim);
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

// The batch limit the configuration search chooses is what the simulator's scheduler admits (its max_num_seqs per
// replica, beside the KV cache): a time-per-output-token SLO of 30 ms keeps Mixtral's batch below what KV memory
// would hold on its replica; the scenario built from the stored plan carries that limit, the simulated replicas run
// at most that batch (time-averaged over busy time), and the plan's promise holds as for every workload above.
BOOST_AUTO_TEST_CASE(the_searched_batch_limit_is_the_simulators_and_the_plan_holds) {
  planner::Workload w = DefaultWorkloadSubset("mixtral-tpot", {"Mixtral-8x7B@A100"}, {"school-math"}, 50000);
  w.classes[0].peak_factor = 1.5;
  w.classes[0].slo_tpot_s = kTpotSloS;
  CheckPromise(w, std::nullopt, [](store::Database& db, const pipeline::PlanStageResult& planned,
                                   const pipeline::SimulateStageResult& sim) {
    BOOST_REQUIRE_EQUAL(planned.plan.capacity.size(), 1u);
    const planner::CapacityLine& line = planned.plan.capacity[0];
    BOOST_TEST_MESSAGE("  batch " << line.batch << " limited by " << line.batch_limited_by << ", " << 1e3 * line.tpot_s
                                  << " ms/token");
    BOOST_TEST(line.batch_limited_by == "latency");  // below the KV limit: the limit is the search's own
    BOOST_TEST(line.tpot_s <= kTpotSloS);
    const pipeline::BuiltScenario built =
        pipeline::BuildScenario(store::LoadPlan(db, *planned.plan_id), {}, pipeline::LoadCatalogues(db));
    bool carried = false;
    for (const sim::FleetSystem& s : built.scenario.systems) {
      if (s.name == line.system) carried = s.max_batch == line.batch;
    }
    BOOST_TEST(carried);
    for (const sim::SystemOutcome& s : sim.summary.systems) {
      if (s.name != line.system) continue;
      BOOST_TEST_MESSAGE("  simulated mean batch " << s.mean_batch << " of at most " << line.batch);
      BOOST_TEST(s.mean_batch <= static_cast<double>(line.batch));
    }
  });
}

// The rounding edge: R1-Distill-Qwen-32B for competition maths under a $115k budget, 4.7 8-card replicas ($24.48k
// each). The LP spends the budget on fractional capacity; five whole replicas would bill $122.4k, so the plan is
// made again under a cut budget. The bill, recomputed from the fleet,
// is within the budget (CheckPromise), and the plan is not less accurate than needed: no plan made under a smaller
// budget, on a grid down to 60% of it, is more accurate (each of those is billed within its own, smaller, budget).
BOOST_AUTO_TEST_CASE(whole_devices_keep_the_bill_within_the_budget_at_the_rounding_edge) {
  constexpr double kBudget = 115000;
  planner::Workload w = DefaultWorkloadSubset("r1-rounding-edge", {"R1-Distill-Qwen-32B@H100"}, {"competition"}, 5000);
  w.classes[0].slo_p95_s = 1800;
  CheckPromise(w, kBudget, [&](store::Database& db, const pipeline::PlanStageResult& planned,
                               const pipeline::SimulateStageResult&) {
    const planner::PlanResult& plan = planned.plan;
    BOOST_REQUIRE_EQUAL(plan.capacity.size(), 1u);
    BOOST_TEST(plan.inference_usd_per_month <= kBudget);
    bool noted = false;
    for (const std::string& n : plan.notes) noted = noted || n.find("cost: whole devices put the first fleet") == 0;
    BOOST_TEST(noted);  // the first fleet was over: the case is on the edge
    double best_smaller = 0;
    for (double share = 0.98; share >= 0.6; share -= 0.04) {
      pipeline::PlanStageOptions options;
      options.plan.budget_usd_per_month = kBudget * share;
      options.store = false;
      const pipeline::PlanStageResult smaller = pipeline::PlanStage(db, w, options);
      if (!smaller.plan.feasible) continue;
      BOOST_TEST(smaller.plan.inference_usd_per_month <= kBudget * share * (1 + 1e-9));
      best_smaller = std::max(best_smaller, smaller.plan.accuracy);
    }
    BOOST_TEST_MESSAGE("  accuracy " << plan.accuracy << "; best under a smaller budget " << best_smaller);
    BOOST_TEST(best_smaller > 0);
    BOOST_TEST(plan.accuracy >= best_smaller - 0.002);
  });
}

// The joint between the planner's queue model and the simulator's scheduler on a shared fleet with mixed service:
// best-of-64 competition maths (each query brings 64 sequences at once) beside single-sample chat, served FIFO
// from one queue at the plan's batch limit. Hour by hour the fleet model's mean wait for a slot at that hour's
// traffic (core/fleet_model.h FleetQueueWait with the streams' peakedness) is set against the simulated one, by
// Little's law on the simulated queue of sequences (time-averaged queue / arrival rate of sequences), over the
// busy hours (planned slot utilisation 0.6 or more). The wait Erlang C gives at the full slot count for Poisson
// arrivals of single sequences (peakedness 1) is shown beside it: the bursts are what it misses.
BOOST_AUTO_TEST_CASE(a_shared_fleet_with_sample_bursts_waits_as_planned) {
  planner::Workload w = DefaultWorkloadSubset("burst-qwq", {"QwQ-32B-Preview@H100"}, {"competition", "chat"}, 2000);
  w.classes[0].slo_p95_s = 1200;
  w.classes[1].slo_p95_s = 1200;
  w.classes[1].peak_factor = 1.5;
  testing::ScratchDir dir;
  store::Database db = store::Database::Open(dir / "t.db");
  IngestRuns(db);
  db.Ingest(testing::DataDir() / "public/routellm/runs.csv");
  db.Ingest(testing::DataDir() / "public/deepseek_r1/runs.csv");
  const pipeline::PlanStageResult planned = pipeline::PlanStage(db, w);
  BOOST_REQUIRE(planned.plan.feasible);
  BOOST_REQUIRE_EQUAL(planned.plan.capacity.size(), 1u);
  const planner::CapacityLine& line = planned.plan.capacity[0];
  // The streams the fleet serves, per class at its mean rate, from the plan's chosen shares.
  std::vector<SequenceStream> streams;
  std::vector<std::vector<double>> profiles;
  long most_samples = 1;
  for (const planner::BucketPlan& b : planned.plan.buckets) {
    const planner::TaskClassSpec& c = w.classes[b.class_index];
    for (const planner::ChosenShare& sh : b.shares) {
      SequenceStream s;
      s.samples_per_query = static_cast<double>(sh.setting.samples);
      s.sequences_per_s = c.daily_volume * b.mass * sh.fraction / 86400.0 * s.samples_per_query;
      s.prompt_tokens = c.prompt_tokens;
      s.answer_tokens = sh.figures.answer_measured ? sh.figures.answer_tokens : c.answer_tokens;
      s.thinking = ThinkingLength::FromMeanAndP95(sh.figures.thinking_tokens, sh.figures.thinking_tokens_p95);
      streams.push_back(s);
      profiles.push_back(HourlyProfile(c.peak_factor));
      most_samples = std::max(most_samples, sh.setting.samples);
    }
  }
  BOOST_TEST_REQUIRE(most_samples > 1);  // the case is the bursts: a multi-sample option is chosen
  const planner::Catalogues catalogues = pipeline::LoadCatalogues(db);
  std::string reason;
  const std::optional<planner::ReplicaModel> replica =
      planner::ReplicaModelWithDevices(w.systems[0], catalogues, line.devices_per_replica, &reason);
  BOOST_REQUIRE_MESSAGE(replica, reason);
  const ReplicaFit fit = FitReplica(replica->model, streams, FleetModelOptions{}, line.batch);
  const double slots = static_cast<double>(line.replicas * line.batch);

  pipeline::SimulateSettings settings;
  settings.capacity_check = false;
  const pipeline::SimulateStageResult sim = pipeline::SimulateStage(db, *planned.plan_id, settings);
  double arrivals = 0, planned_waiting = 0, poisson_waiting = 0, simulated_waiting = 0;
  for (const sim::HourQueue& q : sim.summary.queue_by_hour) {
    if (q.hour < 0 || q.hour >= 24) continue;
    std::vector<SequenceStream> hourly = streams;
    double rate = 0;
    for (std::size_t i = 0; i < hourly.size(); ++i) {
      hourly[i].sequences_per_s *= profiles[i][static_cast<std::size_t>(q.hour)];
      rate += hourly[i].sequences_per_s;
    }
    if (rate * fit.service_mean_s / slots < 0.6) continue;
    const QueueWait bursts = FleetQueueWait(rate, fit.service_mean_s, fit.service_scv, SlotPeakedness(hourly), slots);
    const QueueWait poisson = FleetQueueWait(rate, fit.service_mean_s, fit.service_scv, 1, slots);
    BOOST_TEST_MESSAGE("  hour " << q.hour << ": utilisation " << rate * fit.service_mean_s / slots << ", peakedness "
                       << SlotPeakedness(hourly) << ", mean wait planned " << bursts.mean_wait_s << " s (Poisson "
                       << poisson.mean_wait_s << " s), simulated " << q.mean_queue / rate << " s");
    arrivals += rate;
    planned_waiting += rate * bursts.mean_wait_s;
    poisson_waiting += rate * poisson.mean_wait_s;
    simulated_waiting += q.mean_queue;
  }
  BOOST_REQUIRE(arrivals > 0);
  const double planned_wait = planned_waiting / arrivals, simulated_wait = simulated_waiting / arrivals;
  BOOST_TEST_MESSAGE(line.replicas << " x " << line.devices_per_replica << " device(s) at batch " << line.batch
                     << ": mean wait over the busy hours planned " << planned_wait << " s, with Poisson arrivals "
                     << poisson_waiting / arrivals << " s, simulated " << simulated_wait << " s");
  // One simulated day of 64-sequence bursts is noisy hour by hour (and its queue carries from hour to hour, which a
  // stationary model does not), so the busy hours are pooled and the model is held to a factor of 2: 26 s planned
  // against 33 s simulated when this was written. Poisson arrivals of single sequences wait a thousandth of that.
  BOOST_TEST(simulated_wait > 1.0);
  BOOST_TEST(planned_wait >= 0.5 * simulated_wait);
  BOOST_TEST(planned_wait <= 2.0 * simulated_wait);
  BOOST_TEST(poisson_waiting / arrivals < 0.1 * simulated_wait);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace thinkplan
