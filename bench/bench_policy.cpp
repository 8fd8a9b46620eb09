// The policy export (`thinkplan export-policy`, docs/policy.md) of a plan of CLASSES classes, timed as the command
// runs it. A synthetic plan whose classes cycle over options on every API of the catalogue (1.5 options a class
// over six systems, samples 1..8, each option with its fitted difficulty, as the planner stores it) is stored in a
// scratch database beside its workload and API catalogue, exactly as `thinkplan plan` and `thinkplan ingest` store
// them (PlanResult::ToJson, ToJson(Workload), the narrow forms of pipeline::PlanViewOf, store::SavePlan). Then,
// REPEAT times, in turn:
//   executable       `thinkplan export-policy --db DB --plan 1 > policy.json` as a user runs it: the built
//                    executable started as a child process (fork, exec), its output a file; its CPU time is the
//                    child's user + system time (wait4), so the fresh process's start-up, allocator growth and page
//                    faults are counted, which the in-process arms do not see
//   executable_plans `thinkplan plans --db DB > listing.txt`, the same way: the listing of the stored plan
//   command          the export in this process (cli::Main, the output a file stream): open the database, read
//                    the stored plan's policy view, build and write the policy a route at a time
//   command_before   the same work as the command did it before: the whole plan and workload parsed, the policy
//                    copied into the document, written by nlohmann's stream output (the database opened once)
//   read             the stored plan's policy view read, its head and workload parsed, alone
//   build            BuildPolicy alone
//   write            the built policy written alone (core/json_output.h)
//   build_and_write_streamed   planner::WritePolicy: built and written a route at a time, as the command does
//   litellm, semantic_router   each config made from the built policy and written
// Each arm reports min / median / max of CPU time (this process's, one thread: the figure on one core; or the
// child's) and of wall time, with the load average before and after (the machine's other work, which wall time
// includes).
//
//   bench_policy [--classes 100000] [--repeat 5] [--keep-db PATH] [--thinkplan PATH]
// --thinkplan names the executable of the executable arms (default: `thinkplan` beside this benchmark).
// --keep-db leaves the scratch database at PATH, to time the executable itself on it
// (`/usr/bin/time thinkplan export-policy --db PATH --plan 1 > policy.json`).
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "core/json_output.h"
#include "core/json_subset.h"
#include "core/sample_quantile.h"
#include "core/timing.h"
#include "pipeline/plan_stage.h"
#include "planner/plan.h"
#include "planner/policy.h"
#include "store/database.h"
#include "store/plans.h"

using nlohmann::json;
using namespace thinkplan;
namespace fs = std::filesystem;

