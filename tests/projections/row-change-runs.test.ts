import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/events/envelope.js';
import { rowChangeRuns } from '../../src/projections/row-change-runs.js';
import { defineRowProjection, type RowChange } from '../../src/projections/row-projection.js';
import { dialects, openTestDatabase, type TestDatabase } from '../support/test-database.js';

const update = (where: Record<string, unknown>, set: Record<string, unknown>, table = 'a'): RowChange<string> => ({ table, where, set });
const insert = (row: Record<string, unknown>, table = 'a'): RowChange<string> => ({ table, insert: row });
const sizes = (changes: RowChange<string>[]) => rowChangeRuns(changes).map((run) => ('insert' in run ? `i${run.insert.length}` : `u${run.updates.length}`));

describe('rowChangeRuns: which consecutive changes one statement may make', () => {
  it('joins inserts into one table, and updates of different keys with the same match and set columns', () => {
    expect(sizes([insert({ id: 1 }), insert({ id: 2, name: 'x' }), update({ id: 1 }, { n: 1 }), update({ id: 2 }, { n: 2 }), update({ id: 3 }, { n: 3 })])).toEqual(['i2', 'u3']);
  });

  it('cuts at another table, other set columns, other match columns, and between kinds', () => {
    expect(sizes([update({ id: 1 }, { n: 1 }), update({ id: 2 }, { n: 2 }, 'b'), update({ id: 3 }, { n: 3, m: 1 }, 'b'), update({ id: 4, v: 1 }, { n: 3, m: 1 }, 'b'), insert({ id: 5 }, 'b'), update({ id: 6, v: 1 }, { n: 1, m: 2 }, 'b')])).toEqual(['u1', 'u1', 'u1', 'u1', 'i1', 'u1']);
  });

  it('cuts where a key comes again: the second update of a row must see the first', () => {
    expect(sizes([update({ id: 1 }, { n: 1 }), update({ id: 2 }, { n: 2 }), update({ id: 1 }, { n: 3 }), update({ id: 3 }, { n: 4 })])).toEqual(['u2', 'u2']);
  });

  it('leaves alone an update matching a null (IS NULL in SQL), one setting a column it matches on, and one setting nothing', () => {
    expect(sizes([update({ id: 1 }, { n: 1 }), update({ id: null }, { n: 1 }), update({ id: 2 }, { n: 1 }), update({ id: 3 }, { id: 4 }), update({ id: 5 }, { id: 6 }), update({ id: 7 }, { n: undefined }), update({ id: 8 }, { n: undefined })])).toEqual(['u1', 'u1', 'u1', 'u1', 'u1', 'u1', 'u1']);
  });

  it('takes set columns in any order and leaves out those set to undefined (knex does not set them)', () => {
    const runs = rowChangeRuns([update({ id: 1 }, { n: 1, m: 2 }), update({ id: 2 }, { m: 3, n: 4, o: undefined })]);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ keyColumns: ['id'], setColumns: ['m', 'n'] });
  });

  it('keeps a statement under 20,000 bound values', () => {
    const changes = Array.from({ length: 12_000 }, (_, i) => update({ id: i }, { n: i }));
    expect(sizes(changes)).toEqual(['u10000', 'u2000']);
    expect(sizes(Array.from({ length: 10_001 }, (_, i) => insert({ id: i, n: i })))).toEqual(['i10000', 'i1']);
  });
});

// Every column type a read model uses; bound values arrive as text, numbers and booleans and must
// take their column's type in the joined statement as in a lone one.
const typed = defineRowProjection({
  name: 'typed',
  version: 1,
  handles: ['item.added', 'item.changed', 'item.tagged'],
  tables: {
    items: (t) => {
      t.uuid('id').primary();
      t.integer('slot').notNullable();
      t.text('name').notNullable();
      t.jsonb('tags').notNullable();
      t.timestamp('changed_at', { useTz: true }).notNullable();
      t.bigInteger('last_position').notNullable();
      t.boolean('hidden').notNullable().defaultTo(false);
      t.integer('rank');
    },
  },
  changes(e) {
    const d = e.data as Record<string, unknown>;
    const at = e.occurredAt.toISOString();
    switch (e.type) {
      case 'item.added':
        return [{ table: 'items', insert: { id: d.id, slot: d.slot, name: d.name, tags: '[]', changed_at: at, last_position: e.position } }];
      case 'item.changed':
        return [{ table: 'items', where: { id: d.id }, set: { name: d.name, hidden: d.hidden, rank: d.rank ?? null, changed_at: at, last_position: e.position } }];
      case 'item.tagged':
        return [{ table: 'items', where: { slot: d.slot, id: d.id }, set: { tags: JSON.stringify(d.tags) } }];
      default:
        return [];
    }
  },
});

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const second = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, i));
let position = 0;
const event = (type: string, data: Record<string, unknown>) => ({ id: uuid(1000 + ++position), type, schemaVersion: 1, streamId: 'items', streamVersion: position, position, occurredAt: second(position), actor: { kind: 'system', id: 'test' }, data }) as unknown as StoredEvent;

