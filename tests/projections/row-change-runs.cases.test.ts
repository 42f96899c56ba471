import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowChangeRuns, writeRowChangeRun, type RowChangeRun } from '../../src/projections/row-change-runs.js';
import type { RowChange } from '../../src/projections/row-projection.js';
import { dialects, openTestDatabase, type TestDatabase } from '../support/test-database.js';

const update = (where: Record<string, unknown>, set: Record<string, unknown>, table = 'cases'): RowChange<string> => ({ table, where, set });
const insert = (row: Record<string, unknown>, table = 'cases'): RowChange<string> => ({ table, insert: row });
const sizes = (changes: RowChange<string>[]) => rowChangeRuns(changes).map((run) => ('insert' in run ? `i${run.insert.length}` : `u${run.updates.length}`));

describe('rowChangeRuns: when two updates may share a statement', () => {
  it('compares match and set columns name by name: as many columns, of other names, cut the run', () => {
    expect(sizes([update({ id: 1 }, { m: 1, n: 1 }), update({ id: 2 }, { m: 2, o: 2 })])).toEqual(['u1', 'u1']);
    expect(sizes([update({ a: 1, b: 1 }, { n: 1 }), update({ a: 2, c: 2 }, { n: 2 })])).toEqual(['u1', 'u1']);
    // The first names alike, the second not.
    expect(sizes([update({ id: 1 }, { m: 1, n: 1 }), update({ id: 2 }, { m: 2, n: 2 }), update({ id: 3 }, { m: 3, z: 3 })])).toEqual(['u2', 'u1']);
  });

  it('cuts where one update sets more columns than the other, either way round', () => {
    expect(sizes([update({ id: 1 }, { m: 1 }), update({ id: 2 }, { m: 2, n: 2 })])).toEqual(['u1', 'u1']);
    expect(sizes([update({ id: 1 }, { m: 1, n: 1 }), update({ id: 2 }, { m: 2 })])).toEqual(['u1', 'u1']);
    expect(sizes([update({ a: 1 }, { n: 1 }), update({ a: 2, b: 2 }, { n: 2 })])).toEqual(['u1', 'u1']);
  });

  it('takes match columns in any order, and gives them sorted', () => {
    const runs = rowChangeRuns([update({ slot: 1, id: 1 }, { n: 1 }), update({ id: 2, slot: 2 }, { n: 2 })]);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ keyColumns: ['id', 'slot'], setColumns: ['n'] });
    expect(rowChangeRuns([update({ z: 1, a: 1, m: 1 }, { n: 1 })])[0]).toMatchObject({ keyColumns: ['a', 'm', 'z'] });
  });

  it('leaves alone an update matching null or undefined, in any of its match columns', () => {
    expect(sizes([update({ id: 1 }, { n: 1 }), update({ id: null }, { n: 2 })])).toEqual(['u1', 'u1']);
    expect(sizes([update({ id: 1 }, { n: 1 }), update({ id: undefined }, { n: 2 })])).toEqual(['u1', 'u1']);
    expect(sizes([update({ a: 1, b: 1 }, { n: 1 }), update({ a: 2, b: null }, { n: 2 })])).toEqual(['u1', 'u1']);
    expect(sizes([update({ a: 1, b: 1 }, { n: 1 }), update({ a: undefined, b: 2 }, { n: 2 })])).toEqual(['u1', 'u1']);
    // Nor does another update join one that stands alone.
    expect(sizes([update({ a: 1, b: null }, { n: 1 }), update({ a: 2, b: 2 }, { n: 2 })])).toEqual(['u1', 'u1']);
  });

  it('leaves alone an update matching every row (no match columns), even after another standing alone', () => {
    expect(sizes([update({ id: null }, { n: 1 }), update({}, { n: 2 })])).toEqual(['u1', 'u1']);
    expect(sizes([update({}, { n: 1 }), update({}, { n: 2 })])).toEqual(['u1', 'u1']);
  });

  it('leaves alone an update setting nothing, and one setting a column it matches on, even with others', () => {
    expect(sizes([update({ id: 1 }, { n: undefined }), update({ id: 2 }, { n: undefined })])).toEqual(['u1', 'u1']);
    expect(sizes([update({ id: 1 }, {}), update({ id: 2 }, {})])).toEqual(['u1', 'u1']);
    expect(sizes([update({ id: 1 }, { id: 9 }), update({ id: 2 }, { id: 8 })])).toEqual(['u1', 'u1']);
    expect(sizes([update({ id: 1 }, { id: 9, n: 1 }), update({ id: 2 }, { id: 8, n: 2 })])).toEqual(['u1', 'u1']);
    expect(sizes([update({ a: 1, b: 1 }, { b: 9, n: 1 }), update({ a: 2, b: 2 }, { b: 8, n: 2 })])).toEqual(['u1', 'u1']);
  });

  it('gives an update standing alone no match columns; one that may join, its match columns', () => {
    const alone: [RowChange<string>, string[]][] = [
      [update({ id: null }, { n: 1 }), ['n']],
      [update({ id: 1 }, { id: 2, n: 1 }), ['id', 'n']],
      [update({}, { n: 1 }), ['n']],
      [update({ id: 3 }, { n: undefined }), []],
    ];
    for (const [change, setColumns] of alone) expect(rowChangeRuns([change])).toEqual([{ table: 'cases', keyColumns: [], setColumns, updates: [change] }]);
    expect(rowChangeRuns([update({ id: 1 }, { n: 1 })])).toEqual([{ table: 'cases', keyColumns: ['id'], setColumns: ['n'], updates: [update({ id: 1 }, { n: 1 })] }]);
  });
});

