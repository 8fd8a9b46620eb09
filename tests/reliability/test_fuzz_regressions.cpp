// Inputs the fuzzers found, kept as regression tests. Each names the target and the saved input.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <optional>

#include "core/errors.h"
#include "planner/plan.h"
#include "planner/whatif.h"
#include "store/database.h"
#include "tests/common/test_support.h"

namespace thinkplan::testing {
namespace {

// fuzz_whatif, crash-8358f855: `--set slo.code=7777777770` is accepted by the what-if parser, but the workload it
// produced was refused by the workload reader (the SLO was outside the reader's range), so a what-if could create a
// plan whose workload could not be written by hand. The parser now applies the reader's upper bounds.
BOOST_AUTO_TEST_CASE(whatif_cannot_produce_a_workload_the_reader_refuses) {
  const planner::Workload workload = planner::LoadWorkload(DataDir() / "workloads" / "default.json");
  const planner::Catalogues catalogues = planner::Catalogues::Load(DataDir());
  bool refused = false;
  planner::Workload changed = workload;
  try {
    const planner::WhatIfChange change = planner::ParseWhatIf("slo.code=7777777770", workload, catalogues);
    std::optional<double> budget = 100000.0;
    planner::ApplyWhatIf({change}, catalogues, &changed, &budget);
  } catch (const UsageError& error) {
    refused = true;
    BOOST_TEST(std::string(error.what()).find("at most 1000000 seconds") != std::string::npos, error.what());
  }
  BOOST_TEST(refused);
  if (!refused) {
    std::string why;
    try {
      planner::ParseWorkload(planner::ToJson(changed), "changed.json");
    } catch (const InputError& error) {
      why = error.what();
    }
    BOOST_TEST(why.empty(), "the changed workload is refused: " << why);
  }
}


// What the fuzz_whatif target does with one input, followed by a re-plan: returns the refusal's message, or ""
// when the change was accepted, in which case the changed workload must pass the workload reader and the plan on
// the shipped runs must be finite.
struct WhatIfHarness {
  planner::Workload workload = planner::LoadWorkload(DataDir() / "workloads" / "default.json");
  planner::Catalogues catalogues = planner::Catalogues::Load(DataDir());
  ScratchDir dir;
  std::vector<Run> runs;
  CurveSet curves;  // no fits: the options are the stored runs

  WhatIfHarness() {
    store::Database db = store::Database::Open(dir / "t.db");
    for (const char* file : {"published/systems.csv", "published/hardware.csv", "published/runs.csv",
                             "public/livecodebench/runs_2025-01.csv", "public/routellm/runs.csv",
                             "public/matharena/runs.csv", "public/deepseek_r1/runs.csv"}) {
      db.Ingest(DataDir() / file);
    }
    runs = db.ListRuns();
  }

  std::string Check(const std::string& text) {
    planner::Workload changed = workload;
    std::optional<double> budget = 100000.0;
    try {
      const planner::WhatIfChange change = planner::ParseWhatIf(text, workload, catalogues);
      planner::ApplyWhatIf({change}, catalogues, &changed, &budget);
    } catch (const UsageError& error) {
      return error.what();
    }
    std::string why;
    try {
      planner::ParseWorkload(planner::ToJson(changed), "changed.json");
    } catch (const InputError& error) {
      why = error.what();
    }
    BOOST_TEST(why.empty(), "'" << text << "' was accepted but the changed workload is refused: " << why);
    planner::PlanInputs in;
    in.workload = changed;
    in.curves = &curves;
    in.runs = runs;
    in.catalogues = catalogues;
    planner::PlanOptions options;
    options.budget_usd_per_month = budget;
    const planner::PlanResult plan = planner::MakePlan(in, options);
    if (text == "price.o3-mini.out=1e4") BOOST_TEST(plan.feasible, text);
    BOOST_TEST(std::isfinite(plan.accuracy), text);
    BOOST_TEST(std::isfinite(plan.inference_usd_per_month), text);
    for (const planner::BucketPlan& b : plan.buckets) BOOST_TEST(std::isfinite(b.cost_per_query), text);
    return "";
  }
};

// fuzz_whatif, deadly signal on `price.o3-mini.out=4e4`: the parser checked SLO and volume against the workload
// reader's upper bounds key by key but not prices, so an API list price of 40,000 USD per million tokens was
// accepted and applied, and the changed workload was refused by the reader (prices are at most 1e4): the target's
// property check aborted. The ranges now come from one place: every applied change is read back through the
// workload reader, and a change it would refuse is a UsageError naming the --set.
BOOST_AUTO_TEST_CASE(whatif_price_beyond_the_readers_range_is_refused) {
  WhatIfHarness harness;
  const std::string refused = harness.Check("price.o3-mini.out=4e4");
  BOOST_TEST(!refused.empty());
  BOOST_TEST(refused.find("price.o3-mini.out=4e4") != std::string::npos, refused);
  BOOST_TEST(refused.find("price_out_usd_per_mtok") != std::string::npos, refused);
  // The reader's own bound is still accepted, and the plan made with it is finite.
  BOOST_TEST(harness.Check("price.o3-mini.out=1e4").empty());
}

// The same rule for every key and for relative changes, which reach a value only after multiplying the current
// one (a list price from the catalogue, a budget, a discriminability): each of these is refused, never applied.
BOOST_AUTO_TEST_CASE(whatif_relative_changes_cannot_leave_the_readers_range) {
  WhatIfHarness harness;
  for (const char* text : {"price.o3-mini=1e300x", "price.o3-mini.in=1e6x", "price.H100-SXM-80GB=1e5",
                           "price.QwQ-32B-Preview@H100=1e9x", "verifier.competition.dprime=1e3x", "budget=1e300x",
                           "budget=1e13", "volume.chat=1e300x"}) {
    BOOST_TEST(!harness.Check(text).empty(), text << " was accepted");
  }
  for (const char* text : {"price.o3-mini=0.5x", "price.H100-SXM-80GB=9000", "verifier.competition.dprime=10x",
                           "volume.chat=0", "budget=0"}) {
    const std::string refused = harness.Check(text);
    BOOST_TEST(refused.empty(), text << ": " << refused);
  }
}

}  // namespace
}  // namespace thinkplan::testing
