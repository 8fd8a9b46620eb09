// Vega-Lite specs of the report's charts, written with nlohmann-json. One shared config (Okabe-Ito palette, which
// stays distinguishable under the common colour-vision deficiencies; fonts; sizes) so that every chart reads alike.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reports/report.h"

namespace thinkplan::reports {

// The Okabe-Ito palette, in the order series are coloured.
const std::vector<std::string>& Palette();

// The chosen operating point of a system on a scaling chart.
struct OperatingPoint {
  std::string system;
  double x = 0;
  double accuracy = 0;
  std::string label;  // "o3-mini extended, 100% of traffic"
};

// Accuracy against x (log axis): per series the band, the curve and the observed points sized by sample count;
// the chosen operating points as large outlined diamonds.
nlohmann::json ScalingSpec(const std::vector<const CurveSeries*>& series, const std::vector<OperatingPoint>& chosen,
                           const std::string& x_title, bool log2_axis);

struct FrontierLine {
  std::string label;  // "this plan", "base plan 3"
  std::vector<std::pair<double, double>> points;  // (usd per month, accuracy)
  double plan_usd = 0;
  double plan_accuracy = 0;
};
nlohmann::json FrontierSpec(const std::vector<FrontierLine>& lines);

// Horizontal bars, one per label; `value_title` names the unit.
nlohmann::json BarSpec(const std::vector<std::pair<std::string, double>>& bars, const std::string& value_title,
                       const std::string& colour_field_title, const std::vector<std::string>& colour_of_bar);

// (x, y, series) points joined per series on a log x axis; y as a fraction shown in percent when `percent`.
struct XyPoint {
  std::string series;
  double x = 0;
  double y = 0;
};
nlohmann::json LineSpec(const std::vector<XyPoint>& points, const std::string& x_title, const std::string& y_title,
                        bool percent, bool step);

// Latency histograms per class (log x axis) with the class's p95 SLO as a dashed rule.
struct SloRule {
  std::string series;
  double slo_s = 0;
};
nlohmann::json LatencySpec(const std::vector<XyPoint>& histogram, const std::vector<SloRule>& slos);

// A probability estimated over posterior draws, with its 95% interval: one row of a sweep's risk chart.
struct ProbabilityPoint {
  std::string scenario;  // colour: the sweep's grid point
  std::string measure;   // row: "budget", "all SLOs", "SLO chat", ...
  double value = 0, low = 0, high = 0;
  long trials = 0;
};
// Per measure, each scenario's probability as a dot and its interval as a rule, on a 0-100% axis.
nlohmann::json ProbabilitySpec(const std::vector<ProbabilityPoint>& points);

}  // namespace thinkplan::reports
