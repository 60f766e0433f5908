#!/usr/bin/env node
// Entry point for `npx framewatch` from the repository root: runs the bundled CLI.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const main = path.join(__dirname, '..', 'dist', 'apps', 'cli', 'main.js');
if (!fs.existsSync(main)) {
  process.stderr.write('framewatch: not built yet; run `npm run demo` or `npx nx run cli:build` first\n');
  process.exit(2);
}
require(main);
