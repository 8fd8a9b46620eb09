#!/usr/bin/env bash
# Installs the Debian 12 packages thinkplan builds and tests with, skipping those already present.
# Run as root (or with sudo). Safe to run again.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libeigen3-dev libceres-dev libcxxopts-dev libsqlitecpp-dev libsqlite3-dev libboost-test-dev
  nlohmann-json3-dev libfmt-dev librandom123-dev
  libglpk-dev      # GLPK: the independent LP solver the planner's tests check the optimum against
  sqlite3          # the sqlite3 shell: benchmarks compare against its .import; handy to inspect the store
  python3 python3-numpy python3-scipy   # data conversion check and the SciPy side of the benchmarks
  nodejs           # npm ci of the report's pinned chart runtime (scripts/install-web-deps.sh)
  chromium         # the headless browser that tests the HTML report (tests/cli/test_cli_report.cpp)
  ccache           # keeps compiled objects between builds and clones (scripts/build.sh uses it when present)
  libyaml-cpp-dev  # an independent YAML reader: tests read the exported policy back with it
  python3-jsonschema  # an independent JSON Schema validator: tests check exported policies against the schema
  libopenmpi-dev openmpi-bin libboost-mpi-dev  # thinkplan-mpi: the simulator sharded over MPI ranks
  dpkg-dev         # dpkg-shlibdeps: the .deb's dependencies (cpack; tests/install/install_and_run.sh)
)
# Debian's npm package; a Node.js that ships its own npm (e.g. NodeSource's nodejs) conflicts with it.
if ! command -v npm >/dev/null 2>&1; then packages+=(npm); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

web_deps() { bash "$(dirname "$0")/install-web-deps.sh"; }

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  web_deps
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "install-deps: missing ${missing[*]}; run this script as root" >&2; exit 1
  fi
else
  SUDO=
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
web_deps
