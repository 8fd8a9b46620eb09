#include "pipeline/report_stage.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/curve_set.h"
#include "core/difficulty.h"
#include "core/errors.h"
#include "core/training_economics.h"
#include "pipeline/exchange_stage.h"
#include "pipeline/plan_stage.h"
#include "planner/exchange.h"
#include "planner/workload.h"
#include "store/fits.h"
#include "store/plans.h"
#include "store/sweeps.h"

namespace thinkplan::pipeline {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kCurvePoints = 48;
constexpr long kMaxSamples = 64;

json ParseStored(const std::string& text, const std::string& what) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw InputError(what + " is not valid JSON: " + e.what());
  }
}

reports::FitInfo InfoOf(const FitQuality& q, std::string form, std::string axis) {
  return {std::move(form), std::move(axis), std::string(ToString(q.status)), q.reason, q.n_points, q.deviance, q.aic};
}

// Log-spaced samples of a curve between lo and hi.
template <typename Eval>
std::vector<reports::CurveSample> Sample(double lo, double hi, Eval eval) {
  std::vector<reports::CurveSample> out;
  for (int i = 0; i < kCurvePoints; ++i) {
    const double x = std::exp(std::log(lo) + (std::log(hi) - std::log(lo)) * i / (kCurvePoints - 1));
    out.push_back(eval(x));
  }
  return out;
}

bool SameBucket(const Run& run, const planner::BucketSpec& bucket) {
  return run.task_class == bucket.task_class && run.difficulty == bucket.difficulty;
}

reports::ObservedPoint Observed(const Run& run, double x) {
  return {x, run.n_problems > 0 ? run.n_correct / static_cast<double>(run.n_problems) : 0.0, run.n_problems,
          std::string(ToString(run.source)), run.benchmark.empty() ? run.run_key : run.benchmark + " (" + run.run_key + ")"};
}

reports::CurveSeries SequentialSeries(const SequentialCurve& curve, const std::vector<Run>& runs) {
  reports::CurveSeries s;
  s.measure = "accuracy";
  s.fit = InfoOf(curve.quality, std::string(ToString(curve.form)), std::string(ToString(curve.axis)));
  double lo = INFINITY, hi = 0;
  for (const Run& run : runs) {
    if (run.aggregation.kind != AggregationKind::kPass1) continue;  // averaged pass@1 included
    const std::optional<double> x = curve.axis == TokenAxis::kBudget ? run.budget_tokens : run.mean_output_tokens;
    if (!x || *x <= 0) continue;
    s.observed.push_back(Observed(run, *x));
    lo = std::min(lo, *x);
    hi = std::max(hi, *x);
  }
  if (hi <= 0) {
    lo = 256;
    hi = 32768;
  }
  s.curve = Sample(lo / 2, hi * 2, [&](double x) {
    const Interval band = curve.Band(x);
    return reports::CurveSample{x, curve.Evaluate(x), band.lower, band.upper};
  });
  return s;
}

// The pass@1 runs of a system that has no usable sequential fit, against mean output tokens.
reports::CurveSeries ObservedOnly(const std::vector<Run>& runs) {
  reports::CurveSeries s;
  s.measure = "accuracy";
  s.fit = {"", "tokens-used", "no fit", "points only: no usable sequential fit", 0, 0, 0};
  for (const Run& run : runs) {
    if (run.aggregation.kind == AggregationKind::kPass1 && run.mean_output_tokens && *run.mean_output_tokens > 0) {
      s.observed.push_back(Observed(run, *run.mean_output_tokens));
    }
  }
  s.fit.n_points = static_cast<long>(s.observed.size());
  return s;
}

// Parallel curves of the difficulty family the slice chose (the Beta, or the logit-normal where held-out likelihood
// chose it: what predict and the planner read): coverage always; majority vote when rho is fitted; best-of-N when
// the class has a reward model with a d'.
std::vector<reports::CurveSeries> ParallelSeries(const DifficultyDistribution& difficulty, const FittedCurves& fitted,
                                                 const planner::TaskClassSpec& klass, const std::vector<Run>& runs) {
  std::vector<reports::CurveSeries> out;
  // Out to the largest N measured (o1's best@1000 on AIME, for one), at least kMaxSamples.
  long max_k = kMaxSamples;
  for (const Run& run : runs) {
    if (run.aggregation.kind != AggregationKind::kPass1) max_k = std::max(max_k, std::min<long>(run.aggregation.k, 4096));
  }
  auto make = [&](const std::string& measure, AggregationKind kind, auto eval) {
    reports::CurveSeries s;
    s.measure = measure;
    s.fit = InfoOf(difficulty.quality(), std::string(ToString(difficulty.family)), "samples");
    for (long k = 1; k <= max_k; k *= 2) s.curve.push_back(eval(k));
    for (const Run& run : runs) {
      if (run.aggregation.kind == kind && run.aggregation.k >= 1) s.observed.push_back(Observed(run, static_cast<double>(run.aggregation.k)));
    }
    out.push_back(std::move(s));
  };
  make("pass@k", AggregationKind::kPassAt, [&](long k) {
    const Interval band = difficulty.PassAtKBand(k);
    return reports::CurveSample{static_cast<double>(k), difficulty.PassAtK(k), band.lower, band.upper};
  });
  if (fitted.rho && klass.exact_match_answers) {
    const double rho = fitted.rho->rho;
    make("cons@k", AggregationKind::kConsensus, [&](long k) {
      const double v = difficulty.Expectation(ConsensusCredit(k, rho));
      return reports::CurveSample{static_cast<double>(k), v, v, v};
    });
  }
  if (klass.verifier.kind == planner::VerifierKind::kRewardModel && klass.verifier.d_prime > 0) {
    const double d = klass.verifier.d_prime;
    make("best@k", AggregationKind::kBestOf, [&](long k) {
      const double v = difficulty.Expectation(BestOfCredit(k, d));
      return reports::CurveSample{static_cast<double>(k), v, v, v};
    });
  }
  return out;
}

