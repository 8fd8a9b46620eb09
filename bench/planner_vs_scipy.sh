#!/usr/bin/env bash
# The planner's allocation LP, thinkplan's hull walk vs scipy.optimize.linprog (HiGHS), on the same random
# instance in one run: time of each, the ratio, and the relative difference of the optima.
# Goals (issue 5): at least 50x faster, optimum equal to 1e-9 relative.
#
#   bench/planner_vs_scipy.sh [BUILD_DIR] [CLASSES] [OPTIONS] [SEED]     (defaults: ./build, 1000, 200, 42)
set -euo pipefail

build_dir=${1:-build}
classes=${2:-1000}
options=${3:-200}
seed=${4:-42}
bench="$build_dir/bench/bench_planner"
[[ -x "$bench" ]] || bench="$build_dir/bench_planner"
[[ -x "$bench" ]] || { echo "no bench_planner under $build_dir: build the bench_planner target first" >&2; exit 1; }
/usr/bin/python3 -c "import scipy, numpy" 2>/dev/null || { echo "needs python3-scipy and python3-numpy" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/planner_vs_scipy.XXXXXX")
trap 'rm -rf "$work"' EXIT

ours=$("$bench" --classes "$classes" --options "$options" --seed "$seed" --lp "$work/lp.txt")
theirs=$(/usr/bin/python3 "$(dirname "$0")/planner_vs_scipy.py" "$work/lp.txt")
echo "thinkplan: $ours"
echo "scipy:     $theirs"
/usr/bin/python3 - "$ours" "$theirs" <<'PY'
import json, sys
ours, theirs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
ratio = theirs["best_ms"] / ours["best_ms"]
rel = abs(ours["objective"] - theirs["objective"]) / abs(theirs["objective"])
print(f"{ours['classes']} classes x {ours['options']} options: thinkplan {ours['best_ms']:.2f} ms (median "
      f"{ours['median_ms']:.2f}), scipy HiGHS {theirs['best_ms']:.1f} ms -> {ratio:.0f}x faster "
      f"({'meets' if ratio >= 50 else 'misses'} the 50x goal); relative optimum difference {rel:.2e} "
      f"({'meets' if rel <= 1e-9 else 'misses'} 1e-9)")
PY
