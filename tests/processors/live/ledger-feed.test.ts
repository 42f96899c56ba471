import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor, type StoredEvent } from '../../../src/events/envelope.js';
import { PostgresEventStore } from '../../../src/events/postgres/postgres-event-store.js';
import { createInProcessBus } from '../../../src/platform/in-process-bus.js';
import { startLedgerFeed, type LedgerFeed } from '../../../src/processors/live/ledger-feed.js';
import { dialects, openTestDatabase, type TestDatabase } from '../../support/test-database.js';

const tick = (streamId: string, n: number) => ({ id: uuidv7(), type: 'model.bench-tick', schemaVersion: 1, data: { n }, actor: systemActor() });

/** Resolves with the first delivered batch holding `position`, or rejects after `ms`. */
function deliveryOf(feed: LedgerFeed, position: number, ms: number): Promise<{ events: StoredEvent[]; afterMs: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`position ${position} not delivered within ${ms} ms`)), ms);
    const stop = feed.listen((events) => {
      if (events.some((e) => e.position === position)) {
        clearTimeout(timer);
        stop();
        resolve({ events, afterMs: Date.now() - started });
      }
    });
  });
}

describe.each(dialects)('live ledger feed (%s): woken by the store, not only by the bus', (dialect) => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let feed: LedgerFeed;
  // A bus nothing publishes on, and a poll interval longer than any wait below: a delivery can only
  // come from the store's commit notice.
  const bus = createInProcessBus();

  beforeAll(async () => {
    db = await openTestDatabase(dialect);
    store = new PostgresEventStore(db, { pollIntervalMs: 60_000 });
    feed = await startLedgerFeed({ store, bus, subjectPrefix: 'silent.raia.events', pollIntervalMs: 60_000 });
  });
  afterAll(async () => {
    await feed.stop();
    await store.close();
    await bus.close();
    await db.drop();
  });

  it("delivers this process's commits in order, each once, with no bus notice", async () => {
    const seen: number[] = [];
    const stop = feed.listen((events) => seen.push(...events.map((e) => e.position)));
    const first = await store.append('model-feed-a', [tick('model-feed-a', 1), tick('model-feed-a', 2)]);
    const delivered = await deliveryOf(feed, first.position, 5_000);
    expect(delivered.afterMs).toBeLessThan(5_000);
    const second = await store.append('model-feed-b', [tick('model-feed-b', 3)]);
    await deliveryOf(feed, second.position, 5_000);
    stop();
    expect(seen).toEqual([first.position - 1, first.position, second.position]);
    expect(feed.counters().busNotices).toBe(0);
  });

  it.runIf(dialect === 'postgres')("hears another store's commits through NOTIFY", async () => {
    const other = new PostgresEventStore(db, { pollIntervalMs: 60_000 });
    try {
      const appended = await other.append('model-feed-c', [tick('model-feed-c', 4)]);
      await deliveryOf(feed, appended.position, 5_000);
      expect(feed.head()).toBeGreaterThanOrEqual(appended.position);
    } finally {
      await other.close();
    }
  });
});
