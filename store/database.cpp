#include "store/database.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include "core/errors.h"
#include "store/record_parser.h"
#include "store/schema.h"

namespace thinkplan::store {
namespace {

constexpr int kBusyTimeoutMs = 10'000;

// "a, b, c" from the spec's columns: identifiers from a fixed table, never values.
std::string ColumnList(const RecordSpec& spec) {
  std::string out;
  for (std::size_t i = 0; i < spec.StoredCount(); ++i) {
    if (!out.empty()) out += ", ";
    out += spec.fields[i].column;
  }
  return out;
}

std::string SelectAll(RecordKind kind) {
  const RecordSpec& spec = SpecFor(kind);
  return "SELECT " + ColumnList(spec) + " FROM " + std::string(spec.table);
}

// Reads the columns of one result row in order.
class Cursor {
 public:
  explicit Cursor(SQLite::Statement& statement) : statement_(statement) {}
  std::string Text() {
    const SQLite::Column column = statement_.getColumn(index_++);
    return column.isNull() ? std::string() : column.getString();
  }
  double Real() { return statement_.getColumn(index_++).getDouble(); }
  long Integer() { return static_cast<long>(statement_.getColumn(index_++).getInt64()); }
  std::optional<double> OptionalReal() {
    const SQLite::Column column = statement_.getColumn(index_++);
    return column.isNull() ? std::nullopt : std::optional<double>(column.getDouble());
  }
  std::optional<long> OptionalInteger() {
    const SQLite::Column column = statement_.getColumn(index_++);
    return column.isNull() ? std::nullopt : std::optional<long>(static_cast<long>(column.getInt64()));
  }

