import { afterEach, describe, expect, it } from 'vitest';
import { DuplicateEventConflict } from '../../src/events/event-store.js';
import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.js';
import { EVENTS_TABLE } from '../../src/events/postgres/ledger-schema.js';
import { openTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newEvent } from '../support/events.js';

/**
 * The append path of the PostgreSQL adapter, case by case: which way each group went (decided
 * under the lock, sent optimistically from this process's view of the ledger, or redone under the
 * lock after another writer moved the head), counted by `groupCounts`, on appends made one after
 * another so every count is known in advance (docs/ledger.md).
 */

const opened: Array<{ store: PostgresEventStore; db: TestDatabase }> = [];
afterEach(async () => {
  const dbs = new Set<TestDatabase>();
  for (const { store, db } of opened.splice(0)) {
    await store.close();
    dbs.add(db);
  }
  for (const db of dbs) await db.drop();
});
async function storeOn(dialect: 'postgres' | 'pglite', db?: TestDatabase) {
  const database = db ?? (await openTestDatabase(dialect));
  const store = new PostgresEventStore(database, { pollIntervalMs: 60_000 });
  opened.push({ store, db: database });
  return { store, db: database };
}

describe('PostgresEventStore appends, case by case', () => {
  it('decides the first group under the lock, then sends the next ones from its view (postgres)', async () => {
    const { store } = await storeOn('postgres');
    await store.append('s-1', [newEvent()]);
    expect(store.groupCounts).toEqual({ optimistic: 0, locked: 1, redone: 0 });
    const second = await store.append('s-1', [newEvent(), newEvent()], { expectedVersion: 0 });
    const third = await store.append('s-2', [newEvent()], { expectedVersion: 'no_stream' });
    expect(store.groupCounts).toEqual({ optimistic: 2, locked: 1, redone: 0 });
    expect([second.position, second.nextExpectedVersion, third.position, third.nextExpectedVersion]).toEqual([3, 2, 4, 0]);
    expect((await store.verify()).ok).toBe(true);
  });

  it('keeps no view of an empty ledger: a group that stored nothing leaves the next one to the lock (postgres)', async () => {
    const { store } = await storeOn('postgres');
    await expect(store.append('s-1', [newEvent()], { expectedVersion: 5 })).rejects.toMatchObject({ code: 'WRONG_EXPECTED_VERSION' });
    await store.append('s-1', [newEvent()]);
    // Sent optimistically from a head of 0, the group would fail the chain check and be redone.
    expect(store.groupCounts).toEqual({ optimistic: 0, locked: 2, redone: 0 });
  });

  it('redoes a group under the lock when another process moved the head, and keeps the chain (postgres)', async () => {
    const { store: a, db } = await storeOn('postgres');
    const { store: b } = await storeOn('postgres', db);
    await a.append('s-1', [newEvent()]);
    await a.append('s-1', [newEvent()]);
    await b.append('s-2', [newEvent()]);
    // A's view still has the head at 2: its group is refused by the database's chain check and decided again.
    const redone = await a.append('s-1', [newEvent()], { expectedVersion: 1 });
    expect([redone.position, redone.nextExpectedVersion]).toEqual([4, 2]);
    expect(a.groupCounts).toEqual({ optimistic: 1, locked: 2, redone: 1 });
    // The lock's decision is A's new view: the next group goes optimistically again.
    await a.append('s-1', [newEvent()], { expectedVersion: 2 });
    expect(a.groupCounts).toEqual({ optimistic: 2, locked: 2, redone: 1 });
    const events = await a.readAll({});
    expect(events.map((e) => [e.position, e.streamId, e.streamVersion])).toEqual([
      [1, 's-1', 0],
      [2, 's-1', 1],
      [3, 's-2', 0],
      [4, 's-1', 2],
      [5, 's-1', 3],
    ]);
    expect((await a.verify()).ok).toBe(true);
  });

  it('answers a repeated append sent optimistically as the duplicate it is (postgres)', async () => {
    const { store } = await storeOn('postgres');
    const event = newEvent({ n: 1 });
    const first = await store.append('s-1', [event]);
    const again = await store.append('s-1', [event]);
    expect(again).toMatchObject({ duplicate: true, position: first.position, nextExpectedVersion: 0 });
    // The id's unique index refused the optimistic insert; the group was decided again knowing the stored ids.
    expect(store.groupCounts).toEqual({ optimistic: 0, locked: 2, redone: 1 });
    expect((await store.head()).position).toBe(1);
  });

  it('decides every group under the lock on PGlite (one connection: no round trip to save)', async () => {
    const { store } = await storeOn('pglite');
    await store.append('s-1', [newEvent()]);
    await store.append('s-1', [newEvent()]);
    await store.append('s-2', [newEvent()]);
    expect(store.groupCounts).toEqual({ optimistic: 0, locked: 3, redone: 0 });
  });

  // PostgreSQL only: there the busy append's commit waits on the network, so the appends after it are
  // surely validated before it ends; PGlite commits in this thread and may take them one by one.
  for (const dialect of ['postgres'] as const) {
    it(`decides appends repeating each other's ids within one group (${dialect})`, async () => {
      const { store } = await storeOn(dialect);
      const [e1, e2, e3] = [newEvent({ n: 1 }), newEvent({ n: 2 }), newEvent({ n: 3 })];
      // The first append keeps the drain busy, so the ones after it are validated meanwhile and decided as one group.
      const busy = store.append('s-0', Array.from({ length: 200 }, () => newEvent()));
      const results = await Promise.allSettled([
        store.append('s-1', [e1, e2]),
        store.append('s-1', [e1, e2]), // the very same append: its duplicate
        store.append('s-2', [e1, e2]), // the same ids in another stream
        store.append('s-1', [e1]), // the first id alone
        store.append('s-1', [{ ...e1, type: 'test.other' }, e2]), // the same ids, another type
        store.append('s-3', [e3, e2]), // only its second id taken
        store.append('s-1', [e1, { ...e2, id: e3.id }]), // the first id, then another of the same type
      ]);
      await busy;
      const [first, same, ...conflicts] = results;
      expect(first).toMatchObject({ status: 'fulfilled', value: { duplicate: false, position: 202, nextExpectedVersion: 1 } });
      expect(same).toMatchObject({ status: 'fulfilled', value: { duplicate: true, position: 202, nextExpectedVersion: 1, streamId: 's-1' } });
      expect(same.status === 'fulfilled' && same.value.events.map((e) => e.id)).toEqual([e1.id, e2.id]);
      const taken = conflicts.map((c) => (c.status === 'rejected' && c.reason instanceof DuplicateEventConflict ? c.reason.message : c.status));
      expect(taken).toEqual([
        new DuplicateEventConflict([e1.id, e2.id]).message,
        new DuplicateEventConflict([e1.id]).message,
        new DuplicateEventConflict([e1.id, e2.id]).message,
        new DuplicateEventConflict([e2.id]).message,
        new DuplicateEventConflict([e1.id]).message,
      ]);
      expect((await store.head()).position).toBe(202);
    });
  }

  it('refuses only the append the database refuses, when it came in a group with others (postgres)', async () => {
    const { store, db } = await storeOn('postgres');
    // A rule of the database's own (as an operator's constraint would be): the group holding the
    // refused row fails as a whole, and its appends are then committed one by one.
    await db.knex.raw(`ALTER TABLE ${EVENTS_TABLE} ADD CONSTRAINT test_refused_type CHECK (type <> 'test.refused')`);
    const busy = store.append('s-0', Array.from({ length: 200 }, () => newEvent()));
    const [good, refused, alsoGood] = await Promise.allSettled([
      store.append('s-1', [newEvent({ n: 1 })]),
      store.append('s-2', [newEvent({ n: 2 }, { type: 'test.refused' })]),
      store.append('s-3', [newEvent({ n: 3 })]),
    ]);
    await busy;
    expect(good).toMatchObject({ status: 'fulfilled', value: { streamId: 's-1', position: 201 } });
    expect(refused.status === 'rejected' && (refused.reason as { code?: string }).code).toBe('23514');
    expect(alsoGood).toMatchObject({ status: 'fulfilled', value: { streamId: 's-3', position: 202 } });
    expect((await store.readAll({ after: 200 })).map((e) => e.streamId)).toEqual(['s-1', 's-3']);
    // A single append refused alone is refused with the database's error.
    await expect(store.append('s-2', [newEvent({}, { type: 'test.refused' })])).rejects.toMatchObject({ code: '23514' });
    expect((await store.verify()).ok).toBe(true);
  });
});
