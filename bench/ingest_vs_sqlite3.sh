#!/usr/bin/env bash
# Validated ingest vs the sqlite3 shell's raw .import, on the same generated CSV of runs, in one run.
#
#   bench/ingest_vs_sqlite3.sh [BUILD_DIR] [ROWS]      (defaults: ./build, 1000000)
#
# Both load into a fresh database file with the same settings (WAL, synchronous=NORMAL; thinkplan also sets a
# 64 MiB page cache, and a third line gives .import that cache too) and a runs table with the
# same columns, types and PRIMARY KEY (run_key). `.import` checks nothing; thinkplan validates every field, checks
# duplicates and stored conflicts, creates the catalogue rows the runs name, and also maintains its
# foreign keys. Times are those of the whole process, from an absent database file to a closed one: wall clock,
# and CPU (user + system), which is steadier on a shared machine.
set -euo pipefail

build_dir=${1:-build}
rows=${2:-1000000}
bench="$build_dir/bench_ingest"
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 shell (apt-get install sqlite3)" >&2; exit 1; }
[[ -x "$bench" ]] || { echo "no $bench: build the bench_ingest target first" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/ingest_vs_sqlite3.XXXXXX")
trap 'rm -rf "$work"' EXIT
csv="$work/runs.csv"

"$bench" --rows "$rows" --csv "$csv" --generate-only

# timed NAME COMMAND...: runs the command, leaves "wall user sys" seconds in $work/NAME.time.
TIMEFORMAT='%R %U %S'
timed() {
  local name=$1
  shift
  { time "$@" >"$work/$name.out" 2>&1; } 2>"$work/$name.time"
}
field() { cut -d' ' -f"$2" "$work/$1.time"; }
cpu() { echo "$(field "$1" 2) + $(field "$1" 3)" | bc -l; }

timed thinkplan "$bench" --csv "$csv" --db "$work/thinkplan.db"
thinkplan_s=$(field thinkplan 1)
cat "$work/thinkplan.out"

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

timed sqlite3 sqlite3_import "$work/sqlite3.db" ""
sqlite3_s=$(field sqlite3 1)
imported=$(sqlite3 "$work/sqlite3.db" "SELECT count(*) FROM runs")

# The same with thinkplan's page cache size, for comparison (not the shell's default).
timed sqlite3_cache sqlite3_import "$work/sqlite3_cache.db" "PRAGMA cache_size = -65536;"
sqlite3_cache_s=$(field sqlite3_cache 1)
stored=$(sqlite3 "$work/thinkplan.db" "SELECT count(*) FROM runs")

printf '\n%-30s %10s %10s %12s %10s\n' "loader" "rows" "wall s" "rows/s" "CPU s"
row() { printf '%-30s %10d %10.3f %12.0f %10.2f\n' "$1" "$2" "$3" "$(echo "$2 / $3" | bc -l)" "$4"; }
row "thinkplan ingest" "$stored" "$thinkplan_s" "$(cpu thinkplan)"
row "sqlite3 .import" "$imported" "$sqlite3_s" "$(cpu sqlite3)"
row "sqlite3 .import, 64 MiB cache" "$imported" "$sqlite3_cache_s" "$(cpu sqlite3_cache)"
printf 'ratio (sqlite3 .import time / thinkplan time): wall %.2f, CPU %.2f  (above 1: thinkplan is faster)\n' \
  "$(echo "$sqlite3_s / $thinkplan_s" | bc -l)" "$(echo "$(cpu sqlite3) / $(cpu thinkplan)" | bc -l)"
printf 'ratio with the same 64 MiB cache for sqlite3:   wall %.2f, CPU %.2f\n' \
  "$(echo "$sqlite3_cache_s / $thinkplan_s" | bc -l)" "$(echo "$(cpu sqlite3_cache) / $(cpu thinkplan)" | bc -l)"
