// `thinkplan-mpi simulate ...` and `thinkplan-mpi sweep ...`: `thinkplan simulate` with every fleet run sharded over
// the ranks of an MPI job, and `thinkplan sweep` with its (scenario, draw) items dealt over the ranks (docs/scale.md,
// docs/sweep.md). Each rank reads the plan from the database (a shared file system on a cluster), runs its shard and
// passes its partial result towards rank 0 (mpi/reduce.h), which ends with the merged result, prints it and alone
// writes it, in one transaction, after every rank has reported. A rank that fails or dies ends the whole job before
// anything is written. Only this executable links MPI; `thinkplan` never does.
#include <algorithm>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <boost/mpi.hpp>
#include <fmt/format.h>

#include "cli/cmd_simulate.h"
#include "cli/cmd_sweep.h"
#include "core/errors.h"
#include "core/timing.h"
#include "mpi/reduce.h"
#include "sim/fleet_shard.h"

namespace mpi = boost::mpi;
using namespace thinkplan;

namespace {

constexpr const char* kUsage =
    "usage: mpirun -np N thinkplan-mpi simulate --plan ID [options of thinkplan simulate]\n"
    "       mpirun -np N thinkplan-mpi sweep --plan ID [options of thinkplan sweep]\n\n"
    "simulate: `thinkplan simulate` with each fleet run split over the job's N ranks: the self-hosted systems and\n"
    "the hours of each API system are work units, shared among the ranks by expected work; the partial results\n"
    "(counts, order-free sums, latency sketches) are merged exactly, so the result is the same bits for every N.\n\n"
    "sweep: `thinkplan sweep` with its (scenario, draw) items dealt round-robin over N ranks x T threads (--threads T\n"
    "is per rank here, default 1); each item is seeded by (seed, scenario, draw) alone and the merge puts the items\n"
    "in (scenario, draw) order, so the stored sweep is the same bits for every N and T and as `thinkplan sweep`'s.\n"
    "Rank 0 prints its share's progress on standard error every tenth of it (not with --quiet).\n\n"
    "Both: rank 0 ends with the merged result, prints it and alone stores it, in one transaction, after every rank\n"
    "has reported; any rank that fails or dies ends the job and nothing is stored. Every rank must be able to read\n"
    "the database (a shared file system). Rank 0 reports, per run, each rank's time, the size of the partial results\n"
    "and the reduction's time on standard error. See docs/scale.md.\n\n"
    "  --reduce tree|flat    how partial results reach rank 0: a binomial tree (default; log2 N rounds, merges\n"
    "                        spread over the ranks) or a flat gather merged on rank 0. The result is the same.\n"
    "  --test-abort-rank R   (tests) rank R aborts after its first work unit or item, as a crashed rank would\n\n"
    "As root, Open MPI needs OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 in the environment.\n";

uint64_t SequencesOf(const sim::FleetPartial& p) {
  uint64_t n = 0;
  for (const sim::FleetClassPartial& c : p.classes) n += c.sequences;
  return n;
}

// What both commands share: the job, the reduction and the test hook.
struct MpiJob {
  const mpi::communicator& world;
  mpi_support::Reduction reduction = mpi_support::Reduction::kTree;
  int abort_rank = -1;  // --test-abort-rank
  bool quiet = false;   // --quiet: no per-run report on standard error

  // Called after each work unit or item; on the rank named by --test-abort-rank it aborts, as a crash would.
  void MaybeAbort() const {
    if (world.rank() != abort_rank) return;
    std::cerr << fmt::format("thinkplan-mpi: rank {} aborts after its first work unit (--test-abort-rank)\n",
                             world.rank());
    std::abort();
  }
};

// `simulate`'s runner: shards the run and reduces the encoded partials to rank 0. Rank 0 returns the summary of the
// whole run; the other ranks that of their own shard (they print and store nothing).
struct MpiSimulate {
  const MpiJob& job;
  int runs = 0;

