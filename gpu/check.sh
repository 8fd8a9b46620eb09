#!/usr/bin/env bash
# Builds the GPU measurement harness on its own (CUDA toolkit + CMake, nothing else) and runs it in quick mode:
# ceilings, correctness checks, then decode and prefill steps of three model shapes. Finishes in a few minutes on
# one H200 (build about 1-2 min, run under 5 min: --quick carries a 240 s budget for the timed grid).
#
#   gpu/check.sh [extra harness flags...]       e.g. gpu/check.sh --models Llama-3.1-8B --repeats 20
#
# Results go to $OUT if set, else ./measured: perf.jsonl (thinkplan ingest reads it), ceilings.json, table.txt,
# progress.log, build.log, nvidia-smi.txt. The short table printed last is the one to read.
# Environment: HARNESS_MODELS (default Llama-3.1-8B,Qwen2.5-32B,Llama-3.1-70B), CUDA_ARCH (default 90 = H100/H200).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-$PWD/measured}"
mkdir -p "$out"
build="$(mktemp -d "${TMPDIR:-/tmp}/thinkplan-harness.XXXXXX")"
trap 'rm -rf "$build"' EXIT

nvcc_path="$(command -v nvcc || true)"
[ -z "$nvcc_path" ] && [ -x /usr/local/cuda/bin/nvcc ] && nvcc_path=/usr/local/cuda/bin/nvcc
if [ -z "$nvcc_path" ]; then
  echo "check.sh: nvcc not found (install the CUDA toolkit or put nvcc on PATH)" >&2
  exit 2
fi
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)

if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi >"$out/nvidia-smi.txt" 2>&1 || true
  echo "GPU: $(nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.mem --format=csv,noheader 2>/dev/null | head -1)"
fi

start=$(date +%s)
echo "== build (nvcc $("$nvcc_path" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p'), sm_${CUDA_ARCH:-90}) =="
if ! { cmake -S "$repo/gpu/harness" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
         -DCMAKE_CUDA_COMPILER="$nvcc_path" -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCH:-90}" &&
       cmake --build "$build" -j "$(nproc)"; } >"$out/build.log" 2>&1; then
  tail -40 "$out/build.log" >&2
  echo "check.sh: the harness did not build (full log in $out/build.log)" >&2
  exit 3
fi
echo "built in $(( $(date +%s) - start )) s"

catalogue=()
[ -f "$repo/data/models/models.csv" ] && catalogue=(--catalogue "$repo/data/models/models.csv")

echo "== run (quick) =="
set +e
"$build/thinkplan-harness" --quick --out "$out" "${catalogue[@]}" \
  --models "${HARNESS_MODELS:-Llama-3.1-8B,Qwen2.5-32B,Llama-3.1-70B}" "$@" 2> >(tee "$out/progress.log" >&2)
status=$?
set -e
wait  # for tee
echo "harness exit code $status after $(( $(date +%s) - start )) s in all; results in $out"

echo "== Monte Carlo kernel vs CPU engine (bit for bit) and trials per second =="
set +e
"$build/thinkplan-mc-check" --out "$out" | tee "$out/mc.txt"
mc_status=${PIPESTATUS[0]}
set -e
echo "mc-check exit code $mc_status"
[ "$status" -eq 0 ] && status=$mc_status
exit $status
