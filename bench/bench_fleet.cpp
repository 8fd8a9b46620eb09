// Fleet simulator throughput: simulated sequences (samples) per CPU-second and per wall-second on one thread for
// the fleet of a stored plan, e.g. the demo's plan of the default workload. Two arms are run alternately, R times
// each, so that a changing load on a shared machine falls on both alike: the run in one piece (sim::SimulateFleet)
// and the same run cut into 4 shards and merged (sim::SimulateFleetShard, FleetPartial::Merge: what thinkplan-mpi
// does, here in one process). Each arm reports the min, median and max over its runs, and the load average before
// and after. With --export it also writes the scenario as JSON for bench/fleet_vs_simpy.py, the same fleet model in
// SimPy.
//
//   bench_fleet --db DB --plan ID [--days D] [--repeats R] [--export scenario.json]
#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "core/sample_quantile.h"
#include "core/timing.h"
#include "pipeline/catalogues.h"
#include "pipeline/simulate_scenario.h"
#include "sim/fleet.h"
#include "sim/fleet_shard.h"
#include "store/database.h"
#include "store/fits.h"
#include "store/plans.h"

using namespace thinkplan;
using nlohmann::json;

namespace {

const char* Aggregation(sim::McAggregation a) {
  switch (a) {
    case sim::McAggregation::kPass1: return "pass1";
    case sim::McAggregation::kPassAt: return "pass_at";
    case sim::McAggregation::kConsensus: return "consensus";
    case sim::McAggregation::kBestOf: return "best_of";
  }
  return "pass1";
}

// Everything the SimPy model needs, with the cost model's step times tabulated: decode as per-batch roofline
// lines in the context, prefill per (prompt, batch).
json ExportScenario(const sim::FleetScenario& s) {
  json j;
  j["classes"] = json::array();
  std::vector<double> prompts;
  for (const sim::FleetClass& c : s.classes) {
    json buckets = json::array();
    for (const sim::FleetBucket& b : c.buckets) {
      json options = json::array();
      for (const sim::FleetOption& o : b.options) {
        json by_true = json::array();
        for (std::size_t t = 0; t < o.correctness_by_true.size(); ++t) {
          const sim::TokenDraw& tokens = o.tokens_by_true[t];
          by_true.push_back({{"beta_a", o.correctness_by_true[t].beta_a}, {"beta_b", o.correctness_by_true[t].beta_b},
                             {"token_kind", static_cast<int>(tokens.kind)}, {"mu", tokens.mu}, {"sigma", tokens.sigma},
                             {"mean", tokens.mean}, {"cap", std::isfinite(tokens.cap) ? json(tokens.cap) : json(nullptr)}});
        }
        options.push_back({{"system", o.system}, {"by_true", by_true}, {"fraction", o.fraction}, {"samples", o.correctness.samples},
                           {"aggregation", Aggregation(o.correctness.aggregation)}, {"beta_a", o.correctness.beta_a},
                           {"beta_b", o.correctness.beta_b}, {"dprime", o.correctness.dprime}, {"rho", o.correctness.rho},
                           {"token_kind", static_cast<int>(o.tokens.kind)}, {"mu", o.tokens.mu}, {"sigma", o.tokens.sigma},
                           {"mean", o.tokens.mean}, {"cap", std::isfinite(o.tokens.cap) ? json(o.tokens.cap) : json(nullptr)},
                           {"answer_tokens", o.tokens.answer_tokens}, {"verifier_s", o.verifier_s},
                           {"usd_fixed", o.usd_fixed_per_query}, {"usd_per_token", o.usd_per_output_token}});
      }
      buckets.push_back(options);
    }
    j["classes"].push_back({{"name", c.name}, {"daily_volume", c.daily_volume}, {"prompt_tokens", c.prompt_tokens},
                            {"slo_p95_s", c.slo_p95_s}, {"profile", c.hourly_profile}, {"true_shares", c.true_shares},
                            {"confusion", c.confusion}, {"buckets", buckets}});
    prompts.push_back(c.prompt_tokens);
  }
  j["systems"] = json::array();
  for (const sim::FleetSystem& sys : s.systems) {
    json o = {{"name", sys.name}, {"api", sys.api}, {"ttft_s", sys.ttft_s}, {"tokens_per_s", sys.output_tokens_per_s}};
    if (!sys.api) {
      const CostModel& m = *sys.model;
      const ServingRates& r = m.rates();
      o["replicas"] = sys.replicas;
      o["max_batch"] = sys.max_batch;
      o["kv_capacity_tokens"] = r.hbm_bytes > 0 ? (r.hbm_bytes - r.reserve_bytes - m.shape().WeightBytes()) / m.KvBytesPerToken() : 1e300;
      o["t0_s"] = r.t0_s;
      json decode = json::array();
      for (long b = 1; b <= sys.max_batch; ++b) {
        const double bb = static_cast<double>(b);
        const StepTime s0 = m.DecodeStep(bb, 0), s1 = m.DecodeStep(bb, 1);
        decode.push_back({s0.compute_s, s1.compute_s - s0.compute_s, s0.memory_s, s1.memory_s - s0.memory_s});
      }
      o["decode"] = decode;
      json prefill = json::object();
      for (double p : prompts) {
        json row = json::array();
        for (long b = 1; b <= sys.max_batch; ++b) row.push_back(m.Prefill(static_cast<double>(b), p).total_s);
        prefill[std::to_string(static_cast<long>(p))] = row;
      }
      o["prefill"] = prefill;
    }
    j["systems"].push_back(o);
  }
  return j;
}

// The 1-minute load average (the machine's other work), or -1 where it cannot be read.
double LoadAverage() {
  std::array<double, 1> load{};
  return getloadavg(load.data(), 1) == 1 ? load[0] : -1;
}

constexpr int kShards = 4;

// One arm's runs: sequences per CPU-second and per wall-second.
struct Arm {
  explicit Arm(const char* arm_name) : name(arm_name) {}
  const char* name;
  std::vector<double> per_cpu_s, per_wall_s;
  double best_wall_s = 1e300;
  sim::FleetSummary last;

