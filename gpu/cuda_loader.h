// Finds and loads the CUDA plugin (gpu/cuda_plugin_api.h) on first use. Commands that never touch the device
// never load it, so cudart and cuBLAS stay out of their start-up.
#pragma once

#include <string>

#include "gpu/cuda_plugin_api.h"

namespace thinkplan::gpu {

// The plugin's entry points, or null with the one-line reason in `why`: this build has no CUDA, the library was
// not found (it names the places looked in), it could not be loaded (the loader's message, e.g. a missing
// libcudart), or it is from another build (ABI version). Loads once per process; thread-safe.
const CudaPluginApi* CudaPlugin(std::string* why);

// Where the plugin is looked for, in order: $THINKPLAN_CUDA_PLUGIN, then beside the executable (a build tree),
// then <executable>/../lib/thinkplan/ (an installed tree).
std::string CudaPluginSearchPath();

}  // namespace thinkplan::gpu
