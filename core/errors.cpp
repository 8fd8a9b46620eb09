#include "core/errors.h"

namespace thinkplan {
namespace {

// Values are echoed back to the user; keep the message on one line and of bounded length.
std::string Printable(const std::string& value) {
  constexpr size_t kMaxShown = 80;
  std::string out;
  for (char c : value.substr(0, kMaxShown)) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  if (value.size() > kMaxShown) out += "...";
  return out;
}

}  // namespace

std::string SourceLocation::Describe() const {
  std::string out = file.empty() ? std::string("<input>") : file;
  if (line > 0) out += ":" + std::to_string(line);
  if (!field.empty()) {
    out += ": field '" + field + "'";
    out += " = '" + Printable(value) + "'";
  }
  return out;
}

InputError::InputError(SourceLocation where, const std::string& reason)
    : Error(ExitCode::kInput, where.Describe() + ": " + reason), where_(std::move(where)), reason_(reason) {}

}  // namespace thinkplan