 private:
  SQLite::Statement& statement_;
  int index_ = 0;
};

// Each reader follows the field order of SpecFor(kind), which is the column order of SelectAll(kind).
Run ReadRun(SQLite::Statement& statement) {
  Cursor c(statement);
  Run run;
  run.run_key = c.Text();
  run.source = ParseSource(c.Text()).value_or(Source::kMeasured);
  run.system = c.Text();
  run.hardware = c.Text();
  run.task_class = c.Text();
  run.difficulty = c.Text();
  run.benchmark = c.Text();
  run.problem_set = c.Text();
  run.mode = ParseMode(c.Text()).value_or(Mode::kExtended);
  run.budget_tokens = c.OptionalReal();
  run.effort = c.Text();
  run.samples = c.Integer();
  run.aggregation = Aggregation::Parse(c.Text()).value_or(Aggregation{});
  run.n_problems = c.Integer();
  run.n_correct = c.Real();
  run.mean_output_tokens = c.OptionalReal();
  run.mean_thinking_tokens = c.OptionalReal();
  run.mean_answer_tokens = c.OptionalReal();
  run.mean_input_tokens = c.OptionalReal();
  run.latency_p50_s = c.OptionalReal();
  run.latency_p95_s = c.OptionalReal();
  run.gpu_seconds = c.OptionalReal();
  run.cost_usd = c.OptionalReal();
  run.citation = c.Text();
  return run;
}

ProblemResult ReadProblem(SQLite::Statement& statement) {
  Cursor c(statement);
  ProblemResult result;
  result.run_key = c.Text();
  result.problem_id = c.Text();
  result.samples = c.Integer();
  result.correct = c.Real();
  result.output_tokens = c.OptionalReal();
  return result;
}

PerfRun ReadPerf(SQLite::Statement& statement) {
  Cursor c(statement);
  PerfRun perf;
  perf.perf_key = c.Text();
  perf.source = c.Text();
  perf.hardware = c.Text();
  perf.num_devices = c.Integer();
  perf.framework = c.Text();
  perf.model = c.Text();
  perf.params_b = c.OptionalReal();
  perf.active_params_b = c.OptionalReal();
  perf.layers = c.OptionalInteger();
  perf.hidden = c.OptionalInteger();
  perf.heads = c.OptionalInteger();
  perf.kv_heads = c.OptionalInteger();
  perf.head_dim = c.OptionalInteger();
  perf.dtype = c.Text();
  perf.phase = ParsePerfPhase(c.Text()).value_or(PerfPhase::kDecode);
  perf.batch = c.Integer();
  perf.context_len = c.Integer();
  perf.output_len = c.OptionalInteger().value_or(0);
  perf.step_ms = c.OptionalReal();
  perf.latency_s = c.OptionalReal();
  perf.tokens_per_s = c.OptionalReal();
  perf.achieved_gb_per_s = c.OptionalReal();
  perf.achieved_tflops = c.OptionalReal();
  perf.layer_scale = c.OptionalReal();
  perf.tool_version = c.Text();
  perf.measured_at = c.Text();
  perf.citation = c.Text();
  return perf;
}

SystemInfo ReadSystem(SQLite::Statement& statement) {
  Cursor c(statement);
  SystemInfo system;
  system.name = c.Text();
  system.vendor = c.Text();
  system.kind = c.Text();
  system.params_total_b = c.OptionalReal();
  system.params_active_b = c.OptionalReal();
  system.open_weights = c.OptionalInteger().value_or(0) != 0;
  system.compute_knob = c.Text();
  system.knob_values = c.Text();
  system.price_in_usd_per_mtok = c.OptionalReal();
  system.price_out_usd_per_mtok = c.OptionalReal();
  system.citation = c.Text();
  system.price_cached_in_usd_per_mtok = c.OptionalReal();  // the undated price's; a dated row in force replaces it
  return system;
}

HardwareInfo ReadHardware(SQLite::Statement& statement) {
  Cursor c(statement);
  HardwareInfo hardware;
  hardware.name = c.Text();
  hardware.hbm_gib = c.OptionalReal();
  hardware.hbm_tb_per_s = c.OptionalReal();
  hardware.bf16_dense_tflops = c.OptionalReal();
  hardware.fp8_dense_tflops = c.OptionalReal();
  hardware.usd_per_hour = c.OptionalReal();
  hardware.citation = c.Text();
  hardware.int8_dense_tops = c.OptionalReal();
  hardware.int4_dense_tops = c.OptionalReal();
  hardware.same_part_as = c.Text();
  hardware.note = c.Text();
  return hardware;
}

// Ingest validated every field, so a stored precision always parses; the shape is checked once more because
// a model shape the cost model cannot use is better refused here than deep inside a plan.
ModelShape ReadModelShape(SQLite::Statement& statement) {
  Cursor c(statement);
  ModelShape s;
  s.name = c.Text();
  s.hf_id = c.Text();
  const double total_b = c.Real();
  s.params_total = total_b * 1e9;
  s.params_active = c.OptionalReal().value_or(total_b) * 1e9;
  s.layers = c.Integer();
  s.hidden = c.Integer();
  s.heads = c.Integer();
  s.kv_heads = c.Integer();
  s.head_dim = c.OptionalInteger().value_or(s.hidden / s.heads);
  s.intermediate = c.OptionalInteger().value_or(0);
  s.vocab = c.OptionalInteger().value_or(0);
  s.n_experts = c.OptionalInteger().value_or(0);
  s.experts_per_token = c.OptionalInteger().value_or(0);
  const std::string weights = c.Text(), kv = c.Text();
  s.SetPrecision(ParsePrecision(weights).value_or(Precision::kBf16), ParsePrecision(kv).value_or(Precision::kBf16));
  s.kv_bytes_per_token_override = c.OptionalReal();
  s.citation = c.Text();
  s.note = c.Text();
  std::string error;
  if (!s.IsValid(&error)) throw InputError("stored model shape '" + s.name + "': " + error);
  return s;
}

SystemPrice ReadPrice(SQLite::Statement& statement) {
  Cursor c(statement);
  SystemPrice price;
  price.system = c.Text();
  price.effective_from = c.Text();
  price.price_in_usd_per_mtok = c.Real();
  price.price_cached_in_usd_per_mtok = c.OptionalReal();
  price.price_out_usd_per_mtok = c.Real();
  price.citation = c.Text();
  return price;
}

SystemApi ReadSystemApi(SQLite::Statement& statement) {
  Cursor c(statement);
  SystemApi api;
  api.system = c.Text();
  api.vendor = c.Text();
  api.api = c.Text();
  api.api_model_id = c.Text();
  api.thinking = c.Text();
  api.knob = c.Text();
  api.effort_values = c.Text();
  api.budget_min_tokens = c.OptionalInteger();
  api.budget_max_tokens = c.OptionalInteger();
  api.max_output_tokens = c.Integer();
  api.n_max = c.Integer();
  api.reasoning_parser = c.Text();
  api.source = c.Text();
  return api;
}

template <typename Record>
std::vector<Record> ReadAll(SQLite::Statement& statement, Record (*read)(SQLite::Statement&)) {
  std::vector<Record> out;
  while (statement.executeStep()) out.push_back(read(statement));
  return out;
}

}  // namespace

std::string_view ToString(RecordKind kind) {
  switch (kind) {
    case RecordKind::kRuns: return "runs";
    case RecordKind::kProblems: return "problems";
    case RecordKind::kPerf: return "perf";
    case RecordKind::kSystems: return "systems";
    case RecordKind::kHardware: return "hardware";
    case RecordKind::kSystemApis: return "system_apis";
    case RecordKind::kModels: return "models";
    case RecordKind::kPrices: return "prices";
  }
  return "runs";
}

std::optional<RecordKind> ParseRecordKind(std::string_view text) {
  for (RecordKind kind : {RecordKind::kRuns, RecordKind::kProblems, RecordKind::kPerf, RecordKind::kSystems,
                          RecordKind::kHardware, RecordKind::kSystemApis, RecordKind::kModels, RecordKind::kPrices}) {
    if (text == ToString(kind)) return kind;
  }
  return std::nullopt;
}

Database::Database(std::filesystem::path path, std::unique_ptr<SQLite::Database> db)
    : path_(std::move(path)), db_(std::move(db)) {}
Database::~Database() = default;
Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;

Database Database::Open(const std::filesystem::path& path) {
  const std::string name = path.string();
  try {
    // One Database object is used by one thread at a time, so the connection needs no mutex of its own.
    auto db = std::make_unique<SQLite::Database>(
        name, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX, kBusyTimeoutMs);
    // WAL lets readers (reports, the sqlite3 shell) work while an ingest writes; NORMAL is durable in WAL mode
    // except for the last transactions on power loss, never corrupting.
    db->exec("PRAGMA journal_mode = WAL");
    db->exec("PRAGMA synchronous = NORMAL");
    db->exec("PRAGMA foreign_keys = ON");
    // A 64 MiB page cache (allocated only as pages are used): an ingest inserting keys in no particular order
    // touches leaf pages all over the primary-key index, and spilling them to the WAL mid-transaction costs more
    // than the memory.
    db->exec("PRAGMA cache_size = -65536");
    Migrate(*db, name);
    return Database(path, std::move(db));
  } catch (const SQLite::Exception& error) {
    const int code = error.getErrorCode() & 0xff;
    if (code == SQLITE_NOTADB || code == SQLITE_CANTOPEN || code == SQLITE_CORRUPT) {
      throw InputError(name + ": cannot open as a thinkplan database: " + error.what());
    }
    throw InternalError(name + ": database error: " + error.what());
  }
}

int Database::CurrentSchemaVersion() { return LatestSchemaVersion(); }

int Database::SchemaVersion() const { return ReadSchemaVersion(*db_, path_.string()); }

SQLite::Database& Database::connection() { return *db_; }

std::vector<Run> Database::ListRuns(const RunFilter& filter) const {
  SQLite::Statement query(*db_, SelectAll(RecordKind::kRuns) +
                                    " WHERE (?1 IS NULL OR system = ?1) AND (?2 IS NULL OR task_class = ?2)"
                                    " AND (?3 IS NULL OR source = ?3) AND (?4 IS NULL OR difficulty = ?4)"
                                    " ORDER BY run_key");
  if (filter.system) query.bind(1, *filter.system);
  if (filter.task_class) query.bind(2, *filter.task_class);
  if (filter.source) query.bind(3, std::string(ToString(*filter.source)));
  if (filter.difficulty) query.bind(4, *filter.difficulty);
  return ReadAll(query, &ReadRun);
}

std::vector<ProblemResult> Database::ListProblemResults(const std::string& run_key) const {
  SQLite::Statement query(*db_, SelectAll(RecordKind::kProblems) + " WHERE run_key = ? ORDER BY problem_id");
  query.bind(1, run_key);
  return ReadAll(query, &ReadProblem);
}

std::vector<PerfRun> Database::ListPerfRuns() const {
  SQLite::Statement query(*db_, SelectAll(RecordKind::kPerf) + " ORDER BY perf_key");
  return ReadAll(query, &ReadPerf);
}

std::vector<SystemInfo> Database::ListSystems() const {
  SQLite::Statement query(*db_, SelectAll(RecordKind::kSystems) + " ORDER BY name");
  return ReadAll(query, &ReadSystem);
}

std::vector<HardwareInfo> Database::ListHardware() const {
  SQLite::Statement query(*db_, SelectAll(RecordKind::kHardware) + " ORDER BY name");
  return ReadAll(query, &ReadHardware);
}

std::vector<SystemApi> Database::ListSystemApis() const {
  SQLite::Statement query(*db_, SelectAll(RecordKind::kSystemApis) + " ORDER BY name");
  return ReadAll(query, &ReadSystemApi);
}

std::vector<ModelShape> Database::ListModelShapes() const {
  SQLite::Statement query(*db_, SelectAll(RecordKind::kModels) + " ORDER BY name");
  return ReadAll(query, &ReadModelShape);
}

std::vector<SystemPrice> Database::ListPrices() const {
  SQLite::Statement query(*db_, SelectAll(RecordKind::kPrices) + " ORDER BY system, effective_from");
  return ReadAll(query, &ReadPrice);
}

std::vector<TaskClassInfo> Database::ListTaskClasses() const {
  SQLite::Statement query(*db_,
                          "SELECT t.name, t.description, (SELECT count(*) FROM runs r WHERE r.task_class = t.name)"
                          " FROM task_classes t ORDER BY t.name");
  std::vector<TaskClassInfo> out;
  while (query.executeStep()) {
    Cursor c(query);
    TaskClassInfo info;
    info.name = c.Text();
    info.description = c.Text();
    info.runs = static_cast<std::size_t>(c.Integer());
    out.push_back(std::move(info));
  }
  return out;
}

StoreCounts Database::Counts() const {
  SQLite::Statement query(*db_,
                          "SELECT (SELECT count(*) FROM systems), (SELECT count(*) FROM hardware),"
                          " (SELECT count(*) FROM task_classes), (SELECT count(*) FROM runs),"
                          " (SELECT count(*) FROM problem_results), (SELECT count(*) FROM perf_runs),"
                          " (SELECT count(*) FROM model_shapes), (SELECT count(*) FROM system_prices)");
  query.executeStep();
  auto at = [&](int i) { return static_cast<std::size_t>(query.getColumn(i).getInt64()); };
  return StoreCounts{at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7)};
}

}  // namespace thinkplan::store
