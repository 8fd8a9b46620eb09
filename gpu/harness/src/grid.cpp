#include "thinkplan_harness/grid.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace thinkplan::harness {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

std::string Gib(double bytes) {
  std::ostringstream out;
  out.precision(3);
  out << bytes / kGiB << " GiB";
  return out.str();
}

bool AllPositive(const std::vector<long>& values) {
  return std::all_of(values.begin(), values.end(), [](long v) { return v >= 1; });
}

long MaxOf(const std::vector<long>& values) {
  return values.empty() ? 0 : *std::max_element(values.begin(), values.end());
}

// The most tokens one prefill point of the grid processes (within the cap).
long LargestPrefill(const GridSpec& grid) {
  long largest = 0;
  if (!grid.prefill) return 0;
  for (long b : grid.prefill_batches) {
    for (long s : grid.contexts) {
      if (b * s <= grid.max_prefill_tokens) largest = std::max(largest, b * s);
    }
  }
  return largest;
}

}  // namespace

bool GridSpec::IsValid(std::string* error) const {
  const auto fail = [&](const char* why) {
    if (error) *error = why;
    return false;
  };
  if (!decode && !prefill) return fail("neither decode nor prefill is asked for");
  if (contexts.empty() || !AllPositive(contexts)) return fail("contexts must be a non-empty list of counts >= 1");
  if (decode && (decode_batches.empty() || !AllPositive(decode_batches))) {
    return fail("decode batches must be a non-empty list of counts >= 1");
  }
  if (prefill && (prefill_batches.empty() || !AllPositive(prefill_batches))) {
    return fail("prefill batches must be a non-empty list of counts >= 1");
  }
  if (max_prefill_tokens < 1) return fail("max prefill tokens must be >= 1");
  return true;
}

double WeightBytes(const ModelShape& shape, long layers_run) {
  return shape.dtype_bytes * (static_cast<double>(layers_run) * shape.LayerParams() + shape.LmHeadParams());
}

double KvCacheBytes(const ModelShape& shape, long layers_run, long batch, long context) {
  return static_cast<double>(layers_run) * batch * static_cast<double>(context) * shape.KvBytesPerTokenPerLayer();
}

double ActivationBytes(const ModelShape& shape, long tokens, long logit_rows) {
  const double per_token =
      static_cast<double>(shape.hidden) * 2 + shape.qkv_width() + shape.q_width() + 3.0 * shape.mlp();
  return shape.dtype_bytes * (per_token * static_cast<double>(tokens) +
                              static_cast<double>(shape.vocab) * static_cast<double>(logit_rows));
}

MemoryPlan PlanMemory(const ModelShape& shape, const GridSpec& grid, double budget_bytes,
                      double max_weight_fraction, double reserve_bytes) {
  MemoryPlan plan;
  const double usable = budget_bytes - reserve_bytes;
  const double weight_cap = usable * max_weight_fraction;
  const double layer_bytes = shape.dtype_bytes * shape.LayerParams();
  const double head_bytes = shape.dtype_bytes * shape.LmHeadParams();
  const double fit = std::floor((weight_cap - head_bytes) / layer_bytes);
  plan.layers_run = static_cast<long>(std::clamp(fit, 0.0, static_cast<double>(shape.layers)));
  if (plan.layers_run < 1) {
    plan.layers_run = 0;
    plan.note = "not even one layer (" + Gib(layer_bytes) + ") fits next to the LM head in " + Gib(weight_cap);
    return plan;
  }
  plan.layer_scale = static_cast<double>(plan.layers_run) / static_cast<double>(shape.layers);
  plan.weight_bytes = WeightBytes(shape, plan.layers_run);
  if (plan.layers_run < shape.layers) {
    std::ostringstream note;
    note << "runs " << plan.layers_run << " of " << shape.layers << " layers (layer_scale " << plan.layer_scale
         << "): all weights (" << Gib(WeightBytes(shape, shape.layers)) << ") would exceed " << Gib(weight_cap);
    plan.note = note.str();
  }
  // Activations for the largest step, halved until they take at most a quarter of what the weights leave.
  const double left = usable - plan.weight_bytes;
  long tokens = std::max(grid.decode ? MaxOf(grid.decode_batches) : 0, LargestPrefill(grid));
  plan.logit_rows = std::max(grid.decode ? MaxOf(grid.decode_batches) : 0, grid.prefill ? MaxOf(grid.prefill_batches) : 0);
  while (tokens > 1 && ActivationBytes(shape, tokens, std::min(tokens, plan.logit_rows)) > 0.25 * left) tokens /= 2;
  plan.token_capacity = tokens;
  plan.logit_rows = std::min(tokens, plan.logit_rows);
  plan.activation_bytes = ActivationBytes(shape, tokens, plan.logit_rows);
  plan.kv_budget_bytes = std::max(0.0, left - plan.activation_bytes);
  return plan;
}

std::vector<GridPoint> PlanGrid(const ModelShape& shape, const MemoryPlan& plan, const GridSpec& grid,
                                std::vector<std::string>* skipped) {
  std::vector<GridPoint> points;
  if (plan.layers_run < 1) return points;
  const auto consider = [&](Phase phase, long batch, long context) {
    const long tokens = phase == Phase::kDecode ? batch : batch * context;
    const double kv = KvCacheBytes(shape, plan.layers_run, batch, context);
    std::string why;
    if (phase == Phase::kPrefill && tokens > grid.max_prefill_tokens) {
      return;  // outside the grid by definition, not for lack of memory: not worth a line
    } else if (tokens > plan.token_capacity || batch > plan.logit_rows) {
      why = std::to_string(tokens) + " tokens exceed the activation buffers (" +
            std::to_string(plan.token_capacity) + ")";
    } else if (kv > plan.kv_budget_bytes) {
      why = "KV cache " + Gib(kv) + " exceeds the " + Gib(plan.kv_budget_bytes) + " left";
    }
    if (why.empty()) {
      points.push_back({phase, batch, context});
    } else if (skipped) {
      skipped->push_back(shape.name + " " + ToString(phase) + " batch " + std::to_string(batch) + " context " +
                         std::to_string(context) + ": " + why);
    }
  };
  std::vector<long> contexts = grid.contexts;
  std::sort(contexts.begin(), contexts.end());
  if (grid.decode) {
    std::vector<long> batches = grid.decode_batches;
    std::sort(batches.begin(), batches.end());
    for (long b : batches) {
      for (long s : contexts) consider(Phase::kDecode, b, s);
    }
  }
  if (grid.prefill) {
    std::vector<long> batches = grid.prefill_batches;
    std::sort(batches.begin(), batches.end());
    for (long b : batches) {
      for (long s : contexts) consider(Phase::kPrefill, b, s);
    }
  }
  return points;
}

double MaxKvBytes(const ModelShape& shape, long layers_run, const std::vector<GridPoint>& points) {
  double largest = 0;
  for (const GridPoint& p : points) largest = std::max(largest, KvCacheBytes(shape, layers_run, p.batch, p.context));
  return largest;
}

}  // namespace thinkplan::harness
