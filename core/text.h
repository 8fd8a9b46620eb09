// Small ASCII text helpers that every layer needs: case folding for names typed by users and catalogue columns,
// and trimming of blanks around CSV cells. Plain ASCII on purpose: names are matched byte for byte beyond it, so
// a UTF-8 name is never folded differently on another locale.
#pragma once

#include <string>
#include <string_view>

namespace thinkplan {

// `text` with A-Z folded to a-z; every other byte unchanged.
std::string Lower(std::string_view text);

// True when `a` and `b` differ at most in the case of ASCII letters.
bool SameIgnoringCase(std::string_view a, std::string_view b);

// `text` without leading and trailing spaces and tabs (not line ends: a stray CR is a fault worth seeing).
std::string_view TrimBlanks(std::string_view text);

}  // namespace thinkplan
