#include "store/record_parser.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <functional>

#include "core/errors.h"
#include "core/text.h"
#include "core/precision.h"
#include "core/run.h"

namespace thinkplan::store {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
using T = FieldType;

FieldSpec Field(std::string_view name, FieldType type, bool required = false) {
  FieldSpec spec;
  spec.name = name;
  spec.column = name;
  spec.type = type;
  spec.required = required;
  return spec;
}
FieldSpec Text(std::string_view name, bool required = false) { return Field(name, T::kText, required); }
FieldSpec Int(std::string_view name, bool required, double min, std::string_view default_value = {}) {
  FieldSpec spec = Field(name, T::kInteger, required);
  spec.min = min;
  spec.default_value = default_value;
  return spec;
}
FieldSpec Real(std::string_view name, bool required, double min, bool min_exclusive = false, double max = kInf) {
  FieldSpec spec = Field(name, T::kReal, required);
  spec.min = min;
  spec.min_exclusive = min_exclusive;
  spec.max = max;
  return spec;
}
FieldSpec Choice(std::string_view name, bool required, std::string_view choices,
                 std::string_view default_value = {}) {
  FieldSpec spec = Field(name, T::kChoice, required);
  spec.choices = choices;
  spec.default_value = default_value;
  return spec;
}
FieldSpec Renamed(FieldSpec spec, std::string_view column) {
  spec.column = column;
  return spec;
}

constexpr std::string_view kSources = "measured|published|simulated";

// Ceilings of what a measurement can be (docs/formats.md "Plausibility"). Token counts per sample: ten times the
// longest context window any vendor ships (Llama 4 Scout's 10 million tokens), so that no real run is refused and
// a unit slip (a total for a mean, 1e20) is. Samples per problem: AlphaCode drew up to a million per problem, the
// most published. Latency: a request open for a week has timed out at every provider.
constexpr double kMaxTokensPerSample = 1e8;
constexpr double kMaxSamples = 1e6;
constexpr double kMaxLatencyS = 7 * 86400.0;

FieldSpec Ceiling(FieldSpec spec, double max, std::string_view why) {
  spec.max = max;
  spec.max_why = why;
  return spec;
}
FieldSpec Tokens(std::string_view name) {
  return Ceiling(Real(name, false, 0), kMaxTokensPerSample,
                 "tokens per sample: ten times the longest context window shipped, 10M tokens");
}

RecordSpec MakeRuns() {
  RecordSpec spec{RecordKind::kRuns, "runs", {}, {0}, {}, std::nullopt};
  const FieldSpec samples = Ceiling(Int("samples", true, 1), kMaxSamples,
                                    "samples per problem: the most published is AlphaCode's million");
  spec.fields = {
      Text("run_key", true),
      Choice("source", true, kSources),
      Text("system", true),
      Text("hardware"),
      Text("task_class", true),
      Text("difficulty"),
      Text("benchmark"),
      Text("problem_set"),
      Choice("mode", true, "fast|extended"),
      Tokens("budget_tokens"),
      Text("effort"),
      samples,
      Field("aggregation", T::kAggregation, true),
      Int("n_problems", true, 1),
      Real("n_correct", true, 0),
      Tokens("mean_output_tokens"),
      Tokens("mean_thinking_tokens"),
      Tokens("mean_answer_tokens"),
      Tokens("mean_input_tokens"),
      Ceiling(Real("latency_p50_s", false, 0), kMaxLatencyS, "a week: every provider has timed out by then"),
      Ceiling(Real("latency_p95_s", false, 0), kMaxLatencyS, "a week: every provider has timed out by then"),
      Real("gpu_seconds", false, 0),
      Real("cost_usd", false, 0),
      Text("citation"),
  };
  spec.parents = {{spec.FieldIndex("system"), "systems"},
                  {spec.FieldIndex("task_class"), "task_classes"},
                  {spec.FieldIndex("hardware"), "hardware"}};
  return spec;
}

RecordSpec MakeProblems() {
  RecordSpec spec{RecordKind::kProblems, "problem_results", {}, {0, 1}, {}, 0};
  spec.fields = {
      Text("run_key", true), Text("problem_id", true), Int("samples", true, 1),
      Real("correct", true, 0), Tokens("output_tokens"),
  };
  return spec;
}

RecordSpec MakePerf() {
  RecordSpec spec{RecordKind::kPerf, "perf_runs", {}, {0}, {}, std::nullopt};
  spec.fields = {
      Text("perf_key", true),
      Choice("source", false, kSources, "measured"),
      Text("hardware", true),
      Int("num_devices", false, 1, "1"),
      Text("framework"),
      Text("model", true),
      Real("params_b", false, 0, true),
      Real("active_params_b", false, 0, true),
      Int("layers", false, 1),
      Int("hidden", false, 1),
      Int("heads", false, 1),
      Int("kv_heads", false, 1),
      Int("head_dim", false, 1),
      Text("dtype"),
      Choice("phase", true, "prefill|decode|e2e"),
      Int("batch", true, 1),
      Int("context_len", true, 0),
      Int("output_len", false, 0),
      Real("step_ms", false, 0, true),
      Real("latency_s", false, 0, true),
      Real("tokens_per_s", false, 0),
      Real("achieved_gb_per_s", false, 0),
      Real("achieved_tflops", false, 0),
      Real("layer_scale", false, 0, true, 1),
      Text("tool_version"),
      Field("measured_at", T::kDate),
      Text("citation"),
  };
  spec.parents = {{spec.FieldIndex("hardware"), "hardware"}};
  return spec;
}

RecordSpec MakeSystemApis();

// The API catalogue's fields as a systems file carries them: the system_apis spec, its `source` (where the API
// facts come from) named api_source beside the systems row's own citation.
const RecordSpec& SystemApiFieldsOfSystems() {
  static const RecordSpec kSpec = [] {
    RecordSpec spec = MakeSystemApis();
    spec.fields[spec.FieldIndex("source")].name = "api_source";
    return spec;
  }();
  return kSpec;
}

// Fields the systems row and its API row both have: the key and the vendor.
bool SharedWithSystems(std::string_view name) { return name == "system" || name == "vendor"; }

RecordSpec MakeSystems() {
  RecordSpec spec{RecordKind::kSystems, "systems", {}, {0}, {}, std::nullopt};
  spec.fields = {
      Renamed(Text("system", true), "name"),
      Text("vendor"),
      Choice("kind", false, "reasoning|fast"),
      Real("params_total_b", false, 0, true),
      Real("params_active_b", false, 0, true),
      Field("open_weights", T::kYesNo),
      Text("compute_knob"),
      Text("knob_values"),
      Real("price_in_usd_per_mtok", false, 0),
      Real("price_out_usd_per_mtok", false, 0),
      Text("citation"),
      Real("price_cached_in_usd_per_mtok", false, 0),
  };
  // Then the API fields, optional here: a row that gives any of them gives its API row, checked by that kind's
  // rules (CompanionCells, store/ingest.cpp).
  spec.stored_fields = spec.fields.size();
  spec.companion = &SystemApiFieldsOfSystems();
  for (FieldSpec field : spec.companion->fields) {
    if (SharedWithSystems(field.name)) continue;
    field.required = false;
    field.default_value = {};
    spec.fields.push_back(field);
  }
  return spec;
}

RecordSpec MakeSystemApis() {
  RecordSpec spec{RecordKind::kSystemApis, "system_apis", {}, {0}, {}, std::nullopt};
  spec.fields = {
      Renamed(Text("system", true), "name"),
      Text("vendor"),
      Choice("api", true, "openai|anthropic|gemini|vllm|deepseek"),
      Text("api_model_id", true),
      Choice("thinking", true, "always|optional|none"),
      Choice("knob", true, "none|effort|budget"),
      Text("effort_values"),
      Int("budget_min_tokens", false, 0),
      Int("budget_max_tokens", false, 1),
      Int("max_output_tokens", true, 1),
      Int("n_max", false, 0, "0"),
      Text("reasoning_parser"),
      Text("source"),
  };
  return spec;
}

RecordSpec MakeHardware() {
  RecordSpec spec{RecordKind::kHardware, "hardware", {}, {0}, {}, std::nullopt};
  spec.fields = {
      Renamed(Text("hardware", true), "name"),
      Real("hbm_gib", false, 0, true),
      Real("hbm_tb_per_s", false, 0, true),
      Real("bf16_dense_tflops", false, 0),
      Real("fp8_dense_tflops", false, 0),
      Real("usd_per_hour", false, 0),
      Text("citation"),
      Real("int8_dense_tops", false, 0),
      Real("int4_dense_tops", false, 0),
      Text("same_part_as"),
      Text("note"),
  };
  return spec;
}

RecordSpec MakeModels() {
  RecordSpec spec{RecordKind::kModels, "model_shapes", {}, {0}, {}, std::nullopt};
  spec.fields = {
      Renamed(Text("model", true), "name"),
      Text("hf_id"),
      Real("params_total_b", true, 0, true),
      Real("params_active_b", false, 0, true),
      Int("layers", true, 1),
      Int("hidden", true, 1),
      Int("heads", true, 1),
      Int("kv_heads", true, 1),
      Int("head_dim", false, 1),
      Int("intermediate", false, 0),
      Int("vocab", false, 0),
      Int("n_experts", false, 0),
      Int("experts_per_token", false, 0),
      Choice("weight_precision", true, kWeightPrecisions, "bf16"),
      Choice("kv_precision", true, kKvPrecisions, "bf16"),
      Real("kv_bytes_per_token", false, 0, true),
      Text("citation"),
      Text("note"),
  };
  return spec;
}

RecordSpec MakePrices() {
  RecordSpec spec{RecordKind::kPrices, "system_prices", {}, {0, 1}, {}, std::nullopt};
  spec.fields = {
      Text("system", true),
      Field("effective_from", T::kDate, true),
      Real("price_in_usd_per_mtok", true, 0),
      Real("price_cached_in_usd_per_mtok", false, 0),
      Real("price_out_usd_per_mtok", true, 0),
      Text("citation"),
  };
  spec.parents = {{spec.FieldIndex("system"), "systems"}};
  return spec;
}

// The bound `x` breaks: a ceiling says why it is one.
std::string RangeText(const FieldSpec& field, double x) {
  const std::string low = (field.min_exclusive ? "> " : ">= ") + FormatNumber(field.min);
  if (x > field.max && !field.max_why.empty()) {
    return "must be <= " + FormatNumber(field.max) + " (" + std::string(field.max_why) + ")";
  }
  if (!field.max_why.empty()) return "must be " + low;  // below the floor: the ceiling is beside the point
  if (std::isinf(field.max)) return "must be " + low;
  if (std::isinf(field.min)) return "must be <= " + FormatNumber(field.max);
  return "must be " + low + " and <= " + FormatNumber(field.max);
}

bool InRange(const FieldSpec& field, double x) {
  if (field.min_exclusive ? !(x > field.min) : !(x >= field.min)) return false;
  return x <= field.max;
}

bool IsIsoDate(std::string_view text) {
  auto digits = [&](std::size_t from, std::size_t count, int* out) {
    if (text.size() < from + count) return false;
    const auto [end, ec] = std::from_chars(text.data() + from, text.data() + from + count, *out);
    return ec == std::errc() && end == text.data() + from + count && text[from] != '-' && text[from] != '+';
  };
  int year = 0, month = 0, day = 0;
  if (!digits(0, 4, &year) || text.size() < 10 || text[4] != '-' || text[7] != '-') return false;
  if (!digits(5, 2, &month) || !digits(8, 2, &day)) return false;
  if (month < 1 || month > 12 || day < 1 || day > 31) return false;
  return text.size() == 10 || text[10] == 'T' || text[10] == ' ';
}

// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF). Stored text is written
// out again as JSON, which has no way to carry other bytes.
bool IsUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int more = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      more = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      more = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      more = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (end - p <= more) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (int i = 2; i <= more; ++i) {
      if (p[i] < 0x80 || p[i] > 0xBF) return false;
    }
    p += more + 1;
  }
  return true;
}

