#!/usr/bin/env bash
# Installs the chart runtime that `thinkplan report` inlines into its HTML (vega, vega-lite and vega-embed at the
# exact versions pinned in reports/web/package-lock.json) into reports/web/node_modules with `npm ci`.
# Needs Node.js and npm (scripts/install-deps.sh installs them). Safe to run again: skipped when the installed
# tree came from the current lock file.
set -euo pipefail
cd "$(dirname "$0")/../reports/web"

if ! command -v npm >/dev/null 2>&1; then
  echo "install-web-deps: npm not found; install Node.js and npm (scripts/install-deps.sh does)" >&2
  exit 1
fi
stamp=node_modules/.thinkplan-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
   [ -f node_modules/vega/build/vega.min.js ] && [ -f node_modules/vega-lite/build/vega-lite.min.js ] &&
   [ -f node_modules/vega-embed/build/vega-embed.min.js ]; then
  echo "install-web-deps: chart runtime present ($(node -p 'require("./package.json").dependencies ? Object.entries(require("./package.json").dependencies).map(e => e.join(" ")).join(", ") : ""'))"
  exit 0
fi
# --ignore-scripts: the report needs only the prebuilt minified files; nothing has to run at install time.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
echo "install-web-deps: installed $(node -p 'Object.entries(require("./package.json").dependencies).map(e => e.join(" ")).join(", ")')"