describe.each(dialects)('writeRowChangeRun on %s', (dialect) => {
  let db: TestDatabase;
  let statements: string[];
  const onQuery = (q: { sql: string }) => {
    if (!/^(BEGIN|COMMIT|ROLLBACK)/i.test(q.sql)) statements.push(q.sql);
  };

  beforeAll(async () => {
    db = await openTestDatabase(dialect, { migrate: false });
    await db.knex.schema.createTable('cases', (t) => {
      t.integer('id').primary();
      t.text('tag');
      t.integer('m');
      t.integer('n');
      t.integer('o');
    });
  });
  afterAll(async () => db.drop());
  beforeEach(async () => {
    await db.knex('cases').del();
    await db.knex('cases').insert([{ id: 1 }, { id: 2 }, { id: 3, tag: 'x' }]);
    statements = [];
    db.knex.on('query', onQuery);
  });
  afterEach(() => {
    db.knex.off('query', onQuery);
  });

  const write = (runs: RowChangeRun<string>[]) => db.knex.transaction(async (trx) => {
    for (const run of runs) await writeRowChangeRun(trx, 'cases', run);
  });
  const rows = () => db.knex('cases').select('id', 'tag', 'm', 'n', 'o').orderBy('id');

  it('updates setting as many columns of other names set each its own', async () => {
    await write(rowChangeRuns([update({ id: 1 }, { m: 1, n: 1 }), update({ id: 2 }, { m: 2, o: 2 })]));
    expect(statements).toHaveLength(2);
    expect(await rows()).toEqual([
      { id: 1, tag: null, m: 1, n: 1, o: null },
      { id: 2, tag: null, m: 2, n: null, o: 2 },
      { id: 3, tag: 'x', m: null, n: null, o: null },
    ]);
  });

  it('a run of one update is a plain UPDATE ... WHERE', async () => {
    await write(rowChangeRuns([update({ id: 2 }, { n: 7 })]));
    expect(statements).toEqual(['update "cases" set "n" = $1 where "id" = $2']);
    expect((await rows()).map((r: Record<string, unknown>) => r.n)).toEqual([null, 7, null]);
  });

  it('a run of several keyed updates is one statement', async () => {
    await write(rowChangeRuns([update({ id: 1 }, { n: 10 }), update({ id: 2 }, { n: 20 }), update({ id: 3 }, { n: 30 })]));
    expect(statements).toHaveLength(1);
    expect((await rows()).map((r: Record<string, unknown>) => r.n)).toEqual([10, 20, 30]);
  });

  it('a run without match columns makes its updates one by one, in order, each seeing the one before', async () => {
    // Not one rowChangeRuns makes (it leaves such updates alone): the writer must still take it as it is.
    const run: RowChangeRun<string> = {
      table: 'cases',
      keyColumns: [],
      setColumns: ['tag'],
      updates: [
        { where: { tag: null }, set: { tag: 'y' } }, // ids 1 and 2
        { where: { tag: 'y' }, set: { n: 5 } }, // ids 1 and 2, tagged just before
        { where: {}, set: { m: 4 } }, // all three
      ],
    };
    await write([run]);
    expect(statements).toEqual(['update "cases" set "tag" = $1 where "tag" is null', 'update "cases" set "n" = $1 where "tag" = $2', 'update "cases" set "m" = $1']);
    expect(await rows()).toEqual([
      { id: 1, tag: 'y', m: 4, n: 5, o: null },
      { id: 2, tag: 'y', m: 4, n: 5, o: null },
      { id: 3, tag: 'x', m: 4, n: null, o: null },
    ]);
  });

  it('inserts one row or several, in one statement', async () => {
    await db.knex('cases').del();
    statements = [];
    await write(rowChangeRuns([insert({ id: 7, n: 1 })]));
    await write(rowChangeRuns([insert({ id: 8, n: 2 }), insert({ id: 9, n: 3 })]));
    expect(statements).toEqual(['insert into "cases" ("id", "n") values ($1, $2)', 'insert into "cases" ("id", "n") values ($1, $2), ($3, $4)']);
    expect((await rows()).map((r: Record<string, unknown>) => [r.id, r.n])).toEqual([
      [7, 1],
      [8, 2],
      [9, 3],
    ]);
  });
});
