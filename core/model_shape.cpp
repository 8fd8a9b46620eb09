#include "core/model_shape.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "core/csv_reader.h"
#include "core/errors.h"
#include "core/text.h"

namespace thinkplan {
namespace {

std::string Trim(std::string_view text) {
  size_t begin = 0, end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return std::string(text.substr(begin, end - begin));
}


size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

// "yes"/"no" and the usual spellings of both.
std::optional<bool> ParseYesNo(const std::string& text) {
  const std::string t = Lower(text);
  if (t == "yes" || t == "true" || t == "1") return true;
  if (t == "no" || t == "false" || t == "0") return false;
  return std::nullopt;
}

std::optional<Precision> PrecisionCell(const CsvRow& row, const std::string& field, std::string_view allowed) {
  if (!row.Has(field)) return std::nullopt;
  const std::optional<Precision> p = ParsePrecision(row.Text(field));
  if (!p || (allowed == kKvPrecisions && !IsKvPrecision(*p))) row.Fail(field, "expected one of " + std::string(allowed));
  return p;
}

// weight_precision / kv_precision (the catalogue's columns); older files give dtype and dtype_bytes instead.
void ReadPrecisions(const CsvRow& row, ModelShape* s) {
  if (const auto weights = PrecisionCell(row, "weight_precision", kWeightPrecisions)) {
    s->SetPrecision(*weights, PrecisionCell(row, "kv_precision", kKvPrecisions).value_or(Precision::kBf16));
    return;
  }
  s->dtype = row.Text("dtype");
  s->dtype_bytes = row.Number("dtype_bytes");
  s->kv_dtype_bytes = row.OptionalNumber("kv_dtype_bytes").value_or(s->dtype_bytes);
  s->weight_precision = ParsePrecision(s->dtype).value_or(s->dtype_bytes <= 1 ? Precision::kFp8 : Precision::kBf16);
  s->kv_precision = s->kv_dtype_bytes <= 1 ? Precision::kFp8 : Precision::kBf16;
}

ModelShape ParseShape(const CsvRow& row) {
  ModelShape s;
  s.name = row.RequiredText("model");
  s.hf_id = row.Text("hf_id");
  s.params_total = row.Number("params_total_b") * 1e9;
  s.params_active = row.OptionalNumber("params_active_b").value_or(row.Number("params_total_b")) * 1e9;
  s.layers = row.Integer("layers");
  s.hidden = row.Integer("hidden");
  s.heads = row.Integer("heads");
  s.kv_heads = row.Integer("kv_heads");
  s.head_dim = row.OptionalInteger("head_dim").value_or(s.heads > 0 ? s.hidden / s.heads : 0);
  s.intermediate = row.OptionalInteger("intermediate").value_or(0);
  s.vocab = row.OptionalInteger("vocab").value_or(0);
  s.n_experts = row.OptionalInteger("n_experts").value_or(0);
  s.experts_per_token = row.OptionalInteger("experts_per_token").value_or(0);
  ReadPrecisions(row, &s);
  s.kv_bytes_per_token_override = row.OptionalNumber("kv_bytes_per_token");
  s.citation = row.Text("citation");
  s.note = row.Text("note");
  std::string error;
  if (!s.IsValid(&error)) row.Fail("model", error);
  return s;
}

}  // namespace

double ModelShape::KvBytesPerToken() const {
  if (kv_bytes_per_token_override) return *kv_bytes_per_token_override;
  return 2.0 * static_cast<double>(layers) * static_cast<double>(kv_heads) * static_cast<double>(head_dim) *
         kv_dtype_bytes;
}

void ModelShape::SetPrecision(Precision weights, Precision kv) {
  const double old_kv_bytes = kv_dtype_bytes;
  weight_precision = weights;
  kv_precision = kv;
  dtype = std::string(ToString(weights));
  dtype_bytes = BytesPerValue(weights);
  kv_dtype_bytes = BytesPerValue(kv);
  if (kv_bytes_per_token_override && old_kv_bytes > 0) *kv_bytes_per_token_override *= kv_dtype_bytes / old_kv_bytes;
}

double ModelShape::WeightBytes() const { return params_total * dtype_bytes; }

double ModelShape::WeightBytesRead(double tokens) const {
  if (!IsMoe() || tokens <= 0) return WeightBytes();
  const double e = static_cast<double>(n_experts), k = static_cast<double>(experts_per_token);
  // total = shared + E x expert and active = shared + k x expert give the size of one expert (all layers).
  const double expert = (params_total - params_active) / (e - k);
  const double shared = params_total - e * expert;
  const double experts_touched = e * (1.0 - std::pow(1.0 - k / e, tokens));
  return (shared + experts_touched * expert) * dtype_bytes;
}

double ModelShape::AttentionFlopsPerContextToken() const {
  return 4.0 * static_cast<double>(layers) * static_cast<double>(heads) * static_cast<double>(head_dim);
}

bool ModelShape::IsValid(std::string* error) const {
  auto fail = [&](const std::string& why) {
    if (error) *error = why;
    return false;
  };
  if (name.empty()) return fail("empty model name");
  if (!(params_total > 0)) return fail("params_total_b must be positive");
  if (!(params_active > 0) || params_active > params_total * (1 + 1e-9))
    return fail("params_active_b must be positive and at most params_total_b");
  if (layers <= 0 || hidden <= 0 || heads <= 0 || kv_heads <= 0 || head_dim <= 0)
    return fail("layers, hidden, heads, kv_heads and head_dim must be positive");
  if (heads % kv_heads != 0) return fail("kv_heads must divide heads (grouped-query attention)");
  if (!(dtype_bytes > 0) || !(kv_dtype_bytes > 0)) return fail("dtype_bytes and kv_dtype_bytes must be positive");
  if (kv_bytes_per_token_override && !(*kv_bytes_per_token_override > 0))
    return fail("kv_bytes_per_token must be positive");
  if ((n_experts > 0) != (experts_per_token > 0) || experts_per_token > n_experts)
    return fail("n_experts and experts_per_token go together, with experts_per_token <= n_experts");
  if (IsMoe() && !(params_active < params_total)) return fail("a MoE model has fewer active than total parameters");
  return true;
}

// ---- CSV rows ----

bool CsvRow::Has(const std::string& field) const {
  auto it = cells_->find(field);
  return it != cells_->end() && !it->second.empty();
}

std::string CsvRow::Text(const std::string& field) const {
  auto it = cells_->find(field);
  return it == cells_->end() ? std::string() : it->second;
}

std::string CsvRow::RequiredText(const std::string& field) const {
  if (!Has(field)) Fail(field, "required value is missing");
  return Text(field);
}

void CsvRow::Fail(const std::string& field, const std::string& reason) const {
  throw InputError(SourceLocation{*file_, line_, field, Text(field)}, reason);
}

std::optional<double> CsvRow::OptionalNumber(const std::string& field) const {
  if (!Has(field)) return std::nullopt;
  const std::string text = Text(field);
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) Fail(field, "not a number");
  return value;
}

