#include "planner/policy.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <deque>
#include <unordered_map>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/json_output.h"
#include "core/json_subset.h"
#include "core/text.h"
#include "planner/policy_requests.h"

namespace thinkplan::planner {
namespace {

using nlohmann::json;

constexpr PolicyTarget kTargets[] = {PolicyTarget::kOpenAi, PolicyTarget::kAnthropic, PolicyTarget::kGemini,
                                     PolicyTarget::kVllm, PolicyTarget::kDeepSeek};

// Workload entries by name: a plan of 100,000 classes looks one up per route.
using ByName = std::unordered_map<std::string, const json*>;

ByName IndexByName(const json& array) {
  ByName index;
  index.reserve(array.size());
  for (const json& x : array) index.emplace(x.value("name", ""), &x);
  return index;
}

const json* FindByName(const ByName& index, const std::string& name) {
  const auto it = index.find(name);
  return it == index.end() ? nullptr : it->second;
}

// The names a workload system may go by in the API catalogue, most specific first: its `catalogue` row, a
// self-hosted system's model, its own name, its default curves.
std::vector<std::string> CatalogueNames(const json& system) {
  std::vector<std::string> names;
  for (const char* key : {"catalogue", "model", "name"}) {
    if (system.contains(key) && system[key].is_string()) names.push_back(system[key].get<std::string>());
  }
  const json curves = system.value("curves", json());
  if (curves.is_string()) names.push_back(curves.get<std::string>());
  if (curves.is_object() && curves.contains("*")) names.push_back(curves["*"].get<std::string>());
  return names;
}

const SystemApi& FindApi(const std::vector<SystemApi>& apis, const json& system) {
  for (const std::string& name : CatalogueNames(system)) {
    for (const SystemApi& api : apis) {
      if (api.system == name) return api;
    }
  }
  throw InputError(
      fmt::format("system '{}' has no row in the API catalogue (table system_apis; add it to "
                  "data/apis/system_apis.csv and ingest it)",
                  system.value("name", "")));
}

PolicyTarget TargetOf(const SystemApi& api) {
  const auto target = ParsePolicyTarget(api.api);
  if (!target) throw InputError(fmt::format("system '{}': unknown API '{}' in the API catalogue", api.system, api.api));
  return *target;
}

OptionSettings SettingsOf(const json& option, const json& system, const json& klass) {
  OptionSettings s;
  s.system = system.value("name", "");
  s.extended = option.value("mode", "extended") == "extended";
  s.effort = Lower(option.value("effort", ""));
  if (option.contains("budget_tokens") && option["budget_tokens"].is_number()) {
    s.budget_tokens = option["budget_tokens"].get<double>();
  }
  s.thinking_tokens_p95 = option.value("thinking_tokens_p95", 0.0);
  s.answer_tokens = klass.value("answer_tokens", 0.0);
  s.samples = option.value("samples", 1L);
  return s;
}

// A workload system as the policy calls it, resolved once per system the plan uses.
struct ServedSystem {
  const json* system;
  const SystemApi* api;
  PolicyTarget target;
  std::string model;
};

ServedSystem Serve(const PolicyInputs& in, const json& system) {
  const SystemApi& api = FindApi(in.apis, system);
  const PolicyTarget own = TargetOf(api);
  if (in.target && *in.target != own) {
    throw InputError(
        fmt::format("--target {} cannot serve system '{}': the API catalogue serves it through {} "
                    "(model {})",
                    ToString(*in.target), system.value("name", ""), api.api, api.api_model_id));
  }
  return {&system, &api, own, system.value("api_model_id", api.api_model_id)};
}

// The members of an exported option, in the order they are filled; KeyOrder gives the order nlohmann's objects
// (std::map) keep them in, by key bytewise, which the streamed writer follows so that its text is dump's.
constexpr std::array<std::string_view, 21> kOptionKeys = {
    "fraction",          "system",          "mode",      "budget_tokens",           "effort",
    "samples",           "aggregation",     "verifier",  "expected_accuracy",       "accuracy_interval",
    "expected_thinking_tokens", "cost_usd_per_query", "latency_p95_s", "target",   "api",
    "endpoint",          "model",           "reasoning_parser", "prompt_field",     "fan_out",
    "request"};
constexpr std::array<std::string_view, 6> kRouteKeys = {"class",    "bucket",            "traffic_fraction",
                                                        "expected_accuracy", "accuracy_interval", "options"};

template <std::size_t N>
std::array<std::size_t, N> KeyOrder(const std::array<std::string_view, N>& keys) {
  std::array<std::size_t, N> order{};
  for (std::size_t i = 0; i < N; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
  return order;
}

// The members of a plan option that the policy reads (PolicyPlanMembers), indexed by PlanOption.
enum PlanOption : std::size_t {
  kFraction, kSystem, kMode, kBudgetTokens, kEffort, kSamples, kAggregation, kAccuracy, kAccuracyInterval,
  kThinkingMean, kThinkingP95, kCost, kLatency
};
constexpr std::array<std::string_view, 13> kPlanOptionMembers = {
    "fraction", "system", "mode", "budget_tokens", "effort", "samples", "aggregation", "accuracy",
    "accuracy_interval", "thinking_tokens_mean", "thinking_tokens_p95", "cost_usd_per_query", "latency_p95_s"};
// The members of an allocation entry that the policy reads: kRouteKeys' values (in that order), then its options.
constexpr std::array<std::string_view, 6> kPlanRouteMembers = {"class", "bucket", "traffic_fraction", "accuracy",
                                                               "accuracy_interval", "options"};

// One exported option: each member's value, referenced in the plan where the policy copies it (no copy made) or
// owned here where the export computes it. Built once per option for both BuildPolicy and WritePolicy.
class ExportedOption {
 public:
  ExportedOption(const PolicyInputs& in, const json& o, const ServedSystem& served, const json& klass)
      : call_(MakeApiCall(served.target, *served.api, served.model, SettingsOf(o, *served.system, klass),
                          in.openai_api)),
        effort_(o.value("effort", std::string())),
        verifier_(klass.at("verifier").value("kind", "none")),
        target_(served.api->api),
        reasoning_parser_(served.api->reasoning_parser),
        api_(std::move(call_.api)),
        endpoint_(std::move(call_.endpoint)),
        model_(std::move(call_.model)),
        prompt_field_(std::move(call_.prompt_field)),
        fan_out_(call_.fan_out),
        values_{&o.at("fraction"),   &o.at("system"),     &o.at("mode"),          &o.at("budget_tokens"),
                &effort_,            &o.at("samples"),    &o.at("aggregation"),   &verifier_,
                &o.at("accuracy"),   &o.at("accuracy_interval"), &o.at("thinking_tokens_mean"),
                &o.at("cost_usd_per_query"), &o.at("latency_p95_s"), &target_, &api_, &endpoint_, &model_,
                &reasoning_parser_,  &prompt_field_,      &fan_out_,              &call_.request} {}
  ExportedOption(const ExportedOption&) = delete;
  ExportedOption& operator=(const ExportedOption&) = delete;

  // Member i's value, i indexing kOptionKeys.
  const json& Value(std::size_t i) const { return *values_[i]; }

  json ToJson() const {
    json option = json::object();
    for (std::size_t i = 0; i < kOptionKeys.size(); ++i) option[std::string(kOptionKeys[i])] = Value(i);
    return option;
  }

 private:
  ApiCall call_;
  json effort_, verifier_, target_, reasoning_parser_, api_, endpoint_, model_, prompt_field_, fan_out_;
  std::array<const json*, kOptionKeys.size()> values_;
};

// Systems the plan uses, resolved on first use: a workload system the plan leaves out needs no catalogue row.
class ServedSystems {
 public:
  ServedSystems(const PolicyInputs& in, const json& systems) : in_(in), systems_(IndexByName(systems)) {}
  const ServedSystem& Get(const std::string& name) {
    if (const auto it = served_.find(name); it != served_.end()) return it->second;
    const json* s = FindByName(systems_, name);
    if (!s) throw InputError("plan names system '" + name + "' that its workload lacks");
    return served_.emplace(name, Serve(in_, *s)).first->second;
  }

 private:
  const PolicyInputs& in_;
  ByName systems_;
  std::unordered_map<std::string, ServedSystem> served_;
};

const json& ClassOf(const ByName& classes, const json& a) {
  const json* c = FindByName(classes, a.at("class").get<std::string>());
  if (!c) throw InputError("plan names class '" + a.at("class").get<std::string>() + "' that its workload lacks");
  return *c;
}

// Member i of a route (kRouteKeys) but its options.
const json& RouteValue(const json& a, std::size_t i) { return a.at(kPlanRouteMembers[i]); }

json Route(const PolicyInputs& in, const json& a, ServedSystems& systems, const ByName& classes) {
  const json& c = ClassOf(classes, a);
  json route = json::object();
  for (std::size_t i = 0; i + 1 < kRouteKeys.size(); ++i) route[std::string(kRouteKeys[i])] = RouteValue(a, i);
  json& options = route["options"] = json::array();
  for (const json& o : a.at("options")) {
    options.push_back(ExportedOption(in, o, systems.Get(o.at("system").get<std::string>()), c).ToJson());
  }
  return route;
}

}  // namespace

std::string_view ToString(PolicyTarget target) {
  switch (target) {
    case PolicyTarget::kOpenAi: return "openai";
    case PolicyTarget::kAnthropic: return "anthropic";
    case PolicyTarget::kGemini: return "gemini";
    case PolicyTarget::kVllm: return "vllm";
    case PolicyTarget::kDeepSeek: return "deepseek";
  }
  return "?";
}

std::optional<PolicyTarget> ParsePolicyTarget(std::string_view text) {
  for (PolicyTarget t : kTargets) {
    if (ToString(t) == text) return t;
  }
  return std::nullopt;
}

std::string_view ToString(OpenAiApi api) { return api == OpenAiApi::kChat ? "chat" : "responses"; }

std::optional<OpenAiApi> ParseOpenAiApi(std::string_view text) {
  if (text == "responses") return OpenAiApi::kResponses;
  if (text == "chat") return OpenAiApi::kChat;
  return std::nullopt;
}

const json& PolicyPlanMembers() {
  // Read by PolicyOption (each option), Route (each allocation entry) and BuildPolicy (the plan's head).
  static const json option = [] {
    json members = json::object();
    for (const std::string_view key : kPlanOptionMembers) members[std::string(key)] = true;
    return members;
  }();
  static const json route = {{"class", true},    {"bucket", true},
                             {"traffic_fraction", true}, {"accuracy", true},
                             {"accuracy_interval", true}, {"options", json::array({option})}};
  static const json plan = {{"workload", true},          {"objective", true},
                            {"accuracy", true},          {"accuracy_interval", true},
                            {"allocation", json::array({route})}};
  return plan;
}

const json& PolicyWorkloadMembers() {
  // Systems whole (CatalogueNames, Serve: a handful of rows); of the classes what SettingsOf and PolicyOption read.
  static const json klass = {{"name", true}, {"answer_tokens", true}, {"verifier", true}};
  static const json workload = {{"systems", true}, {"classes", json::array({klass})}};
  return workload;
}

PolicyPlanForm SplitAllocation(json plan_subset) {
  PolicyPlanForm form;
  if (plan_subset.is_object() && plan_subset.contains("allocation") && plan_subset["allocation"].is_array()) {
    for (const json& entry : plan_subset["allocation"]) form.allocation_lines += entry.dump() + "\n";
    plan_subset.erase("allocation");
  }
  form.head = plan_subset.dump();
  return form;
}

namespace {

// Calls `each` with every allocation entry of the plan, in order: from the JSON Lines one at a time (each read
// with the members PolicyPlanMembers names, as the whole plan's entries are) or from plan["allocation"].
template <typename Each>
void ForEachAllocation(const PolicyInputs& in, Each&& each) {
  if (!in.allocation_lines) {
    for (const json& a : in.plan.at("allocation")) each(a);
    return;
  }
  const json& keep = PolicyPlanMembers().at("allocation").at(0);
  const std::string what = fmt::format("plan {} (stored allocation entry)", in.plan_id);
  std::string_view rest = *in.allocation_lines;
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    const std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (!line.empty()) each(ParseJsonSubset(line, keep, what));
  }
}

// The policy without its routes; "routes" is an empty array, filled by the caller.
json PolicyHead(const PolicyInputs& in) {
  return {{"policy_version", kPolicyVersion},
          {"plan_id", in.plan_id},
          {"workload", in.plan.value("workload", "")},
          {"workload_hash", in.workload_hash},
          {"fits_hash", in.fits_hash},
          {"created_at", in.created_at},
          {"objective", in.plan.value("objective", "")},
          {"expected_accuracy", in.plan.value("accuracy", 0.0)},
          {"accuracy_interval", in.plan.value("accuracy_interval", json::array({0.0, 0.0}))},
          {"routes", json::array()}};
}

// Calls `each` with every route of the plan, in order, built one at a time.
template <typename Each>
void ForEachRoute(const PolicyInputs& in, Each&& each) {
  ServedSystems systems(in, in.workload.at("systems"));
  const ByName classes = IndexByName(in.workload.at("classes"));
  ForEachAllocation(in, [&](const json& a) { each(Route(in, a, systems, classes)); });
}

}  // namespace

json BuildPolicy(const PolicyInputs& in) {
  json policy = PolicyHead(in);
  json& routes = policy["routes"];
  ForEachRoute(in, [&](json route) { routes.push_back(std::move(route)); });
  return policy;
}

namespace {

// Text laid out as nlohmann's dump(indent) lays it out: "{\n", members at one more level of indentation, each
// `"key": value`, ",\n" between them, the closing bracket on its own line at the object's level.
class DumpLayout {
 public:
  DumpLayout(std::ostream& out, int indent)
      : writer_(out, indent), indent_(static_cast<std::size_t>(indent)), spaces_(8 * indent_, ' ') {
    for (std::size_t depth = 0; depth < separators_.size(); ++depth) {
      separators_[depth] = ",\n" + spaces_.substr(0, indent_ * depth);
    }
  }