using FailFn = std::function<void(std::string_view, const std::string&)>;

double Number(const Value& v) { return v.tag == Value::Tag::kInteger ? static_cast<double>(v.integer) : v.real; }

// n_correct counts problems. A measured or simulated pass@1 run scored each of its s samples per problem right or
// wrong, so n_correct = (correct samples) / s is a multiple of 1/s: 0.8 of a problem from one sample is no count.
// Fractions are meaningful elsewhere and kept: an aggregated figure (cons@k, best@k, pass@k) is usually an
// unbiased estimate from more than k samples per problem (Chen et al. 2021), and a published figure is a
// percentage of n_problems with the report's rounding (74.4% of 30 = 22.32).
void CheckRunCounts(std::string_view source, const Aggregation& aggregation, long samples, double n_correct,
                    const FailFn& fail) {
  if (source == "published" || aggregation.kind != AggregationKind::kPass1) return;
  const double scaled = n_correct * static_cast<double>(samples);
  if (std::abs(scaled - std::round(scaled)) > 1e-6 * std::max(1.0, scaled)) {
    fail("n_correct", "a " + std::string(source) + " pass@1 run over " + std::to_string(samples) +
                          " sample(s) per problem counts correct samples / samples, so n_correct x samples must be "
                          "a whole number (a published percentage takes source=published)");
  }
}

