// `thinkplan-mpi simulate ...`: `thinkplan simulate` with every fleet run sharded over the ranks of an MPI job
// (docs/scale.md). Each rank reads the plan from the database (a shared file system on a cluster), runs its
// shard of the work units (sim/fleet_shard.h) and sends its partial result to rank 0, which merges them, prints
// and alone writes the stored result, in one transaction, after every rank has reported. A rank that fails or
// dies ends the whole job before anything is written. Only this executable links MPI; `thinkplan` never does.
#include <algorithm>
#include <ctime>
#include <cstdlib>
#include <numeric>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/mpi.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <fmt/format.h>

#include "cli/cmd_simulate.h"
#include "core/errors.h"
#include "core/timing.h"
#include "sim/fleet_shard.h"

namespace mpi = boost::mpi;
using namespace thinkplan;

namespace {

constexpr const char* kUsage =
    "usage: mpirun -np N thinkplan-mpi simulate --plan ID [options of thinkplan simulate]\n\n"
    "Runs `thinkplan simulate` with each fleet run split over the job's N ranks: the self-hosted systems and the\n"
    "hours of each API system are work units, shared among the ranks by expected work; rank 0 merges the partial\n"
    "results (counts, order-free sums, latency sketches: the same bits for every N), prints and stores them.\n"
    "Every rank must be able to read the database; only rank 0 writes it. See docs/scale.md.\n\n"
    "  --test-abort-rank R   (tests) rank R aborts after its first work unit, as a crashed rank would\n\n"
    "As root, Open MPI needs OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 in the environment.\n";

uint64_t SequencesOf(const sim::FleetPartial& p) {
  uint64_t n = 0;
  for (const sim::FleetClassPartial& c : p.classes) n += c.sequences;
  return n;
}

struct MpiRun {
  const mpi::communicator& world;
  int abort_rank = -1;  // --test-abort-rank
  bool quiet = false;   // --quiet: no per-run report on standard error
  int runs = 0;

  // Shards the run, gathers the encoded partials on rank 0 and merges them there. Rank 0 returns the summary of
  // the whole run; the other ranks that of their own shard (they print and store nothing).
  sim::FleetSummary operator()(const sim::FleetScenario& scenario, const sim::FleetOptions& options) {
    ++runs;
    const Stopwatch start;
    sim::FleetOptions mine = options;
    mine.progress = ProgressOf(options);
    const std::clock_t cpu_start = std::clock();
    const sim::FleetPartial partial = sim::SimulateFleetShard(scenario, mine, world.rank(), world.size());
    const double shard_s = start.Seconds();
    // CPU time as well as wall time: on a shared machine the wall time measures the other jobs too.
    const double shard_cpu_s = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    const std::string bytes = partial.Encode();
    std::vector<std::string> all;
    std::vector<double> times, cpu_times;
    mpi::gather(world, bytes, all, 0);
    mpi::gather(world, shard_s, times, 0);
    mpi::gather(world, shard_cpu_s, cpu_times, 0);
    if (world.rank() != 0) return sim::SummariseFleet(scenario, options, partial, shard_s);
    const Stopwatch reduce;
    sim::FleetPartial merged = sim::FleetPartial::Empty(scenario);
    std::size_t largest = 0;
    for (const std::string& b : all) {
      merged.Merge(sim::FleetPartial::Decode(b, scenario.classes.size(), scenario.systems.size()));
      largest = std::max(largest, b.size());
    }
    if (!quiet) std::cerr << fmt::format("thinkplan-mpi: run {}: {} rank(s), {} work units, {} sequences; shards took {:.2f}-{:.2f} s "
                             "wall, {:.2f}-{:.2f} s CPU (total {:.2f}); partial results up to {:.1f} kB per rank, "
                             "merged in {:.3f} s; peak {} queries in flight in a unit\n",
                             runs, world.size(), merged.units, merged.systems.empty() ? 0 : SequencesOf(merged),
                             *std::min_element(times.begin(), times.end()), *std::max_element(times.begin(), times.end()),
                             *std::min_element(cpu_times.begin(), cpu_times.end()),
                             *std::max_element(cpu_times.begin(), cpu_times.end()),
                             std::accumulate(cpu_times.begin(), cpu_times.end(), 0.0), static_cast<double>(largest) / 1e3,
                             reduce.Seconds(), merged.peak_in_flight);
    return sim::SummariseFleet(scenario, options, merged, start.Seconds());
  }

  // The test hook rides on the progress callback: it is called after each work unit, i.e. mid-run.
  std::function<void(std::size_t, std::size_t)> ProgressOf(const sim::FleetOptions& options) const {
    if (world.rank() != abort_rank) return world.rank() == 0 ? options.progress : nullptr;
    const int rank = world.rank();
    return [rank](std::size_t, std::size_t) {
      std::cerr << fmt::format("thinkplan-mpi: rank {} aborts after its first work unit (--test-abort-rank)\n", rank);
      std::abort();
    };
  }
};

// Removes --test-abort-rank R from the arguments; -1 when absent.
int TakeAbortRank(std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] != "--test-abort-rank") continue;
    if (i + 1 >= args.size()) throw UsageError("--test-abort-rank needs a rank");
    const int rank = std::stoi(args[i + 1]);
    args.erase(args.begin() + static_cast<std::ptrdiff_t>(i), args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
    return rank;
  }
  return -1;
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
  if (args[0] != "simulate") throw UsageError("unknown command '" + args[0] + "': thinkplan-mpi runs simulate only");
  args.erase(args.begin());
  args.insert(args.begin(), leading.begin(), leading.end());
  MpiRun run{world};
  run.abort_rank = TakeAbortRank(args);
  run.quiet = std::find(args.begin(), args.end(), "--quiet") != args.end();
  std::ostringstream discard;
  cli::Invocation invocation{args, root ? std::cout : discard, std::cerr};
  pipeline::SimulateHooks hooks;
  hooks.runner = std::ref(run);
  hooks.store = root;
  return cli::RunSimulate(invocation, hooks);
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
      std::cerr << fmt::format("thinkplan-mpi simulate (rank {} of {}): {}\n", world.rank(), world.size(), e.what());
    }
    code = static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::cerr << fmt::format("thinkplan-mpi simulate (rank {} of {}): internal error: {}\n", world.rank(), world.size(), e.what());
    code = static_cast<int>(ExitCode::kInternal);
  }
  // A failure on one rank must not leave the others waiting in a collective: end the whole job.
  if (code != 0) env.abort(code);
  return code;
}