  sim::FleetSummary operator()(const sim::FleetScenario& scenario, const sim::FleetOptions& options) {
    ++runs;
    const mpi::communicator& world = job.world;
    const Stopwatch start;
    sim::FleetOptions mine = options;
    mine.progress = ProgressOf(options);
    const mpi_support::CpuStopwatch cpu;
    sim::FleetPartial partial = sim::SimulateFleetShard(scenario, mine, world.rank(), world.size());
    const mpi_support::ShardTimes times = mpi_support::GatherTimes(world, start.Seconds(), cpu.Seconds());
    mpi_support::ReduceStats stats;
    const std::size_t classes = scenario.classes.size(), systems = scenario.systems.size();
    sim::FleetPartial merged = mpi_support::ReduceToRoot<sim::FleetPartial>(
        world, std::move(partial), job.reduction,
        [](const sim::FleetPartial& p) { return p.Encode(); },
        [&](const std::string& b) { return sim::FleetPartial::Decode(b, classes, systems); },
        [](sim::FleetPartial& into, sim::FleetPartial&& from) { into.Merge(from); }, stats);
    if (world.rank() != 0) return sim::SummariseFleet(scenario, options, merged, start.Seconds());
    if (!job.quiet) {
      std::cerr << fmt::format("thinkplan-mpi: run {}: {} work units, {} sequences; {}; {}; peak {} queries in flight "
                               "in a unit\n",
                               runs, merged.units, merged.systems.empty() ? 0 : SequencesOf(merged),
                               times.Describe(world.size()), stats.Describe(job.reduction), merged.peak_in_flight);
    }
    return sim::SummariseFleet(scenario, options, merged, start.Seconds());
  }

  // The test hook rides on the progress callback: it is called after each work unit, i.e. mid-run.
  std::function<void(std::size_t, std::size_t)> ProgressOf(const sim::FleetOptions& options) const {
    if (job.world.rank() == job.abort_rank) return [this](std::size_t, std::size_t) { job.MaybeAbort(); };
    return job.world.rank() == 0 ? options.progress : nullptr;
  }
};

// The number of items shards [first, first + threads) of `count` hold: item i belongs to shard i % count.
std::size_t ItemsOfShards(std::size_t items, int first, int threads, int count) {
  std::size_t n = 0;
  for (int s = first; s < first + threads; ++s) {
    const auto shard = static_cast<std::size_t>(s);
    if (shard < items) n += (items - shard + static_cast<std::size_t>(count) - 1) / static_cast<std::size_t>(count);
  }
  return n;
}

// `sweep`'s runner: rank r runs shards [r T, r T + T) of N T on its T threads, and the partials (CBOR of
// SweepPartial::ToJson, which keeps every double's bits) are reduced to rank 0.
struct MpiSweep {
  const MpiJob& job;

  pipeline::SweepPartial operator()(const pipeline::PreparedSweep& sweep, int threads,
                                    const std::function<void()>& item_done) const {
    const mpi::communicator& world = job.world;
    const Stopwatch start;
    const mpi_support::CpuStopwatch cpu;
    const int count = world.size() * threads;
    const std::size_t own = ItemsOfShards(sweep.items(), world.rank() * threads, threads, count);
    std::size_t done = 0;
    const auto on_item = [&] {
      ++done;
      if (item_done) item_done();
      job.MaybeAbort();
      ReportProgress(done, own, sweep.items(), start.Seconds());
    };
    pipeline::SweepPartial partial = pipeline::MergeSweepPartials(
        pipeline::RunSweepShardsOnThreads(sweep, world.rank() * threads, threads, count, on_item));
    const mpi_support::ShardTimes times = mpi_support::GatherTimes(world, start.Seconds(), cpu.Seconds());
    mpi_support::ReduceStats stats;
    pipeline::SweepPartial merged = mpi_support::ReduceToRoot<pipeline::SweepPartial>(
        world, std::move(partial), job.reduction, &EncodePartial, &DecodePartial,
        [](pipeline::SweepPartial& into, pipeline::SweepPartial&& from) {
          into = pipeline::MergeSweepPartials({std::move(into), std::move(from)});
        },
        stats);
    if (world.rank() == 0 && !job.quiet) {
      std::cerr << fmt::format("thinkplan-mpi sweep: {} items ({} outcomes) on {} rank(s) x {} thread(s); {}; {}\n",
                               sweep.items(), merged.outcomes.size(), world.size(), threads,
                               times.Describe(world.size()), stats.Describe(job.reduction));
    }
    return merged;
  }

  // Rank 0's share stands for the job's progress: round-robin dealing gives every rank the same share within one
  // item per thread.
  void ReportProgress(std::size_t done, std::size_t own, std::size_t items, double seconds) const {
    if (job.world.rank() != 0 || job.quiet || own == 0) return;
    if (done * 10 / own == (done - 1) * 10 / own && done != own) return;
    std::cerr << fmt::format("thinkplan-mpi sweep: rank 0 has done {} of its {} items ({:.0f}%) in {:.1f} s; "
                             "{} items on {} rank(s)\n",
                             done, own, 100.0 * static_cast<double>(done) / static_cast<double>(own), seconds, items,
                             job.world.size());
  }