// Fast mode is the model answering without thinking; extended mode thinks. A budget belongs to extended mode, and
// a zero budget is fast mode under another name, so each contradiction is refused with the spelling that works.
void CheckRunMode(std::string_view mode, const Value& budget, const Value& thinking, const FailFn& fail) {
  const bool has_budget = !budget.is_null() && Number(budget) > 0;
  if (mode == "fast" && has_budget) {
    fail("budget_tokens", "fast mode has no thinking, so no thinking budget: leave budget_tokens empty (or 0), or "
                          "set mode=extended");
  }
  if (mode == "extended" && !budget.is_null() && Number(budget) == 0) {
    fail("budget_tokens", "a zero thinking budget turns thinking off: that is mode=fast (or give the budget used)");
  }
  if (mode == "fast" && !thinking.is_null() && Number(thinking) > 0) {
    fail("mean_thinking_tokens", "fast mode has no thinking tokens: its output is all answer (mean_answer_tokens)");
  }
}

// Output is thinking plus answer; where all three are given they must agree (to 1%, or one token, for rounding).
void CheckTokenSplit(const Value& output, const Value& thinking, const Value& answer, const FailFn& fail) {
  if (output.is_null() || thinking.is_null() || answer.is_null()) {
    if (!output.is_null() && !thinking.is_null() && Number(thinking) > Number(output) * (1 + 1e-9)) {
      fail("mean_thinking_tokens", "must be <= mean_output_tokens = " + FormatNumber(Number(output)));
    }
    if (!output.is_null() && !answer.is_null() && Number(answer) > Number(output) * (1 + 1e-9)) {
      fail("mean_answer_tokens", "must be <= mean_output_tokens = " + FormatNumber(Number(output)));
    }
    return;
  }
  const double sum = Number(thinking) + Number(answer);
  if (std::abs(sum - Number(output)) > std::max(1.0, 0.01 * Number(output))) {
    fail("mean_output_tokens", "must equal mean_thinking_tokens + mean_answer_tokens = " + FormatNumber(sum) +
                                   " (to 1%)");
  }
}

}  // namespace

