#!/usr/bin/env bash
# Configures and builds thinkplan. Usage: scripts/build.sh [--sanitize] [extra cmake -D options...]
# Release build in build/; with --sanitize, an ASan+UBSan build in build-asan/.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=build
args=(-DCMAKE_BUILD_TYPE=Release)
if [ "${1:-}" = "--sanitize" ]; then
  shift
  dir=build-asan
  # The sanitizer build checks the host code; the CUDA kernels are compiled by the Release build.
  args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DTHINKPLAN_SANITIZE=ON -DTHINKPLAN_CUDA=OFF -DTHINKPLAN_BUILD_BENCH=OFF)
fi
generator=()
if command -v ninja >/dev/null 2>&1 && [ ! -f "$dir/Makefile" ]; then generator=(-G Ninja); fi
cmake -S . -B "$dir" "${generator[@]}" "${args[@]}" "$@"
cmake --build "$dir" -j "$(nproc)"