  void Raw(std::string_view text) { writer_.Raw(text); }
  void Value(const json& value, int depth) { writer_.Value(value, depth); }
  void Compact(std::string_view compact, int depth) { writer_.Compact(compact, depth); }
  void Pad(int depth) { writer_.Raw(std::string_view(spaces_).substr(0, indent_ * static_cast<std::size_t>(depth))); }
  // The separator before member or element `index`, its indentation and, for a member, its key.
  void Next(std::size_t index, int depth) {
    const std::string_view separator = separators_.at(static_cast<std::size_t>(depth));
    writer_.Raw(index == 0 ? separator.substr(1) : separator);
  }
  void Key(std::string_view key) {
    // The keys are the policy's own, plain ASCII: nothing to escape. Written in one piece, as they are many.
    std::array<char, 64> quoted{};
    if (key.size() + 4 > quoted.size()) throw InternalError("policy key too long: " + std::string(key));
    quoted[0] = '"';
    std::copy(key.begin(), key.end(), quoted.begin() + 1);
    std::copy_n("\": ", 3, quoted.begin() + 1 + key.size());
    writer_.Raw(std::string_view(quoted.data(), key.size() + 4));
  }
  void Close(char bracket, int depth) {
    writer_.Raw("\n");
    Pad(depth);
    writer_.Raw(std::string_view(&bracket, 1));
  }

