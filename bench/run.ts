import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * `npm run bench` runs every `bench/*.bench.ts`; `npm run bench -- ledger` runs `ledger.bench.ts`.
 * Each benchmark prints its progress, then as its last line one JSON object of its figures.
 */
const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const all = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''))
  .sort();
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${all.join(', ')}`);
  process.exit(2);
}
for (const name of wanted.length > 0 ? wanted : all) {
  const module = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as { run(): Promise<Record<string, unknown>> };
  console.log(`# benchmark: ${name}`);
  const figures = await module.run();
  console.log(JSON.stringify(figures));
}
