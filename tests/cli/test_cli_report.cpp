// `thinkplan report` end to end on the demo database: Markdown tables against the stored plan, files written
// atomically with their specs, usage errors, and the HTML opened in headless Chromium (no console errors, every
// chart drew marks, a screenshot saved in the build tree).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "store/database.h"
#include "store/plans.h"
#include "tests/common/test_support.h"

using namespace thinkplan::testing;
using nlohmann::json;

namespace {

std::string Db(const ScratchDir& dir) { return "--db " + ShellQuote((dir / "t.db").string()); }

// The demo's database with plan 1, built once per test case.
void RunDemo(const ScratchDir& dir) {
  const CommandResult r = RunThinkplan(Db(dir) + " demo --quiet --out " + ShellQuote((dir / "out").string()));
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
}

json StoredPlan(const ScratchDir& dir) {
  auto db = thinkplan::store::Database::Open(dir / "t.db");
  return json::parse(thinkplan::store::LoadPlan(db, 1).plan_json);
}

// Markdown table rows under "**caption**", cells split on unescaped pipes and unescaped.
std::vector<std::vector<std::string>> MarkdownTable(const std::string& md, const std::string& caption) {
  std::vector<std::vector<std::string>> rows;
  auto at = md.find("**" + caption + "**");
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, "no table " + caption);
  std::istringstream in(md.substr(md.find("\n|", at) + 1));
  std::string line;
  for (int index = 0; std::getline(in, line) && !line.empty() && line[0] == '|'; ++index) {
    if (index == 1) continue;
    std::vector<std::string> cells;
    std::string cell;
    for (std::size_t i = 1; i < line.size(); ++i) {
      if (line[i] == '\\' && i + 1 < line.size()) {
        cell += line[++i];
      } else if (line[i] == '|') {
        cells.push_back(cell.substr(1, cell.size() - 2));
        cell.clear();
      } else {
        cell += line[i];
      }
    }
    rows.push_back(cells);
  }
  return rows;
}

std::string Pct(double x) { return fmt::format("{:.1f}%", 100 * x); }

std::string FindChromium() {
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    const std::string probe = std::string("command -v ") + name + " >/dev/null 2>&1";
    if (std::system(probe.c_str()) == 0) return name;
  }
  return "";
}

boost::test_tools::assertion_result ChromiumPresent(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result result(!FindChromium().empty());
  result.message() << "SKIPPED: no chromium on PATH; install Debian's chromium package (scripts/install-deps.sh does) "
                      "to run the headless browser check of the HTML report";
  return result;
}

std::string ChromiumCommand(const ScratchDir& dir) {
  return FindChromium() + " --headless --no-sandbox --disable-gpu --disable-background-networking --hide-scrollbars "
         "--user-data-dir=" + ShellQuote((dir / "profile").string()) + " --virtual-time-budget=20000 ";
}

// The page's DOM after its scripts ran (charts drawn), as headless Chromium serialises it.
std::string DumpDom(const ScratchDir& dir, const std::filesystem::path& html) {
  const auto dom_path = dir / "dom.html";
  const std::string dump = "timeout 180 " + ChromiumCommand(dir) + "--dump-dom " + ShellQuote("file://" + html.string()) +
                           " > " + ShellQuote(dom_path.string()) + " 2> " + ShellQuote((dir / "chromium.log").string());
  const int status = std::system(dump.c_str());
  if (status != 0) BOOST_FAIL("chromium --dump-dom failed: " + ReadFile(dir / "chromium.log"));
  return ReadFile(dom_path);
}

std::string Attribute(const std::string& tag, const std::string& name) {
  std::smatch m;
  if (std::regex_search(tag, m, std::regex(" " + name + "=\"([^\"]*)\""))) return m[1];
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_report)

