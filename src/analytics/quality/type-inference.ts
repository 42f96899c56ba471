/**
 * Value-type inference for text input. A string is, in this order of tests: integer
 * (/^[+-]?\d+$/), number (decimal or exponent notation), boolean (true/false, any case),
 * date (ISO 8601 calendar date YYYY-MM-DD with a valid month and day), datetime (ISO 8601 date and
 * time, optional seconds, fraction and zone), otherwise string. Types group into families
 * (numeric, boolean, temporal, string) and a column's type is the narrowest type covering its
 * values when one family holds them all, or the dominant family's type when it holds at least
 * `dominance` (default 0.9) of them; otherwise string. Either way mixing families is reported.
 */

export type ValueType = 'integer' | 'number' | 'boolean' | 'date' | 'datetime' | 'string';
export type ColumnType = ValueType | 'empty';
export type TypeCounts = Record<ValueType, number>;

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const BOOLEAN = /^(?:true|false)$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ]([01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/;
/** A pragmatic e-mail shape (local@domain.tld), not RFC 5322. */
export const EMAIL = /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/;

function validDay(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const days = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return d <= days[m - 1]!;
}

export function classifyString(s: string): ValueType {
  const c = s.charCodeAt(0);
  const digitLike = (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46;
  if (digitLike) {
    if (INTEGER.test(s)) return 'integer';
    if (NUMBER.test(s)) return 'number';
    if (s.length >= 10) {
      const d = DATE.exec(s);
      if (d) return validDay(+d[1]!, +d[2]!, +d[3]!) ? 'date' : 'string';
      const t = DATETIME.exec(s);
      if (t) return validDay(+t[1]!, +t[2]!, +t[3]!) ? 'datetime' : 'string';
    }
    return 'string';
  }
  if ((c === 116 || c === 84 || c === 102 || c === 70) && BOOLEAN.test(s)) return 'boolean';
  return 'string';
}

export const emptyTypeCounts = (): TypeCounts => ({ integer: 0, number: 0, boolean: 0, date: 0, datetime: 0, string: 0 });

export type TypeInference = { type: ColumnType; mixedTypes: boolean; conforming: number; dominantFamily: 'numeric' | 'boolean' | 'temporal' | 'string' | 'none' };

export function inferColumnType(counts: TypeCounts, dominance = 0.9): TypeInference {
  const families = {
    numeric: counts.integer + counts.number,
    boolean: counts.boolean,
    temporal: counts.date + counts.datetime,
    string: counts.string,
  };
  const total = families.numeric + families.boolean + families.temporal + families.string;
  if (total === 0) return { type: 'empty', mixedTypes: false, conforming: 0, dominantFamily: 'none' };
  const entries = Object.entries(families) as [keyof typeof families, number][];
  const [family, count] = entries.reduce((best, e) => (e[1] > best[1] ? e : best));
  const present = entries.filter((e) => e[1] > 0).length;
  const familyType: ValueType =
    family === 'numeric' ? (counts.number > 0 ? 'number' : 'integer') : family === 'boolean' ? 'boolean' : family === 'temporal' ? (counts.datetime > 0 ? 'datetime' : 'date') : 'string';
  const type = count / total >= dominance ? familyType : 'string';
  return { type, mixedTypes: present > 1, conforming: count, dominantFamily: family };
}
