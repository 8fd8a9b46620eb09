// Inputs the fuzzers found, kept as regression tests. Each names the target and the saved input.
#include <boost/test/unit_test.hpp>

#include "core/errors.h"
#include "planner/whatif.h"
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

}  // namespace
}  // namespace thinkplan::testing
