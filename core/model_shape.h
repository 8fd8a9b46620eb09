// Transformer shapes for the GPU cost model (docs/design.md section 3.5): the architecture facts that decide how many
// bytes and FLOPs a token costs, and the catalogue files they are read from (data/models/models.csv, and the
// hardware and system catalogues under data/published/).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/precision.h"
#include "core/run.h"

namespace thinkplan {

struct ModelShape {
  std::string name;   // catalogue name, e.g. "Llama-3.1-8B"
  std::string hf_id;  // Hugging Face repository id, e.g. "meta-llama/Llama-3.1-8B"
  double params_total = 0;   // parameters (not billions); every expert counts
  double params_active = 0;  // parameters used per token (MoE: shared + routed experts actually chosen)
  long layers = 0;
  long hidden = 0;
  long heads = 0;     // query heads
  long kv_heads = 0;  // key/value heads (GQA); equal to heads for multi-head attention
  long head_dim = 0;
  long intermediate = 0;
  long vocab = 0;
  long n_experts = 0;          // routed experts per MoE layer; 0 for a dense model
  long experts_per_token = 0;  // routed experts each token uses
  std::string dtype;           // weights as the source names them: bf16, fp16, fp8, int8, int4
  double dtype_bytes = 2;      // bytes per weight (BytesPerValue(weight_precision); set by SetPrecision)
  double kv_dtype_bytes = 2;   // bytes per cached key/value element
  Precision weight_precision = Precision::kBf16;
  Precision kv_precision = Precision::kBf16;
  // Set where the cache is not 2 x kv_heads x head_dim per layer (DeepSeek MLA caches a compressed latent).
  std::optional<double> kv_bytes_per_token_override;
  std::string citation;
  std::string note;

  bool IsMoe() const { return n_experts > 0 && experts_per_token > 0; }
  // Serves the same architecture at other precisions: sets the precisions and their bytes, and scales an
  // overridden KV size by the ratio of KV bytes (an MLA latent is quantised like any cache).
  void SetPrecision(Precision weights, Precision kv);
  // 2 (key and value) x layers x kv_heads x head_dim x kv_dtype_bytes, unless overridden.
  double KvBytesPerToken() const;
  // Every weight resident in memory: params_total x dtype_bytes.
  double WeightBytes() const;
  // Weight bytes one forward pass reads when it processes `tokens` tokens together. Dense: all of them. MoE: the
  // shared part plus each expert that at least one token is routed to, assuming uniform routing, so
  // E x (1 - (1 - k/E)^tokens) experts per layer: the active parameters at one token, nearly all at many.
  double WeightBytesRead(double tokens) const;
  // FLOPs of attention per token per token already in its context: QK^T and PV, 2 FLOPs per multiply-add,
  // 4 x layers x heads x head_dim.
  double AttentionFlopsPerContextToken() const;
  // Layer count, head counts, dimensions positive, kv_heads dividing heads, active <= total.
  bool IsValid(std::string* error) const;
};

// One data row of a CSV file, with its cells addressed by column name. The getters throw InputError naming the
// file, line and field for a missing required cell or a malformed number.
class CsvRow {
 public:
  CsvRow(const std::string* file, long line, const std::map<std::string, std::string>* cells)
      : file_(file), line_(line), cells_(cells) {}
  long line() const { return line_; }
  bool Has(const std::string& field) const;  // the column exists and the cell is non-empty
  std::string Text(const std::string& field) const;  // empty when absent
  std::string RequiredText(const std::string& field) const;
  std::optional<double> OptionalNumber(const std::string& field) const;
  double Number(const std::string& field) const;
  std::optional<long> OptionalInteger(const std::string& field) const;
  long Integer(const std::string& field) const;
  [[noreturn]] void Fail(const std::string& field, const std::string& reason) const;

 private:
  const std::string* file_;
  long line_;
  const std::map<std::string, std::string>* cells_;
};

// A whole CSV file with a header row (RFC 4180 quoting; blank lines skipped). Throws InputError when the file
// cannot be read or a row has more cells than the header.
class CsvTable {
 public:
  static CsvTable Read(const std::filesystem::path& path);
  const std::vector<std::string>& header() const { return header_; }
  bool HasColumn(std::string_view name) const;
  size_t size() const { return rows_.size(); }
  CsvRow row(size_t i) const { return CsvRow(&file_, lines_[i], &rows_[i]); }

 private:
  std::string file_;
  std::vector<std::string> header_;
  std::vector<std::map<std::string, std::string>> rows_;
  std::vector<long> lines_;
};

// The model-shape catalogue (data/models/models.csv).
class ModelCatalogue {
 public:
  // Throws InputError naming file, line and field for a malformed or inconsistent row or a duplicate name.
  static ModelCatalogue Load(const std::filesystem::path& csv_path);
  // By catalogue name, Hugging Face id, or the id's part after the slash; case-insensitive. nullptr if unknown.
  const ModelShape* Find(std::string_view name) const;
  const std::vector<ModelShape>& shapes() const { return shapes_; }
  void Add(ModelShape shape) { shapes_.push_back(std::move(shape)); }

 private:
  std::vector<ModelShape> shapes_;
};

// The hardware catalogue (data/published/hardware.csv; column `hardware` + `hbm_gib`).
std::vector<HardwareInfo> LoadHardwareCatalogue(const std::filesystem::path& csv_path);
// The system catalogue (data/published/systems.csv; column `system` + `vendor`).
std::vector<SystemInfo> LoadSystemCatalogue(const std::filesystem::path& csv_path);

// Names among `candidates` closest to `typed` (case-insensitive edit distance, substring matches first), at most
// `max_count`, for "did you mean" messages.
std::vector<std::string> ClosestNames(std::string_view typed, const std::vector<std::string>& candidates,
                                      size_t max_count = 3);

}  // namespace thinkplan
