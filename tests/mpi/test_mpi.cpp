// thinkplan-mpi under mpirun with 1, 2 and 4 ranks: the stored simulation and the stored sweep are the same bit for
// bit for every rank count, both reductions (tree, flat) and a rank count that is not a power of two, and equal to
// `thinkplan simulate` / `thinkplan sweep` in one process (the work split and the exact merge make the split
// invisible); one row is stored per run whatever the rank count (rank 0 alone writes); a rank that dies mid-run
// fails the job with a message naming it and leaves no result in the database.
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "tests/common/test_support.h"

using namespace thinkplan::testing;

namespace {

std::string Db(const ScratchDir& dir) { return "--db " + ShellQuote((dir / "t.db").string()); }

// mpirun as root (CI) needs Open MPI's two opt-ins; --oversubscribe lets 4 ranks share 2 cores.
// Under AddressSanitizer the ranks run without leak detection: Open MPI keeps process-lifetime allocations (its
// operator tables, component names, hwloc topology) past MPI_Finalize, and LeakSanitizer reports them at exit with
// stacks inside dlopen'ed components that no suppression can name. Every other ASan check stays on in the ranks, and
// the code they run (sim::FleetShard, the sketches, the merge) is leak-checked in-process by the sim suite.
CommandResult RunMpi(int ranks, const std::string& args) {
  const std::string mpi = ShellQuote((ThinkplanExe().parent_path() / "thinkplan-mpi").string());
  const std::string command = "ASAN_OPTIONS=\"${ASAN_OPTIONS:-}:detect_leaks=0\" "
                              "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 " +
                              ShellQuote(THINKPLAN_MPIEXEC) + " --oversubscribe -np " + std::to_string(ranks) + " " + mpi +
                              " " + args;
  return RunCommand(command);
}

// The stored result without what differs between runs by design: its id, the wall time and the thread count.
nlohmann::json Comparable(nlohmann::json j) {
  j.erase("id");
  j.erase("threads");
  j["overall"].erase("wall_s");
  return j;
}

struct DemoDatabase {
  ScratchDir dir;
  DemoDatabase() {
    const CommandResult r = RunThinkplan(Db(dir) + " demo --quiet --out " + ShellQuote((dir / "out").string()));
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  }
};

// Not --quiet: rank 0 then reports each run's ranks on standard error.
const std::string kRun = " simulate --plan 1 --days 0.2 --seed 5 --json";

}  // namespace

BOOST_AUTO_TEST_SUITE(mpi_simulate)

BOOST_AUTO_TEST_CASE(results_are_identical_for_one_two_and_four_ranks_and_one_process) {
  DemoDatabase demo;
  const CommandResult single = RunThinkplan(Db(demo.dir) + kRun);
  BOOST_REQUIRE_MESSAGE(single.exit_code == 0, single.err);
  const nlohmann::json reference = nlohmann::json::parse(single.out);
  long last_id = reference["id"];
  for (int ranks : {1, 2, 4}) {
    const CommandResult r = RunMpi(ranks, Db(demo.dir) + kRun);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, ranks << " ranks: " << r.err);
    const nlohmann::json j = nlohmann::json::parse(r.out);
    BOOST_TEST(Comparable(j) == Comparable(reference), ranks << " ranks differ from one process");
    // One stored row per run: rank 0 alone writes.
    BOOST_TEST(j["id"].get<long>() == last_id + 1, ranks << " ranks");
    last_id = j["id"];
    BOOST_TEST(r.err.find(std::to_string(ranks) + " rank(s)") != std::string::npos, r.err);
  }
  BOOST_TEST(!reference["capacity_check"].empty());  // the capacity check's runs were sharded too
}

BOOST_AUTO_TEST_CASE(a_rank_that_dies_mid_run_fails_the_job_and_stores_nothing) {
  DemoDatabase demo;
  const CommandResult before = RunThinkplan(Db(demo.dir) + kRun + " --no-capacity-check");
  BOOST_REQUIRE_MESSAGE(before.exit_code == 0, before.err);
  const long id = nlohmann::json::parse(before.out)["id"];
  const CommandResult failed = RunMpi(2, Db(demo.dir) + kRun + " --no-capacity-check --test-abort-rank 1");
  BOOST_TEST(failed.exit_code != 0);
  BOOST_TEST(failed.err.find("rank 1 aborts") != std::string::npos, failed.err);
  BOOST_TEST(failed.out.empty(), failed.out);
  // Nothing was stored: the next run takes the next id.
  const CommandResult after = RunThinkplan(Db(demo.dir) + kRun + " --no-capacity-check");
  BOOST_REQUIRE_MESSAGE(after.exit_code == 0, after.err);
  BOOST_TEST(nlohmann::json::parse(after.out)["id"].get<long>() == id + 1);
}

