#include "planner/workload.h"

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/special_functions.h"

namespace thinkplan::planner {
namespace {

using nlohmann::json;

std::string Short(const json& value) {
  std::string text = value.dump();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

// A view of one JSON object at a path: typed getters that fail with the path, and a check that every key
// present was read (unknown keys are errors: a typo must not silently fall back to a default).
class Node {
 public:
  Node(const json& value, std::string path, const std::string& file) : value_(value), path_(std::move(path)), file_(file) {
    if (!value_.is_object()) Fail("", value_, "must be a JSON object");
  }

  [[noreturn]] void Fail(const std::string& key, const json& value, const std::string& reason) const {
    throw InputError(SourceLocation{file_, 0, Path(key), Short(value)}, reason);
  }
  std::string Path(const std::string& key) const {
    if (key.empty()) return path_.empty() ? "(top level)" : path_;
    return path_.empty() ? key : path_ + "." + key;
  }
  bool Has(const std::string& key) {
    known_.insert(key);
    return value_.contains(key) && !value_.at(key).is_null();
  }
  const json& Raw(const std::string& key) {
    known_.insert(key);
    if (!value_.contains(key)) Fail(key, json(nullptr), "is required");
    return value_.at(key);
  }
  std::string Text(const std::string& key) {
    const json& v = Raw(key);
    if (!v.is_string() || v.get<std::string>().empty()) Fail(key, v, "must be a non-empty string");
    return v.get<std::string>();
  }
  std::string Text(const std::string& key, const std::string& fallback) { return Has(key) ? Text(key) : fallback; }
  double Number(const std::string& key, double lo, double hi) {
    const json& v = Raw(key);
    if (!v.is_number()) Fail(key, v, "must be a number");
    const double x = v.get<double>();
    if (!std::isfinite(x) || x < lo || x > hi) Fail(key, v, fmt::format("must be in [{}, {}]", lo, hi));
    return x;
  }
  double Number(const std::string& key, double lo, double hi, double fallback) {
    return Has(key) ? Number(key, lo, hi) : fallback;
  }
  std::optional<double> OptionalNumber(const std::string& key, double lo, double hi) {
    if (!Has(key)) return std::nullopt;
    return Number(key, lo, hi);
  }
  bool Bool(const std::string& key, bool fallback) {
    if (!Has(key)) return fallback;
    const json& v = Raw(key);
    if (!v.is_boolean()) Fail(key, v, "must be true or false");
    return v.get<bool>();
  }
  const json& Array(const std::string& key, bool allow_empty = false) {
    const json& v = Raw(key);
    if (!v.is_array() || (!allow_empty && v.empty())) Fail(key, v, allow_empty ? "must be an array" : "must be a non-empty array");
    return v;
  }
  Node Child(const std::string& key) { return Node(Raw(key), Path(key), file_); }
  Node Element(const std::string& key, std::size_t i) {
    return Node(value_.at(key).at(i), fmt::format("{}[{}]", Path(key), i), file_);
  }
  // Throws for the first key that no getter asked for.
  void RejectUnknown() const {
    for (auto it = value_.begin(); it != value_.end(); ++it) {
      if (!known_.count(it.key())) Fail(it.key(), it.value(), "is not a known field here (check the spelling; see data/workloads/README.md)");
    }
  }
  const json& value() const { return value_; }
  const std::string& file() const { return file_; }

 private:
  const json& value_;
  std::string path_;
  const std::string& file_;
  std::set<std::string> known_;
};

constexpr double kInf = std::numeric_limits<double>::infinity();

VerifierSpec ParseVerifier(Node node) {
  VerifierSpec v;
  const std::string kind = node.Text("kind");
  if (kind == "none") v.kind = VerifierKind::kNone;
  else if (kind == "exact") v.kind = VerifierKind::kExact;
  else if (kind == "unit_tests") v.kind = VerifierKind::kUnitTests;
  else if (kind == "reward_model") v.kind = VerifierKind::kRewardModel;
  else if (kind == "human") v.kind = VerifierKind::kHuman;
  else node.Fail("kind", json(kind), "must be one of none, exact, unit_tests, reward_model, human");
  v.usd_per_sample = node.Number("usd_per_sample", 0, 1e6, 0);
  if (v.kind == VerifierKind::kRewardModel) {
    const bool has_d = node.Has("dprime"), has_auc = node.Has("auc");
    if (has_d == has_auc) node.Fail("", node.value(), "a reward_model verifier needs exactly one of dprime and auc");
    if (has_d) v.d_prime = node.Number("dprime", 0, 20);
    else v.d_prime = std::sqrt(2.0) * NormalQuantile(node.Number("auc", 0.5, 0.999999));
  } else {
    v.d_prime = kInf;
    if (node.Has("dprime")) node.Fail("dprime", node.Raw("dprime"), "is only meaningful for a reward_model verifier");
    if (node.Has("auc")) node.Fail("auc", node.Raw("auc"), "is only meaningful for a reward_model verifier");
  }
  if (v.kind == VerifierKind::kHuman) v.usd_per_review = node.Number("usd_per_review", 0, 1e6);
  else if (node.Has("usd_per_review")) node.Fail("usd_per_review", node.Raw("usd_per_review"), "is only meaningful for a human verifier");
  node.RejectUnknown();
  return v;
}

RouterSpec ParseRouter(Node node, std::size_t buckets) {
  RouterSpec r;
  const bool has_matrix = node.Has("confusion"), has_auc = node.Has("auc");
  if (has_matrix == has_auc) node.Fail("", node.value(), "a router needs exactly one of confusion and auc");
  if (has_auc) {
    r.auc = node.Number("auc", 0.5, 1.0);
    r.confusion = ConfusionFromAuc(*r.auc, buckets);
  } else {
    const json& m = node.Array("confusion");
    if (m.size() != buckets) node.Fail("confusion", m, fmt::format("must have one row per bucket ({})", buckets));
    for (std::size_t t = 0; t < m.size(); ++t) {
      const std::string row_key = fmt::format("confusion[{}]", t);
      if (!m[t].is_array() || m[t].size() != buckets) node.Fail(row_key, m[t], fmt::format("must be an array of {} probabilities", buckets));
      std::vector<double> row;
      double sum = 0;
      for (std::size_t p = 0; p < buckets; ++p) {
        const json& x = m[t][p];
        if (!x.is_number() || x.get<double>() < 0 || x.get<double>() > 1) {
          node.Fail(fmt::format("{}[{}]", row_key, p), x, "must be a probability in [0, 1]");
        }
        row.push_back(x.get<double>());
        sum += row.back();
      }
      if (std::abs(sum - 1) > 1e-6) node.Fail(row_key, m[t], fmt::format("must sum to 1 (P(predicted | true)); sums to {:.6g}", sum));
      r.confusion.push_back(row);
    }
  }
  node.RejectUnknown();
  return r;
}

std::vector<std::string> StringList(Node& node, const std::string& key) {
  std::vector<std::string> out;
  if (!node.Has(key)) return out;
  const json& a = node.Array(key);
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_string() || a[i].get<std::string>().empty()) node.Fail(fmt::format("{}[{}]", key, i), a[i], "must be a non-empty string");
    out.push_back(a[i].get<std::string>());
  }
  return out;
}

TaskClassSpec ParseClass(Node node, const WorkloadReaderOptions& limits) {
  TaskClassSpec c;
  c.name = node.Text("name");
  c.daily_volume = node.Number("daily_volume", 0, 1e12);
  c.peak_factor = node.Number("peak_factor", 1, 100, 1);
  c.value_usd = node.Number("value_usd", 0, 1e9, 1);
  c.slo_p95_s = node.Number("slo_p95_s", 0, 1e6, 0);
  c.slo_ttft_p95_s = node.Number("slo_ttft_p95_s", 0, 1e6, 0);
  c.slo_tpot_s = node.Number("slo_tpot_s", 0, 60, 0);
  c.verifier = ParseVerifier(node.Child("verifier"));
  c.exact_match_answers = node.Bool("exact_match_answers", false);
  c.prompt_tokens = node.Number("prompt_tokens", 0, 1e7, 0);
  c.answer_tokens = node.Number("answer_tokens", 0, 1e7, 0);
  c.cached_input_share = node.Number("cached_input_share", 0, 1, 0);
  c.target_accuracy = node.OptionalNumber("target_accuracy", 0, 1);
  c.systems = StringList(node, "systems");
  const json& buckets = node.Array("buckets");
  // Before any bucket is read: the router's confusion matrix alone grows with the square of the count.
  if (buckets.size() > limits.max_buckets_per_class) {
    node.Fail("buckets", json(buckets.size()),
              fmt::format("more than {} buckets in one class (max_buckets_per_class)", limits.max_buckets_per_class));
  }
  double total = 0;
  std::set<std::string> names;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    Node b = node.Element("buckets", i);
    BucketSpec bucket;
    bucket.task_class = b.Text("task_class");
    bucket.difficulty = b.Text("difficulty", "");
    bucket.name = b.Text("name", bucket.difficulty.empty() ? bucket.task_class : bucket.difficulty);
    bucket.share = b.Number("share", 0, 1, buckets.size() == 1 ? 1.0 : -1.0);
    bucket.proxy = b.Bool("proxy", false);
    if (bucket.share < 0) b.Fail("share", json(nullptr), "is required when a class has several buckets");
    if (!names.insert(bucket.name).second) b.Fail("name", json(bucket.name), "duplicates another bucket's name");
    total += bucket.share;
    b.RejectUnknown();
    c.buckets.push_back(bucket);
  }
  if (std::abs(total - 1) > 1e-6) node.Fail("buckets", buckets, fmt::format("shares must sum to 1; they sum to {:.6g}", total));
  if (node.Has("router")) c.router = ParseRouter(node.Child("router"), c.buckets.size());
  node.RejectUnknown();
  return c;
}

