import type { TabularFormat } from './tabular-reader.types.js';

const BY_EXTENSION: Record<string, TabularFormat> = {
  csv: 'csv',
  tsv: 'tsv',
  tab: 'tsv',
  json: 'json',
  ndjson: 'ndjson',
  jsonl: 'ndjson',
  parquet: 'parquet',
  pq: 'parquet',
};

/**
 * Guesses a file's format from its first bytes (a few KiB are plenty), falling back on its name.
 * Content wins where it is unambiguous: Parquet's `PAR1` magic, a leading `[` (JSON array) or `{`
 * (NDJSON, unless the name says .json: a single pretty-printed object is not a table either way).
 * Otherwise the extension decides, and for unknown extensions the first line is sniffed: more tabs
 * than commas means TSV. Returns undefined when nothing fits (binary content, no extension hint).
 */
export function detectTabularFormat(filename: string, firstBytes: Buffer): TabularFormat | undefined {
  if (firstBytes.length >= 4 && firstBytes.subarray(0, 4).toString('latin1') === 'PAR1') return 'parquet';
  const extension = /\.([^./\\]+)$/.exec(filename.toLowerCase())?.[1];
  const byName = extension === undefined ? undefined : BY_EXTENSION[extension];
  if (byName === 'parquet') return 'parquet'; // not PAR1 inside: reading reports NOT_PARQUET
  const text = stripBom(firstBytes).toString('utf8');
  const firstChar = text.trimStart()[0];
  if (firstChar === '[') return 'json';
  if (firstChar === '{') return byName === 'json' ? 'json' : 'ndjson';
  if (byName !== undefined) return byName;
  if (firstBytes.includes(0)) return undefined; // NUL bytes: binary, not text
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  if (firstLine.length === 0) return undefined;
  const tabs = count(firstLine, '\t');
  const commas = count(firstLine, ',');
  if (tabs > commas) return 'tsv';
  if (commas > 0) return 'csv';
  return undefined;
}

function stripBom(bytes: Buffer): Buffer {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
}

function count(text: string, character: string): number {
  let n = 0;
  for (let i = text.indexOf(character); i >= 0; i = text.indexOf(character, i + 1)) n += 1;
  return n;
}