describe.each(dialects)('row changes joined into one statement, on %s', (dialect) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(dialect, { migrate: false });
    await db.knex.schema.createTable('items', typed.tables.items);
  });
  afterAll(async () => db.drop());

  it('leave the rows worked out by hand, in one statement per run', async () => {
    position = 0;
    const events = [
      event('item.added', { id: uuid(1), slot: 1, name: 'lamp' }), // 1
      event('item.added', { id: uuid(2), slot: 2, name: 'desk' }), // 2
      event('item.added', { id: uuid(3), slot: 3, name: 'chair' }), // 3
      event('item.changed', { id: uuid(1), name: 'lamp 2', hidden: true, rank: 7 }), // 4
      event('item.changed', { id: uuid(2), name: "desk's", hidden: false }), // 5
      event('item.changed', { id: uuid(1), name: 'lamp 3', hidden: false, rank: 8 }), // 6: item 1 again, a new run
      event('item.changed', { id: uuid(3), name: 'chair 2', hidden: true, rank: 9007199254740991 - 9007199254740000 }), // 7
      event('item.tagged', { slot: 1, id: uuid(1), tags: ['a', { b: [1, 2] }] }), // 8
      event('item.tagged', { slot: 2, id: uuid(2), tags: { c: null } }), // 9
      event('item.tagged', { slot: 9, id: uuid(3), tags: ['never'] }), // 10: no row has slot 9 and id 3
    ];
    const statements: string[] = [];
    const count = (q: { sql: string }) => statements.push(q.sql);
    db.knex.on('query', count);
    await db.knex.transaction((trx) => typed.apply(trx, events, { items: 'items' }));
    db.knex.off('query', count);
    // Runs: 3 inserts | changes of 1, 2 | changes of 1, 3 | tags of 1, 2, 3; with BEGIN and COMMIT.
    expect(statements.filter((s) => !/^(BEGIN|COMMIT)/i.test(s))).toHaveLength(4);
    const rows = await db.knex('items').orderBy('slot');
    expect(rows.map((r: Record<string, unknown>) => ({ ...r, changed_at: (r.changed_at as Date).toISOString(), last_position: Number(r.last_position) }))).toEqual([
      { id: uuid(1), slot: 1, name: 'lamp 3', tags: ['a', { b: [1, 2] }], changed_at: second(6).toISOString(), last_position: 6, hidden: false, rank: 8 },
      { id: uuid(2), slot: 2, name: "desk's", tags: { c: null }, changed_at: second(5).toISOString(), last_position: 5, hidden: false, rank: null },
      { id: uuid(3), slot: 3, name: 'chair 2', tags: [], changed_at: second(7).toISOString(), last_position: 7, hidden: true, rank: 991 },
    ]);
  });

  it('a value its column cannot take fails the statement, and so the whole page', async () => {
    await db.knex('items').del();
    position = 0;
    const events = [event('item.added', { id: uuid(1), slot: 1, name: 'a' }), event('item.added', { id: uuid(2), slot: 2, name: 'b' })];
    await db.knex.transaction((trx) => typed.apply(trx, events, { items: 'items' }));
    const bad = [event('item.changed', { id: uuid(1), name: 'x', hidden: false }), event('item.changed', { id: uuid(2), name: 'y', hidden: 'not a boolean' })];
    await expect(db.knex.transaction((trx) => typed.apply(trx, bad, { items: 'items' }))).rejects.toThrow(/boolean/);
    expect((await db.knex('items').orderBy('slot')).map((r: Record<string, unknown>) => r.name)).toEqual(['a', 'b']);
  });
});
