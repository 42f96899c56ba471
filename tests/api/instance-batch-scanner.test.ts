import type { FastifyRouteSchemaDef } from 'fastify/types/schema.js';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/analytics/seeded-random.js';
import { HELD_BOOLEAN, HELD_FRACTION, HELD_NUMBER, scanInstanceBatch, scannedMatrix } from '../../src/api/routes/instance-batch-scanner.js';
import { predictBody } from '../../src/api/routes/model-predictions.routes.js';

type Validate = (data: unknown) => { value?: Record<string, unknown>; error?: unknown };
const bySchema = validatorCompiler({ schema: predictBody, method: 'POST', url: '/api/v1/models/:id/predict', httpPart: 'body' } as unknown as FastifyRouteSchemaDef<unknown> as never) as Validate;
const others = {
  version: (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? { value: v } : null),
  subjectId: (v: unknown) => (typeof v === 'string' && v.trim().length >= 1 && v.trim().length <= 200 ? { value: v.trim() } : null),
};
const scan = (text: string, max = 10_000) => scanInstanceBatch(Buffer.from(text, 'utf8'), max, others);

/** The matrix a body means, computed from JSON.parse's objects: columns in the first instance's key order (or `columns`). */
function expectedOf(body: Record<string, unknown>) {
  const instances = body.instances as Record<string, unknown>[] | undefined;
  const names = instances ? Object.keys(instances[0]!) : (body.columns as string[]);
  const rows = instances ? instances.map((o) => names.map((k) => o[k])) : (body.rows as unknown[][]);
  const held = names.map((_, j) =>
    rows.reduce<number>((bits, row) => {
      const v = row[j];
      return bits | (typeof v === 'boolean' ? HELD_BOOLEAN : typeof v === 'number' ? HELD_NUMBER | (Number.isInteger(v) ? 0 : HELD_FRACTION) : 0);
    }, 0),
  );
  const values = rows.flatMap((row) => row.map((v) => (v === null ? NaN : v === true ? 1 : v === false ? 0 : (v as number))));
  return { names, held, values, rowCount: rows.length };
}

/** Body texts as clients might send them: mostly well formed, now and then with one of many flaws JSON or the schema refuses, or that the scanner leaves to JSON.parse. */
function generatedText(random: () => number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!;
  const ws = () => (random() < 0.8 ? '' : pick([' ', '\n', '\t', '\r\n  ']));
  const number = () =>
    pick([
      () => JSON.stringify(random() * 10 ** Math.floor(random() * 40 - 20)),
      () => JSON.stringify(-Math.floor(random() * 1e6)),
      () => `${Math.floor(random() * 1000)}.${'0'.repeat(Math.floor(random() * 4))}${Math.floor(random() * 1e6)}`,
      () => `${pick(['', '-'])}${Math.floor(random() * 100)}${pick(['e', 'E'])}${pick(['', '+', '-'])}${Math.floor(random() * 30)}`,
      () => pick(['0', '-0', '-0.0', '1e400', '-1e400', '1e-400', '0.1', '123456789012345678', '9007199254740993', '1.7976931348623157e308', '5e-324', '0.30000000000000004']),
    ])();
  const malformedNumber = () => pick(['01', '1.', '.5', '-', '+1', '1e', '0x10', 'NaN', 'Infinity', '1_0']);
  const value = () => (random() < 0.9 ? number() : random() < 0.8 ? pick(['true', 'false', 'null']) : random() < 0.5 ? malformedNumber() : pick(['"1"', '[1]', '{}', 'tru', 'nul']));
  const key = (k: string) => (random() < 0.97 ? `"${k}"` : pick([`"${k}\\u0041"`, `"__proto__"`, `"${'k'.repeat(201)}"`, `"ü${k}"`, k]));
  const features = ['a', 'b', 'c', 'dd'].slice(0, 1 + Math.floor(random() * 4));
  const instance = () => {
    const keys = random() < 0.9 ? features : random() < 0.5 ? [...features].reverse() : random() < 0.5 ? features.slice(1) : [...features, features[0]!];
    return `{${ws()}${keys.map((k) => `${key(k)}${ws()}:${ws()}${value()}`).join(`${ws()},${ws()}`)}${ws()}}`;
  };
  const n = pick([0, 1, 2, 3, 9, 17]);
  const parts: string[] = [];
  if (random() < 0.5) {
    parts.push(`"instances":${ws()}[${Array.from({ length: n }, instance).join(',')}]`);
  } else {
    const width = random() < 0.95 ? features.length : features.length + 1;
    const row = () => `[${Array.from({ length: random() < 0.97 ? width : width - 1 }, value).join(`,${ws()}`)}]`;
    const columns = `"columns":[${features.map(key).join(',')}]`;
    const rows = `"rows":${ws()}[${Array.from({ length: n }, row).join(',')}]`;
    parts.push(...(random() < 0.5 ? [columns, rows] : [rows, columns]));
  }
  if (random() < 0.3) parts.push(`"version":${pick(['1', '2', '0', '-1', '1.5', '"1"', 'null', '9007199254740993'])}`);
  if (random() < 0.3) parts.push(`"subjectId":${pick(['"s-1"', '"  padded "', '""', '"a\\"b"', '3', 'null'])}`);
  if (random() < 0.03) parts.push('"extra":1');
  if (random() < 0.03) parts.push(parts[0]!);
  const text = `${ws()}{${ws()}${parts.join(`${ws()},${ws()}`)}${ws()}}${ws()}`;
  return random() < 0.03 ? pick([`${text}x`, text.slice(0, -2), `\ufeff${text}`, `[${text}]`]) : text;
}

