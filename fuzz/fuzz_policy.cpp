// The policy export round trip (planner/policy.h): a fuzzed workload JSON is planned on a small stored fit set
// (fuzz/policy_fits.json, the usable fits of the demo database, plus the shipped catalogues and runs), and the
// plan is exported as a policy in each system's own request format and with every --target.
// Properties: the workload is accepted or refused with a typed InputError/UsageError, and so are the plan and each
// export; every policy exported from a feasible plan (the only kind the CLI stores) passes docs/policy.schema.json; its
// YAML (planner::ToYaml) holds no raw control character, and read back with a reader for the block subset ToYaml writes
// it is the same document.
#include <nlohmann/json.hpp>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz/fuzz_common.h"
#include "planner/plan.h"
#include "planner/policy.h"
#include "store/database.h"
#include "store/fits.h"

namespace {

namespace fs = std::filesystem;
namespace planner = thinkplan::planner;
using nlohmann::json;
using thinkplan::fuzz::Violation;

json ReadJson(const fs::path& path) {
  std::ifstream in(path);
  if (!in) Violation("cannot read " + path.string());
  return json::parse(in);
}

thinkplan::FitStatus StatusOf(const std::string& text) {
  if (text == "ok") return thinkplan::FitStatus::kOk;
  if (text == "fallback") return thinkplan::FitStatus::kFallback;
  Violation("fixture fit with status '" + text + "'");
}

// Fits, runs and catalogues, read once: the fits are stored into a scratch database and read back through the
// store, so the planner sees exactly what `thinkplan plan` would.
struct Fixture {
  thinkplan::CurveSet curves;
  std::vector<thinkplan::Run> runs;
  planner::Catalogues catalogues;
  std::vector<thinkplan::SystemApi> apis;
  json schema;

  Fixture() {
    const fs::path root(THINKPLAN_SOURCE_DIR);
    const fs::path db_path = thinkplan::fuzz::ScratchPath("-policy.db");
    fs::remove(db_path);
    {
      auto db = thinkplan::store::Database::Open(db_path);
      for (const char* file :
           {"published/systems.csv", "published/hardware.csv", "apis/system_apis.csv", "published/runs.csv",
            "public/livecodebench/runs_2024-04.csv", "public/livecodebench/runs_2025-01.csv",
            "public/routellm/runs.csv", "public/matharena/runs.csv", "public/deepseek_r1/runs.csv"}) {
        db.Ingest(root / "data" / file);
      }
      for (const json& row : ReadJson(root / "fuzz" / "policy_fits.json")) {
        thinkplan::store::StoredFit fit;
        fit.kind = row.at("kind");
        fit.key = {row.at("system"), row.at("task_class"), row.at("difficulty")};
        fit.form = row.at("form");
        fit.axis = row.at("axis");
        fit.params = row.at("params").get<std::vector<double>>();
        fit.covariance = row.at("covariance").get<std::vector<double>>();
        fit.quality.status = StatusOf(row.at("status"));
        fit.quality.reason = row.at("reason");
        fit.quality.n_points = row.at("n_points");
        fit.summary_json = "{}";
        fit.input_hash = "fixture";
        fit.created_at = "2026-01-01T00:00:00Z";
        thinkplan::store::SaveFit(db, fit);
      }
      curves = thinkplan::store::LoadCurveSet(db);
      runs = db.ListRuns();
      apis = db.ListSystemApis();
    }
    fs::remove(db_path);
    fs::remove(db_path.string() + "-wal");
    fs::remove(db_path.string() + "-shm");
    catalogues = planner::Catalogues::Load(root / "data");
    schema = ReadJson(root / "docs" / "policy.schema.json");
  }
};

// ---------------------------------------------------------------------------------------------------------------
// A reader for the YAML that ToYaml writes: block mappings with double-quoted keys, block sequences ("- " may
// carry the first line of its item), and scalars that are JSON texts (double-quoted strings with JSON escapes,
// which YAML reads the same way, numbers, true, false, null, {} and []). Anything else is a violation.
class BlockYamlReader {
 public:
  explicit BlockYamlReader(const std::string& text) {
    std::size_t start = 0;
    while (start < text.size()) {
      const std::size_t end = text.find('\n', start);
      if (end == std::string::npos) Violation("YAML does not end with a line end");
      lines_.push_back(text.substr(start, end - start));
      start = end + 1;
    }
    for (const std::string& line : lines_) {
      for (unsigned char c : line) {
        if (c < 0x20 || c == 0x7f) Violation("YAML line holds a raw control character: " + line);
      }
    }
  }

  json Read() {
    if (lines_.empty()) Violation("empty YAML");
    line_ = 0;
    column_ = Indent(0);
    if (column_ != 0) Violation("YAML document does not start at column 0");
    json value = Node(0);
    if (line_ != lines_.size()) Violation("YAML has unread lines from " + std::to_string(line_ + 1));
    return value;
  }

 private:
  std::size_t Indent(std::size_t line) const {
    const std::size_t first = lines_[line].find_first_not_of(' ');
    if (first == std::string::npos) Violation("blank YAML line " + std::to_string(line + 1));
    return first;
  }
  std::string Rest() const { return lines_[line_].substr(column_); }
  void NextLine() {
    ++line_;
    if (line_ < lines_.size()) column_ = Indent(line_);
  }
  bool AtColumn(std::size_t column) const { return line_ < lines_.size() && column_ == column; }

