import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { systemActor } from '../../src/events/envelope.js';
import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.js';
import { openTestDatabase, type TestDatabase } from '../support/test-database.js';

const tick = (n: number) => ({ id: uuidv7(), type: 'model.bench-tick', schemaVersion: 1, data: { n }, actor: systemActor() });

describe('ledger commit notices on PostgreSQL: one channel per schema', () => {
  let ours: TestDatabase;
  let theirs: TestDatabase;
  let store: PostgresEventStore;
  let other: PostgresEventStore;

  beforeAll(async () => {
    ours = await openTestDatabase('postgres');
    theirs = await openTestDatabase('postgres');
    // Poll intervals far longer than the waits below: only a commit notice can wake the follower.
    store = new PostgresEventStore(ours, { pollIntervalMs: 60_000 });
    other = new PostgresEventStore(theirs, { pollIntervalMs: 60_000 });
  });
  afterAll(async () => {
    await store.close();
    await other.close();
    await ours.drop();
    await theirs.drop();
  });

  it("announces this ledger's commits after a ledger in another schema of the database ran ahead", async () => {
    const heard: number[] = [];
    const stopHearing = store.onCommitted((position) => heard.push(position));
    const otherHearing = other.onCommitted(() => undefined);
    const reads = vi.spyOn(store, 'readAll');
    try {
      // Both stores listen; the other schema's ledger moves to position 50. Its NOTIFY, heard as
      // this ledger's head, would silence this store's own commits below 50 and make its followers
      // read again and again for events that are not there.
      await new Promise((resolve) => setTimeout(resolve, 200));
      await other.append('model-notice-other', Array.from({ length: 50 }, (_, i) => tick(i)));
      await new Promise((resolve) => setTimeout(resolve, 200));
      const appended = await store.append('model-notice-ours', [tick(1)]);
      await vi.waitFor(() => expect(heard).toContain(appended.position), { timeout: 5_000 });
      expect(heard).toEqual([1]);
      expect(reads).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
      stopHearing();
      otherHearing();
    }
  });
});
