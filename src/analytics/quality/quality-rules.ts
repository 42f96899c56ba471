import { compileExpression } from 'filtrex';
import type { Cell } from './column-profiler.js';

/**
 * Row-level validation rules. Column rules skip missing cells (null, undefined, NaN, '') except
 * `not_null`; `unique` fails the second and later occurrences of a value; `expression` rules are
 * filtrex expressions over the row's columns (compiled to a sandboxed function, never eval'd by
 * us), with filtrex's built-ins plus the whitelisted functions below; a row fails when the
 * expression is falsy or raises (unknown column, wrong type).
 */
export type QualityRule =
  | { type: 'not_null'; column: string; name?: string }
  | { type: 'range'; column: string; min?: number; max?: number; minInclusive?: boolean; maxInclusive?: boolean; name?: string }
  | { type: 'regex'; column: string; pattern: string; flags?: string; name?: string }
  | { type: 'allowed_values'; column: string; values: readonly (string | number | boolean)[]; name?: string }
  | { type: 'unique'; column: string; name?: string }
  | { type: 'expression'; expression: string; name?: string };

export type RuleResult = { rule: string; type: QualityRule['type']; checked: number; passed: number; failed: number; failingRows: number[]; failingRowsTruncated: boolean; errors: number };

export class InvalidRule extends Error {
  constructor(
    readonly rule: string,
    reason: string,
  ) {
    super(`invalid rule ${rule}: ${reason}`);
    this.name = 'InvalidRule';
  }
}

/** Functions an expression may call besides filtrex's abs, ceil, floor, log, log2, log10, max, min, round, sqrt, exists, empty. */
const EXPRESSION_FUNCTIONS = {
  len: (s: unknown) => (typeof s === 'string' ? s.length : 0),
  lower: (s: unknown) => String(s).toLowerCase(),
  upper: (s: unknown) => String(s).toUpperCase(),
  isnull: (x: unknown) => x === null || x === undefined || x === '' || (typeof x === 'number' && Number.isNaN(x)),
  num: (x: unknown) => Number(x),
  coalesce: (...xs: unknown[]) => xs.find((x) => x !== null && x !== undefined && x !== ''),
};

const isMissing = (v: Cell) => v === null || v === undefined || v === '' || (typeof v === 'number' && Number.isNaN(v));
const ruleName = (r: QualityRule, i: number) => r.name ?? `${i}:${r.type}${'column' in r ? `:${r.column}` : ''}`;

type Check = (row: readonly Cell[], record: () => Record<string, Cell>) => boolean | 'error';

function compileRule(rule: QualityRule, columns: readonly string[], name: string): Check {
  const col = (c: string) => {
    const i = columns.indexOf(c);
    if (i < 0) throw new InvalidRule(name, `unknown column ${c}`);
    return i;
  };
  switch (rule.type) {
    case 'not_null': {
      const i = col(rule.column);
      return (row) => !isMissing(row[i]);
    }
    case 'range': {
      const i = col(rule.column);
      const lo = rule.min ?? Number.NEGATIVE_INFINITY;
      const hi = rule.max ?? Number.POSITIVE_INFINITY;
      const loIn = rule.minInclusive ?? true;
      const hiIn = rule.maxInclusive ?? true;
      return (row) => {
        const v = row[i];
        if (isMissing(v)) return true;
        const x = typeof v === 'number' ? v : Number(v);
        if (Number.isNaN(x)) return false;
        return (loIn ? x >= lo : x > lo) && (hiIn ? x <= hi : x < hi);
      };
    }
    case 'regex': {
      const i = col(rule.column);
      let re: RegExp;
      try {
        re = new RegExp(rule.pattern, (rule.flags ?? '').replace(/[gy]/g, ''));
      } catch (e) {
        throw new InvalidRule(name, (e as Error).message);
      }
      return (row) => {
        const v = row[i];
        return isMissing(v) || re.test(String(v));
      };
    }
    case 'allowed_values': {
      const i = col(rule.column);
      const allowed = new Set(rule.values.map((v) => String(v)));
      return (row) => {
        const v = row[i];
        return isMissing(v) || allowed.has(String(v));
      };
    }
    case 'unique': {
      const i = col(rule.column);
      const seen = new Set<string | number | boolean>();
      return (row) => {
        const v = row[i];
        if (isMissing(v)) return true;
        if (seen.has(v!)) return false;
        seen.add(v!);
        return true;
      };
    }
    case 'expression': {
      let fn: (obj: unknown) => unknown;
      try {
        fn = compileExpression(rule.expression, { extraFunctions: EXPRESSION_FUNCTIONS });
      } catch (e) {
        throw new InvalidRule(name, (e as Error).message);
      }
      return (_row, record) => {
        const out = fn(record());
        if (out instanceof Error) return 'error';
        return Boolean(out);
      };
    }
    default: {
      const never: never = rule;
      throw new InvalidRule(name, `unknown type ${String((never as { type: string }).type)}`);
    }
  }
}

/** Push API: rows in `columns` order, then `result()`; failing row indexes are 0-based and capped at `maxFailingRows` per rule. */
export function createRuleValidator(rules: readonly QualityRule[], columns: readonly string[], options: { maxFailingRows?: number } = {}) {
  const cap = options.maxFailingRows ?? 100;
  const names = rules.map(ruleName);
  const checks = rules.map((r, i) => compileRule(r, columns, names[i]!));
  const results: RuleResult[] = rules.map((r, i) => ({ rule: names[i]!, type: r.type, checked: 0, passed: 0, failed: 0, failingRows: [], failingRowsTruncated: false, errors: 0 }));
  const needsRecord = rules.some((r) => r.type === 'expression');
  let index = 0;
  return {
    pushRow(row: readonly Cell[]) {
      let rec: Record<string, Cell> | undefined;
      const record = () => {
        if (!rec) {
          rec = {};
          for (let c = 0; c < columns.length; c++) {
            const v = row[c];
            rec[columns[c]!] = isMissing(v) ? null : v;
          }
        }
        return rec;
      };
      for (let k = 0; k < checks.length; k++) {
        const out = checks[k]!(row, needsRecord ? record : () => ({}));
        const r = results[k]!;
        r.checked++;
        if (out === true) r.passed++;
        else {
          r.failed++;
          if (out === 'error') r.errors++;
          if (r.failingRows.length < cap) r.failingRows.push(index);
          else r.failingRowsTruncated = true;
        }
      }
      index++;
    },
    result(): RuleResult[] {
      return results.map((r) => ({ ...r, failingRows: [...r.failingRows] }));
    },
  };
}

export function validateRules(rules: readonly QualityRule[], columns: readonly string[], rows: Iterable<readonly Cell[]>, options: { maxFailingRows?: number } = {}): RuleResult[] {
  const v = createRuleValidator(rules, columns, options);
  for (const row of rows) v.pushRow(row);
  return v.result();
}
