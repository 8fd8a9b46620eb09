// Markdown rendering of the report document: GitHub-flavoured tables, charts as links to their spec files.
#include <sstream>

#include "reports/escape.h"
#include "reports/report.h"

namespace thinkplan::reports {
namespace {

void WriteTable(std::ostringstream& out, const Table& t) {
  out << "**" << MarkdownText(t.caption) << "**\n\n|";
  for (const std::string& c : t.columns) out << " " << MarkdownCell(c) << " |";
  out << "\n|";
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    // Numeric columns right-aligned, as in the HTML: the first row with a sort key decides.
    bool numeric = false;
    for (const auto& row : t.rows) {
      if (i < row.size() && row[i].key) { numeric = true; break; }
    }
    out << (numeric ? " ---: |" : " --- |");
  }
  out << "\n";
  for (const auto& row : t.rows) {
    out << "|";
    for (const Cell& cell : row) out << " " << MarkdownCell(cell.text) << " |";
    out << "\n";
  }
  out << "\n";
}

// A relative link target: characters that would end or break a Markdown link are percent-encoded.
std::string LinkTarget(const std::string& path) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (const char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || ch == '(' || ch == ')' || ch == '<' || ch == '>' || ch == '[' || ch == ']' || ch == '%' ||
        ch == '"' || ch == '\\' || ch == '|') {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace

std::string RenderMarkdown(const Document& document, const std::string& specs_dir) {
  std::ostringstream out;
  out << "# " << MarkdownText(document.title) << "\n\n_" << MarkdownText(document.subtitle) << "_\n\n";
  for (const Section& s : document.sections) {
    out << "## " << MarkdownText(s.title) << "\n\n";
    for (const Block& block : s.blocks) {
      if (const auto* p = std::get_if<Paragraph>(&block)) {
        out << MarkdownText(p->text) << "\n\n";
      } else if (const auto* h = std::get_if<Subheading>(&block)) {
        out << "### " << MarkdownText(h->text) << "\n\n";
      } else if (const auto* k = std::get_if<KeyFigures>(&block)) {
        for (const auto& [label, value] : k->items) out << "- **" << MarkdownText(label) << ":** " << MarkdownText(value) << "\n";
        out << "\n";
      } else if (const auto* l = std::get_if<BulletList>(&block)) {
        for (const std::string& item : l->items) out << "- " << MarkdownText(item) << "\n";
        out << "\n";
      } else if (const auto* t = std::get_if<Table>(&block)) {
        WriteTable(out, *t);
      } else if (const auto* c = std::get_if<Chart>(&block)) {
        const std::string file = specs_dir + "/" + c->id + ".vl.json";
        out << "Chart: " << MarkdownText(c->title) << " (Vega-Lite spec: [" << MarkdownText(file) << "]("
            << LinkTarget(file) << ")). " << MarkdownText(c->caption) << "\n\n";
      }
    }
  }
  return out.str();
}

}  // namespace thinkplan::reports
