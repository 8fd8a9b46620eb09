// Serving options per task class and difficulty bucket (docs/design.md 3.6): system x mode x thinking budget x samples
// x aggregation, each with its expected accuracy and interval (from the fitted curves, or from a stored run where
// no curve exists), tokens, cost per query and p95 latency. The composition rules are in docs/planner.md.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/cost_model.h"
#include "core/curve_set.h"
#include "core/fleet_model.h"
#include "core/model_shape.h"
#include "core/run.h"
#include "core/statistics.h"
#include "core/system_api.h"
#include "planner/workload.h"

namespace thinkplan::planner {

// What the cost side needs besides the workload: prices, shapes, cards and fitted serving efficiencies.
struct Catalogues {
  std::vector<SystemInfo> systems;
  std::vector<HardwareInfo> hardware;
  ModelCatalogue models;
  // Every dated list price (store table system_prices), by which a run's measured cost is checked against the
  // prices in force (a cost paid at prices since cut is not planned on). Empty: no history (Load leaves it empty).
  std::vector<SystemPrice> prices;
  // The stored serving-rate fits (store::LoadServingEfficiencies); empty: default efficiencies. Load leaves it empty.
  std::vector<FittedEfficiency> efficiencies;
  // The API catalogue (store table system_apis): a setting a system's API refuses is not offered. Empty: settings
  // are not checked (Load does not read it; the plan stage takes it from the store).
  std::vector<SystemApi> apis;
  // data/published/{systems,hardware}.csv and data/models/models.csv.
  static Catalogues Load(const std::filesystem::path& data_dir);
  const SystemInfo* FindSystem(const std::string& name) const;
  const HardwareInfo* FindHardware(const std::string& name) const;  // exact, else the one name containing it
  // The API catalogue row of a workload system: its catalogue row, self-hosted model, name, default curves.
  const SystemApi* FindApi(const SystemSpec& system) const;
};

// What is configured: identical across the buckets of a class, so that one setting can be scored on each.
struct Setting {
  std::string system;
  Mode mode = Mode::kExtended;
  std::optional<double> budget;  // thinking-token cap; empty: the system's default (no cap)
  std::string effort;            // vendor effort level of a stored run ("low", "high", ...)
  long samples = 1;
  Aggregation aggregation;
  bool from_curve = true;  // false: a stored run's figure (Wilson interval)

