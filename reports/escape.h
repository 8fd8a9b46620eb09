// Escaping for the three places report text lands: HTML text and attributes, JSON inside a <script> element,
// and Markdown table cells. Every string that comes from the data (system, class, citation, notes) goes through
// one of these, because names are user input and may hold markup, quotes or control characters.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace thinkplan::reports {

// Escapes & < > " ' for text and attribute values; control characters other than tab and newline become
// U+FFFD (HTML forbids them, and a browser would otherwise show nothing or garble the line).
std::string HtmlEscape(std::string_view text);

// JSON serialised so that it can sit inside <script>: every < > & is written as a \u escape (so neither "</script"
// nor "<!--" can appear) and U+2028/U+2029 (line terminators in older JavaScript) as escapes. Still valid JSON.
std::string JsonForScript(const nlohmann::json& value);

// One Markdown table cell: "|" escaped, newlines and other control characters as spaces, and the characters
// that would start HTML or emphasis (< > * _ ` [ ]) escaped with a backslash so a name renders verbatim.
std::string MarkdownCell(std::string_view text);

// Markdown running text (headings, paragraphs): the same escapes, so a name cannot open a link or an HTML tag.
std::string MarkdownText(std::string_view text);

}  // namespace thinkplan::reports
