// The report document built from a hand-written plan: tables recomputed from the plan's own figures, hostile
// names escaped in both formats, absent simulation fields tolerated.
#include <regex>
#include <sstream>

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "reports/report.h"

using namespace thinkplan::reports;
using nlohmann::json;

namespace {

const std::string kHostile = "x\"><script>alert(1)</script>|";

// One class with two routed buckets, the first split 30/70 between two options. Names are set afterwards so that
// hostile ones need no quoting here.
json Plan(const std::string& klass, const std::string& system) {
  json plan = json::parse(R"({
    "workload": "w", "objective": "max_accuracy", "budget_usd_per_month": 50000.0, "feasible": true,
    "fits_hash": "abc", "accuracy": 0.7234, "accuracy_interval": [0.70, 0.75],
    "inference_usd_per_month": 45000.0, "training_usd_per_month": 5000.0, "training_share": 0.1,
    "fleet_usd_per_month": 9000.0, "chosen_tier": "",
    "allocation": [
      {"bucket": "easy", "traffic_fraction": 0.6, "true_bucket_mix": [0.9, 0.1], "options": [
        {"mode": "fast", "budget_tokens": null, "effort": "", "samples": 1, "aggregation": "pass@1",
         "fraction": 0.3, "accuracy": 0.81, "accuracy_interval": [0.76, 0.86], "thinking_tokens_mean": 0.0,
         "cost_usd_per_query": 0.002, "latency_p95_s": 12.5, "tokens_assumed": false},
        {"system": "o3-mini", "mode": "extended", "budget_tokens": 4096, "effort": "", "samples": 1,
         "aggregation": "pass@1", "fraction": 0.7, "accuracy": 0.86, "accuracy_interval": [0.81, 0.91],
         "thinking_tokens_mean": 2000.0, "cost_usd_per_query": 0.01, "latency_p95_s": 12.5, "tokens_assumed": false}]},
      {"bucket": "hard", "traffic_fraction": 0.4, "true_bucket_mix": [0.2, 0.8], "options": [
        {"system": "o3-mini", "mode": "extended", "budget_tokens": 16384, "effort": "", "samples": 1,
         "aggregation": "pass@1", "fraction": 1.0, "accuracy": 0.52, "accuracy_interval": [0.47, 0.57],
         "thinking_tokens_mean": 9000.0, "cost_usd_per_query": 0.03, "latency_p95_s": 40.0, "tokens_assumed": false}]}],
    "classes": [{"accuracy": 0.7234, "accuracy_interval": [0.70, 0.75], "cost_usd_per_query": 0.0123,
                 "usd_per_month": 45000.0, "latency_p95_s": 12.5, "slo_p95_s": 30.0, "router": "confusion matrix"}],
    "frontier": [{"usd_per_month": 10000.0, "accuracy": 0.5}, {"usd_per_month": 45000.0, "accuracy": 0.7234}],
    "capacity": [{"model": "M", "hardware": "H100", "devices_per_replica": 1, "replicas": 3, "devices": 3,
                  "mean_utilisation": 0.5, "kv_gib_per_replica": 20.0, "usd_per_month": 9000.0}]
  })");
  for (json& bucket : plan["allocation"]) bucket["class"] = klass;
  plan["allocation"][0]["options"][0]["system"] = system;
  plan["classes"][0]["name"] = klass;
  plan["capacity"][0]["system"] = system;
  plan["notes"] = {"a note about " + system};
  return plan;
}

