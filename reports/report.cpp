// Builds the report document from the stored plan. Each section is one function, in the order a reader meets it.
#include "reports/report.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "core/errors.h"
#include "reports/charts.h"
#include "reports/format.h"

namespace thinkplan::reports {
namespace {

using nlohmann::json;

const json& Array(const json& object, const char* key) {
  static const json kEmpty = json::array();
  if (!object.is_object()) return kEmpty;
  const auto it = object.find(key);
  return it != object.end() && it->is_array() ? *it : kEmpty;
}

double Num(const json& object, const char* key, double fallback = 0) { return NumberAt(object, key).value_or(fallback); }

std::string IntervalText(const json& object, const char* key) {
  const auto interval = IntervalAt(object, key);
  return interval ? PercentInterval(interval->first, interval->second) : "n/a";
}

Cell Text(std::string text) { return {std::move(text), std::nullopt}; }
Cell Figure(std::string text, double key) { return {std::move(text), std::isfinite(key) ? std::optional(key) : std::nullopt}; }

// Chart file stems: lower-case letters, digits and dashes only, whatever the class is called.
std::string Slug(const std::string& text, std::size_t index) {
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) && c < 0x80) {
      out += static_cast<char>(std::tolower(c));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
    if (out.size() >= 32) break;
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return fmt::format("{}-{}", out.empty() ? "x" : out, index);
}

std::string ObjectivePhrase(const json& plan) {
  const std::string objective = StringAt(plan, "objective");
  if (objective == "min_cost") {
    const auto target = NumberAt(plan, "target_accuracy");
    return "reach " + (target ? Percent(*target) : std::string("the target")) + " accuracy at the least cost";
  }
  if (objective == "max_net_value") return "maximise the value of correct answers minus what they cost";
  const auto budget = NumberAt(plan, "budget_usd_per_month");
  return "maximise value-weighted accuracy" + (budget ? " within " + UsdPerMonth(*budget) : std::string());
}

long TotalGpus(const json& plan) {
  long total = 0;
  for (const json& line : Array(plan, "capacity")) total += static_cast<long>(Num(line, "devices"));
  return total;
}

// "model=o3-mini, reasoning_effort=high": a request object flattened to dotted keys.
void FlattenRequest(const json& value, const std::string& prefix, std::vector<std::string>& out) {
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      FlattenRequest(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
    }
  } else {
    out.push_back(prefix + "=" + (value.is_string() ? value.get<std::string>() : value.dump()));
  }
}

// The policy's option for a plan option: same class, bucket, system, mode, samples, aggregation and budget.
const json* PolicyOption(const json& policy, const std::string& klass, const std::string& bucket, const json& option) {
  for (const json& route : Array(policy, "routes")) {
    if (StringAt(route, "class") != klass || StringAt(route, "bucket") != bucket) continue;
    for (const json& candidate : Array(route, "options")) {
      if (StringAt(candidate, "system") == StringAt(option, "system") &&
          StringAt(candidate, "mode") == StringAt(option, "mode") &&
          StringAt(candidate, "aggregation") == StringAt(option, "aggregation") &&
          candidate.value("samples", json()) == option.value("samples", json()) &&
          candidate.value("budget_tokens", json()) == option.value("budget_tokens", json())) {
        return &candidate;
      }
    }
  }
  return nullptr;
}

std::string OptionDescription(const json& option) {
  std::string text = StringAt(option, "system") + " " + StringAt(option, "mode");
  if (const auto budget = NumberAt(option, "budget_tokens")) text += ", budget " + Tokens(*budget);
  if (const std::string effort = StringAt(option, "effort"); !effort.empty()) text += ", effort " + effort;
  const long samples = static_cast<long>(Num(option, "samples", 1));
  if (samples > 1) text += fmt::format(", {} samples {}", samples, StringAt(option, "aggregation"));
  return text;
}

class Builder {
 public:
  Builder(const ReportInputs& in, const ReportOptions& options) : in_(in), options_(options) {}

  Document Build() {
    if (!in_.plan.is_object() || !in_.plan.contains("allocation") || !in_.plan.contains("classes")) {
      throw InputError("plan " + std::to_string(in_.plan_id) + " has no allocation or classes: not a stored plan document");
    }
    Document doc;
    doc.title = fmt::format("Capacity plan {}: workload {}", in_.plan_id, StringAt(in_.plan, "workload", "?"));
    doc.subtitle = fmt::format("created {} · objective {} · fits {}", in_.created_at, StringAt(in_.plan, "objective"),
                               StringAt(in_.plan, "fits_hash").substr(0, 12));
    doc.sections.push_back(Answer());
    doc.sections.push_back(Classes());
    doc.sections.push_back(Frontier());
    doc.sections.push_back(Routing());
    doc.sections.push_back(Capacity());
    doc.sections.push_back(Exchange());
    doc.sections.push_back(Provenance());
    return doc;
  }