describe('reading a batch body from its bytes', () => {
  it('on generated bodies, reads only what JSON.parse and the schema accept, with the same values (else leaves the body to them)', () => {
    const random = mulberry32(1207);
    let scanned = 0;
    let acceptedBySchema = 0;
    for (let i = 0; i < 20_000; i++) {
      const text = generatedText(random);
      const result = scan(text);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        expect(result, text).toBeNull();
        continue;
      }
      const validated = bySchema(parsed);
      if (validated.value !== undefined) acceptedBySchema++;
      if (result === null) continue;
      scanned++;
      expect(validated.value, text).toBeDefined();
      const body = validated.value!;
      const expected = expectedOf(body);
      expect(result.form, text).toBe(body.instances ? 'instances' : 'rows');
      expect(result.names, text).toEqual(expected.names);
      expect(Array.from(result.held), text).toEqual(expected.held);
      expect(result.rowCount, text).toBe(expected.rowCount);
      // Object.is: -0 stays -0, as JSON.parse reads it.
      const got = Array.from(result.values.subarray(0, expected.values.length));
      got.forEach((v, j) => expect(Object.is(v, expected.values[j]), `${text} [${j}] ${v} vs ${expected.values[j]}`).toBe(true));
      expect(result.fields).toEqual(Object.fromEntries(Object.entries(body).filter(([k]) => k === 'version' || k === 'subjectId')));
      expect(result.plain()).toEqual(parsed);
    }
    // The comparison means something only if most acceptable bodies are read directly.
    expect(scanned).toBeGreaterThan(3000);
    expect(scanned).toBeGreaterThan(0.75 * acceptedBySchema);
  });

  it('reads numbers exactly as JSON.parse does, on the fast path and off it', () => {
    const random = mulberry32(9);
    const texts: string[] = [];
    for (let i = 0; i < 30_000; i++) {
      const digits = Array.from({ length: 1 + Math.floor(random() * 20) }, () => Math.floor(random() * 10)).join('');
      const fraction = random() < 0.6 ? `.${Array.from({ length: 1 + Math.floor(random() * 20) }, () => Math.floor(random() * 10)).join('')}` : '';
      const exponent = random() < 0.4 ? `e${pick(random, ['', '-', '+'])}${Math.floor(random() * 330)}` : '';
      texts.push(`${random() < 0.3 ? '-' : ''}${digits.replace(/^0+(?=\d)/, '')}${fraction}${exponent}`);
      texts.push(JSON.stringify((random() - 0.5) * 10 ** Math.floor(random() * 600 - 300)));
    }
    // Significands on both sides of 2^53 (the exact fast path ends there), as integers and fractions.
    for (const digits of ['9007199254740991', '9007199254740992', '9007199254740993', '9007199254740995', '18014398509481985']) {
      texts.push(digits, `0.${digits}`, `${digits}e-22`, `${digits}e-23`, `${digits}e22`, `-${digits.slice(0, 8)}.${digits.slice(8)}`);
    }
    let finite = 0;
    for (const t of texts) {
      const result = scan(`{"rows":[[${t}]],"columns":["x"]}`);
      const expected = JSON.parse(t) as number;
      if (!Number.isFinite(expected)) {
        expect(result, t).toBeNull();
        continue;
      }
      finite++;
      expect(Object.is(result!.values[0], expected), `${t}: ${result!.values[0]} vs ${expected}`).toBe(true);
    }
    expect(finite).toBeGreaterThan(50_000);
  });

  it('reads 16-20-digit decimals exactly as JSON.parse does, those within a hair of a rounding tie included', () => {
    // JSON writers print most doubles with 17 significant digits: past 2^53, off Clinger's fast path.
    const random = mulberry32(2026);
    const texts: string[] = [];
    const float = new Float64Array(1);
    const bits = new BigUint64Array(float.buffer);
    for (let i = 0; i < 20_000; i++) {
      // Every fifth in [2^49, 2^53), where a tie (x + ulp / 2) has at most 20 digits and is read whole.
      const x = i % 5 === 0 ? 2 ** (49 + 4 * random()) : random() * 10 ** Math.floor(random() * 22 - 6);
      texts.push(String(x), String(-x));
      // The exact midpoint between x and the next double up, (2m + 1) × 2^(e - 1) = N / 10^k, cut to
      // 16-20 significant digits and moved one unit either way: decimals just below, at and above a tie
      // (exactly at it when it has 20 digits or fewer: then JSON.parse rounds to the even neighbour).
      float[0] = x;
      const exponent = Number((bits[0]! >> 52n) & 0x7ffn) - 1075;
      const mantissa = (bits[0]! & ((1n << 52n) - 1n)) | (1n << 52n);
      const k = 1 - exponent;
      if (k <= 0) continue;
      const digits = ((2n * mantissa + 1n) * 5n ** BigInt(k)).toString();
      for (let keep = 16; keep <= Math.min(20, digits.length); keep++) {
        const point = k - (digits.length - keep); // the cut decimal is its digits over 10^point
        for (const delta of [-1n, 0n, 1n]) {
          const cut = (BigInt(digits.slice(0, keep)) + delta).toString();
          texts.push(point <= 0 ? `${cut}e${-point}` : cut.length > point ? `${cut.slice(0, cut.length - point)}.${cut.slice(cut.length - point)}` : `0.${'0'.repeat(point - cut.length)}${cut}`);
        }
      }
    }
    expect(texts.length).toBeGreaterThan(300_000);
    const body = `{"columns":["x"],"rows":[${texts.map((t) => `[${t}]`).join(',')}]}`;
    const result = scanInstanceBatch(Buffer.from(body), texts.length, others)!;
    const mismatches = texts.filter((t, i) => !Object.is(result.values[i], JSON.parse(t) as number));
    expect(mismatches.slice(0, 5)).toEqual([]);
  });

  it('takes a 10,000-instance batch in any key order per instance, and refuses one more instance or a repeated key', () => {
    const instances = Array.from({ length: 10_000 }, (_, i) => (i % 3 === 0 ? { c: i % 2 === 0, b: null, a: i / 8 } : { a: i / 8, b: -i, c: true }));
    const result = scan(JSON.stringify({ instances, version: 3, subjectId: '  s-1 ' }))!;
    expect(result.names).toEqual(['c', 'b', 'a']);
    expect(result.rowCount).toBe(10_000);
    expect(result.fields).toEqual({ version: 3, subjectId: 's-1' });
    expect(Array.from(result.values.subarray(3, 9))).toEqual([1, -1, 0.125, 1, -2, 0.25]);
    expect(result.held[0]).toBe(HELD_BOOLEAN);
    expect(result.held[1]).toBe(HELD_NUMBER);
    expect(result.held[2]).toBe(HELD_NUMBER | HELD_FRACTION);
    expect(scan(JSON.stringify({ instances: [...instances, { a: 1, b: 2, c: 3 }] }))).toBeNull();
    expect(scan('{"instances":[{"a":1,"b":2},{"a":1,"a":2}]}')).toBeNull();
    expect(scan('{"instances":[{"a":1,"b":2},{"a":1,"c":2}]}')).toBeNull();
  });
});