  std::string Key() const;
  std::string Describe() const;  // "o3-mini extended b=4096 cons@8"
};

// The per-problem difficulty distribution an option's accuracy was computed with, carried in the plan so that the
// simulator draws each query's correctness from it (docs/simulator.md). The distribution is the one the fit chose
// for the option's curve key (ChosenDifficulty: the Beta, or the logit-normal where it won on held-out
// likelihood) with its spread kept (the Beta's a + b, the logit-normal's sigma) and its mean moved to the setting's
// single-sample accuracy (a curve's prediction at that budget, or a run's measurement); for a stored run measured
// at k samples the mean is the one whose k-sample accuracy under that spread is the measured figure. Either way the
// distribution's aggregated accuracy is the option's planned accuracy.
// Majority-vote wrong-answer concentration where none is fitted: the stated prior of core/difficulty.h
// (kAssumedRho), in the plan and in the simulator alike.
inline constexpr double kDefaultRho = kAssumedRho.rho;

struct PlannedDifficulty {
  // The family and its parameters at the option's mean: a, b for the Beta; mu, sigma for the logit-normal.
  DifficultyFamily family = DifficultyFamily::kBeta;
  double a = 1;
  double b = 1;
  double mu = 0;
  double sigma = 1;
  std::optional<double> rho;  // the majority-vote concentration; empty: kDefaultRho stands in
  bool rho_assumed = false;   // rho is the stated prior kAssumedRho, not a fit
  // The distribution these fields describe.
  DifficultyDistribution Distribution() const;
  // Where it came from: the fit's key, its problems, concentration and status; the aggregation of a run measured
  // at k samples whose figure set the mean (empty: the mean is the setting's single-sample accuracy).
  std::string fit_key;
  long fit_problems = 0;
  double fit_concentration = 0;
  FitStatus fit_status = FitStatus::kOk;
  std::optional<Aggregation> solved_at;
  // One line for the plan's JSON (formatted there, not for every scored option).
  std::string Source() const;
};

// A setting scored on one true bucket.
struct Figures {
  double accuracy = 0;
  Interval interval;
  double thinking_tokens = 0;      // mean per sample
  double thinking_tokens_p95 = 0;  // per sample
  double cost_usd = 0;             // per query: all samples, prompt, verifier
  double verifier_usd = 0;         // part of cost_usd
  double latency_p95_s = 0;
  double latency_p50_s = 0;        // a stored run's measured median where it has one, else the model's
  // API: the USD per prompt token (the class's cached-input share applied) and per output token the option is
  // charged, which the simulator charges as well; scaled to a stored run's measured cost where that is used.
  // 0 for self-hosted systems (their fleet's bill prices them).
  double usd_per_input_token = 0;
  double usd_per_output_token = 0;
  bool cost_measured = false;      // cost_usd is the stored runs' measured cost per sample x samples (+ verifier)
  std::string source;              // uncertainty group: the curve key or the run keys it comes from
  bool tokens_assumed = false;     // thinking tokens from the workload's assumption, not a measurement
  // Prompt tokens per query and answer tokens per sample that cost and latency were computed with: a stored
  // run's measurement where it has one, else the class's figure (and the *_measured flag is false).
  double prompt_tokens = 0;
  double answer_tokens = 0;
  bool prompt_measured = false;
  bool answer_measured = false;
  // Empty where no per-problem fit covers the setting's key (the simulator then states its default spread).
  std::optional<PlannedDifficulty> difficulty;
};

struct Candidate {
  Setting setting;
  std::vector<std::optional<Figures>> per_bucket;  // index: the class's bucket; empty where not scorable
};

struct OptionsConfig {
  // Samples grid for parallel options.
  std::vector<long> samples = {1, 2, 4, 8, 16, 32, 64};
  // Budget grid: powers of two from the system's min to max thinking tokens.
  double level = 0.95;  // intervals
  // A proxy bucket's transfer spread sigma_T on the logit scale (ProxyTransferSpread). nullopt (default): as
  // measured from the stored runs; 0 takes the transfer error out (the band is the proxy's own).
  std::optional<double> proxy_sigma_logit;
  // Sweep draws (pipeline/sweep_stage.cpp): one standard normal z per bucket of the class. A proxy bucket's
  // single-sample accuracies (and their band) then move by z x sigma_T on the logit scale: the draw carries the
  // transfer error that the plan's interval only widens for. Empty (default, the plan): no shift.
  std::vector<double> proxy_transfer_z;
  bool IsValid(std::string* error) const;
};

// A system listed for a class with nothing to score on some of its buckets: the curve keys without a fitted curve
// or a stored run.
struct MissingCurves {
  std::string system;
  std::vector<std::string> keys;
};

// Every candidate setting of one class with its figures on each true bucket, before SLO filtering and routing.
// `notes` collects what was skipped and why (no price, no tokens, no curve), each text once. With `missing`, the
// systems without curves go there instead of into `notes`, so that a plan of many classes can say it once for
// all the classes alike (a note per class and system would dominate a 100,000-class plan).
std::vector<Candidate> GenerateCandidates(const Workload& workload, const TaskClassSpec& task_class,
                                          const CurveSet& curves, const std::vector<Run>& runs,
                                          const Catalogues& catalogues, const OptionsConfig& config,
                                          std::vector<std::string>* notes,
                                          std::vector<MissingCurves>* missing = nullptr);

// What one query reads and answers besides its thinking: a stored run's measured input and answer tokens, or
// the class's prompt_tokens and answer_tokens (ClassTokens).
struct QueryTokens {
  double prompt_tokens = 0;  // per query
  double answer_tokens = 0;  // per sample
};
QueryTokens ClassTokens(const TaskClassSpec& task_class);

// Cost and latency of serving one query on a system: `samples` samples of `thinking` (+ the answer tokens) each;
// p95 latency from the p95 thinking length. `tokens`: the query's prompt and answer; default the class's.
struct ServingCost {
  double usd = 0;
  double latency_p95_s = 0;
  double latency_p50_s = 0;
  double usd_per_input_token = 0;   // API: list prices, the class's cached-input share applied
  double usd_per_output_token = 0;  // API
  double device_seconds = 0;   // self-hosted: device time one query occupies
  double kv_bytes = 0;         // self-hosted: KV cache of one sample at its sizing (p95) final context
  long batch = 0;              // self-hosted: concurrent sequences per replica
  bool feasible = true;
  std::string reason;
};
// Self-hosted: the replica at the largest batch whose service keeps the class's SLO (core/fleet_model.h), priced
// at a first guess of the provisioned fleet's cost that MakePlan then replaces by the fleet's own.
struct ReplicaModel;
// `replica`: the system's replica when the caller has built it (ReplicaModelOf); nullptr builds it here.
ServingCost CostOfServing(const SystemSpec& system, const TaskClassSpec& task_class, const Catalogues& catalogues,
                          double thinking_mean, double thinking_p95, long samples,
                          const ReplicaModel* replica = nullptr, std::optional<QueryTokens> tokens = std::nullopt);

// The peak utilisation the first guess of a self-hosted price assumes (PlanOptions::peak_utilisation's default).
inline constexpr double kInitialPeakUtilisation = 0.9;

// One replica of a self-hosted system: its cost model and the hourly price of one device.
struct ReplicaModel {
  CostModel model;
  double usd_per_device_hour = 0;
};
// nullopt, with the reason, when the model, the card or a price is missing from the catalogues.
std::optional<ReplicaModel> ReplicaModelOf(const SystemSpec& system, const Catalogues& catalogues, std::string* reason);

// How far one benchmark stands in for another (docs/planner.md "Proxy buckets"): the pooled standard deviation, on
// the logit scale, of the difference between a system setting's pass@1 accuracy on another measured class and on
// the proxy's stored class, around each class pair's mean difference (the offset between two benchmarks is not
// the question; how much a system's standing moves between them is). Class pairs with at least
// kProxyMinSettings common settings count. The residuals carry both benchmarks' sampling noise too, so the
// figure errs wide. Below kProxyMinDof degrees of freedom, kProxyFallbackSigmaLogit stands (`measured` false).
struct ProxyTransfer {
  double sigma_logit = 0;
  long class_pairs = 0;  // other classes compared with the proxy's
  long dof = 0;          // degrees of freedom behind sigma_logit
  bool measured = false;
  // Set by the options (OptionsConfig::proxy_sigma_logit, `sweep --proxy-spread`) over what the runs give;
  // `from_runs` keeps that figure (measured, or the default where `measured` is false) for the note.
  bool overridden = false;
  double from_runs = 0;
};
inline constexpr long kProxyMinSettings = 5;
inline constexpr long kProxyMinDof = 10;
// The pooled spread of GPQA-Diamond (science-qa) against the 14 other stored classes with five or more common
// settings in the shipped runs: 0.6396 on the logit scale, 166 degrees of freedom (docs/planner.md), rounded up.
inline constexpr double kProxyFallbackSigmaLogit = 0.65;
ProxyTransfer ProxyTransferSpread(const std::vector<Run>& runs, const std::string& task_class,
                                  const std::string& difficulty);
// A proxy's interval: on the logit scale each half-width grows to sqrt(half^2 + (z sigma)^2), z the two-sided
// normal quantile of `level`; the point estimate stays.
Interval WidenForProxy(double accuracy, const Interval& band, double sigma_logit, double level);
// `p` moved by `shift` on the logit scale (p clamped to [1e-9, 1 - 1e-9] first): one draw of a proxy's transfer
// error. A zero shift returns p as it is.
double ShiftLogit(double p, double shift);

// A Beta with the difficulty spread of `shape` (its a + b) and mean `mean`: how a stored difficulty distribution is
// carried to another thinking budget (docs/planner.md). DifficultyDistribution::WithMean does the same for either
// family.
BetaDifficulty RescaleBeta(const BetaDifficulty& shape, double mean);
// Accuracy of `aggregation` over k samples when single-sample accuracy is `mean`, under `shape` moved to that mean
// (either family; a BetaDifficulty converts).
double ParallelAccuracy(const DifficultyDistribution& shape, double mean, const Aggregation& aggregation,
                        double d_prime, double rho);
// The distribution with the spread of `shape` whose accuracy under `aggregation` is `accuracy` (bisection on the
// mean, which the aggregated accuracy rises with): how a figure measured at k samples is carried as a distribution.
DifficultyDistribution DistributionForAccuracy(const DifficultyDistribution& shape, double accuracy,
                                               const Aggregation& aggregation, double d_prime, double rho);
// The same for a Beta shape, returning the Beta.
BetaDifficulty BetaForAccuracy(const BetaDifficulty& shape, double accuracy, const Aggregation& aggregation,
                               double d_prime, double rho);

}  // namespace thinkplan::planner