SystemSpec ParseSystem(Node node) {
  SystemSpec s;
  s.name = node.Text("name");
  const std::string kind = node.Text("kind");
  if (kind == "api") s.kind = SystemKind::kApi;
  else if (kind == "self_hosted") s.kind = SystemKind::kSelfHosted;
  else node.Fail("kind", json(kind), "must be 'api' or 'self_hosted'");
  if (node.Has("curves")) {
    const json& c = node.Raw("curves");
    if (c.is_string()) {
      s.curves["*"] = c.get<std::string>();
    } else if (c.is_object()) {
      for (auto it = c.begin(); it != c.end(); ++it) {
        if (!it.value().is_string()) node.Fail("curves." + it.key(), it.value(), "must be a stored system name");
        s.curves[it.key()] = it.value().get<std::string>();
      }
    } else {
      node.Fail("curves", c, "must be a stored system name, or an object {task_class: name, \"*\": name}");
    }
  }
  s.catalogue_name = node.Text("catalogue", "");
  s.api_model_id = node.Text("api_model_id", "");
  s.price_in_usd_per_mtok = node.OptionalNumber("price_in_usd_per_mtok", 0, 1e4);
  s.price_out_usd_per_mtok = node.OptionalNumber("price_out_usd_per_mtok", 0, 1e4);
  s.output_tokens_per_s = node.Number("output_tokens_per_s", 1e-3, 1e6, s.output_tokens_per_s);
  s.ttft_s = node.Number("ttft_s", 0, 1e4, s.ttft_s);
  s.max_thinking_tokens = node.Number("max_thinking_tokens", 1, 1e7, s.max_thinking_tokens);
  s.min_thinking_tokens = node.Number("min_thinking_tokens", 1, 1e7, s.min_thinking_tokens);
  if (s.min_thinking_tokens > s.max_thinking_tokens) node.Fail("min_thinking_tokens", json(s.min_thinking_tokens), "must not exceed max_thinking_tokens");
  s.budget_knob = node.Bool("budget_knob", true);
  s.tier = node.Text("tier", "");
  if (node.Has("thinking_tokens")) {
    Node t = node.Child("thinking_tokens");
    for (const char* key : {"fast", "extended", "low", "medium", "high"}) {
      if (t.Has(key)) s.thinking_tokens[key] = t.Number(key, 0, 1e7);
    }
    t.RejectUnknown();
  }
  if (node.Has("thinking_token_factor")) {
    Node t = node.Child("thinking_token_factor");
    for (const char* key : {"*", "fast", "extended", "low", "medium", "high"}) {
      if (t.Has(key)) s.thinking_token_factor[key] = t.Number(key, 1e-3, 1e3);
    }
    t.RejectUnknown();
  }
  if (s.kind == SystemKind::kSelfHosted) {
    s.model = node.Text("model");
    s.hardware = node.Text("hardware");
    s.usd_per_device_hour = node.OptionalNumber("usd_per_device_hour", 0, 1e4);
    s.devices = static_cast<long>(node.Number("devices", 1, 64, 1));
    if (static_cast<double>(s.devices) != node.Number("devices", 1, 64, 1)) node.Fail("devices", node.Raw("devices"), "must be a whole number");
    s.max_devices_per_replica = static_cast<long>(node.Number("max_devices_per_replica", 1, 64, 8));
    if (static_cast<double>(s.max_devices_per_replica) != node.Number("max_devices_per_replica", 1, 64, 8)) {
      node.Fail("max_devices_per_replica", node.Raw("max_devices_per_replica"), "must be a whole number");
    }
    if (s.max_devices_per_replica < s.devices) {
      node.Fail("max_devices_per_replica", node.Raw("max_devices_per_replica"), "must be at least devices");
    }
    s.min_replicas = static_cast<long>(node.Number("min_replicas", 0, 1e6, 0));
    if (static_cast<double>(s.min_replicas) != node.Number("min_replicas", 0, 1e6, 0)) node.Fail("min_replicas", node.Raw("min_replicas"), "must be a whole number");
    s.utilisation = node.Number("utilisation", 0.01, 1, s.utilisation);
    s.framework = node.Text("framework", s.framework);
  } else {
    for (const char* key : {"model", "hardware", "usd_per_device_hour", "devices", "max_devices_per_replica",
                            "min_replicas", "utilisation", "framework"}) {
      if (node.Has(key)) node.Fail(key, node.Raw(key), "is only meaningful for a self_hosted system");
    }
  }
  node.RejectUnknown();
  return s;
}