 private:
  Section Answer() {
    Section s{"answer", "The question and the answer", {}};
    const json& plan = in_.plan;
    s.blocks.push_back(Paragraph{fmt::format("Question: how should the '{}' workload be served to {}?",
                                             StringAt(plan, "workload"), ObjectivePhrase(plan))});
    if (!plan.value("feasible", false)) {
      s.blocks.push_back(Paragraph{"Answer: no feasible plan. " + StringAt(plan, "reason", "(no reason stored)")});
      return s;
    }
    const double inference = Num(plan, "inference_usd_per_month");
    const double training = Num(plan, "training_usd_per_month");
    const double share = Num(plan, "training_share");
    const long gpus = TotalGpus(plan);
    const std::string tier = StringAt(plan, "chosen_tier");
    KeyFigures k;
    k.items.push_back({"Objective", ObjectivePhrase(plan)});
    const auto budget = NumberAt(plan, "budget_usd_per_month");
    k.items.push_back({"Budget", budget ? UsdPerMonth(*budget) : "none set"});
    k.items.push_back({"Expected accuracy", Percent(Num(plan, "accuracy")) + " (95% interval " +
                                                IntervalText(plan, "accuracy_interval") + ")"});
    k.items.push_back({"Monthly cost", UsdPerMonth(inference + training) + " (inference " + Usd(inference) +
                                           ", training " + Usd(training) + ")"});
    k.items.push_back({"Training / inference split",
                       fmt::format("{} training, {} inference{}", Percent(share, 0), Percent(1 - share, 0),
                                   tier.empty() ? " (no training tier chosen)" : ", tier " + tier)});
    k.items.push_back({"GPUs", gpus == 0 ? "none: every chosen option is an API"
                                         : fmt::format("{} GPUs, {} of the spend", gpus,
                                                       UsdPerMonth(Num(plan, "fleet_usd_per_month")))});
    if (in_.simulation.is_object()) {
      const json& overall = in_.simulation.value("overall", json::object());
      std::string text = "not reported";
      if (const auto acc = NumberAt(overall.value("accuracy", json::object()), "value")) {
        text = Percent(*acc) + " (95% interval " + IntervalText(overall, "accuracy") + ")";
      }
      if (const auto miss = NumberAt(overall, "slo_miss_fraction")) text += ", SLO misses " + Percent(*miss);
      k.items.push_back({fmt::format("Simulated (simulation {})", in_.simulation_id.value_or(0)), text});
    }
    k.items.push_back({"Verified in simulation", VerificationText()});
    s.blocks.push_back(std::move(k));
    if (in_.verification.is_object()) s.blocks.push_back(VerificationTable());
    if (in_.base_plan.is_object()) s.blocks.push_back(WhatIfTable());
    return s;
  }

  // Whether a simulation of this very plan held its promise (pipeline/verify_stage.h): "not verified" says that the
  // planned figures were never checked against the simulator.
  std::string VerificationText() const {
    const json& v = in_.verification;
    if (!v.is_object()) {
      return fmt::format("not verified (`thinkplan plan WORKLOAD --verify` simulates and re-provisions until it holds)");
    }
    return fmt::format("{} (simulation {}, round {}): cost planned {}, simulated {}",
                       v.value("holds", false) ? "holds" : "BREAKS the promise", v.value("simulation_id", 0L),
                       v.value("round", 1), UsdPerMonth(Num(v, "planned_usd_per_month")),
                       UsdPerMonth(Num(v, "simulated_usd_per_month")));
  }

  Table VerificationTable() const {
    const json& v = in_.verification;
    Table t{"verification", fmt::format("Planned against simulated (simulation {}): p95 within the SLO with at most 5% "
                                        "of queries over it, planned p95 within 25% of the simulated one",
                                        v.value("simulation_id", 0L)),
            {"class", "planned p95 s", "simulated p95 s", "SLO s", "over SLO", "holds"}, {}};
    for (const json& c : v.value("classes", json::array())) {
      const double planned = Num(c, "planned_p95_s"), slo = Num(c, "slo_p95_s"), miss = Num(c, "slo_miss_fraction");
      const auto simulated = NumberAt(c, "simulated_p95_s");
      const bool holds = c.value("slo_holds", false) && c.value("p95_agrees", false);
      t.rows.push_back({Text(StringAt(c, "name")), Figure(FormatFixed(planned, 1), planned),
                        simulated ? Figure(FormatFixed(*simulated, 1), *simulated) : Text("unserved"),
                        Figure(FormatFixed(slo, 0), slo), Figure(Percent(miss), miss), Text(holds ? "yes" : "no")});
    }
    return t;
  }

  Table WhatIfTable() const {
    const json& base = in_.base_plan;
    const json& plan = in_.plan;
    Table t{"whatif", fmt::format("What-if: this plan against its base plan {}", in_.base_plan_id.value_or(0)),
            {"figure", fmt::format("base plan {}", in_.base_plan_id.value_or(0)), "this plan", "change"}, {}};
    auto row = [&](const std::string& name, double a, double b, auto format, bool percent_points) {
      const std::string change = percent_points ? fmt::format("{:+.1f} points", 100 * (b - a))
                                                : (a != 0 ? fmt::format("{:+.1f}%", 100 * (b - a) / std::abs(a)) : "n/a");
      t.rows.push_back({Text(name), Figure(format(a), a), Figure(format(b), b), Figure(change, b - a)});
    };
    row("expected accuracy", Num(base, "accuracy"), Num(plan, "accuracy"), [](double x) { return Percent(x); }, true);
    row("inference spend", Num(base, "inference_usd_per_month"), Num(plan, "inference_usd_per_month"), UsdPerMonth, false);
    row("training spend", Num(base, "training_usd_per_month"), Num(plan, "training_usd_per_month"), UsdPerMonth, false);
    row("GPUs", static_cast<double>(TotalGpus(base)), static_cast<double>(TotalGpus(plan)),
        [](double x) { return fmt::format("{:.0f}", x); }, false);
    return t;
  }

