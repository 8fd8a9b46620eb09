// The `thinkplan whatif --set` parser (planner/whatif.h) on the shipped default workload and catalogues.
// Properties: an expression is either accepted or refused with a UsageError (or InputError); an accepted change
// applies without any other exception, and the changed workload still passes the workload reader's validation
// (a what-if cannot produce a workload that could not have been written by hand).
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "fuzz/fuzz_common.h"
#include "planner/whatif.h"

namespace {

namespace planner = thinkplan::planner;

struct Fixture {
  planner::Workload workload;
  planner::Catalogues catalogues;
  Fixture() {
    const std::filesystem::path data = std::filesystem::path(THINKPLAN_SOURCE_DIR) / "data";
    workload = planner::LoadWorkload(data / "workloads" / "default.json");
    catalogues = planner::Catalogues::Load(data);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Fixture fixture;
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::optional<planner::WhatIfChange> change;
  try {
    change = planner::ParseWhatIf(text, fixture.workload, fixture.catalogues);
  } catch (const thinkplan::UsageError&) {
    return 0;
  } catch (const thinkplan::InputError&) {
    return 0;
  } catch (const std::exception& error) {
    thinkplan::fuzz::Violation(std::string("ParseWhatIf threw an untyped exception: ") + error.what());
  }
  planner::Workload changed = fixture.workload;
  std::optional<double> budget = 100000.0;
  try {
    planner::ApplyWhatIf({*change}, fixture.catalogues, &changed, &budget);
  } catch (const thinkplan::Error&) {
    return 0;  // refused with a typed error at apply time: acceptable
  } catch (const std::exception& error) {
    thinkplan::fuzz::Violation(std::string("ApplyWhatIf threw an untyped exception: ") + error.what());
  }
  const bool valid = thinkplan::fuzz::AcceptsOrRefuses(
      [&] { planner::ParseWorkload(planner::ToJson(changed), "changed.json"); });
  if (!valid) thinkplan::fuzz::Violation("what-if '" + text + "' produced a workload the reader refuses");
  return 0;
}
