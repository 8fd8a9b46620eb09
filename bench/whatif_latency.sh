#!/usr/bin/env bash
# `thinkplan whatif --plan ID --set budget=2x` end to end (process start, database read, two solves, print) on
# the demo database: median and range of RUNS runs. Goal (issue 5): median under 50 ms.
#
#   bench/whatif_latency.sh [BUILD_DIR] [RUNS] [DB]     (defaults: ./build, 20, a fresh demo database)
# With no DB, a scratch database is made by `thinkplan demo` and the default workload is planned into it.
set -euo pipefail

build_dir=${1:-build}
runs=${2:-20}
db=${3:-}
exe="$build_dir/thinkplan"
[[ -x "$exe" ]] || { echo "no $exe: build the thinkplan target first" >&2; exit 1; }
root=$(cd "$(dirname "$0")/.." && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/whatif_latency.XXXXXX")
trap 'rm -rf "$work"' EXIT
if [[ -z "$db" ]]; then
  db="$work/demo.db"
  "$exe" --db "$db" --quiet demo >/dev/null
fi
plan_id=$("$exe" --db "$db" --json plan "$root/data/workloads/default.json" |
          /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["plan_id"])')

times=()
for ((i = 0; i < runs; ++i)); do
  start=$(date +%s%N)
  "$exe" --db "$db" whatif --plan "$plan_id" --set budget=2x --no-store >/dev/null
  end=$(date +%s%N)
  times+=($(( (end - start) / 1000 )))
done
printf '%s\n' "${times[@]}" | /usr/bin/python3 -c '
import statistics, sys
us = [int(line) for line in sys.stdin]
median = statistics.median(us) / 1e3
verdict = "meets" if median < 50 else "misses"
print(f"whatif --plan {sys.argv[1]} --set budget=2x, {len(us)} runs: median {median:.1f} ms, "
      f"min {min(us) / 1e3:.1f} ms, max {max(us) / 1e3:.1f} ms ({verdict} the 50 ms goal)")' "$plan_id"