 private:
  JsonWriter writer_;
  std::size_t indent_;
  std::string spaces_;  // deep enough for the policy's nesting (8 levels)
  std::array<std::string, 8> separators_;  // ",\n" and the indentation of each depth
};

// The streamed policy is written from the text of the plan's allocation entries, not from JSON values built out of
// it: an entry is compact JSON as dump() writes it (the stored lines, SplitAllocation; or a whole plan's entries
// dumped one at a time), so a value the policy copies is written as its text stands, re-laid out (JsonWriter::
// Compact), and is the text dump(2) makes of the parsed value. Building and freeing the entries' values, and
// converting and formatting their numbers, was most of a 100,000-class export's time (docs/performance.md).

// Calls `each` with the compact text of every allocation entry of the plan, in order.
template <typename Each>
void ForEachEntryText(const PolicyInputs& in, Each&& each) {
  if (!in.allocation_lines) {
    for (const json& a : in.plan.at("allocation")) each(std::string_view(a.dump()));
    return;
  }
  std::string_view rest = *in.allocation_lines;
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    const std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (!line.empty()) each(line);
  }
}

// Of `members`, the text of each of `names` (empty when absent).
template <std::size_t N>
void PickMembers(const std::vector<RawMember>& members, const std::array<std::string_view, N>& names,
                 std::array<std::string_view, N>* out) {
  out->fill({});
  for (const RawMember& m : members) {
    for (std::size_t i = 0; i < N; ++i) {
      if (m.key == names[i]) (*out)[i] = m.value;
    }
  }
}

using OptionText = std::array<std::string_view, kPlanOptionMembers.size()>;

// An allocation entry as text: its members' values. Read one entry after another into the same buffers.
class EntryText {
 public:
  explicit EntryText(long plan_id) : what_(fmt::format("plan {} (stored allocation entry)", plan_id)) {}

