import type { EventEmitter } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StoredEvent } from '../../src/events/envelope.js';
import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.js';
import { ledgerCoordination } from '../../src/events/postgres/ledger-coordination.js';
import { dialects, openTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newEvent } from '../support/events.js';

/**
 * The read side of the PostgreSQL adapter, case by case: each filter field on its own among
 * events it must leave out, the ends of counts and position reads, the empty ledger's head, and
 * how followers are woken (an append, a stop, a commit made before listening). The contract
 * (event-store-contract.ts) covers the common paths; these are the cases it leaves open.
 */

type Opened = Array<{ store: PostgresEventStore; db: TestDatabase }>;
/** Stores of one test, and stores kept for the file (opening a PGlite database takes seconds). */
const opened: Opened = [];
const kept: Opened = [];
async function openStore(dialect: (typeof dialects)[number], db?: TestDatabase, keep = false) {
  const database = db ?? (await openTestDatabase(dialect));
  // A poll far beyond any test's time limit: a follower that is not woken does not deliver in time.
  const store = new PostgresEventStore(database, { pollIntervalMs: 60_000 });
  (keep ? kept : opened).push({ store, db: database });
  return { store, db: database };
}
async function closeAll(stores: Opened) {
  const dbs = new Set<TestDatabase>();
  for (const { store, db } of stores.splice(0)) {
    await store.close();
    dbs.add(db);
  }
  for (const db of dbs) await db.drop();
}
afterEach(() => closeAll(opened));
afterAll(() => closeAll(kept));

const positionsOf = (events: StoredEvent[]) => events.map((e) => e.position);

