#include "gpu/cuda_loader.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <vector>

namespace thinkplan::gpu {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPluginFile = "libthinkplan_cuda.so";

std::vector<fs::path> Candidates() {
  std::vector<fs::path> out;
  if (const char* env = std::getenv("THINKPLAN_CUDA_PLUGIN"); env != nullptr && *env != '\0') out.emplace_back(env);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    out.push_back(exe.parent_path() / kPluginFile);
    out.push_back(exe.parent_path().parent_path() / "lib" / "thinkplan" / kPluginFile);
  }
  return out;
}

struct Loaded {
  const CudaPluginApi* api = nullptr;
  std::string why;
};

Loaded Load() {
#ifndef THINKPLAN_HAVE_CUDA
  return {nullptr, "this build has no CUDA support (configured with THINKPLAN_CUDA=OFF or without nvcc)"};
#else
  std::string looked;
  for (const fs::path& candidate : Candidates()) {
    std::error_code ec;
    if (!fs::is_regular_file(candidate, ec)) {
      looked += (looked.empty() ? "" : ", ") + candidate.string();
      continue;
    }
    // RTLD_LOCAL: the plugin's CUDA symbols stay its own. The handle is never closed (the runtime's atexit
    // handlers live in it).
    void* handle = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* error = dlerror();
      return {nullptr, "cannot load the CUDA plugin " + candidate.string() + ": " + (error ? error : "unknown error")};
    }
    const auto entry = reinterpret_cast<CudaPluginEntryPoint>(dlsym(handle, kCudaPluginEntryPoint));
    if (entry == nullptr) return {nullptr, candidate.string() + " is not a thinkplan CUDA plugin"};
    const CudaPluginApi* api = entry();
    if (api == nullptr || api->abi_version != kCudaPluginAbiVersion) {
      return {nullptr, candidate.string() + " is from another thinkplan build (plugin ABI " +
                           std::to_string(api ? api->abi_version : 0) + ", expected " +
                           std::to_string(kCudaPluginAbiVersion) + "); rebuild or reinstall"};
    }
    return {api, ""};
  }
  return {nullptr, "the CUDA plugin " + std::string(kPluginFile) + " was not found (looked in " + looked +
                       "; set THINKPLAN_CUDA_PLUGIN to its path)"};
#endif
}

}  // namespace

const CudaPluginApi* CudaPlugin(std::string* why) {
  static std::once_flag once;
  static Loaded loaded;
  std::call_once(once, [] { loaded = Load(); });
  if (loaded.api == nullptr && why != nullptr) *why = loaded.why;
  return loaded.api;
}

std::string CudaPluginSearchPath() {
  std::string out;
  for (const fs::path& candidate : Candidates()) out += (out.empty() ? "" : ":") + candidate.string();
  return out;
}

}  // namespace thinkplan::gpu
