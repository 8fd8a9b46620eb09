#!/usr/bin/env bash
# `thinkplan predict` end to end (process start, four fit rows read, the prediction, print) on the demo database:
# median and range of RUNS runs per query, beside `thinkplan predict --help` (process start alone, no database).
# Goal (issue 15): median under 20 ms.
#
#   bench/predict_latency.sh [BUILD_DIR] [RUNS] [DB]     (defaults: ./build, 41, a fresh demo database)
set -euo pipefail

build_dir=${1:-build}
runs=${2:-41}
db=${3:-}
exe="$build_dir/thinkplan"
[[ -x "$exe" ]] || { echo "no $exe: build the thinkplan target first" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/predict_latency.XXXXXX")
trap 'rm -rf "$work"' EXIT
if [[ -z "$db" ]]; then
  db="$work/demo.db"
  "$exe" --db "$db" --quiet demo --out "$work/out" >/dev/null || true  # the fits are stored before the report
fi

# Wall time is what a user waits; CPU time (user + system of the process) is shown beside it because on a shared,
# loaded machine the wall time mostly measures the wait for a core.
/usr/bin/python3 - "$exe" "$db" "$runs" <<'PY'
import resource, statistics, subprocess, sys, time
exe, db, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
queries = {
    "predict --help (start-up only)": ["predict", "--help"],
    "o3-mini tokens 8k, 30 problems": ["predict", "--system", "o3-mini", "--class", "math-competition",
                                       "--tokens", "8k", "--problems", "30"],
    "o1 cons@16, 30 problems": ["predict", "--system", "o1", "--class", "math-competition",
                                "--aggregation", "cons@16", "--problems", "30"],
    "GPT-4o code medium pass@10 --json": ["predict", "--system", "GPT-4O-2024-05-13", "--class", "code",
                                          "--difficulty", "medium", "--aggregation", "pass@10", "--json"],
    "o3-mini tokens 8k, 10000 problems": ["predict", "--system", "o3-mini", "--class", "math-competition",
                                          "--tokens", "8k", "--problems", "10000"],
}
print(f"{runs} runs each after 3 warm-up runs; wall ms min / median / max, CPU ms median")
for name, args in queries.items():
    wall, cpu = [], []
    for i in range(runs + 3):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([exe, "--db", db] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        elapsed = (time.perf_counter() - start) * 1e3
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if i >= 3:
            wall.append(elapsed)
            cpu.append((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1e3)
    print(f"  {name:<36} {min(wall):6.1f} {statistics.median(wall):6.1f} {max(wall):6.1f}   cpu {statistics.median(cpu):6.1f}")
PY
