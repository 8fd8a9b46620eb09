#!/usr/bin/env bash
# Builds the libFuzzer targets with clang 14 (ASan + UBSan, in build-fuzz/) and runs each for a set time, one
# target at a time. Seeds come from small slices of the shipped data; each target's corpus grows in
# build-fuzz/corpus/<target> and crashing inputs land in build-fuzz/artifacts/<target>/.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default 60 s, every target)
#        scripts/fuzz.sh --changed SECONDS CHANGED_SECONDS [TARGET...]
#   --changed: every target runs SECONDS, and CHANGED_SECONDS where the code it instruments (its folders in
#   target_folders below, or its own source in fuzz/) changed in the commits of the day before HEAD's commit - the
#   fuzz budget goes where the code is new.
# Exit status 1 when any target crashed, leaked, hung or broke a property; the table of executions is printed
# and kept in build-fuzz/fuzz-summary.md.
set -euo pipefail
cd "$(dirname "$0")/.."

changed_mode=no
if [ "${1:-}" = "--changed" ]; then
  changed_mode=yes
  shift
  changed_seconds=${2:?"--changed needs SECONDS and CHANGED_SECONDS"}
  seconds=$1
  shift 2
else
  seconds=${1:-60}
  shift || true
fi
all=(fuzz_csv_reader fuzz_ingest_runs fuzz_ingest_problems fuzz_ingest_perf fuzz_ingest_systems
     fuzz_ingest_hardware fuzz_ingest_models fuzz_ingest_prices fuzz_ingest_jsonl fuzz_fit fuzz_workload fuzz_whatif fuzz_policy)
targets=("${@:-${all[@]}}")

# The source folders (and fuzz/ files) whose code each target runs, for --changed.
target_folders() {
  case "$1" in
    fuzz_csv_reader) echo "core/ store/ fuzz/fuzz_csv_reader.cpp" ;;
    fuzz_ingest_*) echo "core/ store/ fuzz/fuzz_ingest.cpp" ;;
    fuzz_fit) echo "core/ store/ fitting/ fuzz/fuzz_fit.cpp" ;;
    fuzz_workload) echo "core/ planner/workload fuzz/fuzz_workload.cpp" ;;
    fuzz_whatif) echo "core/ store/ fitting/ planner/ fuzz/fuzz_whatif.cpp" ;;
    fuzz_policy) echo "core/ store/ planner/ fuzz/fuzz_policy.cpp" ;;
    *) echo "core/" ;;
  esac
}
changed_files=""
if [ "$changed_mode" = yes ] && git rev-parse HEAD >/dev/null 2>&1; then
  since=$(date -d "$(git log -1 --format=%cI HEAD) - 1 day" --iso-8601=seconds)
  changed_files=$(git log --since="$since" --name-only --format= HEAD | sort -u)
fi
budget_of() {  # the seconds for one target
  [ "$changed_mode" = yes ] || { echo "$seconds"; return; }
  local prefix
  for prefix in $(target_folders "$1"); do
    if grep -q "^$prefix" <<<"$changed_files"; then echo "$changed_seconds"; return; fi
  done
  echo "$seconds"
}
dir=build-fuzz
jobs=${FUZZ_BUILD_JOBS:-$(nproc)}

generator=()
if command -v ninja >/dev/null 2>&1 && [ ! -f "$dir/Makefile" ]; then generator=(-G Ninja); fi
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  # Paths below the checkout's parent are hashed relative to the build folder, and the working directory is left
  # out of the hash (only debug information's compilation folder would differ), so clones share the cache.
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$(cd .. && pwd)}" CCACHE_NOHASHDIR=1
fi
build_start=$(date +%s)
cmake -S . -B "$dir" "${generator[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-14 \
  -DCMAKE_CXX_COMPILER=clang++-14 -DTHINKPLAN_FUZZ=ON -DTHINKPLAN_CUDA=OFF -DTHINKPLAN_BUILD_TESTS=OFF \
  -DTHINKPLAN_BUILD_BENCH=OFF -DTHINKPLAN_WERROR="${THINKPLAN_WERROR:-OFF}" >/dev/null
cmake --build "$dir" -j "$jobs" --target "${targets[@]}"
echo "fuzz.sh: build took $(( $(date +%s) - build_start )) s"

