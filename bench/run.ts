import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * `npm run bench` runs every `bench/*.bench.ts`; `npm run bench -- ledger` runs `ledger.bench.ts` only.
 * A benchmark module exports `run(): Promise<figures>` (and optionally `primaryColumn`, the name
 * of the column its top-level figures go in). The dispatcher prints the figures as a table, then,
 * as the last line of that benchmark's output, one JSON object of its figures.
 */
type BenchmarkModule = { run(): Promise<Record<string, unknown>>; primaryColumn?: string };

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length))
  .sort();
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function formatValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) >= 1000 ? v.toLocaleString('en-US') : String(v);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * Top-level scalars form the first column; a nested object sharing figure names with them (the
 * same figures on another database, or their targets) becomes a further column; any other nested
 * object or list is printed below the table as `name: key=value, …`.
 */
function figuresTable(figures: Record<string, unknown>, primaryColumn = 'value'): string {
  const scalars = Object.entries(figures).filter(([, v]) => !isRecord(v) && !Array.isArray(v));
  const scalarKeys = new Set(scalars.map(([k]) => k));
  const columns = Object.entries(figures).filter((e): e is [string, Record<string, unknown>] => isRecord(e[1]) && Object.keys(e[1]).some((k) => scalarKeys.has(k)));
  const columnNames = new Set(columns.map(([k]) => k));
  const rest = Object.entries(figures).filter(([k, v]) => (isRecord(v) || Array.isArray(v)) && !columnNames.has(k));

  const rowKeys = [...scalarKeys];
  for (const [, c] of columns) for (const k of Object.keys(c)) if (!rowKeys.includes(k) && !isRecord(c[k])) rowKeys.push(k);
  const header = ['figure', primaryColumn, ...columns.map(([k]) => k)];
  const rows = rowKeys.map((k) => [k, formatValue(figures[k]), ...columns.map(([, c]) => formatValue(c[k]))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  for (const [k, v] of rest) {
    if (Array.isArray(v)) out.push(`${k}:`, ...v.map((x) => `  - ${formatValue(x)}`));
    else
      out.push(
        `${k}: ${Object.entries(v as Record<string, unknown>)
          .map(([kk, vv]) => `${kk}=${formatValue(vv)}`)
          .join(', ')}`,
      );
  }
  return out.join('\n');
}

let failed = false;
for (const name of wanted.length > 0 ? wanted : available) {
  console.log(`# benchmark: ${name}`);
  try {
    const module = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as BenchmarkModule;
    const figures = await module.run();
    console.log('');
    console.log(figuresTable(figures, module.primaryColumn));
    console.log(JSON.stringify(figures));
  } catch (error) {
    failed = true;
    console.error(`benchmark ${name} failed:`, error);
  }
}
process.exitCode = failed ? 1 : 0;
