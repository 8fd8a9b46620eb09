// The capacity-planning report of a stored plan (docs/design.md section 4, `thinkplan report`): the question and the
// answer first, then per-class scaling curves, the cost-accuracy frontier, the routing table with the request
// parameters the policy sends, capacity and simulated latency against the SLOs, training versus thinking, and
// the provenance of every figure. Input is what the store holds, as JSON (the plan as PlanResult::ToJson wrote
// it, the workload, the policy, an optional simulation and exchange summary) plus curve samples the caller
// evaluated from the fits; this library reads no database and links no planner.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reports/document.h"

namespace thinkplan::reports {

// A fitted curve evaluated on a grid, with its pointwise confidence band.
struct CurveSample {
  double x = 0;  // thinking tokens (sequential) or samples N (parallel)
  double accuracy = 0;
  double lower = 0;
  double upper = 0;
};

// A measured or published point the curve was fitted to.
struct ObservedPoint {
  double x = 0;
  double accuracy = 0;
  long n_problems = 0;  // drawn as the point's size: 30 AIME problems are less sure than 10,000 samples
  std::string source;   // measured | published | simulated
  std::string label;    // benchmark or run key, for the tooltip
};

struct FitInfo {
  std::string form;    // sigmoid | log-linear | beta | ...
  std::string axis;    // tokens-used | budget (sequential)
  std::string status;  // ok | fallback | insufficient-data | not-converged
  std::string reason;
  long n_points = 0;
  double deviance = 0;
  double aic = 0;
};

// One system's curve in one workload class and bucket.
struct CurveSeries {
  std::string workload_class;  // the workload's class name (e.g. "competition")
  std::string bucket;          // the routed bucket ("" or the class's only bucket)
  std::string system;          // the workload's system name
  std::string measure;         // parallel: pass@k | cons@k | best@k; sequential: "accuracy"
  FitInfo fit;
  std::vector<CurveSample> curve;
  std::vector<ObservedPoint> observed;
};

// Stored runs grouped by where they came from.
struct ProvenanceRow {
  std::string source;  // measured | published | simulated
  std::string system;
  std::string task_class;
  std::string benchmark;
  std::string citation;
  long runs = 0;
  long problems = 0;
};

struct ReportInputs {
  long plan_id = 0;
  std::string created_at;
  nlohmann::json plan;      // PlanResult::ToJson
  nlohmann::json workload;  // the workload as planned
  nlohmann::json policy;    // the serving policy of the plan (routes with request parameters)
  // What-if plans: the plan they were derived from (null when none).
  std::optional<long> base_plan_id;
  nlohmann::json base_plan;
  // The fleet simulation of this plan (null when none); fields may be missing (docs/reports.md).
  std::optional<long> simulation_id;
  nlohmann::json simulation;
  // The newest verification of this plan by `plan --verify` or the demo (pipeline/verify_stage.h
  // Verification::ToJson, with "round"); null when the plan was never verified.
  nlohmann::json verification;
  // The stored sweeps of this plan (pipeline/sweep_stage.h SweepSummary::ToJson, with "id"), newest first.
  std::vector<nlohmann::json> sweeps;
  // ExchangeSummary::ToJson of the stored training fits (null when none).
  nlohmann::json exchange;
  std::vector<CurveSeries> sequential;
  std::vector<CurveSeries> parallel;
  std::vector<ProvenanceRow> provenance;
};

struct ReportOptions {
  // Curves drawn per chart (one colour each); more would defeat an 8-colour colour-blind-safe palette.
  // Default 8. The chosen systems always come first.
  std::size_t max_series_per_chart = 8;
  // A chart point is called an extrapolation when it lies beyond this factor of the observed token range.
  // Default 1.25.
  double extrapolation_factor = 1.25;
  bool IsValid(std::string* error) const;
};

// Builds the document: every section, table and chart spec. Throws InputError when the plan JSON lacks the
// fields every plan has (allocation, classes).
Document BuildReport(const ReportInputs& inputs, const ReportOptions& options = {});

// The chart runtime inlined into the HTML: the minified vega, vega-lite and vega-embed builds.
struct WebRuntime {
  std::string vega;
  std::string vega_lite;
  std::string vega_embed;
  std::string versions;  // "vega 6.4.0, vega-lite 6.5.0, vega-embed 7.3.0"
};

// Looks for the three builds in $THINKPLAN_REPORT_WEB (a node_modules folder), then beside the executable
// (report_web/node_modules), then in the source tree's reports/web/node_modules. Throws InputError naming the
// places searched and how to install them (scripts/install-web-deps.sh) when none has all three.
WebRuntime LoadWebRuntime();

// One HTML file that opens offline: styles, data, specs and the chart runtime inlined.
std::string RenderHtml(const Document& document, const WebRuntime& runtime);
// Markdown for wikis and pull requests: the same tables; each chart as a link to its spec file under
// `specs_dir` (relative to the Markdown file).
std::string RenderMarkdown(const Document& document, const std::string& specs_dir);

}  // namespace thinkplan::reports