std::string FormatNumber(double value) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc() ? std::string(buffer, end) : std::string("?");
}

int RecordSpec::FieldIndex(std::string_view name) const {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

const RecordSpec& SpecFor(RecordKind kind) {
  static const RecordSpec kRuns = MakeRuns();
  static const RecordSpec kProblems = MakeProblems();
  static const RecordSpec kPerf = MakePerf();
  static const RecordSpec kSystems = MakeSystems();
  static const RecordSpec kHardware = MakeHardware();
  static const RecordSpec kSystemApis = MakeSystemApis();
  static const RecordSpec kModels = MakeModels();
  static const RecordSpec kPrices = MakePrices();
  switch (kind) {
    case RecordKind::kModels: return kModels;
    case RecordKind::kPrices: return kPrices;
    case RecordKind::kRuns: return kRuns;
    case RecordKind::kProblems: return kProblems;
    case RecordKind::kPerf: return kPerf;
    case RecordKind::kSystems: return kSystems;
    case RecordKind::kHardware: return kHardware;
    case RecordKind::kSystemApis: return kSystemApis;
  }
  throw InternalError("unknown record kind");
}

bool CompanionCells(const RecordSpec& spec, std::span<const std::string_view> cells, std::vector<std::string_view>* out) {
  if (spec.companion == nullptr) return false;
  const std::vector<FieldSpec>& fields = spec.companion->fields;
  bool any = false;
  for (const FieldSpec& field : fields) {
    const int index = spec.FieldIndex(field.name);
    if (!SharedWithSystems(field.name) && index >= 0 && !cells[index].empty()) any = true;
  }
  if (!any) return false;
  out->assign(fields.size(), std::string_view());
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const int index = spec.FieldIndex(fields[i].name);
    if (index >= 0) (*out)[i] = cells[index];
  }
  return true;
}