namespace {

// The API catalogue rows of the six systems, as data/apis/system_apis.csv spells them.
constexpr const char* kApiCsv =
    "system,vendor,api,api_model_id,thinking,knob,effort_values,budget_min_tokens,budget_max_tokens,"
    "max_output_tokens,n_max,reasoning_parser,source\n"
    "o3-mini,OpenAI,openai,o3-mini,always,effort,low|medium|high,,,100000,128,,bench\n"
    "gpt-4o,OpenAI,openai,gpt-4o,none,none,,,,16384,128,,bench\n"
    "claude,Anthropic,anthropic,claude-3-7-sonnet-20250219,optional,budget,,1024,63999,64000,0,,bench\n"
    "gemini,Google,gemini,gemini-2.5-pro,always,budget,,1024,32768,65536,8,,bench\n"
    "qwq,Qwen,vllm,Qwen/QwQ-32B,always,budget,,1024,131072,131072,16384,deepseek_r1,bench\n"
    "deepseek,DeepSeek,deepseek,deepseek-reasoner,always,none,,,,65536,0,,bench\n";

struct Choice {
  const char* system;
  Mode mode;
  std::optional<double> budget;
  const char* effort;
};

const Choice kChoices[] = {{"o3-mini", Mode::kExtended, std::nullopt, "high"}, {"gpt-4o", Mode::kFast, std::nullopt, ""},
                           {"claude", Mode::kExtended, 4096.0, ""},            {"gemini", Mode::kExtended, 8192.0, ""},
                           {"qwq", Mode::kExtended, 16384.0, ""},              {"deepseek", Mode::kExtended, std::nullopt, ""}};

planner::ChosenShare Share(const Choice& c, double fraction, long samples) {
  planner::ChosenShare s;
  s.setting.system = c.system;
  s.setting.mode = c.mode;
  s.setting.budget = c.budget;
  s.setting.effort = c.effort;
  s.setting.samples = samples;
  s.setting.aggregation = {samples > 1 ? AggregationKind::kConsensus : AggregationKind::kPass1, samples};
  s.fraction = fraction;
  planner::Figures& f = s.figures;
  f.accuracy = 0.7, f.interval = {0.65, 0.75}, f.thinking_tokens = 3000, f.thinking_tokens_p95 = 9000;
  f.cost_usd = 0.01, f.latency_p95_s = 30, f.source = std::string(c.system) + "|class|extended";
  f.prompt_tokens = 400, f.answer_tokens = 300;
  planner::PlannedDifficulty d;
  d.a = 1.4, d.b = 0.6, d.rho = 0.3, d.fit_key = std::string(c.system) + "|class", d.fit_problems = 30;
  d.fit_concentration = 2.0;
  f.difficulty = d;
  return s;
}

// The plan and workload as `thinkplan plan` stores them.
store::StoredPlan SyntheticPlan(long classes) {
  planner::Workload w;
  w.name = "bench";
  for (const Choice& c : kChoices) {
    planner::SystemSpec s;
    s.name = c.system;
    w.systems.push_back(s);
  }
  planner::PlanResult plan;
  plan.workload_name = w.name;
  plan.feasible = true;
  plan.accuracy = 0.7, plan.accuracy_interval = {0.65, 0.75};
  for (long i = 0; i < classes; ++i) {
    planner::TaskClassSpec c;
    c.name = "class-" + std::to_string(i);
    c.buckets = {{"all", c.name, "", 1.0, false}};
    c.daily_volume = 1000, c.answer_tokens = 300, c.prompt_tokens = 400;
    w.classes.push_back(c);
    planner::BucketPlan b;
    b.class_index = static_cast<std::size_t>(i);
    b.class_name = c.name;
    b.bucket = "all";
    b.mass = 1, b.weights = {1.0}, b.queries_per_month = 30000;
    b.accuracy = 0.7, b.interval = {0.65, 0.75}, b.cost_per_query = 0.01, b.latency_p95_s = 30;
    b.shares = {Share(kChoices[i % 6], i % 2 ? 0.6 : 1.0, 1 + i % 8)};
    if (i % 2) b.shares.push_back(Share(kChoices[(i + 1) % 6], 0.4, 1));
    plan.buckets.push_back(std::move(b));
    plan.classes.push_back({c.name, 0.7, {0.65, 0.75}, 0.01, 300, 30, 60, "none", {}, {}, {}, {}});
  }
  store::StoredPlan stored;
  stored.workload_name = w.name;
  stored.workload_json = planner::ToJson(w).dump();
  stored.workload_hash = store::Sha256Hex(stored.workload_json);
  stored.plan_json = plan.ToJson().dump();
  return stored;
}

double LoadAverage() {
  std::array<double, 1> load{};
  return getloadavg(load.data(), 1) == 1 ? load[0] : -1;
}

// One arm's runs: CPU and wall seconds.
struct Arm {
  Arm(std::string arm_name, std::function<void()> arm_body, std::function<void()> arm_after = [] {})
      : name(std::move(arm_name)), body(std::move(arm_body)), after(std::move(arm_after)) {}
  std::string name;
  std::function<void()> body;
  std::function<void()> after;  // untimed: frees what the body made
  std::vector<double> cpu_s, wall_s;
  // Set by a body that runs a child process: the child's CPU seconds, counted instead of this process's.
  std::optional<double> child_cpu_s;

