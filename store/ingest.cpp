// Database::Ingest: reads a CSV or JSON Lines file record by record, validates each record and writes it inside
// one transaction, so that memory stays bounded and a failure rolls the whole file back.
#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <cstdio>
#include <deque>
#include <fstream>
#include <functional>
#include <unordered_set>

#include "core/errors.h"
#include "core/statistics.h"
#include "core/csv_reader.h"
#include "core/timing.h"
#include "store/database.h"
#include "store/jsonl_reader.h"
#include "store/record_parser.h"

namespace thinkplan::store {
namespace {

// A record-level problem that leaves the reader able to go on (a ragged row, a line that is not JSON, an unknown
// key): rejected like a validation error with skip_invalid. Other InputErrors from a reader are fatal.
class RowError : public InputError {
 public:
  using InputError::InputError;
};

// Remembers a 64-bit hash of every key seen in this file with the line it was first seen on: 16 bytes per key
// (open addressing, at most half full), instead of a string per key.
class KeyLineMap {
 public:
  KeyLineMap() : slots_(1024) {}
  // The line on which `hash` was first seen, or 0.
  long Find(std::uint64_t hash) const {
    hash = hash == 0 ? 1 : hash;
    for (std::size_t i = hash & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i].hash == hash) return slots_[i].line;
      if (slots_[i].hash == 0) return 0;
    }
  }
  void Insert(std::uint64_t hash, long line) {
    if (2 * (size_ + 1) > slots_.size()) Grow();
    Place(hash == 0 ? 1 : hash, line);
    ++size_;
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    long line = 0;
  };
  void Place(std::uint64_t hash, long line) {
    std::size_t i = hash & (slots_.size() - 1);
    while (slots_[i].hash != 0) i = (i + 1) & (slots_.size() - 1);
    slots_[i] = Slot{hash, line};
  }
  void Grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Slot& slot : old) {
      if (slot.hash != 0) Place(slot.hash, slot.line);
    }
  }
  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

// Mixes the hash so that the low bits used for the slot index depend on every bit.
std::uint64_t Mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}

// Where rejected records go with skip_invalid; the file is created on the first rejection.
class RejectsWriter {
 public:
  RejectsWriter(std::filesystem::path path, bool csv) : path_(std::move(path)), csv_(csv) {}
  std::ostream& Open(const std::vector<std::string>& header) {
    if (!used_) {
      used_ = true;
      out_.open(path_, std::ios::binary | std::ios::trunc);
      if (!out_) throw InputError(path_.string() + ": cannot write the rejects file");
      if (csv_) {
        out_ << "line,reason";
        for (const auto& name : header) out_ << ',' << Quote(name);
        out_ << '\n';
      }
    }
    return out_;
  }
  static std::string Quote(std::string_view text) {
    if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
    std::string out = "\"";
    for (char c : text) {
      if (c == '"') out += '"';
      out += c;
    }
    return out + '"';
  }
  bool used() const { return used_; }
  const std::filesystem::path& path() const { return path_; }
  void Close() {
    if (out_.is_open()) {
      out_.close();
      if (!out_) throw InputError(path_.string() + ": cannot write the rejects file");
    }
  }

 private:
  std::filesystem::path path_;
  bool csv_;
  bool used_ = false;
  std::ofstream out_;
};

// A file of records of one kind, handed over as the raw text of each spec field.
class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // Fills `cells` (one per spec field, empty = not given); false at the end. Throws RowError for a bad record.
  virtual bool Next(std::vector<std::string_view>* cells) = 0;
  virtual long line() const = 0;
  virtual void WriteReject(RejectsWriter* rejects, const std::string& reason) = 0;
  RecordKind kind() const { return spec_->kind; }

 protected:
  const RecordSpec* spec_ = nullptr;
};

[[noreturn]] void HeaderError(const std::string& file, long line, std::string_view field, std::string_view value,
                              const std::string& why) {
  throw InputError(SourceLocation{file, line, std::string(field), std::string(value)}, why);
}

