#include "reports/escape.h"

#include <nlohmann/json.hpp>

namespace thinkplan::reports {
namespace {

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

// Backslash-escapes Markdown's inline syntax and the table separator; line breaks fold to spaces, since a newline
// would end a table row or a paragraph.
std::string MarkdownEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsControl(c)) {
      out += ' ';
      continue;
    }
    switch (ch) {
      case '|':
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '<':
      case '>':
      case '#':
        out += '\\';
        out += ch;
        break;
      default:
        out += ch;
    }
  }
  return out;
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '\t':
      case '\n': out += ch; break;
      default:
        if (IsControl(c)) {
          out += "\xEF\xBF\xBD";  // U+FFFD
        } else {
          out += ch;
        }
    }
  }
  return out;
}

std::string JsonForScript(const nlohmann::json& value) {
  // error_handler replace: a stored name that is not UTF-8 must not abort the report.
  const std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size() + 16);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (ch == '<') {
      out += "\\u003c";  // covers "</script" and "<!--"; JSON strings may escape any character this way
    } else if (ch == '>') {
      out += "\\u003e";
    } else if (ch == '&') {
      out += "\\u0026";
    } else if (static_cast<unsigned char>(ch) == 0xE2 && i + 2 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(text[i + 2]) == 0xA8 || static_cast<unsigned char>(text[i + 2]) == 0xA9)) {
      out += static_cast<unsigned char>(text[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += ch;
    }
  }
  return out;
}

std::string MarkdownCell(std::string_view text) { return MarkdownEscape(text); }
std::string MarkdownText(std::string_view text) { return MarkdownEscape(text); }

}  // namespace thinkplan::reports
