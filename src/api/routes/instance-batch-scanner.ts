import type { OtherFields } from './instance-batch-validator.js';

/**
 * Reads a well-formed batch body (`{ instances: [{ feature: value, … }, …], … }` or
 * `{ columns: [name, …], rows: [[value, …], …], … }`) straight from its bytes into one row-major
 * matrix, without building the 10,000 objects and 300,000 boxed numbers JSON.parse makes of it:
 * those cost more server time than scoring the batch (parse ~50 ms, garbage collection ~55 ms for
 * 7.5 MB). It accepts only a body that JSON.parse and the route's schema would accept with the same
 * values, and answers null for anything else (a string escape, a key that repeats or is missing in
 * one instance, an unknown top-level key, a number that is not finite, malformed JSON…), which then
 * goes through JSON.parse and the schema as before, so every refusal keeps its answer and field.
 * Numbers equal JSON.parse's: Clinger's exact fast path (an integer significand below 2^53 times
 * or over an exact power of ten up to 10^22: one rounding); for 16–20 significant digits over a
 * power of ten up to 10^22 (how JSON writes most doubles: 17 digits), a quotient in double-double
 * arithmetic rounded once (`twoPartQuotient`); else the engine's own conversion.
 */

/** What a column held, over all rows (null may appear anywhere). */
export const HELD_NUMBER = 1;
export const HELD_BOOLEAN = 2;
/** A number that is not an integer. */
export const HELD_FRACTION = 4;

export class ScannedInstanceBatch {
  readonly #raw: Uint8Array;
  constructor(
    /** The form sent: `instances` (objects) or `rows` (under `columns`). */
    readonly form: 'instances' | 'rows',
    /** The names of the matrix's columns: the first instance's keys in order, or `columns`. */
    readonly names: string[],
    /** rowCount × names.length, row-major; null as NaN, booleans as 0 and 1. */
    readonly values: Float64Array,
    readonly rowCount: number,
    /** Per column, the HELD_* bits of what it held. */
    readonly held: Uint8Array,
    /** The other top-level fields, as the route's checks answered them. */
    readonly fields: Readonly<Record<string, unknown>>,
    raw: Uint8Array,
  ) {
    this.#raw = raw;
  }