  Section Classes() {
    Section s{"classes", "Per task class", {}};
    Table t{"classes", "Per class: expected accuracy, cost and latency; the router's effect where the class has buckets",
            {"class", "queries/day", "accuracy", "95% interval", "cost/query", "cost/month", "p95 latency", "p95 SLO",
             "router", "perfect router", "no router"}, {}};
    for (const json& c : Array(in_.plan, "classes")) {
      const std::string name = StringAt(c, "name");
      const double volume = DailyVolume(name);
      auto router_cell = [&](const char* key) {
        const json& alt = c.value(key, json());
        if (!alt.is_object()) return Text("");
        return Figure(Percent(Num(alt, "accuracy")) + " at " + Usd(Num(alt, "usd_per_month")), Num(alt, "accuracy"));
      };
      t.rows.push_back({Text(name), Figure(Count(volume), volume), Figure(Percent(Num(c, "accuracy")), Num(c, "accuracy")),
                        Text(IntervalText(c, "accuracy_interval")),
                        Figure(Usd(Num(c, "cost_usd_per_query")), Num(c, "cost_usd_per_query")),
                        Figure(UsdPerMonth(Num(c, "usd_per_month")), Num(c, "usd_per_month")),
                        Figure(Seconds(Num(c, "latency_p95_s")), Num(c, "latency_p95_s")),
                        Figure(Seconds(Num(c, "slo_p95_s")), Num(c, "slo_p95_s")), Text(StringAt(c, "router")),
                        router_cell("perfect_router"), router_cell("no_router")});
    }
    s.blocks.push_back(std::move(t));
    s.blocks.push_back(Paragraph{
        "Scaling charts: accuracy against thinking tokens on a log axis. Lines are the fitted curves with their 95% "
        "bands, dots the measured or published points (area proportional to the number of problems), diamonds "
        "outlined in black the operating points the plan chose. Options without thinking (fast mode, 0 tokens) "
        "cannot sit on a log axis; the routing table lists them."});
    for (const json& bucket : Array(in_.plan, "allocation")) AddBucketCharts(s, bucket);
    return s;
  }

  double DailyVolume(const std::string& klass) const {
    for (const json& c : Array(in_.workload, "classes")) {
      if (StringAt(c, "name") == klass) return Num(c, "daily_volume");
    }
    return std::nan("");
  }

  // The series of one class and bucket, chosen systems first, at most max_series_per_chart.
  std::vector<const CurveSeries*> SeriesFor(const std::vector<CurveSeries>& all, const std::string& klass,
                                            const std::string& bucket, const std::set<std::string>& chosen) const {
    std::vector<const CurveSeries*> out;
    for (const CurveSeries& s : all) {
      if (s.workload_class == klass && (s.bucket == bucket || s.bucket.empty())) out.push_back(&s);
    }
    std::stable_sort(out.begin(), out.end(), [&](const CurveSeries* a, const CurveSeries* b) {
      return chosen.count(a->system) > chosen.count(b->system);
    });
    if (out.size() > options_.max_series_per_chart) out.resize(options_.max_series_per_chart);
    return out;
  }

  void AddBucketCharts(Section& s, const json& bucket) {
    const std::string klass = StringAt(bucket, "class");
    const std::string name = StringAt(bucket, "bucket");
    std::set<std::string> chosen_systems;
    std::vector<OperatingPoint> chosen;
    for (const json& o : Array(bucket, "options")) {
      chosen_systems.insert(StringAt(o, "system"));
      chosen.push_back({StringAt(o, "system"), Num(o, "thinking_tokens_mean"), Num(o, "accuracy"),
                        OptionDescription(o) + fmt::format(", {:.0f}% of the bucket", 100 * Num(o, "fraction"))});
    }
    const std::string heading = klass + (name.empty() || name == klass ? "" : " / " + name);
    std::size_t mixed = 0;
    for (const json& w : Array(bucket, "true_bucket_mix")) mixed += w.is_number() && w.get<double>() > 1e-9;
    const std::string router_note =
        mixed > 1 ? " The router sends other difficulties here too, so the diamond (the bucket's expected accuracy over "
                    "the traffic it really receives) can sit off this bucket's own curve."
                  : "";
    const auto sequential = SeriesFor(in_.sequential, klass, name, chosen_systems);
    const auto parallel = SeriesFor(in_.parallel, klass, name, chosen_systems);
    if (sequential.empty() && parallel.empty()) return;
    s.blocks.push_back(Subheading{heading});
    if (!sequential.empty()) {
      AddChart(s, "sequential " + heading, "Sequential scaling: " + heading,
               fmt::format("{} system(s) drawn, {} with a fitted curve (the others as points only); the plan chose {}.{}",
                           sequential.size(),
                           std::count_if(sequential.begin(), sequential.end(), [](const CurveSeries* c) { return !c->curve.empty(); }),
                           Join(chosen_systems), router_note),
               ScalingSpec(sequential, chosen, "thinking tokens (log scale)", false));
      NoteExtrapolation(sequential, chosen, heading);
    }
    if (!parallel.empty()) {
      std::vector<OperatingPoint> chosen_n;
      for (const json& o : Array(bucket, "options")) {
        chosen_n.push_back({StringAt(o, "system"), Num(o, "samples", 1), Num(o, "accuracy"), OptionDescription(o)});
      }
      AddChart(s, "parallel " + heading, "Parallel scaling: " + heading,
               "Accuracy against the number of samples N (log scale): pass@k assumes a perfect verifier, cons@k is "
               "majority vote, best@k keeps the verifier's top-scored sample. Diamonds: the chosen N." + router_note,
               ScalingSpec(parallel, chosen_n, "samples N (log scale)", true));
    }
  }