ReportInputs Inputs(const std::string& klass, const std::string& system) {
  ReportInputs in;
  in.plan_id = 7;
  in.created_at = "2026-01-01T00:00:00Z";
  in.plan = Plan(klass, system);
  in.workload = json::parse(R"({"name": "w", "classes": [{"daily_volume": 1000}]})");
  in.workload["classes"][0]["name"] = klass;
  in.policy = json::parse(R"({"routes": [{"bucket": "easy", "options": [{"system": "o3-mini", "mode": "extended",
      "samples": 1, "aggregation": "pass@1", "budget_tokens": 4096, "target": "openai",
      "request": {"model": "o3-mini", "reasoning_effort": "low"}}]}]})");
  in.policy["routes"][0]["class"] = klass;
  CurveSeries s;
  s.workload_class = klass;
  s.bucket = "easy";
  s.system = system;
  s.measure = "accuracy";
  s.fit = {"sigmoid", "tokens-used", "ok", "", 5, 1.2, 10.0};
  s.curve = {{1000, 0.5, 0.4, 0.6}, {4000, 0.8, 0.7, 0.9}};
  s.observed = {{1500, 0.55, 30, "published", kHostile}};
  in.sequential.push_back(s);
  in.provenance.push_back({"published", system, klass, "AIME", kHostile, 2, 60});
  return in;
}

WebRuntime FakeRuntime() { return {"/*vega*/", "/*vega-lite*/", "/*vega-embed*/", "test"}; }

std::size_t Count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Cells of a Markdown table row, split on unescaped pipes.
std::vector<std::string> Cells(const std::string& row) {
  std::vector<std::string> cells;
  std::string cell;
  for (std::size_t i = 1; i < row.size(); ++i) {
    if (row[i] == '\\' && i + 1 < row.size()) {
      cell += row[i];
      cell += row[++i];
    } else if (row[i] == '|') {
      cells.push_back(cell.substr(1, cell.size() - 2));
      cell.clear();
    } else {
      cell += row[i];
    }
  }
  return cells;
}

