#!/usr/bin/env bash
# The serving-rate fit on the 4,772 Argonne perf runs: `thinkplan fit --kind cost --refit` (Ceres, every group
# plus its leave-one-batch-out refits, stored in the database) against the same fits with scipy's least_squares
# (bench/cost_fit_vs_scipy.py), both pinned to one core, alternating, REPEATS times each. Prints min / median / max
# wall seconds per side, the ratio of medians, and each side's leave-one-batch-out median and p90.
#
#   bench/cost_fit_vs_scipy.sh [BUILD_DIR] [REPEATS]     (defaults: ./build, 5)
set -euo pipefail

build_dir=${1:-build}
repeats=${2:-5}
exe="$build_dir/thinkplan"
here=$(cd "$(dirname "$0")" && pwd)
data="$here/../data"
[[ -x "$exe" ]] || { echo "no $exe: build the thinkplan target first" >&2; exit 1; }
/usr/bin/python3 -c "import scipy, numpy" 2>/dev/null || { echo "needs python3-scipy and python3-numpy" >&2; exit 1; }
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)

work=$(mktemp -d "${TMPDIR:-/tmp}/cost_fit_vs_scipy.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$exe" --db "$work/t.db" --quiet ingest "$data/public/argonne/perf.csv" >/dev/null

ours=()
for ((i = 0; i < repeats; i++)); do
  start=$(date +%s.%N)
  "${pin[@]}" "$exe" --db "$work/t.db" --quiet fit --kind cost --refit --json >"$work/fits.json"
  end=$(date +%s.%N)
  ours+=("$(echo "$end - $start" | bc)")
  "${pin[@]}" /usr/bin/python3 "$here/cost_fit_vs_scipy.py" "$data" 1 >>"$work/scipy.txt"
done

/usr/bin/python3 - "$work/fits.json" "$work/scipy.txt" "${ours[@]}" <<'PY'
import json, statistics, sys
fits = json.load(open(sys.argv[1]))
ours = sorted(float(t) for t in sys.argv[3:])
lines = open(sys.argv[2]).read().splitlines()
theirs = sorted(float(l.split()[-1]) for l in lines if l.startswith("scipy seconds"))
runs = [f["validation"] for f in fits if f.get("kind") == "cost" and "validation" in f and f["validation"]["runs"]]
print(f"thinkplan fit --kind cost: {len(runs)} groups validated")
for l in lines[:1]:
    print(l)
fmt = lambda xs: f"{min(xs):.3f} / {statistics.median(xs):.3f} / {max(xs):.3f} s"
print(f"thinkplan (Ceres)    min / median / max: {fmt(ours)}")
print(f"scipy least_squares  min / median / max: {fmt(theirs)}")
print(f"ratio of medians (scipy / thinkplan): {statistics.median(theirs) / statistics.median(ours):.1f}x")
PY