RecordKind ResolveKind(const std::optional<RecordKind>& forced, const std::vector<std::string_view>& names,
                       const std::string& file, long line) {
  if (forced) return *forced;
  if (const auto kind = DetectKind(names)) return *kind;
  HeaderError(file, line, "", "",
              "cannot tell the record kind from the field names (runs need run_key and n_correct, problems "
              "run_key and problem_id, perf perf_key, systems system and vendor, hardware hardware and hbm_gib); "
              "name the kind explicitly");
}

class CsvSource : public RecordSource {
 public:
  CsvSource(const std::filesystem::path& path, const std::string& file, const IngestOptions& options)
      : file_(file), reader_(path, file, CsvReaderOptions{.max_record_bytes = options.max_record_bytes}) {
    if (!reader_.Next()) HeaderError(file_, 1, "", "", "the file is empty (a header row is required)");
    const long header_line = reader_.line();
    for (std::size_t i = 0; i < reader_.size(); ++i) header_.emplace_back(reader_.field(i));
    const std::vector<std::string_view> names(header_.begin(), header_.end());
    spec_ = &SpecFor(ResolveKind(options.kind, names, file_, header_line));
    std::vector<bool> present(spec_->fields.size(), false);
    for (std::size_t i = 0; i < header_.size(); ++i) {
      const std::string& name = header_[i];
      if (name.empty()) HeaderError(file_, header_line, "column " + std::to_string(i + 1), "", "empty column name");
      const int index = spec_->FieldIndex(name);
      if (index >= 0 && present[index]) HeaderError(file_, header_line, name, name, "column appears twice");
      if (index < 0 && !options.allow_extra) {
        HeaderError(file_, header_line, name, name,
                    "unknown column for " + std::string(ToString(spec_->kind)) + " (allowed with allow-extra)");
      }
      if (index >= 0) present[index] = true;
      column_to_field_.push_back(index);
    }
    for (std::size_t i = 0; i < present.size(); ++i) {
      const FieldSpec& field = spec_->fields[i];
      if (!present[i] && field.required && field.default_value.empty()) {
        HeaderError(file_, header_line, field.name, "", "required column is missing from the header");
      }
    }
    reader_.set_field_names(header_);
  }

  bool Next(std::vector<std::string_view>* cells) override {
    if (!reader_.Next()) return false;
    const std::size_t n = reader_.size();
    if (n != header_.size()) {
      const bool short_row = n < header_.size();
      throw RowError(SourceLocation{file_, reader_.line(),
                                    short_row ? header_[n] : "column " + std::to_string(header_.size() + 1),
                                    short_row ? std::string() : std::string(reader_.field(header_.size()))},
                     "ragged row: " + std::to_string(n) + " fields where the header has " +
                         std::to_string(header_.size()));
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (column_to_field_[i] >= 0) (*cells)[column_to_field_[i]] = reader_.field(i);
    }
    return true;
  }
  long line() const override { return reader_.line(); }
  void WriteReject(RejectsWriter* rejects, const std::string& reason) override {
    std::ostream& out = rejects->Open(header_);
    out << reader_.line() << ',' << RejectsWriter::Quote(reason);
    for (std::size_t i = 0; i < reader_.size(); ++i) out << ',' << RejectsWriter::Quote(reader_.field(i));
    out << '\n';
  }

 private:
  std::string file_;
  CsvReader reader_;
  std::vector<std::string> header_;
  std::vector<int> column_to_field_;  // -1 for an extra column
};

class JsonlSource : public RecordSource {
 public:
  JsonlSource(const std::filesystem::path& path, const std::string& file, const IngestOptions& options)
      : file_(file), reader_(path, file, options.max_record_bytes), allow_extra_(options.allow_extra) {
    if (!reader_.Next()) HeaderError(file_, 1, "", "", "the file is empty (no JSON object)");
    pending_ = true;
    std::vector<std::string_view> names;
    for (const auto& item : reader_.object().items()) names.push_back(item.key());
    spec_ = &SpecFor(ResolveKind(options.kind, names, file_, reader_.line()));
    scratch_.resize(spec_->fields.size());
  }

