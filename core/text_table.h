// Plain-text tables for terminal output: columns sized to their widest cell (in code points, so accented names
// line up), right-aligned where a column holds numbers, cells made printable. Every command's tables and the
// planner's what-if report use it, so they look alike.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace thinkplan {

class TextTable {
 public:
  enum class Align { kLeft, kRight };
  struct Column {
    std::string title;
    Align align = Align::kLeft;
  };

  explicit TextTable(std::vector<Column> columns);
  void AddRow(std::vector<std::string> cells);  // must have one cell per column
  // The title row, then one line per row; columns two spaces apart, no trailing blanks.
  void Print(std::ostream& out) const;
  std::string ToString() const;
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace thinkplan
