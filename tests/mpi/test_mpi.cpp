// thinkplan-mpi under mpirun with 1, 2 and 4 ranks: the stored simulation is the same bit for bit for every rank
// count and equal to `thinkplan simulate` in one process (the work units and the merge make the split
// invisible), one row is stored per run whatever the rank count (rank 0 alone writes), and a rank that dies
// mid-run fails the job with a message naming it and leaves no result in the database.
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

BOOST_AUTO_TEST_SUITE_END()
