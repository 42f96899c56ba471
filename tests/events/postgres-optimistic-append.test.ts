import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/platform/database.js';
import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.js';
import { WrongExpectedVersion } from '../../src/events/event-store.js';
import { TEST_DATABASE_URL, dialects, openTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newEvent } from '../support/events.js';

/**
 * The PostgreSQL store decides and chains appends against what it last wrote and sends them ahead
 * of the append lock (optimistic groups), redoing a group under the lock when another writer moved
 * the head. Two stores on one schema stand for two RAIA processes sharing a database.
 */
describe('optimistic appends on postgres, two processes on one database', () => {
  let db: TestDatabase;
  let second: Database;
  let a: PostgresEventStore;
  let b: PostgresEventStore;

  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    const { schema } = (await db.knex.raw('SELECT current_schema() AS schema')).rows[0] as { schema: string };
    second = await openDatabase({ url: TEST_DATABASE_URL, schema, poolSize: 12 });
    a = new PostgresEventStore(db);
    b = new PostgresEventStore(second);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await second.close();
    await db.drop();
  });

  it('interleaves two writers on shared streams: every append stored once, positions and versions dense, chain intact', async () => {
    const writer = (store: PostgresEventStore, name: string) =>
      Array.from({ length: 4 }, async (_, w) => {
        const ids: string[] = [];
        for (let i = 0; i < 60; i++) {
          const batch = Array.from({ length: 1 + ((i + w) % 9) }, (_, k) => newEvent({ name, w, i, k }));
          const stream = i % 3 === 0 ? `shared-${i % 5}` : `own-${name}-${w}`;
          const result = await store.append(stream, batch);
          expect(result.events.map((e) => e.id)).toEqual(batch.map((e) => e.id));
          ids.push(...batch.map((e) => e.id));
        }
        return ids;
      });
    const ids = (await Promise.all([...writer(a, 'a'), ...writer(b, 'b')])).flat();

    const head = await a.head();
    expect(head.position).toBe(ids.length);
    const all = [];
    for (let after = 0; after < head.position; after = all.length) all.push(...(await a.readAll({ after, limit: 10_000 })));
    expect(all.map((e) => e.position)).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
    expect(new Set(all.map((e) => e.id))).toEqual(new Set(ids));
    for (const stream of new Set(all.map((e) => e.streamId))) {
      const versions = all.filter((e) => e.streamId === stream).map((e) => e.streamVersion);
      expect(versions).toEqual(versions.map((_, i) => i));
    }
    expect((await a.verify()).ok).toBe(true);
    // Both paths ran, and each store had groups redone because the other one moved the head.
    expect(a.groupCounts.optimistic + b.groupCounts.optimistic).toBeGreaterThan(0);
    expect(a.groupCounts.redone + b.groupCounts.redone).toBeGreaterThan(0);
  }, 60_000);

  it('checks expected versions against the database when its own view is stale', async () => {
    await a.append('account-1', [newEvent(), newEvent(), newEvent()]); // versions 0..2
    await a.append('account-1', [newEvent()], { expectedVersion: 2 }); // optimistic: a knows the stream
    await b.append('account-1', [newEvent()], { expectedVersion: 3 }); // a's view now says 3, the ledger 4
    await expect(a.append('account-1', [newEvent()], { expectedVersion: 3 })).rejects.toMatchObject({ name: WrongExpectedVersion.name, actual: 4 });
    const accepted = await a.append('account-1', [newEvent()], { expectedVersion: 4 });
    expect(accepted.nextExpectedVersion).toBe(5);
    await expect(a.append('account-1', [newEvent()], { expectedVersion: 'no_stream' })).rejects.toBeInstanceOf(WrongExpectedVersion);
    expect((await a.verify()).ok).toBe(true);
  });

  it('answers a retried append as a duplicate, from either process', async () => {
    const events = [newEvent({ n: 1 }), newEvent({ n: 2 })];
    await a.append('warm', [newEvent()]);
    const first = await a.append('retried', events);
    const again = await a.append('retried', events);
    const elsewhere = await b.append('retried', events);
    for (const r of [again, elsewhere]) {
      expect(r.duplicate).toBe(true);
      expect(r.events.map((e) => [e.id, e.position, e.hash])).toEqual(first.events.map((e) => [e.id, e.position, e.hash]));
    }
    expect((await a.readStream('retried')).length).toBe(2);
  });
});

describe.each(dialects)('texts that COPY escapes, and dollar-quote and array-literal lookalikes, on %s', (dialect) => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
    store = new PostgresEventStore(db);
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  it('stores actor ids and data holding backslashes, \\N, \\., tabs, newlines, $j$, quotes, braces and commas as they are', async () => {
    const actor = { kind: 'service' as const, id: 'svc $j$ "quoted" \\ \\N \\t {a,b} NULL' };
    const data = {
      note: 'ends $j$; then "x" \\ {} , NULL',
      price: '$5',
      nested: { $key: ['$j$', '\\u0000-free'] },
      copy: ['\\N', '\\.', '\n\\.\n', 'a\tb\r\nc', '\\\\', 'é ✓ \u2028'],
      'key\twith\ntab': '\\',
    };
    await store.append('escapes-0', [newEvent()]); // a second group can go the optimistic way
    const [written] = (await store.append('escapes-1', [newEvent(data, { actor })])).events;
    const [read] = await store.readStream('escapes-1');
    expect(read!.actor).toEqual(actor);
    expect(read!.data).toEqual(data);
    expect(read!.hash).toBe(written!.hash);
    expect((await store.readAll({ filter: { actorId: actor.id } })).map((e) => e.id)).toEqual([written!.id]);
    expect((await store.verify()).ok).toBe(true);
  });
});
