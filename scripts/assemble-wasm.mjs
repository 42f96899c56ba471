// `npm run assemble:wasm`: assembles each WebAssembly text file under src/ (`x.wat`) into a
// TypeScript module beside it (`x-wasm.ts`) that holds the binary as base64, so src/analytics
// stays free of file reads and the build needs no extra step. Run it after editing a .wat;
// tests/analytics/trees/wasm-assembly.test.ts fails while a module is out of date.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assembleWat, wasmModuleSource } from './wasm-assembly.mjs';

const src = resolve(import.meta.dirname, '..', 'src');
const watFiles = readdirSync(src, { recursive: true }).filter((f) => String(f).endsWith('.wat'));
for (const file of watFiles) {
  const path = join(src, String(file));
  const bytes = await assembleWat(path, readFileSync(path, 'utf8'));
  const target = path.replace(/\.wat$/, '-wasm.ts');
  writeFileSync(target, wasmModuleSource(String(file).split('/').pop(), bytes));
  console.log(`${target}: ${bytes.length} bytes`);
}
