// `thinkplan cost`: what one thinking query costs, through a priced API or on self-hosted GPUs (docs/design.md 3.5).
#include <algorithm>
#include <filesystem>
#include <optional>
#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "core/cost_model.h"
#include "core/errors.h"
#include "core/model_shape.h"
#include "core/precision.h"
#include "core/text.h"
#include "pipeline/catalogues.h"
#include "pipeline/plan_stage.h"
#include "planner/workload.h"
#include "store/database.h"
#include "store/fits.h"

namespace thinkplan::cli {
namespace {

constexpr const char* kDescription =
    "What one query with L thinking tokens costs.\n\n"
    "Everything is read from the database (--db): ingest systems, prices, hardware and model shapes first\n"
    "(`thinkplan demo` does; list them with `thinkplan systems`, `hardware`, `models`).\n\n"
    "API system (no --hardware): the list prices in force today (the latest dated price row, else the\n"
    "systems row), cost = price_in x prompt + price_out x (thinking + answer) tokens. --cached-input-share c\n"
    "bills a share c of the prompt at the cached-input price instead (a provider's prompt cache: a shared\n"
    "system prompt, a long document asked about again): price_in x (1 - c) x prompt + price_cached_in x c x\n"
    "prompt. Default: the class's cached_input_share with --workload and --class (which also give the class's\n"
    "prompt and answer tokens where --prompt-tokens / --answer-tokens are not given), else 0. A system with no\n"
    "cached-input price bills cached tokens at the full input price, and says so.\n\n"
    "Self-hosted model (--hardware): the roofline cost model of docs/cost_model.md on the model's stored shape\n"
    "and the card's datasheet, at efficiencies fitted from the stored perf runs (`thinkplan fit --kind cost`;\n"
    "a card without a fit gets the stated default, a database without any the built-in defaults, and the\n"
    "output says which). --precision and\n"
    "--kv-precision serve the same architecture at another precision: weights of int4 / fp8 / int8 halve or\n"
    "quarter the bytes every decode step reads and the memory the weights hold; an fp8 cache halves the KV\n"
    "bytes per token. The matrix peak follows the weights' precision where the card lists one. It prints:\n"
    "  KV cache per token   bytes of keys and values each token keeps in GPU memory (2 x layers x KV heads\n"
    "                       x head dim x bytes); a query holds (prompt + L) of them by its end\n"
    "  B_max                how many queries' caches fit beside the weights at the admission context:\n"
    "                       the largest batch, hence the throughput ceiling\n"
    "  step time            one decode step of the whole batch, t0 + max(FLOPs / F_eff, bytes / BW_eff),\n"
    "                       at the first and the last token: the cache grows, so steps slow down\n"
    "  tokens/s             batch / step time: output tokens per second of the replica\n"
    "  USD per M tokens     price per hour / 3600 / (tokens/s x utilisation) x 1e6, at the first and the\n"
    "                       last step and averaged over the query: long thinking makes every token dearer\n"
    "  USD per query        the replica's time one query occupies (latency / batch) at the hourly price\n\n"
    "Examples:\n"
    "  thinkplan cost --system o3-mini --thinking-tokens 20000 --prompt-tokens 500\n"
    "  thinkplan cost --system o3-mini --thinking-tokens 20k --prompt-tokens 8000 --cached-input-share 0.75\n"
    "  thinkplan cost --system o3-mini --thinking-tokens 20k --workload data/workloads/default.json --class chat\n"
    "  thinkplan cost --system DeepSeek-R1-Distill-Qwen-32B --hardware H100 --thinking-tokens 16000\n"
    "  thinkplan cost --system Llama-3.1-70B --hardware H100 --devices 1 --precision fp8 --thinking-tokens 8k\n"
    "  thinkplan cost --system Llama-3.1-70B --hardware H200 --devices 2 --price-per-hour 3.5 \\\n"
    "                 --thinking-tokens 32k --batch 16 --json\n";

std::string DidYouMean(const std::string& typed, const std::vector<std::string>& names) {
  const std::vector<std::string> close = ClosestNames(typed, names);
  if (close.empty()) return "";
  std::string out = "; did you mean ";
  for (size_t i = 0; i < close.size(); ++i) out += (i ? ", '" : "'") + close[i] + "'";
  return out + "?";
}

// Exact (case-insensitive) name, else the one name containing `typed`; otherwise a UsageError with suggestions.
template <typename T>
const T& Resolve(const std::vector<T>& items, const std::string& typed, const char* what, const char* listing) {
  std::vector<std::string> names;
  for (const T& item : items) names.push_back(item.name);
  for (const T& item : items) {
    if (Lower(item.name) == Lower(typed)) return item;
  }
  const T* only = nullptr;
  size_t hits = 0;
  for (const T& item : items) {
    if (Lower(item.name).find(Lower(typed)) != std::string::npos) {
      only = &item;
      ++hits;
    }
  }
  if (hits == 1) return *only;
  throw UsageError(fmt::format("unknown {} '{}'{} (known: {})", what, typed, DidYouMean(typed, names), listing));
}

std::string Names(const auto& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item.name;
  return out;
}

// The efficiencies for (hardware, framework, devices) (core/cost_model.h) with a line saying where they came from.
struct ChosenEfficiency {
  Efficiency efficiency;
  std::string source;
  EfficiencyChoice choice;  // its rows point into the table the choice was made from
};

ChosenEfficiency ChooseEfficiencyWithSource(const std::vector<FittedEfficiency>& table, const std::string& hardware,
                                            const std::string& framework, long devices, Precision weights) {
  const EfficiencyChoice choice = ChooseEfficiency(table, hardware, framework, devices, ToString(weights));
  return {choice.efficiency, DescribeEfficiencySource(choice, devices), choice};
}

// The dated price row's citation where one is in force, else the systems row's.
const std::string& PriceCitation(const SystemInfo& system) {
  return system.price_effective_from.empty() ? system.citation : system.price_citation;
}

Precision PrecisionArg(const cxxopts::ParseResult& args, const char* name, std::string_view allowed) {
  const std::string text = args[name].as<std::string>();
  const std::optional<Precision> p = ParsePrecision(text);
  if (!p || (allowed == kKvPrecisions && !IsKvPrecision(*p))) {
    throw UsageError(fmt::format("--{} '{}': expected one of {}", name, text, allowed));
  }
  return *p;
}

// The stored shape at the precisions asked for (the stored ones where not asked).
ModelShape ServedShape(const ModelShape& stored, const cxxopts::ParseResult& args) {
  ModelShape shape = stored;
  const Precision weights =
      args.count("precision") ? PrecisionArg(args, "precision", kWeightPrecisions) : stored.weight_precision;
  const Precision kv = args.count("kv-precision") ? PrecisionArg(args, "kv-precision", kKvPrecisions) : stored.kv_precision;
  shape.SetPrecision(weights, kv);
  return shape;
}

nlohmann::json StepJson(const StepTime& t) {
  return {{"total_s", t.total_s}, {"compute_s", t.compute_s}, {"memory_s", t.memory_s},
          {"bound", t.compute_bound() ? "compute" : "memory"}};
}

// What the API side of `cost` prices: the query's tokens and the share of its prompt read from the cache, with
// where that share came from ("--cached-input-share", "class chat of w.json", "default").
struct ApiQuery {
  double prompt = 0, thinking = 0, answer = 0;
  double cached_input_share = 0;
  std::string share_source = "default";
};

// Why the cached share is billed as it is: nothing cached, the cached-input price, or the full price for want of one.
std::string CachedNote(const SystemInfo& system, const ApiQuery& q) {
  if (q.cached_input_share == 0) return "";
  if (!system.price_cached_in_usd_per_mtok) {
    return fmt::format("{} has no cached-input price in the catalogue: its cached prompt tokens are billed at the "
                       "full input price (${:.3f} per million)",
                       system.name, *system.price_in_usd_per_mtok);
  }
  return fmt::format("cached prompt tokens billed at ${:.3f} per million", *system.price_cached_in_usd_per_mtok);
}

nlohmann::json ApiJson(const SystemInfo& system, const ApiQuery& q, const ApiQueryCost& c) {
  const std::string note = CachedNote(system, q);
  return {{"kind", "api"},
          {"system", system.name},
          {"price_in_usd_per_mtok", *system.price_in_usd_per_mtok},
          {"price_out_usd_per_mtok", *system.price_out_usd_per_mtok},
          {"price_cached_in_usd_per_mtok", system.price_cached_in_usd_per_mtok
                                               ? nlohmann::json(*system.price_cached_in_usd_per_mtok)
                                               : nlohmann::json(nullptr)},
          {"price_effective_from",
           system.price_effective_from.empty() ? nlohmann::json(nullptr) : nlohmann::json(system.price_effective_from)},
          {"prompt_tokens", q.prompt},
          {"cached_input_share", q.cached_input_share},
          {"cached_input_share_source", q.share_source},
          {"cached_prompt_tokens", c.cached_prompt_tokens},
          {"thinking_tokens", q.thinking},
          {"answer_tokens", q.answer},
          {"input_usd", c.input_usd},
          {"thinking_usd", c.thinking_usd},
          {"answer_usd", c.answer_usd},
          {"total_usd", c.total_usd},
          {"notes", note.empty() || system.price_cached_in_usd_per_mtok ? nlohmann::json::array()
                                                                         : nlohmann::json::array({note})},
          {"citation", PriceCitation(system)}};
}

int ReportApi(Invocation& invocation, const SystemInfo& system, const ApiQuery& q, bool json) {
  const ApiQueryCost c = CostApiQuery(system, q.prompt, q.thinking, q.answer, q.cached_input_share);
  if (json) {
    invocation.out << ApiJson(system, q, c).dump(2) << "\n";
    return 0;
  }
  auto& out = invocation.out;
  out << fmt::format("{} (API, list prices: ${:.2f} in / ${:.2f} out per million tokens, {})\n", system.name,
                     *system.price_in_usd_per_mtok, *system.price_out_usd_per_mtok,
                     system.price_effective_from.empty() ? "undated"
                                                         : "in force since " + system.price_effective_from);
  out << fmt::format("  prompt    {:>9.0f} tokens  ${:.6f}  ({:.0f}% from the cache: {:.0f} tokens; share from {})\n",
                     q.prompt, c.input_usd, 100 * q.cached_input_share, c.cached_prompt_tokens, q.share_source);
  out << fmt::format("  thinking  {:>9.0f} tokens  ${:.6f}  (billed as output)\n", q.thinking, c.thinking_usd);
  out << fmt::format("  answer    {:>9.0f} tokens  ${:.6f}\n", q.answer, c.answer_usd);
  out << fmt::format("  total                      ${:.6f} per query (${:.2f} per thousand queries)\n", c.total_usd,
                     c.total_usd * 1000);
  if (const std::string note = CachedNote(system, q); !note.empty()) out << "  note: " << note << "\n";
  out << "  source: " << PriceCitation(system) << "\n";
  return 0;
}

// The API query: token counts from the options, else from the workload's class; the cached share from
// --cached-input-share, else the class's, else 0.
ApiQuery ApiQueryOf(const cxxopts::ParseResult& args, double thinking) {
  ApiQuery q;
  q.thinking = thinking;
  std::optional<planner::TaskClassSpec> task_class;
  if (args.count("workload") != args.count("class")) throw UsageError("--workload and --class go together");
  if (args.count("workload")) {
    const std::string file = args["workload"].as<std::string>();
    const planner::Workload workload = planner::LoadWorkload(file);
    const std::string name = args["class"].as<std::string>();
    for (const planner::TaskClassSpec& c : workload.classes) {
      if (c.name == name) task_class = c;
    }
    if (!task_class) {
      std::vector<std::string> names;
      for (const planner::TaskClassSpec& c : workload.classes) names.push_back(c.name);
      throw UsageError(fmt::format("--class '{}': {} has no such class{}", name, file, DidYouMean(name, names)));
    }
    q.cached_input_share = task_class->cached_input_share;
    q.share_source = fmt::format("class {} of {}", name, file);
  }
  q.prompt = args.count("prompt-tokens") || !task_class ? NumberArg(args, "prompt-tokens", number_rules::kAmount)
                                                        : task_class->prompt_tokens;
  q.answer = args.count("answer-tokens") || !task_class ? NumberArg(args, "answer-tokens", number_rules::kAmount)
                                                        : task_class->answer_tokens;
  if (args.count("cached-input-share")) {
    q.cached_input_share = NumberArg(args, "cached-input-share", number_rules::kFraction);
    q.share_source = "--cached-input-share";
  }
  return q;
}

}  // namespace

int RunCost(Invocation& invocation) {
  cxxopts::Options options("thinkplan cost", std::string(kDescription) + "\n" + std::string(kNumberHelp));
  AddGlobalOptions(options);
  options.add_options()
      ("system", "system or model name (systems.csv for API prices, models.csv for shapes)",
       cxxopts::value<std::string>())
      ("thinking-tokens", "L: thinking tokens per query, e.g. 16000 or 16k", cxxopts::value<std::string>())
      ("answer-tokens", "answer tokens after the thinking", cxxopts::value<std::string>()->default_value("0"))
      ("prompt-tokens", "P: prompt tokens per query", cxxopts::value<std::string>()->default_value("0"))
      ("cached-input-share", "API: share of the prompt billed at the cached-input price, in [0, 1] (default: the "
                             "class's cached_input_share with --workload/--class, else 0)",
       cxxopts::value<std::string>())
      ("workload", "API: a workload file whose --class gives the prompt, answer tokens and cached share",
       cxxopts::value<std::string>())
      ("class", "API: the workload class (with --workload)", cxxopts::value<std::string>())
      ("hardware", "self-host on this card (hardware.csv; a unique part of the name will do)",
       cxxopts::value<std::string>())
      ("devices", "devices per replica (tensor parallel); default: whichever of 1, 2, 4, 8 is cheapest per query",
       cxxopts::value<std::string>())
      ("price-per-hour", "USD per device-hour (default: hardware.csv's price where it has one)",
       cxxopts::value<std::string>())
      ("utilisation", "share of paid hours doing useful work, in (0, 1]",
       cxxopts::value<std::string>()->default_value("1"))
      ("batch", "concurrent queries per replica (default 0: the largest that fits, up to --max-batch)",
       cxxopts::value<std::string>()->default_value("0"))
      ("max-batch", "cap on the automatic batch (the server's max_num_seqs)",
       cxxopts::value<std::string>()->default_value("256"))
      ("admission", "size KV memory at the 'final' context P+L (a synchronous batch) or the 'mean' P+L/2 "
                    "(staggered continuous batching)", cxxopts::value<std::string>()->default_value("final"))
      ("framework", "serving framework whose fitted efficiencies apply", cxxopts::value<std::string>()->default_value("vLLM"))
      ("precision", "weights' precision: bf16, fp16, fp8, int8 or int4 (default: the stored shape's)",
       cxxopts::value<std::string>())
      ("kv-precision", "KV cache precision: bf16, fp16 or fp8 (default: the stored shape's)",
       cxxopts::value<std::string>());
  Parsed parsed = ParseCommandLine(options, invocation);
  if (parsed.help_shown) return 0;
  const auto& args = parsed.result;
  if (!args.count("system")) throw UsageError("--system is required (see --help)");
  if (!args.count("thinking-tokens")) throw UsageError("--thinking-tokens is required (see --help)");
  const std::string system_name = args["system"].as<std::string>();
  const double thinking = NumberArg(args, "thinking-tokens", number_rules::kAmount);

  store::Database db = pipeline::OpenExistingDatabase(parsed.global.db_path);
  const planner::Catalogues catalogues = pipeline::LoadCatalogues(db);
  if (!args.count("hardware")) {
    const SystemInfo& system = Resolve(catalogues.systems, system_name, "system", "see `thinkplan systems`");
    if (!system.price_in_usd_per_mtok || !system.price_out_usd_per_mtok) {
      throw UsageError(fmt::format("'{}' has no API price: self-host it with --hardware (e.g. --hardware H100)",
                                   system.name));
    }
    return ReportApi(invocation, system, ApiQueryOf(args, thinking), parsed.global.json);
  }

  // Self-hosted: the API-only options have nothing to act on.
  for (const char* api_only : {"cached-input-share", "workload", "class"}) {
    if (args.count(api_only)) throw UsageError(fmt::format("--{} prices an API system; it has no effect with --hardware", api_only));
  }
  const double answer = NumberArg(args, "answer-tokens", number_rules::kAmount);
  const double prompt = NumberArg(args, "prompt-tokens", number_rules::kAmount);
  const ModelShape* stored_shape = catalogues.models.Find(system_name);
  if (stored_shape == nullptr) {
    std::vector<std::string> names;
    for (const ModelShape& s : catalogues.models.shapes()) names.push_back(s.name);
    throw UsageError(fmt::format("no stored model shape for '{}'{} (see `thinkplan models`)", system_name,
                                 DidYouMean(system_name, names)));
  }
  const ModelShape served = ServedShape(*stored_shape, args);
  const ModelShape* shape = &served;
  const std::vector<HardwareInfo>& cards = catalogues.hardware;
  const HardwareInfo& card = Resolve(cards, args["hardware"].as<std::string>(), "hardware", Names(cards).c_str());
  double price = 0;
  if (args.count("price-per-hour")) {
    price = NumberArg(args, "price-per-hour", number_rules::kNonNegative);
  } else if (card.usd_per_hour) {
    price = *card.usd_per_hour;
  } else {
    throw UsageError(fmt::format("the stored hardware has no hourly price for {}: give --price-per-hour", card.name));
  }
  const std::string admission = args["admission"].as<std::string>();
  if (admission != "final" && admission != "mean") throw UsageError("--admission must be 'final' or 'mean'");

  const std::vector<FittedEfficiency>& fitted = catalogues.efficiencies;

  QueryOptions query;
  query.prompt_tokens = prompt;
  query.output_tokens = thinking + answer;
  query.batch = IntegerArg(args, "batch", number_rules::kCount);
  query.max_batch = IntegerArg(args, "max-batch", number_rules::kPositiveCount);
  query.admission = admission == "mean" ? QueryOptions::Admission::kMeanContext : QueryOptions::Admission::kFinalContext;
  query.utilisation = NumberArg(args, "utilisation", number_rules::kFraction);
  std::string error;
  if (!query.IsValid(&error)) throw UsageError(error);

  const std::string framework = args["framework"].as<std::string>();
  const std::vector<long> device_counts =
      args.count("devices") ? std::vector<long>{IntegerArg(args, "devices", number_rules::kPositiveCount)}
                            : std::vector<long>{1, 2, 4, 8};
  // Without --devices, the replica size with the lowest price per query: a second card can buy more than
  // twice the batch once the weights no longer crowd out the cache.
  std::optional<CostModel> model;
  QueryCost cost;
  ChosenEfficiency chosen;
  for (long devices : device_counts) {
    ChosenEfficiency candidate_efficiency = ChooseEfficiencyWithSource(fitted, card.name, framework, devices,
                                                                                shape->weight_precision);
    CostModel candidate(*shape, RatesFromDatasheet(card, devices, candidate_efficiency.efficiency, shape->weight_precision));
    query.usd_per_hour = price * static_cast<double>(devices);
    const QueryCost candidate_cost = CostQuery(candidate, query);
    if (!model || (candidate_cost.feasible && (!cost.feasible || candidate_cost.usd_per_query < cost.usd_per_query))) {
      model.emplace(std::move(candidate));
      cost = candidate_cost;
      chosen = std::move(candidate_efficiency);
    }
  }
  if (!cost.feasible) {
    throw UsageError(fmt::format("{} on {}: {}; try more --devices or a larger card", shape->name, card.name,
                                 cost.infeasible_reason));
  }
  const ServingRates& rates = model->rates();
  const long devices = rates.num_devices;
  const std::optional<std::string> extrapolation = ContextExtrapolationWarning(chosen.choice, prompt + thinking + answer);

  if (parsed.global.json) {
    nlohmann::json j = {
        {"kind", "self-hosted"},
        {"model", shape->name},
        {"weight_precision", ToString(shape->weight_precision)},
        {"kv_precision", ToString(shape->kv_precision)},
        {"peak_precision", ToString(PeakFor(card, shape->weight_precision)->precision)},
        {"hardware", card.name},
        {"devices", devices},
        {"usd_per_device_hour", price},
        {"utilisation", query.utilisation},
        {"efficiency_source", chosen.source},
        {"efficiency_fitted", chosen.choice.row != nullptr},
        {"measured_context_tokens", chosen.choice.row ? chosen.choice.row->max_context_tokens : 0},
        {"warnings", extrapolation ? nlohmann::json::array({*extrapolation}) : nlohmann::json::array()},
        {"t0_s", rates.t0_s},
        {"f_eff_flops_per_s", rates.flops_per_s},
        {"bw_eff_bytes_per_s", rates.bytes_per_s},
        {"hbm_bytes", rates.hbm_bytes},
        {"reserve_bytes", rates.reserve_bytes},
        {"prompt_tokens", prompt},
        {"thinking_tokens", thinking},
        {"answer_tokens", answer},
        {"admission", admission},
        {"kv_bytes_per_token", cost.kv_bytes_per_token},
        {"kv_bytes_per_query", cost.kv_bytes_per_query},
        {"weight_bytes", cost.weight_bytes},
        {"max_batch_at_admission", cost.max_batch_at_admission ? nlohmann::json(*cost.max_batch_at_admission)
                                                               : nlohmann::json(nullptr)},
        {"batch", cost.batch},
        {"batch_limited_by", cost.batch_limited_by},
        {"first_step", StepJson(cost.first_step)},
        {"last_step", StepJson(cost.last_step)},
        {"compute_bound_fraction", cost.compute_bound_fraction},
        {"prefill_s", cost.prefill_s},
        {"decode_s", cost.decode_s},
        {"latency_s", cost.latency_s},
        {"tokens_per_s", cost.tokens_per_s},
        {"tokens_per_s_first", cost.tokens_per_s_first},
        {"tokens_per_s_last", cost.tokens_per_s_last},
        {"device_seconds_per_query", cost.device_seconds_per_query},
        {"usd_per_mtok", cost.usd_per_mtok},
        {"usd_per_mtok_first", cost.usd_per_mtok_first},
        {"usd_per_mtok_last", cost.usd_per_mtok_last},
        {"usd_per_query", cost.usd_per_query},
        {"model_citation", shape->citation},
        {"hardware_citation", card.citation}};
    invocation.out << j.dump(2) << "\n";
    return 0;
  }
  auto& out = invocation.out;
  out << fmt::format("{} ({} weights, {} KV cache) on {} x {} (${:.2f} per device-hour, utilisation {:.0f}%){}\n",
                     shape->name, ToString(shape->weight_precision), ToString(shape->kv_precision), devices,
                     card.name, price, 100 * query.utilisation,
                     args.count("devices") ? "" : "; device count: the cheapest per query of 1, 2, 4, 8");
  out << fmt::format("efficiencies: {}\n", chosen.source);
  if (extrapolation) invocation.err << "warning: " << *extrapolation << "\n";
  out << fmt::format("  t0 {:.2f} ms, F_eff {:.0f} TFLOP/s (of the {} peak), BW_eff {:.2f} TB/s for the replica\n",
                     rates.t0_s * 1e3, rates.flops_per_s / 1e12, ToString(PeakFor(card, shape->weight_precision)->precision),
                     rates.bytes_per_s / 1e12);
  out << fmt::format("query: {:.0f} prompt + {:.0f} thinking + {:.0f} answer tokens; KV memory sized at the {} "
                     "context\n\n",
                     prompt, thinking, answer, admission);
  out << cost.FullReport();
  return 0;
}

}  // namespace thinkplan::cli