std::optional<RecordKind> DetectKind(std::span<const std::string_view> names) {
  auto has = [&](std::string_view name) { return std::find(names.begin(), names.end(), name) != names.end(); };
  if (has("run_key") && has("n_correct")) return RecordKind::kRuns;
  if (has("run_key") && has("problem_id")) return RecordKind::kProblems;
  if (has("perf_key")) return RecordKind::kPerf;
  if (has("system") && has("api_model_id")) {
    // A systems file may carry its API fields; a field only the systems row has tells it from an API file.
    for (std::string_view own : {"kind", "params_total_b", "params_active_b", "open_weights", "compute_knob",
                                 "knob_values", "price_in_usd_per_mtok", "price_out_usd_per_mtok",
                                 "price_cached_in_usd_per_mtok", "citation"}) {
      if (has(own)) return RecordKind::kSystems;
    }
    return RecordKind::kSystemApis;
  }
  if (has("system") && has("effective_from")) return RecordKind::kPrices;
  if (has("system") && has("vendor")) return RecordKind::kSystems;
  if (has("hardware") && has("hbm_gib")) return RecordKind::kHardware;
  if (has("model") && has("layers")) return RecordKind::kModels;
  return std::nullopt;
}

void RecordParser::Fail(long line, std::string_view field, std::string_view value, const std::string& why) const {
  throw InputError(SourceLocation{file_, line, std::string(field), std::string(value)}, why);
}

Value RecordParser::ParseField(const FieldSpec& field, std::string_view cell, long line, ParsedRow* row) const {
  Value value;
  switch (field.type) {
    case T::kText:
    case T::kDate:
      if (field.type == T::kDate && !IsIsoDate(cell)) {
        Fail(line, field.name, cell, "not an ISO 8601 date (YYYY-MM-DD)");
      }
      if (!IsUtf8(cell)) Fail(line, field.name, cell, "not valid UTF-8 text (save the file as UTF-8)");
      value.tag = Value::Tag::kText;
      value.text = cell;
      return value;
    case T::kInteger: {
      const std::string_view digits = TrimBlanks(cell);
      std::int64_t x = 0;
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), x);
      if (ec == std::errc::result_out_of_range) Fail(line, field.name, cell, "integer out of range");
      if (ec != std::errc() || end != digits.data() + digits.size()) Fail(line, field.name, cell, "not an integer");
      if (!InRange(field, static_cast<double>(x))) Fail(line, field.name, cell, RangeText(field, static_cast<double>(x)));
      value.tag = Value::Tag::kInteger;
      value.integer = x;
      return value;
    }
    case T::kReal: {
      const std::string_view digits = TrimBlanks(cell);
      double x = 0;
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), x);
      if (ec == std::errc::result_out_of_range) Fail(line, field.name, cell, "number out of range");
      if (ec != std::errc() || end != digits.data() + digits.size()) Fail(line, field.name, cell, "not a number");
      if (!std::isfinite(x)) Fail(line, field.name, cell, "not a finite number");
      if (!InRange(field, x)) Fail(line, field.name, cell, RangeText(field, x));
      value.tag = Value::Tag::kReal;
      value.real = x;
      return value;
    }
    case T::kChoice: {
      std::string_view rest = field.choices;
      while (!rest.empty()) {
        const auto bar = rest.find('|');
        const std::string_view choice = rest.substr(0, bar);
        if (choice == cell) {
          value.tag = Value::Tag::kText;
          value.text = choice;  // the spec's copy outlives the record
          return value;
        }
        rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
      }
      Fail(line, field.name, cell, "unknown value; expected one of " + std::string(field.choices));
    }
    case T::kAggregation: {
      const auto aggregation = Aggregation::Parse(cell);
      if (!aggregation) Fail(line, field.name, cell, "unknown aggregation; expected pass@1, cons@k, best@k or pass@k");
      row->aggregation_text = aggregation->ToString();
      value.tag = Value::Tag::kText;
      value.text = row->aggregation_text;
      return value;
    }
    case T::kYesNo:
      value.tag = Value::Tag::kInteger;
      if (cell == "yes" || cell == "true") {
        value.integer = 1;
      } else if (cell == "no" || cell == "false") {
        value.integer = 0;
      } else {
        Fail(line, field.name, cell, "unknown value; expected yes or no");
      }
      return value;
  }
  throw InternalError("unknown field type");
}