BOOST_AUTO_TEST_CASE(markdown_tables_match_the_stored_plan) {
  ScratchDir dir("thinkplan-report");
  RunDemo(dir);
  const std::string md_path = (dir / "plan.md").string();
  const CommandResult r = RunThinkplan(Db(dir) + " report --plan 1 --out " + ShellQuote(md_path));
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const std::string md = ReadFile(md_path);
  const json plan = StoredPlan(dir);

  // Headline figures, recomputed from the stored plan.
  BOOST_TEST(md.find("**Expected accuracy:** " + Pct(plan["accuracy"].get<double>())) != std::string::npos);
  long gpus = 0;
  for (const json& line : plan["capacity"]) gpus += line["devices"].get<long>();
  BOOST_TEST(md.find(fmt::format("**GPUs:** {} GPUs", gpus)) != std::string::npos);

  // Routing table: one row per chosen option, in plan order, with the class's traffic share.
  const auto routing = MarkdownTable(md, "Routing table");
  std::size_t row = 1;
  for (const json& bucket : plan["allocation"]) {
    for (const json& option : bucket["options"]) {
      BOOST_REQUIRE(row < routing.size());
      const auto& cells = routing[row++];
      BOOST_TEST(cells[0] == bucket["class"].get<std::string>());
      BOOST_TEST(cells[1] == bucket["bucket"].get<std::string>());
      BOOST_TEST(cells[2] == option["system"].get<std::string>());
      BOOST_TEST(cells[3] == option["mode"].get<std::string>());
      BOOST_TEST(cells[5] == std::to_string(option["samples"].get<long>()));
      BOOST_TEST(cells[6] == option["aggregation"].get<std::string>());
      BOOST_TEST(cells[7] == Pct(bucket["traffic_fraction"].get<double>() * option["fraction"].get<double>()));
      BOOST_TEST(cells[8] == Pct(option["accuracy"].get<double>()));
    }
  }
  BOOST_TEST(row == routing.size());

  // Per-class table.
  const auto classes = MarkdownTable(md, "Per class: expected accuracy, cost and latency; the router's effect where the class has buckets");
  BOOST_REQUIRE_EQUAL(classes.size(), plan["classes"].size() + 1);
  for (std::size_t i = 0; i < plan["classes"].size(); ++i) {
    BOOST_TEST(classes[i + 1][0] == plan["classes"][i]["name"].get<std::string>());
    BOOST_TEST(classes[i + 1][2] == Pct(plan["classes"][i]["accuracy"].get<double>()));
  }

  // Capacity table: GPUs per system as stored.
  const auto capacity = MarkdownTable(md, "Self-hosted fleet sized for peak traffic");
  BOOST_REQUIRE_EQUAL(capacity.size(), plan["capacity"].size() + 1);
  for (std::size_t i = 0; i < plan["capacity"].size(); ++i) {
    BOOST_TEST(capacity[i + 1][0] == plan["capacity"][i]["system"].get<std::string>());
    BOOST_TEST(capacity[i + 1][5] == std::to_string(plan["capacity"][i]["devices"].get<long>()));
  }

  // Every chart's spec is beside the report and is Vega-Lite.
  std::size_t specs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "plan_specs")) {
    const json spec = json::parse(ReadFile(entry.path()));
    BOOST_TEST(spec["$schema"].get<std::string>().find("vega-lite") != std::string::npos);
    ++specs;
  }
  BOOST_TEST(specs > 0u);
  BOOST_TEST(md.find("plan_specs/") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(usage_errors_and_help) {
  ScratchDir dir("thinkplan-report");
  RunDemo(dir);
  CommandResult r = RunThinkplan(Db(dir) + " report --help");
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out.find("Vega-Lite") != std::string::npos);
  r = RunThinkplan(Db(dir) + " report --plan 1 --out " + ShellQuote((dir / "x.txt").string()));
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("--format") != std::string::npos);
  r = RunThinkplan(Db(dir) + " report --plan 99 --out " + ShellQuote((dir / "x.md").string()));
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("no plan with id 99") != std::string::npos);
  r = RunThinkplan(Db(dir) + " report --plan 1 --out " + ShellQuote((dir / "x.txt").string()) + " --format md");
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(!std::filesystem::exists(dir / "x.txt.partial"));
  r = RunThinkplan(Db(dir) + " report --plan 1 --out " + ShellQuote((dir / "x.html").string()) + " --format pdf");
  BOOST_TEST(r.exit_code == 1);
}