  static std::string Join(const std::set<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
    return out.empty() ? "nothing" : out;
  }

  void NoteExtrapolation(const std::vector<const CurveSeries*>& series, const std::vector<OperatingPoint>& chosen,
                         const std::string& heading) {
    for (const OperatingPoint& o : chosen) {
      for (const CurveSeries* s : series) {
        if (s->system != o.system || s->observed.empty() || o.x <= 0) continue;
        double lo = INFINITY, hi = 0;
        for (const ObservedPoint& p : s->observed) {
          if (p.x > 0) { lo = std::min(lo, p.x); hi = std::max(hi, p.x); }
        }
        if (hi > 0 && (o.x > hi * options_.extrapolation_factor || o.x < lo / options_.extrapolation_factor)) {
          warnings_.push_back(fmt::format("{}: {} runs at {} of thinking, outside the observed {} .. {} (extrapolation)",
                                          heading, o.system, Tokens(o.x), Tokens(lo), Tokens(hi)));
        }
      }
    }
  }

  void AddChart(Section& s, const std::string& id_text, std::string title, std::string caption, json spec) {
    s.blocks.push_back(Chart{Slug(id_text, ++chart_count_), std::move(title), std::move(caption), std::move(spec)});
  }

  Section Frontier() {
    Section s{"frontier", "Cost-accuracy frontier", {}};
    std::vector<FrontierLine> lines;
    auto line_of = [](const json& plan, std::string label) {
      FrontierLine line{std::move(label), {}, Num(plan, "inference_usd_per_month"), Num(plan, "accuracy")};
      for (const json& p : Array(plan, "frontier")) line.points.push_back({Num(p, "usd_per_month"), Num(p, "accuracy")});
      return line;
    };
    lines.push_back(line_of(in_.plan, fmt::format("this plan ({})", in_.plan_id)));
    if (in_.base_plan.is_object()) lines.push_back(line_of(in_.base_plan, fmt::format("base plan ({})", in_.base_plan_id.value_or(0))));
    if (lines.front().points.empty()) {
      s.blocks.push_back(Paragraph{"The plan stored no frontier."});
      return s;
    }
    const auto [lo, hi] = std::minmax_element(lines.front().points.begin(), lines.front().points.end());
    s.blocks.push_back(Paragraph{fmt::format(
        "Every budget's best accuracy, from the same hull walk that chose the plan: {} buys {}, {} buys {}. The plan "
        "(diamond) spends {} for {}.{}",
        UsdPerMonth(lo->first), Percent(lo->second), UsdPerMonth(hi->first), Percent(hi->second),
        UsdPerMonth(lines.front().plan_usd), Percent(lines.front().plan_accuracy),
        lines.size() > 1 ? " The base plan's frontier is drawn beside it for the what-if comparison." : "")});
    AddChart(s, "frontier", "Cost-accuracy frontier", "Monthly inference spend against value-weighted accuracy.",
             FrontierSpec(lines));
    return s;
  }

  Section Routing() {
    Section s{"routing", "Routing and request parameters", {}};
    s.blocks.push_back(Paragraph{
        "Per class and routed bucket, the options the policy draws from with their share of the class's traffic; "
        "below, the request parameters `thinkplan export-policy` sends for each option."});
    Table t{"routing", "Routing table",
            {"class", "bucket", "system", "mode", "budget", "samples", "aggregation", "traffic share", "accuracy",
             "95% interval", "cost/query", "p95 latency"}, {}};
    Table requests{"requests", "Request parameters the exported policy sends for each option",
                   {"class", "bucket", "system", "target", "request parameters"}, {}};
    for (const json& bucket : Array(in_.plan, "allocation")) {
      const std::string klass = StringAt(bucket, "class");
      const std::string name = StringAt(bucket, "bucket");
      for (const json& o : Array(bucket, "options")) {
        const double share = Num(bucket, "traffic_fraction", 1) * Num(o, "fraction", 1);
        std::vector<std::string> request;
        const json* policy_option = PolicyOption(in_.policy, klass, name, o);
        if (policy_option) FlattenRequest(policy_option->value("request", json::object()), "", request);
        std::string request_text;
        for (const auto& r : request) request_text += (request_text.empty() ? "" : ", ") + r;
        const auto budget = NumberAt(o, "budget_tokens");
        const double samples = Num(o, "samples", 1);
        t.rows.push_back({Text(klass), Text(name), Text(StringAt(o, "system")), Text(StringAt(o, "mode")),
                          budget ? Figure(Tokens(*budget), *budget) : Text(StringAt(o, "effort").empty() ? "default" : "effort " + StringAt(o, "effort")),
                          Figure(fmt::format("{:.0f}", samples), samples), Text(StringAt(o, "aggregation")),
                          Figure(Percent(share), share), Figure(Percent(Num(o, "accuracy")), Num(o, "accuracy")),
                          Text(IntervalText(o, "accuracy_interval")),
                          Figure(Usd(Num(o, "cost_usd_per_query")), Num(o, "cost_usd_per_query")),
                          Figure(Seconds(Num(o, "latency_p95_s")), Num(o, "latency_p95_s"))});
        requests.rows.push_back({Text(klass), Text(name), Text(StringAt(o, "system")),
                                 Text(policy_option ? StringAt(*policy_option, "target") : ""),
                                 Text(request_text.empty() ? "(not in the policy)" : request_text)});
        if (o.value("tokens_assumed", false) && StringAt(o, "mode") != "fast") {
          warnings_.push_back(fmt::format("{} / {}: {} thinking tokens are assumed (no token fit), so its cost and "
                                          "latency rest on the workload's figure", klass, name, StringAt(o, "system")));
        }
      }
    }
    s.blocks.push_back(std::move(t));
    s.blocks.push_back(std::move(requests));
    return s;
  }