double CsvRow::Number(const std::string& field) const {
  if (!Has(field)) Fail(field, "required value is missing");
  return *OptionalNumber(field);
}

std::optional<long> CsvRow::OptionalInteger(const std::string& field) const {
  if (!Has(field)) return std::nullopt;
  const std::string text = Text(field);
  long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) Fail(field, "not an integer");
  return value;
}

long CsvRow::Integer(const std::string& field) const {
  if (!Has(field)) Fail(field, "required value is missing");
  return *OptionalInteger(field);
}

// ---- CSV tables ----

CsvTable CsvTable::Read(const std::filesystem::path& path) {
  CsvTable table;
  table.file_ = path.string();
  CsvReader reader(path, table.file_);
  if (!reader.Next()) throw InputError(SourceLocation{table.file_, 0, "", ""}, "empty file: no header row");
  for (const std::string_view name : reader.fields()) table.header_.push_back(Trim(name));
  reader.set_field_names(table.header_);
  while (reader.Next()) {
    const std::vector<std::string_view> fields = reader.fields();
    // A row of blank cells (a spreadsheet's trailing ",,,") carries nothing.
    if (std::all_of(fields.begin(), fields.end(), [](std::string_view f) { return Trim(f).empty(); })) continue;
    if (fields.size() > table.header_.size()) {
      throw InputError(SourceLocation{table.file_, reader.line(), "", ""},
                       "row has " + std::to_string(fields.size()) + " cells but the header has " +
                           std::to_string(table.header_.size()));
    }
    std::map<std::string, std::string> cells;
    for (size_t c = 0; c < fields.size(); ++c) cells[table.header_[c]] = Trim(fields[c]);
    table.rows_.push_back(std::move(cells));
    table.lines_.push_back(reader.line());
  }
  return table;
}

bool CsvTable::HasColumn(std::string_view name) const {
  return std::find(header_.begin(), header_.end(), name) != header_.end();
}

// ---- catalogues ----

