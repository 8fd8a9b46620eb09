#!/usr/bin/env bash
# The Monte Carlo engine (bench_monte_carlo, one thread) against the same model in vectorised numpy
# (bench/monte_carlo_vs_numpy.py, its strongest form: counts drawn from binomials instead of samples), alternating
# ROUNDS times. Both in problems per CPU-second (the engine: its thread's CPU clock; numpy: the process's), so a
# loaded machine does not favour either side. Prints per case min / median / max of each side (each round's figure
# is that side's median of REPEATS runs), the ratio of medians, the accuracies (they agree to Monte Carlo error:
# same model, different random streams), and the engine's trials per CPU-second.
# Goals (issue 19 item 3): at least 5x numpy in problems per second and at least 2e8 trials per second per core,
# for every aggregation.
#
#   bench/monte_carlo_vs_numpy.sh [BUILD_DIR] [PROBLEMS] [ROUNDS] [REPEATS]   (defaults: ./build, 400000, 5, 3)
set -euo pipefail

build_dir=${1:-build}
problems=${2:-400000}
rounds=${3:-5}
repeats=${4:-3}
bench="$build_dir/bench/bench_monte_carlo"
[[ -x "$bench" ]] || bench="$build_dir/bench_monte_carlo"
[[ -x "$bench" ]] || { echo "no bench_monte_carlo under $build_dir: build the bench_monte_carlo target first" >&2; exit 1; }
/usr/bin/python3 -c "import numpy, scipy" 2>/dev/null || { echo "needs python3-numpy and python3-scipy" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/monte_carlo_vs_numpy.XXXXXX")
trap 'rm -rf "$work"' EXIT
for ((r = 1; r <= rounds; ++r)); do
  "$bench" "$problems" "$repeats" --one-thread | tail -n +2 >> "$work/engine.txt"
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$(dirname "$0")/monte_carlo_vs_numpy.py" "$problems" "$repeats" \
    >> "$work/numpy.jsonl"
  echo "round $r of $rounds done (load average $(cut -d' ' -f1 /proc/loadavg))" >&2
done

/usr/bin/python3 - "$work" "$problems" <<'PY'
import json, re, statistics, sys
work, problems = sys.argv[1], int(sys.argv[2])
engine = {}
for line in open(f"{work}/engine.txt"):
    # name, threads, accuracy, best trials/s, median trials/s, median problems/s, wall
    m = re.match(r"(.+?)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)$", line.strip())
    name = m.group(1)
    engine.setdefault(name, {"acc": float(m.group(3)), "trials": [], "problems": []})
    engine[name]["trials"].append(float(m.group(5)))
    engine[name]["problems"].append(float(m.group(6)))
numpy = {}
for line in open(f"{work}/numpy.jsonl"):
    j = json.loads(line)
    numpy.setdefault(j["name"], {"acc": j["accuracy"], "problems": []})
    numpy[j["name"]]["problems"].append(statistics.median(j["problems_per_cpu_s"]))
span = lambda v: f"{min(v):.3g} / {statistics.median(v):.3g} / {max(v):.3g}"
print(f"{problems} problems per run, problems per CPU-second, min / median / max over the rounds:")
print(f"  {'case':<20} {'thinkplan (1 thread)':<30} {'numpy':<30} {'ratio':>6}  accuracy ours / numpy   trials/cpu-s (median)")
for name, e in engine.items():
    n = numpy[name]
    ratio = statistics.median(e["problems"]) / statistics.median(n["problems"])
    print(f"  {name:<20} {span(e['problems']):<30} {span(n['problems']):<30} {ratio:5.2f}x  "
          f"{e['acc']:.4f} / {n['acc']:.4f}        {statistics.median(e['trials']):.3g}")
PY