  bool Next(std::vector<std::string_view>* cells) override {
    if (pending_) {
      pending_ = false;
    } else {
      parsed_ = false;
      try {
        if (!reader_.Next()) return false;
      } catch (const InputError& error) {
        throw RowError(error.where(), error.reason());
      }
    }
    parsed_ = true;
    std::fill(cells->begin(), cells->end(), std::string_view());
    for (const auto& item : reader_.object().items()) {
      const int index = spec_->FieldIndex(item.key());
      if (index < 0) {
        if (allow_extra_) continue;
        throw RowError(SourceLocation{file_, reader_.line(), item.key(), item.value().dump()},
                       "unknown key for " + std::string(ToString(spec_->kind)) + " (allowed with allow-extra)");
      }
      (*cells)[index] = CellText(spec_->fields[index], item.key(), item.value(), &scratch_[index]);
    }
    return true;
  }
  long line() const override { return reader_.line(); }
  void WriteReject(RejectsWriter* rejects, const std::string& reason) override {
    nlohmann::json entry = {{"line", reader_.line()}, {"reason", reason}};
    if (parsed_) {
      entry["record"] = reader_.object();
    } else {
      entry["record"] = std::string(reader_.text());
    }
    rejects->Open({}) << entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  }

 private:
  // JSON strings and numbers both give a field's text; the field's own rules then apply.
  std::string_view CellText(const FieldSpec& field, const std::string& key, const nlohmann::json& value,
                            std::string* scratch) const {
    using Json = nlohmann::json;
    switch (value.type()) {
      case Json::value_t::null: return {};
      case Json::value_t::string: return value.get_ref<const std::string&>();
      case Json::value_t::number_integer:
      case Json::value_t::number_unsigned:
      case Json::value_t::number_float: *scratch = value.dump(); return *scratch;
      case Json::value_t::boolean:
        if (field.type == FieldType::kYesNo) return value.get<bool>() ? "yes" : "no";
        break;
      default: break;
    }
    throw RowError(SourceLocation{file_, reader_.line(), key, value.dump()},
                   field.type == FieldType::kYesNo ? "expected yes or no" : "expected a string or a number");
  }

  std::string file_;
  JsonlReader reader_;
  bool allow_extra_;
  bool pending_ = false;  // the first object, read to detect the kind, is not handed out yet
  bool parsed_ = false;   // whether the current line parsed (for the rejects file)
  std::vector<std::string> scratch_;
};

bool LooksLikeJsonLines(const std::filesystem::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return false;  // the reader reports it
  char head[4096];
  const std::size_t got = std::fread(head, 1, sizeof head, file);
  std::fclose(file);
  std::string_view text(head, got);
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  const auto first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && text[first] == '{';
}

std::string_view Noun(RecordKind kind) {
  switch (kind) {
    case RecordKind::kRuns: return "runs";
    case RecordKind::kProblems: return "problem results";
    case RecordKind::kPerf: return "perf runs";
    case RecordKind::kSystems: return "systems";
    case RecordKind::kHardware: return "hardware rows";
    case RecordKind::kSystemApis: return "system API rows";
    case RecordKind::kModels: return "model shapes";
    case RecordKind::kPrices: return "price rows";
  }
  return "records";
}

// A prepared statement on the connection's handle. The ingest's hot path binds text in place (SQLITE_STATIC),
// which SQLiteCpp's Statement does not offer for text, so it uses the C API directly.
class RawStatement {
 public:
  RawStatement(SQLite::Database& db, const std::string& sql) {
    const int rc = sqlite3_prepare_v3(db.getHandle(), sql.c_str(), static_cast<int>(sql.size() + 1),
                                      SQLITE_PREPARE_PERSISTENT, &statement_, nullptr);
    if (rc != SQLITE_OK) {
      throw InternalError("cannot prepare '" + sql + "': " + sqlite3_errmsg(db.getHandle()));
    }
  }
  ~RawStatement() { sqlite3_finalize(statement_); }
  RawStatement(const RawStatement&) = delete;
  RawStatement& operator=(const RawStatement&) = delete;
  sqlite3_stmt* get() const { return statement_; }

