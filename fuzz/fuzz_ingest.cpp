// Ingestion of one fuzzed file into a copy of a small stored database. Built once per record kind (the kind is
// forced, so every input exercises that kind's validation) and once with detection (JSON Lines inputs).
// Properties: ingest either succeeds or throws InputError; a refused file leaves every table as it was; a
// successful one adds exactly the rows it reports; re-ingesting it with --skip-invalid changes nothing and
// accounts for every row; foreign keys hold afterwards; everything stored can be written out as JSON.
#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>

#include "fuzz/fuzz_common.h"
#include "store/database.h"

#ifndef THINKPLAN_FUZZ_KIND
#define THINKPLAN_FUZZ_KIND ""
#endif

namespace {

namespace fs = std::filesystem;
using thinkplan::fuzz::Violation;
using thinkplan::store::Database;
using thinkplan::store::IngestOptions;
using thinkplan::store::IngestSummary;
using thinkplan::store::RecordKind;

// Runs that the shipped per-problem slices in the seed corpus point to, plus catalogue rows, so that problems
// inputs reach the validation past "no stored run".
const fs::path& TemplateDatabase() {
  static const fs::path path = [] {
    const fs::path db_path = thinkplan::fuzz::ScratchPath("-template.db");
    fs::remove(db_path);
    Database db = Database::Open(db_path);
    const fs::path data = fs::path(THINKPLAN_SOURCE_DIR) / "data";
    for (const char* file : {"published/systems.csv", "published/hardware.csv", "public/routellm/runs.csv",
                             "public/matharena/runs.csv", "public/livecodebench/runs_2025-01.csv"}) {
      db.Ingest(data / file);
    }
    return db_path;  // closing the last connection folds the WAL into the file
  }();
  return path;
}

struct TableCounts {
  long long runs, problems, perf, systems, hardware, classes, apis, models, prices;
  bool operator==(const TableCounts&) const = default;
};

TableCounts Count(Database& db) {
  SQLite::Statement q(db.connection(),
                      "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM problem_results),"
                      " (SELECT count(*) FROM perf_runs), (SELECT count(*) FROM systems),"
                      " (SELECT count(*) FROM hardware), (SELECT count(*) FROM task_classes),"
                      " (SELECT count(*) FROM system_apis), (SELECT count(*) FROM model_shapes),"
                      " (SELECT count(*) FROM system_prices)");
  q.executeStep();
  return {q.getColumn(0).getInt64(), q.getColumn(1).getInt64(), q.getColumn(2).getInt64(),
          q.getColumn(3).getInt64(), q.getColumn(4).getInt64(), q.getColumn(5).getInt64(),
          q.getColumn(6).getInt64(), q.getColumn(7).getInt64(), q.getColumn(8).getInt64()};
}

long long MainTable(const TableCounts& c, RecordKind kind) {
  switch (kind) {
    case RecordKind::kRuns: return c.runs;
    case RecordKind::kProblems: return c.problems;
    case RecordKind::kPerf: return c.perf;
    case RecordKind::kSystems: return c.systems;
    case RecordKind::kHardware: return c.hardware;
    case RecordKind::kSystemApis: return c.apis;
    case RecordKind::kModels: return c.models;
    case RecordKind::kPrices: return c.prices;
  }
  return 0;
}

// Catalogue files may name rows already stored, so their added-row count is not checked against the summary.
bool IsCatalogue(RecordKind kind) {
  return kind == RecordKind::kSystems || kind == RecordKind::kHardware || kind == RecordKind::kSystemApis ||
         kind == RecordKind::kModels;
}

// Everything stored must be writable as JSON (runs --json, fits and plans are JSON documents): text that is not
// UTF-8 would make every later listing fail.
void CheckListable(Database& db) {
  thinkplan::fuzz::AcceptsOrRefuses([&] {
    for (const auto& run : db.ListRuns()) {
      nlohmann::json({run.run_key, run.system, run.hardware, run.task_class, run.difficulty, run.benchmark,
                      run.effort, run.citation})
          .dump();
    }
    for (const auto& system : db.ListSystems()) nlohmann::json({system.name, system.vendor, system.citation}).dump();
    for (const auto& perf : db.ListPerfRuns()) nlohmann::json({perf.perf_key, perf.model, perf.citation}).dump();
    for (const auto& shape : db.ListModelShapes()) nlohmann::json({shape.name, shape.hf_id, shape.citation}).dump();
    for (const auto& price : db.ListPrices()) nlohmann::json({price.system, price.citation}).dump();
  });
}

void CheckForeignKeys(Database& db) {
  SQLite::Statement q(db.connection(), "PRAGMA foreign_key_check");
  if (q.executeStep()) Violation("foreign key violation after ingest in table " + q.getColumn(0).getString());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path& template_path = TemplateDatabase();
  const fs::path db_path = thinkplan::fuzz::ScratchPath("-work.db");
  const fs::path input = thinkplan::fuzz::ScratchPath("-input");
  const fs::path rejects = thinkplan::fuzz::ScratchPath("-rejects");
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db_path.string() + suffix);
  fs::copy_file(template_path, db_path, fs::copy_options::overwrite_existing);
  thinkplan::fuzz::WriteBytes(input, data, size);

  Database db = Database::Open(db_path);
  IngestOptions options;
  options.kind = thinkplan::store::ParseRecordKind(THINKPLAN_FUZZ_KIND);
  options.max_rows = 10'000;

  const TableCounts before = Count(db);
  IngestSummary first;
  const bool stored = thinkplan::fuzz::AcceptsOrRefuses([&] { first = db.Ingest(input, options); });
  const TableCounts after = Count(db);
  if (!stored && !(before == after)) Violation("a refused file changed the stored rows");
  if (stored) {
    if (first.inserted + first.unchanged != first.rows_read || first.rejected != 0) {
      Violation("strict ingest summary does not add up: " + first.BriefReport());
    }
    const long long added = MainTable(after, first.kind) - MainTable(before, first.kind);
    if (!IsCatalogue(first.kind) && added != static_cast<long long>(first.inserted)) {
      Violation("ingest reported " + std::to_string(first.inserted) + " new rows but stored " +
                std::to_string(added));
    }
  }

  options.skip_invalid = true;
  options.rejects_path = rejects;
  IngestSummary second;
  const bool stored_again = thinkplan::fuzz::AcceptsOrRefuses([&] { second = db.Ingest(input, options); });
  if (stored && !stored_again) Violation("a file stored once was refused on re-ingest");
  if (stored_again) {
    if (second.inserted + second.unchanged + second.rejected != second.rows_read) {
      Violation("skip-invalid summary does not add up: " + second.BriefReport());
    }
    if (stored && (second.inserted != 0 || second.rejected != 0)) {
      Violation("re-ingesting a stored file changed something: " + second.BriefReport());
    }
  }
  CheckForeignKeys(db);
  if (stored || stored_again) CheckListable(db);
  fs::remove(rejects);
  return 0;
}