  Section Capacity() {
    Section s{"capacity", "Capacity", {}};
    const json& capacity = Array(in_.plan, "capacity");
    if (capacity.empty()) {
      s.blocks.push_back(Paragraph{"No self-hosted system carries traffic: every chosen option is an API, so there are no GPUs to provision."});
    } else {
      Table t{"capacity", "Self-hosted fleet sized for peak traffic",
              {"system", "model", "hardware", "GPUs/replica", "replicas", "GPUs", "peak queries/s", "peak tokens/s",
               "busy GPUs at peak", "mean utilisation", "batch", "KV cache/replica", "cost/month"}, {}};
      std::vector<std::pair<std::string, double>> bars;
      std::vector<std::string> colours;
      for (const json& l : capacity) {
        auto num = [&](const char* key, int digits) {
          const double v = Num(l, key);
          return Figure(fmt::format("{:.{}f}", v, digits), v);
        };
        t.rows.push_back({Text(StringAt(l, "system")), Text(StringAt(l, "model")), Text(StringAt(l, "hardware")),
                          num("devices_per_replica", 0), num("replicas", 0), num("devices", 0),
                          num("peak_queries_per_s", 2), num("peak_tokens_per_s", 0), num("busy_devices_at_peak", 2),
                          Figure(Percent(Num(l, "mean_utilisation")), Num(l, "mean_utilisation")), num("batch", 0),
                          Figure(Gib(Num(l, "kv_gib_per_replica")), Num(l, "kv_gib_per_replica")),
                          Figure(UsdPerMonth(Num(l, "usd_per_month")), Num(l, "usd_per_month"))});
        bars.push_back({StringAt(l, "system") + " on " + StringAt(l, "hardware"), Num(l, "devices")});
        colours.push_back(StringAt(l, "hardware"));
      }
      s.blocks.push_back(std::move(t));
      AddChart(s, "gpus", "GPUs per system", "GPUs provisioned for peak, coloured by hardware.",
               BarSpec(bars, "GPUs", "hardware", colours));
    }
    Simulation(s);
    Sweeps(s);
    return s;
  }

  // One table and one chart per stored sweep: the probability of meeting each SLO and the budget per scenario.
  void Sweeps(Section& s) {
    if (in_.sweeps.empty()) return;
    s.blocks.push_back(Subheading{"How likely the plan is to hold (sweeps)"});
    s.blocks.push_back(Paragraph{
        "Each sweep re-plans the plan under what-if changes (its scenarios) and simulates it under draws of the "
        "fitted curves and measured runs from their posterior: the share of draws in which a class keeps its p95 "
        "SLO (at most 5% of its queries over the bound) and the spend stays within the budget, with the 95% Wilson "
        "interval over the draws."});
    for (const json& sweep : in_.sweeps) SweepTableAndChart(s, sweep);
  }

  void SweepTableAndChart(Section& s, const json& sweep) {
    const long id = sweep.value("id", 0L);
    Table t{fmt::format("sweep-{}", id), fmt::format("Sweep {}: {} draws per scenario, {} day(s) each, seed {}", id,
                                                     sweep.value("draws", 0L), sweep.value("days", json(1)).dump(),
                                                     sweep.value("seed", json(0)).dump()),
            {"scenario", "accuracy p5-p95", "cost/month p50", "P(within budget)", "P(all SLOs)", "P(both)"}, {}};
    std::vector<ProbabilityPoint> points;
    const auto probability = [](const json& p) {
      if (!p.is_object()) return Text("n/a");
      return Figure(fmt::format("{} {}", Percent(Num(p, "value")), PercentInterval(Num(p, "low"), Num(p, "high"))),
                    Num(p, "value"));
    };
    for (const json& sc : Array(sweep, "scenarios")) {
      const std::string label = StringAt(sc, "label");
      if (!sc.value("feasible", false)) {
        t.rows.push_back({Text(label), Text("infeasible: " + StringAt(sc, "reason")), Text(""), Text(""), Text(""), Text("")});
        continue;
      }
      const json& acc = sc.value("accuracy", json::object());
      const json& usd = sc.value("usd_per_month", json::object());
      t.rows.push_back({Text(label), Text(PercentInterval(Num(acc, "p5"), Num(acc, "p95"))),
                        Figure(UsdPerMonth(Num(usd, "p50")), Num(usd, "p50")), probability(sc.value("within_budget", json())),
                        probability(sc.value("meets_all_slos", json())), probability(sc.value("meets_all", json()))});
      const auto add = [&](const std::string& measure, const json& p) {
        if (p.is_object()) points.push_back({label, measure, Num(p, "value"), Num(p, "low"), Num(p, "high"), p.value("trials", 0L)});
      };
      add("budget", sc.value("within_budget", json()));
      for (const json& c : Array(sc, "classes")) add("SLO " + StringAt(c, "name"), c.value("meets_slo", json()));
      add("all SLOs and budget", sc.value("meets_all", json()));
    }
    s.blocks.push_back(std::move(t));
    if (!points.empty()) {
      AddChart(s, fmt::format("sweep-{}", id), fmt::format("Sweep {}: probability the plan holds", id),
               "Dots: the share of posterior draws in which the plan meets the SLO or budget named on the left; "
               "lines: 95% Wilson intervals over the draws. One colour per scenario.",
               ProbabilitySpec(points));
    }
  }

