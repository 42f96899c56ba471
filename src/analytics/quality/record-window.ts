import type { ColumnSample } from '../drift/column-drift.js';
import { createFloat64Buffer, type Float64Buffer } from '../drift/float64-buffer.js';

/**
 * One window of stream records (JSON objects), accumulated for quality and drift: per monitored
 * column the missing cells (absent, null, empty string, NaN) and type errors (a numeric column
 * given something that is not a finite number or numeric string; a categorical column given an
 * object or array), and the sample the drift tests need. Deliveries that are not JSON objects are
 * errors and do not count as records.
 */

export type WindowColumn = { name: string; kind: 'numeric' | 'categorical' };

export type ColumnQuality = { column: string; missing: number; missingRate: number; typeErrors: number };
export type WindowQuality = { columns: ColumnQuality[]; missingRate: number; typeErrorRate: number };

type Collector = { missing: number; typeErrors: number; values?: Float64Buffer; counts?: Map<string, number> };

export function createRecordWindow(columns: readonly WindowColumn[]) {
  const collectors: Collector[] = columns.map((c) => (c.kind === 'numeric' ? { missing: 0, typeErrors: 0, values: createFloat64Buffer(256) } : { missing: 0, typeErrors: 0, counts: new Map() }));
  let records = 0;
  let errors = 0;

  return {
    get records() {
      return records;
    },
    get errors() {
      return errors;
    },
    /** Counts a delivery that could not be read (e.g. invalid JSON). */
    pushError() {
      errors++;
    },
    push(record: unknown) {
      if (record === null || typeof record !== 'object' || Array.isArray(record)) {
        errors++;
        return;
      }
      records++;
      const row = record as Record<string, unknown>;
      for (let i = 0; i < columns.length; i++) {
        const c = collectors[i]!;
        const v = Object.hasOwn(row, columns[i]!.name) ? row[columns[i]!.name] : undefined;
        if (v === undefined || v === null || v === '' || (typeof v === 'number' && Number.isNaN(v))) {
          c.missing++;
          continue;
        }
        if (c.values) {
          const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
          if (Number.isFinite(x)) c.values.push(x);
          else c.typeErrors++;
        } else if (typeof v === 'object') c.typeErrors++;
        else {
          const key = String(v);
          c.counts!.set(key, (c.counts!.get(key) ?? 0) + 1);
        }
      }
    },
    quality(): WindowQuality {
      const cells = records * columns.length;
      let missing = 0;
      let typeErrors = 0;
      const perColumn = columns.map((col, i) => {
        const c = collectors[i]!;
        missing += c.missing;
        typeErrors += c.typeErrors;
        return { column: col.name, missing: c.missing, missingRate: records > 0 ? c.missing / records : 0, typeErrors: c.typeErrors };
      });
      return { columns: perColumn, missingRate: cells > 0 ? missing / cells : 0, typeErrorRate: cells > 0 ? typeErrors / cells : 0 };
    },
    /** The column's valid values as a drift sample (missing and mistyped cells left out). */
    sample(index: number): ColumnSample {
      const c = collectors[index]!;
      return c.values ? { kind: 'numeric', values: c.values.view() } : { kind: 'categorical', counts: c.counts! };
    },
  };
}

export type RecordWindow = ReturnType<typeof createRecordWindow>;
