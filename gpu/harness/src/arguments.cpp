#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include "thinkplan_harness/options.h"

namespace thinkplan::harness {
namespace {

std::string Flag(std::string_view name) { return "--" + std::string(name); }

double ParseReal(std::string_view text, std::string_view name) {
  double value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(value)) {
    throw HarnessError(Flag(name) + " '" + std::string(text) + "': not a number");
  }
  return value;
}

long ParseCount(std::string_view text, std::string_view name) {
  const std::vector<long> values = ParseCountList(text, name);
  if (values.size() != 1) throw HarnessError(Flag(name) + " '" + std::string(text) + "': expected one number");
  return values[0];
}

std::vector<std::string> SplitNames(std::string_view text) {
  std::vector<std::string> names;
  std::istringstream parts{std::string(text)};
  std::string part;
  while (std::getline(parts, part, ',')) {
    part.erase(0, part.find_first_not_of(" \t"));
    part.erase(part.find_last_not_of(" \t") + 1);
    if (!part.empty()) names.push_back(part);
  }
  return names;
}

}  // namespace

bool HarnessOptions::IsValid(std::string* error) const {
  const auto fail = [&](const std::string& why) {
    if (error) *error = why;
    return false;
  };
  if (model_names.empty() && shapes.empty()) return fail("no model to measure: give --models or --shape");
  if (std::string why; !grid.IsValid(&why)) return fail(why);
  if (warmup < 0 || prefill_warmup < 0) return fail("warm-up counts must be >= 0");
  if (repeats < 1 || prefill_repeats < 1) return fail("repeat counts must be >= 1");
  if (!(memory_fraction > 0 && memory_fraction <= 0.98)) return fail("--memory-fraction must be in (0, 0.98]");
  if (!(max_weight_fraction > 0 && max_weight_fraction < 1)) {
    return fail("--max-weight-fraction must be in (0, 1)");
  }
  if (time_budget_s < 0) return fail("--time-budget must be >= 0");
  if (output_dir.empty()) return fail("--out must not be empty");
  for (const ModelShape& shape : shapes) {
    if (std::string why; !shape.IsValid(&why)) return fail(why);
  }
  return true;
}

void ApplyQuick(HarnessOptions* o) {
  o->grid.decode_batches = {1, 8, 64, 256};
  o->grid.contexts = {1024, 8192, 32768, 131072};
  o->grid.prefill_batches = {1};
  o->grid.max_prefill_tokens = 8192;
  o->warmup = 2;
  o->repeats = 5;
  o->prefill_warmup = 1;
  o->prefill_repeats = 2;
  o->time_budget_s = 240;
}

const std::vector<ArgumentSpec>& HarnessArguments() {
  static const std::vector<ArgumentSpec> kSpecs = {
      {"models", "NAMES", "models to time, comma-separated, from the catalogue or the built-in shapes "
                          "(default: Llama-3.1-8B,Qwen2.5-32B,Llama-3.1-70B)"},
      {"catalogue", "PATH", "model catalogue CSV (data/models/models.csv); columns found by header name"},
      {"shape", "SPEC", "an extra shape, NAME:layers=..,hidden=..,heads=..,kv_heads=..,head_dim=..,"
                        "intermediate=..,vocab=..; repeatable; without --models it replaces the default models"},
      {"batches", "LIST", "decode batch sizes (default 1,2,4,...,512)"},
      {"prefill-batches", "LIST", "prefill batch sizes (default 1,2,4,8)"},
      {"contexts", "LIST", "context lengths, K = 1024 (default 1K,2K,...,128K)"},
      {"max-prefill-tokens", "N", "largest prefill, batch x context (default 32K)"},
      {"phases", "LIST", "decode, prefill or both (default decode,prefill)"},
      {"warmup", "N", "decode steps before timing (default 3)"},
      {"repeats", "N", "timed decode steps; the median is reported (default 10)"},
      {"prefill-repeats", "N", "timed prefills (default 3, after 1 warm-up)"},
      {"memory-fraction", "X", "fraction of the free device memory to use (default 0.92; on the CPU: of 8 GiB or half the RAM, the smaller)"},
      {"max-weight-fraction", "X", "at most this fraction of it for weights; layers beyond are dropped and "
                                   "layer_scale records it (default 0.75)"},
      {"time-budget", "SECONDS", "stop timing new grid points after this much wall time (default: none)"},
      {"out", "DIR", "where perf.jsonl, ceilings.json and table.txt go (default ./measured)"},
      {"hardware", "NAME", "hardware name written into the records (default: from the device)"},
      {"seed", "N", "seed of the random inputs (default 20261120)"},
      {"quick", "", "a grid that runs in a few minutes on one H200; other flags still override it"},
      {"no-check", "", "skip the correctness checks (for debugging only: records are still written)"},
      {"no-ceilings", "", "skip measuring the copy bandwidth and matrix rate (fractions are then 0)"},
  };
  return kSpecs;
}