  void Record(const sim::FleetSummary& summary, double cpu_s, double wall_s) {
    const auto sequences = static_cast<double>(summary.sequences);
    per_cpu_s.push_back(sequences / cpu_s);
    per_wall_s.push_back(sequences / wall_s);
    best_wall_s = std::min(best_wall_s, wall_s);
    last = summary;
  }
  static json Spread(const std::vector<double>& v) {
    return {{"min", *std::min_element(v.begin(), v.end())}, {"median", SampleQuantile(v, 0.5)},
            {"max", *std::max_element(v.begin(), v.end())}};
  }
  json ToJson() const {
    return {{"arm", name}, {"runs", per_cpu_s.size()}, {"sequences", last.sequences},
            {"sequences_per_cpu_s", Spread(per_cpu_s)}, {"sequences_per_wall_s", Spread(per_wall_s)}};
  }
};

sim::FleetSummary RunSharded(const sim::FleetScenario& scenario, const sim::FleetOptions& options) {
  sim::FleetPartial merged = sim::FleetPartial::Empty(scenario);
  for (int shard = 0; shard < kShards; ++shard) merged.Merge(sim::SimulateFleetShard(scenario, options, shard, kShards));
  return sim::SummariseFleet(scenario, options, merged, 0);
}

}  // namespace

int main(int argc, char** argv) {
  std::string db_path, export_path;
  long plan_id = 1;
  double days = 1;
  int repeats = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--db") db_path = value;
    else if (flag == "--plan") plan_id = std::atol(value.c_str());
    else if (flag == "--days") days = std::atof(value.c_str());
    else if (flag == "--repeats") repeats = std::max(1, std::atoi(value.c_str()));
    else if (flag == "--export") export_path = value;
  }
  if (db_path.empty()) {
    std::fprintf(stderr, "usage: bench_fleet --db DB --plan ID [--days D] [--repeats R] [--export scenario.json]\n");
    return 1;
  }
  store::Database db = store::Database::Open(db_path);
  const pipeline::BuiltScenario built = pipeline::BuildScenario(store::LoadPlan(db, plan_id), {},
                                                                 pipeline::LoadCatalogues(db));
  if (!export_path.empty()) std::ofstream(export_path) << ExportScenario(built.scenario).dump();
  sim::FleetOptions options;
  options.days = days;
  options.threads = 1;
  const double load_before = LoadAverage();
  Arm whole("whole"), sharded("sharded");
  for (int r = 0; r < repeats; ++r) {
    for (Arm* arm : {&whole, &sharded}) {
      const Stopwatch wall;
      const std::clock_t cpu = std::clock();  // the process's CPU time: the run is on this thread alone
      const sim::FleetSummary summary =
          arm == &whole ? sim::SimulateFleet(built.scenario, options) : RunSharded(built.scenario, options);
      arm->Record(summary, static_cast<double>(std::clock() - cpu) / CLOCKS_PER_SEC, wall.Seconds());
    }
  }
  if (whole.last.sequences != sharded.last.sequences || whole.last.accuracy != sharded.last.accuracy) {
    std::fprintf(stderr, "bench_fleet: the sharded run differs from the whole one\n");
    return 1;
  }
  const json out = {{"days", days}, {"queries", whole.last.queries}, {"sequences", whole.last.sequences},
                    {"accuracy", whole.last.accuracy}, {"usd_per_month", whole.last.usd_per_month},
                    // The whole run's best wall time, as bench/fleet_vs_simpy.sh reads it.
                    {"best_s", whole.best_wall_s},
                    {"sequences_per_s", static_cast<double>(whole.last.sequences) / whole.best_wall_s},
                    {"load_average_before", load_before}, {"load_average_after", LoadAverage()},
                    {"arms", {whole.ToJson(), sharded.ToJson()}}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