  void RunOnce() {
    const Stopwatch wall;
    const std::clock_t cpu = std::clock();  // the process's CPU time: the run is on this thread alone
    child_cpu_s.reset();
    body();
    cpu_s.push_back(child_cpu_s.value_or(static_cast<double>(std::clock() - cpu) / CLOCKS_PER_SEC));
    wall_s.push_back(wall.Seconds());
    after();
  }
  static json Spread(const std::vector<double>& v) {
    return {{"min", *std::min_element(v.begin(), v.end())}, {"median", SampleQuantile(v, 0.5)},
            {"max", *std::max_element(v.begin(), v.end())}};
  }
  json ToJson() const { return {{"arm", name}, {"cpu_s", Spread(cpu_s)}, {"wall_s", Spread(wall_s)}}; }
};

// Writes `document` as the command does: indented JSON streamed to the file.
void WriteAsCommand(const json& document, const fs::path& path) {
  std::ofstream out(path, std::ios::binary);
  WriteJson(out, document, 2);
  out << '\n';
}

// As the command wrote it before core/json_output.h: nlohmann's own stream output.
void WriteBefore(const json& document, const fs::path& path) {
  std::ofstream out(path, std::ios::binary);
  out << std::setw(2) << document << '\n';
}

// The policy as export-policy made it before it read only the members it needs.
json PolicyBefore(store::Database& db) {
  const store::StoredPlan stored = store::LoadPlan(db, 1);
  planner::PolicyInputs in;
  in.plan_id = stored.id;
  in.plan = json::parse(stored.plan_json);
  in.workload = json::parse(stored.workload_json);
  in.workload_hash = stored.workload_hash;
  in.created_at = stored.created_at;
  in.apis = db.ListSystemApis();
  const json policy = planner::BuildPolicy(in);
  json document = policy;  // the copy ExportPolicyStage made
  return document;
}

double Seconds(const timeval& t) { return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec); }

// Runs `words` (words[0] the executable) as a child process with its standard output written to `out_path`, as a
// shell would run `words > out_path`; exits when it fails. Returns the child's user + system CPU seconds.
double RunChild(const std::vector<std::string>& words, const fs::path& out_path) {
  std::vector<char*> argv;
  for (const std::string& w : words) argv.push_back(const_cast<char*>(w.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) std::perror("fork"), std::exit(1);
  if (pid == 0) {
    const int fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) _exit(126);
    close(fd);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  if (wait4(pid, &status, 0, &usage) != pid) std::perror("wait4"), std::exit(1);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "%s %s failed (status %d)\n", words[0].c_str(), words[1].c_str(), status);
    std::exit(1);
  }
  return Seconds(usage.ru_utime) + Seconds(usage.ru_stime);
}

// The thinkplan executable built beside this benchmark.
fs::path SiblingExecutable() {
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  return error ? fs::path("thinkplan") : self.parent_path() / "thinkplan";
}

}  // namespace

