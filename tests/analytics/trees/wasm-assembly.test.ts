import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error the assembler is a plain JavaScript build script without type declarations
import { assembleWat, wasmModuleSource } from '../../../scripts/wasm-assembly.mjs';

const src = join(import.meta.dirname, '..', '..', '..', 'src');
const watFiles = (readdirSync(src, { recursive: true }) as string[]).filter((f) => f.endsWith('.wat'));

describe('embedded WebAssembly modules', () => {
  it('finds the WebAssembly text sources', () => {
    expect(watFiles).toContain(join('analytics', 'trees', 'perfect-tree-kernel.wat'));
  });

  it.each(watFiles)('%s: the committed module is the assembly of the committed text (run `npm run assemble:wasm` after an edit)', async (file) => {
    const path = join(src, file);
    const bytes = (await assembleWat(path, readFileSync(path, 'utf8'))) as Uint8Array;
    expect(readFileSync(path.replace(/\.wat$/, '-wasm.ts'), 'utf8')).toBe(wasmModuleSource(file.split('/').pop(), bytes));
  });
});
