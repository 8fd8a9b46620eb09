// Writing an output file so that a reader never sees half of it: the content goes to a temporary file in the same
// folder (a rename across file systems would not be atomic), is flushed, and is renamed over the target.
#pragma once

#include <filesystem>
#include <string_view>

namespace thinkplan {

// Writes `content` to `path`, creating its folder. A destination that cannot be written (no permission, a full
// disk, a folder in the way) is an InputError naming `path`; the temporary file is removed and an existing file at
// `path` is left as it was.
void WriteFileAtomically(const std::filesystem::path& path, std::string_view content);

}  // namespace thinkplan
