#!/bin/sh
# `npm run bench:api -- [topology] [seconds] [concurrency]`: set up, build every app
# `framewatch serve` starts and the API load benchmark, run it (tools/bench/src/api-load.ts).
set -eu
cd "$(dirname "$0")/../.."
sh tools/scripts/ensure.sh
export NX_DAEMON=false NX_NO_CLOUD=true
npx nx run-many -t build -p cli api monolith media-converter detector aggregator --outputStyle=static >/dev/null
node tools/scripts/bundle.mjs tools/bench/src/api-load.ts dist/tools/bench-api >/dev/null
node dist/tools/bench-api/main.js "$@"
