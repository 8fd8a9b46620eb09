// `thinkplan simulate --plan ID`: the fleet simulation of a stored plan (docs/design.md 3.7), simulated against
// planned figures side by side, the capacity check (one device fewer), stored for `thinkplan report`.
#include <cmath>
#include <limits>
#include <ostream>

#include <fmt/format.h>

#include "cli/cmd_simulate.h"
#include "cli/command.h"
#include "core/errors.h"
#include "core/number_format.h"
#include "core/text_table.h"
#include "pipeline/plan_stage.h"
#include "pipeline/progress.h"
#include "pipeline/simulate_stage.h"

namespace thinkplan::cli {
namespace {

std::string Accuracy(double value, Interval i) { return PercentWithInterval(value, i.lower, i.upper); }
std::string Seconds(double x) { return std::isfinite(x) ? fmt::format("{:.1f}", x) : std::string("never"); }
std::string Gap(double simulated, double planned) {
  return planned != 0 ? fmt::format("{:+.1f}%", 100 * (simulated - planned) / planned) : std::string("-");
}

void PrintSummary(std::ostream& out, const pipeline::SimulateStageResult& o) {
  const sim::FleetSummary& r = o.summary;
  const nlohmann::json& overall = o.json["overall"];
  out << fmt::format("simulation {} of plan {}: {} queries, {} sequences over {} day(s), seed {}, {:.2f} s\n\n", o.id,
                     o.json["plan_id"].get<long>(), r.queries, r.sequences, r.days, r.seed, r.seconds);
  TextTable classes({{"class"}, {"queries", TextTable::Align::kRight}, {"accuracy (sim)", TextTable::Align::kRight},
                     {"accuracy (plan)", TextTable::Align::kRight}, {"$/month sim", TextTable::Align::kRight},
                     {"plan", TextTable::Align::kRight}, {"gap", TextTable::Align::kRight},
                     {"TTFT p95 s", TextTable::Align::kRight}, {"e2e p50", TextTable::Align::kRight},
                     {"p95", TextTable::Align::kRight}, {"p99", TextTable::Align::kRight}, {"SLO s", TextTable::Align::kRight},
                     {"over SLO", TextTable::Align::kRight}});
  for (std::size_t c = 0; c < r.classes.size(); ++c) {
    const sim::ClassOutcome& x = r.classes[c];
    const nlohmann::json& j = o.json["classes"][c];
    const double planned_usd = j["planned_cost_usd_per_month"];
    classes.AddRow({x.name, FormatCount(static_cast<double>(x.queries)), Accuracy(x.accuracy, x.accuracy_interval),
                    Accuracy(j["planned_accuracy"]["value"], {j["planned_accuracy"]["low"], j["planned_accuracy"]["high"]}),
                    Usd(x.usd_per_month), Usd(planned_usd), Gap(x.usd_per_month, planned_usd), Seconds(x.ttft_s.p95),
                    Seconds(x.latency_s.p50), Seconds(x.latency_s.p95), Seconds(x.latency_s.p99),
                    fmt::format("{:.0f}", x.slo_p95_s), Percent(x.slo_miss_fraction)});
  }
  const double planned_usd = overall["planned_cost_usd_per_month"];
  classes.AddRow({"overall", FormatCount(static_cast<double>(r.queries)), Accuracy(r.accuracy, r.accuracy_interval),
                  Accuracy(overall["planned_accuracy"]["value"],
                           {overall["planned_accuracy"]["low"], overall["planned_accuracy"]["high"]}),
                  Usd(r.usd_per_month), Usd(planned_usd), Gap(r.usd_per_month, planned_usd), "", "", "", "", "",
                  Percent(r.slo_miss_fraction)});
  classes.Print(out);
  const double paid = overall["planned_paid_usd_per_month"];
  if (std::abs(paid - planned_usd) > 1e-6 * planned_usd) {
    out << fmt::format("cost: simulated {} vs the plan's {} ({}) and vs its API spend plus provisioned fleet {} ({})\n",
                       UsdPerMonth(r.usd_per_month), Usd(planned_usd), Gap(r.usd_per_month, planned_usd), Usd(paid),
                       Gap(r.usd_per_month, paid));
  }

  TextTable fleet({{"self-hosted"}, {"hardware"}, {"devices (plan)", TextTable::Align::kRight},
                   {"util", TextTable::Align::kRight}, {"batch", TextTable::Align::kRight},
                   {"KV peak", TextTable::Align::kRight}, {"wait s", TextTable::Align::kRight},
                   {"GPU-h", TextTable::Align::kRight}, {"$/month", TextTable::Align::kRight}});
  for (const sim::SystemOutcome& s : r.systems) {
    if (s.api) continue;
    fleet.AddRow({s.name, s.hardware, fmt::format("{} ({})", s.devices, s.planned_devices), Percent(s.utilisation),
                  fmt::format("{:.1f}", s.mean_batch), Percent(s.kv_peak_fraction), fmt::format("{:.2f}", s.mean_wait_s),
                  fmt::format("{:.0f}", s.gpu_hours), Usd(s.usd_per_month)});
  }
  if (!fleet.empty()) {
    out << "\n";
    fleet.Print(out);
  }
  double peak = 0;
  int peak_hour = 0;
  for (const sim::HourQueue& h : r.queue_by_hour) {
    if (h.mean_in_system > peak) {
      peak = h.mean_in_system;
      peak_hour = h.hour;
    }
  }
  out << fmt::format("\nqueries in flight peak at hour {} ({:.1f} on average that hour); Little's law: L = {:.2f}, "
                     "lambda W = {:.2f} (gap {:.1e})\n",
                     peak_hour, peak, r.little.mean_in_system, r.little.arrival_rate_per_s * r.little.mean_time_in_system_s,
                     r.little.relative_gap);
  for (const pipeline::CapacityCheck& c : o.capacity_checks) out << "capacity: " << c.explanation << "\n";
  for (const std::string& n : o.notes) out << "note: " << n << "\n";
}

}  // namespace

int RunSimulate(Invocation& invocation) { return RunSimulate(invocation, {}); }

int RunSimulate(Invocation& invocation, const pipeline::SimulateHooks& hooks) {
  cxxopts::Options options(
      "thinkplan simulate",
      "Run the fleet of a stored plan through simulated days and compare with what the plan predicted.\n\n"
      "Queries arrive per class as a Poisson process whose hourly rate follows a daily profile with the class's\n"
      "peak factor; a router with the workload's confusion matrix sends each to a bucket; the bucket's options are\n"
      "drawn by traffic fraction; each sample's thinking length is drawn from a LogNormal; API samples take\n"
      "TTFT + tokens / speed, self-hosted samples queue for a replica that batches continuously (one token per\n"
      "running sequence per decode step, step times from the cost model, admission while the KV cache fits).\n"
      "Correctness per query comes from the Monte Carlo engine, and it and the thinking length follow the plan's\n"
      "figures for the bucket the query truly belongs to, wherever the router sent it. Every draw is keyed by\n"
      "(seed, query, sample): the same seed gives the same output for any --threads. The run streams: memory\n"
      "follows the queries in flight, not the days simulated (a year of the default plan runs in a few hundred MB);\n"
      "percentiles come from a mergeable sketch within 0.39% of the exact ones. A run expected to draw more than\n"
      "--max-queries queries or --max-samples samples is refused before it starts (a guard on its length).\n"
      "thinkplan-mpi simulate takes the same options and spreads the run over MPI ranks (docs/scale.md).\n\n"
      "Prints accuracy, cost, TTFT and end-to-end latency percentiles and SLO misses per class next to the\n"
      "plan's figures, utilisation and KV use per self-hosted system, Little's law, and a capacity check: each\n"
      "self-hosted system re-simulated with one device fewer, to show whether the plan sized it tightly.\n"
      "The result is stored (see `thinkplan plans`) and read by `thinkplan report`.\n\n"
      "Examples:\n"
      "  thinkplan simulate --plan 1\n"
      "  thinkplan simulate --plan 1 --days 7 --seed 3 --threads 2 --json\n"
      "  thinkplan simulate --plan 1 --devices Mixtral-8x7B@A100=4   (what if the fleet had 4 devices)\n\n" +
          std::string(kNumberHelp));
  AddGlobalOptions(options);
  options.add_options()
      ("plan", "plan id (printed by thinkplan plan, listed by thinkplan plans)", cxxopts::value<std::string>())
      ("days", "simulated days of traffic", cxxopts::value<std::string>()->default_value("1"))
      ("seed", "random seed, a whole number in [0, 2^64); the run is reproducible from it",
       cxxopts::value<std::string>()->default_value("42"))
      ("threads", "worker threads (the result does not depend on them)",
       cxxopts::value<std::string>()->default_value("1"))
      ("devices", "SYSTEM=N: simulate N devices of a self-hosted system instead of the plan's (repeatable)",
       cxxopts::value<std::vector<std::string>>())
      ("no-capacity-check", "skip the re-run with one device fewer")
      ("volume-scale", "multiply every class's traffic and every self-hosted system's replicas (rounded up) by this, "
       "e.g. 14 (runs at a scale the plan was not made for)", cxxopts::value<std::string>()->default_value("1"))
      ("max-queries", "refuse a run expected to draw more queries than this, e.g. 10G (a guard on run time)",
       cxxopts::value<std::string>()->default_value("10G"))
      ("max-samples", "refuse a run expected to draw more samples than this, e.g. 20G (about 4M a second per core)",
       cxxopts::value<std::string>()->default_value("20G"));
  Parsed parsed = ParseCommandLine(options, invocation);
  if (parsed.help_shown) return 0;
  const auto& args = parsed.result;
  if (!args.count("plan")) throw UsageError("--plan ID is required (see thinkplan plans)");
  pipeline::SimulateSettings settings;
  const std::int64_t plan_id = IntegerArg(args, "plan", number_rules::kId);
  settings.days = NumberArg(args, "days", number_rules::kNonNegative);
  settings.seed = UnsignedArg(args, "seed", number_rules::kCount);
  settings.threads = static_cast<int>(
      IntegerArg(args, "threads", {.whole = true, .min = 1, .max = std::numeric_limits<int>::max()}));
  settings.capacity_check = !args.count("no-capacity-check");
  settings.volume_scale = NumberArg(args, "volume-scale", number_rules::kNonNegative);
  settings.max_queries = NumberArg(args, "max-queries", number_rules::kAmount);
  settings.max_samples = NumberArg(args, "max-samples", number_rules::kAmount);
  if (args.count("devices")) {
    for (const std::string& item : args["devices"].as<std::vector<std::string>>()) {
      const std::size_t eq = item.rfind('=');
      if (eq == std::string::npos || eq == 0) throw UsageError("--devices '" + item + "' must be SYSTEM=N with N >= 0");
      settings.devices[item.substr(0, eq)] = ParseIntegerOption("--devices " + item.substr(0, eq), item.substr(eq + 1),
                                                                 number_rules::kCount);
    }
  }
  std::string error;
  if (!settings.IsValid(&error)) throw UsageError(error);
  store::Database db = pipeline::OpenExistingDatabase(parsed.global.db_path);
  const bool bar = !parsed.global.quiet && pipeline::Progress::StderrIsTerminal();
  const pipeline::SimulateStageResult outcome =
      pipeline::SimulateStage(db, plan_id, settings, bar ? &invocation.err : nullptr, hooks);
  if (parsed.global.json) {
    invocation.out << outcome.json.dump(2) << "\n";
  } else {
    PrintSummary(invocation.out, outcome);
  }
  return 0;
}

}  // namespace thinkplan::cli
