import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/events/envelope.js';
import { defineRowProjection, foldRows } from '../../src/projections/row-projection.js';
import { dialects, openTestDatabase, type TestDatabase } from '../support/test-database.js';

// A small read model whose rules exercise what the in-memory fold must get right: inserts leaving
// columns to their defaults, updates matching several rows, updates that move a row out of the
// rows an earlier `where` found, and `where` on a null column (knex: IS NULL).
const things = defineRowProjection({
  name: 'things',
  version: 1,
  handles: ['thing.added', 'thing.moved', 'thing.flagged', 'thing.renamed'],
  tables: {
    things: (t) => {
      t.integer('id').primary();
      t.text('owner').notNullable();
      t.text('name');
      t.boolean('flagged').notNullable().defaultTo(false);
    },
  },
  changes(e) {
    const d = e.data as Record<string, unknown>;
    switch (e.type) {
      case 'thing.added':
        return [{ table: 'things', insert: { id: d.id, owner: d.owner, ...(d.name !== undefined ? { name: d.name } : {}) } }];
      case 'thing.moved':
        return [{ table: 'things', where: { owner: d.from }, set: { owner: d.to } }];
      case 'thing.flagged':
        return [{ table: 'things', where: { owner: d.owner, name: d.name ?? null }, set: { flagged: true } }];
      case 'thing.renamed':
        return [{ table: 'things', where: { id: d.id }, set: { name: d.name } }];
      default:
        return [];
    }
  },
});

let position = 0;
const event = (type: string, data: Record<string, unknown>) => ({ id: `e${++position}`, type, schemaVersion: 1, streamId: 'things-1', streamVersion: position, position, occurredAt: new Date(), actor: { kind: 'system', id: 'test' }, data }) as unknown as StoredEvent;

const events = [
  event('thing.added', { id: 1, owner: 'ann', name: 'lamp' }),
  event('thing.added', { id: 2, owner: 'ann' }),
  event('thing.added', { id: 3, owner: 'bob', name: 'desk' }),
  event('thing.flagged', { owner: 'ann', name: 'lamp' }), // id 1
  event('thing.moved', { from: 'ann', to: 'cat' }), // ids 1 and 2
  event('thing.moved', { from: 'ann', to: 'dan' }), // none left with ann
  event('thing.renamed', { id: 2, name: 'chair' }),
  event('thing.flagged', { owner: 'cat' }), // cat's things without a name: none since id 2 was named
  event('thing.moved', { from: 'bob', to: 'cat' }), // id 3
  event('thing.flagged', { owner: 'cat', name: 'desk' }), // id 3, found by the owner just set
  event('thing.moved', { from: 'cat', to: 'eve' }), // ids 1, 2 and 3
  event('thing.added', { id: 4, owner: 'fay' }),
  event('thing.flagged', { owner: 'fay' }), // id 4: its name is null
];
// By hand: 1, 2 and 3 end with eve, 1 and 3 flagged, 2 renamed chair and not flagged; 4 with fay, flagged.
const expected = [
  { id: 1, owner: 'eve', name: 'lamp', flagged: true },
  { id: 2, owner: 'eve', name: 'chair', flagged: false },
  { id: 3, owner: 'eve', name: 'desk', flagged: true },
  { id: 4, owner: 'fay', name: null, flagged: true },
];

describe('row projections folded in memory', () => {
  it('leave the rows worked out by hand, a null in a where matching null columns as in SQL', () => {
    const rows = foldRows(things, events).things.map((r) => ({ flagged: false, name: null, ...r }) as Record<string, unknown>);
    expect(rows.sort((a, b) => (a.id as number) - (b.id as number))).toEqual(expected);
  });

  it('stop where the events stop: a prefix folds to the state at that point', () => {
    const rows = foldRows(things, events.slice(0, 6)).things;
    expect(rows.map((r) => [r.id, r.owner, r.flagged ?? false])).toEqual([
      [1, 'cat', true],
      [2, 'cat', false],
      [3, 'bob', false],
    ]);
  });
});

describe.each(dialects)('row projections applied as SQL on %s', (dialect) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(dialect, { migrate: false });
    await db.knex.schema.createTable('things', things.tables.things);
  });
  afterAll(async () => db.drop());

  it('leave the same rows as the fold in memory', async () => {
    await db.knex.transaction((trx) => things.apply(trx, events, { things: 'things' }));
    expect(await db.knex('things').orderBy('id')).toEqual(expected);
  });
});
