#!/usr/bin/env bash
# The planner's allocation LP, thinkplan's hull walk vs scipy.optimize.linprog (HiGHS) on the same random
# instance: HiGHS' interior point (its fastest method on this LP) and dual simplex, each reported, the ratio taken
# against the faster of the two. The sides alternate, ROUNDS rounds: each round runs the hull walk (its median of
# 7 solves in one process, wall and CPU) and one interior-point solve; the dual simplex, about a minute a solve,
# runs DS_ROUNDS times (default 1). Prints min / median / max per side and the ratio of medians, and the relative
# difference of the optima.
# Goals (issue 19): the hull walk under 10 ms on one core for 1,000 x 200; optimum equal to 1e-9 relative.
#
#   bench/planner_vs_scipy.sh [BUILD_DIR] [CLASSES] [OPTIONS] [SEED] [ROUNDS] [DS_ROUNDS]
#   (defaults: ./build, 1000, 200, 42, 5, 1)
set -euo pipefail

build_dir=${1:-build}
classes=${2:-1000}
options=${3:-200}
seed=${4:-42}
rounds=${5:-5}
ds_rounds=${6:-1}
bench="$build_dir/bench/bench_planner"
[[ -x "$bench" ]] || bench="$build_dir/bench_planner"
[[ -x "$bench" ]] || { echo "no bench_planner under $build_dir: build the bench_planner target first" >&2; exit 1; }
/usr/bin/python3 -c "import scipy, numpy" 2>/dev/null || { echo "needs python3-scipy and python3-numpy" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/planner_vs_scipy.XXXXXX")
trap 'rm -rf "$work"' EXIT
script="$(dirname "$0")/planner_vs_scipy.py"

"$bench" --classes "$classes" --options "$options" --seed "$seed" --repeat 1 --lp "$work/lp.txt" > /dev/null
for ((r = 1; r <= rounds; ++r)); do
  "$bench" --classes "$classes" --options "$options" --seed "$seed" --repeat 7 >> "$work/ours.jsonl"
  /usr/bin/python3 "$script" "$work/lp.txt" highs-ipm 1 >> "$work/ipm.jsonl"
  if ((r <= ds_rounds)); then /usr/bin/python3 "$script" "$work/lp.txt" highs-ds 1 >> "$work/ds.jsonl"; fi
  echo "round $r of $rounds done (load average $(cut -d' ' -f1 /proc/loadavg))" >&2
done

/usr/bin/python3 - "$work" "$classes" "$options" <<'PY'
import json, statistics, sys
work, classes, options = sys.argv[1], sys.argv[2], sys.argv[3]
read = lambda name: [json.loads(line) for line in open(f"{work}/{name}.jsonl")]
ours, ipm, ds = read("ours"), read("ipm"), read("ds")
def spread(values):
    return min(values), statistics.median(values), max(values)
def show(name, values):
    lo, mid, hi = spread(values)
    print(f"  {name:<34} {lo:10.2f} / {mid:10.2f} / {hi:10.2f} ms")
    return mid
print(f"{classes} classes x {options} options, min / median / max over the rounds:")
ours_wall = show("thinkplan hull walk (wall)", [o["median_ms"] for o in ours])
ours_cpu = show("thinkplan hull walk (CPU)", [o["median_cpu_ms"] for o in ours])
ipm_ms = show("HiGHS interior point (wall)", [t for o in ipm for t in o["times_ms"]])
ds_ms = show("HiGHS dual simplex (wall)", [t for o in ds for t in o["times_ms"]])
best_name, best = min((("interior point", ipm_ms), ("dual simplex", ds_ms)), key=lambda x: x[1])
objective = ours[0]["objective"]
rel = max(abs(objective - o["objective"]) / abs(o["objective"]) for o in ipm + ds)
print(f"ratio of medians: HiGHS' faster method ({best_name}) / thinkplan = {best / ours_wall:.0f}x "
      f"(interior point {ipm_ms / ours_wall:.0f}x, dual simplex {ds_ms / ours_wall:.0f}x)")
print(f"thinkplan median {ours_wall:.2f} ms wall, {ours_cpu:.2f} ms CPU: "
      f"{'meets' if ours_cpu < 10 else 'misses'} the 10 ms goal; "
      f"largest relative difference of the optima {rel:.2e} ({'meets' if rel <= 1e-9 else 'misses'} 1e-9)")
PY