BOOST_AUTO_TEST_CASE(html_renders_in_headless_chromium, *boost::unit_test::precondition(ChromiumPresent)) {
  ScratchDir dir("thinkplan-report");
  RunDemo(dir);
  const auto html = dir / "report.html";
  const CommandResult r = RunThinkplan(Db(dir) + " report --plan 1 --out " + ShellQuote(html.string()));
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  BOOST_TEST(ReadFile(html).rfind("<!DOCTYPE html>", 0) == 0);
  BOOST_TEST_MESSAGE("report.html: " << std::filesystem::file_size(html) << " bytes");

  const std::string dom = DumpDom(dir, html);

  // The page counts console errors and uncaught exceptions on <html> (reports/html.cpp) and marks per chart.
  std::smatch m;
  BOOST_REQUIRE(std::regex_search(dom, m, std::regex("<html[^>]*>")));
  const std::string html_tag = m[0];
  BOOST_TEST(Attribute(html_tag, "data-errors") == "0", "console errors: " << Attribute(html_tag, "data-errors-text"));
  BOOST_TEST(Attribute(html_tag, "data-warnings") == "0", "console warnings: " << Attribute(html_tag, "data-warnings-text"));
  BOOST_REQUIRE(std::regex_search(dom, m, std::regex("<body[^>]*>")));
  const std::string body = m[0];
  BOOST_TEST(Attribute(body, "data-charts-ready") == "true");
  const int charts = std::atoi(Attribute(body, "data-charts").c_str());
  BOOST_TEST(charts >= 3);
  int drawn = 0;
  const std::regex figure("<figure class=\"chart\"[^>]*>");
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), figure); it != std::sregex_iterator(); ++it) {
    const std::string tag = it->str();
    const int marks = std::atoi(Attribute(tag, "data-marks").c_str());
    BOOST_TEST(marks > 0, "chart " << Attribute(tag, "data-chart") << " drew no marks");
    drawn += marks > 0;
  }
  BOOST_TEST(drawn == charts);
  BOOST_TEST_MESSAGE(charts << " charts rendered marks");

  // A screenshot for a person to look at, in the build tree.
  const auto shot = std::filesystem::read_symlink("/proc/self/exe").parent_path() / "report_screenshot.png";
  std::filesystem::remove(shot);
  const std::string screenshot = "timeout 180 " + ChromiumCommand(dir) + "--window-size=1280,6000 --screenshot=" +
                                 ShellQuote(shot.string()) + " " + ShellQuote("file://" + html.string()) + " > /dev/null 2>&1";
  BOOST_TEST(std::system(screenshot.c_str()) == 0);
  BOOST_TEST(std::filesystem::exists(shot));
  BOOST_TEST(ReadFile(shot).substr(1, 3) == "PNG");
  BOOST_TEST_MESSAGE("screenshot: " << shot.string());
}

// A workload whose name, first class and first system are markup: planned, reported and opened in the browser,
// the names show as text and no script of theirs becomes an element.
BOOST_AUTO_TEST_CASE(hostile_names_stay_text_in_the_browser, *boost::unit_test::precondition(ChromiumPresent)) {
  ScratchDir dir("thinkplan-report");
  RunDemo(dir);
  const std::string hostile = "x\"><script>alert(1)</script>|";
  json workload = json::parse(ReadFile(DataDir() / "workloads" / "default.json"));
  workload["name"] = "w" + hostile;
  workload["classes"][0]["name"] = hostile;
  const std::string system = workload["systems"][0]["name"].get<std::string>();
  workload["systems"][0]["name"] = system + hostile;
  workload["systems"][0]["curves"] = system;  // the same fitted curves under the hostile name
  WriteFile(dir / "hostile.json", workload.dump());
  CommandResult r = RunThinkplan(Db(dir) + " plan --quiet " + ShellQuote((dir / "hostile.json").string()));
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const auto html = dir / "hostile.html";
  r = RunThinkplan(Db(dir) + " report --plan 2 --out " + ShellQuote(html.string()));
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const std::string dom = DumpDom(dir, html);
  std::smatch m;
  BOOST_REQUIRE(std::regex_search(dom, m, std::regex("<html[^>]*>")));
  BOOST_TEST(Attribute(m[0], "data-errors") == "0", "console errors: " << Attribute(m[0], "data-errors-text"));
  BOOST_TEST(dom.find("<script>alert(1)") == std::string::npos);
  BOOST_TEST(dom.find("&lt;script&gt;alert(1)&lt;/script&gt;|") != std::string::npos);
  BOOST_REQUIRE(std::regex_search(dom, m, std::regex("<body[^>]*>")));
  BOOST_TEST(Attribute(m[0], "data-charts-ready") == "true");
}

BOOST_AUTO_TEST_SUITE_END()