  void Simulation(Section& s) {
    s.blocks.push_back(Subheading{"Simulated fleet against the SLOs"});
    if (!in_.simulation.is_object()) {
      s.blocks.push_back(Paragraph{fmt::format("No simulation was given. Run `thinkplan simulate --plan {}` and pass its id "
                                               "with --simulation to see latency distributions against the SLOs.", in_.plan_id)});
      return;
    }
    const json& sim = in_.simulation;
    s.blocks.push_back(Paragraph{fmt::format("Simulation {}: seed {}, days simulated: {}.", in_.simulation_id.value_or(0),
                                             sim.value("seed", json(0)).dump(), sim.value("days", json(1)).dump())});
    Table t{"simulated-classes", "Simulated accuracy and latency per class against the plan",
            {"class", "queries", "simulated accuracy", "95% interval", "planned accuracy", "TTFT p95", "latency p50",
             "latency p95", "latency p99", "p95 SLO", "SLO misses", "verdict"}, {}};
    std::vector<XyPoint> histogram;
    std::vector<SloRule> slos;
    for (const json& c : Array(sim, "classes")) {
      const std::string name = StringAt(c, "task_class");
      const json& acc = c.value("accuracy", json::object());
      const json& planned = c.value("planned_accuracy", json::object());
      const json& ttft = c.value("ttft_s", json::object());
      const json& lat = c.value("latency_s", json::object());
      auto secs = [](const json& o, const char* key) {
        const auto v = NumberAt(o, key);
        return v ? Figure(Seconds(*v), *v) : Text("n/a");
      };
      const auto slo = NumberAt(c, "slo_p95_s");
      const auto p95 = NumberAt(lat, "p95");
      std::string verdict = "n/a";
      if (slo && p95) verdict = *p95 <= *slo ? "meets SLO" : "misses SLO";
      const auto miss = NumberAt(c, "slo_miss_fraction");
      t.rows.push_back({Text(name), Figure(Count(Num(c, "queries")), Num(c, "queries")),
                        NumberAt(acc, "value") ? Figure(Percent(Num(acc, "value")), Num(acc, "value")) : Text("n/a"),
                        Text(IntervalText(c, "accuracy")),
                        NumberAt(planned, "value") ? Figure(Percent(Num(planned, "value")), Num(planned, "value")) : Text("n/a"),
                        secs(ttft, "p95"), secs(lat, "p50"), secs(lat, "p95"), secs(lat, "p99"),
                        slo ? Figure(Seconds(*slo), *slo) : Text("n/a"), miss ? Figure(Percent(*miss), *miss) : Text("n/a"),
                        Text(verdict)});
      if (verdict == "misses SLO") warnings_.push_back("simulation: class " + name + " misses its p95 latency SLO");
      double total = 0;
      for (const json& bin : Array(c, "latency_histogram")) total += Num(bin, "count");
      for (const json& bin : Array(c, "latency_histogram")) {
        if (total > 0 && Num(bin, "upper_s") > 0) histogram.push_back({name, Num(bin, "upper_s"), Num(bin, "count") / total});
      }
      if (slo && *slo > 0) slos.push_back({name, *slo});
    }
    if (!t.rows.empty()) s.blocks.push_back(std::move(t));
    if (!histogram.empty()) {
      AddChart(s, "latency", "Simulated latency against the SLOs",
               "Share of each class's queries per latency bin (log scale); the dashed line is the class's p95 SLO. "
               "Mass to the right of the line beyond 5% is an SLO miss.",
               LatencySpec(histogram, slos));
    }
    const json& fleet = Array(sim, "fleet");
    if (!fleet.empty()) {
      Table f{"simulated-fleet", "Simulated fleet", {"system", "hardware", "replicas", "GPUs", "planned GPUs",
                                                     "busy time", "mean batch", "KV peak", "GPU-hours", "cost/month"}, {}};
      for (const json& l : fleet) {
        auto count = [&](const char* key) { return Figure(fmt::format("{:.0f}", Num(l, key)), Num(l, key)); };
        f.rows.push_back({Text(StringAt(l, "system")), Text(StringAt(l, "hardware")), count("replicas"), count("devices"),
                          count("planned_devices"), Figure(Percent(Num(l, "utilisation")), Num(l, "utilisation")),
                          Figure(fmt::format("{:.1f}", Num(l, "mean_batch")), Num(l, "mean_batch")),
                          Figure(Percent(Num(l, "kv_peak_fraction")), Num(l, "kv_peak_fraction")),
                          Figure(Number(Num(l, "gpu_hours")), Num(l, "gpu_hours")),
                          Figure(UsdPerMonth(Num(l, "cost_usd_per_month")), Num(l, "cost_usd_per_month"))});
      }
      s.blocks.push_back(std::move(f));
      s.blocks.push_back(Paragraph{
          "Busy time is the share of the day a replica had a decode or prefill step running, however few sequences "
          "it carried; the plan's utilisation is throughput at peak over what full batches could serve. A replica "
          "busy all day at a small mean batch has room for more traffic."});
    }
    if (const json& little = sim.value("little_law", json()); little.is_object()) {
      if (const auto gap = NumberAt(little, "relative_gap")) {
        s.blocks.push_back(Paragraph{fmt::format("Little's law check: arrival rate × mean time in system against the mean "
                                                 "number in system differ by {} (a sanity check of the simulation's bookkeeping).",
                                                 Percent(*gap, 2))});
      }
    }
  }

