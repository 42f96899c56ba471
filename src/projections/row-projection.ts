import type { StoredEvent } from '../events/envelope.js';
import { defineProjection, type Projection } from './projection.js';
import { rowChangeRuns, writeRowChangeRun } from './row-change-runs.js';

export type Row = Record<string, unknown>;

/** What one event does to a read model's tables: insert a row, or set columns of the rows matching `where`. */
export type RowChange<T extends string> = { table: T; insert: Row } | { table: T; where: Row; set: Row };

/**
 * A projection whose rules are written once, as the row changes each event makes. The runner
 * applies them as SQL, consecutive changes of the same shape as one statement (row-change-runs.ts);
 * `foldRows` applies them in memory, which is how a read model is rebuilt as of a past ledger
 * position (projections/as-of) without a second copy of its rules.
 */
export type RowProjection<T extends string = string> = Projection<T> & { changes(event: StoredEvent): RowChange<T>[] };

export function defineRowProjection<T extends string>(spec: Omit<Projection<T>, 'apply'> & { changes(event: StoredEvent): RowChange<T>[] }): RowProjection<T> {
  return {
    ...defineProjection({
      ...spec,
      async apply(trx, events, tables) {
        for (const run of rowChangeRuns(events.flatMap((e) => spec.changes(e)))) await writeRowChangeRun(trx, tables[run.table], run);
      },
    }),
    changes: spec.changes,
  };
}

/**
 * The key of a row (or a `where`) on some columns. A null (or absent) value is a value like any
 * other, as in the SQL the runner runs: knex turns `where({ column: null })` into `IS NULL`.
 */
const keyOf = (values: Row, columns: readonly string[]): string => JSON.stringify(columns.map((c) => values[c] ?? null));

type Index = { columns: string[]; rows: Map<string, Row[]> };

/**
 * A table in memory. An update finds its rows through an index on exactly its `where` columns,
 * built on first use and kept up to date as rows are inserted and their indexed columns set, so
 * a fold stays linear in the number of events.
 */
class MemoryTable {
  readonly rows: Row[] = [];
  private readonly indexes = new Map<string, Index>();

  insert(row: Row): void {
    this.rows.push(row);
    for (const index of this.indexes.values()) this.add(index, row);
  }

  update(where: Row, set: Row): void {
    const columns = Object.keys(where);
    const key = keyOf(where, columns);
    const found = [...(this.index(columns).rows.get(key) ?? [])];
    // Every index on a column being set, the one just used included, moves the rows to their new keys.
    const changed = Object.keys(set);
    const moved = [...this.indexes.values()].filter((index) => index.columns.some((c) => changed.includes(c)));
    for (const row of found) {
      for (const index of moved) this.remove(index, row);
      Object.assign(row, set);
      for (const index of moved) this.add(index, row);
    }
  }

  private index(columns: string[]): Index {
    const name = JSON.stringify(columns);
    let index = this.indexes.get(name);
    if (!index) {
      index = { columns, rows: new Map() };
      for (const row of this.rows) this.add(index, row);
      this.indexes.set(name, index);
    }
    return index;
  }

  private add(index: Index, row: Row): void {
    const key = keyOf(row, index.columns);
    const rows = index.rows.get(key);
    if (rows) rows.push(row);
    else index.rows.set(key, [row]);
  }

  private remove(index: Index, row: Row): void {
    const rows = index.rows.get(keyOf(row, index.columns));
    if (rows) rows.splice(rows.indexOf(row), 1);
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
