#!/bin/sh
# `npm run bench [runs]`: set up, build the CLI and the benchmark, run it (see tools/bench).
set -eu
cd "$(dirname "$0")/../.."
sh tools/scripts/ensure.sh
export NX_DAEMON=false NX_NO_CLOUD=true
npx nx run-many -t build -p cli bench --outputStyle=static >/dev/null
node dist/tools/bench/main.js "$@"