# Seeds: the first rows of each shipped file of the kind, as CSV, and the same rows as JSON Lines.
seed() {  # seed <target> <files...>
  local out="$dir/corpus/$1"; shift
  mkdir -p "$out"
  local f
  for f in "$@"; do
    head -n 6 "$f" > "$out/seed-$(basename "$(dirname "$f")")-$(basename "$f")"
  done
}
seed fuzz_csv_reader data/published/runs.csv data/published/systems.csv data/public/argonne/perf.csv
seed fuzz_ingest_runs data/published/runs.csv data/public/deepseek_r1/runs.csv data/public/matharena/runs.csv
seed fuzz_ingest_problems data/public/routellm/problems.csv data/public/matharena/problems.csv
seed fuzz_ingest_perf data/public/argonne/perf.csv
seed fuzz_ingest_systems data/published/systems.csv
seed fuzz_ingest_hardware data/published/hardware.csv
seed fuzz_ingest_models data/models/models.csv
seed fuzz_ingest_prices data/published/prices.csv
mkdir -p "$dir/corpus/fuzz_ingest_jsonl" "$dir/corpus/fuzz_fit" "$dir/corpus/fuzz_workload"
for f in data/published/runs.csv data/published/systems.csv data/published/hardware.csv \
         data/public/argonne/perf.csv data/public/routellm/problems.csv; do
  python3 - "$f" "$dir/corpus/fuzz_ingest_jsonl/seed-$(basename "$(dirname "$f")")-$(basename "$f" .csv).jsonl" <<'PY'
import csv, json, sys
with open(sys.argv[1], newline="") as src, open(sys.argv[2], "w") as out:
    for i, row in enumerate(csv.DictReader(src)):
        if i == 5: break
        out.write(json.dumps({k: v for k, v in row.items() if v != ""}) + "\n")
PY
done
head -c 512 /dev/zero | tr '\0' '\1' > "$dir/corpus/fuzz_fit/seed-ones"
cp data/workloads/*.json "$dir/corpus/fuzz_workload/"
# Policy seeds: the shipped workloads, and the default one with hostile workload, class and bucket names (quotes,
# backslashes, control characters, YAML indicators, non-ASCII) that every exported string must carry escaped.
mkdir -p "$dir/corpus/fuzz_policy"
cp data/workloads/*.json "$dir/corpus/fuzz_policy/"
python3 - data/workloads/default.json "$dir/corpus/fuzz_policy/seed-hostile-names.json" <<'PY'
import json, sys
w = json.load(open(sys.argv[1]))
names = ['chat "quoted" \\ back', "- yaml: [indicator] # not a comment", "tab\tand\x01soh\x1b[31m",
         "\u202eright-to-left \u00e9\u6f22\U0001F600", "'); DROP TABLE plans;--"]
w["name"] = 'default "hostile" \\ names\n- x: y'
for c, name in zip(w["classes"], names):
    c["name"] = name
    for b in c["buckets"]:
        if "name" in b:
            b["name"] += ': "x"\n- y'
json.dump(w, open(sys.argv[2], "w"), ensure_ascii=False)
PY
mkdir -p "$dir/corpus/fuzz_whatif"
printf "budget=50000" > "$dir/corpus/fuzz_whatif/seed-budget"
printf "volume.code=2x" > "$dir/corpus/fuzz_whatif/seed-volume"
printf "price.o3-mini.out=4.4" > "$dir/corpus/fuzz_whatif/seed-price"
printf "slo.code=30" > "$dir/corpus/fuzz_whatif/seed-slo"
printf "verifier.code.auc=0.8" > "$dir/corpus/fuzz_whatif/seed-verifier"

if [ "$changed_mode" = yes ]; then
  for t in "${targets[@]}"; do echo "fuzz.sh: $t: $(budget_of "$t") s"; done
fi

summary="$dir/fuzz-summary.md"
{
  echo "| target | seconds | executions | exec/s | corpus | peak RSS (MB) | result |"
  echo "|---|---:|---:|---:|---:|---:|---|"
} > "$summary"
failed=0
for t in "${targets[@]}"; do
  mkdir -p "$dir/artifacts/$t" "$dir/logs"
  log="$dir/logs/$t.log"
  target_seconds=$(budget_of "$t")
  set +e
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$dir/$t" -max_total_time="$target_seconds" -timeout=20 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="$dir/artifacts/$t/" "$dir/corpus/$t" > "$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  rss=$(grep -oE 'stat::peak_rss_mb: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  corpus=$(find "$dir/corpus/$t" -type f | wc -l)
  result=ok
  if [ "$rc" -ne 0 ]; then
    result="FAILED (exit $rc; $(ls "$dir/artifacts/$t" | head -1))"
    failed=1
    grep -E 'ERROR|property violated|SUMMARY' "$log" | head -5 || true
  fi
  execs=${execs:-0}
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$t" "$target_seconds" "$execs" \
    "$(( execs / (target_seconds > 0 ? target_seconds : 1) ))" \
    "$corpus" "${rss:-?}" "$result" >> "$summary"
  echo "fuzz.sh: $t: $execs executions, $result"
done
cat "$summary"
exit $failed
