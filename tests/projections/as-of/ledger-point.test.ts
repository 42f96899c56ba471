import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEventStore } from '../../../src/events/postgres/postgres-event-store.js';
import { ledgerPointAt, LedgerPointOutOfRange, streamEventsAt } from '../../../src/projections/as-of/ledger-point.js';
import { dialects, openTestDatabase, type TestDatabase } from '../../support/test-database.js';
import { newEvent } from '../../support/events.js';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');

describe.each(dialects)('ledger points on %s', (dialect) => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let now = T0;
  // Times along the ledger: several events share a millisecond, others are seconds apart.
  const offsets = [0, 0, 0, 5, 5, 1000, 1000, 1001, 7000, 7000, 7000, 7000, 9000, 60000, 60000, 60001, 120000];

  beforeAll(async () => {
    db = await openTestDatabase(dialect);
    store = new PostgresEventStore(db, { clock: () => new Date(now) });
    for (const [i, offset] of offsets.entries()) {
      now = T0 + offset;
      await store.append(i % 2 === 0 ? 'thing-a' : 'thing-b', [newEvent({ i })]);
    }
    now = T0 + 10 * 60_000;
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  it('finds the last position recorded at or before an instant, as a scan of every event does', async () => {
    const all = await store.readAll({ limit: 100 });
    expect(all.map((e) => e.occurredAt.getTime() - T0)).toEqual(offsets);
    const instants = [-1, 0, 1, 4, 5, 6, 999, 1000, 1001, 1002, 6999, 7000, 8999, 9000, 59999, 60000, 60001, 119999, 120000, 500000];
    for (const offset of instants) {
      const asOf = new Date(T0 + offset);
      const scanned = all.filter((e) => e.occurredAt.getTime() <= asOf.getTime()).at(-1)?.position ?? 0;
      expect(await ledgerPointAt(store, { asOf }, new Date(now)), `offset ${offset}`).toEqual({ position: scanned, occurredAt: asOf });
    }
  });

  it('takes a position as the point and its event\'s time as the instant; refuses one past the head or a future instant', async () => {
    const all = await store.readAll({ limit: 100 });
    const fifth = all[4]!;
    expect(await ledgerPointAt(store, { atPosition: fifth.position }, new Date(now))).toEqual({ position: fifth.position, occurredAt: fifth.occurredAt });
    await expect(ledgerPointAt(store, { atPosition: all.at(-1)!.position + 1 }, new Date(now))).rejects.toMatchObject({ field: 'atPosition' });
    await expect(ledgerPointAt(store, { asOf: new Date(now + 1) }, new Date(now))).rejects.toBeInstanceOf(LedgerPointOutOfRange);
  });

  it('cuts a stream at the point by position, not by time: events of the same millisecond after it are left out', async () => {
    const all = await store.readAll({ limit: 100 });
    // Positions 9-12 share offset 7000; a point at position 10 keeps 9 and 10 of them.
    const p10 = all[9]!;
    const point = await ledgerPointAt(store, { atPosition: p10.position }, new Date(now));
    const kept = [...(await streamEventsAt(store, 'thing-a', point)), ...(await streamEventsAt(store, 'thing-b', point))].map((e) => e.position).sort((a, b) => a - b);
    expect(kept).toEqual(all.slice(0, 10).map((e) => e.position));
  });
});
