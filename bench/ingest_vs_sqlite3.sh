#!/usr/bin/env bash
# Validated ingest vs the sqlite3 shell's raw .import, on the same generated CSV of runs, in one run.
#
#   bench/ingest_vs_sqlite3.sh [BUILD_DIR] [ROWS]      (defaults: ./build, 1000000)
#
# Both load into a fresh database file with the same settings (WAL, synchronous=NORMAL; thinkplan also sets a
# 64 MiB page cache, and a third line gives .import that cache too) and a runs table with the
# same columns, types and PRIMARY KEY (run_key). `.import` checks nothing; thinkplan validates every field, checks
# duplicates and stored conflicts, creates the catalogue rows the runs name, and also maintains its CHECK
# constraints and foreign keys. Both times are wall-clock
# times of the whole process, from an absent database file to a closed one.
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

now() { date +%s.%N; }

start=$(now)
"$bench" --csv "$csv" --db "$work/thinkplan.db" >"$work/thinkplan.out"
thinkplan_s=$(echo "$(now) - $start" | bc -l)
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

start=$(now)
sqlite3_import "$work/sqlite3.db" ""
sqlite3_s=$(echo "$(now) - $start" | bc -l)
imported=$(sqlite3 "$work/sqlite3.db" "SELECT count(*) FROM runs")

# The same with thinkplan's page cache size, for comparison (not the shell's default).
start=$(now)
sqlite3_import "$work/sqlite3_cache.db" "PRAGMA cache_size = -65536;"
sqlite3_cache_s=$(echo "$(now) - $start" | bc -l)
stored=$(sqlite3 "$work/thinkplan.db" "SELECT count(*) FROM runs")

printf '\n%-28s %10s %12s %14s\n' "loader" "rows" "seconds" "rows/s"
printf '%-28s %10d %12.3f %14.0f\n' "thinkplan ingest" "$stored" "$thinkplan_s" "$(echo "$stored / $thinkplan_s" | bc -l)"
printf '%-28s %10d %12.3f %14.0f\n' "sqlite3 .import" "$imported" "$sqlite3_s" "$(echo "$imported / $sqlite3_s" | bc -l)"
printf '%-28s %10d %12.3f %14.0f\n' "sqlite3 .import, 64 MiB cache" "$imported" "$sqlite3_cache_s" \
  "$(echo "$imported / $sqlite3_cache_s" | bc -l)"
printf 'ratio (sqlite3 .import time / thinkplan time): %.2f  (above 1: thinkplan is faster)\n' \
  "$(echo "$sqlite3_s / $thinkplan_s" | bc -l)"
printf 'ratio with the same 64 MiB cache for sqlite3:   %.2f\n' "$(echo "$sqlite3_cache_s / $thinkplan_s" | bc -l)"