  void Read(std::string_view text) {
    ReadRawMembers(text, what_, &members_);
    PickMembers(members_, kPlanRouteMembers, &route_);
    for (std::size_t i = 0; i < route_.size(); ++i) Require(route_[i], kPlanRouteMembers[i]);
    ReadRawElements(route_.back(), what_, &elements_);
    options_.resize(elements_.size());
    for (std::size_t i = 0; i < elements_.size(); ++i) {
      ReadRawMembers(elements_[i], what_, &members_);
      PickMembers(members_, kPlanOptionMembers, &options_[i]);
      for (std::size_t k = 0; k < kPlanOptionMembers.size(); ++k) {
        if (k != kEffort && k != kThinkingP95) Require(options_[i][k], kPlanOptionMembers[k]);
      }
    }
  }
  // Member i of kPlanRouteMembers.
  std::string_view Route(std::size_t i) const { return route_[i]; }
  const std::vector<OptionText>& options() const { return options_; }
  std::string_view String(std::string_view quoted) { return RawString(quoted, &scratch_, what_); }
  double Number(std::string_view text) const { return RawNumber(text, what_); }

 private:
  void Require(std::string_view value, std::string_view key) const {
    if (value.empty()) throw InputError(fmt::format("{}: no member '{}'", what_, key));
  }
  std::string what_;
  std::vector<RawMember> members_;
  std::vector<std::string_view> elements_;
  std::array<std::string_view, kPlanRouteMembers.size()> route_;
  std::vector<OptionText> options_;
  std::string scratch_;
};

// What the policy reads of a workload class, by name, indexed once for both passes of the export.
struct ClassFacts {
  std::string_view verifier_text;        // the class's "verifier" as JSON text; empty when it has none
  double answer_tokens;
  std::optional<std::string> verifier;  // the verifier's kind as JSON text, made on first use
};

constexpr std::array<std::string_view, 3> kClassMembers = {"name", "answer_tokens", "verifier"};

// The classes of a workload read from its compact text (see PolicyInputs::workload_text), none built as JSON.
class ClassIndex {
 public:
  ClassIndex(std::string_view workload_text, const std::string& what) {
    std::vector<RawMember> members;
    ReadRawMembers(workload_text, what, &members);
    std::array<std::string_view, 1> classes;
    PickMembers(members, std::array<std::string_view, 1>{"classes"}, &classes);
    if (classes[0].empty()) throw InputError(what + ": no classes");
    std::vector<std::string_view> elements;
    ReadRawElements(classes[0], what, &elements);
    index_.reserve(elements.size());
    std::string scratch;
    for (const std::string_view element : elements) {
      ReadRawMembers(element, what, &members);
      std::array<std::string_view, kClassMembers.size()> m;
      PickMembers(members, kClassMembers, &m);
      std::string_view name = m[0].empty() ? std::string_view() : RawString(m[0], &scratch, what);
      if (name.data() == scratch.data()) name = decoded_names_.emplace_back(scratch);  // escaped: kept here
      const double answer_tokens = m[1].empty() ? 0.0 : RawNumber(m[1], what);
      index_.try_emplace(name, ClassFacts{m[2], answer_tokens, std::nullopt});  // the first class of a name
    }
  }
  ClassFacts& Get(std::string_view name) {
    const auto it = index_.find(name);
    if (it == index_.end()) throw InputError("plan names class '" + std::string(name) + "' that its workload lacks");
    return it->second;
  }

