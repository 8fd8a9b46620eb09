#!/usr/bin/env bash
# Fleet simulator throughput against the same fleet model written in SimPy 3, in one run: simulated sequences
# per second on one core for the demo's plan of the default workload. Goals (issue 6): at least 1e6 sequences/s,
# at least 100x SimPy.
#
#   bench/fleet_vs_simpy.sh [BUILD_DIR] [DAYS] [SIMPY_DAYS]     (defaults: ./build, 1, 0.1)
# SimPy runs a shorter stretch (SIMPY_DAYS, from midnight) because a whole day takes it minutes; the comparison
# is of rates; each side reports the best of several runs (5 for thinkplan, 3 for SimPy). Needs python3-simpy3
# (Debian), run with /usr/bin/python3.
set -euo pipefail

build_dir=${1:-build}
days=${2:-1}
simpy_days=${3:-0.1}
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
ours=$("$bench" --db "$work/t.db" --plan 1 --days "$days" --export "$work/scenario.json")
# The same stretch of the day for both, for a like-for-like rate.
ours_short=$("$bench" --db "$work/t.db" --plan 1 --days "$simpy_days" --repeats 5)
theirs=$(/usr/bin/python3 "$(dirname "$0")/fleet_vs_simpy.py" "$work/scenario.json" "$simpy_days" 3)
echo "thinkplan ($days day):   $ours"
echo "thinkplan ($simpy_days day): $ours_short"
echo "simpy ($simpy_days day):     $theirs"
/usr/bin/python3 - "$ours" "$ours_short" "$theirs" <<'PY'
import json, sys
day, short, simpy = (json.loads(a) for a in sys.argv[1:4])
rate = day["sequences_per_s"]
ratio = short["sequences_per_s"] / simpy["sequences_per_s"]
print(f"thinkplan: {day['sequences']} sequences of {day['days']:g} day in {day['best_s']:.3f} s = {rate:.3g}/s on one core "
      f"({'meets' if rate >= 1e6 else 'misses'} the 1e6/s goal)")
print(f"same {short['days']:g} day: thinkplan {short['sequences_per_s']:.3g}/s, SimPy {simpy['sequences_per_s']:.3g}/s "
      f"-> {ratio:.0f}x ({'meets' if ratio >= 100 else 'misses'} the 100x goal)")
PY
