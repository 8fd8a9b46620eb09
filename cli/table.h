// Plain-text tables for terminal output: columns sized to their widest cell, numbers right-aligned.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace thinkplan::cli {

class TextTable {
 public:
  enum class Align { kLeft, kRight };
  struct Column {
    std::string title;
    Align align = Align::kLeft;
  };

  explicit TextTable(std::vector<Column> columns);
  void AddRow(std::vector<std::string> cells);  // must have one cell per column
  void Print(std::ostream& out) const;
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// Fixed-point text with `digits` decimals ("0.731"); empty for NaN.
std::string FormatFixed(double value, int digits);
// Compact numbers for tables: 12,345 -> "12345", 1.5e6 -> "1.5M".
std::string FormatCount(double value);

}  // namespace thinkplan::cli
