/**
 * RFC 8785 (JCS) canonical JSON in one pass over a value as JSON.stringify sees it: `toJSON` is
 * honoured, undefined/function/symbol members are dropped (null inside arrays), non-finite numbers
 * become null, and object keys are sorted by UTF-16 code units. Numbers are written as ECMAScript
 * Number::toString and strings as JSON.stringify writes them, which is exactly what JCS prescribes
 * for valid Unicode. A lone surrogate, which JCS (and the `canonicalize` package) refuses, comes out
 * as a `\udXXX` escape, as JSON.stringify writes it, so the append's validation can find and refuse it.
 * So `JSON.parse(canonicalJson(x))` is x as JSON storage returns it, and re-canonicalising that
 * gives the same text.
 *
 * Written here rather than taken from the `canonicalize` package because it runs for every event
 * on the append path, where it is several times as fast and also replaces a separate
 * stringify/parse normalisation; tests compare it with `canonicalize` on tricky values.
 * What makes it fast: strings without a character JSON escapes are quoted as they are (no call
 * to JSON.stringify), object keys are quoted once and remembered, keys already in order (as in
 * values that came from JSON storage or from this function) are not sorted again, and the text is
 * appended to one accumulator rather than returned and concatenated level by level.
 */
export function canonicalJson(value: unknown): string | undefined {
  return canonicalJsonOf(value).text;
}

/**
 * The canonical text, and whether the value already is what `JSON.parse` of that text gives back
 * (plain objects and arrays of strings, finite numbers, booleans and null, nothing dropped or
 * converted), so a caller that needs the value "as JSON storage returns it" can skip the parse.
 */
export function canonicalJsonOf(value: unknown): { text: string | undefined; isJsonValue: boolean } {
  const saved = out; // a toJSON may itself canonicalise: keep the caller's text
  const savedExact = exact;
  out = '';
  exact = true;
  try {
    const text = write(value, '') ? out : undefined;
    return { text, isJsonValue: text !== undefined && exact };
  } finally {
    out = saved;
    exact = savedExact;
  }
}

/** The text written so far by the innermost `canonicalJson` call. */
let out = '';
/** False once the innermost call converted or left out anything (toJSON, undefined, NaN, -0, a class instance…). */
let exact = true;

/** A character JSON.stringify escapes (or a surrogate, which it escapes when unpaired). */
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
/** JSON.stringify of a string, without the call when nothing needs escaping (ids, types, hex, ISO times). */
export const quote = (s: string): string => (NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`);

/** `"key":` for keys seen before; bounded, so arbitrary keys (map-like data) cannot grow it without limit. */
const quotedKeys = new Map<string, string>();
const MAX_QUOTED_KEYS = 4096;
function quotedKey(key: string): string {
  let text = quotedKeys.get(key);
  if (text === undefined) {
    text = `${quote(key)}:`;
    if (quotedKeys.size >= MAX_QUOTED_KEYS) quotedKeys.clear();
    quotedKeys.set(key, text);
  }
  return text;
}

/** Appends the value's text; false (nothing appended) for what JSON.stringify leaves out. */
function write(value: unknown, key: string): boolean {
  switch (typeof value) {
    case 'string':
      out += quote(value);
      return true;
    case 'number':
      if (Number.isFinite(value)) {
        if (value === 0 && 1 / value < 0) exact = false; // -0 is written as 0
        out += String(value);
      } else {
        exact = false;
        out += 'null';
      }
      return true;
    case 'boolean':
      out += value ? 'true' : 'false';
      return true;
    case 'object':
      if (value === null) {
        out += 'null';
        return true;
      }
      return writeObject(value, key);
    case 'bigint':
      exact = false;
      if (typeof (BigInt.prototype as { toJSON?: unknown }).toJSON === 'function') return write((value as unknown as { toJSON(key: string): unknown }).toJSON(key), key);
      throw new TypeError('BigInt values cannot be serialised as JSON');
    default:
      exact = false; // left out of an object, null in an array
      return false;
  }
}

function writeObject(value: object, key: string): boolean {
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    exact = false;
    return write((value as { toJSON(key: string): unknown }).toJSON(key), key);
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== Array.prototype) exact = false; // Map, class instances, boxed primitives, null-prototype objects
  if (Array.isArray(value)) {
    out += '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      if (!write(value[i], String(i))) out += 'null';
    }
    out += ']';
    return true;
  }
  if (value instanceof Number || value instanceof String || value instanceof Boolean) return write(value.valueOf(), key);
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      keys.sort();
      break;
    }
  }
  out += '{';
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const member = record[k];
    const mark = out;
    out += first ? quotedKey(k) : `,${quotedKey(k)}`;
    if (write(member, k)) first = false;
    else out = mark;
  }
  out += '}';
  return true;
}
