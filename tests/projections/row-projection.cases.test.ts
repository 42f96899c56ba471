import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/events/envelope.js';
import { defineRowProjection, foldRows, type RowChange } from '../../src/projections/row-projection.js';

/** A row projection whose events carry their row changes as they are: each case writes the changes it needs. */
const direct = defineRowProjection({
  name: 'direct',
  version: 1,
  handles: ['test.changes'],
  tables: { rows: () => undefined },
  changes: (e) => (e.data as { changes: RowChange<'rows'>[] }).changes,
});

const fold = (...changes: RowChange<'rows'>[]) => {
  const events = changes.map((c, i) => ({ id: `e${i + 1}`, type: 'test.changes', position: i + 1, data: { changes: [c] } }) as unknown as StoredEvent);
  return foldRows(direct, events).rows;
};
const insert = (row: Record<string, unknown>): RowChange<'rows'> => ({ table: 'rows', insert: row });
const update = (where: Record<string, unknown>, set: Record<string, unknown>): RowChange<'rows'> => ({ table: 'rows', where, set });

describe('foldRows: the in-memory tables behind it', () => {
  it('an update matching no row leaves the index of the column it sets as it was', () => {
    // The first update builds the index on owner (both rows under null) and matches nothing; the
    // second must still find both rows under null.
    expect(fold(insert({ id: 1 }), insert({ id: 2 }), update({ owner: 'zed' }, { owner: 'amy' }), update({ owner: null }, { flagged: true }))).toEqual([
      { id: 1, flagged: true },
      { id: 2, flagged: true },
    ]);
  });

  it('rows moved to a new key are found under it, and no longer under the old one', () => {
    expect(
      fold(
        insert({ id: 1, owner: 'ann' }),
        insert({ id: 2, owner: 'ann' }),
        insert({ id: 3, owner: 'bob' }),
        update({ owner: 'ann' }, { flagged: true }), // builds the owner index: ids 1, 2
        update({ id: 2 }, { owner: 'bob' }), // id 2 moves from ann to bob in the owner index
        update({ owner: 'ann' }, { note: 'ann' }), // id 1 only
        update({ owner: 'bob' }, { note: 'bob' }), // ids 2 and 3
        update({ owner: 'bob' }, { owner: 'cy' }), // ids 2 and 3 move on to cy
        update({ owner: 'cy' }, { rank: 1 }), // ids 2 and 3
        update({ owner: 'bob' }, { rank: 9 }), // none left with bob
      ),
    ).toEqual([
      { id: 1, owner: 'ann', flagged: true, note: 'ann' },
      { id: 2, owner: 'cy', flagged: true, note: 'bob', rank: 1 },
      { id: 3, owner: 'cy', note: 'bob', rank: 1 },
    ]);
  });

  it('folds 6,000 updates of 6,000 rows, each found through the index on its key', () => {
    // Indexes kept up to date make each update a lookup. (An index rebuilt per update gives the same
    // rows, 3.6e7 row visits later: a speed, not an answer, so it is not timed here; TESTING.md.)
    const n = 6_000;
    const changes: RowChange<'rows'>[] = [];
    for (let i = 0; i < n; i++) changes.push(insert({ id: i, n: 0 }));
    for (let i = 0; i < n; i++) changes.push(update({ id: (i * 7) % n }, { n: i }));
    const rows = fold(...changes);
    // Row (i * 7) % n was set by update i: 7 and 6,000 are coprime, so each row once.
    expect(rows[7]).toEqual({ id: 7, n: 1 });
    expect(rows[14]).toEqual({ id: 14, n: 2 });
    expect(rows[0]).toEqual({ id: 0, n: 0 });
    expect(rows[5_993]).toEqual({ id: 5_993, n: 5_999 });
  });
});