TrainingTier ParseTier(Node node, double usd_per_flop) {
  TrainingTier t;
  t.name = node.Text("name");
  t.params = node.Number("params", 1, 1e15);
  t.train_tokens = node.Number("train_tokens", 1, 1e16);
  t.family = node.Text("family", "");
  if (node.Has("training_usd")) {
    t.training_usd = node.Number("training_usd", 0, 1e12);
  } else {
    if (usd_per_flop <= 0) node.Fail("training_usd", json(nullptr), "is required when training.usd_per_flop is not given");
    t.training_usd = 6 * t.params * t.train_tokens * usd_per_flop;
  }
  node.RejectUnknown();
  return t;
}

}  // namespace

std::string_view ToString(VerifierKind kind) {
  switch (kind) {
    case VerifierKind::kNone: return "none";
    case VerifierKind::kExact: return "exact";
    case VerifierKind::kUnitTests: return "unit_tests";
    case VerifierKind::kRewardModel: return "reward_model";
    case VerifierKind::kHuman: return "human";
  }
  return "?";
}

std::string_view ToString(Objective objective) {
  switch (objective) {
    case Objective::kMaxAccuracy: return "max_accuracy";
    case Objective::kMinCost: return "min_cost";
    case Objective::kMaxNetValue: return "max_net_value";
  }
  return "?";
}