// Curves of every (class, bucket, system) the workload can plan with, under the workload's own names.
void AddCurves(reports::ReportInputs& in, const planner::Workload& workload, const CurveSet& curves,
               const std::vector<Run>& runs) {
  std::map<std::pair<std::string, std::string>, std::set<std::string>> chosen;  // (class, bucket) -> systems
  for (const json& b : in.plan.value("allocation", json::array())) {
    for (const json& o : b.value("options", json::array())) {
      chosen[{b.value("class", ""), b.value("bucket", "")}].insert(o.value("system", ""));
    }
  }
  for (const planner::TaskClassSpec& klass : workload.classes) {
    for (const planner::BucketSpec& bucket : klass.buckets) {
      const auto& picked = chosen[{klass.name, bucket.name}];
      std::size_t unchosen_parallel = 0;
      for (const planner::SystemSpec& system : workload.systems) {
        if (!klass.systems.empty() &&
            std::find(klass.systems.begin(), klass.systems.end(), system.name) == klass.systems.end()) {
          continue;
        }
        const std::string& stored = system.CurveName(bucket.task_class);
        const FittedCurves* fitted = curves.Find({stored, bucket.task_class, bucket.difficulty});
        std::vector<Run> own;
        for (const Run& run : runs) {
          if (run.system == stored && SameBucket(run, bucket)) own.push_back(run);
        }
        auto label = [&](reports::CurveSeries s) {
          s.workload_class = klass.name;
          s.bucket = bucket.name;
          s.system = system.name;
          return s;
        };
        if (fitted && fitted->sequential) {
          in.sequential.push_back(label(SequentialSeries(*fitted->sequential, own)));
        } else {
          // No curve, but the runs the planner read directly are still worth seeing beside the fitted ones.
          reports::CurveSeries points = label(ObservedOnly(own));
          if (!points.observed.empty()) in.sequential.push_back(std::move(points));
        }
        // Parallel charts would drown in colours: the chosen systems, and one other for comparison.
        const std::optional<DifficultyDistribution> difficulty =
            fitted ? ChosenDifficulty(*fitted) : std::nullopt;
        if (difficulty && (picked.count(system.name) || unchosen_parallel++ < 1)) {
          for (auto& s : ParallelSeries(*difficulty, *fitted, klass, own)) in.parallel.push_back(label(std::move(s)));
        }
      }
    }
  }
}

// Stored runs the workload can reach, grouped by data set.
void AddProvenance(reports::ReportInputs& in, const planner::Workload& workload, const std::vector<Run>& runs) {
  std::set<std::pair<std::string, std::string>> reachable;  // (stored system, stored class)
  for (const planner::TaskClassSpec& klass : workload.classes) {
    for (const planner::BucketSpec& bucket : klass.buckets) {
      for (const planner::SystemSpec& system : workload.systems) reachable.insert({system.CurveName(bucket.task_class), bucket.task_class});
    }
  }
  std::map<std::tuple<std::string, std::string, std::string, std::string, std::string>, reports::ProvenanceRow> groups;
  const auto key_of = [](const Run& run) {
    return std::make_tuple(std::string(ToString(run.source)), run.system, run.task_class, run.benchmark, run.citation);
  };
  std::map<decltype(key_of(Run{})), std::set<std::string>> counted_sets;
  for (const Run& run : runs) {
    if (!reachable.count({run.system, run.task_class})) continue;
    const std::string source(ToString(run.source));
    auto& row = groups[key_of(run)];
    row.source = source;
    row.system = run.system;
    row.task_class = run.task_class;
    row.benchmark = run.benchmark;
    row.citation = run.citation;
    row.runs += 1;
    // Reports of one named problem set score the same problems: counted once.
    if (run.problem_set.empty() || counted_sets[key_of(run)].insert(run.problem_set).second) {
      row.problems += run.n_problems;
    }
  }
  for (auto& [key, row] : groups) in.provenance.push_back(std::move(row));
}

