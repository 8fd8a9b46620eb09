// The thinkplan store: one SQLite file (WAL, foreign keys on, busy timeout, schema version table with forward
// migrations). The only place in the project that touches SQLite (docs/design.md section 5).
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/model_shape.h"
#include "core/perf_run.h"
#include "core/run.h"
#include "core/system_api.h"

namespace SQLite {
class Database;
}

namespace thinkplan::store {

// What kind of records a file holds. Detected from its header (CSV) or first object's keys (JSONL)
// unless given explicitly.
enum class RecordKind { kRuns, kProblems, kPerf, kSystems, kHardware, kSystemApis, kModels, kPrices };
std::string_view ToString(RecordKind kind);
// runs|problems|perf|systems|hardware|system_apis|models|prices
std::optional<RecordKind> ParseRecordKind(std::string_view text);

struct IngestOptions {
  // Force the record kind instead of detecting it. Default: detect.
  std::optional<RecordKind> kind;
  // Default false: the first invalid row aborts the whole file and nothing of it is stored.
  // True: valid rows are stored and each rejected row is written, with its line and reason, to `rejects_path`.
  // Errors that leave the rest of the file unreadable (an unterminated quote, a bad header) still abort.
  bool skip_invalid = false;
  // Where rejected rows go with skip_invalid, created only when a row is rejected. Default: beside the input,
  // "<file>.rejects.csv" for CSV input, "<file>.rejects.jsonl" for JSON Lines.
  std::filesystem::path rejects_path;
  // Default false: a column / key the format does not know is an error.
  bool allow_extra = false;
  // Files with more rows than this are refused before anything is stored. Default 50 million.
  std::size_t max_rows = 50'000'000;
  // Longest record (CSV) or line (JSON Lines) accepted, in bytes. Default 64 MiB: an unterminated quote or a file
  // without line ends is refused with a message instead of being read into memory whole.
  std::size_t max_record_bytes = std::size_t{64} << 20;
  // Called every `progress_every` rows with the number of rows read so far. Optional.
  std::function<void(std::size_t rows_read)> progress;
  std::size_t progress_every = 100'000;
  // Two runs of one setting over the same named problem set whose accuracies differ beyond sampling noise at
  // this two-sided level are listed in IngestSummary::warnings (core/statistics.h TwoProportionTest). Default
  // 0.01: with the dozens of repeated reports a store holds, 0.05 would flag one in twenty agreeing pairs.
  double disagreement_level = 0.01;

  bool IsValid(std::string* error) const;
};

struct IngestSummary {
  std::string file;
  RecordKind kind = RecordKind::kRuns;
  std::size_t rows_read = 0;
  std::size_t inserted = 0;   // new rows stored
  std::size_t unchanged = 0;  // rows identical to stored ones (re-ingest is a no-op)
  std::size_t rejected = 0;   // with skip_invalid only
  std::filesystem::path rejects_file;  // where the rejected rows went; empty when none was rejected
  double seconds = 0;
  // Runs of this file that disagree with another run over the same problems beyond sampling noise: by how much,
  // and the test's z and p-value. The rows are stored all the same (a report is what it is); the planner combines
  // them as repeated samples.
  std::vector<std::string> warnings;

  // One line: "data/x.csv: 120 runs read, 118 new, 2 unchanged (0.03 s)", plus the rejected count and file.
  std::string BriefReport() const;
};

struct RunFilter {
  std::optional<std::string> system;
  std::optional<std::string> task_class;
  std::optional<Source> source;
  std::optional<std::string> difficulty;
};

struct StoreCounts {
  std::size_t systems = 0;
  std::size_t hardware = 0;
  std::size_t task_classes = 0;
  std::size_t runs = 0;
  std::size_t problem_results = 0;
  std::size_t perf_runs = 0;
  std::size_t model_shapes = 0;
  std::size_t prices = 0;
};

// A task class and how many stored runs name it.
struct TaskClassInfo {
  std::string name;
  std::string description;
  std::size_t runs = 0;
};

class Database {
 public:
  // Opens (creating if needed) and migrates to the current schema version; WAL journal, synchronous=NORMAL,
  // foreign keys on, 10 s busy timeout.
  // Throws InputError if the file is not a thinkplan database or is newer than this build understands.
  static Database Open(const std::filesystem::path& path);
  ~Database();
  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;

  static int CurrentSchemaVersion();
  int SchemaVersion() const;
  const std::filesystem::path& path() const { return path_; }

  // Reads, validates and stores the file in one transaction, streaming (memory does not grow with the file
  // beyond 16 bytes per key for duplicate detection). A new key is inserted; a key already stored with identical
  // content counts as unchanged; a catalogue row stored bare (name only, created by a run that named it) is
  // filled in. Throws InputError naming file, line, field and value for the first problem, after rolling the
  // whole file back (unless options.skip_invalid). CSV or JSON Lines is recognised from the first character.
  IngestSummary Ingest(const std::filesystem::path& file, const IngestOptions& options = {});

  std::vector<Run> ListRuns(const RunFilter& filter = {}) const;
  std::vector<ProblemResult> ListProblemResults(const std::string& run_key) const;
  std::vector<PerfRun> ListPerfRuns() const;
  std::vector<SystemInfo> ListSystems() const;
  std::vector<HardwareInfo> ListHardware() const;
  // The API catalogue (core/system_api.h), by system name.
  std::vector<SystemApi> ListSystemApis() const;
  // Model shapes (table model_shapes) with their stored precisions, by name.
  std::vector<ModelShape> ListModelShapes() const;
  // Every dated price row (table system_prices), by system and date; the last row of a system is in force.
  std::vector<SystemPrice> ListPrices() const;
  std::vector<TaskClassInfo> ListTaskClasses() const;
  StoreCounts Counts() const;

  // For other store/ modules (fits, plans, ...) that add their own tables through migrations.
  SQLite::Database& connection();

 private:
  Database(std::filesystem::path path, std::unique_ptr<SQLite::Database> db);
  std::filesystem::path path_;
  std::unique_ptr<SQLite::Database> db_;
};

}  // namespace thinkplan::store