for (const dialect of dialects) {
  describe(`PostgresEventStore reads, case by case (${dialect})`, () => {
    /** Six events: streams case-1 (three), case-2 (two) and other-1 (one), interleaved, at three known instants. */
    let six: Promise<{ store: PostgresEventStore; instants: Date[] }> | undefined;
    const sixEvents = () => (six ??= writeSixEvents());
    async function writeSixEvents() {
      const instants = ['2026-03-01T10:00:00.000Z', '2026-03-02T10:00:00.000Z', '2026-03-03T10:00:00.000Z'].map((t) => new Date(t));
      let now = instants[0]!;
      const database = await openTestDatabase(dialect);
      const store = new PostgresEventStore(database, { pollIntervalMs: 60_000, clock: () => now });
      kept.push({ store, db: database });
      await store.append('case-1', [newEvent({ n: 1 }, { type: 'case.opened' }), newEvent({ n: 2 }, { type: 'case.noted' })]); // 1, 2
      now = instants[1]!;
      await store.append('case-2', [newEvent({ n: 3 }, { type: 'case.opened' })]); // 3
      await store.append('other-1', [newEvent({ n: 4 }, { type: 'other.seen' })]); // 4
      now = instants[2]!;
      await store.append('case-1', [newEvent({ n: 5 }, { type: 'case.closed' })]); // 5
      await store.append('case-2', [newEvent({ n: 6 }, { type: 'case.noted' })]); // 6
      return { store, instants };
    }

    it('filters by each field on its own, leaving the other events out', async () => {
      const { store, instants } = await sixEvents();
      expect(positionsOf(await store.readAll({ filter: { streamId: 'case-2' } }))).toEqual([3, 6]);
      expect(positionsOf(await store.readAll({ filter: { streamCategory: 'other' } }))).toEqual([4]);
      expect(positionsOf(await store.readAll({ filter: { streamCategory: 'case' } }))).toEqual([1, 2, 3, 5, 6]);
      // Instants are inclusive at both ends.
      expect(positionsOf(await store.readAll({ filter: { from: instants[1]! } }))).toEqual([3, 4, 5, 6]);
      expect(positionsOf(await store.readAll({ filter: { to: instants[1]! } }))).toEqual([1, 2, 3, 4]);
      expect(positionsOf(await store.readAll({ filter: { from: instants[1]!, to: instants[1]! } }))).toEqual([3, 4]);
      // An empty type list names no type: it does not narrow (and does not empty) the other fields' match.
      expect(positionsOf(await store.readAll({ filter: { types: [], streamId: 'case-1' } }))).toEqual([1, 2, 5]);
      expect(await store.countAll({ filter: { types: [], streamId: 'case-1' } })).toBe(3);
      expect(positionsOf(await store.readAll({ filter: { types: ['case.noted'], streamCategory: 'case' } }))).toEqual([2, 6]);
    });

    it('reads events as text with each kind of actor as it was appended', async () => {
      const { store } = await openStore(dialect);
      const actors = [
        { kind: 'user', id: 'u-1', role: 'viewer' },
        { kind: 'user', id: 'u-2', role: 'data_scientist', apiKeyId: 'key-9' },
        { kind: 'service', id: 'svc-1' },
        { kind: 'system', id: 'raia' },
      ] as const;
      for (const actor of actors) await store.append('s-1', [newEvent({}, { actor: { ...actor } })]);
      const text = await store.readAllText({ after: 0, limit: 10 });
      expect(text.map((e) => e.actor)).toEqual(actors);
      expect(text.map((e) => [e.position, e.streamVersion, e.schemaVersion])).toEqual([
        [1, 0, 1],
        [2, 1, 1],
        [3, 2, 1],
        [4, 3, 1],
      ]);
    });

    it('counts backwards from the head when no position is given', async () => {
      const { store } = await sixEvents();
      expect(await store.countAll({ direction: 'backwards' })).toBe(6);
      expect(await store.countAll({ direction: 'backwards', to: 4 })).toBe(4);
      expect(await store.countAll({ direction: 'backwards', after: 3 })).toBe(2);
    });

    it('reads events by position: none for none, and exactly those asked for, ascending', async () => {
      const { store } = await sixEvents();
      expect(await store.readEventsAt([])).toEqual([]);
      const read = await store.readEventsAt([5, 2]);
      expect(read.map((e) => [e.position, e.streamId, e.data.n])).toEqual([
        [2, 'case-1', 2],
        [5, 'case-1', 5],
      ]);
      expect(await store.readEventsAt([7])).toEqual([]);
    });

    it('reads the events following a position, up to a limit', async () => {
      const { store } = await sixEvents();
      expect(positionsOf(await store.readFollowing(2, 3))).toEqual([3, 4, 5]);
      expect(positionsOf(await store.readFollowing(5, 10))).toEqual([6]);
      expect(await store.readFollowing(6, 10)).toEqual([]);
    });

    it("gives an empty ledger's head as position 0, the genesis hash and no time", async () => {
      const { store } = await openStore(dialect);
      const head = await store.head();
      expect(head).toEqual({ position: 0, hash: '0'.repeat(64), occurredAt: null });
    });

    /** One store per dialect for the follower cases, each working past the head it finds. */
    let live: PostgresEventStore;
    beforeAll(async () => {
      live = (await openStore(dialect, undefined, true)).store;
    });

    it('stops telling a listener of commits once it has unsubscribed', async () => {
      const heard: number[] = [];
      const stop = live.onCommitted((p) => heard.push(p));
      const { position } = await live.append('s-1', [newEvent()]);
      await vi.waitFor(() => expect(heard).toContain(position), { timeout: 2_000 });
      stop();
      const { position: next } = await live.append('s-1', [newEvent()]);
      // The second commit is announced on a later turn: give it several.
      await new Promise((r) => setTimeout(r, 100));
      expect(heard).not.toContain(next);
    });

    it('wakes a waiting follower by an append in this process, not by its poll', async () => {
      const { position: head } = await live.head();
      const delivered: number[] = [];
      const subscription = live.subscribeToAll({ after: head, onEvents: async (events) => void delivered.push(...positionsOf(events)) });
      // Let the follower read past the head and start waiting (its poll is a minute away).
      await new Promise((r) => setTimeout(r, 100));
      await live.append('s-1', [newEvent()]);
      await vi.waitFor(() => expect(delivered).toHaveLength(1), { timeout: 5_000 });
      expect(delivered).toEqual([head + 1]);
      await subscription.stop();
    });

    it('wakes a follower for a commit made while it delivered the page before', async () => {
      const { position: head } = await live.head();
      await live.append('s-1', [newEvent()]);
      const delivered: number[] = [];
      const subscription = live.subscribeToAll({
        after: head,
        onEvents: async (events) => {
          delivered.push(...positionsOf(events));
          // Committed (and announced) before the follower waits again: it must not wait for its poll.
          if (delivered.length === 1) await live.append('s-1', [newEvent()]);
        },
      });
      await vi.waitFor(() => expect(delivered).toHaveLength(2), { timeout: 5_000 });
      expect(delivered).toEqual([head + 1, head + 2]);
      await subscription.stop();
    });

    it('stops a waiting follower at once, and leaves no listener behind', async () => {
      // The store's own emitter: a wait that ended must take its listener with it (a follower waits thousands of times).
      const emitter = (live as unknown as { appended: EventEmitter }).appended;
      const before = emitter.listenerCount('appended');
      const { position: head } = await live.head();
      const delivered: number[] = [];
      const subscription = live.subscribeToAll({ after: head, onEvents: async (events) => void delivered.push(...positionsOf(events)) });
      await new Promise((r) => setTimeout(r, 100));
      expect(emitter.listenerCount('appended')).toBe(before + 1);
      await live.append('s-1', [newEvent()]);
      await vi.waitFor(() => expect(delivered).toHaveLength(1), { timeout: 5_000 });
      await new Promise((r) => setTimeout(r, 100));
      // Waiting again: one listener, not one per wait so far.
      expect(emitter.listenerCount('appended')).toBe(before + 1);
      const stopped = Date.now();
      await subscription.stop();
      // Well under the minute's poll: the stop ended the wait.
      expect(Date.now() - stopped).toBeLessThan(10_000);
      expect(emitter.listenerCount('appended')).toBe(before);
    });
  });
}

