// Assembling WebAssembly text with wabt (the WebAssembly project's own toolkit, a dev dependency),
// shared by scripts/assemble-wasm.mjs and the test that the committed modules are up to date.
import { Buffer } from 'node:buffer';
import wabtInit from 'wabt';

/** The binary module of WebAssembly text `source` (validated). */
export async function assembleWat(name, source) {
  const wabt = await wabtInit();
  const module = wabt.parseWat(name, source);
  try {
    module.validate();
    return new Uint8Array(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

/** The TypeScript module that embeds `bytes`, assembled from `watName`. */
export function wasmModuleSource(watName, bytes) {
  const base64 = Buffer.from(bytes).toString('base64');
  const lines = base64.match(/.{1,96}/g) ?? [];
  return `// Assembled from ${watName} by \`npm run assemble:wasm\`: do not edit, edit the .wat and re-run.
export const wasmBase64 =
${lines.map((l, i) => `  '${l}'${i < lines.length - 1 ? ' +' : ';'}`).join('\n')}
`;
}