int main(int argc, char** argv) {
  long classes = 100000;
  int repeat = 5;
  std::string keep_db;
  fs::path executable = SiblingExecutable();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--classes") classes = std::atol(argv[i + 1]);
    else if (flag == "--thinkplan") executable = argv[i + 1];
    else if (flag == "--repeat") repeat = std::atoi(argv[i + 1]);
    else if (flag == "--keep-db") keep_db = argv[i + 1];
    else return std::fprintf(stderr, "unknown flag %s\n", flag.c_str()), 1;
  }
  if (classes < 1 || repeat < 1) return std::fprintf(stderr, "--classes and --repeat must be >= 1\n"), 1;
  if (!fs::exists(executable)) return std::fprintf(stderr, "no executable %s (--thinkplan PATH)\n", executable.c_str()), 1;
  const fs::path dir = fs::temp_directory_path() / ("thinkplan-bench-policy-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path db_path = keep_db.empty() ? dir / "bench.db" : fs::path(keep_db);
  const fs::path out_path = dir / "policy.json";
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db_path.string() + suffix);  // plan 1 is ours
  std::size_t plan_bytes = 0, workload_bytes = 0, view_bytes = 0, policy_bytes = 0;
  {
    store::Database db = store::Database::Open(db_path);
    std::ofstream(dir / "system_apis.csv") << kApiCsv;
    db.Ingest(dir / "system_apis.csv");
    store::StoredPlan stored = SyntheticPlan(classes);
    plan_bytes = stored.plan_json.size(), workload_bytes = stored.workload_json.size();
    stored.view = pipeline::PlanViewOf(stored.plan_json, stored.workload_json);  // as pipeline::StorePlan does
    view_bytes = stored.view->policy_plan_json.size() + stored.view->policy_allocation_lines.size() +
                 stored.view->policy_workload_json.size();
    store::SavePlan(db, std::move(stored));
  }
  store::Database db = store::Database::Open(db_path);
  // The inputs of the step arms, made once.
  const store::StoredPlan stored = store::LoadPlan(db, 1);
  planner::PolicyInputs in;
  in.plan_id = 1;
  in.plan = json::parse(stored.plan_json);
  in.workload = json::parse(stored.workload_json);
  in.apis = db.ListSystemApis();
  const json policy = planner::BuildPolicy(in);
  // The command line of the "command" arm, as a shell would pass it.
  std::vector<std::string> words = {"thinkplan", "export-policy", "--db", db_path.string(), "--plan", "1"};
  std::vector<char*> command;
  for (std::string& w : words) command.push_back(w.data());
  json made;
  const auto free_made = [&] { json().swap(made); };
  const std::vector<std::string> export_words = {executable.string(), "export-policy", "--db", db_path.string(),
                                                 "--plan", "1"};
  const std::vector<std::string> plans_words = {executable.string(), "--db", db_path.string(), "plans"};
  std::vector<Arm> arms = {
      {"executable", [] {}},
      {"executable_plans", [] {}},
      {"command",
       [&] {
         std::ofstream out(out_path, std::ios::binary);
         std::ostringstream err;
         if (cli::Main(static_cast<int>(command.size()), command.data(), out, err) != 0) {
           std::fprintf(stderr, "export-policy failed: %s\n", err.str().c_str());
           std::exit(1);
         }
         out.close();
         policy_bytes = fs::file_size(out_path);
       }},
      {"command_before", [&] { WriteBefore(PolicyBefore(db), out_path); }},
      {"read",
       [&] {
         // The view's head and workload; its allocation entries are read a line at a time while the policy is
         // written (build_and_write_streamed, command).
         const store::StoredPlan s = store::LoadPlan(db, 1, store::PlanBodies::kUnlessViewed);
         made = json::array();
         made.push_back(ParseJsonSubset(s.view->policy_plan_json, planner::PolicyPlanMembers(), "plan"));
         made.push_back(ParseJsonSubset(s.view->policy_workload_json, planner::PolicyWorkloadMembers(), "workload"));
       },
       free_made},
      {"build", [&] { made = planner::BuildPolicy(in); }, free_made},
      {"write", [&] { WriteAsCommand(policy, out_path); }},
      {"build_and_write_streamed",
       [&] {
         std::ofstream out(out_path, std::ios::binary);
         planner::WritePolicy(in, out, 2);
       }},
      {"litellm", [&] { WriteAsCommand(planner::LiteLlmConfig(policy), out_path); }},
      {"semantic_router", [&] { WriteAsCommand(planner::SemanticRouterConfig(policy), out_path); }},
  };
  // The child-process arms set their CPU time from the child's usage.
  arms[0].body = [&] { arms[0].child_cpu_s = RunChild(export_words, out_path); };
  arms[1].body = [&] { arms[1].child_cpu_s = RunChild(plans_words, dir / "listing.txt"); };
  const double load_before = LoadAverage();
  for (int r = 0; r < repeat; ++r) {
    for (Arm& arm : arms) arm.RunOnce();
  }
  const double load_after = LoadAverage();
  json out = {{"classes", classes},
              {"repeat", repeat},
              {"stored_plan_bytes", plan_bytes},
              {"stored_workload_bytes", workload_bytes},
              {"stored_policy_view_bytes", view_bytes},
              {"policy_bytes", policy_bytes},
              {"load_average_before", load_before},
              {"load_average_after", load_after},
              {"arms", json::array()}};
  for (const Arm& arm : arms) out["arms"].push_back(arm.ToJson());
  std::printf("%s\n", out.dump().c_str());
  fs::remove_all(dir);
  return 0;
}
