#include "core/text_table.h"

#include <algorithm>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include "core/printable_text.h"

namespace thinkplan {
namespace {

// Display width of UTF-8 text: count code points, not bytes, so names with accents line up.
size_t DisplayWidth(const std::string& text) {
  size_t width = 0;
  for (unsigned char c : text) width += (c & 0xC0) != 0x80;
  return width;
}

}  // namespace

TextTable::TextTable(std::vector<Column> columns) : columns_(std::move(columns)) {}

void TextTable::AddRow(std::vector<std::string> cells) {
  if (cells.size() != columns_.size()) throw std::logic_error("TextTable row has the wrong number of cells");
  // Cells hold stored names; a terminal must see their control characters as escapes, not act on them.
  for (std::string& cell : cells) cell = PrintableText(cell);
  rows_.push_back(std::move(cells));
}

void TextTable::Print(std::ostream& out) const {
  std::vector<size_t> widths(columns_.size());
  for (size_t c = 0; c < columns_.size(); ++c) widths[c] = DisplayWidth(columns_[c].title);
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], DisplayWidth(row[c]));
  }
  auto print_row = [&](const std::vector<std::string>& cells, bool header) {
    std::string line;
    for (size_t c = 0; c < cells.size(); ++c) {
      const std::string pad(widths[c] - DisplayWidth(cells[c]), ' ');
      const bool right = !header && columns_[c].align == Align::kRight;
      line += (c ? "  " : "") + (right ? pad + cells[c] : cells[c] + pad);
    }
    // Padding after the last visible cell is noise in a terminal and in a diff of two outputs.
    line.erase(line.find_last_not_of(' ') + 1);
    out << line << "\n";
  };
  std::vector<std::string> titles;
  for (const auto& column : columns_) titles.push_back(column.title);
  print_row(titles, true);
  for (const auto& row : rows_) print_row(row, false);
}

std::string TextTable::ToString() const {
  std::ostringstream out;
  Print(out);
  return out.str();
}

}  // namespace thinkplan
