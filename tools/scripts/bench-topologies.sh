#!/bin/sh
# `npm run bench:topologies [runs]`: set up, build every app `framewatch serve` starts and the
# topology benchmark, run it (see tools/bench/src/topologies.ts). Runs default to 3.
set -eu
cd "$(dirname "$0")/../.."
sh tools/scripts/ensure.sh
export NX_DAEMON=false NX_NO_CLOUD=true
npx nx run-many -t build -p cli api monolith media-converter detector aggregator --outputStyle=static >/dev/null
npx nx run bench:build-topologies --outputStyle=static >/dev/null
node dist/tools/bench-topologies/main.js "$@"