 private:
  std::unordered_map<std::string_view, ClassFacts> index_;
  std::deque<std::string> decoded_names_;
};

const std::string& VerifierText(ClassFacts& c) {
  if (!c.verifier) {
    if (c.verifier_text.empty()) throw InputError("a class of the plan's workload has no verifier");
    c.verifier = json(ParseJsonSubset(c.verifier_text, true, "workload class verifier").value("kind", "none")).dump();
  }
  return *c.verifier;
}

// A served system's members of an exported option that are the same for all its options, as JSON text.
struct ServedText {
  std::string target, api, endpoint, model, reasoning_parser, prompt_field;
};

// The systems of ServedSystems by their name's text, with their ServedText, made from their first call.
class ServedTexts {
 public:
  explicit ServedTexts(ServedSystems& systems) : systems_(systems) {}
  struct Entry {
    std::string name;
    const ServedSystem* served;
    std::optional<ServedText> text;
  };
  Entry& Get(std::string_view name) {
    for (Entry& e : entries_) {
      if (e.name == name) return e;
    }
    const std::string key(name);
    return entries_.emplace_back(Entry{key, &systems_.Get(key), std::nullopt});
  }

 private:
  ServedSystems& systems_;
  std::deque<Entry> entries_;  // a handful: a list searched beats a hash of each option's name
};

const ServedText& TextOf(ServedTexts::Entry& e, const ApiCall& call) {
  if (!e.text) {
    const auto text = [](const std::string& s) { return json(s).dump(); };
    e.text = ServedText{text(e.served->api->api), text(call.api),   text(call.endpoint),
                        text(call.model),         text(e.served->api->reasoning_parser), text(call.prompt_field)};
  }
  return *e.text;
}

OptionSettings SettingsOfText(EntryText& entry, const OptionText& o, const ServedSystem& served,
                              const ClassFacts& klass) {
  OptionSettings s;
  s.system = served.system->value("name", "");
  s.extended = entry.String(o[kMode]) == "extended";
  if (!o[kEffort].empty()) s.effort = Lower(entry.String(o[kEffort]));
  const char budget = o[kBudgetTokens][0];
  if (budget == '-' || (budget >= '0' && budget <= '9')) s.budget_tokens = entry.Number(o[kBudgetTokens]);
  if (!o[kThinkingP95].empty()) s.thinking_tokens_p95 = entry.Number(o[kThinkingP95]);
  s.answer_tokens = klass.answer_tokens;
  s.samples = static_cast<long>(entry.Number(o[kSamples]));
  return s;
}

// The context both passes of the export share: the systems served, the classes, the entry being read.
struct TextPass {
  TextPass(const PolicyInputs& in, std::string_view workload_text)
      : systems(in, in.workload.at("systems")),
        texts(systems),
        classes(workload_text, fmt::format("plan {} (stored workload)", in.plan_id)),
        entry(in.plan_id) {}
  ServedSystems systems;
  ServedTexts texts;
  ClassIndex classes;
  EntryText entry;
  std::vector<ClassFacts*> route_classes;  // each route's class, looked up by the check, used by the write
};

// Throws every refusal BuildPolicy would, before anything is written: each option is checked as its request would
// be (CheckRequest), without making the request or the rest of the policy.
void CheckRoutes(const PolicyInputs& in, TextPass& pass) {
  ForEachEntryText(in, [&](std::string_view text) {
    pass.entry.Read(text);
    ClassFacts& c = pass.classes.Get(pass.entry.String(pass.entry.Route(0)));
    pass.route_classes.push_back(&c);
    for (const OptionText& o : pass.entry.options()) {
      const ServedSystem& served = *pass.texts.Get(pass.entry.String(o[kSystem])).served;
      CheckRequest(served.target, *served.api, SettingsOfText(pass.entry, o, served, c));
    }
  });
}

// Each of kOptionKeys' values of one option as text, but the request's (kOptionKeys.size() - 1), a JSON value.
void WriteOption(DumpLayout& text, const std::array<std::string_view, kOptionKeys.size()>& values,
                 const json& request, int depth) {
  static const auto order = KeyOrder(kOptionKeys);
  text.Raw("{");
  for (std::size_t k = 0; k < order.size(); ++k) {
    text.Next(k, depth + 1);
    text.Key(kOptionKeys[order[k]]);
    if (order[k] + 1 == kOptionKeys.size()) text.Value(request, depth + 1);
    else text.Compact(values[order[k]], depth + 1);
  }
  text.Close('}', depth);
}

// One option written as dump writes ExportedOption::ToJson() at `depth`, from the entry's text.
void WriteOptionText(DumpLayout& text, const PolicyInputs& in, TextPass& pass, const OptionText& o, ClassFacts& c,
                     int depth) {
  ServedTexts::Entry& system = pass.texts.Get(pass.entry.String(o[kSystem]));
  const ServedSystem& served = *system.served;
  const ApiCall call =
      MakeApiCall(served.target, *served.api, served.model, SettingsOfText(pass.entry, o, served, c), in.openai_api);
  const ServedText& t = TextOf(system, call);
  std::array<char, 24> fan_out{};
  const auto end = std::to_chars(fan_out.data(), fan_out.data() + fan_out.size(), call.fan_out).ptr;
  const std::array<std::string_view, kOptionKeys.size()> values = {
      o[kFraction], o[kSystem], o[kMode], o[kBudgetTokens], o[kEffort].empty() ? "\"\"" : o[kEffort],
      o[kSamples], o[kAggregation], VerifierText(c), o[kAccuracy], o[kAccuracyInterval], o[kThinkingMean],
      o[kCost], o[kLatency], t.target, t.api, t.endpoint, t.model, t.reasoning_parser, t.prompt_field,
      std::string_view(fan_out.data(), static_cast<std::size_t>(end - fan_out.data())), std::string_view()};
  WriteOption(text, values, call.request, depth);
}

// One route written as dump writes Route(...) at `depth`, from the entry's text: its options made and written one
// at a time.
void WriteRoute(DumpLayout& text, const PolicyInputs& in, TextPass& pass, std::string_view entry_text,
                std::size_t route, int depth) {
  static const auto order = KeyOrder(kRouteKeys);
  EntryText& entry = pass.entry;
  entry.Read(entry_text);
  ClassFacts& c = *pass.route_classes.at(route);
  text.Raw("{");
  for (std::size_t k = 0; k < order.size(); ++k) {
    text.Next(k, depth + 1);
    text.Key(kRouteKeys[order[k]]);
    if (order[k] + 1 < kRouteKeys.size()) {
      text.Compact(entry.Route(order[k]), depth + 1);
      continue;
    }
    if (entry.options().empty()) {
      text.Raw("[]");
      continue;
    }
    text.Raw("[");
    for (std::size_t i = 0; i < entry.options().size(); ++i) {
      text.Next(i, depth + 2);
      WriteOptionText(text, in, pass, entry.options()[i], c, depth + 2);
    }
    text.Close(']', depth + 1);
  }
  text.Close('}', depth);
}

}  // namespace