  static std::string EncodePartial(const pipeline::SweepPartial& p) {
    const std::vector<std::uint8_t> bytes = nlohmann::json::to_cbor(p.ToJson());
    return std::string(bytes.begin(), bytes.end());
  }
  static pipeline::SweepPartial DecodePartial(const std::string& bytes) {
    return pipeline::SweepPartial::FromJson(nlohmann::json::from_cbor(bytes));
  }
};

// Removes OPTION VALUE from the arguments and returns VALUE; empty when absent.
std::string TakeOption(std::vector<std::string>& args, const std::string& option) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] != option) continue;
    if (i + 1 >= args.size()) throw UsageError(option + " needs a value");
    std::string value = args[i + 1];
    args.erase(args.begin() + static_cast<std::ptrdiff_t>(i), args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
    return value;
  }
  return {};
}

// Reads this executable's own options (--reduce, --test-abort-rank) out of the arguments.
MpiJob JobOf(const mpi::communicator& world, std::vector<std::string>& args) {
  MpiJob job{world};
  const std::string abort_rank = TakeOption(args, "--test-abort-rank");
  if (!abort_rank.empty()) {
    if (abort_rank.find_first_not_of("0123456789") != std::string::npos || abort_rank.size() > 6) {
      throw UsageError("--test-abort-rank needs a rank number, not '" + abort_rank + "'");
    }
    job.abort_rank = std::stoi(abort_rank);
  }
  const std::string reduce = TakeOption(args, "--reduce");
  if (reduce == "flat") {
    job.reduction = mpi_support::Reduction::kFlat;
  } else if (!reduce.empty() && reduce != "tree") {
    throw UsageError("--reduce takes tree or flat, not '" + reduce + "'");
  }
  job.quiet = std::find(args.begin(), args.end(), "--quiet") != args.end();
  return job;
}

bool Has(const std::vector<std::string>& args, const std::string& option) {
  return std::any_of(args.begin(), args.end(),
                     [&](const std::string& a) { return a == option || a.starts_with(option + "="); });
}

int RunMpiCommand(const mpi::communicator& world, std::vector<std::string> args) {
  const bool root = world.rank() == 0;
  // Global options (--db, --json, --quiet) may come before the command, as with thinkplan; they are handed on.
  std::vector<std::string> leading;
  std::size_t i = 0;
  while (i < args.size() && (args[i] == "--db" || args[i].starts_with("--db=") || args[i] == "--json" || args[i] == "--quiet")) {
    leading.push_back(args[i]);
    if (args[i++] == "--db" && i < args.size()) leading.push_back(args[i++]);
  }
  args.erase(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(i));
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    if (root) std::cout << kUsage;
    return args.empty() ? static_cast<int>(ExitCode::kUsage) : 0;
  }
  const std::string command = args[0];
  if (command != "simulate" && command != "sweep") {
    throw UsageError("unknown command '" + command + "': thinkplan-mpi runs simulate and sweep");
  }
  args.erase(args.begin());
  args.insert(args.begin(), leading.begin(), leading.end());
  const MpiJob job = JobOf(world, args);
  std::ostringstream discard;
  cli::Invocation invocation{args, root ? std::cout : discard, std::cerr};
  if (command == "simulate") {
    MpiSimulate run{job};
    pipeline::SimulateHooks hooks;
    hooks.runner = std::ref(run);
    hooks.store = root;
    return cli::RunSimulate(invocation, hooks);
  }
  // The ranks are the parallelism: one thread per rank unless --threads says otherwise.
  if (!Has(invocation.args, "--threads")) invocation.args.insert(invocation.args.end(), {"--threads", "1"});
  // Only rank 0 may draw a progress bar (on a terminal, e.g. a one-rank job run by hand).
  if (!root) invocation.args.push_back("--quiet");
  pipeline::SweepHooks hooks;
  hooks.runner = MpiSweep{job};
  hooks.store = root;
  return cli::RunSweep(invocation, hooks);
}

}  // namespace

int main(int argc, char** argv) {
  mpi::environment env(argc, argv);
  mpi::communicator world;
  std::vector<std::string> args(argv + 1, argv + argc);
  int code = 0;
  try {
    code = RunMpiCommand(world, args);
  } catch (const Error& e) {
    // Usage errors are the same on every rank: rank 0 speaks for all. Anything else names its rank.
    if (world.rank() == 0 || e.code() != ExitCode::kUsage) {
      std::cerr << fmt::format("thinkplan-mpi (rank {} of {}): {}\n", world.rank(), world.size(), e.what());
    }
    code = static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::cerr << fmt::format("thinkplan-mpi (rank {} of {}): internal error: {}\n", world.rank(), world.size(), e.what());
    code = static_cast<int>(ExitCode::kInternal);
  }
  // A failure on one rank must not leave the others waiting in a collective: end the whole job.
  if (code != 0) env.abort(code);
  return code;
}
