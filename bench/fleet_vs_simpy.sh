#!/usr/bin/env bash
# Fleet simulator throughput against the same fleet model written in SimPy 3 (bench/fleet_vs_simpy.py): simulated
# sequences per second on one core for the demo's plan of the default workload, over the same stretch of days.
# Goals (issue 19 item 4): 100x SimPy over a whole day, single runs and best-of both reported.
#
#   bench/fleet_vs_simpy.sh [BUILD_DIR] [DAYS] [ROUNDS]     (defaults: ./build, 1, 3)
#
# The sides alternate, ROUNDS rounds, each side one run per round (SimPy takes minutes for a whole day; DAYS 0.1
# gives a quick check). Each run is timed by wall clock and by its process's CPU clock, one thread. Printed: min /
# median / max sequences per second per side, the ratio of medians (single runs) and the ratio of the best runs
# (best-of), by CPU and by wall. Needs python3-simpy3 (Debian), run with /usr/bin/python3.
set -euo pipefail

build_dir=${1:-build}
days=${2:-1}
rounds=${3:-3}
bench="$build_dir/bench/bench_fleet"
[[ -x "$bench" ]] || bench="$build_dir/bench_fleet"
[[ -x "$bench" ]] || { echo "no bench_fleet under $build_dir: build the bench_fleet and thinkplan targets first" >&2; exit 1; }
thinkplan="$build_dir/thinkplan"
[[ -x "$thinkplan" ]] || thinkplan="$build_dir/cli/thinkplan"
[[ -x "$thinkplan" ]] || { echo "no thinkplan under $build_dir" >&2; exit 1; }
/usr/bin/python3 -c "import simpy" 2>/dev/null || { echo "needs python3-simpy3 (apt-get install -y python3-simpy3)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/fleet_vs_simpy.XXXXXX")
trap 'rm -rf "$work"' EXIT

"$thinkplan" --db "$work/t.db" demo --out "$work/out" --quiet >/dev/null
"$bench" --db "$work/t.db" --plan 1 --days 0.01 --repeats 1 --export "$work/scenario.json" >/dev/null
for ((round = 1; round <= rounds; round++)); do
  "$bench" --db "$work/t.db" --plan 1 --days "$days" --repeats 1 >>"$work/ours.jsonl"
  /usr/bin/python3 "$(dirname "$0")/fleet_vs_simpy.py" "$work/scenario.json" "$days" 1 >>"$work/simpy.jsonl"
  echo "round $round of $rounds done" >&2
done
/usr/bin/python3 - "$work/ours.jsonl" "$work/simpy.jsonl" "$days" <<'PY'
import json, statistics, sys
ours = [json.loads(line) for line in open(sys.argv[1])]
simpy = [json.loads(line) for line in open(sys.argv[2])]
days = float(sys.argv[3])
whole = lambda o: next(a for a in o["arms"] if a["arm"] == "whole")
rates = {
    ("thinkplan", "CPU"): [whole(o)["sequences_per_cpu_s"]["median"] for o in ours],
    ("thinkplan", "wall"): [whole(o)["sequences_per_wall_s"]["median"] for o in ours],
    ("SimPy", "CPU"): [s["sequences"] / s["cpu_s"][0] for s in simpy],
    ("SimPy", "wall"): [s["sequences"] / s["wall_s"][0] for s in simpy],
}
print(f"{days:g} day(s), {len(ours)} alternated rounds; thinkplan {ours[-1]['sequences']} sequences, "
      f"SimPy {simpy[-1]['sequences']}; load average {ours[0]['load_average_before']:.1f} at the start")
print("sequences per second, min / median / max:")
for (side, clock), v in rates.items():
    print(f"  {side:9s} {clock:4s}  {min(v):10.3g} {statistics.median(v):10.3g} {max(v):10.3g}")
for clock in ("CPU", "wall"):
    a, b = rates[("thinkplan", clock)], rates[("SimPy", clock)]
    single = statistics.median(a) / statistics.median(b)
    best = max(a) / max(b)
    rounds = [x / y for x, y in zip(a, b)]
    print(f"ratio by {clock}: single runs (medians) {single:.0f}x, best-of {best:.0f}x, per round min / median / max "
          f"{min(rounds):.0f} / {statistics.median(rounds):.0f} / {max(rounds):.0f}x "
          f"({'meets' if min(single, best) >= 100 else 'misses'} the 100x goal)")
PY
