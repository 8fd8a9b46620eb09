// Text from users (system, class and bucket names) made safe to print on a terminal: control characters are
// shown as escapes instead of moving the cursor, recolouring the screen or forging report lines.
#pragma once

#include <string>
#include <string_view>

namespace thinkplan {

// `text` with each C0 control (TAB, CR and LF included) and DEL written as \n, \r, \t or \xHH, and each C1 control
// (U+0080-U+009F in UTF-8) as \u00HH. Everything else, backslashes included, passes unchanged: the result is for
// reading, not for parsing back.
std::string PrintableText(std::string_view text);

}  // namespace thinkplan
