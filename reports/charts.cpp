#include "reports/charts.h"

#include <algorithm>
#include <set>

namespace thinkplan::reports {
namespace {

using nlohmann::json;

constexpr int kWidth = 600;
constexpr int kHeight = 300;

json BaseSpec(const std::string& description) {
  return {{"$schema", "https://vega.github.io/schema/vega-lite/v6.json"},
          {"description", description},
          {"width", kWidth},
          {"height", kHeight},
          {"config",
           {{"font", "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"},
            {"range", {{"category", Palette()}}},
            {"axis", {{"labelFontSize", 11}, {"titleFontSize", 12}, {"grid", true}, {"gridOpacity", 0.5}}},
            // symbolOpacity 1: a pale confidence band must not lend the legend its swatch.
            {"legend", {{"labelFontSize", 11}, {"titleFontSize", 12}, {"labelLimit", 260}, {"symbolOpacity", 1}}},
            {"view", {{"stroke", nullptr}}}}}};
}

json ColourScale(const std::vector<std::string>& domain) {
  std::vector<std::string> range;
  for (std::size_t i = 0; i < domain.size(); ++i) range.push_back(Palette()[i % Palette().size()]);
  return {{"domain", domain}, {"range", range}};
}

json Filter(const std::string& kind) { return {{"filter", {{"field", "kind"}, {"equal", kind}}}}; }

}  // namespace

const std::vector<std::string>& Palette() {
  // Okabe & Ito (2008), with black moved last; yellow is kept but drawn after the darker hues.
  static const std::vector<std::string> kPalette = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                                    "#CC79A7", "#56B4E9", "#F0E442", "#000000"};
  return kPalette;
}