void WritePolicy(const PolicyInputs& in, std::ostream& out, int indent) {
  // Laid out as nlohmann's dump(indent) lays out the whole policy (keys in order, ",\n" between members, closing
  // brackets on their own lines), so that the text is the same to the byte (tests/reliability check it). Each
  // route is written from the text of its allocation entry as it is read, never built as JSON (see
  // ForEachEntryText).
  const std::string dumped = in.workload_text ? std::string() : in.workload.dump();
  TextPass pass(in, in.workload_text ? *in.workload_text : dumped);
  CheckRoutes(in, pass);  // a refusal leaves the output empty, as BuildPolicy's does
  const json head = PolicyHead(in);
  DumpLayout text(out, indent);
  text.Raw("{");
  std::size_t k = 0;
  for (auto it = head.begin(); it != head.end(); ++it) {
    text.Next(k++, 1);
    text.Key(it.key());
    if (it.key() != "routes") {
      text.Value(it.value(), 1);
      continue;
    }
    std::size_t i = 0;
    ForEachEntryText(in, [&](std::string_view entry) {
      text.Raw(i == 0 ? "[" : "");
      text.Next(i, 2);
      WriteRoute(text, in, pass, entry, i++, 2);
    });
    if (i == 0) text.Raw("[]");
    else text.Close(']', 1);
  }
  text.Close('}', 0);
}

