#include "core/cost_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/text.h"

namespace thinkplan {
namespace {

// Sum of c0 + c1 s over the integers s = lo .. hi (empty when hi < lo).
double SumOfLine(double c0, double c1, double lo, double hi) {
  if (hi < lo) return 0;
  const double count = hi - lo + 1;
  return count * c0 + c1 * count * (lo + hi) / 2;
}

bool Fail(std::string* error, const std::string& why) {
  if (error) *error = why;
  return false;
}

}  // namespace

double SumMaxOfLines(double a0, double a1, double b0, double b1, double first, long n) {
  if (n <= 0) return 0;
  const double last = first + static_cast<double>(n - 1);
  const double d0 = a0 - b0, d1 = a1 - b1;  // a - b = d0 + d1 s
  if (d1 == 0) return d0 >= 0 ? SumOfLine(a0, a1, first, last) : SumOfLine(b0, b1, first, last);
  // The lines cross once, at s* = -d0 / d1; on each side one of them is the larger.
  const double cross = -d0 / d1;
  if (d1 > 0) {  // a wins for s >= s*
    const double split = std::clamp(std::ceil(cross), first, last + 1);
    return SumOfLine(b0, b1, first, split - 1) + SumOfLine(a0, a1, split, last);
  }
  const double split = std::clamp(std::floor(cross), first - 1, last);  // a wins for s <= s*
  return SumOfLine(a0, a1, first, split) + SumOfLine(b0, b1, split + 1, last);
}

bool ServingRates::IsValid(std::string* error) const {
  if (!(t0_s >= 0)) return Fail(error, "t0 must be >= 0");
  if (!(flops_per_s > 0) || !(bytes_per_s > 0)) return Fail(error, "FLOP rate and bandwidth must be positive");
  if (!(hbm_bytes >= 0) || !(reserve_bytes >= 0)) return Fail(error, "memory sizes must be >= 0");
  if (num_devices < 1) return Fail(error, "num_devices must be >= 1");
  return true;
}

bool Efficiency::IsValid(std::string* error) const {
  if (!(t0_s >= 0)) return Fail(error, "t0 must be >= 0");
  if (!(flops_fraction > 0 && flops_fraction <= 1)) return Fail(error, "flops_fraction must be in (0, 1]");
  if (!(bandwidth_fraction > 0 && bandwidth_fraction <= 1)) return Fail(error, "bandwidth_fraction must be in (0, 1]");
  if (!(reserve_fraction >= 0 && reserve_fraction < 1)) return Fail(error, "reserve_fraction must be in [0, 1)");
  return true;
}

std::optional<PeakCompute> PeakFor(const HardwareInfo& hardware, Precision weights) {
  if (!hardware.bf16_dense_tflops) return std::nullopt;
  std::vector<std::pair<Precision, std::optional<double>>> order;
  switch (weights) {
    case Precision::kInt4:
      order = {{Precision::kInt4, hardware.int4_dense_tops}, {Precision::kInt8, hardware.int8_dense_tops},
               {Precision::kFp8, hardware.fp8_dense_tflops}};
      break;
    case Precision::kInt8:
      order = {{Precision::kInt8, hardware.int8_dense_tops}, {Precision::kFp8, hardware.fp8_dense_tflops}};
      break;
    case Precision::kFp8:
      order = {{Precision::kFp8, hardware.fp8_dense_tflops}, {Precision::kInt8, hardware.int8_dense_tops}};
      break;
    case Precision::kBf16:
    case Precision::kFp16: break;
  }
  for (const auto& [precision, peak] : order) {
    if (peak) return PeakCompute{*peak, precision};
  }
  return PeakCompute{*hardware.bf16_dense_tflops, Precision::kBf16};
}

ServingRates RatesFromDatasheet(const HardwareInfo& hardware, long num_devices, const Efficiency& efficiency,
                                double weight_dtype_bytes) {
  const Precision weights = weight_dtype_bytes < 1 ? Precision::kInt4
                            : weight_dtype_bytes <= 1 ? Precision::kFp8 : Precision::kBf16;
  return RatesFromDatasheet(hardware, num_devices, efficiency, weights);
}

ServingRates RatesFromDatasheet(const HardwareInfo& hardware, long num_devices, const Efficiency& efficiency,
                                Precision weights) {
  std::string error;
  if (!efficiency.IsValid(&error)) throw InputError("efficiency: " + error);
  if (num_devices < 1) throw InputError("num_devices must be >= 1");
  if (!hardware.hbm_tb_per_s || !hardware.bf16_dense_tflops) {
    throw InputError(SourceLocation{"hardware catalogue", 0, "hardware", hardware.name},
                     "the datasheet bandwidth (hbm_tb_per_s) and bf16 peak (bf16_dense_tflops) are both needed");
  }
  const double n = static_cast<double>(num_devices);
  const double peak_tflops = PeakFor(hardware, weights)->tflops;
  ServingRates rates;
  rates.num_devices = num_devices;
  rates.t0_s = efficiency.t0_s;
  rates.flops_per_s = n * peak_tflops * 1e12 * efficiency.flops_fraction;
  rates.bytes_per_s = n * *hardware.hbm_tb_per_s * 1e12 * efficiency.bandwidth_fraction;
  if (hardware.hbm_gib) {
    rates.hbm_bytes = n * *hardware.hbm_gib * 1024.0 * 1024.0 * 1024.0;
    rates.reserve_bytes = rates.hbm_bytes * efficiency.reserve_fraction;
  }
  return rates;
}

CostModel::CostModel(ModelShape shape, ServingRates rates) : shape_(std::move(shape)), rates_(rates) {
  std::string error;
  if (!shape_.IsValid(&error)) throw InputError("model shape '" + shape_.name + "': " + error);
  if (!rates_.IsValid(&error)) throw InputError("serving rates: " + error);
}

StepTime CostModel::DecodeStep(double batch, double context) const {
  StepTime t;
  t.compute_s = batch * (2.0 * shape_.params_active + shape_.AttentionFlopsPerContextToken() * context) /
                rates_.flops_per_s;
  t.memory_s = (shape_.WeightBytesRead(batch) + batch * context * KvBytesPerToken()) / rates_.bytes_per_s;
  t.total_s = rates_.t0_s + std::max(t.compute_s, t.memory_s);
  return t;
}

double CostModel::DecodeSteps(double batch, double first_context, long steps) const {
  if (steps <= 0) return 0;
  const double a0 = batch * 2.0 * shape_.params_active / rates_.flops_per_s;
  const double a1 = batch * shape_.AttentionFlopsPerContextToken() / rates_.flops_per_s;
  const double b0 = shape_.WeightBytesRead(batch) / rates_.bytes_per_s;
  const double b1 = batch * KvBytesPerToken() / rates_.bytes_per_s;
  return static_cast<double>(steps) * rates_.t0_s + SumMaxOfLines(a0, a1, b0, b1, first_context, steps);
}

StepTime CostModel::PrefillChunk(double batch, double start, double tokens) const {
  StepTime t;
  const double new_tokens = batch * tokens;
  // Token i of the chunk attends to start + i earlier tokens: sum = tokens x start + tokens^2 / 2.
  const double attended = tokens * start + tokens * tokens / 2.0;
  t.compute_s = (new_tokens * 2.0 * shape_.params_active + batch * shape_.AttentionFlopsPerContextToken() * attended) /
                rates_.flops_per_s;
  t.memory_s = (shape_.WeightBytesRead(new_tokens) + batch * (start + tokens) * KvBytesPerToken()) / rates_.bytes_per_s;
  t.total_s = rates_.t0_s + std::max(t.compute_s, t.memory_s);
  return t;
}

double CostModel::ChunkedPrefill(double batch, long prompt_tokens, long chunk) const {
  if (chunk <= 0 || chunk >= prompt_tokens) return Prefill(batch, static_cast<double>(prompt_tokens)).total_s;
  // Closed form (a prompt of 2,048 tokens in passes of 1 is 2,048 passes, and the cost fit evaluates this for
  // every run at every solver step): full pass k (k = 0 .. m-1) starts at k c, so PrefillChunk's compute and
  // memory terms are both linear in k and their sum of maxima is SumMaxOfLines; a shorter last pass is added.
  const double c = static_cast<double>(chunk);
  const long full = prompt_tokens / chunk;
  const double new_tokens = batch * c;
  const double a0 = (new_tokens * 2.0 * shape_.params_active + batch * shape_.AttentionFlopsPerContextToken() * c * c / 2.0) /
                    rates_.flops_per_s;
  const double a1 = batch * shape_.AttentionFlopsPerContextToken() * c * c / rates_.flops_per_s;
  const double b0 = (shape_.WeightBytesRead(new_tokens) + batch * c * KvBytesPerToken()) / rates_.bytes_per_s;
  const double b1 = batch * c * KvBytesPerToken() / rates_.bytes_per_s;
  double total = static_cast<double>(full) * rates_.t0_s + SumMaxOfLines(a0, a1, b0, b1, 0, full);
  if (const long rest = prompt_tokens - full * chunk; rest > 0) {
    total += PrefillChunk(batch, static_cast<double>(full) * c, static_cast<double>(rest)).total_s;
  }
  return total;
}

std::optional<long> CostModel::MaxBatch(double context) const {
  if (rates_.hbm_bytes <= 0) return std::nullopt;
  const double free_bytes = rates_.hbm_bytes - rates_.reserve_bytes - shape_.WeightBytes();
  if (free_bytes <= 0) return 0;
  if (context <= 0) return std::numeric_limits<long>::max();
  const double fits = std::floor(free_bytes / (context * KvBytesPerToken()));
  return fits >= static_cast<double>(std::numeric_limits<long>::max()) ? std::numeric_limits<long>::max()
                                                                       : static_cast<long>(fits);
}

std::optional<double> CostModel::CrossoverBatch(double context) const {
  // compute(B) - memory(B) is negative at B -> 0 (the weights must be read) and, past the crossover, grows with
  // B; for a MoE model W_read(B) also grows, so bisect rather than solve.
  auto excess = [&](double b) {
    const StepTime t = DecodeStep(b, context);
    return t.compute_s - t.memory_s;
  };
  double lo = 1e-9, hi = 1.0;
  while (excess(hi) <= 0) {
    hi *= 2;
    if (hi > 1e12) return std::nullopt;
  }
  for (int i = 0; i < 200 && hi - lo > 1e-9 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (excess(mid) > 0 ? hi : lo) = mid;
  }
  return 0.5 * (lo + hi);
}

std::optional<double> CostModel::EndToEndLatency(long batch, long input_len, long output_len, bool memory_limited,
                                                 long prefill_chunk) const {
  if (batch < 1 || input_len < 0 || output_len < 1) return std::nullopt;
  long waves = 1;
  if (memory_limited) {
    if (const std::optional<long> fits = MaxBatch(static_cast<double>(input_len + output_len)); fits) {
      if (*fits < 1) return std::nullopt;
      waves = (batch + *fits - 1) / *fits;
    }
  }
  const long per_wave = (batch + waves - 1) / waves;
  const double b = static_cast<double>(per_wave);
  const double wave = ChunkedPrefill(b, input_len, prefill_chunk) +
                      DecodeSteps(b, static_cast<double>(input_len + 1), output_len - 1);
  return static_cast<double>(waves) * wave;
}

bool QueryOptions::IsValid(std::string* error) const {
  if (!(prompt_tokens >= 0)) return Fail(error, "prompt tokens must be >= 0");
  if (!(output_tokens >= 1)) return Fail(error, "generated (thinking + answer) tokens must be >= 1");
  if (batch < 0) return Fail(error, "batch must be >= 0 (0 = the largest that fits)");
  if (max_batch < 1) return Fail(error, "max_batch must be >= 1");
  if (!(usd_per_hour >= 0)) return Fail(error, "price per hour must be >= 0");
  if (!(utilisation > 0 && utilisation <= 1)) return Fail(error, "utilisation must be in (0, 1]");
  return true;
}

QueryCost CostQuery(const CostModel& model, const QueryOptions& options) {
  std::string error;
  if (!options.IsValid(&error)) throw InputError("query: " + error);
  QueryCost q;
  const double p = options.prompt_tokens, l = options.output_tokens;
  const double final_context = p + l;
  const double admission_context =
      options.admission == QueryOptions::Admission::kFinalContext ? final_context : p + l / 2;
  q.kv_bytes_per_token = model.KvBytesPerToken();
  q.kv_bytes_per_query = final_context * q.kv_bytes_per_token;
  q.weight_bytes = model.shape().WeightBytes();
  q.max_batch_at_admission = model.MaxBatch(admission_context);
  const long memory_cap = q.max_batch_at_admission.value_or(std::numeric_limits<long>::max());
  if (memory_cap < 1) {
    const ServingRates& r = model.rates();
    q.infeasible_reason = fmt::format(
        "one query does not fit: weights {:.1f} GB + KV cache {:.2f} GB at {:.0f} tokens > {:.1f} GB usable of "
        "{:.1f} GB on {} device(s)",
        q.weight_bytes / 1e9, admission_context * q.kv_bytes_per_token / 1e9, admission_context,
        (r.hbm_bytes - r.reserve_bytes) / 1e9, r.hbm_bytes / 1e9, r.num_devices);
    return q;
  }
  const long wanted = options.batch > 0 ? options.batch : options.max_batch;
  q.batch = std::min(wanted, memory_cap);
  q.batch_limited_by = q.batch < wanted ? "KV memory" : (options.batch > 0 ? "requested" : "max_batch");
  q.feasible = true;

  const double b = static_cast<double>(q.batch);
  const long steps = static_cast<long>(std::llround(l)) - 1;  // the prefill yields the first token
  q.prefill_s = model.Prefill(b, p).total_s;
  q.decode_s = model.DecodeSteps(b, p + 1, steps);
  q.latency_s = q.prefill_s + q.decode_s;
  q.first_step = model.DecodeStep(b, p + 1);
  q.last_step = model.DecodeStep(b, p + std::max(1.0, l - 1));
  if (steps > 0) {
    // Both terms are linear in the context, so the compute-bound steps form one contiguous run.
    long bound = 0;
    if (q.first_step.compute_bound() == q.last_step.compute_bound()) {
      bound = q.first_step.compute_bound() ? steps : 0;
    } else {
      for (long s = 0; s < steps; ++s) bound += model.DecodeStep(b, p + 1 + static_cast<double>(s)).compute_bound();
    }
    q.compute_bound_fraction = static_cast<double>(bound) / static_cast<double>(steps);
  }
  q.tokens_per_s = b * l / q.latency_s;
  q.tokens_per_s_first = b / q.first_step.total_s;
  q.tokens_per_s_last = b / q.last_step.total_s;
  q.replica_seconds_per_query = q.latency_s / b;
  q.device_seconds_per_query = q.replica_seconds_per_query * static_cast<double>(model.rates().num_devices);
  const double usd_per_s = options.usd_per_hour / 3600.0 / options.utilisation;
  q.usd_per_query = usd_per_s * q.replica_seconds_per_query;
  q.usd_per_mtok = q.usd_per_query / l * 1e6;
  q.usd_per_mtok_first = usd_per_s / q.tokens_per_s_first * 1e6;
  q.usd_per_mtok_last = usd_per_s / q.tokens_per_s_last * 1e6;
  return q;
}

std::string QueryCost::BriefReport() const {
  if (!feasible) return "infeasible: " + infeasible_reason;
  return fmt::format("batch {} ({}), latency {:.1f} s, {:.0f} tok/s, ${:.4f} per query, ${:.3f} per M output tokens",
                     batch, batch_limited_by, latency_s, tokens_per_s, usd_per_query, usd_per_mtok);
}

std::string QueryCost::FullReport() const {
  if (!feasible) return BriefReport() + "\n";
  std::string out;
  out += fmt::format("KV cache per token        {:.0f} bytes ({:.3f} MiB)\n", kv_bytes_per_token,
                     kv_bytes_per_token / 1048576.0);
  out += fmt::format("KV cache per query        {:.3f} GB at the final context\n", kv_bytes_per_query / 1e9);
  out += fmt::format("weights                   {:.1f} GB\n", weight_bytes / 1e9);
  out += fmt::format("B_max at admission        {}\n",
                     max_batch_at_admission ? std::to_string(*max_batch_at_admission) : std::string("unknown"));
  out += fmt::format("batch                     {} (limited by {})\n", batch, batch_limited_by);
  out += fmt::format("step time first / last    {:.2f} / {:.2f} ms ({} / {})\n", first_step.total_s * 1e3,
                     last_step.total_s * 1e3, first_step.compute_bound() ? "compute-bound" : "memory-bound",
                     last_step.compute_bound() ? "compute-bound" : "memory-bound");
  out += fmt::format("compute-bound steps       {:.0f}%\n", 100 * compute_bound_fraction);
  out += fmt::format("prefill / decode / total  {:.2f} / {:.2f} / {:.2f} s\n", prefill_s, decode_s, latency_s);
  out += fmt::format("tokens/s first / last     {:.0f} / {:.0f} (mean {:.0f})\n", tokens_per_s_first,
                     tokens_per_s_last, tokens_per_s);
  out += fmt::format("device-seconds per query  {:.3f}\n", device_seconds_per_query);
  out += fmt::format("USD per M tokens first / last / mean  {:.4f} / {:.4f} / {:.4f}\n", usd_per_mtok_first,
                     usd_per_mtok_last, usd_per_mtok);
  out += fmt::format("USD per query             {:.6f}\n", usd_per_query);
  return out;
}

double InputUsdPerToken(const SystemInfo& system, double cached_input_share) {
  const double full = system.price_in_usd_per_mtok.value_or(0);
  const double cached = system.price_cached_in_usd_per_mtok.value_or(full);
  return ((1 - cached_input_share) * full + cached_input_share * cached) / 1e6;
}

ApiQueryCost CostApiQuery(const SystemInfo& system, double prompt_tokens, double thinking_tokens,
                          double answer_tokens, double cached_input_share) {
  if (!system.price_in_usd_per_mtok || !system.price_out_usd_per_mtok) {
    throw InputError(SourceLocation{"system catalogue", 0, "system", system.name},
                     "no list price (price_in_usd_per_mtok / price_out_usd_per_mtok); it is self-hosted: give "
                     "--hardware and --price-per-hour");
  }
  if (prompt_tokens < 0 || thinking_tokens < 0 || answer_tokens < 0) throw InputError("token counts must be >= 0");
  if (!(cached_input_share >= 0 && cached_input_share <= 1)) throw InputError("cached input share must be in [0, 1]");
  ApiQueryCost c;
  c.prompt_tokens = prompt_tokens;
  c.thinking_tokens = thinking_tokens;
  c.answer_tokens = answer_tokens;
  c.cached_prompt_tokens = prompt_tokens * cached_input_share;
  c.input_usd = prompt_tokens * InputUsdPerToken(system, cached_input_share);
  c.thinking_usd = thinking_tokens * *system.price_out_usd_per_mtok / 1e6;
  c.answer_usd = answer_tokens * *system.price_out_usd_per_mtok / 1e6;
  c.total_usd = c.input_usd + c.thinking_usd + c.answer_usd;
  return c;
}

std::string ApiQueryCost::BriefReport() const {
  return fmt::format("input ${:.6f} + thinking ${:.6f} + answer ${:.6f} = ${:.6f} per query", input_usd,
                     thinking_usd, answer_usd, total_usd);
}

std::vector<FittedEfficiency> LoadFittedEfficiencies(const std::filesystem::path& csv_path) {
  const CsvTable table = CsvTable::Read(csv_path);
  std::vector<FittedEfficiency> out;
  for (size_t i = 0; i < table.size(); ++i) {
    const CsvRow row = table.row(i);
    FittedEfficiency e;
    e.hardware = row.RequiredText("hardware");
    e.framework = row.Text("framework");
    e.num_devices = row.OptionalInteger("num_devices").value_or(1);
    e.catalogue_hardware = row.Text("catalogue_hardware");
    e.rows = row.OptionalInteger("rows").value_or(0);
    e.t0_s = row.Number("t0_ms") / 1e3;
    e.flops_per_s = row.OptionalNumber("f_eff_tflops").value_or(0) * 1e12;
    e.bytes_per_s = row.OptionalNumber("bw_eff_tb_per_s").value_or(0) * 1e12;
    e.flops_fraction = row.OptionalNumber("f_fraction_of_peak");
    e.bandwidth_fraction = row.OptionalNumber("bw_fraction_of_peak");
    e.median_ape = row.OptionalNumber("fit_median_ape_pct");
    if (e.num_devices < 1) row.Fail("num_devices", "must be >= 1");
    if (e.t0_s < 0) row.Fail("t0_ms", "must be >= 0");
    for (const auto& [field, value] : {std::pair{"f_fraction_of_peak", e.flops_fraction},
                                       std::pair{"bw_fraction_of_peak", e.bandwidth_fraction}}) {
      if (value && !(*value > 0)) row.Fail(field, "a fraction of peak must be positive");
    }
    out.push_back(std::move(e));
  }
  return out;
}

namespace {
std::string_view RowDtype(const FittedEfficiency& row) { return row.dtype.empty() ? "bf16" : std::string_view(row.dtype); }
}  // namespace

bool EfficiencyChoice::precision_matched() const {
  return row == nullptr || requested_dtype.empty() || SameIgnoringCase(RowDtype(*row), requested_dtype);
}

EfficiencyChoice ChooseEfficiency(const std::vector<FittedEfficiency>& table, const std::string& hardware,
                                  const std::string& framework, long devices, std::string_view dtype) {
  EfficiencyChoice chosen;
  chosen.requested_dtype = std::string(dtype);
  for (const FittedEfficiency& row : table) {
    if (row.hardware == "*") chosen.default_row = &row;
  }
  if (const FittedEfficiency* d = chosen.default_row) {
    chosen.efficiency.t0_s = d->t0_s;
    chosen.efficiency.flops_fraction = d->flops_fraction.value_or(chosen.efficiency.flops_fraction);
    chosen.efficiency.bandwidth_fraction = d->bandwidth_fraction.value_or(chosen.efficiency.bandwidth_fraction);
  }
  // Rank: the requested precision first, then the largest device count not above `devices`.
  const auto rank = [&](const FittedEfficiency& row) {
    const bool same_precision = dtype.empty() || SameIgnoringCase(RowDtype(row), dtype);
    return std::pair{same_precision, row.num_devices};
  };
  for (const FittedEfficiency& row : table) {
    if (!row.catalogue_hardware.empty() && SameIgnoringCase(row.catalogue_hardware, hardware) &&
        SameIgnoringCase(row.framework, framework) && row.num_devices <= devices &&
        (chosen.row == nullptr || rank(row) > rank(*chosen.row))) {
      chosen.row = &row;
    }
  }
  if (const FittedEfficiency* r = chosen.row) {
    chosen.efficiency.t0_s = r->t0_s;
    if (r->flops_fraction) chosen.efficiency.flops_fraction = std::min(1.0, *r->flops_fraction);
    if (r->bandwidth_fraction) chosen.efficiency.bandwidth_fraction = std::min(1.0, *r->bandwidth_fraction);
  }
  return chosen;
}

std::string DescribeEfficiencySource(const EfficiencyChoice& choice, long devices) {
  if (const FittedEfficiency* row = choice.row) {
    const bool scaled = row->num_devices != devices;
    return fmt::format("fitted on the stored perf runs of {} / {} / {} device(s) / {}, {} runs{}{}", row->hardware,
                       row->framework, row->num_devices, RowDtype(*row), row->rows,
                       scaled ? fmt::format(", its fractions of peak applied to {} devices", devices) : "",
                       choice.precision_matched()
                           ? ""
                           : fmt::format(", measured with {} weights and applied to {} (no fit at {} for this card "
                                         "and framework)",
                                         RowDtype(*row), choice.requested_dtype, choice.requested_dtype));
  }
  const Efficiency& e = choice.efficiency;
  const std::string figures = fmt::format("t0 {:.2f} ms, {:.0f}% of peak FLOP/s, {:.0f}% of HBM bandwidth",
                                          e.t0_s * 1e3, e.flops_fraction * 100, e.bandwidth_fraction * 100);
  if (const FittedEfficiency* d = choice.default_row) {
    return fmt::format("no serving-rate fit for this card and framework: the stored default ({}), the median of {} "
                       "single-device fits", figures, d->rows);
  }
  return fmt::format("no serving-rate fit stored (run `thinkplan fit --kind cost` after ingesting perf runs): "
                     "built-in defaults ({})", figures);
}

std::optional<std::string> ContextExtrapolationWarning(const EfficiencyChoice& choice, double context_tokens) {
  const FittedEfficiency* fit = choice.row ? choice.row : choice.default_row;
  if (fit == nullptr || fit->max_context_tokens <= 0 || context_tokens <= static_cast<double>(fit->max_context_tokens)) {
    return std::nullopt;
  }
  return fmt::format("a context of {:.0f} tokens is {:.1f}x the longest measured context ({} tokens) of the fitted "
                     "serving rates: the KV-cache and attention terms are extrapolated beyond the data",
                     context_tokens, context_tokens / static_cast<double>(fit->max_context_tokens),
                     fit->max_context_tokens);
}

}  // namespace thinkplan
