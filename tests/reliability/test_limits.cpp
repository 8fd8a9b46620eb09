// Resource limits: files beyond max_rows or with a record longer than max_record_bytes are refused with a message
// naming the limit, before memory grows with them, and nothing of them is stored.
#include <boost/test/unit_test.hpp>

#include <cstdio>

#include "core/errors.h"
#include "store/database.h"
#include "tests/common/test_support.h"
#include "tests/reliability/reliability_support.h"

namespace thinkplan::testing {
namespace {

std::string MessageOf(store::Database& db, const std::filesystem::path& file, const store::IngestOptions& options) {
  try {
    db.Ingest(file, options);
  } catch (const InputError& error) {
    return error.what();
  }
  return "";
}

BOOST_AUTO_TEST_CASE(max_rows_is_enforced_before_anything_is_stored) {
  ScratchDir dir("thinkplan-limits");
  store::Database db = store::Database::Open(dir / "store.db");
  WriteRunsCsv(dir / "big.csv", "big", 1001);
  store::IngestOptions options;
  options.max_rows = 1000;
  const std::string message = MessageOf(db, dir / "big.csv", options);
  BOOST_TEST(message.find("more than 1000 records (max_rows)") != std::string::npos, message);
  BOOST_TEST(db.Counts().runs == 0u);
  options.max_rows = 1001;
  BOOST_TEST(db.Ingest(dir / "big.csv", options).inserted == 1001u);
}

// A quote that is never closed turns the rest of the file into one field.
void WriteUnterminated(const std::filesystem::path& path, std::size_t bytes) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  std::fputs("run_key,source,system,task_class,mode,samples,aggregation,n_problems,n_correct,citation\n"
             "k1,measured,s,c,extended,1,pass@1,10,5,\"never closed\n", file);
  const std::string block(1 << 16, 'x');
  for (std::size_t written = 0; written < bytes; written += block.size()) {
    std::fwrite(block.data(), 1, block.size(), file);
    std::fputc('\n', file);
  }
  std::fclose(file);
}

BOOST_AUTO_TEST_CASE(an_overlong_csv_record_is_refused) {
  ScratchDir dir("thinkplan-limits");
  store::Database db = store::Database::Open(dir / "store.db");
  WriteUnterminated(dir / "open_quote.csv", 4 << 20);
  store::IngestOptions options;
  options.max_record_bytes = 1 << 20;
  const std::string message = MessageOf(db, dir / "open_quote.csv", options);
  BOOST_TEST(message.find("open_quote.csv:2: field 'citation'") != std::string::npos, message);
  BOOST_TEST(message.find("record longer than 1048576 bytes (max_record_bytes)") != std::string::npos, message);
  BOOST_TEST(message.size() < 400u);  // the value in the message is cut short
  BOOST_TEST(db.Counts().runs == 0u);
}

BOOST_AUTO_TEST_CASE(the_default_record_limit_holds_through_the_command_line) {
  ScratchDir dir("thinkplan-limits");
  WriteUnterminated(dir / "open_quote.csv", 70 << 20);
  const CommandResult result = RunThinkplan("ingest --db " + ShellQuote((dir / "store.db").string()) + " " +
                                            ShellQuote((dir / "open_quote.csv").string()));
  BOOST_TEST(result.exit_code == 2);
  BOOST_TEST(result.err.find("record longer than 67108864 bytes") != std::string::npos, result.err);
}

BOOST_AUTO_TEST_CASE(an_overlong_json_line_is_refused_or_skipped) {
  ScratchDir dir("thinkplan-limits");
  const std::string good1 = R"({"run_key":"a","source":"measured","system":"s","task_class":"c","mode":"fast",)"
                            R"("samples":1,"aggregation":"pass@1","n_problems":10,"n_correct":5})";
  std::string good2 = good1;
  good2.replace(good2.find("\"a\""), 3, "\"b\"");
  const std::string long_line = R"({"run_key":"long","citation":")" + std::string(3 << 20, 'y') + "\"}";
  WriteFile(dir / "runs.jsonl", good1 + "\n" + long_line + "\n" + good2 + "\n");
  store::Database db = store::Database::Open(dir / "store.db");
  store::IngestOptions options;
  options.max_record_bytes = 1 << 20;
  const std::string message = MessageOf(db, dir / "runs.jsonl", options);
  BOOST_TEST(message.find("runs.jsonl:2:") != std::string::npos, message);
  BOOST_TEST(message.find("line longer than 1048576 bytes") != std::string::npos, message);
  BOOST_TEST(db.Counts().runs == 0u);

  options.skip_invalid = true;
  options.rejects_path = dir / "rejects.jsonl";
  const store::IngestSummary summary = db.Ingest(dir / "runs.jsonl", options);
  BOOST_TEST(summary.inserted == 2u);
  BOOST_TEST(summary.rejected == 1u);
  BOOST_TEST(db.ListRuns().back().run_key == "b");  // the line after the long one is read from its start
}

BOOST_AUTO_TEST_CASE(a_zero_record_limit_is_a_usage_error) {
  store::IngestOptions options;
  options.max_record_bytes = 0;
  std::string why;
  BOOST_TEST(!options.IsValid(&why));
  BOOST_TEST(why == "max_record_bytes must be at least 1");
}

}  // namespace
}  // namespace thinkplan::testing