// ---------------------------------------------------------------------------------------------------------------
namespace {

bool HasType(const json& v, const std::string& type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "number") return v.is_number();
  if (type == "integer") return v.is_number_integer() || (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
  if (type == "boolean") return v.is_boolean();
  if (type == "null") return v.is_null();
  return false;
}

void Validate(const json& v, const json& schema, const json& root, const std::string& path, std::vector<std::string>& errors) {
  if (schema.contains("$ref")) {
    const std::string ref = schema["$ref"].get<std::string>();
    const std::string prefix = "#/$defs/";
    if (ref.rfind(prefix, 0) != 0 || !root["$defs"].contains(ref.substr(prefix.size()))) {
      errors.push_back(path + ": unresolved $ref " + ref);
      return;
    }
    Validate(v, root["$defs"][ref.substr(prefix.size())], root, path, errors);
    return;
  }
  if (schema.contains("type")) {
    bool ok = false;
    if (schema["type"].is_array()) {
      for (const json& t : schema["type"]) ok = ok || HasType(v, t.get<std::string>());
    } else {
      ok = HasType(v, schema["type"].get<std::string>());
    }
    if (!ok) {
      errors.push_back(fmt::format("{}: {} is not of type {}", path, v.dump(), schema["type"].dump()));
      return;
    }
  }
  if (schema.contains("const") && v != schema["const"]) errors.push_back(fmt::format("{}: {} != {}", path, v.dump(), schema["const"].dump()));
  if (schema.contains("enum") && std::find(schema["enum"].begin(), schema["enum"].end(), v) == schema["enum"].end()) {
    errors.push_back(fmt::format("{}: {} not in {}", path, v.dump(), schema["enum"].dump()));
  }
  if (v.is_number()) {
    const double x = v.get<double>();
    if (schema.contains("minimum") && x < schema["minimum"].get<double>()) errors.push_back(fmt::format("{}: {} < minimum {}", path, x, schema["minimum"].dump()));
    if (schema.contains("maximum") && x > schema["maximum"].get<double>()) errors.push_back(fmt::format("{}: {} > maximum {}", path, x, schema["maximum"].dump()));
    if (schema.contains("exclusiveMinimum") && x <= schema["exclusiveMinimum"].get<double>()) errors.push_back(fmt::format("{}: {} <= exclusiveMinimum {}", path, x, schema["exclusiveMinimum"].dump()));
    if (schema.contains("exclusiveMaximum") && x >= schema["exclusiveMaximum"].get<double>()) errors.push_back(fmt::format("{}: {} >= exclusiveMaximum {}", path, x, schema["exclusiveMaximum"].dump()));
  }
  if (v.is_string() && schema.contains("minLength") && v.get<std::string>().size() < schema["minLength"].get<std::size_t>()) {
    errors.push_back(path + ": string shorter than minLength");
  }
  if (v.is_array()) {
    if (schema.contains("minItems") && v.size() < schema["minItems"].get<std::size_t>()) errors.push_back(path + ": fewer items than minItems");
    if (schema.contains("maxItems") && v.size() > schema["maxItems"].get<std::size_t>()) errors.push_back(path + ": more items than maxItems");
    if (schema.contains("items")) {
      for (std::size_t i = 0; i < v.size(); ++i) Validate(v[i], schema["items"], root, fmt::format("{}[{}]", path, i), errors);
    }
  }
  if (v.is_object()) {
    if (schema.contains("required")) {
      for (const json& key : schema["required"]) {
        if (!v.contains(key.get<std::string>())) errors.push_back(path + ": missing required " + key.get<std::string>());
      }
    }
    const json props = schema.value("properties", json::object());
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string child = path + "." + it.key();
      if (props.contains(it.key())) {
        Validate(it.value(), props[it.key()], root, child, errors);
      } else if (schema.contains("additionalProperties")) {
        const json& extra = schema["additionalProperties"];
        if (extra.is_boolean() && !extra.get<bool>()) errors.push_back(child + ": not allowed (additionalProperties false)");
        else if (extra.is_object()) Validate(it.value(), extra, root, child, errors);
      }
    }
  }
  for (const char* key : {"oneOf", "anyOf"}) {
    if (!schema.contains(key)) continue;
    int matches = 0;
    for (const json& branch : schema[key]) {
      std::vector<std::string> sub;
      Validate(v, branch, root, path, sub);
      matches += sub.empty() ? 1 : 0;
    }
    const bool one = std::string(key) == "oneOf";
    if ((one && matches != 1) || (!one && matches == 0)) {
      errors.push_back(fmt::format("{}: matches {} of the {} branches", path, matches, key));
    }
  }
}