  Section Exchange() {
    Section s{"exchange", "Training versus thinking", {}};
    const json& tiers = Array(in_.plan, "tiers");
    if (!tiers.empty()) {
      Table t{"tiers", "Training tiers the plan compared", {"tier", "training cost", "training/month", "inference/month",
                                                           "accuracy", "feasible", "note"}, {}};
      for (const json& tier : tiers) {
        t.rows.push_back({Text(StringAt(tier, "name")), Figure(Usd(Num(tier, "training_usd")), Num(tier, "training_usd")),
                          Figure(UsdPerMonth(Num(tier, "training_usd_per_month")), Num(tier, "training_usd_per_month")),
                          Figure(UsdPerMonth(Num(tier, "inference_usd_per_month")), Num(tier, "inference_usd_per_month")),
                          Figure(Percent(Num(tier, "accuracy")), Num(tier, "accuracy")),
                          Text(tier.value("feasible", false) ? "yes" : "no"), Text(StringAt(tier, "reason"))});
      }
      s.blocks.push_back(std::move(t));
    }
    const json& sweep = Array(in_.plan, "volume_sweep");
    if (!sweep.empty()) {
      std::vector<XyPoint> points;
      for (const json& v : sweep) points.push_back({"training share", Num(v, "volume_multiplier"), Num(v, "training_share")});
      AddChart(s, "volume", "Training share as volume grows",
               "Share of monthly spend on training at multiples of today's volume: as demand grows, inference dominates.",
               LineSpec(points, "volume (× today's, log scale)", "training share of spend", true, false));
    }
    const json& effect = Array(in_.plan, "difficulty_effect");
    if (!effect.empty()) {
      Table t{"difficulty-effect", "Where a dollar goes by difficulty (fitted training surfaces)",
              {"class", "bucket", "family", "spends on", "inference share"}, {}};
      for (const json& e : effect) {
        t.rows.push_back({Text(StringAt(e, "class")), Text(StringAt(e, "bucket")), Text(StringAt(e, "family")),
                          Text(StringAt(e, "spends_on")), Figure(Percent(Num(e, "inference_share")), Num(e, "inference_share"))});
      }
      s.blocks.push_back(std::move(t));
    }
    if (!in_.exchange.is_object()) {
      s.blocks.push_back(Paragraph{"No training fits were available, so no exchange rates are reported."});
      return s;
    }
    s.blocks.push_back(Paragraph{
        "Exchange rate: how many times more test-time compute (thinking tokens or samples) buys what 10× training "
        "compute buys, 10^(t1/t2) on each fitted surface logit acc = t0 + t1 ln C_train + t2 ln x."});
    Table rates{"exchange-rates", "Exchange rates of the fitted training surfaces",
                {"family", "class", "difficulty", "axis", "points", "status", "rate", "95% interval"}, {}};
    for (const json& r : Array(in_.exchange, "rates")) {
      const bool defined = r.value("defined", false);
      const auto interval = IntervalAt(r, "interval");
      std::string interval_text = "n/a";
      if (r.contains("interval") && r["interval"].is_array() && r["interval"].size() == 2) {
        const json& iv = r["interval"];
        interval_text = "[" + (iv[0].is_number() ? Number(iv[0].get<double>()) : "0") + ", " +
                        (iv[1].is_number() ? Number(iv[1].get<double>()) : "unbounded") + "]";
      }
      (void)interval;
      rates.rows.push_back({Text(StringAt(r, "family")), Text(StringAt(r, "task_class")), Text(StringAt(r, "difficulty")),
                            Text(StringAt(r, "axis")), Figure(Count(Num(r, "n_points")), Num(r, "n_points")),
                            Text(StringAt(r, "status")),
                            defined ? Figure(Number(Num(r, "rate")) + "×", Num(r, "rate")) : Text("undefined"),
                            Text(defined ? interval_text : StringAt(r, "reason"))});
    }
    if (!rates.rows.empty()) s.blocks.push_back(std::move(rates));
    SnellTable(s);
    return s;
  }