describe('PostgresEventStore across processes (postgres)', () => {
  it("hands back whole, from the COPY, only the events of a type and version the rule classifies", async () => {
    const { store } = await openStore('postgres');
    await store.append('s-1', [
      newEvent({ n: 1 }, { type: 'plain.kept', schemaVersion: 1 }),
      newEvent({ n: 2 }, { type: 'secret.kept', schemaVersion: 1 }),
      newEvent({ n: 3 }, { type: 'secret.kept', schemaVersion: 2 }),
    ]);
    const whole: number[] = [];
    let count = 0;
    for await (const page of store.copyAllCsv!({ after: 0, to: 3 }, { classifiedTypes: ['secret.kept@1'], sealedMarker: '"$no-such-marker"' })) {
      count += page.count;
      whole.push(...page.whole.map((w) => w.event.position));
    }
    expect(count).toBe(3);
    expect(whole).toEqual([2]);
  });

  it('copies a filtered range, the filter written into the COPY as literals (text, times, numbers)', async () => {
    let now = new Date('2026-05-01T00:00:00.000Z');
    const database = await openTestDatabase('postgres');
    const store = new PostgresEventStore(database, { pollIntervalMs: 60_000, clock: () => now });
    opened.push({ store, db: database });
    const obrien = { kind: 'user', id: "o'brien $$ \\", role: 'viewer' } as const;
    await store.append('case-1', [newEvent({}, { type: 'case.noted', actor: obrien })]); // 1
    await store.append('other-1', [newEvent({}, { type: 'case.noted' })]); // 2
    now = new Date('2026-05-02T00:00:00.000Z');
    await store.append('case-1', [newEvent({}, { type: 'case.noted', actor: obrien }), newEvent({}, { type: 'case.closed', actor: obrien })]); // 3, 4
    const copied = async (filter: Parameters<NonNullable<PostgresEventStore['copyAllCsv']>>[0]['filter']) => {
      const positions: number[] = [];
      for await (const page of store.copyAllCsv!({ after: 0, to: 4, filter }, { classifiedTypes: [], sealedMarker: '"$no-such-marker"' })) positions.push(...page.positions);
      return positions;
    };
    expect(await copied({ actorId: obrien.id })).toEqual([1, 3, 4]);
    expect(await copied({ streamId: 'case-1', from: now })).toEqual([3, 4]);
    expect(await copied({ types: ['case.noted'], to: new Date('2026-05-01T12:00:00.000Z') })).toEqual([1, 2]);
    // Ten and more placeholders: $10 is the tenth value, not the first followed by a 0.
    expect(await copied({ types: ['a.1', 'a.2', 'a.3', 'a.4', 'a.5', 'a.6', 'a.7', 'case.closed'], streamId: 'case-1' })).toEqual([4]);
  });

  it('discloses every type a rule of several classifies, in the COPY', async () => {
    const { store } = await openStore('postgres');
    await store.append('s-1', [
      newEvent({}, { type: 'first.kept', schemaVersion: 1 }),
      newEvent({}, { type: 'plain.kept', schemaVersion: 1 }),
      newEvent({}, { type: 'second.kept', schemaVersion: 2 }),
    ]);
    const whole: number[] = [];
    for await (const page of store.copyAllCsv!({ after: 0, to: 3 }, { classifiedTypes: ['first.kept@1', 'second.kept@2'], sealedMarker: '"$no-such-marker"' })) whole.push(...page.whole.map((w) => w.event.position));
    expect(whole).toEqual([1, 3]);
  });

  it('reads a record longer than the chunks the COPY arrives in', async () => {
    const { store } = await openStore('postgres');
    // 1 MB of text in one event: its record spans many socket reads, some completing no record at all.
    const long = 'x'.repeat(1 << 20);
    await store.append('s-1', [newEvent({ n: 1 }), newEvent({ long }), newEvent({ n: 3 })]);
    const positions: number[] = [];
    let bytes = 0;
    for await (const page of store.copyAllCsv!({ after: 0, to: 3 }, { classifiedTypes: [], sealedMarker: '"$no-such-marker"' })) {
      positions.push(...page.positions);
      bytes += page.records.length;
    }
    expect(positions).toEqual([1, 2, 3]);
    expect(bytes).toBeGreaterThan(1 << 20);
  });

  it('listens again after a LISTEN that failed', async () => {
    const { store: writer, db } = await openStore('postgres');
    const { store: reader } = await openStore('postgres', db);
    // The listening connection is refused once (the database restarting, say): the next follower must try again.
    const listen = db.listen.bind(db);
    let refuse = true;
    db.listen = (channel, onMessage) => {
      if (!refuse) return listen(channel, onMessage);
      refuse = false;
      return Promise.reject(new Error('connection refused'));
    };
    const stopFirst = reader.onCommitted(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    const heard: number[] = [];
    const stop = reader.onCommitted((p) => heard.push(p));
    await writer.append('s-1', [newEvent()]);
    const { position } = await writer.append('s-1', [newEvent()]);
    await vi.waitFor(() => expect(heard).toContain(position), { timeout: 5_000 });
    stopFirst();
    stop();
  });

  it("tells a new listener of another process's commit made before it listened", async () => {
    const { store: writer, db } = await openStore('postgres');
    const { store: reader } = await openStore('postgres', db);
    await writer.append('s-1', [newEvent(), newEvent()]);
    const heard: number[] = [];
    const stop = reader.onCommitted((p) => heard.push(p));
    // No commit follows: only the head read once listening can tell it.
    await vi.waitFor(() => expect(heard).toContain(2), { timeout: 5_000 });
    stop();
  });

  it('listens on one connection however many followers it has', async () => {
    const { store, db } = await openStore('postgres');
    const stops = [store.onCommitted(() => undefined), store.onCommitted(() => undefined), store.onCommitted(() => undefined)];
    const subscription = store.subscribeToAll({ after: 0, onEvents: async () => undefined });
    const channel = ledgerCoordination(db.schema).channel;
    const listening = async () => {
      const { rows } = (await db.knex.raw(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = ?`, [`LISTEN "${channel}"`])) as { rows: [{ n: number }] };
      return rows[0].n;
    };
    await vi.waitFor(async () => expect(await listening()).toBeGreaterThanOrEqual(1), { timeout: 5_000 });
    await new Promise((r) => setTimeout(r, 200));
    expect(await listening()).toBe(1);
    for (const stop of stops) stop();
    await subscription.stop();
  });
});
