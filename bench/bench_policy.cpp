// The policy export (planner/policy.h, docs/policy.md) of a plan of CLASSES classes: a synthetic plan whose classes
// cycle over options on every API of the catalogue (one or two options each, samples 1..8), exported REPEAT times
// as the policy and as both gateway configs, each written out as indented JSON. Prints the median and best CPU
// time of each step: load (parsing the stored plan and workload text, as the CLI does), build (BuildPolicy alone),
// policy (build and write), litellm and semantic_router (each config made from the built policy and written).
//
//   bench_policy [--classes 100000] [--repeat 5]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <iomanip>
#include <ostream>
#include <streambuf>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "planner/policy.h"

using nlohmann::json;
using thinkplan::SystemApi;
namespace planner = thinkplan::planner;

namespace {

SystemApi Row(const char* system, const char* api, const char* id, const char* thinking, const char* knob, long hi,
              long max_output, long n_max) {
  SystemApi row;
  row.system = system;
  row.api = api;
  row.api_model_id = id;
  row.thinking = thinking;
  row.knob = knob;
  if (row.knob == "effort") row.effort_values = "low|medium|high";
  if (hi > 0) row.budget_min_tokens = 1024, row.budget_max_tokens = hi;
  row.max_output_tokens = max_output;
  row.n_max = n_max;
  return row;
}

struct Choice {
  const char* system;
  const char* mode;
  json budget;
  const char* effort;
};

const Choice kChoices[] = {{"o3-mini", "extended", nullptr, "high"}, {"gpt-4o", "fast", nullptr, ""},
                           {"claude", "extended", 4096.0, ""},       {"gemini", "extended", 8192.0, ""},
                           {"qwq", "extended", 16384.0, ""},         {"deepseek", "extended", nullptr, ""}};

json Option(const Choice& c, double fraction, long samples) {
  return {{"fraction", fraction},
          {"system", c.system},
          {"mode", c.mode},
          {"budget_tokens", c.budget},
          {"effort", c.effort},
          {"samples", samples},
          {"aggregation", samples > 1 ? "cons@" + std::to_string(samples) : "pass@1"},
          {"accuracy", 0.7},
          {"accuracy_interval", {0.65, 0.75}},
          {"thinking_tokens_mean", 3000.0},
          {"thinking_tokens_p95", 9000.0},
          {"cost_usd_per_query", 0.01},
          {"latency_p95_s", 30.0}};
}

planner::PolicyInputs Inputs(long classes) {
  planner::PolicyInputs in;
  in.plan_id = 1;
  in.workload_hash = std::string(64, 'a');
  in.apis = {Row("o3-mini", "openai", "o3-mini", "always", "effort", 0, 100000, 128),
             Row("gpt-4o", "openai", "gpt-4o", "none", "none", 0, 16384, 128),
             Row("claude", "anthropic", "claude-3-7-sonnet-20250219", "optional", "budget", 63999, 64000, 0),
             Row("gemini", "gemini", "gemini-2.5-pro", "always", "budget", 32768, 65536, 8),
             Row("qwq", "vllm", "Qwen/QwQ-32B", "always", "budget", 131072, 131072, 16384),
             Row("deepseek", "deepseek", "deepseek-reasoner", "always", "none", 0, 65536, 0)};
  json systems = json::array(), list = json::array(), allocation = json::array();
  for (const SystemApi& row : in.apis) systems.push_back({{"name", row.system}, {"kind", "api"}});
  for (long i = 0; i < classes; ++i) {
    const std::string name = "class-" + std::to_string(i);
    list.push_back({{"name", name}, {"answer_tokens", 300}, {"verifier", {{"kind", "none"}}}});
    json options = json::array({Option(kChoices[i % 6], i % 2 ? 0.6 : 1.0, 1 + i % 8)});
    if (i % 2) options.push_back(Option(kChoices[(i + 1) % 6], 0.4, 1));
    allocation.push_back({{"class", name},
                          {"bucket", "all"},
                          {"traffic_fraction", 1.0 / classes},
                          {"accuracy", 0.7},
                          {"accuracy_interval", {0.65, 0.75}},
                          {"options", options}});
  }
  in.workload = {{"systems", systems}, {"classes", list}};
  in.plan = {{"workload", "bench"},
             {"objective", "max_accuracy"},
             {"accuracy", 0.7},
             {"accuracy_interval", {0.65, 0.75}},
             {"allocation", allocation}};
  return in;
}

// An output stream that only counts what it is given, through a buffer as a file stream has.
class CountingBuffer : public std::streambuf {
 public:
  CountingBuffer() { setp(buffer_, buffer_ + sizeof buffer_); }
  std::size_t bytes() const { return bytes_ + static_cast<std::size_t>(pptr() - pbase()); }

