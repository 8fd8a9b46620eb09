#!/usr/bin/env bash
# Resource check, run by hand (not in CI): plans a generated workload of N task classes (default 100,000) over the
# systems of data/workloads/default.json, on a database made by `thinkplan demo`, and reports wall time, peak
# resident memory (/usr/bin/time -v) and the size of the stored plan. Each generated class copies one of the
# default workload's classes (volume divided by N / 5, so the total traffic stays that of the default workload)
# under a new name, so the plan has N times the default's buckets to solve, route and store.
# With SCALE_PLAN_MEASURED_ONLY=1 each class lists only the systems that have a fitted curve or a stored run for
# it (found by planning the default workload once), so the plan carries no "has no fitted curve" note per class.
# Usage: tests/reliability/scale_plan.sh [CLASSES] [THINKPLAN_EXE] [TIMEOUT_S]
#        (defaults: 100000, build/thinkplan, 1800; the plan is stopped after TIMEOUT_S and reported as such)
set -euo pipefail
cd "$(dirname "$0")/../.."
classes=${1:-100000}
exe=$(realpath "${2:-build/thinkplan}")
limit=${3:-1800}
work=${SCALE_PLAN_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/thinkplan-scaleplan.XXXXXX")}
mkdir -p "$work"
[ -n "${SCALE_PLAN_DIR:-}" ] || trap 'rm -rf "$work"' EXIT

[ -f "$work/store.db" ] || "$exe" demo --quiet --db "$work/store.db" > /dev/null
: > "$work/default-plan.json"
if [ "${SCALE_PLAN_MEASURED_ONLY:-0}" = 1 ]; then
  "$exe" plan --quiet --json --no-store --db "$work/store.db" data/workloads/default.json > "$work/default-plan.json"
fi
python3 - data/workloads/default.json "$work/workload.json" "$classes" "$work/default-plan.json" <<'PY'
import json, re, sys
base = json.load(open(sys.argv[1]))
n = int(sys.argv[3])
templates = base["classes"]
text = open(sys.argv[4]).read()
if text.strip():
    notes = json.loads(text).get("notes", [])
    for c in templates:
        missing = {re.match(r"class .*?: (.*?) has no fitted curve", note).group(1) for note in notes
                   if note.startswith("class " + c["name"] + ": ") and "has no fitted curve" in note}
        c["systems"] = [s["name"] for s in base["systems"] if s["name"] not in missing]
scale = len(templates) / n
classes = []
for i in range(n):
    c = json.loads(json.dumps(templates[i % len(templates)]))
    c["name"] = f"{c['name']}-{i:06d}"
    c["daily_volume"] = max(c["daily_volume"] * scale, 1e-3)
    classes.append(c)
base["name"] = f"scale-{n}"
base["classes"] = classes
json.dump(base, open(sys.argv[2], "w"))
PY
echo "scale_plan: $classes classes, workload file $(du -h "$work/workload.json" | cut -f1)"
set +e
/usr/bin/time -v timeout "$limit" "$exe" plan --quiet --db "$work/store.db" "$work/workload.json" \
  > "$work/plan.out" 2> "$work/time.txt"
rc=$?
set -e
grep -E "Command exited|User time|Elapsed|Maximum resident" "$work/time.txt" || true
echo "scale_plan: exit $rc (124: stopped after $limit s); plans stored: $(sqlite3 "$work/store.db" 'SELECT count(*) FROM plans')," \
  "largest plan body $(sqlite3 "$work/store.db" 'SELECT max(length(body)) FROM plans') bytes"
head -c 400 "$work/plan.out"; echo
exit $rc
