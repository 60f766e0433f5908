#!/bin/sh
# `npm run demo`: set up, build, generate a clip with injected defects, analyse it.
set -eu
cd "$(dirname "$0")/../.."
sh tools/scripts/ensure.sh
export NX_DAEMON=false NX_NO_CLOUD=true
npx nx run-many -t build --outputStyle=static >/dev/null
mkdir -p tmp/demo
node dist/tools/fixtures/main.js --out tmp/demo demo >/dev/null
echo "Injected into tmp/demo/demo.mp4 (from tmp/demo/demo.truth.json):"
node -e '
  const t = require("./tmp/demo/demo.truth.json");
  for (const d of t.defects) console.log(`  ${d.type.padEnd(9)} ${d.startSec.toFixed(2)} s – ${d.endSec.toFixed(2)} s`);
'
echo
echo "Found by framewatch analyze:"
node bin/framewatch.js analyze tmp/demo/demo.mp4 --out tmp/demo/report
