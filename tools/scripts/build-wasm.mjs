// `npm run build:wasm`: assembles each WebAssembly text file the libraries hold (WAT, listed
// below) with wabt and writes it beside the source as a TypeScript module exporting the binary in
// base64, so that every bundle carries it without a file to copy. A spec of the library compares
// that module with a fresh assembly of its source (`assembleWat`), so an edit to one without the
// other fails `npm test`.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import createWabt from 'wabt';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Each WAT source and the module it becomes. */
export const WASM_SOURCES = [{ wat: 'libs/detectors/src/macroblock-kernels.wat', module: 'libs/detectors/src/macroblock-kernels-wasm.ts', name: 'MACROBLOCK_KERNELS_WASM' }];

/** The binary of a WAT source (SIMD enabled), and the TypeScript module that carries it. */
export async function assembleWat(source) {
  const wabt = await createWabt();
  const text = readFileSync(path.join(root, source.wat), 'utf8');
  const parsed = wabt.parseWat(path.basename(source.wat), text, { simd: true });
  try {
    parsed.validate();
    const { buffer } = parsed.toBinary({});
    const base64 = Buffer.from(buffer).toString('base64');
    const lines = base64.match(/.{1,96}/g) ?? [];
    const module = [
      `// Generated from ${path.basename(source.wat)} by \`npm run build:wasm\` (tools/scripts/build-wasm.mjs). Do not edit.`,
      `export const ${source.name} =`,
      ...lines.map((line, i) => `  '${line}'${i === lines.length - 1 ? ';' : ' +'}`),
      '',
    ].join('\n');
    return { binary: Buffer.from(buffer), module };
  } finally {
    parsed.destroy();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const source of WASM_SOURCES) {
    const { binary, module } = await assembleWat(source);
    writeFileSync(path.join(root, source.module), module);
    console.log(`${source.module}: ${binary.length} bytes of WebAssembly from ${source.wat}`);
  }
}