std::optional<Objective> ParseObjective(std::string_view text) {
  if (text == "max_accuracy") return Objective::kMaxAccuracy;
  if (text == "min_cost") return Objective::kMinCost;
  if (text == "max_net_value") return Objective::kMaxNetValue;
  return std::nullopt;
}

const std::string& SystemSpec::CurveName(const std::string& task_class) const {
  auto it = curves.find(task_class);
  if (it != curves.end()) return it->second;
  it = curves.find("*");
  return it != curves.end() ? it->second : name;
}

double SystemSpec::ThinkingTokenFactor(std::string_view setting_key) const {
  double factor = 1;
  if (const auto all = thinking_token_factor.find("*"); all != thinking_token_factor.end()) factor *= all->second;
  if (const auto one = thinking_token_factor.find(std::string(setting_key)); one != thinking_token_factor.end()) {
    factor *= one->second;
  }
  return factor;
}

const TaskClassSpec* Workload::FindClass(std::string_view n) const {
  for (const TaskClassSpec& c : classes) if (c.name == n) return &c;
  return nullptr;
}

const SystemSpec* Workload::FindSystem(std::string_view n) const {
  for (const SystemSpec& s : systems) if (s.name == n) return &s;
  return nullptr;
}

void Workload::Validate() const {
  auto fail = [&](const std::string& path, const std::string& value, const std::string& reason) {
    throw InputError(SourceLocation{file, 0, path, value}, reason);
  };
  std::set<std::string> names;
  std::set<std::string, std::less<>> system_names;
  for (const SystemSpec& s : systems) system_names.insert(s.name);
  for (std::size_t i = 0; i < classes.size(); ++i) {
    if (!names.insert(classes[i].name).second) fail(fmt::format("classes[{}].name", i), classes[i].name, "duplicates another class's name");
    for (std::size_t j = 0; j < classes[i].systems.size(); ++j) {
      if (!system_names.count(classes[i].systems[j])) {
        fail(fmt::format("classes[{}].systems[{}]", i, j), classes[i].systems[j], "names no system of this workload");
      }
    }
  }
  names.clear();
  std::set<std::string> tier_names;
  for (const TrainingTier& t : tiers) tier_names.insert(t.name);
  for (std::size_t i = 0; i < systems.size(); ++i) {
    if (!names.insert(systems[i].name).second) fail(fmt::format("systems[{}].name", i), systems[i].name, "duplicates another system's name");
    if (!systems[i].tier.empty() && !tier_names.count(systems[i].tier)) {
      fail(fmt::format("systems[{}].tier", i), systems[i].tier, "names no tier under training.tiers");
    }
  }
  switch (objective) {
    case Objective::kMaxAccuracy:
      if (!budget_usd_per_month) fail("budget_usd_per_month", "", "is required for the max_accuracy objective");
      break;
    case Objective::kMinCost: {
      bool per_class = false;
      for (const TaskClassSpec& c : classes) per_class = per_class || c.target_accuracy.has_value();
      if (!target_accuracy && !per_class) fail("target_accuracy", "", "min_cost needs target_accuracy (overall) or classes[].target_accuracy");
      break;
    }
    case Objective::kMaxNetValue: break;
  }
}