describe('the scanned batch as the model matrix', () => {
  const schema = [
    { name: 'n', type: 'number' },
    { name: 'i', type: 'integer' },
    { name: 'b', type: 'boolean' },
  ];
  it('puts columns in the schema order', () => {
    const batch = scan('{"instances":[{"b":true,"i":2,"n":0.5},{"b":null,"i":-1,"n":null}]}')!;
    expect(Array.from(scannedMatrix(batch, schema)!)).toEqual([0.5, 2, 1, NaN, -1, NaN]);
    const rows = scan('{"columns":["n","i","b"],"rows":[[1.5,3,false]]}')!;
    expect(Array.from(scannedMatrix(rows, schema)!)).toEqual([1.5, 3, 0]);
  });
  it('answers null (the usual path names the problem) for a foreign, missing or repeated column, or a value of the wrong type', () => {
    for (const text of [
      '{"instances":[{"b":true,"i":2,"x":0.5}]}',
      '{"instances":[{"b":true,"i":2}]}',
      '{"instances":[{"b":true,"i":2,"n":0.5,"x":1}]}',
      '{"columns":["n","n","b"],"rows":[[1,1,true]]}',
      '{"instances":[{"b":1,"i":2,"n":0.5}]}',
      '{"instances":[{"b":true,"i":2.5,"n":0.5}]}',
      '{"instances":[{"b":true,"i":2,"n":false}]}',
    ]) {
      const batch = scan(text);
      expect(batch, text).not.toBeNull();
      expect(scannedMatrix(batch!, schema), text).toBeNull();
    }
  });
});

function pick<T>(random: () => number, xs: T[]): T {
  return xs[Math.floor(random() * xs.length)]!;
}