  void SnellTable(Section& s) {
    std::vector<double> sizes, ratios;
    std::map<std::pair<double, double>, double> cells;
    for (const json& c : Array(in_.exchange, "snell")) {
      const double m = Num(c, "size_ratio"), r = Num(c, "inference_to_pretrain");
      if (std::find(sizes.begin(), sizes.end(), m) == sizes.end()) sizes.push_back(m);
      if (std::find(ratios.begin(), ratios.end(), r) == ratios.end()) ratios.push_back(r);
      cells[{m, r}] = Num(c, "multiplier");
    }
    if (cells.empty()) return;
    s.blocks.push_back(Paragraph{
        "Snell et al. (2024), FLOPs-matched: a model M× larger costs as much as the small model thinking "
        "M + 3(M − 1)/R times longer, with R = inference tokens / pre-training tokens. Thinking wins where the "
        "fitted curves reach the larger model's accuracy within that multiplier."});
    Table t{"snell", "Inference multiplier that matches a larger model's FLOPs", {"size ratio M"}, {}};
    for (const double r : ratios) t.columns.push_back("R = " + Number(r));
    for (const double m : sizes) {
      std::vector<Cell> row{Figure(Number(m) + "×", m)};
      for (const double r : ratios) row.push_back(Figure(Number(cells[{m, r}]) + "×", cells[{m, r}]));
      t.rows.push_back(std::move(row));
    }
    s.blocks.push_back(std::move(t));
  }

  Section Provenance() {
    Section s{"provenance", "Assumptions and provenance", {}};
    KeyFigures k;
    k.items.push_back({"Plan", fmt::format("{} (created {})", in_.plan_id, in_.created_at)});
    k.items.push_back({"Fits hash", StringAt(in_.plan, "fits_hash")});
    k.items.push_back({"Robust planning", in_.plan.value("robust", false) ? "yes (lower confidence bounds)" : "no (fitted means)"});
    if (const std::string d = StringAt(in_.workload, "description"); !d.empty()) k.items.push_back({"Workload", d});
    s.blocks.push_back(std::move(k));
    Table data{"provenance", "Every data set behind the fits: measured, published or simulated",
               {"source", "system", "class", "benchmark", "runs", "problems", "citation"}, {}};
    for (const ProvenanceRow& p : in_.provenance) {
      data.rows.push_back({Text(p.source), Text(p.system), Text(p.task_class), Text(p.benchmark),
                           Figure(Count(static_cast<double>(p.runs)), static_cast<double>(p.runs)),
                           Figure(Count(static_cast<double>(p.problems)), static_cast<double>(p.problems)),
                           Text(p.citation)});
    }
    if (data.rows.empty()) {
      s.blocks.push_back(Paragraph{"No stored runs were passed to the report, so the data sets are not listed."});
    } else {
      s.blocks.push_back(std::move(data));
    }
    Table fits{"fit-quality", "Fit quality of the curves drawn above",
               {"class", "bucket", "system", "curve", "form", "status", "points", "deviance", "AIC", "note"}, {}};
    for (const auto* all : {&in_.sequential, &in_.parallel}) {
      for (const CurveSeries& c : *all) {
        fits.rows.push_back({Text(c.workload_class), Text(c.bucket), Text(c.system), Text(c.measure), Text(c.fit.form),
                             Text(c.fit.status), Figure(std::to_string(c.fit.n_points), static_cast<double>(c.fit.n_points)),
                             Figure(Number(c.fit.deviance), c.fit.deviance), Figure(Number(c.fit.aic), c.fit.aic),
                             Text(c.fit.reason)});
        if (!c.curve.empty() && (c.fit.n_points <= 2 || c.fit.status == "fallback")) {
          warnings_.push_back(fmt::format("thin data: {} / {} {} rests on {} point(s){}", c.workload_class, c.system,
                                          c.measure, c.fit.n_points, c.fit.reason.empty() ? "" : " (" + c.fit.reason + ")"));
        }
      }
    }
    if (!fits.rows.empty()) s.blocks.push_back(std::move(fits));
    for (const json& note : Array(in_.plan, "notes")) {
      if (note.is_string()) warnings_.push_back(note.get<std::string>());
    }
    s.blocks.push_back(Subheading{"Warnings"});
    if (warnings_.empty()) {
      s.blocks.push_back(Paragraph{"None."});
    } else {
      std::sort(warnings_.begin(), warnings_.end());
      warnings_.erase(std::unique(warnings_.begin(), warnings_.end()), warnings_.end());
      s.blocks.push_back(BulletList{warnings_});
    }
    return s;
  }

  const ReportInputs& in_;
  const ReportOptions& options_;
  std::vector<std::string> warnings_;
  int chart_count_ = 0;
};

}  // namespace

bool ReportOptions::IsValid(std::string* error) const {
  if (max_series_per_chart == 0) {
    if (error) *error = "max_series_per_chart must be at least 1";
    return false;
  }
  if (!(extrapolation_factor >= 1)) {
    if (error) *error = "extrapolation_factor must be at least 1";
    return false;
  }
  return true;
}

std::vector<const Chart*> Document::Charts() const {
  std::vector<const Chart*> out;
  for (const Section& s : sections) {
    for (const Block& b : s.blocks) {
      if (const auto* c = std::get_if<Chart>(&b)) out.push_back(c);
    }
  }
  return out;
}

const Table* Document::FindTable(const std::string& id) const {
  for (const Section& s : sections) {
    for (const Block& b : s.blocks) {
      if (const auto* t = std::get_if<Table>(&b); t && t->id == id) return t;
    }
  }
  return nullptr;
}

Document BuildReport(const ReportInputs& inputs, const ReportOptions& options) {
  std::string error;
  if (!options.IsValid(&error)) throw UsageError("report options: " + error);
  return Builder(inputs, options).Build();
}

}  // namespace thinkplan::reports
