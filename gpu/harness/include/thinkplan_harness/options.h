// What a harness run is asked to do, and the command-line flags that set it. The standalone executable and
// `thinkplan measure` share the flag table below, so both accept the same flags with the same meaning.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "thinkplan_harness/grid.h"
#include "thinkplan_harness/model_shape.h"

namespace thinkplan::harness {

struct HarnessOptions {
  // Models by name, looked up in the catalogue and then among the built-in shapes. Default: the three
  // built-in GPU shapes (Llama-3.1-8B, Qwen2.5-32B, Llama-3.1-70B).
  std::vector<std::string> model_names = {"Llama-3.1-8B", "Qwen2.5-32B", "Llama-3.1-70B"};
  std::vector<ModelShape> shapes;  // --shape: timed after the named models
  std::string catalogue_path;      // empty or missing file: built-in shapes only
  GridSpec grid;
  int warmup = 3;            // decode steps run before timing
  int repeats = 10;          // timed decode steps (the median is reported)
  int prefill_warmup = 1;
  int prefill_repeats = 3;
  double memory_fraction = 0.92;     // of the device memory free at the start
  double max_weight_fraction = 0.75; // of that, at most this for weights (layers are dropped beyond it)
  double time_budget_s = 0;          // grid points stop being timed once this much wall time has passed; 0: none
  bool check = true;                 // correctness checks before timing (never skip them for real numbers)
  bool ceilings = true;              // measure the copy bandwidth and matrix rate first
  std::string output_dir = "measured";
  std::string hardware;              // name written into records; empty: from the device
  unsigned long long seed = 20261120;

  bool IsValid(std::string* error) const;
};

// --quick: a grid that runs in a few minutes on one H200 (check.sh uses it): decode at batches 1, 8, 64, 256 and
// contexts 1K, 8K, 32K, 128K, prefill of one sequence at 1K and 8K, fewer repeats, a 240 s time budget.
void ApplyQuick(HarnessOptions* options);

struct ArgumentSpec {
  std::string_view name;        // without the leading "--"
  std::string_view value_name;  // empty: a switch that takes no value
  std::string_view help;
};

// Every flag the harness understands.
const std::vector<ArgumentSpec>& HarnessArguments();

// Sets one flag (name without "--"; value empty for switches). Throws HarnessError naming the flag on a bad
// value or an unknown name. --quick resets the grid, so callers apply it before the other flags.
void ApplyArgument(HarnessOptions* options, std::string_view name, std::string_view value);

// Parses a whole command line (without the program name) for the standalone executable: "--flag value" and
// "--flag=value" forms, --quick applied first. Sets *help when --help or -h is present. Throws HarnessError.
HarnessOptions ParseHarnessArguments(const std::vector<std::string>& args, bool* help);

// The flag table as help text, one flag a line.
std::string HarnessUsage();

// "1,8,64" or "1K,8K,128K" (K = 1024) into numbers >= 1. Throws HarnessError naming `what`.
std::vector<long> ParseCountList(std::string_view text, std::string_view what);

}  // namespace thinkplan::harness
