#!/usr/bin/env bash
# The installed tree works on its own: `cmake --install` into a temporary DESTDIR, the tree moved elsewhere (it
# must be relocatable), then `thinkplan demo` run from it in an empty folder with no THINKPLAN_* variables, and -
# where the machine allows a private mount namespace - with the source tree hidden behind an empty folder, so that
# nothing can be read from the checkout. Where the build found MPI (MPI=ON), bin/thinkplan-mpi must be installed and
# run a 2-rank simulation of the installed demo's plan. Then `cpack` builds the .deb(s) and their contents and
# dependencies are checked: thinkplan-mpi comes in its own package, so thinkplan's never depends on Open MPI.
# Usage: install_and_run.sh BUILD_DIR SOURCE_DIR [MPI=ON|OFF] [MPIEXEC]
set -euo pipefail
build=$(cd "$1" && pwd)
source=$(cd "$2" && pwd)
case "${3:-OFF}" in ON|on|1|TRUE|true) mpi=yes ;; *) mpi=no ;; esac
mpiexec=${4:-mpirun}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/thinkplan-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

echo "-- cmake --install into a DESTDIR"
DESTDIR="$tmp/stage" cmake --install "$build" --prefix /opt/thinkplan >"$tmp/install.log"
mv "$tmp/stage/opt/thinkplan" "$tmp/moved"
prefix="$tmp/moved"
for f in bin/thinkplan share/thinkplan/data/demo_manifest.txt share/thinkplan/data/workloads/default.json \
         share/doc/thinkplan/README.md; do
  [ -e "$prefix/$f" ] || fail "the installed tree lacks $f"
done
if [ -f "$build/libthinkplan_cuda.so" ]; then
  [ -f "$prefix/lib/thinkplan/libthinkplan_cuda.so" ] || fail "the CUDA plugin was built but not installed"
fi
if [ "$mpi" = yes ]; then
  [ -x "$prefix/bin/thinkplan-mpi" ] || fail "MPI was found but the installed tree lacks bin/thinkplan-mpi"
fi
# No build-tree path may leak into the installed executables' run-time search path.
for exe in "$prefix"/bin/*; do
  if readelf -d "$exe" | grep -E 'RPATH|RUNPATH' | grep -q "$build"; then
    fail "bin/$(basename "$exe") keeps the build tree in its RPATH"
  fi
done

mkdir "$tmp/work"
run_demo() {
  cd "$tmp/work" && env -u THINKPLAN_DATA_DIR -u THINKPLAN_REPORT_WEB -u THINKPLAN_DB -u THINKPLAN_CUDA_PLUGIN \
    "$prefix/bin/thinkplan" --quiet demo --json --db "$tmp/work/demo.db" --out "$tmp/work/out"
}
hidden=no
if command -v unshare >/dev/null 2>&1 && unshare -m true 2>/dev/null; then
  mkdir "$tmp/empty"
  export -f run_demo
  export tmp prefix
  # A private mount namespace: the checkout is replaced by an empty folder for the demo alone.
  unshare -m bash -c "mount --bind '$tmp/empty' '$source' && run_demo" >"$tmp/demo.json" && hidden=yes
fi
if [ "$hidden" = no ]; then
  echo "-- (no private mount namespace here: the source tree stays visible; the data path is checked instead)"
  run_demo >"$tmp/demo.json"
fi
echo "-- demo from the installed tree (source tree hidden: $hidden)"
/usr/bin/python3 - "$tmp/demo.json" "$prefix" <<'PY'
import json, os, sys
out = json.load(open(sys.argv[1]))
prefix = os.path.realpath(sys.argv[2])
data = os.path.realpath(out["data"])
assert data.startswith(prefix + "/share/thinkplan/data"), f"demo read {data}, not the installed data"
assert out["plan"]["id"] >= 1 and out["simulation"]["id"] >= 1, out
for path in (out["policy"], out["report"]["html"], out["report"]["markdown"]):
    assert os.path.getsize(path) > 0, path
html = open(out["report"]["html"], encoding="utf-8").read()
assert "vega-lite" in html.lower() and "<script" in html, "the report has no embedded chart runtime"
print(f"demo ok: data {data}, plan {out['plan']['id']}, simulation {out['simulation']['id']}")
PY

if [ "$mpi" = yes ]; then
  echo "-- thinkplan-mpi from the installed tree, 2 ranks"
  (cd "$tmp/work" && env -u THINKPLAN_DATA_DIR -u THINKPLAN_DB ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" \
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "$mpiexec" --oversubscribe -np 2 \
    "$prefix/bin/thinkplan-mpi" --db "$tmp/work/demo.db" simulate --plan 1 --days 0.02 --no-capacity-check --json \
    >"$tmp/mpi.json" 2>"$tmp/mpi.err") || { cat "$tmp/mpi.err" >&2; fail "the installed thinkplan-mpi failed"; }
  grep -q "2 rank(s)" "$tmp/mpi.err" || fail "the installed thinkplan-mpi did not run on 2 ranks: $(cat "$tmp/mpi.err")"
  /usr/bin/python3 -c 'import json, sys; assert json.load(open(sys.argv[1]))["id"] >= 1' "$tmp/mpi.json" \
    || fail "the installed thinkplan-mpi stored no simulation"
  echo "thinkplan-mpi ok"
fi

echo "-- cpack -G DEB"
if ! command -v dpkg-deb >/dev/null 2>&1; then echo "SKIP: no dpkg-deb"; exit 0; fi
(cd "$tmp" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/deb" >"$tmp/cpack.log" 2>&1) \
  || { cat "$tmp/cpack.log" >&2; fail "cpack failed"; }
deb=$(ls "$tmp"/deb/thinkplan_*.deb)
dpkg-deb --contents "$deb" >"$tmp/contents.txt"
for f in ./usr/bin/thinkplan ./usr/share/thinkplan/data/demo_manifest.txt; do
  grep -q " $f\$" "$tmp/contents.txt" || fail "the .deb lacks $f"
done
if grep -q " ./usr/bin/thinkplan-mpi\$" "$tmp/contents.txt"; then fail "thinkplan's .deb holds thinkplan-mpi"; fi
depends=$(dpkg-deb --field "$deb" Depends)
[ -n "$depends" ] || fail "the .deb declares no dependencies"
echo "$depends" | grep -q libsqlite3 || fail "the .deb does not depend on SQLite: $depends"
if echo "$depends" | grep -qi mpi; then fail "thinkplan's .deb depends on MPI: $depends"; fi
echo "deb ok: $(basename "$deb"), $(wc -l <"$tmp/contents.txt") entries; Depends: $depends"
if [ "$mpi" = yes ]; then
  mpideb=$(ls "$tmp"/deb/thinkplan-mpi_*.deb 2>/dev/null) || fail "MPI was found but cpack made no thinkplan-mpi .deb"
  dpkg-deb --contents "$mpideb" >"$tmp/mpi-contents.txt"
  grep -q " ./usr/bin/thinkplan-mpi\$" "$tmp/mpi-contents.txt" || fail "the thinkplan-mpi .deb lacks usr/bin/thinkplan-mpi"
  mpidepends=$(dpkg-deb --field "$mpideb" Depends)
  echo "$mpidepends" | grep -q "thinkplan (= " || fail "the thinkplan-mpi .deb does not depend on thinkplan: $mpidepends"
  echo "$mpidepends" | grep -qi "libopenmpi\|libboost-mpi" || fail "the thinkplan-mpi .deb does not depend on MPI: $mpidepends"
  echo "deb ok: $(basename "$mpideb"); Depends: $mpidepends"
fi
