#include "thinkplan_harness/model_shape.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

namespace thinkplan::harness {
namespace {

// A copy of core/text.h's Lower: the harness is a standalone CUDA project and cannot link thinkplan_core.
std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string Trim(std::string_view text) {
  std::size_t begin = 0, end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return std::string(text.substr(begin, end - begin));
}

// Splits one CSV record (RFC 4180 quoting). Returns false while a quoted field is still open at the end of
// `text`, so that the caller can append the next physical line.
bool SplitCsv(const std::string& text, std::vector<std::string>* fields) {
  fields->assign(1, "");
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        fields->back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields->back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields->emplace_back();
    } else if (c != '\r') {
      fields->back() += c;
    }
  }
  return !quoted;
}

std::string Where(const std::string& file, long line, std::string_view field, std::string_view value) {
  std::ostringstream out;
  out << file << ":" << line << ": field '" << field << "' = '" << value << "'";
  return out.str();
}

double ParseNumber(const std::string& text, const std::string& where) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) {
    throw HarnessError(where + ": not a number");
  }
  return value;
}

long ParseCount(const std::string& text, const std::string& where) {
  const double value = ParseNumber(text, where);
  if (value < 0 || value != std::floor(value) || value > 1e12) {
    throw HarnessError(where + ": not a whole number >= 0");
  }
  return static_cast<long>(value);
}

// Sets one named shape field from text. Returns false for names that are not shape fields.
bool SetShapeField(ModelShape* shape, const std::string& name, const std::string& value, const std::string& where) {
  static const std::map<std::string, long ModelShape::*> kCounts = {
      {"layers", &ModelShape::layers},   {"hidden", &ModelShape::hidden},
      {"heads", &ModelShape::heads},     {"kv_heads", &ModelShape::kv_heads},
      {"head_dim", &ModelShape::head_dim}, {"intermediate", &ModelShape::intermediate},
      {"vocab", &ModelShape::vocab}};
  if (const auto it = kCounts.find(name); it != kCounts.end()) {
    shape->*(it->second) = ParseCount(value, where);
    return true;
  }
  if (name == "dtype_bytes") {
    const long bytes = ParseCount(value, where);
    if (bytes != 1 && bytes != 2 && bytes != 4) throw HarnessError(where + ": dtype_bytes must be 1, 2 or 4");
    shape->dtype_bytes = static_cast<int>(bytes);
    return true;
  }
  if (name == "params_total_b" || name == "params_b") {
    shape->params_total_b = ParseNumber(value, where);
    return true;
  }
  if (name == "params_active_b" || name == "active_params_b") {
    shape->params_active_b = ParseNumber(value, where);
    return true;
  }
  return false;
}

void FillDefaults(ModelShape* shape) {
  if (shape->kv_heads == 0) shape->kv_heads = shape->heads;
  if (shape->head_dim == 0 && shape->heads > 0) shape->head_dim = shape->hidden / shape->heads;
}

}  // namespace

bool ModelShape::IsValid(std::string* error) const {
  const auto fail = [&](const std::string& why) {
    if (error) *error = "model '" + name + "': " + why;
    return false;
  };
  if (name.empty()) return fail("no name");
  if (layers < 1 || hidden < 1 || heads < 1 || kv_heads < 1 || head_dim < 1 || intermediate < 1) {
    return fail("layers, hidden, heads, kv_heads, head_dim and intermediate must all be >= 1");
  }
  if (heads % kv_heads != 0) return fail("heads must be a multiple of kv_heads");
  if (vocab < 0) return fail("vocab must be >= 0");
  if (dtype_bytes != 1 && dtype_bytes != 2 && dtype_bytes != 4) return fail("dtype_bytes must be 1, 2 or 4");
  return true;
}

double ModelShape::LayerParams() const {
  const double h = static_cast<double>(hidden);
  return h * qkv_width() + static_cast<double>(q_width()) * h + 3.0 * h * static_cast<double>(mlp());
}

double ModelShape::ShapeParams() const { return layers * LayerParams() + 2.0 * LmHeadParams(); }

std::string ModelShape::dtype() const {
  switch (dtype_bytes) {
    case 1: return "fp8";
    case 4: return "fp32";
    default: return "bf16";
  }
}

