#!/bin/sh
# `npm test`: set up, build, lint, type-check, then every Jest test (results in tmp/jest-results.json).
set -eu
cd "$(dirname "$0")/../.."
sh tools/scripts/ensure.sh
export NX_DAEMON=false NX_NO_CLOUD=true
mkdir -p tmp
rm -f tmp/jest-results.json
npx nx run-many -t build lint typecheck --outputStyle=static
npx jest --ci --maxWorkers=2 --json --outputFile=tmp/jest-results.json "$@"