BOOST_AUTO_TEST_CASE(the_flat_gather_and_three_ranks_give_the_same_simulation) {
  DemoDatabase demo;
  const std::string run = " simulate --plan 1 --days 0.2 --seed 5 --json --no-capacity-check";
  const CommandResult single = RunThinkplan(Db(demo.dir) + run);
  BOOST_REQUIRE_MESSAGE(single.exit_code == 0, single.err);
  const nlohmann::json reference = Comparable(nlohmann::json::parse(single.out));
  for (const std::string reduce : {"tree", "flat"}) {
    const CommandResult r = RunMpi(3, Db(demo.dir) + run + " --reduce " + reduce);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, reduce << ": " << r.err);
    BOOST_TEST(Comparable(nlohmann::json::parse(r.out)) == reference, reduce << " reduction on 3 ranks differs");
    BOOST_TEST(r.err.find(reduce + " reduction") != std::string::npos, r.err);
  }
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

// Two scenarios of the demo plan (its budget and twice it) x 5 draws of a quarter of an hour each: 10 items, so
// that 4 ranks x 2 threads leave some shards empty.
const std::string kSweep = " sweep --plan 1 --set budget=1x,2x --draws 5 --days 0.01 --seed 7";

// The stored sweeps, oldest first, without what differs between runs by design.
std::vector<nlohmann::json> StoredSweeps(const DemoDatabase& demo) {
  const CommandResult r = RunThinkplan(Db(demo.dir) + " sweep --list --json");
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  std::vector<nlohmann::json> sweeps;
  for (nlohmann::json s : nlohmann::json::parse(r.out)) {
    for (const char* key : {"id", "created_at", "threads", "wall_s"}) s.erase(key);
    sweeps.push_back(std::move(s));
  }
  return sweeps;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mpi_sweep)

BOOST_AUTO_TEST_CASE(stored_sweeps_are_identical_for_one_two_three_and_four_ranks_and_one_process) {
  DemoDatabase demo;
  const CommandResult single = RunThinkplan(Db(demo.dir) + kSweep + " --threads 1 --quiet");
  BOOST_REQUIRE_MESSAGE(single.exit_code == 0, single.err);
  const std::vector<std::pair<int, std::string>> runs = {
      {1, ""}, {2, ""}, {4, ""}, {2, " --threads 2"}, {3, " --reduce flat"}, {3, " --reduce tree"}};
  for (const auto& [ranks, extra] : runs) {
    const CommandResult r = RunMpi(ranks, Db(demo.dir) + kSweep + extra);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, ranks << " ranks" << extra << ": " << r.err);
    BOOST_TEST(r.out.find("stored as sweep") != std::string::npos, r.out);  // rank 0 printed the report once
    // Rank 0 reports the job and its share's progress on standard error.
    BOOST_TEST(r.err.find("on " + std::to_string(ranks) + " rank(s)") != std::string::npos, r.err);
    BOOST_TEST(r.err.find("rank 0 has done") != std::string::npos, r.err);
  }
  const std::vector<nlohmann::json> stored = StoredSweeps(demo);
  // One row per run (rank 0 alone writes), each the same document as the one-process sweep's.
  BOOST_REQUIRE_EQUAL(stored.size(), runs.size() + 1);
  BOOST_REQUIRE_EQUAL(stored.front()["scenarios"].size(), 2u);
  BOOST_TEST(stored.front()["scenarios"][0]["feasible"].get<bool>());
  for (std::size_t i = 1; i < stored.size(); ++i) {
    BOOST_TEST(stored[i] == stored.front(),
               runs[i - 1].first << " ranks" << runs[i - 1].second << " stored a different sweep");
  }
}

BOOST_AUTO_TEST_CASE(a_rank_that_dies_mid_sweep_fails_the_job_and_stores_nothing) {
  DemoDatabase demo;
  const CommandResult failed = RunMpi(2, Db(demo.dir) + kSweep + " --test-abort-rank 1");
  BOOST_TEST(failed.exit_code != 0);
  BOOST_TEST(failed.err.find("rank 1 aborts") != std::string::npos, failed.err);
  BOOST_TEST(failed.out.empty(), failed.out);
  BOOST_TEST(StoredSweeps(demo).empty());
}

BOOST_AUTO_TEST_CASE(an_error_on_every_rank_is_reported_once_with_its_exit_code) {
  DemoDatabase demo;
  const CommandResult usage = RunMpi(2, Db(demo.dir) + " sweep --plan 1 --draws 0");
  BOOST_TEST(usage.exit_code == 1, usage.err);
  BOOST_TEST(usage.err.find("--draws '0': must be in") != std::string::npos, usage.err);
  BOOST_TEST(usage.err.find("rank 1 of 2") == std::string::npos, usage.err);  // said once, by rank 0
  const CommandResult reduce = RunMpi(2, Db(demo.dir) + kSweep + " --reduce ring");
  BOOST_TEST(reduce.exit_code == 1, reduce.err);
  BOOST_TEST(reduce.err.find("--reduce takes tree or flat") != std::string::npos, reduce.err);
  BOOST_TEST(StoredSweeps(demo).empty());
}

BOOST_AUTO_TEST_SUITE_END()
