// Bundles one app or tool into a self-contained directory under dist/ that starts with `node`:
// main.js (everything bundled) plus node_modules/ holding only the native addons it uses.
// Usage: node tools/scripts/bundle.mjs <entry.ts> <outdir>
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const [entry, outdir] = process.argv.slice(2);
if (!entry || !outdir) {
  console.error('usage: bundle.mjs <entry.ts> <outdir>');
  process.exit(2);
}
// Native addons cannot be bundled; they are copied next to the bundle when it imports them.
const natives = ['better-sqlite3', 'onnxruntime-node'];
// Development servers the emulators tool loads from the repository's node_modules (never shipped).
const devServers = ['dynalite', 's3rver'];
// Dependencies used only while installing (fetching or building the addon), never at run time.
const installOnly = new Set(['prebuild-install', 'node-gyp']);
mkdirSync(outdir, { recursive: true });
const result = await build({
  entryPoints: [entry],
  outfile: path.join(outdir, 'main.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  tsconfig: 'tsconfig.base.json',
  external: [...natives, ...devServers],
  metafile: true,
  logLevel: 'warning',
  legalComments: 'linked',
});

const imported = new Set(
  Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path)),
);
rmSync(path.join(outdir, 'node_modules'), { recursive: true, force: true });
const copied = new Set();
/** Copies a package's runtime files (no sources, no build intermediates) and its dependencies. */
function copyPackage(name) {
  if (copied.has(name)) return;
  copied.add(name);
  const from = path.join('node_modules', name);
  const manifest = JSON.parse(readFileSync(path.join(from, 'package.json'), 'utf8'));
  cpSync(from, path.join(outdir, 'node_modules', name), {
    recursive: true,
    filter: (src) => {
      const rel = path.relative(from, src);
      if (rel === '') return true;
      const top = rel.split(path.sep)[0];
      if (top === 'deps' || top === 'src' || top === 'docs' || top === 'test') return false;
      if (top === 'build') return rel === 'build' || rel === path.join('build', 'Release') || /\.node$/.test(rel);
      return true;
    },
  });
  for (const dep of Object.keys(manifest.dependencies ?? {})) {
    if (!installOnly.has(dep) && existsSync(path.join('node_modules', dep))) copyPackage(dep);
  }
}
for (const name of natives) if (imported.has(name)) copyPackage(name);
// The learned detectors' models ship with every bundle that can run them (openDetector looks in models/).
rmSync(path.join(outdir, 'models'), { recursive: true, force: true });
if (imported.has('onnxruntime-node')) cpSync(path.join('libs', 'detectors', 'models'), path.join(outdir, 'models'), { recursive: true });
writeFileSync(path.join(outdir, 'package.json'), JSON.stringify({ private: true, main: 'main.js' }, null, 2) + '\n');
