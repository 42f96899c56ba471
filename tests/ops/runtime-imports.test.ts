import { readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

// Static and dynamic imports of a bare specifier; type-only imports vanish from the build.
const IMPORT = /^\s*(?:import|export)\s+(?!type\b)(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;
const packageOf = (specifier: string) => (specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!);

/**
 * The image installs production dependencies only (npm ci --omit=dev): a module of src/ that imports
 * a dev dependency starts in every test and fails only there (canonicalize did, twice). This finds
 * it in milliseconds; tests/ops/production-install.test.ts proves the whole install.
 */
describe('runtime imports', () => {
  it('every package src/ imports at run time is a production dependency', () => {
    const missing: string[] = [];
    for (const file of sources(join(root, 'src'))) {
      for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
        const specifier = match[1] ?? match[2]!;
        if (specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier)) continue;
        if (!(packageOf(specifier) in pkg.dependencies)) missing.push(`${relative(root, file)}: ${specifier}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
