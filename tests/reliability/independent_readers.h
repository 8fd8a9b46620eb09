// Readers thinkplan did not write, for the tests that check what it exports (the policy, its request bodies, the
// gateway configs): YAML read back by yaml-cpp, and JSON Schema (draft 2020-12) validation by the Python jsonschema
// package, which Debian installs for /usr/bin/python3.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>

#include <sys/wait.h>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "tests/common/test_support.h"

namespace thinkplan::testing {

struct SchemaCheck {
  int exit_code = -1;
  std::string output;  // "validated N failed M" last, after at most 20 error lines
};

// Validates every document listed in `manifest` (a JSON file: [[schema path, [document, ...]], ...]) with
// jsonschema.Draft202012Validator, after checking each schema itself. Exit code 0 when all are valid.
inline SchemaCheck ValidateWithJsonSchema(const std::filesystem::path& manifest) {
  static constexpr const char* kProgram = R"(import json, sys, jsonschema
checked = failed = 0
for schema_path, documents in json.load(open(sys.argv[1])):
    schema = json.load(open(schema_path))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for document in documents:
        checked += 1
        errors = list(validator.iter_errors(document))
        failed += bool(errors)
        for e in errors[:1]:
            if failed <= 20: print(schema_path.rsplit("/", 1)[-1], list(e.absolute_path), e.message[:400])
print("validated", checked, "failed", failed)
sys.exit(1 if failed else 0))";
  const std::string command = "/usr/bin/python3 -c " + ShellQuote(kProgram) + " " + ShellQuote(manifest.string()) +
                              " 2>&1";
  SchemaCheck check;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return check;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) check.output += buffer;
  const int status = pclose(pipe);
  check.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return check;
}

// YAML as read by yaml-cpp, an independent parser, turned into JSON by YAML's own rules for the scalars thinkplan
// writes: a quoted scalar is a string; a plain one is null, a boolean, a number or else a string.
inline nlohmann::json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null: return nullptr;
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const YAML::Node& item : node) out.push_back(YamlToJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& entry : node) out[entry.first.as<std::string>()] = YamlToJson(entry.second);
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string text = node.Scalar();
      if (node.Tag() == "!") return text;  // quoted
      if (text == "null" || text == "~") return nullptr;
      if (text == "true" || text == "false") return text == "true";
      // A plain number: nlohmann's reader gives integers as integers and the rest as doubles, as the JSON side has.
      const nlohmann::json number = nlohmann::json::parse(text, nullptr, false);
      if (number.is_number()) return number;
      return text;
    }
    default: return nullptr;
  }
}

// Integers and doubles that are equal compare equal (the YAML side cannot tell 2 from 2.0).
inline bool SameJson(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!SameJson(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      if (!b.contains(it.key()) || !SameJson(it.value(), b.at(it.key()))) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace thinkplan::testing
