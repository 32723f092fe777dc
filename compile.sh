#!/usr/bin/env bash
# Builds ./uwsgi-edge, one self-contained executable, and says how it was built.
#
# `deno compile` when Deno's denort runtime can be had (DENORT_BIN set, or EDGE_COMPILE_ONLINE=1
# to let deno download it); otherwise `bun build --compile` (Bun from npm, works offline)
# through the Bun runtime adapter (src/runtime/bun.ts) beside the Deno one.
set -euo pipefail
cd "$(dirname "$0")"
# EDGE_SKIP_SETUP=1: only build (a Docker build stage has no use for the test peers)
[ "${EDGE_SKIP_SETUP:-}" = 1 ] || bash scripts/setup >&2
deno=.tools/node_modules/deno/deno
out=${1:-uwsgi-edge}

if [ -n "${DENORT_BIN:-}" ] || [ "${EDGE_COMPILE_ONLINE:-}" = 1 ]; then
  "$deno" compile --allow-net --allow-read --allow-write --allow-env --allow-sys --allow-run \
    --unstable-net --output "$out" main.ts >&2
  echo "compile.sh: built ./$out with deno compile"
  exit 0
fi

BUN_VERSION=1.4.5
bun=.tools/bun/node_modules/.bin/bun
if [ ! -x "$bun" ] || [ "$("$bun" --version)" != "$BUN_VERSION" ]; then
  echo "compile.sh: installing bun $BUN_VERSION and hono from npm into .tools/bun/" >&2
  mkdir -p .tools/bun
  hono=$(sed -n 's/.*"hono": "npm:hono@\([^"]*\)".*/\1/p' deno.json)
  npm install --prefix .tools/bun --no-save --no-audit --no-fund --loglevel=error \
    "bun@$BUN_VERSION" "hono@$hono" >&2
fi
# bun resolves "hono" from a node_modules beside the sources: lend it ours for the build
made_link=""
if [ ! -e node_modules ]; then
  ln -s .tools/bun/node_modules node_modules
  made_link=1
fi
trap '[ -n "$made_link" ] && rm -f node_modules' EXIT
# no .env or bunfig.toml from the directory the binary runs in: uWSGI reads neither, and a
# bunfig.toml could name code to run inside the edge (its `preload`)
"$bun" build --compile --minify --no-compile-autoload-dotenv --no-compile-autoload-bunfig \
  src/runtime/bun_main.ts --outfile "$out" >&2
case $out in /*) shown=$out ;; *) shown=./$out ;; esac
echo "compile.sh: built $shown with bun build --compile (deno compile needs its runtime download)"
