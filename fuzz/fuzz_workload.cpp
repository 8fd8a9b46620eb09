// The workload JSON reader (planner/workload.h): any byte string either parses into a workload or is refused
// with an InputError naming the JSON path; a parsed workload written back with ToJson parses again.
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_common.h"
#include "planner/workload.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto json = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return 0;  // not JSON at all: the caller's parse error, not the workload reader's
  thinkplan::planner::Workload workload;
  if (!thinkplan::fuzz::AcceptsOrRefuses([&] { workload = thinkplan::planner::ParseWorkload(json, "fuzz.json"); })) {
    return 0;
  }
  const bool again = thinkplan::fuzz::AcceptsOrRefuses(
      [&] { thinkplan::planner::ParseWorkload(thinkplan::planner::ToJson(workload), "round-trip.json"); });
  if (!again) thinkplan::fuzz::Violation("a parsed workload written back with ToJson was refused");
  return 0;
}