json ScalingSpec(const std::vector<const CurveSeries*>& series, const std::vector<OperatingPoint>& chosen,
                 const std::string& x_title, bool log2_axis) {
  json values = json::array();
  std::vector<std::string> domain;
  auto name_of = [](const CurveSeries& s) { return s.measure == "accuracy" ? s.system : s.system + " " + s.measure; };
  for (const CurveSeries* s : series) {
    const std::string name = name_of(*s);
    if (std::find(domain.begin(), domain.end(), name) == domain.end()) domain.push_back(name);
    for (const CurveSample& c : s->curve) {
      if (c.x <= 0) continue;  // a log axis has no place for zero
      values.push_back({{"kind", "curve"}, {"series", name}, {"x", c.x}, {"accuracy", c.accuracy},
                        {"lower", c.lower}, {"upper", c.upper}});
    }
    for (const ObservedPoint& p : s->observed) {
      if (p.x <= 0) continue;
      values.push_back({{"kind", "observed"}, {"series", name}, {"x", p.x}, {"accuracy", p.accuracy},
                        {"problems", p.n_problems}, {"source", p.source}, {"label", p.label}});
    }
  }
  for (const OperatingPoint& o : chosen) {
    if (o.x <= 0) continue;
    std::string name = o.system;
    for (const CurveSeries* s : series) {
      if (s->system == o.system) { name = name_of(*s); break; }
    }
    if (std::find(domain.begin(), domain.end(), name) == domain.end()) domain.push_back(name);
    values.push_back({{"kind", "chosen"}, {"series", name}, {"x", o.x}, {"accuracy", o.accuracy}, {"label", o.label}});
  }
  const json x = {{"field", "x"}, {"type", "quantitative"}, {"title", x_title},
                  // nice=false: a log axis rounded out to the next power would leave half the chart empty.
                  {"scale", log2_axis ? json{{"type", "log"}, {"base", 2}, {"nice", false}}
                                      : json{{"type", "log"}, {"nice", false}}},
                  {"axis", {{"format", log2_axis ? "d" : "~s"}}}};
  const json y = {{"field", "accuracy"}, {"type", "quantitative"}, {"title", "accuracy"},
                  {"scale", {{"domain", {0, 1}}}}, {"axis", {{"format", ".0%"}}}};
  const json colour = {{"field", "series"}, {"type", "nominal"}, {"title", "system"}, {"scale", ColourScale(domain)}};
  json spec = BaseSpec("Accuracy against " + x_title + " with 95% bands, observed points and the chosen option");
  spec["data"] = {{"values", values}};
  json layers = json::array();
  // Layers over no rows would give Vega empty extents (and console warnings); add them only when they have data.
  auto has = [&](const char* kind) {
    return std::any_of(values.begin(), values.end(), [&](const json& v) { return v["kind"] == kind; });
  };
  if (has("curve")) {
    layers.push_back({{"transform", {Filter("curve")}},
                      {"mark", {{"type", "area"}, {"opacity", 0.12}}},
                      {"encoding", {{"x", x}, {"y", {{"field", "lower"}, {"type", "quantitative"}, {"title", "accuracy"}}},
                                    {"y2", {{"field", "upper"}}}, {"color", colour}}}});
    layers.push_back({{"transform", {Filter("curve")}},
                      {"mark", {{"type", "line"}, {"strokeWidth", 2}}},
                      {"encoding", {{"x", x}, {"y", y}, {"color", colour}}}});
  }
  if (has("observed")) {
    layers.push_back(
      {{"transform", {Filter("observed")}},
       {"mark", {{"type", "point"}, {"filled", true}, {"opacity", 0.8}, {"stroke", "white"}, {"strokeWidth", 0.5}}},
       {"encoding",
        {{"x", x}, {"y", y}, {"color", colour},
         {"size", {{"field", "problems"}, {"type", "quantitative"}, {"title", "problems"},
                   {"scale", {{"type", "sqrt"}, {"zero", false}, {"range", {25, 400}}}},
                   {"legend", {{"format", ",d"}}}}},
         {"tooltip", json::array({{{"field", "series"}, {"title", "system"}},
                                  {{"field", "x"}, {"format", ",.0f"}, {"title", x_title}},
                                  {{"field", "accuracy"}, {"format", ".1%"}},
                                  {{"field", "problems"}},
                                  {{"field", "source"}},
                                  {{"field", "label"}, {"title", "run"}}})}}}});
  }
  if (has("chosen")) {
    layers.push_back(
      {{"transform", {Filter("chosen")}},
       {"mark", {{"type", "point"}, {"shape", "diamond"}, {"size", 260}, {"filled", true}, {"stroke", "black"},
                 {"strokeWidth", 1.5}}},
       {"encoding", {{"x", x}, {"y", y}, {"color", colour},
                     {"tooltip", json::array({{{"field", "label"}, {"title", "chosen"}},
                                              {{"field", "accuracy"}, {"format", ".1%"}}})}}}});
  }
  spec["layer"] = std::move(layers);
  return spec;
}

