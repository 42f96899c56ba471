import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.js';
import { sharedPageReads } from '../../src/events/shared-page-reads.js';
import type { StoredEvent } from '../../src/events/envelope.js';
import { dialects, openTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newEvent, sleep } from '../support/events.js';

describe.each(dialects)('subscription reads shared by followers, on %s', (dialect) => {
  let db: TestDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    db = await openTestDatabase(dialect);
    store = new PostgresEventStore(db, { pollIntervalMs: 50 });
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  it('reads a page once for callers asking at once or soon after, each with its own copy; reads again once an append is known or the page is old', async () => {
    const start = (await store.head()).position;
    await store.append('shared-1', [newEvent({ n: 1, nested: { k: 'v' } }), newEvent({ n: 2 })]);
    const reads: number[] = [];
    let head = 0;
    const read = sharedPageReads((after, limit) => (reads.push(after), store.readAll({ after, limit })), { minLimit: 10, knownHead: () => head, maxAgeMs: 300 });
    const pages = await Promise.all([read(start, 5), read(start, 10), read(start, 1)]);
    expect(reads).toEqual([start]);
    expect(pages.map((p) => p.map((e) => e.position))).toEqual([
      [start + 1, start + 2],
      [start + 1, start + 2],
      [start + 1],
    ]);
    (pages[0]![0]!.data.nested as { k: string }).k = 'changed by one follower';
    expect(pages[1]![0]!.data.nested).toEqual({ k: 'v' });
    expect((await read(start, 10))[0]!.data.nested).toEqual({ k: 'v' });
    expect(reads).toEqual([start]);

    // A larger page than the one read, a read once an append is known, or after maxAgeMs: to the database.
    expect(await read(start, 11)).toHaveLength(2);
    expect(reads).toEqual([start, start]);
    const first = read(start, 10);
    head = start + 3;
    await Promise.all([first, read(start, 10)]);
    expect(reads).toEqual([start, start, start]);
    await sleep(350);
    await read(start, 10);
    expect(reads).toEqual([start, start, start, start]);
  });

  it('twenty subscribers each see every event once, in order, while four writers append, and none sees another one\'s changes', async () => {
    const start = (await store.head()).position;
    const seen: number[][] = Array.from({ length: 20 }, () => []);
    const subscriptions = seen.map((positions, i) =>
      store.subscribeToAll({
        after: start,
        batchSize: i % 2 === 0 ? 500 : 7,
        async onEvents(events: StoredEvent[]) {
          for (const e of events) {
            expect(e.data.mark).toBe('original');
            if (i === 0) e.data.mark = 'changed by subscriber 0';
            positions.push(e.position);
          }
        },
      }),
    );
    await Promise.all(Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; i < 25; i++) await store.append(`writer-${w}-${i % 3}`, [newEvent({ mark: 'original' })], { expectedVersion: 'any' });
    }));
    const head = (await store.head()).position;
    for (let i = 0; i < 400 && seen.some((p) => p.length < head - start); i++) await sleep(25);
    await Promise.all(subscriptions.map((s) => s.stop()));
    const expected = Array.from({ length: head - start }, (_, i) => start + 1 + i);
    for (const positions of seen) expect(positions).toEqual(expected);
  });
});