ModelCatalogue ModelCatalogue::Load(const std::filesystem::path& csv_path) {
  const CsvTable table = CsvTable::Read(csv_path);
  for (const char* column : {"model", "params_total_b", "layers", "hidden", "heads", "kv_heads"}) {
    if (!table.HasColumn(column)) {
      throw InputError(SourceLocation{csv_path.string(), 1, column, ""}, "required column is missing");
    }
  }
  ModelCatalogue catalogue;
  for (size_t i = 0; i < table.size(); ++i) {
    const CsvRow row = table.row(i);
    ModelShape shape = ParseShape(row);
    if (catalogue.Find(shape.name) != nullptr) row.Fail("model", "duplicate model name");
    catalogue.shapes_.push_back(std::move(shape));
  }
  return catalogue;
}

const ModelShape* ModelCatalogue::Find(std::string_view name) const {
  const std::string wanted = Lower(name);
  for (const ModelShape& s : shapes_) {
    if (Lower(s.name) == wanted || (!s.hf_id.empty() && Lower(s.hf_id) == wanted)) return &s;
  }
  for (const ModelShape& s : shapes_) {
    const size_t slash = s.hf_id.find('/');
    if (slash != std::string::npos && Lower(s.hf_id.substr(slash + 1)) == wanted) return &s;
  }
  return nullptr;
}

std::vector<HardwareInfo> LoadHardwareCatalogue(const std::filesystem::path& csv_path) {
  const CsvTable table = CsvTable::Read(csv_path);
  std::vector<HardwareInfo> out;
  for (size_t i = 0; i < table.size(); ++i) {
    const CsvRow row = table.row(i);
    HardwareInfo h;
    h.name = row.RequiredText("hardware");
    h.hbm_gib = row.OptionalNumber("hbm_gib");
    h.hbm_tb_per_s = row.OptionalNumber("hbm_tb_per_s");
    h.bf16_dense_tflops = row.OptionalNumber("bf16_dense_tflops");
    h.fp8_dense_tflops = row.OptionalNumber("fp8_dense_tflops");
    h.int8_dense_tops = row.OptionalNumber("int8_dense_tops");
    h.int4_dense_tops = row.OptionalNumber("int4_dense_tops");
    h.usd_per_hour = row.OptionalNumber("usd_per_hour");
    h.citation = row.Has("citation") ? row.Text("citation") : row.Text("source");
    if (row.Has("same_part_as")) h.same_part_as = row.Text("same_part_as");
    if (row.Has("note")) h.note = row.Text("note");
    out.push_back(std::move(h));
  }
  return out;
}

std::vector<SystemInfo> LoadSystemCatalogue(const std::filesystem::path& csv_path) {
  const CsvTable table = CsvTable::Read(csv_path);
  std::vector<SystemInfo> out;
  for (size_t i = 0; i < table.size(); ++i) {
    const CsvRow row = table.row(i);
    SystemInfo s;
    s.name = row.RequiredText("system");
    s.vendor = row.Text("vendor");
    s.kind = row.Text("kind");
    s.params_total_b = row.OptionalNumber("params_total_b");
    s.params_active_b = row.OptionalNumber("params_active_b");
    if (row.Has("open_weights")) {
      const std::optional<bool> open = ParseYesNo(row.Text("open_weights"));
      if (!open) row.Fail("open_weights", "expected yes or no");
      s.open_weights = *open;
    }
    s.compute_knob = row.Text("compute_knob");
    s.knob_values = row.Text("knob_values");
    s.price_in_usd_per_mtok = row.OptionalNumber("price_in_usd_per_mtok");
    s.price_out_usd_per_mtok = row.OptionalNumber("price_out_usd_per_mtok");
    s.citation = row.Has("citation") ? row.Text("citation") : row.Text("source");
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::string> ClosestNames(std::string_view typed, const std::vector<std::string>& candidates,
                                      size_t max_count) {
  const std::string wanted = Lower(typed);
  std::vector<std::pair<size_t, std::string>> scored;
  for (const std::string& c : candidates) {
    const std::string lower = Lower(c);
    // A substring hit ("h100" in "h100-sxm-80gb") ranks ahead of every edit-distance guess.
    const size_t score = (!wanted.empty() && lower.find(wanted) != std::string::npos) ? 0
                                                                                       : 1 + EditDistance(wanted, lower);
    if (score <= std::max<size_t>(2, wanted.size() / 2)) scored.emplace_back(score, c);
  }
  std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && out.size() < max_count; ++i) out.push_back(scored[i].second);
  return out;
}

}  // namespace thinkplan
