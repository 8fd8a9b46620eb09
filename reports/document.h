// The report as a document model: sections of paragraphs, key figures, tables and charts. Built once from the
// stored plan (report.cpp) and rendered twice, as HTML (html.cpp) and as Markdown (markdown.cpp), so that the two
// formats cannot disagree on a figure. All text here is plain and unescaped; the renderers escape it.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace thinkplan::reports {

struct Paragraph {
  std::string text;
};

// A heading inside a section (one per task class, for instance).
struct Subheading {
  std::string text;
};

// Label / value pairs read at a glance ("Expected accuracy" / "60.9% [58.7, 62.8]%").
struct KeyFigures {
  std::vector<std::pair<std::string, std::string>> items;
};

struct BulletList {
  std::vector<std::string> items;
};

struct Cell {
  std::string text;           // what is shown
  std::optional<double> key;  // numeric sort key; absent: the column sorts as text
};

struct Table {
  std::string id;  // unique within the report, e.g. "routing"
  std::string caption;
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;
};

struct Chart {
  std::string id;  // file stem of the spec: report_specs/<id>.vl.json
  std::string title;
  std::string caption;  // what to read off the chart, shown under it
  nlohmann::json spec;  // Vega-Lite
};

using Block = std::variant<Paragraph, Subheading, KeyFigures, BulletList, Table, Chart>;

struct Section {
  std::string id;
  std::string title;
  std::vector<Block> blocks;
};

struct Document {
  std::string title;
  std::string subtitle;
  std::vector<Section> sections;

  std::vector<const Chart*> Charts() const;
  const Table* FindTable(const std::string& id) const;
};

}  // namespace thinkplan::reports