std::vector<std::vector<double>> ConfusionFromAuc(double auc, std::size_t buckets) {
  std::vector<std::vector<double>> m(buckets, std::vector<double>(buckets, 0.0));
  const double d = std::sqrt(2.0) * NormalQuantile(std::min(auc, 1 - 1e-12));
  for (std::size_t t = 0; t < buckets; ++t) {
    // Score of a true-t item ~ N(t d', 1); predicted p when it falls between the midpoints around p d'.
    for (std::size_t p = 0; p < buckets; ++p) {
      const double lo = p == 0 ? -kInf : (static_cast<double>(p) - 0.5) * d;
      const double hi = p + 1 == buckets ? kInf : (static_cast<double>(p) + 0.5) * d;
      const double mean = static_cast<double>(t) * d;
      const double upper = std::isinf(hi) ? 1.0 : NormalCdf(hi - mean);
      const double lower = std::isinf(lo) ? 0.0 : NormalCdf(lo - mean);
      m[t][p] = upper - lower;
    }
  }
  return m;
}

bool WorkloadReaderOptions::IsValid(std::string* error) const {
  auto fail = [&](const char* text) {
    if (error) *error = text;
    return false;
  };
  if (max_file_bytes == 0) return fail("max_file_bytes must be > 0");
  if (max_classes == 0) return fail("max_classes must be > 0");
  if (max_systems == 0) return fail("max_systems must be > 0");
  if (max_buckets_per_class == 0) return fail("max_buckets_per_class must be > 0");
  if (max_buckets == 0) return fail("max_buckets must be > 0");
  return true;
}

