#include "fitting/fit_jobs.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/budget_target.h"
#include "core/errors.h"
#include "core/model_shape.h"
#include "core/special_functions.h"
#include "fitting/beta_fit.h"
#include "fitting/budget_target_fit.h"
#include "fitting/difficulty_family.h"
#include "fitting/parallel_scaling.h"
#include "fitting/sequential_fit.h"
#include "fitting/token_fit.h"

namespace thinkplan::fitting {
namespace {

// Bump when a fit's code changes what it computes from the same rows: stored fits are then refitted.
constexpr const char* kFittingVersion = "5";  // 5: the difficulty family chosen per slice; 4: repeated reports combined

constexpr FitKind kAllKinds[] = {FitKind::kSequential, FitKind::kTokens,   FitKind::kParallel,    FitKind::kRho,
                                 FitKind::kCoverage,   FitKind::kTraining, FitKind::kBudgetTarget,
                                 FitKind::kDifficultyFamily};

bool IsPass1(const Run& run) { return run.aggregation.kind == AggregationKind::kPass1; }

std::string SettingOf(const Run& run) {
  std::string setting = std::string(ToString(run.mode));
  if (!run.effort.empty()) setting += " effort " + run.effort;
  if (run.budget_tokens) setting += " budget " + std::to_string(static_cast<long>(*run.budget_tokens));
  return setting;
}

// The per-problem results of one setting of a group: the setting with the most problems with two or more
// samples (a Beta's spread needs repeated samples). Pooling settings would mix different difficulty profiles.
struct ProblemSelection {
  std::string setting;
  std::vector<ProblemResult> problems;
};

ProblemSelection SelectRepeatedSamples(const std::vector<Run>& runs, const FitInputs& inputs) {
  std::map<std::string, std::vector<ProblemResult>> by_setting;
  for (const Run& run : runs) {
    auto it = inputs.problems.find(run.run_key);
    if (it == inputs.problems.end()) continue;
    for (const ProblemResult& p : it->second) {
      if (p.samples >= 2) by_setting[SettingOf(run)].push_back(p);
    }
  }
  ProblemSelection best;
  for (auto& [setting, problems] : by_setting) {
    if (problems.size() > best.problems.size()) best = {setting, std::move(problems)};
  }
  return best;
}

// Aggregate coverage runs of one setting: pass@1 and pass@k (k > 1) with problem counts.
std::vector<Run> CoverageRuns(const std::vector<Run>& runs) {
  std::map<std::string, std::vector<Run>> by_setting;
  for (const Run& run : runs) {
    const auto kind = run.aggregation.kind;
    if (kind == AggregationKind::kPass1 || kind == AggregationKind::kPassAt) by_setting[SettingOf(run) + "|" + run.benchmark].push_back(run);
  }
  for (auto& [setting, group] : by_setting) {
    std::set<long> ks;
    for (const Run& run : group) ks.insert(run.aggregation.k);
    if (ks.size() >= 2) return group;
  }
  return {};
}

std::vector<PassAtKPoint> PointsFromRuns(const std::vector<Run>& runs) {
  std::vector<PassAtKPoint> points;
  for (const Run& run : runs) points.push_back({run.aggregation.k, static_cast<double>(run.n_problems), run.n_correct});
  return points;
}

// Empirical pass@k (unbiased, Chen et al.) at k = 1, 2, 5, 10, 20, 50, ... below the samples every problem has,
// and at that sample count itself.
std::vector<PassAtKPoint> PointsFromProblems(const std::vector<ProblemResult>& problems) {
  const std::vector<SampleCount> counts = SampleCountsFromProblems(problems);
  long max_k = std::numeric_limits<long>::max();
  for (const ProblemResult& p : problems) max_k = std::min(max_k, p.samples);
  std::vector<long> ks;
  for (long k : {1L, 2L, 5L, 10L, 20L, 50L, 100L, 200L, 500L, 1000L}) {
    if (k < max_k) ks.push_back(k);
  }
  ks.push_back(max_k);
  std::vector<PassAtKPoint> points;
  for (long k : ks) {
    const EmpiricalPassAtK e = EmpiricalPassAt(counts, k);
    points.push_back({k, static_cast<double>(e.problems), e.value * static_cast<double>(e.problems)});
  }
  return points;
}

bool Wanted(const FitJobFilter& filter, FitKind kind, const CurveKey& key) {
  if (filter.kind && *filter.kind != kind) return false;
  if (filter.task_class && *filter.task_class != key.task_class) return false;
  return !filter.system || *filter.system == key.system;
}

FitJob MakeJob(FitKind kind, const CurveKey& key, std::vector<Run> runs) {
  FitJob job;
  job.kind = kind;
  job.key = key;
  job.runs = std::move(runs);
  return job;
}

// Effort levels of pass@1 runs that give neither tokens used nor a budget: they place no point on a token axis.
std::set<std::string> EffortWithoutTokens(const std::vector<Run>& pass1) {
  std::set<std::string> levels;
  for (const Run& run : pass1) {
    if (!run.ThinkingTokens() && !run.budget_tokens && !run.effort.empty()) levels.insert(run.effort);
  }
  return levels;
}

std::string JoinLevels(const std::set<std::string>& levels) {
  std::string out;
  for (const std::string& level : levels) out += (out.empty() ? "" : ", ") + level;
  return out;
}

// Pass@1 runs with an effort level but no tokens or budget get the tokens of the same system's runs at that
// effort (EffortTokenMap), each placement stated in `assumptions`; the others are returned as they are.
std::vector<Run> PlaceEffortRuns(const std::vector<Run>& pass1, const EffortTokenMap& efforts,
                                 std::vector<std::string>& assumptions) {
  std::vector<Run> out = pass1;
  std::set<std::string> stated;
  for (Run& run : out) {
    if (run.ThinkingTokens() || run.budget_tokens || run.effort.empty()) continue;
    const std::optional<EffortTokens> found = efforts.Find(run.system, run.task_class, run.effort);
    if (!found) continue;
    run.mean_thinking_tokens = found->tokens;
    if (stated.insert(run.effort).second) {
      assumptions.push_back(fmt::format("effort '{}' placed at {:.0f} thinking tokens, the mean output tokens of {}{}",
                                        run.effort, found->tokens, found->source,
                                        found->same_class ? "" : " (another task class: an assumption)"));
    }
  }
  return out;
}

// Runs with tokens at a finite budget of a system whose budget is a target (Anthropic, Google): what a
// budget-target fit reads. Empty for every other knob, where section 3's min(L, b) describes the tokens used.
std::vector<Run> TargetBudgetRuns(const std::vector<Run>& with_tokens, const FitInputs& inputs) {
  std::vector<Run> out;
  for (const Run& run : with_tokens) {
    const auto knob = inputs.compute_knobs.find(run.system);
    if (knob == inputs.compute_knobs.end() || SemanticsOfKnob(knob->second) != BudgetSemantics::kTarget) continue;
    if (run.budget_tokens && std::isfinite(*run.budget_tokens)) out.push_back(run);
  }
  return out;
}

// Why the sequential and token curves of a key are not fitted (called only when they are not).
SkippedSlice AxisSkip(FitKind kind, const CurveKey& key, const std::vector<Run>& pass1) {
  const std::set<std::string> levels = EffortWithoutTokens(pass1);
  if (!levels.empty()) {
    return {kind, key, "effort levels without tokens",
            "pass@1 runs give effort levels (" + JoinLevels(levels) +
                ") but no tokens used or budget, and no run of the system reports tokens at those levels"};
  }
  if (kind == FitKind::kTokens) return {kind, key, "no token counts", "no run reports mean output tokens"};
  if (pass1.empty()) return {kind, key, "no pass@1 run", "no pass@1 run: only aggregated (pass@k, cons@k) points"};
  return {kind, key, "no token axis", "no pass@1 run gives tokens used or a budget"};
}

void ListCurveSkips(const CurveKey& key, const std::vector<Run>& pass1, bool sequential, bool tokens, bool parallel,
                    bool consensus, const FitJobFilter& filter, std::vector<SkippedSlice>& skipped) {
  const auto add = [&](FitKind kind, bool fitted, const std::function<SkippedSlice()>& why) {
    if (!fitted && Wanted(filter, kind, key)) skipped.push_back(why());
  };
  add(FitKind::kSequential, sequential, [&] { return AxisSkip(FitKind::kSequential, key, pass1); });
  add(FitKind::kTokens, tokens, [&] { return AxisSkip(FitKind::kTokens, key, pass1); });
  const std::string no_spread = "no per-problem results with two or more samples and no pass@k at two k";
  add(FitKind::kParallel, parallel, [&] { return SkippedSlice{FitKind::kParallel, key, "no repeated samples", no_spread}; });
  add(FitKind::kCoverage, parallel, [&] { return SkippedSlice{FitKind::kCoverage, key, "no repeated samples", no_spread}; });
  add(FitKind::kRho, consensus, [&] {
    return SkippedSlice{FitKind::kRho, key, "no cons@k run",
                        "no cons@k run (k > 1): rho is not fitted, so majority vote is never offered for this key"};
  });
}

void PlanCurveJobs(const CurveKey& key, const std::vector<Run>& runs, const FitInputs& inputs,
                   const EffortTokenMap& efforts, const FitJobFilter& filter, std::vector<FitJob>& jobs,
                   std::vector<SkippedSlice>* skipped) {
  std::vector<Run> pass1, with_tokens, consensus;
  std::vector<ProblemResult> token_problems;
  for (const Run& run : runs) {
    // Thinking curves read extended-mode runs only: a fast run's output is all answer.
    if (IsPass1(run) && run.mode == Mode::kExtended) pass1.push_back(run);
    if (run.mode == Mode::kExtended && run.ThinkingTokens()) with_tokens.push_back(run);
    if (run.aggregation.kind == AggregationKind::kConsensus && run.aggregation.k > 1) consensus.push_back(run);
  }
  std::vector<std::string> assumptions;
  pass1 = PlaceEffortRuns(pass1, efforts, assumptions);
  const bool any_x = std::any_of(pass1.begin(), pass1.end(),
                                 [](const Run& r) { return r.ThinkingTokens() || r.budget_tokens; });
  if (any_x && Wanted(filter, FitKind::kSequential, key)) {
    jobs.push_back(MakeJob(FitKind::kSequential, key, pass1));
    jobs.back().assumptions = assumptions;
  }
  if (!with_tokens.empty() && Wanted(filter, FitKind::kTokens, key)) {
    jobs.push_back(MakeJob(FitKind::kTokens, key, with_tokens));
  }
  const std::vector<Run> at_target = TargetBudgetRuns(with_tokens, inputs);
  if (!at_target.empty() && Wanted(filter, FitKind::kBudgetTarget, key)) {
    jobs.push_back(MakeJob(FitKind::kBudgetTarget, key, at_target));
  }
  const ProblemSelection repeated = SelectRepeatedSamples(runs, inputs);
  const std::vector<Run> coverage_runs = CoverageRuns(runs);
  const bool parallel = !repeated.problems.empty() || !coverage_runs.empty();
  if (parallel && Wanted(filter, FitKind::kParallel, key)) {
    FitJob job = MakeJob(FitKind::kParallel, key, repeated.problems.empty() ? coverage_runs : std::vector<Run>{});
    job.problems = repeated.problems;
    job.setting = repeated.setting;
    jobs.push_back(job);
  }
  if (!repeated.problems.empty() && Wanted(filter, FitKind::kDifficultyFamily, key)) {
    FitJob job = MakeJob(FitKind::kDifficultyFamily, key, {});
    job.problems = repeated.problems;
    job.setting = repeated.setting;
    jobs.push_back(job);
  }
  if (!consensus.empty() && Wanted(filter, FitKind::kRho, key)) {
    // The cons@k point and, for the Beta's mean, the pass@1 runs on the same benchmark.
    FitJob job = MakeJob(FitKind::kRho, key, {consensus.front()});
    for (const Run& run : pass1) {
      if (run.benchmark == consensus.front().benchmark) job.runs.push_back(run);
    }
    jobs.push_back(job);
  }
  if (parallel && Wanted(filter, FitKind::kCoverage, key)) {
    FitJob job = MakeJob(FitKind::kCoverage, key, repeated.problems.empty() ? coverage_runs : std::vector<Run>{});
    job.problems = repeated.problems;
    job.setting = repeated.setting;
    jobs.push_back(job);
  }
  if (skipped) {
    ListCurveSkips(key, pass1, any_x, !with_tokens.empty(), parallel, !consensus.empty(), filter, *skipped);
    const auto knob = inputs.compute_knobs.find(key.system);
    const bool target = knob != inputs.compute_knobs.end() && SemanticsOfKnob(knob->second) == BudgetSemantics::kTarget;
    if (target && at_target.empty() && Wanted(filter, FitKind::kBudgetTarget, key)) {
      skipped->push_back({FitKind::kBudgetTarget, key, "no tokens at a budget",
                          "the budget is a target (" + knob->second +
                              ") but no run reports tokens used at a budget: tokens at a budget fall back to "
                              "the token model's min(L, b), which cannot exceed the budget"});
    }
  }
}

// Training surfaces: per (family, class, difficulty), empirical pass@k of each member at its per-problem
// setting against its pre-training compute.
void PlanTrainingJobs(const std::map<CurveKey, std::vector<Run>>& groups, const FitInputs& inputs,
                      const FitJobFilter& filter, std::vector<FitJob>& jobs) {
  std::map<CurveKey, FitJob> by_family;  // key: (family, class, difficulty)
  std::map<CurveKey, std::set<std::string>> members;
  for (const auto& [key, runs] : groups) {
    const auto member = std::find_if(inputs.families.begin(), inputs.families.end(),
                                     [&system = key.system](const FamilyMember& m) { return m.system == system; });
    if (member == inputs.families.end()) continue;
    const CurveKey family_key{member->family, key.task_class, key.difficulty};
    const bool system_matches = !filter.system || *filter.system == member->family || *filter.system == key.system;
    if ((filter.kind && *filter.kind != FitKind::kTraining) || !system_matches ||
        (filter.task_class && *filter.task_class != key.task_class)) {
      continue;
    }
    const ProblemSelection repeated = SelectRepeatedSamples(runs, inputs);
    if (repeated.problems.empty()) continue;
    FitJob& job = by_family[family_key];
    job.kind = FitKind::kTraining;
    job.key = family_key;
    job.training_axis = TestTimeAxis::kSamples;
    for (const PassAtKPoint& point : PointsFromProblems(repeated.problems)) {
      job.training_points.push_back({member->TrainFlops(), static_cast<double>(point.k), point.n_problems, point.n_correct});
    }
    job.problems.insert(job.problems.end(), repeated.problems.begin(), repeated.problems.end());
    members[family_key].insert(key.system);
  }
  for (auto& [family_key, job] : by_family) {
    if (members[family_key].size() >= 2) jobs.push_back(std::move(job));
  }
}

nlohmann::json RunJson(const Run& r) {
  auto opt = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  return {r.run_key, ToString(r.source), r.system, r.hardware, r.task_class, r.difficulty, r.benchmark,
          ToString(r.mode), opt(r.budget_tokens), r.effort, r.samples, r.aggregation.ToString(), r.n_problems,
          r.n_correct, opt(r.mean_output_tokens), opt(r.mean_input_tokens), r.problem_set,
          opt(r.mean_thinking_tokens), opt(r.mean_answer_tokens)};
}

FitOutcome Outcome(const FitJob& job, std::string form, std::string axis, std::vector<double> params,
                   std::vector<double> covariance, FitQuality quality, Summary summary) {
  summary.label = job.key.ToString();
  if (!job.setting.empty()) summary.notes.push_back("per-problem results at setting: " + job.setting);
  summary.notes.insert(summary.notes.end(), job.assumptions.begin(), job.assumptions.end());
  if (!job.assumptions.empty() && quality.status == FitStatus::kOk) {
    quality.status = FitStatus::kFallback;
    quality.reason = "effort levels placed on the token axis from the system's own token data (see the notes)";
  }
  summary.quality = quality;
  return {job.kind, job.key, std::move(form), std::move(axis), std::move(params), std::move(covariance),
          std::move(quality), std::move(summary)};
}

// The logit-normal fit and the family held-out likelihood chose, as one stored row: form = the chosen family,
// params and covariance the logit-normal's (mu, sigma), status the logit-normal fit's; the summary's notes give
// both held-out log-likelihoods. The Beta itself stays in the parallel row.
FitOutcome DifficultyFamilyOutcome(const FitJob& job, const Options& options) {
  const DifficultyFamilyChoice choice = ChooseDifficultyFamily(SampleCountsFromProblems(job.problems), options);
  const LogitNormalDifficulty& ln = choice.logit_normal;
  Summary summary;
  summary.kind = std::string(ToString(FitKind::kDifficultyFamily));
  summary.form = std::string(ToString(choice.chosen));
  summary.quality = ln.quality;
  const double z = TwoSidedZ(summary.confidence_level);
  const auto estimate = [&](const char* name, double value, int i) {
    const double half = ln.covariance.size() == 4 ? z * std::sqrt(std::max(0.0, ln.covariance[3 * i])) : 0.0;
    return Estimate{name, value, {value - half, value + half}};
  };
  summary.parameters = {estimate("mu", ln.mu, 0), estimate("sigma", ln.sigma, 1)};
  summary.notes.push_back(choice.BriefReport());
  return Outcome(job, std::string(ToString(choice.chosen)), "", {ln.mu, ln.sigma}, ln.covariance, ln.quality, summary);
}

}  // namespace

std::string_view ToString(FitKind kind) {
  switch (kind) {
    case FitKind::kSequential: return "sequential";
    case FitKind::kTokens: return "tokens";
    case FitKind::kParallel: return "parallel";
    case FitKind::kRho: return "rho";
    case FitKind::kCoverage: return "coverage";
    case FitKind::kTraining: return "training";
    case FitKind::kBudgetTarget: return "budget-target";
    case FitKind::kDifficultyFamily: return "difficulty-family";
  }
  return "sequential";
}

std::optional<FitKind> ParseFitKind(std::string_view text) {
  for (FitKind kind : kAllKinds) {
    if (ToString(kind) == text) return kind;
  }
  return std::nullopt;
}

std::vector<FamilyMember> LoadFamilies(const std::filesystem::path& csv_path) {
  const CsvTable table = CsvTable::Read(csv_path);
  std::vector<FamilyMember> members;
  for (size_t i = 0; i < table.size(); ++i) {
    const CsvRow row = table.row(i);
    FamilyMember m{row.RequiredText("system"), row.RequiredText("family"), row.Number("params_b"),
                   row.Number("pretrain_tokens_t")};
    if (!(m.params_b > 0)) row.Fail("params_b", "must be a number > 0");
    if (!(m.pretrain_tokens_t > 0)) row.Fail("pretrain_tokens_t", "must be a number > 0");
    members.push_back(m);
  }
  return members;
}

EffortTokenMap::EffortTokenMap(const std::vector<Run>& runs) {
  for (const Run& run : runs) {
    const std::optional<double> thinking = run.ThinkingTokens();
    if (run.effort.empty() || !thinking || run.budget_tokens || run.mode != Mode::kExtended) continue;
    const double w = static_cast<double>(std::max(1L, run.n_problems));
    for (Sum* sum : {&by_class_[{run.system, run.task_class, run.effort}], &by_system_[{run.system, run.effort}]}) {
      sum->weight += w;
      sum->tokens += w * *thinking;
      sum->classes.insert(run.task_class);
      if (!run.benchmark.empty()) sum->benchmarks.insert(run.benchmark);
    }
  }
}

std::optional<EffortTokens> EffortTokenMap::Find(const std::string& system, const std::string& task_class,
                                                 const std::string& effort) const {
  const auto describe = [&](const Sum& sum, bool same_class) {
    std::string classes, benchmarks;
    for (const std::string& c : sum.classes) classes += (classes.empty() ? "" : ", ") + c;
    for (const std::string& b : sum.benchmarks) benchmarks += (benchmarks.empty() ? "" : ", ") + b;
    return EffortTokens{sum.tokens / sum.weight,
                        fmt::format("{}'s effort '{}' runs on {}{}", system, effort, classes,
                                    benchmarks.empty() ? "" : " (" + benchmarks + ")"),
                        same_class};
  };
  if (auto it = by_class_.find({system, task_class, effort}); it != by_class_.end()) return describe(it->second, true);
  if (auto it = by_system_.find({system, effort}); it != by_system_.end()) return describe(it->second, false);
  return std::nullopt;
}

std::string FitJob::Fingerprint(const Options& options) const {
  nlohmann::json out = {{"version", kFittingVersion},
                        {"kind", ToString(kind)},
                        {"key", {key.system, key.task_class, key.difficulty}},
                        {"setting", setting},
                        {"confidence_level", options.confidence_level},
                        {"min_distinct_x_for_sigmoid", options.min_distinct_x_for_sigmoid},
                        {"fallback_token_sigma", options.fallback_token_sigma}};
  std::vector<Run> sorted_runs = runs;
  std::sort(sorted_runs.begin(), sorted_runs.end(), [](const Run& a, const Run& b) { return a.run_key < b.run_key; });
  for (const Run& run : sorted_runs) out["runs"].push_back(RunJson(run));
  std::vector<ProblemResult> sorted_problems = problems;
  std::sort(sorted_problems.begin(), sorted_problems.end(), [](const ProblemResult& a, const ProblemResult& b) {
    return std::tie(a.run_key, a.problem_id) < std::tie(b.run_key, b.problem_id);
  });
  for (const ProblemResult& p : sorted_problems) {
    out["problems"].push_back({p.run_key, p.problem_id, p.samples, p.correct,
                               p.output_tokens ? nlohmann::json(*p.output_tokens) : nlohmann::json(nullptr)});
  }
  for (const TrainingPoint& t : training_points) out["training"].push_back({t.train_flops, t.test_time, t.n, t.correct});
  for (const std::string& a : assumptions) out["assumptions"].push_back(a);
  return out.dump();
}

std::vector<FitJob> PlanFitJobs(const FitInputs& inputs, const FitJobFilter& filter,
                                std::vector<SkippedSlice>* skipped) {
  // Reports of the same problems at the same setting are one point of those problems, not more problems.
  std::map<CurveKey, std::vector<Run>> groups;
  for (Run& run : CombinedRunsOnly(inputs.runs)) {
    groups[{run.system, run.task_class, run.difficulty}].push_back(std::move(run));
  }
  std::vector<FitJob> jobs;
  const EffortTokenMap efforts(inputs.runs);
  for (const auto& [key, runs] : groups) PlanCurveJobs(key, runs, inputs, efforts, filter, jobs, skipped);
  PlanTrainingJobs(groups, inputs, filter, jobs);
  // Parallel fits first, then the difficulty families: a rho job reads the chosen family of its key.
  const auto rank = [](const FitJob& job) {
    return job.kind == FitKind::kParallel ? 0 : job.kind == FitKind::kDifficultyFamily ? 1 : 2;
  };
  std::stable_sort(jobs.begin(), jobs.end(), [&](const FitJob& a, const FitJob& b) { return rank(a) < rank(b); });
  return jobs;
}

FitOutcome RunFitJob(const FitJob& job, const Options& options, const DifficultyDistribution* difficulty) {
  Summary summary;
  switch (job.kind) {
    case FitKind::kSequential: {
      const SequentialCurve c = FitSequential(job.runs, options, &summary);
      return Outcome(job, std::string(ToString(c.form)), std::string(ToString(c.axis)), c.params, c.covariance,
                     c.quality, summary);
    }
    case FitKind::kTokens: {
      const TokenModel m = FitTokensFromMeans(TokenMeansFromRuns(job.runs), options, &summary);
      return Outcome(job, "lognormal", "", {m.mu, m.sigma}, m.covariance, m.quality, summary);
    }
    case FitKind::kBudgetTarget: {
      const BudgetTarget t = FitBudgetTarget(TokenMeansFromRuns(job.runs), options, &summary);
      return Outcome(job, "share-of-budget", "budget", {t.c0, t.c1, t.ln_reference}, t.covariance, t.quality, summary);
    }
    case FitKind::kParallel: {
      const BetaDifficulty b = job.problems.empty()
                                   ? FitBetaFromPassAtK(PointsFromRuns(job.runs), options, &summary)
                                   : FitBetaBinomial(SampleCountsFromProblems(job.problems), options, &summary);
      return Outcome(job, "beta", "", {b.a, b.b}, b.covariance, b.quality, summary);
    }
    case FitKind::kDifficultyFamily: return DifficultyFamilyOutcome(job, options);
    case FitKind::kRho: {
      const Run& cons = job.runs.front();
      if (difficulty == nullptr || !difficulty->quality().usable()) {
        FitQuality quality;
        quality.status = FitStatus::kInsufficientData;
        quality.reason = "rho needs a usable difficulty distribution (Beta or logit-normal) for " + job.key.ToString() +
                         " (per-problem results with repeated samples, or pass@k at two k)";
        summary.kind = "rho";
        summary.form = "trinomial";
        summary.quality = quality;
        return Outcome(job, "trinomial", "", {0.0}, {}, quality, summary);
      }
      // The spread comes from the chosen family's fit (the Beta's a + b, the logit-normal's sigma); the mean from
      // pass@1 on the cons point's own benchmark, when there is one (the fit may come from another problem set
      // of the same class).
      DifficultyDistribution shaped = *difficulty;
      double n = 0, correct = 0;
      for (size_t i = 1; i < job.runs.size(); ++i) n += job.runs[i].n_problems, correct += job.runs[i].n_correct;
      if (n > 0) shaped = difficulty->WithMean(std::clamp(correct / n, 1e-6, 1 - 1e-6));
      const RhoFit r = FitRho(shaped, cons.aggregation.k, static_cast<double>(cons.n_problems), cons.n_correct,
                              options, &summary);
      const bool beta = difficulty->family == DifficultyFamily::kBeta;
      summary.notes.push_back(fmt::format("{} spread from the {} fit ({}){}", ToString(difficulty->family),
                                          beta ? "parallel" : "difficulty-family", difficulty->Describe(),
                                          n > 0 ? "; mean from pass@1 on " + cons.benchmark : ""));
      return Outcome(job, "trinomial", "", {r.rho}, {}, r.quality, summary);
    }
    case FitKind::kCoverage: {
      const std::vector<PassAtKPoint> points =
          job.problems.empty() ? PointsFromRuns(job.runs) : PointsFromProblems(job.problems);
      const CoverageLaw law = FitCoverageLaw(points, options, &summary);
      return Outcome(job, "exp-power", "", {law.a, law.b}, law.covariance, law.quality, summary);
    }
    case FitKind::kTraining: {
      const TrainingSurface s = FitTrainingSurface(job.training_points, job.training_axis, options, &summary);
      return Outcome(job, "logit-linear", std::string(ToString(job.training_axis)), {s.t0, s.t1, s.t2},
                     s.covariance, s.quality, summary);
    }
  }
  throw InternalError("unknown fit kind");
}

}  // namespace thinkplan::fitting