void ResolveMlpWidth(ModelShape* shape) {
  shape->mlp_width = shape->intermediate;
  const std::optional<double> target_b = shape->params_active_b ? shape->params_active_b : shape->params_total_b;
  if (!target_b || *target_b <= 0 || shape->layers < 1) return;
  const double implied = shape->ShapeParams();
  const double target = *target_b * 1e9;
  if (std::abs(implied - target) <= 0.2 * target) return;
  const double h = static_cast<double>(shape->hidden);
  const double attention = h * shape->qkv_width() + static_cast<double>(shape->q_width()) * h;
  const double per_layer = (target - 2.0 * shape->LmHeadParams()) / shape->layers;
  const double width = (per_layer - attention) / (3.0 * h);
  if (width < 64) return;  // the target cannot be met by the MLP alone: keep the shape as given
  shape->mlp_width = std::max<long>(64, std::lround(width / 64.0) * 64);
  std::ostringstream note;
  note << "MLP width " << shape->mlp_width << " instead of " << shape->intermediate << " so that the dense step reads "
       << *target_b << "B active parameters (the shape alone implies " << implied / 1e9 << "B)";
  shape->note = note.str();
}

std::vector<ModelShape> ReadModelCatalogue(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw HarnessError(path + ": cannot open the model catalogue");
  std::string line;
  long line_number = 0;
  std::vector<std::string> header;
  std::vector<std::string> fields;
  std::vector<ModelShape> shapes;
  while (std::getline(in, line)) {
    ++line_number;
    const long record_line = line_number;
    std::string record = line;
    while (!SplitCsv(record, &fields)) {
      if (!std::getline(in, line)) throw HarnessError(path + ":" + std::to_string(record_line) + ": unclosed quote");
      ++line_number;
      record += "\n" + line;
    }
    if (Trim(record).empty()) continue;
    if (header.empty()) {
      for (const std::string& field : fields) header.push_back(Lower(Trim(field)));
      if (std::find(header.begin(), header.end(), "model") == header.end()) {
        throw HarnessError(path + ":1: no 'model' column in the header");
      }
      continue;
    }
    ModelShape shape;
    for (std::size_t i = 0; i < header.size() && i < fields.size(); ++i) {
      const std::string value = Trim(fields[i]);
      if (header[i] == "model") {
        shape.name = value;
      } else if (!value.empty()) {
        SetShapeField(&shape, header[i], value, Where(path, record_line, header[i], value));
      }
    }
    if (shape.name.empty()) continue;
    FillDefaults(&shape);
    if (!shape.IsValid(nullptr)) continue;  // a catalogue row without a complete shape: nothing to run
    ResolveMlpWidth(&shape);
    shapes.push_back(shape);
  }
  return shapes;
}

ModelShape ParseShapeSpec(const std::string& spec) {
  const auto colon = spec.find(':');
  if (colon == std::string::npos || colon == 0) {
    throw HarnessError("--shape '" + spec + "': expected NAME:layers=..,hidden=..,heads=..,intermediate=..");
  }
  ModelShape shape;
  shape.name = Trim(spec.substr(0, colon));
  std::istringstream parts(spec.substr(colon + 1));
  std::string part;
  while (std::getline(parts, part, ',')) {
    const auto equals = part.find('=');
    const std::string key = Lower(Trim(part.substr(0, equals)));
    const std::string value = equals == std::string::npos ? "" : Trim(part.substr(equals + 1));
    const std::string where = "--shape '" + shape.name + "': field '" + key + "' = '" + value + "'";
    if (value.empty()) throw HarnessError(where + ": expected key=value");
    if (!SetShapeField(&shape, key, value, where)) throw HarnessError(where + ": unknown field");
  }
  FillDefaults(&shape);
  if (std::string error; !shape.IsValid(&error)) throw HarnessError("--shape: " + error);
  ResolveMlpWidth(&shape);
  return shape;
}

const std::vector<ModelShape>& BuiltinShapes() {
  static const std::vector<ModelShape> kShapes = [] {
    // Values from each model's published config.json (see data/models/models.csv for the sources).
    std::vector<ModelShape> shapes = {
        {"Llama-3.1-8B", 32, 4096, 32, 8, 128, 14336, 128256, 2, 8.03, 8.03, 0, ""},
        {"Qwen2.5-32B", 64, 5120, 40, 8, 128, 27648, 152064, 2, 32.76, 32.76, 0, ""},
        {"Llama-3.1-70B", 80, 8192, 64, 8, 128, 28672, 128256, 2, 70.55, 70.55, 0, ""},
        // Small enough that the CPU path times a step in milliseconds.
        {"tiny-cpu", 4, 512, 8, 2, 64, 1536, 8192, 4, std::nullopt, std::nullopt, 0, ""},
    };
    for (ModelShape& shape : shapes) ResolveMlpWidth(&shape);
    return shapes;
  }();
  return kShapes;
}