 protected:
  int_type overflow(int_type c) override {
    bytes_ += static_cast<std::size_t>(pptr() - pbase());
    setp(buffer_, buffer_ + sizeof buffer_);
    if (c != traits_type::eof()) sputc(traits_type::to_char_type(c));
    return traits_type::not_eof(c);
  }

 private:
  char buffer_[1 << 16];
  std::size_t bytes_ = 0;
};

// Writes `document` as the CLI does (indented JSON streamed to its output); returns the bytes written.
std::size_t Write(const json& document) {
  CountingBuffer buffer;
  std::ostream out(&buffer);
  out << std::setw(2) << document << '\n';
  return buffer.bytes();
}

// Median and best of `repeat` runs of `body`, in milliseconds of this process's CPU time (one thread: the
// figure on one core, less sensitive than wall time to other work on a shared machine).
// `before` runs untimed ahead of each run (freeing the previous result).
std::pair<double, double> Time(int repeat, const std::function<void()>& body, const std::function<void()>& before) {
  std::vector<double> ms;
  for (int r = 0; r < repeat; ++r) {
    before();
    const std::clock_t start = std::clock();
    body();
    ms.push_back(1000.0 * static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC);
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.front()};
}

}  // namespace

int main(int argc, char** argv) {
  long classes = 100000;
  int repeat = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--classes") classes = std::atol(argv[i + 1]);
    else if (flag == "--repeat") repeat = std::atoi(argv[i + 1]);
    else return std::fprintf(stderr, "unknown flag %s\n", flag.c_str()), 1;
  }
  if (classes < 1 || repeat < 1) return std::fprintf(stderr, "--classes and --repeat must be >= 1\n"), 1;
  const planner::PolicyInputs in = Inputs(classes);
  json policy;
  std::size_t bytes = 0;
  // The CLI first reads the stored plan and workload back from their JSON text.
  const std::string plan_text = in.plan.dump(), workload_text = in.workload.dump();
  json parsed;
  const auto [load_ms, load_best] = Time(
      repeat,
      [&] {
        parsed = json::parse(plan_text);
        parsed = json::parse(workload_text);
      },
      [&] { json().swap(parsed); });
  // Each document is timed as the CLI makes it, built and written out as text; the previous one is freed untimed.
  const auto [build_ms, build_best] = Time(
      repeat, [&] { policy = planner::BuildPolicy(in); }, [&] { json().swap(policy); });
  const auto [policy_ms, policy_best] = Time(
      repeat,
      [&] {
        policy = planner::BuildPolicy(in);
        bytes = Write(policy);
      },
      [&] { json().swap(policy); });
  json config;
  const auto free_config = [&] { json().swap(config); };
  const auto [litellm_ms, litellm_best] = Time(
      repeat,
      [&] {
        config = planner::LiteLlmConfig(policy);
        Write(config);
      },
      free_config);
  const auto [router_ms, router_best] = Time(
      repeat,
      [&] {
        config = planner::SemanticRouterConfig(policy);
        Write(config);
      },
      free_config);
  std::printf(
      "{\"classes\": %ld, \"repeat\": %d, \"load_median_ms\": %.1f, \"build_median_ms\": %.1f, \"policy_median_ms\": "
      "%.1f, \"policy_best_ms\": %.1f, "
      "\"litellm_median_ms\": %.1f, \"litellm_best_ms\": %.1f, \"semantic_router_median_ms\": %.1f, "
      "\"semantic_router_best_ms\": %.1f, \"policy_bytes\": %zu}\n",
      classes, repeat, load_ms, build_ms, policy_ms, policy_best, litellm_ms, litellm_best, router_ms, router_best,
      bytes);
  return 0;
}