Workload ParseWorkload(const json& value, const std::string& file, const WorkloadReaderOptions& limits) {
  std::string error;
  if (!limits.IsValid(&error)) throw UsageError("workload reader: " + error);
  Node root(value, "", file);
  Workload w;
  w.file = file;
  w.name = root.Text("name");
  w.description = root.Text("description", "");
  const std::string objective = root.Text("objective", "max_accuracy");
  const auto parsed = ParseObjective(objective);
  if (!parsed) root.Fail("objective", json(objective), "must be max_accuracy, min_cost or max_net_value");
  w.objective = *parsed;
  w.budget_usd_per_month = root.OptionalNumber("budget_usd_per_month", 0, 1e12);
  w.target_accuracy = root.OptionalNumber("target_accuracy", 0, 1);
  w.days_per_month = root.Number("days_per_month", 1, 31, w.days_per_month);
  w.horizon_months = root.Number("horizon_months", 0.1, 1200, w.horizon_months);
  w.confidence = root.Number("confidence", 0.5, 0.9999, w.confidence);
  const json& systems = root.Array("systems");
  if (systems.size() > limits.max_systems) {
    root.Fail("systems", json(systems.size()), fmt::format("more than {} systems (max_systems)", limits.max_systems));
  }
  for (std::size_t i = 0; i < systems.size(); ++i) w.systems.push_back(ParseSystem(root.Element("systems", i)));
  const json& classes = root.Array("classes");
  if (classes.size() > limits.max_classes) {
    root.Fail("classes", json(classes.size()), fmt::format("more than {} classes (max_classes)", limits.max_classes));
  }
  std::size_t total_buckets = 0;
  for (std::size_t i = 0; i < classes.size(); ++i) {
    w.classes.push_back(ParseClass(root.Element("classes", i), limits));
    total_buckets += w.classes.back().buckets.size();
    if (total_buckets > limits.max_buckets) {
      root.Fail(fmt::format("classes[{}].buckets", i), json(total_buckets),
                fmt::format("more than {} buckets in all (max_buckets)", limits.max_buckets));
    }
  }
  if (root.Has("training")) {
    Node training = root.Child("training");
    w.usd_per_flop = training.Number("usd_per_flop", 0, 1, 0);
    const json& tiers = training.Array("tiers");
    for (std::size_t i = 0; i < tiers.size(); ++i) w.tiers.push_back(ParseTier(training.Element("tiers", i), w.usd_per_flop));
    training.RejectUnknown();
  }
  root.RejectUnknown();
  w.Validate();
  return w;
}

Workload LoadWorkload(const std::filesystem::path& path, const WorkloadReaderOptions& limits) {
  std::string error;
  if (!limits.IsValid(&error)) throw UsageError("workload reader: " + error);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(SourceLocation{path.string(), 0, "", ""}, "cannot read the workload file");
  // Read at most one byte past the limit, whatever the file claims to be (a pipe or a growing file has no size).
  std::string text;
  char chunk[1 << 16];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (text.size() > limits.max_file_bytes) {
      throw InputError(SourceLocation{path.string(), 0, "", ""},
                       fmt::format("workload file larger than {} bytes (max_file_bytes); nothing was read",
                                   limits.max_file_bytes));
    }
  }
  json value;
  try {
    value = json::parse(text);
  } catch (const json::parse_error& e) {
    throw InputError(SourceLocation{path.string(), 0, "", ""}, fmt::format("not valid JSON: {}", e.what()));
  }
  return ParseWorkload(value, path.string(), limits);
}

