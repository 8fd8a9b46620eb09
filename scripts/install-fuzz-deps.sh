#!/usr/bin/env bash
# Installs clang 14 and libFuzzer for scripts/fuzz.sh (Debian 12), skipping what is present. Run as root or with
# sudo. Kept apart from install-deps.sh: only the fuzz run needs a second compiler.
set -euo pipefail

# -fsanitize=fuzzer links clang's own libFuzzer runtime from libclang-rt-14-dev; the standalone libFuzzer.a of
# libfuzzer-14-dev is not needed for that.
packages=(clang-14 libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then missing+=("$p"); fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-fuzz-deps: all ${#packages[@]} packages present"
  exit 0
fi
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "install-fuzz-deps: missing ${missing[*]}; run this script as root" >&2; exit 1
  fi
fi
echo "install-fuzz-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