 private:
  sqlite3_stmt* statement_ = nullptr;
};

// The statements of one ingest, prepared once. Hot paths use the C API to bind text without copying it.
class Writer {
 public:
  Writer(SQLite::Database& db, const RecordSpec& spec, const std::string& file)
      : db_(db), spec_(spec), file_(file), insert_(db, InsertSql()), select_(db, SelectSql()) {
    if (spec.IsCatalogue()) update_.emplace(db, UpdateSql());
    for (const ParentRef& parent : spec.parents) {
      parents_.push_back(Parent{parent.field,
                                std::make_unique<RawStatement>(db, "INSERT INTO " + std::string(parent.table) +
                                                                       "(name) VALUES (?) ON CONFLICT DO NOTHING"),
                                {}, {}});
    }
    if (spec.required_run) run_exists_.emplace(db, "SELECT 1 FROM runs WHERE run_key = ?");
  }

  enum class Outcome { kInserted, kUnchanged };

  // Stores one valid record. Throws InputError for a duplicate key, an unknown run or a conflicting stored row.
  Outcome Store(const ParsedRow& row, std::span<const std::string_view> cells, long line) {
    const std::uint64_t hash = KeyHash(row);
    const long first_line = seen_.Find(hash);
    if (spec_.required_run) CheckRunExists(row, cells, line);

    BindAll(insert_.get(), row);
    Step(insert_);
    Outcome outcome = Outcome::kInserted;
    if (sqlite3_changes(db_.getHandle()) == 0) {
      // The key is stored. A key whose hash was already seen in this file is a duplicate; the check comes
      // only now because a 64-bit hash match alone could (very rarely) be two different keys.
      if (first_line != 0) {
        Fail(line, spec_.fields[spec_.key.back()].name, cells[spec_.key.back()],
             "duplicate key " + KeyText(row) + " in this file (first on line " + std::to_string(first_line) + ")");
      }
      outcome = CompareStored(row, cells, line);
    } else {
      EnsureParents(row);
    }
    seen_.Insert(hash, line);
    return outcome;
  }

 private:
  struct Parent {
    int field;
    std::unique_ptr<RawStatement> insert;
    std::deque<std::string> names;                // stable storage for the views in `done`
    std::unordered_set<std::string_view> done;    // names known to be in the catalogue table
  };

  std::string InsertSql() const {
    std::string columns, params;
    for (std::size_t i = 0; i < spec_.StoredCount(); ++i) {
      columns += (i ? ", " : "") + std::string(spec_.fields[i].column);
      params += (i ? ", ?" : "?") + std::to_string(i + 1);
    }
    return "INSERT INTO " + std::string(spec_.table) + " (" + columns + ") VALUES (" + params +
           ") ON CONFLICT DO NOTHING";
  }
  std::string KeyWhere() const {
    std::string where;
    for (std::size_t k = 0; k < spec_.key.size(); ++k) {
      where += (k ? " AND " : "") + std::string(spec_.fields[spec_.key[k]].column) + " = ?" +
               std::to_string(spec_.key[k] + 1);
    }
    return where;
  }
  std::string SelectSql() const {
    std::string columns;
    for (std::size_t i = 0; i < spec_.StoredCount(); ++i) {
      columns += (i ? ", " : "") + std::string(spec_.fields[i].column);
    }
    return "SELECT " + columns + " FROM " + std::string(spec_.table) + " WHERE " + KeyWhere();
  }
  std::string UpdateSql() const {
    std::string sets;
    for (std::size_t i = 0; i < spec_.StoredCount(); ++i) {
      if (std::find(spec_.key.begin(), spec_.key.end(), static_cast<int>(i)) != spec_.key.end()) continue;
      sets += (sets.empty() ? "" : ", ") + std::string(spec_.fields[i].column) + " = ?" + std::to_string(i + 1);
    }
    return "UPDATE " + std::string(spec_.table) + " SET " + sets + " WHERE " + KeyWhere();
  }