json FrontierSpec(const std::vector<FrontierLine>& lines) {
  json values = json::array();
  std::vector<std::string> domain;
  for (const FrontierLine& line : lines) {
    domain.push_back(line.label);
    for (const auto& [usd, accuracy] : line.points) {
      values.push_back({{"kind", "frontier"}, {"plan", line.label}, {"usd", usd}, {"accuracy", accuracy}});
    }
    values.push_back({{"kind", "chosen"}, {"plan", line.label}, {"usd", line.plan_usd}, {"accuracy", line.plan_accuracy}});
  }
  // Log spend: the frontier's steep cheap end and its flat expensive end both stay readable.
  const json x = {{"field", "usd"}, {"type", "quantitative"}, {"title", "inference spend (USD per month, log scale)"},
                  {"scale", {{"type", "log"}, {"nice", false}}}, {"axis", {{"format", "$~s"}}}};
  const json y = {{"field", "accuracy"}, {"type", "quantitative"}, {"title", "value-weighted accuracy"},
                  {"scale", {{"zero", false}}}, {"axis", {{"format", ".0%"}}}};
  const json colour = {{"field", "plan"}, {"type", "nominal"}, {"title", "plan"}, {"scale", ColourScale(domain)}};
  json spec = BaseSpec("Cost-accuracy frontier with the plan marked");
  spec["data"] = {{"values", values}};
  spec["layer"] = json::array({
      {{"transform", {Filter("frontier")}},
       {"mark", {{"type", "line"}, {"point", true}, {"strokeWidth", 2}}},
       {"encoding", {{"x", x}, {"y", y}, {"color", colour},
                     {"tooltip", json::array({{{"field", "usd"}, {"format", "$,.0f"}, {"title", "USD/month"}},
                                              {{"field", "accuracy"}, {"format", ".1%"}}})}}}},
      {{"transform", {Filter("chosen")}},
       {"mark", {{"type", "point"}, {"shape", "diamond"}, {"size", 300}, {"filled", true}, {"stroke", "black"},
                 {"strokeWidth", 1.5}}},
       {"encoding", {{"x", x}, {"y", y}, {"color", colour},
                     {"tooltip", json::array({{{"field", "plan"}},
                                              {{"field", "usd"}, {"format", "$,.0f"}, {"title", "USD/month"}},
                                              {{"field", "accuracy"}, {"format", ".1%"}}})}}}},
  });
  return spec;
}

json BarSpec(const std::vector<std::pair<std::string, double>>& bars, const std::string& value_title,
             const std::string& colour_field_title, const std::vector<std::string>& colour_of_bar) {
  json values = json::array();
  std::vector<std::string> domain;
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const std::string colour = i < colour_of_bar.size() ? colour_of_bar[i] : "";
    if (std::find(domain.begin(), domain.end(), colour) == domain.end()) domain.push_back(colour);
    values.push_back({{"label", bars[i].first}, {"value", bars[i].second}, {"group", colour}});
  }
  json spec = BaseSpec(value_title + " per " + colour_field_title);
  spec["height"] = std::max<std::size_t>(60, 28 * bars.size());
  spec["data"] = {{"values", values}};
  spec["mark"] = {{"type", "bar"}, {"tooltip", true}};
  spec["encoding"] = {
      {"y", {{"field", "label"}, {"type", "nominal"}, {"title", nullptr}, {"sort", "-x"}, {"axis", {{"labelLimit", 280}}}}},
      {"x", {{"field", "value"}, {"type", "quantitative"}, {"title", value_title},
             {"axis", {{"tickMinStep", 1}, {"format", "d"}}}}},
      {"color", {{"field", "group"}, {"type", "nominal"}, {"title", colour_field_title}, {"scale", ColourScale(domain)}}}};
  return spec;
}

json LineSpec(const std::vector<XyPoint>& points, const std::string& x_title, const std::string& y_title, bool percent,
              bool step) {
  json values = json::array();
  std::vector<std::string> domain;
  for (const XyPoint& p : points) {
    if (std::find(domain.begin(), domain.end(), p.series) == domain.end()) domain.push_back(p.series);
    values.push_back({{"series", p.series}, {"x", p.x}, {"y", p.y}});
  }
  json spec = BaseSpec(y_title + " against " + x_title);
  spec["data"] = {{"values", values}};
  spec["mark"] = {{"type", "line"}, {"point", true}, {"tooltip", true}, {"interpolate", step ? "step-after" : "linear"}};
  spec["encoding"] = {
      {"x", {{"field", "x"}, {"type", "quantitative"}, {"title", x_title}, {"scale", {{"type", "log"}}}}},
      {"y", {{"field", "y"}, {"type", "quantitative"}, {"title", y_title},
             {"axis", percent ? json{{"format", ".0%"}} : json::object()}}},
      {"color", {{"field", "series"}, {"type", "nominal"}, {"title", nullptr}, {"scale", ColourScale(domain)}}}};
  return spec;
}

