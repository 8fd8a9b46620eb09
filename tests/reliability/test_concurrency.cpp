// Concurrency: two `thinkplan ingest` processes writing different files into one (initially absent) database while
// a third lists the runs. Nobody may fail with "database is locked", no row may be lost, and every snapshot the
// reader sees holds whole files only (a row count that is a multiple of the file size).
// THINKPLAN_CONCURRENT_FILES (default 8 per writer) and THINKPLAN_CONCURRENT_ROWS (default 5000) scale it.
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include <memory>
#include <set>

#include "tests/common/test_support.h"
#include "tests/reliability/reliability_support.h"

namespace thinkplan::testing {
namespace {

BOOST_AUTO_TEST_CASE(two_writers_and_a_reader_lose_nothing) {
  const long files_per_writer = EnvCount("THINKPLAN_CONCURRENT_FILES", 8);
  const long rows = EnvCount("THINKPLAN_CONCURRENT_ROWS", 5000);
  ScratchDir dir("thinkplan-concurrent");
  const auto db = dir / "store.db";
  std::vector<std::string> writer_args[2];
  for (int w = 0; w < 2; ++w) {
    writer_args[w] = {"ingest", "--quiet", "--db", db.string()};
    for (long f = 0; f < files_per_writer; ++f) {
      const std::string prefix = "w" + std::to_string(w) + "f" + std::to_string(f);
      WriteRunsCsv(dir / (prefix + ".csv"), prefix, rows);
      writer_args[w].push_back((dir / (prefix + ".csv")).string());
    }
  }
  Child writer0(writer_args[0], dir / "writer0");
  Child writer1(writer_args[1], dir / "writer1");
  int reads = 0;
  std::set<long> seen_counts;
  while (!(writer0.Exited() && writer1.Exited())) {
    Child reader({"runs", "--json", "--quiet", "--db", db.string()}, dir / "reader");
    const int code = reader.Wait();
    const std::string err = reader.Stderr();
    BOOST_TEST(err.find("locked") == std::string::npos, err);
    if (code != 0) {
      // Before either writer has created the schema, the reader is told there is no database.
      BOOST_TEST(err.find("does not exist") != std::string::npos, err);
      continue;
    }
    const auto runs = nlohmann::json::parse(reader.Stdout());
    const long count = static_cast<long>(runs.size());
    BOOST_TEST(count % rows == 0, "a snapshot of " << count << " runs holds part of a file");
    seen_counts.insert(count);
    ++reads;
  }
  for (Child* writer : {&writer0, &writer1}) {
    const int code = writer->Wait();
    BOOST_TEST(code == 0, writer->Stderr());
    BOOST_TEST(writer->Stderr().find("locked") == std::string::npos);
  }
  BOOST_TEST(IntegrityCheck(db) == "ok");
  const long long total = Count(db, "SELECT count(*) FROM runs");
  BOOST_TEST(total == 2 * files_per_writer * rows);
  std::string counts;
  for (long c : seen_counts) counts += std::to_string(c / rows) + " ";
  BOOST_TEST_MESSAGE("concurrency: 2 writers x " << files_per_writer << " files x " << rows << " rows, " << reads
                                                 << " consistent reads; files visible per snapshot: " << counts
                                                 << "; " << total << " rows stored");
}

}  // namespace
}  // namespace thinkplan::testing