void RecordParser::Parse(std::span<const std::string_view> cells, long line, ParsedRow* row) const {
  const auto& fields = spec_.fields;
  row->values.resize(fields.size());
  for (std::size_t i = 0; i < fields.size(); ++i) {
    std::string_view cell = cells[i];
    if (cell.empty()) cell = fields[i].default_value;
    if (cell.empty()) {
      if (fields[i].required) Fail(line, fields[i].name, cell, "required field is missing or empty");
      row->values[i] = Value{};
      continue;
    }
    row->values[i] = ParseField(fields[i], cell, line, row);
  }
  CheckRecord(cells, line, *row);
}

void RecordParser::CheckRecord(std::span<const std::string_view> cells, long line, const ParsedRow& row) const {
  auto index = [&](std::string_view name) { return static_cast<std::size_t>(spec_.FieldIndex(name)); };
  auto get = [&](std::string_view name) -> const Value& { return row.values[index(name)]; };
  auto number = [&](std::string_view name) {
    const Value& v = get(name);
    return v.tag == Value::Tag::kInteger ? static_cast<double>(v.integer) : v.real;
  };
  auto fail = [&](std::string_view name, const std::string& why) { Fail(line, name, cells[index(name)], why); };
  // `small` must not exceed `large` when both are given.
  auto ordered = [&](std::string_view small, std::string_view large) {
    if (!get(small).is_null() && !get(large).is_null() && number(small) > number(large)) {
      fail(small, "must be <= " + std::string(large) + " = " + FormatNumber(number(large)));
    }
  };
  auto required_if = [&](std::string_view name, std::string_view phase) {
    if (get(name).is_null()) fail(name, "required when phase is " + std::string(phase));
  };

  switch (spec_.kind) {
    case RecordKind::kRuns: {
      ordered("n_correct", "n_problems");
      ordered("latency_p50_s", "latency_p95_s");
      const auto aggregation = Aggregation::Parse(get("aggregation").text);
      const long samples = static_cast<long>(get("samples").integer);
      if (aggregation->kind != AggregationKind::kPass1 && aggregation->k != samples) {
        fail("aggregation", "k = " + std::to_string(aggregation->k) + " must equal samples = " +
                                std::to_string(samples));
      }
      CheckRunCounts(get("source").text, *aggregation, samples, number("n_correct"), fail);
      CheckRunMode(get("mode").text, get("budget_tokens"), get("mean_thinking_tokens"), fail);
      CheckTokenSplit(get("mean_output_tokens"), get("mean_thinking_tokens"), get("mean_answer_tokens"), fail);
      break;
    }
    case RecordKind::kProblems:
      ordered("correct", "samples");
      break;
    case RecordKind::kPerf: {
      ordered("active_params_b", "params_b");
      ordered("kv_heads", "heads");
      const std::string_view phase = get("phase").text;
      if (phase == "e2e") {
        required_if("latency_s", phase);
        required_if("output_len", phase);
      } else {
        required_if("step_ms", phase);
      }
      break;
    }
    case RecordKind::kSystems:
      ordered("params_active_b", "params_total_b");
      ordered("price_cached_in_usd_per_mtok", "price_in_usd_per_mtok");
      break;
    case RecordKind::kHardware:
      break;
    case RecordKind::kModels: {
      ordered("params_active_b", "params_total_b");
      ordered("kv_heads", "heads");
      ordered("experts_per_token", "n_experts");
      if (get("heads").integer % get("kv_heads").integer != 0) fail("kv_heads", "must divide heads (grouped-query attention)");
      const bool experts = !get("n_experts").is_null() && get("n_experts").integer > 0;
      const bool per_token = !get("experts_per_token").is_null() && get("experts_per_token").integer > 0;
      if (experts != per_token) fail("experts_per_token", "n_experts and experts_per_token go together");
      if (experts && (get("params_active_b").is_null() || !(number("params_active_b") < number("params_total_b")))) {
        fail("params_active_b", "a mixture-of-experts model has fewer active than total parameters");
      }
      break;
    }
    case RecordKind::kPrices:
      ordered("price_cached_in_usd_per_mtok", "price_in_usd_per_mtok");
      break;
    case RecordKind::kSystemApis: {
      ordered("budget_min_tokens", "budget_max_tokens");
      ordered("budget_max_tokens", "max_output_tokens");
      const std::string_view knob = get("knob").text;
      if (knob == "effort" && get("effort_values").is_null()) fail("effort_values", "required when knob is effort");
      if (knob == "budget" && get("budget_max_tokens").is_null()) {
        fail("budget_max_tokens", "required when knob is budget");
      }
      break;
    }
  }
}

}  // namespace thinkplan::store
