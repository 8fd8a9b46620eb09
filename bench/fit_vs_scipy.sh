#!/usr/bin/env bash
# Sequential-curve fits, thinkplan (Ceres) vs scipy.optimize.minimize, on the same data from the same starts: time
# per fit on one thread for each, the ratio, the largest relative parameter difference, and the time for the whole
# batch of fits with covariance on THREADS threads. The anchor is scipy's L-BFGS-B with the exact gradient of the
# same deviance in the same parametrisation (its fastest method here that honours the bounds). The sides alternate,
# ROUNDS rounds (bench_fit, then scipy on the same data); printed: min / median / max microseconds per fit per side
# and the ratio of medians.
#
#   bench/fit_vs_scipy.sh [BUILD_DIR] [FITS] [SCIPY_FITS] [THREADS] [ROUNDS]  (defaults: ./build, 10000, 1000, 2, 3)
set -euo pipefail

build_dir=${1:-build}
fits=${2:-10000}
scipy_fits=${3:-1000}
threads=${4:-2}
rounds=${5:-3}
bench="$build_dir/bench_fit"
[[ -x "$bench" ]] || { echo "no $bench: build the bench_fit target first" >&2; exit 1; }
/usr/bin/python3 -c "import scipy, numpy" 2>/dev/null || { echo "needs python3-scipy and python3-numpy" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/fit_vs_scipy.XXXXXX")
trap 'rm -rf "$work"' EXIT

for ((round = 1; round <= rounds; round++)); do
  "$bench" --fits "$fits" --threads "$threads" --data "$work/data.csv" --results "$work/results.csv" | tee -a "$work/ours.txt"
  /usr/bin/python3 "$(dirname "$0")/fit_vs_scipy.py" "$work/data.csv" "$work/results.csv" "$scipy_fits" --json \
    >>"$work/rounds.jsonl"
done
/usr/bin/python3 - "$work/rounds.jsonl" <<'PY'
import json, statistics, sys
rounds = [json.loads(line) for line in open(sys.argv[1])]
ours = [r["thinkplan_us_per_fit"] for r in rounds]
theirs = [r["scipy_us_per_fit"] for r in rounds]
last = rounds[-1]
mmm = lambda v: f"{min(v):.2f} / {statistics.median(v):.2f} / {max(v):.2f}"
print(f"{len(rounds)} alternated rounds, microseconds per fit on one thread, min / median / max:")
print(f"  thinkplan (Ceres):      {mmm(ours)}")
print(f"  scipy L-BFGS-B ({last['fits']} fits): {mmm(theirs)}  ({last['failures']} not reported successful)")
ratios = [t / o for t, o in zip(theirs, ours)]
print(f"ratio (scipy / thinkplan): of medians {statistics.median(theirs) / statistics.median(ours):.1f}x, per round "
      f"{min(ratios):.1f} / {statistics.median(ratios):.1f} / {max(ratios):.1f}x")
print(f"parameters (lo, hi, k, b50): largest relative difference {last['worst_relative_difference']:.2e}; median "
      f"{last['median_relative_difference']:.2e}; share of fits within 1e-4: {last['share_within_1e-4']:.4f}")
PY