  json Node(std::size_t column) {
    const std::string rest = Rest();
    if (rest.rfind("- ", 0) == 0) return Sequence(column);
    if (!rest.empty() && rest[0] == '"' && KeyEnd(rest) != std::string::npos) return Mapping(column);
    json value = Scalar(rest);
    NextLine();
    return value;
  }

  json Sequence(std::size_t column) {
    json out = json::array();
    while (AtColumn(column) && Rest().rfind("- ", 0) == 0) {
      column_ += 2;  // the item's first line continues after the dash
      out.push_back(Node(column + 2));
    }
    return out;
  }

  json Mapping(std::size_t column) {
    json out = json::object();
    while (AtColumn(column) && Rest().rfind("- ", 0) != 0) {
      const std::string rest = Rest();
      const std::size_t key_end = KeyEnd(rest);
      if (key_end == std::string::npos) Violation("YAML mapping line without a quoted key: " + rest);
      const std::string key = json::parse(rest.substr(0, key_end)).get<std::string>();
      if (out.contains(key)) Violation("YAML mapping repeats key " + rest.substr(0, key_end));
      const std::string after = rest.substr(key_end + 1);
      if (after.empty()) {
        NextLine();
        if (line_ >= lines_.size() || column_ <= column) Violation("YAML key without a nested block: " + rest);
        out[key] = Node(column_);
      } else {
        if (after.rfind(" ", 0) != 0) Violation("YAML key not followed by ': ': " + rest);
        out[key] = Scalar(after.substr(1));
        NextLine();
      }
    }
    return out;
  }

  // Position of the ':' after a double-quoted key at the start of `text`, npos when there is none.
  static std::size_t KeyEnd(const std::string& text) {
    for (std::size_t i = 1; i < text.size(); ++i) {
      if (text[i] == '\\') { ++i; continue; }
      if (text[i] == '"') return i + 1 < text.size() && text[i + 1] == ':' ? i + 1 : std::string::npos;
    }
    return std::string::npos;
  }

  static json Scalar(const std::string& text) {
    if (text == "{}") return json::object();
    if (text == "[]") return json::array();
    json value = json::parse(text, nullptr, false);
    if (value.is_discarded() || value.is_structured()) Violation("YAML scalar is not a JSON scalar: " + text);
    return value;
  }

  std::vector<std::string> lines_;
  std::size_t line_ = 0;
  std::size_t column_ = 0;
};

void CheckPolicy(const json& policy, const json& schema, const std::string& what) {
  const std::vector<std::string> errors = planner::ValidateJsonSchema(policy, schema);
  if (!errors.empty()) Violation(what + " fails docs/policy.schema.json: " + errors.front());
  const std::string yaml = planner::ToYaml(policy);
  const json back = BlockYamlReader(yaml).Read();
  if (back != policy) Violation(what + ": YAML read back differs from the JSON document");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Fixture fixture;
  const json document = json::parse(data, data + size, nullptr, false);
  if (document.is_discarded()) return 0;  // the workload reader's own target covers malformed JSON
  std::optional<planner::Workload> workload;
  std::optional<planner::PlanResult> plan;
  const auto typed = [&](auto&& body) {
    try {
      body();
      return true;
    } catch (const thinkplan::InputError&) {
      return false;
    } catch (const thinkplan::UsageError&) {
      return false;
    } catch (const std::exception& error) {
      Violation(std::string("unexpected exception: ") + error.what());
    }
  };
  if (!typed([&] { workload = planner::ParseWorkload(document, "fuzz.json"); })) return 0;

  planner::PlanInputs inputs;
  inputs.workload = *workload;
  inputs.curves = &fixture.curves;
  inputs.runs = fixture.runs;
  inputs.catalogues = fixture.catalogues;
  planner::PlanOptions options;
  options.volume_sweep = {0.3, 3};  // two points keep an execution short; the sweep's code is the same
  if (!typed([&] { plan = planner::MakePlan(inputs, options); })) return 0;
  if (!plan->feasible) return 0;  // plan and whatif store (and so export) feasible plans only

  planner::PolicyInputs in;
  in.plan_id = 1;
  in.plan = json::parse(plan->ToJson().dump());  // through text, as export-policy reads a stored plan
  in.workload = json::parse(planner::ToJson(*workload).dump());
  in.workload_hash = std::string(64, 'a');
  in.fits_hash = fixture.curves.fits_hash;
  in.created_at = "2026-01-01T00:00:00Z";
  in.apis = fixture.apis;
  std::vector<std::optional<planner::PolicyTarget>> targets = {std::nullopt};
  for (auto t : {planner::PolicyTarget::kOpenAi, planner::PolicyTarget::kAnthropic, planner::PolicyTarget::kGemini,
                 planner::PolicyTarget::kVllm, planner::PolicyTarget::kDeepSeek}) {
    targets.push_back(t);
  }
  for (const auto& target : targets) {
    in.target = target;
    json policy;
    // A refusal (a system without an API catalogue row, a choice its API refuses, a target that cannot serve a
    // system) is a typed InputError; anything exported must be valid.
    if (!typed([&] { policy = planner::BuildPolicy(in); })) continue;
    CheckPolicy(policy, fixture.schema,
                "policy (target " + std::string(target ? planner::ToString(*target) : "default") + ")");
  }
  return 0;
}