void Yaml(const json& v, int indent, std::string& out);

// A double-quoted YAML string. JSON's escaping is YAML's, except that JSON leaves DEL, the C1 controls and the
// line and paragraph separators raw, which YAML does not allow (DEL, C1) or reads as line breaks (NEL, U+2028,
// U+2029): those are written as \u escapes, which both read back.
std::string Quoted(const std::string& text) {
  const std::string dumped = json(text).dump();
  std::string out;
  out.reserve(dumped.size());
  for (std::size_t i = 0; i < dumped.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(dumped[i]);
    const unsigned char next = i + 1 < dumped.size() ? static_cast<unsigned char>(dumped[i + 1]) : 0;
    const unsigned char third = i + 2 < dumped.size() ? static_cast<unsigned char>(dumped[i + 2]) : 0;
    if (c == 0x7f) {
      out += "\\u007f";
    } else if (c == 0xc2 && next >= 0x80 && next <= 0x9f) {  // U+0080..U+009F
      out += fmt::format("\\u{:04x}", next);
      ++i;
    } else if (c == 0xe2 && next == 0x80 && (third == 0xa8 || third == 0xa9)) {  // U+2028, U+2029
      out += third == 0xa8 ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string Scalar(const json& v) {
  if (v.is_string()) return Quoted(v.get<std::string>());
  return v.dump();
}

void Yaml(const json& v, int indent, std::string& out) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (v.is_object()) {
    if (v.empty()) { out += pad + "{}\n"; return; }
    for (auto it = v.begin(); it != v.end(); ++it) {
      const json& x = it.value();
      if ((x.is_object() || x.is_array()) && !x.empty()) {
        out += pad + Quoted(it.key()) + ":\n";
        Yaml(x, indent + 2, out);
      } else {
        out += pad + Quoted(it.key()) + ": " + (x.is_object() ? "{}" : x.is_array() ? "[]" : Scalar(x)) + "\n";
      }
    }
  } else if (v.is_array()) {
    for (const json& x : v) {
      if ((x.is_object() || x.is_array()) && !x.empty()) {
        std::string inner;
        Yaml(x, indent + 2, inner);
        // "- " takes the place of the first line's indentation.
        out += pad + "- " + inner.substr(static_cast<std::size_t>(indent) + 2);
      } else {
        out += pad + "- " + (x.is_object() ? "{}" : x.is_array() ? "[]" : Scalar(x)) + "\n";
      }
    }
  } else {
    out += pad + Scalar(v) + "\n";
  }
}

}  // namespace

std::vector<std::string> ValidateJsonSchema(const json& value, const json& schema) {
  std::vector<std::string> errors;
  Validate(value, schema, schema, "$", errors);
  return errors;
}

std::string ToYaml(const json& value) {
  std::string out;
  Yaml(value, 0, out);
  return out;
}

}  // namespace thinkplan::planner