  /** The body as JSON.parse reads it, for what needs the objects (refusals with their fields, sealed inputs). */
  plain(): Record<string, unknown> {
    return JSON.parse(Buffer.from(this.#raw.buffer, this.#raw.byteOffset, this.#raw.byteLength).toString('utf8')) as Record<string, unknown>;
  }
}

const MAX_KEY_LENGTH = 200;
// Below 2^53 every integer is a double, and so was every partial significand on the way there.
const EXACT_INTEGERS = 2 ** 53;
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
// Keys a JSON body may not carry past fastify's prototype-poisoning check: left to it.
const GUARDED_KEYS = new Set(['__proto__', 'constructor']);

// twoPartQuotient's digits: `head` takes digits while below 9 × 10^14 (so it stays below 2^53:
// exact), `tail` the next ones, up to 4 (the integer stays below 10^20: its double-double is exact).
const HEAD_LIMIT = 9e14;
const MAX_TAIL_DIGITS = 4;
/** 2^27 + 1: Veltkamp's splitter, for exact products without a fused multiply-add. */
const SPLITTER = 134_217_729;
/** A double's bits, to read its exponent (which end of the word holds it depends on the machine). */
const bitsFloat = new Float64Array(1);
const bitsWords = new Uint32Array(bitsFloat.buffer);
const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LOW_WORD = 1 - HIGH_WORD;

/** a × b − fl(a × b), exactly (Dekker's TwoProduct; no overflow in the range used here). */
function productError(a: number, b: number, product: number): number {
  let t = SPLITTER * a;
  const aHigh = t - (t - a);
  const aLow = a - aHigh;
  t = SPLITTER * b;
  const bHigh = t - (t - b);
  const bLow = b - bHigh;
  return aHigh * bHigh - product + aHigh * bLow + aLow * bHigh + aLow * bLow;
}

/** a + b − fl(a + b), exactly (Knuth's TwoSum). */
function sumError(a: number, b: number, sum: number): number {
  const bVirtual = sum - a;
  return a - (sum - bVirtual) + (b - bVirtual);
}

/**
 * (head × 10^tailDigits + tail) / 10^m correctly rounded, or NaN where this cannot tell (the
 * caller then asks the engine). The integer is held exactly as a double-double s + t; the quotient
 * q = fl(s / 10^m) is corrected by the exact remainder's share c (10^m is exact for m ≤ 22, and
 * s − q × 10^m is computed exactly with TwoProduct), so q + c is the true value to within ~2^-49 of
 * an ulp; its rounding r = fl(q + c) is the correctly rounded value unless the part left over, d,
 * lies within 2^-16 of half an ulp of r (a near tie), or r is a power of two (where the ulp below is
 * half the ulp above). Those cases, about one input in 30,000, go to the engine.
 */
function twoPartQuotient(head: number, tail: number, tailDigits: number, m: number): number {
  const scale = POWERS_OF_TEN[tailDigits]!;
  const scaled = head * scale;
  const scaledError = productError(head, scale, scaled);
  const sum = scaled + tail;
  const low = sumError(scaled, tail, sum) + scaledError; // integers below 2^15: exact
  const s = sum + low;
  const t = low - (s - sum);
  const divisor = POWERS_OF_TEN[m]!;
  const q = s / divisor;
  const product = q * divisor;
  const remainder = s - product - productError(q, divisor, product) + t;
  const c = remainder / divisor;
  const r = q + c;
  const d = c - (r - q);
  bitsFloat[0] = r;
  const high = bitsWords[HIGH_WORD]!;
  if ((high & 0xfffff) === 0 && bitsWords[LOW_WORD] === 0) return NaN;
  const biasedExponent = (high >>> 20) & 0x7ff;
  if (biasedExponent <= 54) return NaN; // not reached (r ≥ 2^53 / 10^22): subnormal ulps are not built below
  bitsWords[HIGH_WORD] = (biasedExponent - 53) << 20;
  bitsWords[LOW_WORD] = 0;
  const halfUlp = bitsFloat[0];
  return Math.abs(halfUlp - Math.abs(d)) < halfUlp * 2 ** -16 ? NaN : r;
}

/** Thrown inside the scanner when the body is not one it reads; caught at its entry. */
class NotScannable extends Error {}
const notScannable = new NotScannable();

class Scanner {
  p = 0;
  /** Kind of the value read last: a HELD_* bit, or 0 for null. */
  kind = 0;
  /** Where the bytes of the name read last begin (they end before the quote at p - 1). */
  nameStart = 0;
  readonly buffer: Buffer;
  constructor(readonly b: Uint8Array) {
    this.buffer = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  }

  fail(): never {
    throw notScannable;
  }

  ws(): void {
    const b = this.b;
    let p = this.p;
    for (let c = b[p]; c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = b[++p]);
    this.p = p;
  }

  expect(byte: number): void {
    this.ws();
    if (this.b[this.p] !== byte) this.fail();
    this.p++;
  }

  /** After a member: true at a comma (another follows), false at the closing byte. */
  more(close: number): boolean {
    this.ws();
    const c = this.b[this.p++];
    if (c === COMMA) return true;
    if (c !== close) this.fail();
    return false;
  }

  /** True (and past it) when the next byte closes an empty container. */
  closesAt(close: number): boolean {
    this.ws();
    if (this.b[this.p] !== close) return false;
    this.p++;
    return true;
  }

  /** A string without escapes: its bytes' start and end (exclusive). */
  stringSpan(): number {
    this.expect(QUOTE);
    const b = this.b;
    const start = this.p;
    let p = start;
    for (let c = b[p]; c !== QUOTE; c = b[++p]) {
      if (c === undefined || c === BACKSLASH || c < 0x20) this.fail();
    }
    this.p = p + 1;
    return start;
  }

  /** Bytes `start .. end - 1` as text, byte per character (numbers are ASCII). */
  latin1(start: number, end: number): string {
    return this.buffer.toString('latin1', start, end);
  }

  text(start: number): string {
    return this.buffer.toString('utf8', start, this.p - 1);
  }

  /** A key or column name as the schema takes it (at most 200 characters), not one fastify guards. */
  name(): string {
    const start = this.stringSpan();
    this.nameStart = start;
    const name = this.text(start);
    if (name.length > MAX_KEY_LENGTH || GUARDED_KEYS.has(name)) this.fail();
    return name;
  }

  /** A feature value (number, boolean or null) as the matrix holds it; its kind in `kind`. */
  featureValue(): number {
    this.ws();
    const b = this.b;
    const c = b[this.p];
    if (c === 0x74 && b[this.p + 1] === 0x72 && b[this.p + 2] === 0x75 && b[this.p + 3] === 0x65) {
      this.p += 4;
      this.kind = HELD_BOOLEAN;
      return 1;
    }
    if (c === 0x66 && b[this.p + 1] === 0x61 && b[this.p + 2] === 0x6c && b[this.p + 3] === 0x73 && b[this.p + 4] === 0x65) {
      this.p += 5;
      this.kind = HELD_BOOLEAN;
      return 0;
    }
    if (c === 0x6e && b[this.p + 1] === 0x75 && b[this.p + 2] === 0x6c && b[this.p + 3] === 0x6c) {
      this.p += 4;
      this.kind = 0;
      return NaN;
    }
    const v = this.number();
    this.kind = v % 1 === 0 ? HELD_NUMBER : HELD_NUMBER | HELD_FRACTION;
    return v;
  }

  /** A JSON number, finite (zod refuses the others), equal to JSON.parse's reading of it. */
  number(): number {
    const b = this.b;
    const start = this.p;
    let p = start;
    const negative = b[p] === MINUS;
    if (negative) p++;
    // Every digit (exact below 2^53), and the same digits split exactly for twoPartQuotient: the
    // first while below HEAD_LIMIT (`head`), the rest (`tail`, `tailDigits` of them).
    let significand = 0;
    let head = 0;
    let tail = 0;
    let tailDigits = 0;
    let c = b[p]!;
    if (c === ZERO) c = b[++p]!;
    else if (c > ZERO && c <= NINE) {
      for (; c >= ZERO && c <= NINE; c = b[++p]!) {
        significand = significand * 10 + (c - ZERO);
        if (head < HEAD_LIMIT) head = head * 10 + (c - ZERO);
        else {
          tail = tail * 10 + (c - ZERO);
          tailDigits++;
        }
      }
    } else this.fail();
    let exponent = 0;
    if (c === DOT) {
      c = b[++p]!;
      if (!(c >= ZERO && c <= NINE)) this.fail();
      for (; c >= ZERO && c <= NINE; c = b[++p]!) {
        significand = significand * 10 + (c - ZERO);
        if (head < HEAD_LIMIT) head = head * 10 + (c - ZERO);
        else {
          tail = tail * 10 + (c - ZERO);
          tailDigits++;
        }
        exponent--;
      }
    }
    if (c === 0x65 || c === 0x45) {
      c = b[++p]!;
      const negativeExponent = c === MINUS;
      if (c === MINUS || c === PLUS) c = b[++p]!;
      if (!(c >= ZERO && c <= NINE)) this.fail();
      let e = 0;
      for (; c >= ZERO && c <= NINE; c = b[++p]!) if (e < 100_000) e = e * 10 + (c - ZERO);
      exponent += negativeExponent ? -e : e;
    }
    this.p = p;
    let value = NaN;
    if (significand < EXACT_INTEGERS && exponent >= -22 && exponent <= 22) {
      value = exponent >= 0 ? significand * POWERS_OF_TEN[exponent]! : significand / POWERS_OF_TEN[-exponent]!;
    } else if (tailDigits <= MAX_TAIL_DIGITS && exponent < 0 && exponent >= -22) {
      value = twoPartQuotient(head, tail, tailDigits, -exponent);
    }
    // Undecided (NaN): the engine's conversion of the text, sign included.
    if (Number.isNaN(value)) value = Number(this.latin1(start, p));
    else if (negative) value = -value;
    if (!Number.isFinite(value)) this.fail();
    return value;
  }

  /** A top-level field other than the batch: a number, a string without escapes, or a literal. */
  simpleValue(): unknown {
    this.ws();
    const c = this.b[this.p];
    if (c === QUOTE) return this.text(this.stringSpan());
    const v = this.featureValue();
    return this.kind === 0 ? null : this.kind === HELD_BOOLEAN ? v === 1 : v;
  }
}

/** A growing row-major matrix of known width. */
class MatrixBuilder {
  values: Float64Array;
  rows = 0;
  readonly held: Uint8Array;
  constructor(readonly width: number, expectedRows: number) {
    this.values = new Float64Array(Math.max(1, width * expectedRows));
    this.held = new Uint8Array(width);
  }

  /** A matrix whose first row (read before its width was known) is `first`, the values' kinds `kinds`. */
  static startingWith(first: number[], kinds: number[], expectedRows: number): MatrixBuilder {
    const m = new MatrixBuilder(first.length, expectedRows);
    m.values.set(first, m.nextRow());
    kinds.forEach((k, j) => (m.held[j]! |= k));
    return m;
  }

  /** Room for one more row; its first value's index. */
  nextRow(): number {
    const at = this.rows * this.width;
    if (at + this.width > this.values.length) {
      const grown = new Float64Array(Math.max(2 * this.values.length, at + this.width));
      grown.set(this.values);
      this.values = grown;
    }
    this.rows++;
    return at;
  }
}

/**
 * The batch in `bytes`, or null when it is not a well-formed batch this reads (the caller then
 * parses the body as usual). `others`: the body's other fields and their checks (the route's).
 */
export function scanInstanceBatch(bytes: Uint8Array, maxInstances: number, others: OtherFields): ScannedInstanceBatch | null {
  try {
    return scan(new Scanner(bytes), maxInstances, others);
  } catch (error) {
    if (error === notScannable) return null;
    throw error;
  }
}

function scan(s: Scanner, maxInstances: number, others: OtherFields): ScannedInstanceBatch {
  const fields: Record<string, unknown> = {};
  let instances: MatrixBuilder | null = null;
  let instanceNames: string[] = [];
  let rows: MatrixBuilder | null = null;
  let columns: string[] | null = null;
  const seen = new Set<string>();
  s.expect(OPEN_OBJECT);
  do {
    const key = s.name();
    if (seen.has(key)) s.fail();
    seen.add(key);
    s.expect(COLON);
    if (key === 'instances') [instances, instanceNames] = readInstances(s, maxInstances);
    else if (key === 'rows') rows = readRows(s, maxInstances);
    else if (key === 'columns') columns = readColumns(s, maxInstances);
    else {
      const accepted = Object.hasOwn(others, key) ? others[key]!(s.simpleValue()) : null;
      if (!accepted) s.fail();
      fields[key] = accepted.value;
    }
  } while (s.more(CLOSE_OBJECT));
  s.ws();
  if (s.p !== s.b.length) s.fail();
  if (instances) {
    if (rows || columns) s.fail();
    return new ScannedInstanceBatch('instances', instanceNames, instances.values, instances.rows, instances.held, fields, s.b);
  }
  if (!rows || !columns || rows.width !== columns.length) s.fail();
  return new ScannedInstanceBatch('rows', columns, rows.values, rows.rows, rows.held, fields, s.b);
}

/**
 * Rows to make room for at first: the rest of the body over the first row's length, a little more
 * (later rows may be longer). Growing by doubling from a small guess copied ~2.5 MB per 10,000 rows.
 */
function expectedRows(s: Scanner, firstStart: number, maxRows: number): number {
  const rowBytes = Math.max(1, s.p - firstStart);
  return Math.min(maxRows, Math.ceil(((s.b.length - firstStart) / rowBytes) * 1.1) + 1);
}

function readColumns(s: Scanner, maxColumns: number): string[] {
  s.expect(OPEN_ARRAY);
  if (s.closesAt(CLOSE_ARRAY)) s.fail();
  const names: string[] = [];
  do names.push(s.name());
  while (s.more(CLOSE_ARRAY));
  if (names.length > maxColumns) s.fail();
  return names;
}

function readRows(s: Scanner, maxRows: number): MatrixBuilder {
  s.expect(OPEN_ARRAY);
  if (s.closesAt(CLOSE_ARRAY)) s.fail();
  // The first row sets the width.
  const first: number[] = [];
  const firstKinds: number[] = [];
  const firstStart = s.p;
  s.expect(OPEN_ARRAY);
  if (!s.closesAt(CLOSE_ARRAY)) {
    do {
      first.push(s.featureValue());
      firstKinds.push(s.kind);
    } while (s.more(CLOSE_ARRAY));
  }
  const width = first.length;
  if (width === 0 || width > maxRows) s.fail();
  const m = MatrixBuilder.startingWith(first, firstKinds, expectedRows(s, firstStart, maxRows));
  const { held } = m;
  while (s.more(CLOSE_ARRAY)) {
    if (m.rows === maxRows) s.fail();
    const at = m.nextRow();
    const values = m.values;
    s.expect(OPEN_ARRAY);
    for (let j = 0; j < width; j++) {
      if (j > 0) s.expect(COMMA);
      values[at + j] = s.featureValue();
      held[j]! |= s.kind;
    }
    s.expect(CLOSE_ARRAY);
  }
  return m;
}

function readInstances(s: Scanner, maxInstances: number): [MatrixBuilder, string[]] {
  s.expect(OPEN_ARRAY);
  if (s.closesAt(CLOSE_ARRAY)) s.fail();
  // The first instance sets the columns: its keys, in its order.
  const names: string[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const first: number[] = [];
  const firstKinds: number[] = [];
  const firstStart = s.p;
  s.expect(OPEN_OBJECT);
  if (!s.closesAt(CLOSE_OBJECT)) {
    do {
      const name = s.name();
      if (names.includes(name)) s.fail();
      names.push(name);
      starts.push(s.nameStart);
      ends.push(s.p - 1);
      s.expect(COLON);
      first.push(s.featureValue());
      firstKinds.push(s.kind);
    } while (s.more(CLOSE_OBJECT));
  }
  const width = names.length;
  const m = MatrixBuilder.startingWith(first, firstKinds, expectedRows(s, firstStart, maxInstances));
  const column = new Map(names.map((name, j) => [name, j]));
  // Row number (from 1) in which each column was last given a value: a repeated key shows.
  const givenIn = new Int32Array(width);
  const { held } = m;
  const b = s.b;
  while (s.more(CLOSE_ARRAY)) {
    if (m.rows === maxInstances) s.fail();
    const at = m.nextRow();
    const row = m.rows;
    const values = m.values;
    s.expect(OPEN_OBJECT);
    let given = 0;
    if (!s.closesAt(CLOSE_OBJECT)) {
      do {
        const start = s.stringSpan();
        // Instances usually repeat the first one's key order: compare bytes with the expected key.
        let j = given < width ? given : -1;
        if (j >= 0) {
          const len = ends[j]! - starts[j]!;
          if (s.p - 1 - start !== len) j = -1;
          else {
            const ref = starts[j]!;
            for (let k = 0; k < len; k++) {
              if (b[start + k] !== b[ref + k]) {
                j = -1;
                break;
              }
            }
          }
        }
        if (j < 0) j = column.get(s.text(start)) ?? s.fail();
        if (givenIn[j] === row) s.fail();
        givenIn[j] = row;
        given++;
        s.expect(COLON);
        values[at + j] = s.featureValue();
        held[j]! |= s.kind;
      } while (s.more(CLOSE_OBJECT));
    }
    if (given !== width) s.fail();
  }
  return [m, names];
}

/**
 * The scanned batch as the model's matrix (columns in the input schema's order), or null when its
 * columns are not exactly the schema's features or a column holds a value of the wrong type: the
 * caller then takes the usual path, which names each problem's field.
 */
export function scannedMatrix(batch: ScannedInstanceBatch, schema: { name: string; type: string }[]): Float64Array | null {
  const width = schema.length;
  if (batch.names.length !== width) return null;
  const featureIndex = new Map(schema.map((f, j) => [f.name, j]));
  const target = new Int32Array(width);
  const named = new Uint8Array(width);
  let identity = true;
  for (let c = 0; c < width; c++) {
    const j = featureIndex.get(batch.names[c]!);
    if (j === undefined || named[j] === 1) return null;
    named[j] = 1;
    target[c] = j;
    if (j !== c) identity = false;
    const held = batch.held[c]!;
    const type = schema[j]!.type;
    if (type === 'boolean' ? (held & HELD_NUMBER) !== 0 : (held & HELD_BOOLEAN) !== 0) return null;
    if (type === 'integer' && (held & HELD_FRACTION) !== 0) return null;
  }
  const n = batch.rowCount;
  if (identity) return batch.values.length === n * width ? batch.values : batch.values.subarray(0, n * width);
  const matrix = new Float64Array(n * width);
  const values = batch.values;
  for (let i = 0; i < n; i++) {
    const base = i * width;
    for (let c = 0; c < width; c++) matrix[base + target[c]!] = values[base + c]!;
  }
  return matrix;
}
