// The measurement grid: which (phase, batch, context) points a model shape is timed at, how many of its layers
// fit next to the KV cache, and how much memory each point needs. Pure arithmetic, shared by the GPU and CPU
// paths, so that the rules are tested without a device.
#pragma once

#include <string>
#include <vector>

#include "thinkplan_harness/model_shape.h"

namespace thinkplan::harness {

struct GridSpec {
  bool decode = true;
  bool prefill = true;
  std::vector<long> decode_batches = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
  std::vector<long> contexts = {1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072};
  std::vector<long> prefill_batches = {1, 2, 4, 8};
  // Prefill points with more tokens (batch x context) than this are left out: their time is all matrix products
  // and quadratic attention, which smaller points already pin down, and they cost seconds each.
  long max_prefill_tokens = 32768;
  bool IsValid(std::string* error) const;
};

struct GridPoint {
  Phase phase = Phase::kDecode;
  long batch = 1;
  long context = 0;
};

// How a model is laid out in the memory the harness may use.
struct MemoryPlan {
  long layers_run = 0;        // 0: not even one layer fits
  double layer_scale = 0;     // layers_run / layers
  long token_capacity = 0;    // tokens the activation buffers hold (decode batch or prefill batch x context)
  long logit_rows = 0;        // rows of logits: one per sequence, so the largest batch
  double weight_bytes = 0;
  double activation_bytes = 0;
  double kv_budget_bytes = 0;  // what is left for the KV cache
  std::string note;            // why layers were dropped, if they were
};

double WeightBytes(const ModelShape& shape, long layers_run);
double KvCacheBytes(const ModelShape& shape, long layers_run, long batch, long context);
// Activation buffers for a step over `tokens` tokens: input, QKV, attention output, layer output, gate+up and
// MLP activation; plus `logit_rows` rows of logits.
double ActivationBytes(const ModelShape& shape, long tokens, long logit_rows);

// Weights may take at most `max_weight_fraction` of `budget_bytes`; layers are dropped (layer_scale < 1) until
// they do, so that the KV cache of long contexts still fits. `reserve_bytes` stays free for library workspaces.
MemoryPlan PlanMemory(const ModelShape& shape, const GridSpec& grid, double budget_bytes,
                      double max_weight_fraction, double reserve_bytes);

// The points that fit `plan`, in the order they are timed (decode first, then prefill; by batch, then context).
// Each point that does not fit is described in `skipped`.
std::vector<GridPoint> PlanGrid(const ModelShape& shape, const MemoryPlan& plan, const GridSpec& grid,
                                std::vector<std::string>* skipped);

// The largest KV cache any of `points` needs: the size of the one cache buffer allocated per model.
double MaxKvBytes(const ModelShape& shape, long layers_run, const std::vector<GridPoint>& points);

}  // namespace thinkplan::harness
