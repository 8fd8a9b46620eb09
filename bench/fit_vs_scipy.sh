#!/usr/bin/env bash
# Sequential-curve fits, thinkplan (Ceres) vs scipy.optimize.minimize, on the same data from the same starts, in
# one run: time per fit for each, the ratio, the largest relative parameter difference, and the time for the whole
# batch of fits with covariance on THREADS threads.
#
#   bench/fit_vs_scipy.sh [BUILD_DIR] [FITS] [SCIPY_FITS] [THREADS]     (defaults: ./build, 10000, 1000, 2)
set -euo pipefail

build_dir=${1:-build}
fits=${2:-10000}
scipy_fits=${3:-1000}
threads=${4:-2}
bench="$build_dir/bench_fit"
[[ -x "$bench" ]] || { echo "no $bench: build the bench_fit target first" >&2; exit 1; }
/usr/bin/python3 -c "import scipy, numpy" 2>/dev/null || { echo "needs python3-scipy and python3-numpy" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/fit_vs_scipy.XXXXXX")
trap 'rm -rf "$work"' EXIT

"$bench" --fits "$fits" --threads "$threads" --data "$work/data.csv" --results "$work/results.csv"
/usr/bin/python3 "$(dirname "$0")/fit_vs_scipy.py" "$work/data.csv" "$work/results.csv" "$scipy_fits"