std::vector<long> ParseCountList(std::string_view text, std::string_view what) {
  std::vector<long> values;
  for (std::string item : SplitNames(text)) {
    long multiplier = 1;
    if (!item.empty() && (item.back() == 'K' || item.back() == 'k')) {
      multiplier = 1024;
      item.pop_back();
    }
    long value = 0;
    const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (item.empty() || ec != std::errc() || ptr != item.data() + item.size() || value < 1) {
      throw HarnessError(Flag(what) + " '" + std::string(text) + "': '" + item + "' is not a count >= 1");
    }
    values.push_back(value * multiplier);
  }
  if (values.empty()) throw HarnessError(Flag(what) + ": empty list");
  return values;
}

void ApplyArgument(HarnessOptions* o, std::string_view name, std::string_view value) {
  const auto& specs = HarnessArguments();
  const auto spec = std::find_if(specs.begin(), specs.end(), [&](const ArgumentSpec& s) { return s.name == name; });
  if (spec == specs.end()) throw HarnessError("unknown option " + Flag(name) + " (see --help)");
  if (!spec->value_name.empty() && value.empty()) throw HarnessError(Flag(name) + " needs a value");
  if (name == "quick") {
    ApplyQuick(o);
  } else if (name == "no-check") {
    o->check = false;
  } else if (name == "no-ceilings") {
    o->ceilings = false;
  } else if (name == "models") {
    o->model_names = SplitNames(value);
    if (o->model_names.empty()) throw HarnessError("--models: empty list");
  } else if (name == "catalogue") {
    o->catalogue_path = value;
  } else if (name == "shape") {
    if (o->shapes.empty() && o->model_names == HarnessOptions{}.model_names) o->model_names.clear();
    o->shapes.push_back(ParseShapeSpec(std::string(value)));
  } else if (name == "batches") {
    o->grid.decode_batches = ParseCountList(value, name);
  } else if (name == "prefill-batches") {
    o->grid.prefill_batches = ParseCountList(value, name);
  } else if (name == "contexts") {
    o->grid.contexts = ParseCountList(value, name);
  } else if (name == "max-prefill-tokens") {
    o->grid.max_prefill_tokens = ParseCount(value, name);
  } else if (name == "phases") {
    o->grid.decode = o->grid.prefill = false;
    for (const std::string& phase : SplitNames(value)) {
      if (phase == "decode") {
        o->grid.decode = true;
      } else if (phase == "prefill") {
        o->grid.prefill = true;
      } else {
        throw HarnessError("--phases: '" + phase + "' is neither decode nor prefill");
      }
    }
  } else if (name == "warmup") {
    o->warmup = static_cast<int>(value == "0" ? 0 : ParseCount(value, name));
  } else if (name == "repeats") {
    o->repeats = static_cast<int>(ParseCount(value, name));
  } else if (name == "prefill-repeats") {
    o->prefill_repeats = static_cast<int>(ParseCount(value, name));
  } else if (name == "memory-fraction") {
    o->memory_fraction = ParseReal(value, name);
  } else if (name == "max-weight-fraction") {
    o->max_weight_fraction = ParseReal(value, name);
  } else if (name == "time-budget") {
    o->time_budget_s = ParseReal(value, name);
  } else if (name == "out") {
    o->output_dir = value;
  } else if (name == "hardware") {
    o->hardware = value;
  } else if (name == "seed") {
    o->seed = static_cast<unsigned long long>(ParseCount(value, name));
  } else {
    throw HarnessError("option " + Flag(name) + " is listed but not handled");  // a bug, not bad input
  }
}

HarnessOptions ParseHarnessArguments(const std::vector<std::string>& args, bool* help) {
  std::vector<std::pair<std::string, std::string>> given;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      if (help) *help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) throw HarnessError("unexpected argument '" + arg + "' (see --help)");
    std::string name = arg.substr(2), value;
    if (const auto equals = name.find('='); equals != std::string::npos) {
      value = name.substr(equals + 1);
      name.erase(equals);
    } else {
      const auto spec = std::find_if(HarnessArguments().begin(), HarnessArguments().end(),
                                     [&](const ArgumentSpec& s) { return s.name == name; });
      if (spec != HarnessArguments().end() && !spec->value_name.empty()) {
        if (i + 1 >= args.size()) throw HarnessError(arg + " needs a value");
        value = args[++i];
      }
    }
    given.emplace_back(name, value);
  }
  HarnessOptions options;
  // --quick sets a whole grid; any other flag refines it, wherever it stands on the line.
  std::stable_partition(given.begin(), given.end(), [](const auto& g) { return g.first == "quick"; });
  for (const auto& [name, value] : given) ApplyArgument(&options, name, value);
  return options;
}

std::string HarnessUsage() {
  std::string out;
  for (const ArgumentSpec& s : HarnessArguments()) {
    std::string left = "  --";
    left += s.name;
    if (!s.value_name.empty()) {
      left += ' ';
      left += s.value_name;
    }
    if (left.size() < 28) left.resize(28, ' ');
    out += left + " " + std::string(s.help) + "\n";
  }
  return out;
}

}  // namespace thinkplan::harness
