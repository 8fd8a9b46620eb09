#!/usr/bin/env bash
# Resource check, run by hand (not in CI): ingests a generated runs file of N rows (default 10,000,000) into a
# fresh database and reports time, peak resident memory (/usr/bin/time -v) and the stored row count.
# Usage: tests/reliability/scale_ingest.sh [ROWS] [THINKPLAN_EXE]   (default exe: build/thinkplan)
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:-10000000}
exe=${2:-build/thinkplan}
work=$(mktemp -d "${TMPDIR:-/tmp}/thinkplan-scale.XXXXXX")
trap 'rm -rf "$work"' EXIT

awk -v n="$rows" 'BEGIN {
  print "run_key,source,system,task_class,mode,budget_tokens,samples,aggregation,n_problems,n_correct,mean_output_tokens"
  for (i = 0; i < n; i++)
    printf "scale:%d,measured,sys-%d,class-%d,extended,%d,4,cons@4,100,%d,%d.5\n", i, i % 50, i % 7, 1000 + (i % 7) * 1000, i % 101, 500 + i % 997
}' > "$work/runs.csv"
echo "scale_ingest: $rows rows, $(du -h "$work/runs.csv" | cut -f1) of CSV"
/usr/bin/time -v "$exe" ingest --quiet --db "$work/store.db" "$work/runs.csv" 2> "$work/time.txt"
grep -E "Elapsed|Maximum resident" "$work/time.txt"
stored=$(sqlite3 "$work/store.db" "SELECT count(*) FROM runs")
echo "scale_ingest: $stored rows stored; database $(du -h "$work/store.db" | cut -f1)"
[ "$stored" -eq "$rows" ]
