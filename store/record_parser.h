// Field-level parsing and validation of the interchange records (docs/formats.md): which fields each record kind
// has, their types, ranges and allowed values, the rules that tie fields together, and where each kind is stored.
// Readers hand over the raw text of each field; the parser turns it into typed values ready to bind, or throws an
// InputError naming file, line, field and value.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.h"

namespace thinkplan::store {

enum class FieldType : std::uint8_t {
  kText,
  kInteger,      // decimal digits with an optional sign
  kReal,         // a finite decimal number
  kChoice,       // one of FieldSpec::choices
  kAggregation,  // pass@1 | cons@k | best@k | pass@k, stored in its canonical spelling
  kYesNo,        // yes|no (true|false from JSON), stored as 1/0
  kDate,         // ISO 8601 date, optionally followed by a time: 2025-02-14 or 2025-02-14T10:00:00Z
};

struct FieldSpec {
  std::string_view name;    // as in files
  std::string_view column;  // as in the table
  FieldType type = FieldType::kText;
  bool required = false;
  // Numeric range: min (inclusive unless min_exclusive) and max (inclusive). Infinite = unbounded.
  double min = -std::numeric_limits<double>::infinity();
  bool min_exclusive = false;
  double max = std::numeric_limits<double>::infinity();
  std::string_view max_why;        // why a finite max is the ceiling, said when a value passes it
  std::string_view choices;        // kChoice: "a|b|c"
  std::string_view default_value;  // parsed as if given when the field is absent
};

// A catalogue row a record points to, created bare (name only) when missing.
struct ParentRef {
  int field;
  std::string_view table;  // its key column is `name`
};

struct RecordSpec {
  RecordKind kind;
  std::string_view table;
  std::vector<FieldSpec> fields;
  std::vector<int> key;             // indexes of the primary-key fields
  std::vector<ParentRef> parents;   // catalogue rows created bare when missing
  std::optional<int> required_run;  // problems: the field naming a run that must already be stored
  // The leading fields stored in `table`; 0 = all of them. The fields after them belong to `companion`.
  std::size_t stored_fields = 0;
  // Another kind a record of this kind may carry too (a systems row with its API fields -> system_apis): its
  // fields are this spec's fields of the same name (CompanionCells), parsed, checked and stored by its own rules
  // in the same transaction, so that one file fills both tables all or nothing.
  const RecordSpec* companion = nullptr;

  int FieldIndex(std::string_view name) const;  // -1 when the kind has no such field
  std::size_t StoredCount() const { return stored_fields ? stored_fields : fields.size(); }
  bool IsCatalogue() const {
    return kind == RecordKind::kSystems || kind == RecordKind::kHardware || kind == RecordKind::kSystemApis ||
           kind == RecordKind::kModels;
  }
};

const RecordSpec& SpecFor(RecordKind kind);

// The cells of `spec.companion`'s fields, by name, from a record of `spec`. False (and `out` untouched) when the
// record gives none of the companion's own fields: only the key and the fields both kinds share.
bool CompanionCells(const RecordSpec& spec, std::span<const std::string_view> cells, std::vector<std::string_view>* out);

// Recognises a kind from the field names of a header or first JSON object (docs/formats.md):
// run_key+n_correct -> runs, run_key+problem_id -> problems, perf_key -> perf, system+api_model_id -> system_apis
// (unless a field only systems have is there too: a systems file carrying its API fields), system+effective_from
// -> prices, system+vendor -> systems, hardware+hbm_gib -> hardware, model+layers -> models.
std::optional<RecordKind> DetectKind(std::span<const std::string_view> names);

// One typed value, ready to bind. Text points into the caller's cells or the spec (valid for one record).
struct Value {
  enum class Tag : std::uint8_t { kNull, kInteger, kReal, kText };
  Tag tag = Tag::kNull;
  std::int64_t integer = 0;
  double real = 0;
  std::string_view text;
  bool is_null() const { return tag == Tag::kNull; }
};

struct ParsedRow {
  std::vector<Value> values;    // one per spec field
  std::string aggregation_text; // storage for the canonical aggregation spelling
};

class RecordParser {
 public:
  RecordParser(const RecordSpec& spec, std::string file) : spec_(spec), file_(std::move(file)) {}

  // `cells` holds the raw text of each spec field in spec order; empty means "not given".
  // Throws InputError for the first field or rule the record breaks.
  void Parse(std::span<const std::string_view> cells, long line, ParsedRow* row) const;

  const RecordSpec& spec() const { return spec_; }

 private:
  Value ParseField(const FieldSpec& field, std::string_view cell, long line, ParsedRow* row) const;
  void CheckRecord(std::span<const std::string_view> cells, long line, const ParsedRow& row) const;
  [[noreturn]] void Fail(long line, std::string_view field, std::string_view value, const std::string& why) const;

  const RecordSpec& spec_;
  std::string file_;
};

// "12", "0.5", "1e-3"; numbers in messages and stored-value comparisons.
std::string FormatNumber(double value);

}  // namespace thinkplan::store
