// `thinkplan systems`, `hardware`, `models`, `classes`: what the database holds of each catalogue, the rows that
// `cost`, `plan` and `simulate` read (issue 14: the database is the one source of truth).
#include <map>
#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "core/errors.h"
#include "core/number_format.h"
#include "core/text_table.h"
#include "pipeline/catalogues.h"
#include "pipeline/plan_stage.h"
#include "planner/policy.h"

namespace thinkplan::cli {
namespace {

using Json = nlohmann::json;

Json Optional(const std::optional<double>& value) { return value ? Json(*value) : Json(nullptr); }
std::string Cell(const std::optional<double>& value, int digits) {
  return value ? FormatFixed(*value, digits) : std::string("-");
}

// Parses the command line and opens the database; nullopt after --help.
struct Opened {
  Parsed parsed;
  store::Database db;
};
std::optional<Opened> Open(cxxopts::Options& options, Invocation& invocation) {
  Parsed parsed = ParseCommandLine(options, invocation);
  if (parsed.help_shown) return std::nullopt;
  store::Database db = pipeline::OpenExistingDatabase(parsed.global.db_path);
  return Opened{std::move(parsed), std::move(db)};
}

void PrintOrSayEmpty(const TextTable& table, const char* what, const char* how, Invocation& invocation) {
  if (table.empty()) {
    invocation.out << fmt::format("no {} stored (ingest them: {})\n", what, how);
    return;
  }
  table.Print(invocation.out);
}

// ---- systems ----------------------------------------------------------------------------------------------

constexpr const char* kSystemsHelp =
    "List the stored systems with the list prices in force today (USD per million tokens): prompt tokens\n"
    "(in), prompt tokens read from the provider's cache (cached), generated tokens, thinking included (out),\n"
    "and the date that price took effect. A price change is a new dated row (ingest kind `prices`); the row in\n"
    "force is the latest one dated on or before the day asked for. 'undated' is the systems row's own price.\n"
    "`cost` and `plan` use exactly these prices, and a stored plan records which rows it used.\n"
    "One row per system: its prices and how it is called, the rows `export-policy` and the planner obey: `api\n"
    "model` is the API and the model id sent, `knob` the compute knob with the values the API accepts (the\n"
    "systems row's own knob where a system has no API fields). The API fields come in the systems file itself\n"
    "(columns api, api_model_id, thinking, knob, ... as in an API file, its source as api_source) or in a\n"
    "separate API file (data/apis/system_apis.csv); either way they are stored as the system's API row (table\n"
    "system_apis; the view system_catalogue joins them). --api lists the API rows themselves, with each model's\n"
    "endpoint, whether it thinks, its sample and output limits, self-hosted models (no systems row) included.\n\n"
    "Examples:\n"
    "  thinkplan systems\n"
    "  thinkplan systems --api               # how export-policy calls each model\n"
    "  thinkplan systems --history           # every dated price row under its system\n"
    "  thinkplan systems --as-of 2025-05-01  # the prices in force that day\n"
    "  thinkplan systems --json | jq '.[] | select(.name == \"o3\")'\n";

Json SystemJson(const SystemInfo& s, const std::vector<SystemPrice>& history) {
  Json prices = Json::array();
  for (const SystemPrice& p : history) {
    prices.push_back({{"effective_from", p.effective_from},
                      {"price_in_usd_per_mtok", p.price_in_usd_per_mtok},
                      {"price_cached_in_usd_per_mtok", Optional(p.price_cached_in_usd_per_mtok)},
                      {"price_out_usd_per_mtok", p.price_out_usd_per_mtok},
                      {"citation", p.citation}});
  }
  return {{"name", s.name},
          {"vendor", s.vendor},
          {"kind", s.kind},
          {"open_weights", s.open_weights},
          {"compute_knob", s.compute_knob},
          {"price_in_usd_per_mtok", Optional(s.price_in_usd_per_mtok)},
          {"price_cached_in_usd_per_mtok", Optional(s.price_cached_in_usd_per_mtok)},
          {"price_out_usd_per_mtok", Optional(s.price_out_usd_per_mtok)},
          {"price_effective_from", s.price_effective_from.empty() ? Json(nullptr) : Json(s.price_effective_from)},
          {"price_history", prices},
          {"citation", s.citation}};
}

// The compute knob of an API catalogue row with the values it accepts: "effort low|medium|high",
// "budget 1024..63999", "none".
std::string KnobText(const SystemApi& api) {
  if (api.knob == "effort") return "effort " + api.effort_values;
  if (api.knob == "budget" && api.budget_min_tokens && api.budget_max_tokens) {
    return fmt::format("budget {}..{}", *api.budget_min_tokens, *api.budget_max_tokens);
  }
  return api.knob;
}

// The endpoint export-policy sends to by default (OpenAI: the Responses API); empty for an API it does not know.
std::string DefaultEndpoint(const SystemApi& api) {
  const auto target = planner::ParsePolicyTarget(api.api);
  return target ? planner::Endpoint(*target, api.api_model_id) : std::string();
}

Json ApiJson(const SystemApi& a) {
  const auto optional_long = [](const std::optional<long>& x) { return x ? Json(*x) : Json(nullptr); };
  return {{"system", a.system},
          {"vendor", a.vendor},
          {"api", a.api},
          {"api_model_id", a.api_model_id},
          {"endpoint", DefaultEndpoint(a)},
          {"thinking", a.thinking},
          {"knob", a.knob},
          {"effort_values", a.effort_values},
          {"budget_min_tokens", optional_long(a.budget_min_tokens)},
          {"budget_max_tokens", optional_long(a.budget_max_tokens)},
          {"max_output_tokens", a.max_output_tokens},
          {"n_max", a.n_max},
          {"reasoning_parser", a.reasoning_parser},
          {"source", a.source}};
}

// `systems --api`: the API catalogue, every row (self-hosted models have rows under their model name).
int PrintApiCatalogue(const std::vector<SystemApi>& apis, Invocation& invocation, bool json) {
  if (json) {
    Json all = Json::array();
    for (const SystemApi& a : apis) all.push_back(ApiJson(a));
    invocation.out << all.dump(2) << "\n";
    return 0;
  }
  TextTable table({{"system"}, {"api"}, {"model id"}, {"endpoint"}, {"thinking"}, {"knob"},
                   {"n max", TextTable::Align::kRight}, {"max output", TextTable::Align::kRight}});
  for (const SystemApi& a : apis) {
    table.AddRow({a.system, a.api, a.api_model_id, DefaultEndpoint(a), a.thinking, KnobText(a),
                  a.n_max > 0 ? std::to_string(a.n_max) : "-", std::to_string(a.max_output_tokens)});
  }
  PrintOrSayEmpty(table, "API catalogue rows", "thinkplan ingest data/apis/system_apis.csv", invocation);
  return 0;
}

}  // namespace

int RunSystems(Invocation& invocation) {
  cxxopts::Options options("thinkplan systems", kSystemsHelp);
  AddGlobalOptions(options);
  options.add_options()("history", "also list every dated price row under its system")(
      "api", "list the API catalogue: each model's API, model id, endpoint, thinking, knob and limits")(
      "as-of", "the day whose prices are in force, YYYY-MM-DD (default: today, UTC)", cxxopts::value<std::string>());
  auto opened = Open(options, invocation);
  if (!opened) return 0;
  const auto& args = opened->parsed.result;
  pipeline::CatalogueOptions catalogue_options;
  if (args.count("as-of")) catalogue_options.prices_as_of = args["as-of"].as<std::string>();
  std::string error;
  if (!catalogue_options.IsValid(&error)) throw UsageError("--as-of: " + error);
  const std::vector<SystemApi> apis = opened->db.ListSystemApis();
  if (args.count("api")) return PrintApiCatalogue(apis, invocation, opened->parsed.global.json);
  std::map<std::string, const SystemApi*> api_of;
  for (const SystemApi& a : apis) api_of[a.system] = &a;
  std::vector<SystemInfo> systems = opened->db.ListSystems();
  const std::vector<SystemPrice> prices = opened->db.ListPrices();
  pipeline::ApplyPricesInForce(
      prices, catalogue_options.prices_as_of.empty() ? pipeline::TodayUtc() : catalogue_options.prices_as_of, &systems);
  std::map<std::string, std::vector<SystemPrice>> history;
  for (const SystemPrice& p : prices) history[p.system].push_back(p);

  if (opened->parsed.global.json) {
    Json all = Json::array();
    for (const SystemInfo& s : systems) {
      all.push_back(SystemJson(s, history[s.name]));
      all.back()["api"] = api_of.count(s.name) ? ApiJson(*api_of[s.name]) : Json(nullptr);
    }
    invocation.out << all.dump(2) << "\n";
    return 0;
  }
  TextTable table({{"system"}, {"vendor"}, {"kind"}, {"in", TextTable::Align::kRight},
                   {"cached", TextTable::Align::kRight}, {"out", TextTable::Align::kRight}, {"since"},
                   {"api model"}, {"knob"}});
  for (const SystemInfo& s : systems) {
    const SystemApi* api = api_of.count(s.name) ? api_of[s.name] : nullptr;
    table.AddRow({s.name, s.vendor, s.kind, Cell(s.price_in_usd_per_mtok, 3), Cell(s.price_cached_in_usd_per_mtok, 3),
                  Cell(s.price_out_usd_per_mtok, 3),
                  s.price_effective_from.empty() ? (s.price_in_usd_per_mtok ? "undated" : "-") : s.price_effective_from,
                  api ? api->api + " " + api->api_model_id : "-",
                  api ? KnobText(*api) : s.compute_knob.empty() ? "-" : s.compute_knob});
    if (!args.count("history")) continue;
    for (const SystemPrice& p : history[s.name]) {
      table.AddRow({"", "", "  price row", FormatFixed(p.price_in_usd_per_mtok, 3),
                    Cell(p.price_cached_in_usd_per_mtok, 3), FormatFixed(p.price_out_usd_per_mtok, 3),
                    p.effective_from, "", ""});
    }
  }
  PrintOrSayEmpty(table, "systems", "thinkplan ingest systems.csv prices.csv", invocation);
  return 0;
}

// ---- hardware ---------------------------------------------------------------------------------------------

namespace {
constexpr const char* kHardwareHelp =
    "List the stored accelerators: memory (GiB), memory bandwidth (TB/s), dense matrix peaks per precision\n"
    "(TFLOP/s for bf16 and fp8, TOPS for int8 and int4; '-' where the datasheet row has none: the cost model\n"
    "then falls back int4 -> int8 -> fp8 -> bf16) and the hourly price where one is public.\n\n"
    "Examples:\n"
    "  thinkplan hardware\n"
    "  thinkplan hardware --json\n";
}  // namespace

int RunHardware(Invocation& invocation) {
  cxxopts::Options options("thinkplan hardware", kHardwareHelp);
  AddGlobalOptions(options);
  auto opened = Open(options, invocation);
  if (!opened) return 0;
  const std::vector<HardwareInfo> cards = opened->db.ListHardware();
  if (opened->parsed.global.json) {
    Json all = Json::array();
    for (const HardwareInfo& h : cards) {
      all.push_back({{"name", h.name},
                     {"hbm_gib", Optional(h.hbm_gib)},
                     {"hbm_tb_per_s", Optional(h.hbm_tb_per_s)},
                     {"bf16_dense_tflops", Optional(h.bf16_dense_tflops)},
                     {"fp8_dense_tflops", Optional(h.fp8_dense_tflops)},
                     {"int8_dense_tops", Optional(h.int8_dense_tops)},
                     {"int4_dense_tops", Optional(h.int4_dense_tops)},
                     {"usd_per_hour", Optional(h.usd_per_hour)},
                     {"same_part_as", h.same_part_as},
                     {"citation", h.citation},
                     {"note", h.note}});
    }
    invocation.out << all.dump(2) << "\n";
    return 0;
  }
  using A = TextTable::Align;
  TextTable table({{"hardware"}, {"GiB", A::kRight}, {"TB/s", A::kRight}, {"bf16", A::kRight}, {"fp8", A::kRight},
                   {"int8", A::kRight}, {"int4", A::kRight}, {"$/hour", A::kRight}, {"same part as"}});
  for (const HardwareInfo& h : cards) {
    table.AddRow({h.name, Cell(h.hbm_gib, 0), Cell(h.hbm_tb_per_s, 3), Cell(h.bf16_dense_tflops, 0),
                  Cell(h.fp8_dense_tflops, 0), Cell(h.int8_dense_tops, 0), Cell(h.int4_dense_tops, 0),
                  Cell(h.usd_per_hour, 2), h.same_part_as});
  }
  PrintOrSayEmpty(table, "hardware", "thinkplan ingest hardware.csv", invocation);
  return 0;
}

// ---- models -----------------------------------------------------------------------------------------------

namespace {
constexpr const char* kModelsHelp =
    "List the stored model shapes: parameters (billions; active = used per token), layers, query and KV heads,\n"
    "head dimension, the precision of the weights and of the KV cache as stored, and what they imply: the\n"
    "KV cache bytes one token keeps (2 x layers x KV heads x head dim x KV bytes, or the stored override such\n"
    "as DeepSeek's MLA latent) and the weights' memory in GB. `cost --precision` serves a shape at another\n"
    "precision.\n\n"
    "Examples:\n"
    "  thinkplan models\n"
    "  thinkplan models --json | jq '.[] | select(.name == \"Llama-3.1-70B\")'\n";
}  // namespace

int RunModels(Invocation& invocation) {
  cxxopts::Options options("thinkplan models", kModelsHelp);
  AddGlobalOptions(options);
  auto opened = Open(options, invocation);
  if (!opened) return 0;
  const std::vector<ModelShape> shapes = opened->db.ListModelShapes();
  if (opened->parsed.global.json) {
    Json all = Json::array();
    for (const ModelShape& s : shapes) {
      all.push_back({{"name", s.name}, {"hf_id", s.hf_id}, {"params_total_b", s.params_total / 1e9},
                     {"params_active_b", s.params_active / 1e9}, {"layers", s.layers}, {"hidden", s.hidden},
                     {"heads", s.heads}, {"kv_heads", s.kv_heads}, {"head_dim", s.head_dim},
                     {"n_experts", s.n_experts}, {"experts_per_token", s.experts_per_token},
                     {"weight_precision", ToString(s.weight_precision)}, {"kv_precision", ToString(s.kv_precision)},
                     {"kv_bytes_per_token", s.KvBytesPerToken()}, {"weight_bytes", s.WeightBytes()},
                     {"citation", s.citation}});
    }
    invocation.out << all.dump(2) << "\n";
    return 0;
  }
  using A = TextTable::Align;
  TextTable table({{"model"}, {"params B", A::kRight}, {"active B", A::kRight}, {"layers", A::kRight},
                   {"heads", A::kRight}, {"kv heads", A::kRight}, {"head dim", A::kRight}, {"weights"}, {"kv"},
                   {"KV bytes/token", A::kRight}, {"weights GB", A::kRight}});
  for (const ModelShape& s : shapes) {
    table.AddRow({s.name, FormatFixed(s.params_total / 1e9, 2), FormatFixed(s.params_active / 1e9, 2),
                  std::to_string(s.layers), std::to_string(s.heads), std::to_string(s.kv_heads),
                  std::to_string(s.head_dim), std::string(ToString(s.weight_precision)),
                  std::string(ToString(s.kv_precision)), FormatCount(s.KvBytesPerToken()),
                  FormatFixed(s.WeightBytes() / 1e9, 1)});
  }
  PrintOrSayEmpty(table, "model shapes", "thinkplan ingest models.csv", invocation);
  return 0;
}

// ---- classes ----------------------------------------------------------------------------------------------

namespace {
constexpr const char* kClassesHelp =
    "List the stored task classes (created by the runs that name them) with how many runs each has. A\n"
    "workload's classes point at these names through their `curves`; a class with few runs gives wide\n"
    "intervals.\n\n"
    "Examples:\n"
    "  thinkplan classes\n"
    "  thinkplan classes --json\n";
}  // namespace

int RunClasses(Invocation& invocation) {
  cxxopts::Options options("thinkplan classes", kClassesHelp);
  AddGlobalOptions(options);
  auto opened = Open(options, invocation);
  if (!opened) return 0;
  const std::vector<store::TaskClassInfo> classes = opened->db.ListTaskClasses();
  if (opened->parsed.global.json) {
    Json all = Json::array();
    for (const store::TaskClassInfo& c : classes) {
      all.push_back({{"name", c.name}, {"description", c.description}, {"runs", c.runs}});
    }
    invocation.out << all.dump(2) << "\n";
    return 0;
  }
  TextTable table({{"class"}, {"runs", TextTable::Align::kRight}, {"description"}});
  for (const store::TaskClassInfo& c : classes) {
    table.AddRow({c.name, std::to_string(c.runs), c.description.empty() ? "-" : c.description});
  }
  PrintOrSayEmpty(table, "task classes", "thinkplan ingest runs.csv", invocation);
  return 0;
}

}  // namespace thinkplan::cli
