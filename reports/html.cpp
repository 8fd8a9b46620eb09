// HTML rendering of the report document: one self-contained file (styles, data, specs and the chart runtime
// inlined) that opens offline, sorts its tables on a click and prints to PDF. Every string from the data is
// escaped here; the only unescaped text is this file's own markup and the pinned chart runtime.
#include <sstream>

#include "core/text.h"
#include "reports/escape.h"
#include "reports/report.h"

namespace thinkplan::reports {
namespace {

constexpr const char* kStyle = R"CSS(
:root { --ink:#1b1f24; --muted:#57606a; --line:#d0d7de; --band:#f6f8fa; --accent:#0072B2; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 0; }
header { background: #0b3d5c; color: #fff; padding: 20px 32px 12px; }
header h1 { margin: 0 0 4px; font-size: 24px; }
header .sub { margin: 0 0 10px; color: #cfe3f0; font-size: 13px; }
nav a { color: #fff; margin-right: 16px; font-size: 13px; text-decoration: none; border-bottom: 1px solid #7fb3d5; }
main { max-width: 1280px; margin: 0 auto; padding: 8px 32px 40px; }
section { margin-top: 28px; }
h2 { font-size: 20px; border-bottom: 2px solid var(--accent); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 22px 0 6px; }
dl.figures { display: grid; grid-template-columns: max-content 1fr; gap: 6px 20px; background: var(--band);
  border-left: 4px solid var(--accent); padding: 14px 18px; margin: 12px 0; }
dl.figures dt { font-weight: 600; color: var(--muted); }
dl.figures dd { margin: 0; font-size: 16px; }
.table-wrap { overflow-x: auto; margin: 10px 0 18px; }
table { border-collapse: collapse; font-size: 13px; min-width: 50%; }
caption { text-align: left; font-weight: 600; padding: 4px 0 6px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 6px; vertical-align: top; }
/* Headers wrap so that wide tables (capacity, simulation) fit the page instead of scrolling out of sight. */
th { background: var(--band); text-align: left; cursor: pointer; user-select: none; vertical-align: bottom; }
th[aria-sort="ascending"]::after { content: " \25B2"; font-size: 10px; }
th[aria-sort="descending"]::after { content: " \25BC"; font-size: 10px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.req { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
tbody tr:nth-child(even) { background: #fbfcfd; }
figure.chart { margin: 14px 0 22px; break-inside: avoid; page-break-inside: avoid; }
figure.chart figcaption { color: var(--muted); font-size: 13px; max-width: 760px; }
figure.chart .title { font-weight: 600; font-size: 14px; margin-bottom: 4px; }
figure.chart svg { max-width: 100%; height: auto; }
.chart-error { color: #b00020; font-weight: 600; }
ul.warnings li { margin-bottom: 4px; }
footer { color: var(--muted); font-size: 12px; max-width: 1280px; margin: 0 auto; padding: 0 32px 24px; }
@media print {
  @page { size: A4; margin: 12mm; }
  body { font-size: 10pt; }
  header { background: none; color: var(--ink); padding: 0 0 6px; border-bottom: 2px solid var(--ink); }
  header .sub { color: var(--muted); }
  nav { display: none; }
  main { max-width: none; padding: 0; }
  section { break-before: auto; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  .table-wrap { overflow: visible; }
  table { font-size: 8pt; width: 100%; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  td.req { word-break: break-all; }
  th[aria-sort]::after { content: ""; }
  dl.figures { border-left-color: var(--ink); }
}
)CSS";

// Installed first, so that anything that goes wrong later (a chart, the runtime) is counted on the page, where a
// headless browser's --dump-dom sees it.
constexpr const char* kErrorCapture = R"JS(
(function () {
  var root = document.documentElement, errors = [], warnings = [];
  function note(list, attr, args) {
    list.push(Array.prototype.map.call(args, String).join(' '));
    root.setAttribute(attr, String(list.length));
    root.setAttribute(attr + '-text', list.join(' | ').slice(0, 2000));
  }
  window.addEventListener('error', function (e) { note(errors, 'data-errors', [e.message]); });
  window.addEventListener('unhandledrejection', function (e) { note(errors, 'data-errors', [e.reason]); });
  var error = console.error, warn = console.warn;
  console.error = function () { note(errors, 'data-errors', arguments); error.apply(console, arguments); };
  console.warn = function () { note(warnings, 'data-warnings', arguments); warn.apply(console, arguments); };
  root.setAttribute('data-errors', '0');
  root.setAttribute('data-warnings', '0');
})();
)JS";

constexpr const char* kBehaviour = R"JS(
(function () {
  // Data marks drawn by a chart: items of every non-group mark of role 'mark' in the scenegraph.
  function countMarks(mark) {
    var n = (mark.marktype !== 'group' && mark.role === 'mark') ? (mark.items || []).length : 0;
    (mark.items || []).forEach(function (item) {
      (item.items || []).forEach(function (child) { n += countMarks(child); });
    });
    return n;
  }
  var figures = document.querySelectorAll('figure.chart'), done = 0;
  function finished() {
    done += 1;
    document.body.setAttribute('data-rendered', String(done));
    if (done === figures.length) document.body.setAttribute('data-charts-ready', 'true');
  }
  if (figures.length === 0) document.body.setAttribute('data-charts-ready', 'true');
  figures.forEach(function (figure) {
    var target = figure.querySelector('.vis');
    try {
      var spec = JSON.parse(document.getElementById('spec-' + figure.getAttribute('data-chart')).textContent);
      vegaEmbed(target, spec, { renderer: 'svg', actions: false }).then(function (result) {
        figure.setAttribute('data-marks', String(countMarks(result.view.scenegraph().root)));
      }).catch(function (e) {
        target.innerHTML = '<p class="chart-error">This chart could not be drawn.</p>';
        console.error('chart ' + figure.getAttribute('data-chart') + ': ' + e);
      }).then(finished);
    } catch (e) {
      console.error('chart ' + figure.getAttribute('data-chart') + ': ' + e);
      finished();
    }
  });
  // Sortable tables: numeric cells carry data-key; the rest sort as text.
  document.querySelectorAll('table.sortable').forEach(function (table) {
    var headers = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(headers, function (th, column) {
      function sort() {
        var ascending = th.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(headers, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[column], y = b.cells[column];
          var kx = x && x.getAttribute('data-key'), ky = y && y.getAttribute('data-key');
          var r = (kx !== null && ky !== null) ? parseFloat(kx) - parseFloat(ky)
                : (x ? x.textContent : '').localeCompare(y ? y.textContent : '');
          return ascending ? r : -r;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      }
      th.addEventListener('click', sort);
      th.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); } });
    });
  });
})();
)JS";

// The runtime's own text, with its source-map comment dropped (the map is not shipped, and a browser would
// otherwise try to fetch it from beside the report).
std::string InlineScript(const std::string& code) {
  std::string text = code;
  if (const auto at = text.rfind("//# sourceMappingURL="); at != std::string::npos) text.erase(at);
  // "</script" could only sit inside a JavaScript string or regular expression, where "<\/script" means the same;
  // other "</" are left alone (a minifier may write "a</re/.test(b)").
  for (std::size_t at = 0; (at = text.find("</", at)) != std::string::npos; at += 2) {
    if (SameIgnoringCase(std::string_view(text).substr(at + 2, 6), "script")) text.replace(at, 2, "<\\/");
  }
  return "<script>" + text + "\n</script>\n";
}

void WriteTable(std::ostringstream& out, const Table& t) {
  out << "<div class=\"table-wrap\"><table class=\"sortable\" id=\"table-" << HtmlEscape(t.id) << "\"><caption>"
      << HtmlEscape(t.caption) << "</caption>\n<thead><tr>";
  for (const std::string& c : t.columns) out << "<th scope=\"col\" tabindex=\"0\">" << HtmlEscape(c) << "</th>";
  out << "</tr></thead>\n<tbody>\n";
  for (const auto& row : t.rows) {
    out << "<tr>";
    for (std::size_t i = 0; i < row.size(); ++i) {
      const Cell& cell = row[i];
      if (cell.key) {
        out << "<td class=\"num\" data-key=\"" << nlohmann::json(*cell.key).dump() << "\">";
      } else {
        out << (t.columns[i < t.columns.size() ? i : 0] == "request parameters" ? "<td class=\"req\">" : "<td>");
      }
      out << HtmlEscape(cell.text) << "</td>";
    }
    out << "</tr>\n";
  }
  out << "</tbody></table></div>\n";
}

void WriteChart(std::ostringstream& out, const Chart& c) {
  // Chart ids are slugs (letters, digits, dashes), escaped all the same.
  const std::string id = HtmlEscape(c.id);
  out << "<figure class=\"chart\" data-chart=\"" << id << "\" id=\"chart-" << id << "\">\n<div class=\"title\">"
      << HtmlEscape(c.title) << "</div>\n<div class=\"vis\"></div>\n<figcaption>" << HtmlEscape(c.caption)
      << "</figcaption>\n<script type=\"application/json\" id=\"spec-" << id << "\">" << JsonForScript(c.spec)
      << "</script>\n</figure>\n";
}

void WriteBlock(std::ostringstream& out, const Block& block) {
  if (const auto* p = std::get_if<Paragraph>(&block)) {
    out << "<p>" << HtmlEscape(p->text) << "</p>\n";
  } else if (const auto* h = std::get_if<Subheading>(&block)) {
    out << "<h3>" << HtmlEscape(h->text) << "</h3>\n";
  } else if (const auto* k = std::get_if<KeyFigures>(&block)) {
    out << "<dl class=\"figures\">\n";
    for (const auto& [label, value] : k->items) out << "<dt>" << HtmlEscape(label) << "</dt><dd>" << HtmlEscape(value) << "</dd>\n";
    out << "</dl>\n";
  } else if (const auto* l = std::get_if<BulletList>(&block)) {
    out << "<ul class=\"warnings\">\n";
    for (const std::string& item : l->items) out << "<li>" << HtmlEscape(item) << "</li>\n";
    out << "</ul>\n";
  } else if (const auto* t = std::get_if<Table>(&block)) {
    WriteTable(out, *t);
  } else if (const auto* c = std::get_if<Chart>(&block)) {
    WriteChart(out, *c);
  }
}

}  // namespace

std::string RenderHtml(const Document& document, const WebRuntime& runtime) {
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<meta name=\"generator\" content=\"thinkplan report\">\n<title>"
      << HtmlEscape(document.title) << "</title>\n<script>" << kErrorCapture << "</script>\n<style>" << kStyle
      << "</style>\n</head>\n<body data-charts=\"" << document.Charts().size() << "\" data-rendered=\"0\">\n<header>\n<h1>"
      << HtmlEscape(document.title) << "</h1>\n<p class=\"sub\">" << HtmlEscape(document.subtitle) << "</p>\n<nav>";
  for (const Section& s : document.sections) out << "<a href=\"#" << HtmlEscape(s.id) << "\">" << HtmlEscape(s.title) << "</a>";
  out << "</nav>\n</header>\n<main>\n";
  for (const Section& s : document.sections) {
    out << "<section id=\"" << HtmlEscape(s.id) << "\">\n<h2>" << HtmlEscape(s.title) << "</h2>\n";
    for (const Block& b : s.blocks) WriteBlock(out, b);
    out << "</section>\n";
  }
  out << "</main>\n<footer>Generated by thinkplan report. Charts drawn with " << HtmlEscape(runtime.versions)
      << " (inlined; the report needs no network). Click a column header to sort a table.</footer>\n";
  out << InlineScript(runtime.vega) << InlineScript(runtime.vega_lite) << InlineScript(runtime.vega_embed);
  out << "<script>" << kBehaviour << "</script>\n</body>\n</html>\n";
  return out.str();
}

}  // namespace thinkplan::reports