json LatencySpec(const std::vector<XyPoint>& histogram, const std::vector<SloRule>& slos) {
  json values = json::array();
  std::vector<std::string> domain;
  auto add_domain = [&](const std::string& s) {
    if (std::find(domain.begin(), domain.end(), s) == domain.end()) domain.push_back(s);
  };
  for (const XyPoint& p : histogram) {
    add_domain(p.series);
    values.push_back({{"kind", "bin"}, {"series", p.series}, {"x", p.x}, {"y", p.y}});
  }
  for (const SloRule& r : slos) {
    add_domain(r.series);
    values.push_back({{"kind", "slo"}, {"series", r.series}, {"x", r.slo_s}});
  }
  const json x = {{"field", "x"}, {"type", "quantitative"}, {"title", "end-to-end latency (s, log scale)"},
                  {"scale", {{"type", "log"}}}};
  const json colour = {{"field", "series"}, {"type", "nominal"}, {"title", "class"}, {"scale", ColourScale(domain)}};
  json spec = BaseSpec("Simulated latency distribution per class against its p95 SLO (dashed)");
  spec["data"] = {{"values", values}};
  spec["layer"] = json::array({
      {{"transform", {Filter("bin")}},
       {"mark", {{"type", "line"}, {"interpolate", "step-before"}, {"point", true}, {"tooltip", true}}},
       {"encoding", {{"x", x}, {"y", {{"field", "y"}, {"type", "quantitative"}, {"title", "share of the class's queries"},
                                      {"axis", {{"format", ".0%"}}}}},
                     {"color", colour}}}},
      {{"transform", {Filter("slo")}},
       {"mark", {{"type", "rule"}, {"strokeDash", {6, 4}}, {"strokeWidth", 2}, {"tooltip", true}}},
       {"encoding", {{"x", x}, {"color", colour}}}},
  });
  return spec;
}

json ProbabilitySpec(const std::vector<ProbabilityPoint>& points) {
  json values = json::array();
  std::vector<std::string> scenarios, measures;
  for (const ProbabilityPoint& p : points) {
    if (std::find(scenarios.begin(), scenarios.end(), p.scenario) == scenarios.end()) scenarios.push_back(p.scenario);
    if (std::find(measures.begin(), measures.end(), p.measure) == measures.end()) measures.push_back(p.measure);
    values.push_back({{"scenario", p.scenario}, {"measure", p.measure}, {"value", p.value}, {"low", p.low},
                      {"high", p.high}, {"draws", p.trials}});
  }
  json spec = BaseSpec("Probability over posterior draws that the plan meets each SLO and its budget, with 95% intervals");
  spec["height"] = std::max<std::size_t>(80, 22 * measures.size() * std::max<std::size_t>(1, scenarios.size()));
  spec["data"] = {{"values", values}};
  const json y = {{"field", "measure"}, {"type", "nominal"}, {"title", nullptr}, {"sort", measures},
                  {"axis", {{"labelLimit", 280}}}};
  const json y_offset = {{"field", "scenario"}, {"type", "nominal"}, {"sort", scenarios}};
  const json colour = {{"field", "scenario"}, {"type", "nominal"}, {"title", "scenario"}, {"scale", ColourScale(scenarios)}};
  const json x = {{"field", "value"}, {"type", "quantitative"}, {"title", "probability over posterior draws (95% interval)"},
                  {"scale", {{"domain", {0, 1}}}}, {"axis", {{"format", ".0%"}}}};
  json rule_x = x;
  rule_x["field"] = "low";
  json rule = {{"mark", {{"type", "rule"}, {"strokeWidth", 2}}}};
  rule["encoding"] = {{"y", y}, {"yOffset", y_offset}, {"color", colour}, {"x", rule_x}, {"x2", {{"field", "high"}}}};
  json dot = {{"mark", {{"type", "point"}, {"filled", true}, {"size", 60}, {"tooltip", true}}}};
  dot["encoding"] = {{"y", y}, {"yOffset", y_offset}, {"color", colour}, {"x", x}};
  spec["layer"] = json::array({rule, dot});
  return spec;
}

}  // namespace thinkplan::reports