std::vector<ModelShape> ResolveModels(const std::vector<std::string>& names,
                                      const std::vector<ModelShape>& catalogue) {
  std::vector<ModelShape> resolved;
  for (const std::string& name : names) {
    const auto matches = [&](const ModelShape& shape) { return Lower(shape.name) == Lower(Trim(name)); };
    auto it = std::find_if(catalogue.begin(), catalogue.end(), matches);
    if (it != catalogue.end()) {
      resolved.push_back(*it);
      continue;
    }
    const auto& builtins = BuiltinShapes();
    it = std::find_if(builtins.begin(), builtins.end(), matches);
    if (it != builtins.end()) {
      resolved.push_back(*it);
      continue;
    }
    std::string known;
    for (const auto* list : {&catalogue, &builtins}) {
      for (const ModelShape& shape : *list) known += (known.empty() ? "" : ", ") + shape.name;
    }
    throw HarnessError("model '" + name + "' has no shape in the catalogue or among the built-in shapes (known: " +
                       known + ")");
  }
  return resolved;
}

const char* ToString(Phase phase) { return phase == Phase::kDecode ? "decode" : "prefill"; }

StepCost DecodeStepCost(const ModelShape& s, long layers_run, long batch, long context) {
  const double db = s.dtype_bytes;
  const double t = static_cast<double>(batch);
  const double h = static_cast<double>(s.hidden);
  const double mlp = static_cast<double>(s.mlp());
  StepCost cost;
  const double layers = static_cast<double>(layers_run);
  cost.weight_bytes = db * (layers * s.LayerParams() + s.LmHeadParams());
  cost.kv_bytes = layers * t * static_cast<double>(context) * s.KvBytesPerTokenPerLayer();
  // Per layer: QKV product (x in, qkv out), the new K and V written to the cache, attention (q in, out out),
  // output product, gate+up product, activation (2 m in, m out), down product; then the LM head.
  const double per_layer_values = (h + s.qkv_width()) + 2.0 * s.kv_heads * s.head_dim + 2.0 * s.q_width() +
                                  (s.q_width() + h) + (h + 2 * mlp) + 3 * mlp + (mlp + h);
  cost.activation_bytes = db * t * (layers * per_layer_values + (s.vocab > 0 ? h + s.vocab : 0));
  cost.matrix_flops = 2.0 * t * (layers * s.LayerParams() + s.LmHeadParams());
  cost.attention_flops = layers * 4.0 * t * s.heads * s.head_dim * static_cast<double>(context);
  return cost;
}

StepCost PrefillStepCost(const ModelShape& s, long layers_run, long batch, long context) {
  StepCost cost = DecodeStepCost(s, layers_run, batch * context, 0);
  const double db = s.dtype_bytes;
  const double layers = static_cast<double>(layers_run);
  const double b = static_cast<double>(batch);
  const double n = static_cast<double>(context);
  const double h = static_cast<double>(s.hidden);
  // Logits only for the last token of each sequence: replace the LM head terms counted for every token.
  const double head_values = s.vocab > 0 ? h + s.vocab : 0;
  cost.activation_bytes -= db * (b * n - b) * head_values;
  cost.matrix_flops -= 2.0 * (b * n - b) * s.LmHeadParams();
  // The cache is written by the append (counted in the activations) and read once by attention.
  cost.kv_bytes = layers * b * n * s.KvBytesPerTokenPerLayer();
  cost.attention_flops = layers * 4.0 * b * s.heads * s.head_dim * (n * (n + 1) / 2.0);
  return cost;
}

StepCost StepCostFor(Phase phase, const ModelShape& shape, long layers_run, long batch, long context) {
  return phase == Phase::kDecode ? DecodeStepCost(shape, layers_run, batch, context)
                                 : PrefillStepCost(shape, layers_run, batch, context);
}

}  // namespace thinkplan::harness
