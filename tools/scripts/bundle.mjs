// Bundles one app or tool into a self-contained directory under dist/ that starts with `node`.
// Usage: node tools/scripts/bundle.mjs <entry.ts> <outdir>
import { build } from 'esbuild';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const [entry, outdir] = process.argv.slice(2);
if (!entry || !outdir) {
  console.error('usage: bundle.mjs <entry.ts> <outdir>');
  process.exit(2);
}
mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: [entry],
  outfile: path.join(outdir, 'main.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  tsconfig: 'tsconfig.base.json',
  // Native addons cannot be bundled; they are installed next to the bundle when an app needs them.
  external: ['better-sqlite3', 'onnxruntime-node'],
  logLevel: 'warning',
  legalComments: 'linked',
});
writeFileSync(path.join(outdir, 'package.json'), JSON.stringify({ private: true, main: 'main.js' }, null, 2) + '\n');
