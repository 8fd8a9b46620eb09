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
# THINKPLAN_WERROR=ON (as CI sets it) makes every compiler warning an error.
if [ -n "${THINKPLAN_WERROR:-}" ]; then args+=(-DTHINKPLAN_WERROR="$THINKPLAN_WERROR"); fi
generator=()
if command -v ninja >/dev/null 2>&1 && [ ! -f "$dir/Makefile" ]; then generator=(-G Ninja); fi
# ccache, when installed, keeps objects between configurations and clones (a fresh clone rebuilds in seconds);
# without it the build is the same, only slower.
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
  # Paths below the checkout's parent are hashed relative to the build folder, and the working directory is left
  # out of the hash (only debug information's compilation folder would differ), so clones share the cache.
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$(cd .. && pwd)}" CCACHE_NOHASHDIR=1
fi
cmake -S . -B "$dir" "${generator[@]}" "${args[@]}" "${launcher[@]}" "$@"
start=$(date +%s)
cmake --build "$dir" -j "$(nproc)"
echo "build.sh: $dir built in $(( $(date +%s) - start )) s"
