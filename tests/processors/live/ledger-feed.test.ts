import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { systemActor, type StoredEvent } from '../../../src/events/envelope.js';
import { PostgresEventStore } from '../../../src/events/postgres/postgres-event-store.js';
import { createInProcessBus } from '../../../src/platform/in-process-bus.js';
import { startLedgerFeed, type LedgerFeed } from '../../../src/processors/live/ledger-feed.js';
import { dialects, openTestDatabase, type TestDatabase } from '../../support/test-database.js';

const tick = (streamId: string, n: number) => ({ id: uuidv7(), type: 'model.bench-tick', schemaVersion: 1, data: { n }, actor: systemActor() });

/**
 * Resolves with the first delivered batch holding `position`, or rejects after `ms`. An append's
 * promise may settle after its commit notice has already reached the feed (the store holds a
 * settlement back briefly): a position at or below the head was delivered before this was asked.
 */
function deliveryOf(feed: LedgerFeed, position: number, ms: number): Promise<{ events: StoredEvent[]; afterMs: number }> {
  const started = Date.now();
  if (feed.head() >= position) return Promise.resolve({ events: [], afterMs: 0 });
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

describe.each(dialects)('live ledger feed (%s): no ledger read of its own', (dialect) => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let feed: LedgerFeed;
  const bus = createInProcessBus();

  beforeAll(async () => {
    db = await openTestDatabase(dialect);
    store = new PostgresEventStore(db, { pollIntervalMs: 60_000 });
    feed = await startLedgerFeed({ store, bus, subjectPrefix: 'raia.events', pollIntervalMs: 60_000 });
  });
  afterAll(async () => {
    await feed.stop();
    await store.close();
    await bus.close();
    await db.drop();
  });

  it("shares the ledger's other followers' read of a new commit", async () => {
    const followed: number[] = [];
    const subscription = store.subscribeToAll({ after: (await store.head()).position, onEvents: async (events) => void followed.push(...events.map((e) => e.position)) });
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const reads = vi.spyOn(store, 'readAll');
      const appended = await store.append('model-feed-shared', [tick('model-feed-shared', 1)]);
      await deliveryOf(feed, appended.position, 5_000);
      await vi.waitFor(() => expect(followed).toContain(appended.position), { timeout: 5_000 });
      // One query for the follower and the feed; the feed reading apart would be a second.
      expect(reads).toHaveBeenCalledTimes(1);
      reads.mockRestore();
    } finally {
      await subscription.stop();
    }
  });

  it('reads nothing for a bus notice of a position it has delivered, and reads for a later one', async () => {
    const appended = await store.append('model-feed-notice', [tick('model-feed-notice', 2)]);
    await vi.waitFor(() => expect(feed.head()).toBeGreaterThanOrEqual(appended.position), { timeout: 5_000 });
    const notice = (position: number) => bus.publish({ subject: 'raia.events.model.bench-tick', id: uuidv7(), payload: '{}', headers: { 'Raia-Position': String(position) } });
    const before = feed.counters();
    await notice(appended.position);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(feed.counters().busNotices).toBe(before.busNotices + 1);
    expect(feed.counters().reads).toBe(before.reads);
    // A notice past the head (another process's commit this one has not heard of) is read for.
    await notice(appended.position + 1);
    await vi.waitFor(() => expect(feed.counters().reads).toBe(before.reads + 1), { timeout: 5_000 });
  });
});
