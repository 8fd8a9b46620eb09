#!/usr/bin/env bash
# Start-up of the `thinkplan` executable: each command below run N times (default 50) after 3 warm-up runs,
# alternating between the executables given, so that both see the same machine state. Prints min / median / max
# wall time in milliseconds per executable and command, and the ratio of medians against the first executable.
#   bench/startup.sh [-n N] EXE [EXE...]      e.g. bench/startup.sh -n 50 /tmp/before/thinkplan build/thinkplan
# Commands: --version, --help, `plan --help`, and `runs` on an empty database (opens SQLite, reads nothing).
set -euo pipefail
runs=50
if [ "${1:-}" = "-n" ]; then runs=$2; shift 2; fi
[ $# -ge 1 ] || { echo "usage: bench/startup.sh [-n N] EXE [EXE...]" >&2; exit 1; }
/usr/bin/python3 - "$runs" "$@" <<'PY'
import os, statistics, subprocess, sys, tempfile, time
runs = int(sys.argv[1])
exes = [os.path.abspath(e) for e in sys.argv[2:]]
db = os.path.join(tempfile.mkdtemp(prefix="thinkplan-startup-"), "empty.db")
commands = [["--version"], ["--help"], ["plan", "--help"], ["--db", db, "runs"]]
def once(exe, args):
    start = time.perf_counter()
    subprocess.run([exe] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return (time.perf_counter() - start) * 1e3
print(f"start-up, {runs} runs each after 3 warm-up runs, alternating executables; wall ms min / median / max")
for args in commands:
    times = {exe: [] for exe in exes}
    for exe in exes:
        for _ in range(3): once(exe, args)
    for _ in range(runs):
        for exe in exes: times[exe].append(once(exe, args))
    base = statistics.median(times[exes[0]])
    for exe in exes:
        t = times[exe]
        med = statistics.median(t)
        ratio = "" if exe == exes[0] else f"  ({base / med:.1f}x faster than the first)"
        print(f"  thinkplan {' '.join(a if a != db else 'EMPTY.db' for a in args):<22} {exe:<40} "
              f"{min(t):7.1f} {med:7.1f} {max(t):7.1f}{ratio}")
PY
