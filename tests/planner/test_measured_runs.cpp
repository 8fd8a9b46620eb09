// Stored runs reach the planner as measured (docs/planner.md "Stored runs"): a fast run thinks no tokens and is
// charged its measured input and answer; an extended run's measured split is charged as measured; repeated
// reports of one problem set are one set of problems in the Wilson interval; proxy buckets are named in the notes.
// References: prices x tokens worked by hand in the comments; Wilson intervals computed independently in Python
// (p = x/n, centre (p + z^2/2n) / (1 + z^2/n), half-width z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n), z = 1.95996);
// the shipped data/workloads/default.json and data/published/runs.csv for the proxy note.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include <nlohmann/json.hpp>

#include "core/curve_set.h"
#include "planner/options.h"
#include "planner/workload.h"
#include "tests/planner/planner_fixtures.h"

namespace thinkplan::planner {
namespace {

using json = nlohmann::json;

// The one-class workload with no verifier.
Workload OneClassWorkload() { return testing::MiniOneClassWorkload("none", 1000); }

Run StoredRun(const std::string& key, Mode mode, long n, double correct) {
  Run r;
  r.run_key = key;
  r.source = Source::kPublished;
  r.system = "mini";
  r.task_class = "x";
  r.mode = mode;
  r.n_problems = n;
  r.n_correct = correct;
  return r;
}

// The figures of the one candidate whose setting is `mode`, effort `effort`.
Figures Only(const std::vector<Candidate>& candidates, Mode mode, const std::string& effort = "") {
  for (const Candidate& c : candidates) {
    if (c.setting.mode == mode && c.setting.effort == effort && c.setting.samples == 1 && c.per_bucket[0]) {
      return *c.per_bucket[0];
    }
  }
  BOOST_FAIL("no candidate");
  return {};
}

std::vector<Candidate> Candidates(const Workload& w, const std::vector<Run>& runs, std::vector<std::string>* notes) {
  static const CurveSet kNoCurves;
  return GenerateCandidates(w, w.classes[0], kNoCurves, runs, Catalogues{}, OptionsConfig{}, notes);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(measured_runs)

BOOST_AUTO_TEST_CASE(a_fast_run_costs_its_input_and_answer_and_thinks_nothing) {
  Run fast = StoredRun("fast", Mode::kFast, 100, 80);
  fast.mean_input_tokens = 1234;
  fast.mean_output_tokens = 210;
  std::vector<std::string> notes;
  const Figures f = Only(Candidates(OneClassWorkload(), {fast}, &notes), Mode::kFast);
  // 1234 x $0.15/M + 210 x $0.60/M = $0.0001851 + $0.000126 = $0.0003111; no thinking, no second answer.
  BOOST_TEST(f.cost_usd == 1234 * 0.15e-6 + 210 * 0.60e-6, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(f.cost_usd == 0.0003111, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(f.thinking_tokens == 0.0);
  BOOST_TEST(f.thinking_tokens_p95 == 0.0);
  // p95 latency: 0.5 s + 210 answer tokens at 100/s = 2.6 s (not the output twice).
  BOOST_TEST(f.latency_p95_s == 2.6, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(f.prompt_measured);
  BOOST_TEST(f.answer_measured);
  BOOST_TEST(!f.tokens_assumed);
}

BOOST_AUTO_TEST_CASE(a_fast_run_without_measurements_is_charged_the_class_tokens_and_says_so) {
  std::vector<std::string> notes;
  const Figures f = Only(Candidates(OneClassWorkload(), {StoredRun("fast", Mode::kFast, 100, 80)}, &notes),
                         Mode::kFast);
  // 400 x $0.15/M + 300 x $0.60/M = $0.00024.
  BOOST_TEST(f.cost_usd == 0.00024, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(!f.prompt_measured);
  BOOST_TEST(!f.answer_measured);
  bool said = false;
  for (const std::string& n : notes) said = said || n.find("the class's prompt_tokens (400) and answer_tokens (300)") != std::string::npos;
  BOOST_TEST(said);
}

BOOST_AUTO_TEST_CASE(an_extended_run_is_charged_its_measured_output_however_it_splits) {
  // Split measured: 500 in, 800 thinking + 150 answer: 500 x 0.15 + 950 x 0.60 per million = $0.000645.
  Run split = StoredRun("split", Mode::kExtended, 100, 90);
  split.effort = "high";
  split.mean_input_tokens = 500;
  split.mean_output_tokens = 950;
  split.mean_thinking_tokens = 800;
  split.mean_answer_tokens = 150;
  // Output only (1000): thinking is the output less the class's 300 answer tokens, so 1000 are charged, once:
  // 400 x 0.15 + 1000 x 0.60 per million = $0.00066.
  Run whole = StoredRun("whole", Mode::kExtended, 100, 85);
  whole.effort = "low";
  whole.mean_output_tokens = 1000;
  std::vector<std::string> notes;
  const auto candidates = Candidates(OneClassWorkload(), {split, whole}, &notes);
  const Figures s = Only(candidates, Mode::kExtended, "high");
  BOOST_TEST(s.cost_usd == 0.000645, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(s.thinking_tokens == 800.0);
  BOOST_TEST(s.answer_tokens == 150.0);
  const Figures w = Only(candidates, Mode::kExtended, "low");
  BOOST_TEST(w.cost_usd == 0.00066, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(w.thinking_tokens == 700.0);
  BOOST_TEST(!w.answer_measured);
}

BOOST_AUTO_TEST_CASE(repeated_reports_of_one_problem_set_give_the_interval_of_its_distinct_problems) {
  // Two reports of the same 30 AIME-2024 problems (83.6% and 87.3%, as o3-mini high's two launch posts): one
  // set of 30 problems at their mean, 25.635 of 30, Wilson 95% [0.688831, 0.939688] (not n = 60's
  // [0.744084, 0.922254]).
  Run a = StoredRun("a", Mode::kExtended, 30, 25.08);
  Run b = StoredRun("b", Mode::kExtended, 30, 26.19);
  a.effort = b.effort = "high";
  a.problem_set = b.problem_set = "AIME-2024";
  a.mean_output_tokens = b.mean_output_tokens = 5000;
  std::vector<std::string> notes;
  const Figures f = Only(Candidates(OneClassWorkload(), {a, b}, &notes), Mode::kExtended, "high");
  BOOST_TEST(f.accuracy == 25.635 / 30, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(f.interval.lower == 0.688830679815641, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(f.interval.upper == 0.9396883244240153, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(f.source == "runs:a+1");
  // A third report over another set (27 of 30 on AIME-2025) adds 30 distinct problems: 52.635 of 60,
  // Wilson [0.770916, 0.938185].
  Run c = StoredRun("c", Mode::kExtended, 30, 27);
  c.effort = "high";
  c.problem_set = "AIME-2025";
  c.mean_output_tokens = 5000;
  const Figures g = Only(Candidates(OneClassWorkload(), {a, b, c}, &notes), Mode::kExtended, "high");
  BOOST_TEST(g.interval.lower == 0.7709156421471876, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(g.interval.upper == 0.9381846954116059, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(the_default_plan_names_its_proxy_classes_and_their_evidence) {
  testing::ScratchDir dir("thinkplan-proxy");
  store::Database db = store::Database::Open(dir / "store.db");
  db.Ingest(testing::DataDir() / "published" / "runs.csv");
  const Workload w = LoadWorkload(testing::DataDir() / "workloads" / "default.json");
  const std::vector<Run> runs = db.ListRuns();
  static const CurveSet kNoCurves;
  for (const char* name : {"chat", "writing"}) {
    const TaskClassSpec* c = nullptr;
    for (const TaskClassSpec& each : w.classes) if (each.name == name) c = &each;
    BOOST_REQUIRE(c != nullptr);
    std::vector<std::string> notes;
    GenerateCandidates(w, *c, kNoCurves, runs, Catalogues::Load(testing::DataDir()), OptionsConfig{}, &notes);
    const std::string expected = std::string("class ") + name +
                                 ": bucket science-qa rests on a proxy, task class science-qa: its accuracies "
                                 "are measured on GPQA-Diamond (198 problems): 198 distinct problems";
    bool said = false;
    for (const std::string& n : notes) said = said || n.find(expected) == 0;
    BOOST_TEST(said, name);
  }
}

// Runs of systems s0..s5 on class `task_class` whose accuracies have the given logits (1000 published problems).
std::vector<Run> RunsAtLogits(const std::string& task_class, const std::vector<double>& logits) {
  std::vector<Run> out;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    Run r = StoredRun(task_class + std::to_string(i), Mode::kExtended, 1000, 1000 / (1 + std::exp(-logits[i])));
    r.system = "s" + std::to_string(i);
    r.task_class = task_class;
    out.push_back(r);
  }
  return out;
}

BOOST_AUTO_TEST_CASE(the_proxy_transfer_error_is_the_pooled_spread_between_benchmarks_of_the_same_systems) {
  // Proxy class p at logit 0 for six systems; class q at logits +-0.1, +-0.2, +-0.3 (mean 0, squares 0.28) and
  // class r at 1 + (0.5, -0.5, 0, 0, 0.5, -0.5) (mean 1, squares 1.0): pooled over 5 + 5 degrees of freedom,
  // sqrt(1.28 / 10) = 0.357771 on the logit scale. The offset of r (1 logit) is not part of it.
  std::vector<Run> runs = RunsAtLogits("p", std::vector<double>(6, 0.0));
  for (const Run& r : RunsAtLogits("q", {0.1, -0.1, 0.2, -0.2, 0.3, -0.3})) runs.push_back(r);
  for (const Run& r : RunsAtLogits("r", {1.5, 0.5, 1.0, 1.0, 1.5, 0.5})) runs.push_back(r);
  const ProxyTransfer t = ProxyTransferSpread(runs, "p", "");
  BOOST_TEST(t.measured);
  BOOST_TEST(t.dof == 10);
  BOOST_TEST(t.class_pairs == 2);
  BOOST_TEST(t.sigma_logit == std::sqrt(1.28 / 10), boost::test_tools::tolerance(1e-9));
  // One class of six settings is 5 degrees of freedom, too few: the shipped figure stands, and says so.
  const std::vector<Run> thin(runs.begin(), runs.begin() + 12);
  const ProxyTransfer fallback = ProxyTransferSpread(thin, "p", "");
  BOOST_TEST(!fallback.measured);
  BOOST_TEST(fallback.dof == 5);
  BOOST_TEST(fallback.sigma_logit == kProxyFallbackSigmaLogit);
}

BOOST_AUTO_TEST_CASE(the_shipped_fallback_transfer_error_is_what_the_shipped_runs_give) {
  // kProxyFallbackSigmaLogit states the figure of GPQA-Diamond (science-qa) against the other shipped classes,
  // rounded up (a fallback errs wide): the shipped runs files of data/demo_manifest.txt give 0.6396 over 14
  // classes and 166 degrees of freedom (a conversion that changes them changes it).
  testing::ScratchDir dir("thinkplan-proxy-spread");
  store::Database db = store::Database::Open(dir / "store.db");
  for (const char* file : {"published/runs.csv", "public/livecodebench/runs_2024-04.csv",
                           "public/livecodebench/runs_2025-01.csv", "public/routellm/runs.csv",
                           "public/matharena/runs.csv", "public/deepseek_r1/runs.csv", "public/epoch_effort/runs.csv",
                           "public/simple_evals_effort/runs.csv", "public/arc_agi_v1_effort/runs.csv",
                           "public/deepscaler_cap_sweep/runs.csv", "public/lrm_token_economy/runs.csv"}) {
    db.Ingest(testing::DataDir() / file);
  }
  const ProxyTransfer t = ProxyTransferSpread(db.ListRuns(), "science-qa", "");
  BOOST_TEST_MESSAGE("science-qa transfer error " << t.sigma_logit << " over " << t.class_pairs << " classes, "
                                                  << t.dof << " degrees of freedom");
  BOOST_TEST(t.measured);
  BOOST_TEST(t.sigma_logit == 0.6396, boost::test_tools::tolerance(1e-4));
  BOOST_TEST(t.dof == 166);
  BOOST_TEST(t.class_pairs == 14);
  BOOST_TEST(kProxyFallbackSigmaLogit >= t.sigma_logit);
  BOOST_TEST(kProxyFallbackSigmaLogit - t.sigma_logit < 0.02);
}

BOOST_AUTO_TEST_CASE(a_proxy_buckets_interval_is_wider_than_the_same_runs_measured_on_the_class_itself) {
  // The same stored run planned on a bucket of its own class and on a proxy bucket: the accuracy stays, the
  // interval widens on the logit scale to sqrt(half^2 + (1.96 x 0.65)^2) (no other class is stored here, so the
  // shipped transfer error stands).
  Run fast = StoredRun("fast", Mode::kFast, 100, 80);
  fast.mean_output_tokens = 210;
  std::vector<std::string> notes;
  const Figures own = Only(Candidates(OneClassWorkload(), {fast}, &notes), Mode::kFast);
  Workload proxied = OneClassWorkload();
  proxied.classes[0].buckets[0].proxy = true;
  notes.clear();
  const Figures proxy = Only(Candidates(proxied, {fast}, &notes), Mode::kFast);
  BOOST_TEST(proxy.accuracy == own.accuracy);
  const auto logit = [](double p) { return std::log(p / (1 - p)); };
  const double spread = 1.959963984540054 * kProxyFallbackSigmaLogit;
  const double lower = logit(0.8) - std::hypot(logit(0.8) - logit(own.interval.lower), spread);
  const double upper = logit(0.8) + std::hypot(logit(own.interval.upper) - logit(0.8), spread);
  BOOST_TEST(proxy.interval.lower == 1 / (1 + std::exp(-lower)), boost::test_tools::tolerance(1e-9));
  BOOST_TEST(proxy.interval.upper == 1 / (1 + std::exp(-upper)), boost::test_tools::tolerance(1e-9));
  BOOST_TEST(proxy.interval.upper - proxy.interval.lower > 2 * (own.interval.upper - own.interval.lower));
  bool said = false;
  for (const std::string& n : notes) said = said || n.find("class c: bucket x rests on a proxy") == 0;
  BOOST_TEST(said);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace thinkplan::planner
