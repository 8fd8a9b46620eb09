// Which curves the stored data support, and fitting each: the work behind `thinkplan fit`. Grouping runs and
// per-problem results into jobs happens here; reading and writing the store is the caller's.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/curve_set.h"
#include "core/run.h"
#include "fitting/fit_options.h"
#include "fitting/training_fit.h"

namespace thinkplan::fitting {

// kDifficultyFamily: the logit-normal beside the parallel job's Beta on the same per-problem data, and which of the
// two held-out likelihood chose (fitting/difficulty_family.h); planned wherever per-problem results exist.
enum class FitKind { kSequential, kTokens, kParallel, kRho, kCoverage, kTraining, kBudgetTarget, kDifficultyFamily };
std::string_view ToString(FitKind kind);
// sequential|tokens|parallel|rho|coverage|training|budget-target|difficulty-family
std::optional<FitKind> ParseFitKind(std::string_view text);

// A system's place in a model family: what its pre-training cost (data/models/families.csv).
struct FamilyMember {
  std::string system;
  std::string family;
  double params_b = 0;
  double pretrain_tokens_t = 0;
  double TrainFlops() const { return 6.0 * params_b * 1e9 * pretrain_tokens_t * 1e12; }
};
// Reads system,family,params_b,pretrain_tokens_t,source; throws InputError naming file, line and field.
std::vector<FamilyMember> LoadFamilies(const std::filesystem::path& csv_path);

struct FitInputs {
  std::vector<Run> runs;
  std::map<std::string, std::vector<ProblemResult>> problems;  // by run_key
  std::vector<FamilyMember> families;
  // compute_knob of each catalogued system (systems.csv): systems whose budget is a target (SemanticsOfKnob) get a
  // budget-target fit of the tokens they use. A system missing here is read as a hard cap.
  std::map<std::string, std::string> compute_knobs;
};

struct FitJobFilter {
  std::optional<std::string> system;  // for training jobs: matches the family or any member system
  std::optional<std::string> task_class;
  std::optional<FitKind> kind;
};

// One curve to fit and exactly the rows it reads.
struct FitJob {
  FitKind kind = FitKind::kSequential;
  CurveKey key;  // training: system = family
  std::vector<Run> runs;
  std::vector<ProblemResult> problems;
  std::string setting;  // parallel / coverage: the effort or budget whose per-problem results were used
  // Assumptions the job made about its rows, carried into the fit's notes (a fit resting on one is a fallback):
  // sequential runs with an effort level but no tokens placed at the tokens of the same system's runs at that
  // effort (EffortTokenMap).
  std::vector<std::string> assumptions;
  std::vector<TrainingPoint> training_points;
  TestTimeAxis training_axis = TestTimeAxis::kSamples;

  // Canonical text of everything the fit reads (rows, setting, the fitting code's version): equal fingerprints
  // give equal fits, so a stored fit with the same fingerprint hash needs no refit.
  std::string Fingerprint(const Options& options) const;
};

// A curve the stored data of a key do not support, and why: what `thinkplan fit` lists instead of fitting it.
struct SkippedSlice {
  FitKind kind = FitKind::kSequential;
  CurveKey key;
  std::string category;  // a short cause shared by many slices, for the count summary
  std::string detail;    // the cause for this key, with the runs' own figures
};

// Thinking tokens of a system's effort levels, read from its own runs that report both (docs/formulas.md
// section 2): the problem-weighted mean of mean_output_tokens per (system, task class, effort), and per (system,
// effort) over every class.
struct EffortTokens {
  double tokens = 0;
  std::string source;  // "o3-mini's effort 'high' runs on math-competition (AIME-2025-I)"
  bool same_class = true;
};
class EffortTokenMap {
 public:
  explicit EffortTokenMap(const std::vector<Run>& runs);
  // The class's own figure when there is one, else the system's over other classes; nullopt when neither.
  std::optional<EffortTokens> Find(const std::string& system, const std::string& task_class,
                                   const std::string& effort) const;

 private:
  struct Sum {
    double weight = 0, tokens = 0;
    std::set<std::string> classes, benchmarks;
  };
  std::map<std::tuple<std::string, std::string, std::string>, Sum> by_class_;  // (system, class, effort)
  std::map<std::pair<std::string, std::string>, Sum> by_system_;              // (system, effort)
};

// Every job the data support, in dependency order (parallel before rho, since rho needs the Beta's spread).
// With `skipped`, every (kind, key) the filter asks for but the data cannot support is listed there with its reason.
std::vector<FitJob> PlanFitJobs(const FitInputs& inputs, const FitJobFilter& filter,
                                std::vector<SkippedSlice>* skipped = nullptr);

struct FitOutcome {
  FitKind kind = FitKind::kSequential;
  CurveKey key;
  std::string form;
  std::string axis;
  std::vector<double> params;
  std::vector<double> covariance;
  FitQuality quality;
  Summary summary;
};

// Fits one job. `difficulty` is the difficulty distribution of the same key, needed by rho jobs (nullptr:
// insufficient data): the family the difficulty-family fit chose (as core ChosenDifficulty reads it), else the
// parallel fit's Beta.
FitOutcome RunFitJob(const FitJob& job, const Options& options, const DifficultyDistribution* difficulty = nullptr);

}  // namespace thinkplan::fitting
