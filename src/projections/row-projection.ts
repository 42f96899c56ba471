import type { StoredEvent } from '../events/envelope.js';
import { defineProjection, type Projection } from './projection.js';

export type Row = Record<string, unknown>;

/** What one event does to a read model's tables: insert a row, or set columns of the rows matching `where`. */
export type RowChange<T extends string> = { table: T; insert: Row } | { table: T; where: Row; set: Row };

/**
 * A projection whose rules are written once, as the row changes each event makes. The runner
 * applies them as SQL; `foldRows` applies them in memory, which is how a read model is rebuilt
 * as of a past ledger position (projections/as-of) without a second copy of its rules.
 */
export type RowProjection<T extends string = string> = Projection<T> & { changes(event: StoredEvent): RowChange<T>[] };

export function defineRowProjection<T extends string>(spec: Omit<Projection<T>, 'apply'> & { changes(event: StoredEvent): RowChange<T>[] }): RowProjection<T> {
  return {
    ...defineProjection({
      ...spec,
      async apply(trx, events, tables) {
        for (const e of events) {
          for (const c of spec.changes(e)) {
            if ('insert' in c) await trx(tables[c.table]).insert(c.insert);
            else await trx(tables[c.table]).where(c.where).update(c.set);
          }
        }
      },
    }),
    changes: spec.changes,
  };
}

// SQL's `=`: a null on either side matches nothing.
const matches = (row: Row, where: Row) => Object.entries(where).every(([k, v]) => v !== null && v !== undefined && row[k] === v);

function indexRow(index: Map<unknown, Row[]>, key: unknown, row: Row): void {
  const rows = index.get(key);
  if (rows) rows.push(row);
  else index.set(key, [row]);
}

/** A table in memory, its rows found by the first column of a `where` through an index built on first use. */
class MemoryTable {
  readonly rows: Row[] = [];
  private readonly indexes = new Map<string, Map<unknown, Row[]>>();

  insert(row: Row): void {
    this.rows.push(row);
    for (const [column, index] of this.indexes) indexRow(index, row[column], row);
  }

  update(where: Row, set: Row): void {
    const [first] = Object.keys(where);
    const candidates = first === undefined ? this.rows : (this.index(first).get(where[first]) ?? []);
    for (const row of candidates) if (matches(row, where)) Object.assign(row, set);
    // An index on a column just set is stale: it is rebuilt when next used.
    for (const column of Object.keys(set)) this.indexes.delete(column);
  }

  private index(column: string): Map<unknown, Row[]> {
    let index = this.indexes.get(column);
    if (!index) {
      index = new Map();
      for (const row of this.rows) indexRow(index, row[column], row);
      this.indexes.set(column, index);
    }
    return index;
  }
}

/**
 * The rows `events` leave in empty tables, computed in memory (in position order, as the runner
 * applies them). Columns an insert leaves out stay absent: the database's defaults fill them when
 * the rows are written to a table.
 */
export function foldRows<T extends string>(projection: RowProjection<T>, events: readonly StoredEvent[]): Record<T, Row[]> {
  const tables = new Map<string, MemoryTable>(Object.keys(projection.tables).map((t) => [t, new MemoryTable()]));
  for (const e of events) {
    for (const c of projection.changes(e)) {
      const table = tables.get(c.table)!;
      if ('insert' in c) table.insert({ ...c.insert });
      else table.update(c.where, c.set);
    }
  }
  return Object.fromEntries([...tables].map(([t, table]) => [t, table.rows])) as Record<T, Row[]>;
}