nlohmann::json ToJson(const Workload& w) {
  json j;
  j["name"] = w.name;
  if (!w.description.empty()) j["description"] = w.description;
  j["objective"] = std::string(ToString(w.objective));
  if (w.budget_usd_per_month) j["budget_usd_per_month"] = *w.budget_usd_per_month;
  if (w.target_accuracy) j["target_accuracy"] = *w.target_accuracy;
  j["days_per_month"] = w.days_per_month;
  j["horizon_months"] = w.horizon_months;
  j["confidence"] = w.confidence;
  j["systems"] = json::array();
  for (const SystemSpec& s : w.systems) {
    json o = {{"name", s.name}, {"kind", s.kind == SystemKind::kApi ? "api" : "self_hosted"}};
    if (!s.curves.empty()) {
      json c = json::object();
      for (const auto& [k, v] : s.curves) c[k] = v;
      o["curves"] = c;
    }
    if (!s.catalogue_name.empty()) o["catalogue"] = s.catalogue_name;
    if (!s.api_model_id.empty()) o["api_model_id"] = s.api_model_id;
    if (s.price_in_usd_per_mtok) o["price_in_usd_per_mtok"] = *s.price_in_usd_per_mtok;
    if (s.price_out_usd_per_mtok) o["price_out_usd_per_mtok"] = *s.price_out_usd_per_mtok;
    o["output_tokens_per_s"] = s.output_tokens_per_s;
    o["ttft_s"] = s.ttft_s;
    o["max_thinking_tokens"] = s.max_thinking_tokens;
    o["min_thinking_tokens"] = s.min_thinking_tokens;
    o["budget_knob"] = s.budget_knob;
    if (!s.tier.empty()) o["tier"] = s.tier;
    if (!s.thinking_tokens.empty()) o["thinking_tokens"] = s.thinking_tokens;
    if (!s.thinking_token_factor.empty()) o["thinking_token_factor"] = s.thinking_token_factor;
    if (s.kind == SystemKind::kSelfHosted) {
      o["model"] = s.model;
      o["hardware"] = s.hardware;
      if (s.usd_per_device_hour) o["usd_per_device_hour"] = *s.usd_per_device_hour;
      o["devices"] = s.devices;
      if (s.max_devices_per_replica != 8) o["max_devices_per_replica"] = s.max_devices_per_replica;
      if (s.min_replicas > 0) o["min_replicas"] = s.min_replicas;
      o["utilisation"] = s.utilisation;
      o["framework"] = s.framework;
    }
    j["systems"].push_back(o);
  }
  j["classes"] = json::array();
  for (const TaskClassSpec& c : w.classes) {
    json v = {{"kind", std::string(ToString(c.verifier.kind))}};
    if (c.verifier.kind == VerifierKind::kRewardModel) v["dprime"] = c.verifier.d_prime;
    if (c.verifier.kind == VerifierKind::kHuman) v["usd_per_review"] = c.verifier.usd_per_review;
    if (c.verifier.usd_per_sample > 0) v["usd_per_sample"] = c.verifier.usd_per_sample;
    json o = {{"name", c.name},         {"daily_volume", c.daily_volume},   {"peak_factor", c.peak_factor},
              {"value_usd", c.value_usd}, {"slo_p95_s", c.slo_p95_s},       {"verifier", v},
              {"exact_match_answers", c.exact_match_answers},               {"prompt_tokens", c.prompt_tokens},
              {"answer_tokens", c.answer_tokens}};
    if (c.slo_ttft_p95_s > 0) o["slo_ttft_p95_s"] = c.slo_ttft_p95_s;
    if (c.slo_tpot_s > 0) o["slo_tpot_s"] = c.slo_tpot_s;
    if (c.cached_input_share > 0) o["cached_input_share"] = c.cached_input_share;
    if (c.target_accuracy) o["target_accuracy"] = *c.target_accuracy;
    if (!c.systems.empty()) o["systems"] = c.systems;
    o["buckets"] = json::array();
    for (const BucketSpec& b : c.buckets) {
      json bj = {{"name", b.name}, {"task_class", b.task_class}, {"share", b.share}};
      if (!b.difficulty.empty()) bj["difficulty"] = b.difficulty;
      if (b.proxy) bj["proxy"] = true;
      o["buckets"].push_back(bj);
    }
    if (c.router) {
      if (c.router->auc) o["router"] = {{"auc", *c.router->auc}};
      else o["router"] = {{"confusion", c.router->confusion}};
    }
    j["classes"].push_back(o);
  }
  if (!w.tiers.empty()) {
    json t = json::array();
    for (const TrainingTier& tier : w.tiers) {
      json o = {{"name", tier.name}, {"params", tier.params}, {"train_tokens", tier.train_tokens},
                {"training_usd", tier.training_usd}};
      if (!tier.family.empty()) o["family"] = tier.family;
      t.push_back(o);
    }
    j["training"] = {{"tiers", t}};
    if (w.usd_per_flop > 0) j["training"]["usd_per_flop"] = w.usd_per_flop;
  }
  return j;
}

}  // namespace thinkplan::planner
