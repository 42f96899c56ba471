import type { Knex } from '../platform/database.js';
import type { Row, RowChange } from './row-projection.js';

/**
 * Consecutive row changes that one statement makes exactly as the statements one by one would:
 * inserts into one table, or updates of one table that match on the same columns, set the same
 * columns, each match a different key (no null in it) and set none of the key columns. Then no
 * row is matched by two of the run's updates and none moves into or out of another's match, so
 * their order within the run cannot show. Under write load a page of a projection held one
 * update per event, each a round trip awaited in turn; the read model lagged the ledger by
 * 100-200 ms and the reads waiting for it (read-your-writes) with it.
 */
export type RowChangeRun<T extends string> =
  | { table: T; insert: Row[] }
  | { table: T; keyColumns: string[]; setColumns: string[]; updates: { where: Row; set: Row }[] };

/** Bound parameters of one statement, well inside PostgreSQL's 65,535. */
const MAX_PARAMETERS = 20_000;

const definedKeys = (row: Row) => Object.keys(row).filter((k) => row[k] !== undefined);
const sameColumns = (a: string[], b: string[]) => a.length === b.length && a.every((c, i) => c === b[i]);

/** `changes` cut into runs, in order. */
export function rowChangeRuns<T extends string>(changes: readonly RowChange<T>[]): RowChangeRun<T>[] {
  const runs: RowChangeRun<T>[] = [];
  let keys = new Set<string>();
  for (const change of changes) {
    const last = runs[runs.length - 1];
    if ('insert' in change) {
      if (last && 'insert' in last && last.table === change.table && (last.insert.length + 1) * Object.keys(change.insert).length <= MAX_PARAMETERS) last.insert.push(change.insert);
      else runs.push({ table: change.table, insert: [change.insert] });
      continue;
    }
    const keyColumns = Object.keys(change.where).sort();
    const setColumns = definedKeys(change.set).sort();
    const keyed = keyColumns.length > 0 && setColumns.length > 0 && keyColumns.every((c) => change.where[c] !== null && change.where[c] !== undefined) && !setColumns.some((c) => keyColumns.includes(c));
    const key = JSON.stringify(keyColumns.map((c) => change.where[c]));
    const joins =
      keyed &&
      last !== undefined &&
      'updates' in last &&
      last.table === change.table &&
      sameColumns(last.keyColumns, keyColumns) &&
      sameColumns(last.setColumns, setColumns) &&
      !keys.has(key) &&
      (last.updates.length + 1) * (keyColumns.length + setColumns.length) <= MAX_PARAMETERS;
    if (joins) {
      last.updates.push(change);
    } else {
      // A change that cannot join any run (a null in its match, a key column it sets) runs alone.
      runs.push({ table: change.table, keyColumns: keyed ? keyColumns : [], setColumns, updates: [change] });
      keys = new Set();
    }
    if (keyed) keys.add(key);
  }
  return runs;
}

/**
 * Writes one run. An update of several rows takes its values from a union whose first branch is
 * the table itself, empty (`WHERE false`): its columns give every bound value its column's type,
 * as a lone `UPDATE ... SET column = ?` does.
 */
export async function writeRowChangeRun(trx: Knex.Transaction, table: string, run: RowChangeRun<string>): Promise<void> {
  if ('insert' in run) {
    await trx(table).insert(run.insert.length === 1 ? run.insert[0]! : run.insert);
    return;
  }
  if (run.updates.length === 1 || run.keyColumns.length === 0) {
    for (const { where, set } of run.updates) await trx(table).where(where).update(set);
    return;
  }
  const columns = [...run.keyColumns, ...run.setColumns];
  const row = `SELECT ${columns.map(() => '?').join(', ')}`;
  const sql =
    `UPDATE ?? AS t SET ${run.setColumns.map(() => '?? = v.??').join(', ')} ` +
    `FROM (SELECT ${columns.map(() => '??').join(', ')} FROM ?? WHERE false UNION ALL ${run.updates.map(() => row).join(' UNION ALL ')}) AS v ` +
    `WHERE ${run.keyColumns.map(() => 't.?? = v.??').join(' AND ')}`;
  // In the order of the text.
  const bindings: unknown[] = [table, ...run.setColumns.flatMap((c) => [c, c]), ...columns, table];
  for (const { where, set } of run.updates) bindings.push(...run.keyColumns.map((c) => where[c]), ...run.setColumns.map((c) => set[c]));
  bindings.push(...run.keyColumns.flatMap((c) => [c, c]));
  await trx.raw(sql, bindings as Knex.RawBinding[]);
}