  void Check(int rc) const {
    if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
      throw InternalError(file_ + ": database error: " + sqlite3_errmsg(db_.getHandle()));
    }
  }
  // Binds every value; parameter i+1 is field i in every statement of this writer (unused ones are ignored).
  void BindAll(sqlite3_stmt* statement, const ParsedRow& row) const {
    const int count = sqlite3_bind_parameter_count(statement);
    for (int i = 0; i < static_cast<int>(row.values.size()); ++i) {
      const Value& v = row.values[i];
      int rc = SQLITE_OK;
      if (i + 1 > count) break;
      switch (v.tag) {
        case Value::Tag::kNull: rc = sqlite3_bind_null(statement, i + 1); break;
        case Value::Tag::kInteger: rc = sqlite3_bind_int64(statement, i + 1, v.integer); break;
        case Value::Tag::kReal: rc = sqlite3_bind_double(statement, i + 1, v.real); break;
        case Value::Tag::kText:
          rc = sqlite3_bind_text(statement, i + 1, v.text.data(), static_cast<int>(v.text.size()), SQLITE_STATIC);
          break;
      }
      Check(rc);
    }
  }
  void Step(const RawStatement& statement) const {
    sqlite3_stmt* raw = statement.get();
    const int rc = sqlite3_step(raw);
    sqlite3_reset(raw);
    Check(rc);
  }

  std::uint64_t KeyHash(const ParsedRow& row) const {
    std::uint64_t hash = 0;
    for (int k : spec_.key) hash = Mix(hash ^ std::hash<std::string_view>()(row.values[k].text));
    return hash;
  }
  std::string KeyText(const ParsedRow& row) const {
    std::string out;
    for (int k : spec_.key) {
      out += (out.empty() ? "" : ", ") + std::string(spec_.fields[k].name) + " '" +
             std::string(row.values[k].text) + "'";
    }
    return out;
  }
  [[noreturn]] void Fail(long line, std::string_view field, std::string_view value, const std::string& why) const {
    throw InputError(SourceLocation{file_, line, std::string(field), std::string(value)}, why);
  }

  void CheckRunExists(const ParsedRow& row, std::span<const std::string_view> cells, long line) {
    const int field = *spec_.required_run;
    const std::string_view run_key = row.values[field].text;
    if (run_key == last_run_) return;
    std::string key(run_key);
    if (!known_runs_.count(key)) {
      sqlite3_stmt* raw = run_exists_->get();
      sqlite3_bind_text(raw, 1, run_key.data(), static_cast<int>(run_key.size()), SQLITE_STATIC);
      const int rc = sqlite3_step(raw);
      sqlite3_reset(raw);
      Check(rc);
      if (rc != SQLITE_ROW) {
        Fail(line, spec_.fields[field].name, cells[field], "no stored run has this run_key (ingest the runs first)");
      }
      known_runs_.insert(key);
    }
    last_run_ = std::move(key);
  }

  void EnsureParents(const ParsedRow& row) {
    for (Parent& parent : parents_) {
      const Value& v = row.values[parent.field];
      if (v.is_null() || parent.done.count(v.text)) continue;
      sqlite3_stmt* raw = parent.insert->get();
      sqlite3_bind_text(raw, 1, v.text.data(), static_cast<int>(v.text.size()), SQLITE_STATIC);
      Step(*parent.insert);
      parent.names.emplace_back(v.text);
      parent.done.insert(parent.names.back());
    }
  }

  // How a record differs from the stored row of its key.
  struct Difference {
    bool stored = false;  // a row of this key is stored
    bool bare = false;    // with nothing but its key (a catalogue row a run created)
    int differing = -1;   // the first field that differs, -1 when none does
    std::string stored_text;
  };
  Difference Diff(const ParsedRow& row) const {
    sqlite3_stmt* raw = select_.get();
    BindAll(raw, row);
    const int rc = sqlite3_step(raw);
    Difference d;
    if (rc != SQLITE_ROW) {
      sqlite3_reset(raw);
      Check(rc);
      return d;
    }
    d.stored = d.bare = true;
    for (int i = 0; i < static_cast<int>(spec_.StoredCount()); ++i) {
      const bool is_key = std::find(spec_.key.begin(), spec_.key.end(), i) != spec_.key.end();
      if (!is_key && sqlite3_column_type(raw, i) != SQLITE_NULL) d.bare = false;
      if (d.differing < 0 && !SameValue(raw, i, row.values[i])) {
        d.differing = i;
        d.stored_text = StoredText(raw, i);
      }
    }
    sqlite3_reset(raw);
    return d;
  }
  [[noreturn]] void FailConflict(const ParsedRow& row, std::span<const std::string_view> cells, long line,
                                 const Difference& d) const {
    Fail(line, spec_.fields[d.differing].name, cells[d.differing],
         KeyText(row) + " is already stored with " + std::string(spec_.fields[d.differing].name) + " = '" +
             d.stored_text + "'; a stored row can only be re-ingested unchanged");
  }

 public:
  // Throws, writing nothing, where Store would refuse the record for a conflicting stored row: checked before the
  // record's other table is written, so that a record that fills two tables fills both or neither.
  void CheckStored(const ParsedRow& row, std::span<const std::string_view> cells, long line) const {
    const Difference d = Diff(row);
    if (d.stored && d.differing >= 0 && !(d.bare && spec_.IsCatalogue())) FailConflict(row, cells, line, d);
  }

 private:
  // Compares a record with the stored row of the same key: identical -> unchanged; a bare catalogue row ->
  // filled in; anything else -> an error naming the first differing field.
  Outcome CompareStored(const ParsedRow& row, std::span<const std::string_view> cells, long line) {
    const Difference d = Diff(row);
    if (!d.stored) throw InternalError(file_ + ": a conflicting row vanished during the ingest");
    if (d.differing < 0) return Outcome::kUnchanged;
    if (d.bare && spec_.IsCatalogue()) {
      BindAll(update_->get(), row);
      Step(*update_);
      return Outcome::kInserted;
    }
    FailConflict(row, cells, line, d);
  }

  static bool SameValue(sqlite3_stmt* raw, int i, const Value& v) {
    const int type = sqlite3_column_type(raw, i);
    switch (v.tag) {
      case Value::Tag::kNull: return type == SQLITE_NULL;
      case Value::Tag::kInteger: return type == SQLITE_INTEGER && sqlite3_column_int64(raw, i) == v.integer;
      case Value::Tag::kReal:
        return (type == SQLITE_FLOAT || type == SQLITE_INTEGER) && sqlite3_column_double(raw, i) == v.real;
      case Value::Tag::kText: {
        if (type != SQLITE_TEXT) return false;
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(raw, i));
        return std::string_view(text, sqlite3_column_bytes(raw, i)) == v.text;
      }
    }
    return false;
  }
  static std::string StoredText(sqlite3_stmt* raw, int i) {
    switch (sqlite3_column_type(raw, i)) {
      case SQLITE_NULL: return "";
      case SQLITE_FLOAT: return FormatNumber(sqlite3_column_double(raw, i));
      default: {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(raw, i));
        return std::string(text, sqlite3_column_bytes(raw, i));
      }
    }
  }

  SQLite::Database& db_;
  const RecordSpec& spec_;
  const std::string& file_;
  RawStatement insert_;
  RawStatement select_;
  std::optional<RawStatement> update_;
  std::optional<RawStatement> run_exists_;
  std::vector<Parent> parents_;
  std::unordered_set<std::string> known_runs_;
  std::string last_run_;
  KeyLineMap seen_;
};

