// Transformer shapes the harness times, and what one decode or prefill step of such a shape has to move through
// memory and compute: the two numbers every measured step time is compared against.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace thinkplan::harness {

// Any problem with the harness's input (catalogue, flags, shapes). The message names where it is.
class HarnessError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A dense decoder-only transformer: attention with grouped KV heads, a gated MLP (gate, up, down) and an
// untied LM head. Norms, rotary embeddings and residual adds are left out: they move a few activation vectors
// per layer, nothing next to the weights and the KV cache.
struct ModelShape {
  std::string name;
  long layers = 0;
  long hidden = 0;
  long heads = 0;
  long kv_heads = 0;
  long head_dim = 0;
  long intermediate = 0;
  long vocab = 0;       // 0: no LM head is timed
  int dtype_bytes = 2;  // bytes per weight and KV value: 2 (bf16) on the GPU, 4 (fp32) on the CPU path
  std::optional<double> params_total_b;
  std::optional<double> params_active_b;
  // MLP width actually run. Equals `intermediate` for dense models; for mixtures of experts it is the dense
  // width whose parameters match the active parameter count (see ResolveMlpWidth).
  long mlp_width = 0;
  std::string note;  // how the shape was adapted, if it was

  bool IsValid(std::string* error) const;
  long group() const { return heads / kv_heads; }
  long q_width() const { return heads * head_dim; }
  long qkv_width() const { return (heads + 2 * kv_heads) * head_dim; }
  long mlp() const { return mlp_width > 0 ? mlp_width : intermediate; }
  // Matrix parameters of one layer: QKV, attention output, gate+up, down.
  double LayerParams() const;
  double LmHeadParams() const { return static_cast<double>(hidden) * vocab; }
  // What the shape implies for the whole model: layers, LM head and an untied embedding table.
  double ShapeParams() const;
  double KvBytesPerTokenPerLayer() const { return 2.0 * kv_heads * head_dim * dtype_bytes; }
  std::string dtype() const;
};

// Where a mixture of experts (or any model whose active parameter count disagrees with its shape by more than
// 20%) gets its MLP width: the dense width that makes the layer's parameters match the active count, so that a
// decode step reads about as many weight bytes as the real model does at small batch. Sets mlp_width and note.
void ResolveMlpWidth(ModelShape* shape);

// Shapes from a catalogue CSV (data/models/models.csv). Columns are found by header name: model, layers,
// hidden, heads, kv_heads, head_dim, intermediate, vocab, dtype_bytes, params_total_b, params_active_b; other
// columns are ignored. Rows without a complete shape are skipped. Throws HarnessError naming file, line and
// field on malformed numbers or a missing `model` column.
std::vector<ModelShape> ReadModelCatalogue(const std::string& path);

// A shape given on the command line: "NAME:layers=32,hidden=4096,heads=32,kv_heads=8,head_dim=128,
// intermediate=14336,vocab=128256" (kv_heads defaults to heads, head_dim to hidden/heads, vocab to 0,
// dtype_bytes to 2). Throws HarnessError.
ModelShape ParseShapeSpec(const std::string& spec);

// Shapes built in so that a bare GPU host needs no catalogue: Llama-3.1-8B, Qwen2.5-32B, Llama-3.1-70B
// (published config.json values), and `tiny-cpu`, a small shape for the CPU path.
const std::vector<ModelShape>& BuiltinShapes();

// Looks each name up (case-insensitively) in `catalogue`, then among the built-in shapes. Throws HarnessError
// listing what is known when a name is not found.
std::vector<ModelShape> ResolveModels(const std::vector<std::string>& names,
                                      const std::vector<ModelShape>& catalogue);

// The phases the harness times.
enum class Phase { kDecode, kPrefill };
const char* ToString(Phase phase);

// Bytes that one step must move through memory at the least (each weight read once, the KV cache read once,
// each kernel's activations read and written once) and the floating-point operations it must do.
struct StepCost {
  double weight_bytes = 0;
  double kv_bytes = 0;          // KV cache read by attention (decode) or written and read (prefill)
  double activation_bytes = 0;
  double matrix_flops = 0;      // the matrix products
  double attention_flops = 0;   // QK^T and PV
  double bytes() const { return weight_bytes + kv_bytes + activation_bytes; }
  double flops() const { return matrix_flops + attention_flops; }
};

// One decode step: `batch` sequences each add one token to a cache of `context` tokens (the new token
// included), through `layers_run` layers and the LM head.
StepCost DecodeStepCost(const ModelShape& shape, long layers_run, long batch, long context);
// One prefill: `batch` sequences of `context` tokens each, causal attention, logits for the last token only.
StepCost PrefillStepCost(const ModelShape& shape, long layers_run, long batch, long context);
StepCost StepCostFor(Phase phase, const ModelShape& shape, long layers_run, long batch, long context);

}  // namespace thinkplan::harness
