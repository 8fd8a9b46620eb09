#include "core/atomic_file.h"

#include <unistd.h>

#include <fstream>
#include <string>

#include "core/errors.h"

namespace thinkplan {

void WriteFileAtomically(const std::filesystem::path& path, std::string_view content) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!path.parent_path().empty()) {
    fs::create_directories(path.parent_path(), ec);
    if (ec) throw InputError("cannot write " + path.string() + ": cannot create its folder: " + ec.message());
  }
  // The process id keeps two writers of the same file from sharing one temporary.
  const fs::path temporary = path.string() + "." + std::to_string(::getpid()) + ".partial";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) {
      fs::remove(temporary, ec);
      throw InputError("cannot write " + path.string() + " (through " + temporary.filename().string() + ")");
    }
  }
  fs::rename(temporary, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw InputError("cannot write " + path.string() + ": " + ec.message());
  }
}

}  // namespace thinkplan
