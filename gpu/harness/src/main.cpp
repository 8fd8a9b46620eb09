// thinkplan-harness: the GPU measurement harness as a standalone program for a bare CUDA host.
// Exit codes: 0 ok, 2 bad input or no usable device, 3 a correctness check or a CUDA call failed.
#include <iostream>

#include "thinkplan_harness/harness.h"
#include "thinkplan_harness/json_output.h"

int main(int argc, char** argv) {
  using namespace thinkplan::harness;
  try {
    bool help = false;
    const HarnessOptions options = ParseHarnessArguments(std::vector<std::string>(argv + 1, argv + argc), &help);
    if (help) {
      std::cout << "Usage: thinkplan-harness [options]\n\n"
                   "Measures the GPU's copy bandwidth and bf16 matrix rate, checks the attention kernel against a\n"
                   "float64 reference, then times decode steps and prefills of model shapes over a grid of batch\n"
                   "sizes and context lengths. Writes perf.jsonl (for `thinkplan ingest`), ceilings.json and\n"
                   "table.txt.\n\nOptions:\n"
                << HarnessUsage();
      return 0;
    }
    const DeviceProbe probe = ProbeDevice();
    if (!probe.usable) {
      std::cerr << "thinkplan-harness: " << probe.message << "\n";
      return 2;
    }
    const HarnessSummary summary = RunHarness(options, &std::cerr);
    const std::string written = WriteResults(summary, options.output_dir);
    std::cout << summary.Table() << "results: " << written << " (" << summary.records.size() << " records)\n";
    if (!summary.ChecksPassed()) {
      std::cerr << "thinkplan-harness: a correctness check failed; nothing was timed\n";
      return 3;
    }
    return 0;
  } catch (const DeviceError& e) {
    std::cerr << "thinkplan-harness: " << e.what() << "\n";
    return 3;
  } catch (const HarnessError& e) {
    std::cerr << "thinkplan-harness: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "thinkplan-harness: internal error: " << e.what() << "\n";
    return 3;
  }
}
