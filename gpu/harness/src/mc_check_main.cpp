// thinkplan-mc-check: the Monte Carlo kernel against the CPU engine on a bare CUDA host. For each option it
// compares the per-problem credits bit for bit and measures Bernoulli trials per second on the device and on one
// CPU core. Writes mc.json to --out (default .). Exit codes: 0 all identical, 2 no device, 3 a mismatch or error.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "thinkplan_harness/harness.h"
#include "thinkplan_harness/monte_carlo.h"

int main(int argc, char** argv) {
  using namespace thinkplan;
  std::string out_dir = ".";
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--out") out_dir = argv[i + 1];
  }
  const harness::DeviceProbe probe = harness::ProbeDevice();
  if (!probe.usable) {
    std::cerr << "thinkplan-mc-check: " << probe.message << "\n";
    return 2;
  }
  auto spec = [](int samples, sim::McAggregation aggregation, double dprime, double rho) {
    sim::McProblemSpec s;
    s.beta_a = 0.4;
    s.beta_b = 0.6;
    s.samples = samples;
    s.aggregation = aggregation;
    s.dprime = dprime;
    s.rho = rho;
    s.key0 = 20261130u;  // seed 20261130, as in the CPU tests
    s.key1 = 0;
    return s;
  };
  struct Case {
    const char* name;
    sim::McProblemSpec spec;
    uint64_t problems;
  };
  const std::vector<Case> cases = {
      {"cons@256 (rho 0)", spec(256, sim::McAggregation::kConsensus, 0, 0), 1ull << 24},
      {"cons@64 (rho 0.5)", spec(64, sim::McAggregation::kConsensus, 0, 0.5), 1ull << 24},
      {"pass@64", spec(64, sim::McAggregation::kPassAt, 0, 0), 1ull << 24},
      {"best@16 (d'=1)", spec(16, sim::McAggregation::kBestOf, 1.0, 0), 1ull << 22},
  };
  try {
    std::ofstream json(out_dir + "/mc.json");
    json << "{\"device\": \"" << probe.info.name << "\", \"options\": [\n";
    bool all_identical = true;
    for (size_t c = 0; c < cases.size(); ++c) {
      const auto r = harness::CheckMonteCarlo(cases[c].name, cases[c].spec, 1 << 18, cases[c].problems, 1 << 15);
      std::cout << r.Line() << std::endl;
      all_identical = all_identical && r.mismatches == 0;
      char line[512];
      std::snprintf(line, sizeof line,
                    "  {\"option\": \"%s\", \"checked\": %llu, \"mismatches\": %llu, \"device_trials_per_s\": %.6e, "
                    "\"cpu_core_trials_per_s\": %.6e, \"device_accuracy\": %.8f}%s\n",
                    r.option.c_str(), static_cast<unsigned long long>(r.checked),
                    static_cast<unsigned long long>(r.mismatches), r.device_trials_per_s, r.cpu_trials_per_s,
                    r.device_accuracy, c + 1 < cases.size() ? "," : "");
      json << line;
    }
    json << "]}\n";
    return all_identical ? 0 : 3;
  } catch (const std::exception& e) {
    std::cerr << "thinkplan-mc-check: " << e.what() << "\n";
    return 3;
  }
}
