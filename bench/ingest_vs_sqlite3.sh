#!/usr/bin/env bash
# Validated ingest vs the sqlite3 shell's raw .import, on the same generated CSV of runs, sides alternated.
#
#   bench/ingest_vs_sqlite3.sh [BUILD_DIR] [ROWS] [ROUNDS]     (defaults: ./build, 1000000, 3)
#
# Each round loads the CSV three times, in turn, into a fresh database file: thinkplan, `.import` with the shell's
# default page cache, and `.import` with thinkplan's 64 MiB page cache. All three use the same durability (WAL,
# synchronous=NORMAL) and a runs table with the same columns, types and PRIMARY KEY (run_key). `.import` checks
# nothing; thinkplan validates every field, checks duplicates and stored conflicts, creates the catalogue rows the
# runs name, and maintains its foreign keys.
#
# The anchor is .import at its stronger cache setting (the lower median of the two). Times are those of the whole
# process, from an absent database file to a closed one: wall clock, and CPU (user + system), which is steadier on
# a shared machine. Printed: min / median / max per loader and the ratio of medians (above 1: thinkplan is faster).
set -euo pipefail

build_dir=${1:-build}
rows=${2:-1000000}
rounds=${3:-3}
bench="$build_dir/bench_ingest"
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 shell (apt-get install sqlite3)" >&2; exit 1; }
[[ -x "$bench" ]] || { echo "no $bench: build the bench_ingest target first" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/ingest_vs_sqlite3.XXXXXX")
trap 'rm -rf "$work"' EXIT
csv="$work/runs.csv"

"$bench" --rows "$rows" --csv "$csv" --generate-only

# timed NAME COMMAND...: runs the command, appends "wall cpu" seconds to $work/NAME.times.
TIMEFORMAT='%R %U %S'
timed() {
  local name=$1
  shift
  { time "$@" >"$work/$name.out" 2>&1; } 2>"$work/$name.time"
  awk '{ printf "%s %.3f\n", $1, $2 + $3 }' "$work/$name.time" >>"$work/$name.times"
}

# $1: database file, $2: extra pragma.
sqlite3_import() {
sqlite3 "$1" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
$2
CREATE TABLE runs (
  run_key TEXT PRIMARY KEY NOT NULL, source TEXT, system TEXT, hardware TEXT, task_class TEXT, difficulty TEXT,
  benchmark TEXT, mode TEXT, budget_tokens REAL, effort TEXT, samples INTEGER, aggregation TEXT,
  n_problems INTEGER, n_correct REAL, mean_output_tokens REAL, mean_input_tokens REAL, latency_p50_s REAL,
  latency_p95_s REAL, gpu_seconds REAL, cost_usd REAL, citation TEXT);
.import --csv --skip 1 $csv runs
SQL
}

for ((round = 1; round <= rounds; round++)); do
  rm -f "$work"/*.db "$work"/*.db-wal "$work"/*.db-shm
  timed thinkplan "$bench" --csv "$csv" --db "$work/thinkplan.db"
  timed sqlite3 sqlite3_import "$work/sqlite3.db" ""
  timed sqlite3_cache sqlite3_import "$work/sqlite3_cache.db" "PRAGMA cache_size = -65536;"
  echo "round $round of $rounds done" >&2
done
cat "$work/thinkplan.out"
stored=$(sqlite3 "$work/thinkplan.db" "SELECT count(*) FROM runs")
imported=$(sqlite3 "$work/sqlite3.db" "SELECT count(*) FROM runs")
[[ "$stored" == "$imported" ]] || { echo "row counts differ: thinkplan $stored, .import $imported" >&2; exit 1; }

/usr/bin/python3 - "$work" "$stored" "$rounds" <<'PY'
import statistics, sys
work, rows, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def load(name):
    pairs = [tuple(map(float, line.split())) for line in open(f"{work}/{name}.times")]
    return [p[0] for p in pairs], [p[1] for p in pairs]
loaders = {"thinkplan ingest": load("thinkplan"), "sqlite3 .import": load("sqlite3"),
           "sqlite3 .import, 64 MiB cache": load("sqlite3_cache")}
def mmm(xs): return f"{min(xs):7.2f} {statistics.median(xs):7.2f} {max(xs):7.2f}"
print(f"\n{rows} rows, {rounds} alternated rounds; seconds min / median / max")
print(f"{'loader':31s} {'wall':>23s}   {'CPU (user + sys)':>23s}   rows/s (median wall)")
for name, (wall, cpu) in loaders.items():
    print(f"{name:31s} {mmm(wall)}   {mmm(cpu)}   {rows / statistics.median(wall):12.0f}")
anchor = min(["sqlite3 .import", "sqlite3 .import, 64 MiB cache"],
             key=lambda n: statistics.median(loaders[n][1]))
ours = loaders["thinkplan ingest"]
for what, i in (("wall", 0), ("CPU", 1)):
    ratios = [a / t for a, t in zip(loaders[anchor][i], ours[i])]
    print(f"ratio {what} (anchor / thinkplan, per round) min / median / max: {min(ratios):.2f} / "
          f"{statistics.median(ratios):.2f} / {max(ratios):.2f}; of medians {statistics.median(loaders[anchor][i]) / statistics.median(ours[i]):.2f}")
print(f"anchor: {anchor} (the faster .import setting by median CPU); above 1: thinkplan is faster")
PY