// Rows of the Markdown table under "**caption**".
std::vector<std::vector<std::string>> MarkdownTable(const std::string& md, const std::string& caption) {
  std::vector<std::vector<std::string>> rows;
  auto at = md.find("**" + caption + "**");
  BOOST_REQUIRE(at != std::string::npos);
  at = md.find("\n|", at);
  std::istringstream in(md.substr(at + 1));
  std::string line;
  int index = 0;
  while (std::getline(in, line) && !line.empty() && line[0] == '|') {
    if (index++ != 1) rows.push_back(Cells(line));  // skip the alignment row
  }
  return rows;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(report)

BOOST_AUTO_TEST_CASE(routing_table_recomputed_from_the_plan) {
  const Document doc = BuildReport(Inputs("code", "sys"));
  const std::string md = RenderMarkdown(doc, "r_specs");
  const auto rows = MarkdownTable(md, "Routing table");
  BOOST_REQUIRE_EQUAL(rows.size(), 4u);  // header + three options
  BOOST_TEST(rows[0][7] == "traffic share");
  // Traffic share of the class = bucket share x option fraction: 0.6 x 0.3, 0.6 x 0.7, 0.4 x 1.
  BOOST_TEST(rows[1][7] == "18.0%");
  BOOST_TEST(rows[2][7] == "42.0%");
  BOOST_TEST(rows[3][7] == "40.0%");
  BOOST_TEST(rows[2][4] == "4.1k tokens");
  BOOST_TEST(rows[2][8] == "86.0%");
  BOOST_TEST(rows[2][9] == "\\[81.0, 91.0\\]%");  // brackets escaped: no link
  BOOST_TEST(rows[2][10] == "$0.010");
  const auto requests = MarkdownTable(md, "Request parameters the exported policy sends for each option");
  BOOST_REQUIRE_EQUAL(requests.size(), 4u);
  BOOST_TEST(requests[2][4] == "model=o3-mini, reasoning\\_effort=low");
  BOOST_TEST(requests[3][4] == "(not in the policy)");
  // Headline: total = inference + training; split from training_share.
  BOOST_TEST(md.find("**Monthly cost:** $50k/month (inference $45k, training $5k)") != std::string::npos);
  BOOST_TEST(md.find("10% training, 90% inference") != std::string::npos);
  BOOST_TEST(md.find("**GPUs:** 3 GPUs") != std::string::npos);
  const auto classes = MarkdownTable(md, "Per class: expected accuracy, cost and latency; the router's effect where the class has buckets");
  BOOST_TEST(classes[1][2] == "72.3%");
  BOOST_TEST(classes[1][1] == "1,000");
}

BOOST_AUTO_TEST_CASE(what_if_plan_is_compared_with_its_base) {
  ReportInputs in = Inputs("code", "sys");
  in.base_plan_id = 3;
  in.base_plan = Plan("code", "sys");
  in.base_plan["accuracy"] = 0.6234;
  in.base_plan["inference_usd_per_month"] = 30000.0;
  const Document doc = BuildReport(in);
  const Table* t = doc.FindTable("whatif");
  BOOST_REQUIRE(t);
  BOOST_TEST(t->rows[0][3].text == "+10.0 points");
  BOOST_TEST(t->rows[1][3].text == "+50.0%");
  // Both frontiers on one chart.
  const auto charts = doc.Charts();
  const auto frontier = std::find_if(charts.begin(), charts.end(), [](const Chart* c) { return c->title == "Cost-accuracy frontier"; });
  BOOST_REQUIRE(frontier != charts.end());
  BOOST_TEST((*frontier)->spec.dump().find("base plan (3)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(hostile_names_are_escaped_in_html_and_markdown) {
  const Document doc = BuildReport(Inputs(kHostile, kHostile));
  const std::string html = RenderHtml(doc, FakeRuntime());
  BOOST_TEST(html.find("alert(1)</script>") == std::string::npos);
  BOOST_TEST(html.find("<script>alert") == std::string::npos);
  BOOST_TEST(html.find("x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;|") != std::string::npos);
  // Script elements: error capture, one JSON spec per chart, the three runtime files and the page's behaviour.
  BOOST_TEST(Count(html, "<script") == 1 + doc.Charts().size() + 3 + 1);
  BOOST_TEST(Count(html, "</script>") == Count(html, "<script"));
  const std::string md = RenderMarkdown(doc, "r_specs");
  BOOST_TEST(md.find("<script>") == std::string::npos);
  BOOST_TEST(md.find("x\"\\>\\<script\\>alert(1)\\</script\\>\\|") != std::string::npos);
  // Every row of the routing table still has its 12 cells: the name's pipe did not split a cell.
  for (const auto& row : MarkdownTable(md, "Routing table")) BOOST_TEST(row.size() == 12u);
  // Chart ids (file names) are slugs whatever the class is called.
  for (const Chart* c : doc.Charts()) BOOST_TEST(std::regex_match(c->id, std::regex("[a-z0-9-]+")));
}

BOOST_AUTO_TEST_CASE(simulation_with_missing_fields_is_tolerated) {
  ReportInputs in = Inputs("code", "sys");
  in.simulation_id = 4;
  in.simulation = json::parse(R"({"classes": [{"task_class": "code", "latency_s": {"p95": 40.0}, "slo_p95_s": 30.0,
      "latency_histogram": [{"upper_s": 10.0, "count": 3}, {"upper_s": 50.0, "count": 1}]}]})");
  const Document doc = BuildReport(in);
  const Table* t = doc.FindTable("simulated-classes");
  BOOST_REQUIRE(t);
  BOOST_TEST(t->rows[0][2].text == "n/a");
  BOOST_TEST(t->rows[0][11].text == "misses SLO");
  const std::string md = RenderMarkdown(doc, "s");
  BOOST_TEST(md.find("simulation: class code misses its p95 latency SLO") != std::string::npos);
  BOOST_TEST(md.find("Simulated latency against the SLOs") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_document_without_allocation_is_an_input_error) {
  ReportInputs in = Inputs("code", "sys");
  in.plan.erase("allocation");
  BOOST_CHECK_THROW(BuildReport(in), thinkplan::InputError);
  ReportOptions options;
  options.max_series_per_chart = 0;
  std::string error;
  BOOST_TEST(!options.IsValid(&error));
  BOOST_TEST(!error.empty());
}

BOOST_AUTO_TEST_SUITE_END()