void AddExchange(reports::ReportInputs& in, store::Database& db, const CurveSet& curves, const fs::path& data_dir) {
  const std::vector<planner::UnusableSurface> unusable = UnusableTrainingFits(db);
  if (curves.training().empty() && unusable.empty()) return;
  std::vector<ChinchillaLaw> laws;
  const fs::path laws_csv = data_dir / "published" / "training_scaling.csv";
  if (fs::exists(laws_csv)) laws = LoadChinchillaLaws(laws_csv);
  in.exchange = planner::ComputeExchange(curves.training(), unusable, laws, {}).ToJson();
}

fs::path SpecsDirOf(const fs::path& report) {
  return report.parent_path() / (report.stem().string() + "_specs");
}

// The report shows what the policy sends; a plan an API refuses still has a report, which says so.
nlohmann::json ReportPolicy(store::Database& db, const store::StoredPlan& stored) {
  try {
    return PolicyOfStoredPlan(db, stored, {});
  } catch (const InputError& error) {
    return {{"routes", nlohmann::json::array()}, {"error", error.what()}};
  }
}

}  // namespace

reports::ReportInputs GatherReportInputs(store::Database& db, long plan_id, std::optional<long> simulation_id,
                                         const fs::path& data_dir) {
  const store::StoredPlan stored = store::LoadPlan(db, plan_id);
  reports::ReportInputs in;
  in.plan_id = stored.id;
  in.created_at = stored.created_at;
  in.plan = ParseStored(stored.plan_json, fmt::format("plan {}", plan_id));
  in.workload = ParseStored(stored.workload_json, fmt::format("the workload of plan {}", plan_id));
  in.policy = ReportPolicy(db, stored);
  if (stored.base_plan_id) {
    in.base_plan_id = stored.base_plan_id;
    in.base_plan = ParseStored(store::LoadPlan(db, *stored.base_plan_id).plan_json, fmt::format("plan {}", *stored.base_plan_id));
  }
  // A verified plan is shown with the simulation that verified it unless another is asked for.
  if (const auto verified = store::LatestVerification(db, plan_id)) {
    in.verification = ParseStored(verified->body_json, fmt::format("verification {}", verified->id));
    if (!simulation_id) simulation_id = verified->simulation_id;
  }
  if (simulation_id) {
    const store::StoredSimulation sim = store::LoadSimulation(db, *simulation_id);
    if (sim.plan_id != plan_id) {
      throw UsageError(fmt::format("simulation {} is of plan {}, not plan {} (see thinkplan plans)", *simulation_id,
                                   sim.plan_id, plan_id));
    }
    in.simulation_id = simulation_id;
    in.simulation = ParseStored(sim.result_json, fmt::format("simulation {}", *simulation_id));
  }
  for (const store::StoredSweep& sweep : store::ListSweeps(db, plan_id)) {
    nlohmann::json body = ParseStored(sweep.body, fmt::format("sweep {}", sweep.id));
    body["id"] = sweep.id;
    in.sweeps.push_back(std::move(body));
  }
  const planner::Workload workload = planner::ParseWorkload(in.workload, fmt::format("plan {} workload", plan_id));
  const CurveSet curves = store::LoadCurveSet(db);
  const std::vector<Run> runs = db.ListRuns();
  AddCurves(in, workload, curves, runs);
  AddProvenance(in, workload, runs);
  AddExchange(in, db, curves, data_dir);
  return in;
}

WrittenReport WriteReport(const reports::Document& document, ReportFormat format, const fs::path& path) {
  WrittenReport written{path, SpecsDirOf(path), 0, document.Charts().size(), 0};
  std::string content;
  if (format == ReportFormat::kHtml) {
    content = reports::RenderHtml(document, reports::LoadWebRuntime());
  } else {
    content = reports::RenderMarkdown(document, written.specs_dir.filename().string());
  }
  for (const auto& section : document.sections) {
    for (const auto& block : section.blocks) written.tables += std::holds_alternative<reports::Table>(block);
  }
  // Specs of an earlier report with other charts would mislead a notebook that globs the folder.
  std::error_code ec;
  if (fs::is_directory(written.specs_dir, ec)) {
    for (const auto& entry : fs::directory_iterator(written.specs_dir)) {
      const std::string name = entry.path().filename().string();
      if (name.size() > 8 && name.ends_with(".vl.json")) fs::remove(entry.path(), ec);
    }
  }
  for (const reports::Chart* chart : document.Charts()) {
    WriteFileAtomically(written.specs_dir / (chart->id + ".vl.json"), chart->spec.dump(2) + "\n");
  }
  WriteFileAtomically(path, content);
  written.bytes = content.size();
  return written;
}

std::vector<ReportFile> ReportFilesIn(const fs::path& out_dir) {
  return {{ReportFormat::kHtml, out_dir / "report.html"}, {ReportFormat::kMarkdown, out_dir / "report.md"}};
}

ReportStageResult ReportStage(store::Database& db, long plan_id, std::optional<long> simulation_id,
                              const fs::path& data_dir, const std::vector<ReportFile>& files) {
  const reports::Document document = reports::BuildReport(GatherReportInputs(db, plan_id, simulation_id, data_dir));
  ReportStageResult result;
  for (const ReportFile& file : files) result.written.push_back(WriteReport(document, file.format, file.path));
  return result;
}

}  // namespace thinkplan::pipeline
