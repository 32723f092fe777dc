#!/usr/bin/env bash
# Builds ./uwsgi-edge, one self-contained executable.
#
# Not available yet: the single binary is issue 6. It will use `deno compile` when Deno's
# denort runtime can be had (online, or DENORT_BIN set), and otherwise `bun build --compile`
# through a Bun runtime adapter beside src/runtime/deno.ts. Until then, run from source:
#
#   scripts/setup && .tools/node_modules/deno/deno run -A main.ts --config app.ini
set -euo pipefail
echo "compile.sh: the single binary arrives with issue 6; run from source meanwhile:" >&2
echo "  scripts/setup && .tools/node_modules/deno/deno run -A main.ts --config app.ini" >&2
exit 2
