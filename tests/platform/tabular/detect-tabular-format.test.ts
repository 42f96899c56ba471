import { describe, expect, it } from 'vitest';
import { detectTabularFormat } from '../../../src/platform/tabular/tabular-reader.js';

const detect = (name: string, content: string | Buffer) => detectTabularFormat(name, Buffer.isBuffer(content) ? content : Buffer.from(content));

describe('detectTabularFormat', () => {
  it('recognises Parquet by its magic bytes whatever the name', () => {
    expect(detect('upload.bin', Buffer.from('PAR1\x15\x04'))).toBe('parquet');
  });

  it('believes a .parquet name even without the magic (reading then reports NOT_PARQUET)', () => {
    expect(detect('x.parquet', 'a,b\n1,2\n')).toBe('parquet');
  });

  it('tells a JSON array from NDJSON by the first character', () => {
    expect(detect('data', '  [{"a":1}]')).toBe('json');
    expect(detect('data.txt', '\ufeff{"a":1}\n{"a":2}\n')).toBe('ndjson');
    expect(detect('data.json', '{"a":1}\n')).toBe('json');
  });

  it('uses the extension for delimited text', () => {
    expect(detect('data.csv', 'a\tb\n')).toBe('csv');
    expect(detect('data.TSV', 'a,b\n')).toBe('tsv');
    expect(detect('data.jsonl', '')).toBe('ndjson');
  });

  it('sniffs tabs against commas when the extension says nothing', () => {
    expect(detect('upload', 'a\tb\tc,d\n1\t2\t3\n')).toBe('tsv');
    expect(detect('upload.txt', 'a,b,c\n1,2,3\n')).toBe('csv');
    expect(detect('upload', 'plain words\n')).toBeUndefined();
    expect(detect('upload', Buffer.from([0, 1, 2, 3]))).toBeUndefined();
  });
});