// "field 'x' = 'v': why" without the file and line, which the rejects file has in its own column.
std::string RejectReason(const InputError& error) {
  const SourceLocation& where = error.where();
  if (where.field.empty()) return error.reason().empty() ? error.what() : error.reason();
  SourceLocation bare{"", 0, where.field, where.value};
  std::string text = bare.Describe();
  const std::string prefix = "<input>: ";
  if (text.rfind(prefix, 0) == 0) text.erase(0, prefix.size());
  return text + ": " + error.reason();
}

std::int64_t MaxRunRowid(SQLite::Database& db) {
  SQLite::Statement query(db, "SELECT coalesce(max(rowid), 0) FROM runs");
  query.executeStep();
  return query.getColumn(0).getInt64();
}

// Pairs of runs, one of them new (rowid above `before`), that score the same named problem set at the same
// setting (pass@1 is stored as pass@1 whatever its samples), and whose accuracies the two-proportion test says
// differ at `level`. The counts are the distinct problems of each run.
std::vector<std::string> DisagreeingRuns(SQLite::Database& db, std::int64_t before, double level) {
  SQLite::Statement query(
      db,
      "SELECT a.run_key, b.run_key, a.problem_set, a.n_problems, a.n_correct, b.n_problems, b.n_correct FROM runs a"
      " JOIN runs b ON a.problem_set = b.problem_set AND a.run_key < b.run_key AND a.system = b.system"
      " AND a.task_class = b.task_class AND a.difficulty IS b.difficulty AND a.mode = b.mode"
      " AND a.budget_tokens IS b.budget_tokens AND a.effort IS b.effort AND a.aggregation = b.aggregation"
      " WHERE a.problem_set IS NOT NULL AND (a.rowid > ? OR b.rowid > ?) ORDER BY a.run_key, b.run_key");
  query.bind(1, static_cast<int64_t>(before));
  query.bind(2, static_cast<int64_t>(before));
  std::vector<std::string> out;
  while (query.executeStep()) {
    const double n1 = query.getColumn(3).getDouble(), x1 = query.getColumn(4).getDouble();
    const double n2 = query.getColumn(5).getDouble(), x2 = query.getColumn(6).getDouble();
    const ProportionTest test = TwoProportionTest(x1, n1, x2, n2);
    if (test.p_value >= level) continue;
    char text[160];
    std::snprintf(text, sizeof text, "%.1f%% vs %.1f%% (%+.1f points; z = %.2f, p = %.2g < %g)", 100 * x1 / n1,
                  100 * x2 / n2, 100 * (x1 / n1 - x2 / n2), test.z, test.p_value, level);
    out.push_back("runs '" + query.getColumn(0).getString() + "' and '" + query.getColumn(1).getString() +
                  "' score the same problems (" + query.getColumn(2).getString() + ") at the same setting but " +
                  text + ": more than sampling noise; check the settings and sources (both are kept and combined "
                  "as repeated samples)");
  }
  return out;
}

}  // namespace

