// Shared pieces of the libFuzzer targets: a scratch file on tmpfs for inputs that the store reads by path, and
// the rule every target enforces: a bad input may only ever be refused with a typed InputError.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>

#include "core/errors.h"

namespace thinkplan::fuzz {

// A per-process file for the current input (ingest reads paths, not buffers). /dev/shm keeps it off the disk.
inline std::filesystem::path ScratchPath(const std::string& suffix) {
  const std::filesystem::path dir = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
  return dir / ("thinkplan-fuzz-" + std::to_string(::getpid()) + suffix);
}

inline void WriteBytes(const std::filesystem::path& path, const uint8_t* data, size_t size) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, file) != size) std::abort();
  std::fclose(file);
}

// A property the code under test broke: report and abort, so libFuzzer saves the input as a crash.
[[noreturn]] inline void Violation(const std::string& what) {
  std::fprintf(stderr, "fuzz property violated: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

// Runs `body`; an InputError is an accepted outcome, any other exception is a bug.
template <typename Body>
bool AcceptsOrRefuses(Body&& body) {
  try {
    body();
    return true;
  } catch (const InputError&) {
    return false;
  } catch (const std::exception& error) {
    Violation(std::string("unexpected exception: ") + error.what());
  } catch (...) {
    Violation("unexpected non-standard exception");
  }
}

}  // namespace thinkplan::fuzz