bool IngestOptions::IsValid(std::string* error) const {
  if (max_rows == 0) {
    *error = "max_rows must be at least 1";
    return false;
  }
  if (max_record_bytes == 0) {
    *error = "max_record_bytes must be at least 1";
    return false;
  }
  if (progress && progress_every == 0) {
    *error = "progress_every must be at least 1 when a progress callback is set";
    return false;
  }
  if (!(disagreement_level > 0 && disagreement_level < 1)) {
    *error = "disagreement_level must be in (0, 1)";
    return false;
  }
  return true;
}

std::string IngestSummary::BriefReport() const {
  char seconds_text[32];
  std::snprintf(seconds_text, sizeof seconds_text, "%.2f", seconds);
  std::string out = file + ": " + std::to_string(rows_read) + " " + std::string(Noun(kind)) + " read, " +
                    std::to_string(inserted) + " new, " + std::to_string(unchanged) + " unchanged";
  if (rejected > 0) out += ", " + std::to_string(rejected) + " rejected (see " + rejects_file.string() + ")";
  return out + " (" + seconds_text + " s)";
}

IngestSummary Database::Ingest(const std::filesystem::path& path, const IngestOptions& options) {
  const Stopwatch start;
  std::string why;
  if (!options.IsValid(&why)) throw UsageError("ingest options: " + why);
  const std::string file = path.string();

  const bool jsonl = LooksLikeJsonLines(path);
  std::unique_ptr<RecordSource> source;
  if (jsonl) {
    source = std::make_unique<JsonlSource>(path, file, options);
  } else {
    source = std::make_unique<CsvSource>(path, file, options);
  }
  const RecordSpec& spec = SpecFor(source->kind());
  RecordParser parser(spec, file);

  IngestSummary summary;
  summary.file = file;
  summary.kind = spec.kind;
  std::filesystem::path rejects_path = options.rejects_path;
  if (rejects_path.empty()) rejects_path = file + (jsonl ? ".rejects.jsonl" : ".rejects.csv");
  RejectsWriter rejects(rejects_path, !jsonl);
  auto reject = [&](const InputError& error) {
    if (!options.skip_invalid) throw;
    source->WriteReject(&rejects, RejectReason(error));
    ++summary.rejected;
  };

  try {
    SQLite::Transaction transaction(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    // Catalogue rows a record names are created after the record itself (only when it is new), so foreign
    // keys are checked at commit.
    db_->exec("PRAGMA defer_foreign_keys = ON");
    const std::int64_t runs_before = spec.kind == RecordKind::kRuns ? MaxRunRowid(*db_) : 0;
    Writer writer(*db_, spec, file);
    // A systems file may carry each system's API row too (RecordSpec::companion): parsed and checked by the API
    // catalogue's own rules, and stored with its systems row or not at all.
    std::optional<RecordParser> companion_parser;
    std::optional<Writer> companion_writer;
    if (spec.companion) {
      companion_parser.emplace(*spec.companion, file);
      companion_writer.emplace(*db_, *spec.companion, file);
    }
    std::vector<std::string_view> cells(spec.fields.size()), companion_cells;
    ParsedRow row, companion_row;
    for (;;) {
      try {
        if (!source->Next(&cells)) break;
      } catch (const RowError& error) {
        if (++summary.rows_read > options.max_rows) break;
        reject(error);
        continue;
      }
      if (++summary.rows_read > options.max_rows) break;
      if (options.progress && summary.rows_read % options.progress_every == 0) options.progress(summary.rows_read);
      try {
        const long line = source->line();
        parser.Parse(cells, line, &row);
        const bool companion = CompanionCells(spec, cells, &companion_cells);
        if (companion) {
          companion_parser->Parse(companion_cells, line, &companion_row);
          companion_writer->CheckStored(companion_row, companion_cells, line);
        }
        bool inserted = writer.Store(row, cells, line) == Writer::Outcome::kInserted;
        if (companion && companion_writer->Store(companion_row, companion_cells, line) == Writer::Outcome::kInserted) {
          inserted = true;
        }
        ++(inserted ? summary.inserted : summary.unchanged);
      } catch (const InputError& error) {
        reject(error);
      }
    }
    if (summary.rows_read > options.max_rows) {
      throw InputError(SourceLocation{file, source->line(), "", ""},
                       "more than " + std::to_string(options.max_rows) + " records (max_rows); nothing was stored");
    }
    if (summary.rows_read == 0) {
      throw InputError(SourceLocation{file, 1, "", ""}, "no records after the header");
    }
    if (spec.kind == RecordKind::kRuns && summary.inserted > 0) {
      summary.warnings = DisagreeingRuns(*db_, runs_before, options.disagreement_level);
    }
    rejects.Close();
    transaction.commit();
  } catch (const SQLite::Exception& error) {
    throw InternalError(file + ": database error: " + error.what());
  }
  if (rejects.used()) summary.rejects_file = rejects.path();
  summary.seconds = start.Seconds();
  return summary;
}

}  // namespace thinkplan::store
