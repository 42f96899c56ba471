import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/events/envelope.js';
import { DuplicateEventConflict, InvalidEvent, WrongExpectedVersion, type EventStore } from '../../src/events/event-store.js';
import { GENESIS_HASH, eventHash } from '../../src/events/hash-chain.js';
import { readAllHashes, readAllText } from '../../src/events/bulk-ledger-reads.js';
import { newEvent, sleep, testActor } from '../support/events.js';

export type OpenedStore = { store: EventStore; cleanup(): Promise<void> };

/** The behaviour every EventStore adapter promises (src/events/event-store.ts). */
export function describeEventStoreContract(name: string, open: () => Promise<OpenedStore>) {
  describe(`EventStore contract: ${name}`, () => {
    let opened: OpenedStore;
    let store: EventStore;
    const stream = () => `contract-${randomUUID()}`;

    beforeAll(async () => {
      opened = await open();
      store = opened.store;
    });
    afterAll(async () => {
      await opened.cleanup();
    });

    it('appends to a new stream with no_stream and numbers versions from 0 and positions densely', async () => {
      const s = stream();
      const before = await store.head();
      const result = await store.append(s, [newEvent({ n: 1 }), newEvent({ n: 2 })], { expectedVersion: 'no_stream' });
      expect(result.nextExpectedVersion).toBe(1);
      expect(result.duplicate).toBe(false);
      expect(result.events.map((e) => e.streamVersion)).toEqual([0, 1]);
      expect(result.events.map((e) => e.position)).toEqual([before.position + 1, before.position + 2]);
      expect(result.position).toBe(before.position + 2);
      const read = await store.readStream(s);
      expect(read.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
      expect(read[0]!.actor).toEqual(testActor);
    });

    it('chains each event to the previous one by hash', async () => {
      const s = stream();
      const before = await store.head();
      const { events } = await store.append(s, [newEvent({ a: 1 }), newEvent({ b: [1, 2, { c: null }] })]);
      expect(events[0]!.prevHash).toBe(before.position === 0 ? GENESIS_HASH : before.hash);
      expect(events[1]!.prevHash).toBe(events[0]!.hash);
      for (const e of await store.readStream(s)) expect(eventHash(e)).toBe(e.hash);
      expect((await store.head()).hash).toBe(events[1]!.hash);
    });

    it('refuses every kind of wrong expected version and writes nothing', async () => {
      const s = stream();
      await expect(store.append(s, [newEvent()], { expectedVersion: 'stream_exists' })).rejects.toBeInstanceOf(WrongExpectedVersion);
      await expect(store.append(s, [newEvent()], { expectedVersion: 0 })).rejects.toBeInstanceOf(WrongExpectedVersion);
      await store.append(s, [newEvent()], { expectedVersion: 'no_stream' });
      await expect(store.append(s, [newEvent()], { expectedVersion: 'no_stream' })).rejects.toBeInstanceOf(WrongExpectedVersion);
      const conflict = await store.append(s, [newEvent()], { expectedVersion: 5 }).catch((e: unknown) => e);
      expect(conflict).toBeInstanceOf(WrongExpectedVersion);
      expect((conflict as WrongExpectedVersion).actual).toBe(0);
      await store.append(s, [newEvent()], { expectedVersion: 0 });
      await store.append(s, [newEvent()], { expectedVersion: 'stream_exists' });
      await store.append(s, [newEvent()], { expectedVersion: 'any' });
      expect((await store.readStream(s)).map((e) => e.streamVersion)).toEqual([0, 1, 2, 3]);
    });

    it('treats a re-append of the same event ids as idempotent', async () => {
      const s = stream();
      const batch = [newEvent({ x: 1 }), newEvent({ x: 2 })];
      const first = await store.append(s, batch, { expectedVersion: 'no_stream' });
      const again = await store.append(s, batch, { expectedVersion: 'no_stream' });
      expect(again.duplicate).toBe(true);
      expect(again.position).toBe(first.position);
      expect(again.events.map((e) => e.hash)).toEqual(first.events.map((e) => e.hash));
      expect(await store.readStream(s)).toHaveLength(2);
    });

    it('refuses an append that repeats only some stored ids', async () => {
      const s = stream();
      const stored = newEvent();
      await store.append(s, [stored]);
      await expect(store.append(s, [newEvent(), stored])).rejects.toBeInstanceOf(DuplicateEventConflict);
      expect(await store.readStream(s)).toHaveLength(1);
    });

    it('settles concurrent appends one by one: one no_stream wins, a repeated id is stored once', async () => {
      const s = stream();
      const outcomes = await Promise.allSettled(Array.from({ length: 6 }, (_, n) => store.append(s, [newEvent({ n })], { expectedVersion: 'no_stream' })));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(WrongExpectedVersion);
      const same = newEvent({ same: true });
      const twice = await Promise.all([store.append(s, [same]), store.append(s, [same]), store.append(s, [newEvent()])]);
      expect(twice.filter((r) => r.duplicate)).toHaveLength(1);
      expect(twice[0]!.position).toBe(twice[1]!.position);
      // Two appends in flight together, the second expecting the first's result.
      const versions = await Promise.all([store.append(s, [newEvent()], { expectedVersion: 2 }), store.append(s, [newEvent()], { expectedVersion: 3 })]);
      expect(versions.map((r) => r.nextExpectedVersion)).toEqual([3, 4]);
      expect((await store.readStream(s)).map((e) => e.streamVersion)).toEqual([0, 1, 2, 3, 4]);
    });

    it('rejects malformed events before writing', async () => {
      const s = stream();
      await expect(store.append(s, [newEvent({}, { actor: { kind: 'user', id: 'nul\u0000', role: 'x' } })])).rejects.toBeInstanceOf(InvalidEvent);
      await expect(store.append(s, [newEvent({}, { actor: { kind: 'robot', id: 'r2' } as never })])).rejects.toBeInstanceOf(InvalidEvent);
      await expect(store.append(s, [newEvent({}, { id: 'not-a-uuid' })])).rejects.toBeInstanceOf(InvalidEvent);
      await expect(store.append(s, [newEvent({}, { type: 'NoDot' })])).rejects.toBeInstanceOf(InvalidEvent);
      await expect(store.append(s, [newEvent({ bad: 'nul\u0000' })])).rejects.toBeInstanceOf(InvalidEvent);
      await expect(store.append(s, [newEvent({ bad: 'lone \ud800 surrogate' })])).rejects.toBeInstanceOf(InvalidEvent);
      await expect(store.append(s, [newEvent({}, { metadata: { bad: '\udfff' } })])).rejects.toBeInstanceOf(InvalidEvent);
      await expect(store.append(s, [])).rejects.toBeInstanceOf(InvalidEvent);
      await expect(store.append('', [newEvent()])).rejects.toBeInstanceOf(InvalidEvent);
      expect(await store.readStream(s)).toHaveLength(0);
    });

    it('reads a stream forwards, backwards, from and up to a version', async () => {
      const s = stream();
      await store.append(s, [0, 1, 2, 3, 4].map((n) => newEvent({ n })));
      const n = (events: StoredEvent[]) => events.map((e) => e.data.n);
      expect(n(await store.readStream(s, { fromVersion: 2 }))).toEqual([2, 3, 4]);
      expect(n(await store.readStream(s, { toVersion: 1 }))).toEqual([0, 1]);
      expect(n(await store.readStream(s, { direction: 'backwards' }))).toEqual([4, 3, 2, 1, 0]);
      expect(n(await store.readStream(s, { direction: 'backwards', fromVersion: 3, limit: 2 }))).toEqual([3, 2]);
      expect(await store.readStream(`missing-${randomUUID()}`)).toEqual([]);
    });

    it("gives a stream's head as its last event's version and position, and none for a missing stream", async () => {
      const s = stream();
      const first = await store.append(s, [0, 1].map((n) => newEvent({ n })));
      // Another stream's events after it: the head is the stream's own last event, not the ledger's.
      await store.append(stream(), [newEvent({ n: 9 })]);
      expect(await store.streamHead(s)).toEqual({ streamVersion: 1, position: first.events[1]!.position });
      const second = await store.append(s, [newEvent({ n: 2 })]);
      expect(await store.streamHead(s)).toEqual({ streamVersion: 2, position: second.events[0]!.position });
      expect(await store.streamHead(`missing-${randomUUID()}`)).toBeNull();
    });

    it('answers heads asked for at the same time each with its own stream (the Postgres store reads them in one query)', async () => {
      const streams = [stream(), stream(), stream()];
      const appended = [];
      for (const [i, s] of streams.entries()) appended.push(await store.append(s, Array.from({ length: i + 1 }, (_, n) => newEvent({ n }))));
      const missing = `missing-${randomUUID()}`;
      // Asked in one turn: a missing stream among them, and one stream twice.
      const heads = await Promise.all([...streams, missing, streams[1]!].map((s) => store.streamHead(s)));
      const expected = appended.map((a, i) => ({ streamVersion: i, position: a.events[i]!.position }));
      expect(heads).toEqual([...expected, null, expected[1]]);
      // Each caller has its own answer: changing one leaves the other.
      heads[1]!.position = -1;
      expect(heads[4]).toEqual(expected[1]);
      // Asked again after a new event: a head read after an append shows it.
      const more = store.append(streams[0]!, [newEvent({ n: 1 })]);
      const after = await more;
      expect(await Promise.all([store.streamHead(streams[0]!), store.streamHead(streams[2]!)])).toEqual([{ streamVersion: 1, position: after.events[0]!.position }, expected[2]]);
      expect((await Promise.all([store.head(), store.head()])).map((h) => h.position)).toEqual([after.events[0]!.position, after.events[0]!.position]);
    });

    it('reads a stream as of a point in time', async () => {
      const s = stream();
      await store.append(s, [newEvent({ n: 0 })]);
      await sleep(20);
      const between = new Date();
      await sleep(20);
      await store.append(s, [newEvent({ n: 1 })]);
      expect((await store.readStream(s, { asOf: between })).map((e) => e.data.n)).toEqual([0]);
      expect(await store.readStream(s, { asOf: new Date(0) })).toEqual([]);
    });

    it('reads $all from a position, with filters, in both directions', async () => {
      const s = stream();
      const head = await store.head();
      const correlationId = randomUUID();
      await store.append(s, [newEvent({ n: 0 }, { type: 'contract.alpha', correlationId }), newEvent({ n: 1 }, { type: 'contract.beta' })]);
      const after = await store.readAll({ after: head.position });
      expect(after.map((e) => e.position)).toEqual([head.position + 1, head.position + 2]);
      expect((await store.readAll({ after: head.position, filter: { types: ['contract.beta'] } })).map((e) => e.data.n)).toEqual([1]);
      expect((await store.readAll({ filter: { correlationId } })).map((e) => e.data.n)).toEqual([0]);
      expect((await store.readAll({ filter: { streamId: s } })).length).toBe(2);
      expect((await store.readAll({ filter: { streamCategory: 'contract' }, direction: 'backwards', limit: 1 }))[0]!.streamId).toBe(s);
      expect((await store.readAll({ after: head.position, limit: 1 })).length).toBe(1);
    });

    it('pages $all by position: forwards, backwards and up to a bound, each page the next positions exactly', async () => {
      const head = await store.head();
      await store.append(stream(), Array.from({ length: 7 }, (_, n) => newEvent({ n })));
      const positions = async (options: Parameters<EventStore['readAll']>[0]) => (await store.readAll(options)).map((e) => e.position);
      const p = head.position;
      expect(await positions({ after: p, limit: 3 })).toEqual([p + 1, p + 2, p + 3]);
      expect(await positions({ after: p + 3, limit: 3 })).toEqual([p + 4, p + 5, p + 6]);
      expect(await positions({ after: p + 6, limit: 3 })).toEqual([p + 7]);
      expect(await positions({ after: p + 1, to: p + 5, limit: 10 })).toEqual([p + 2, p + 3, p + 4, p + 5]);
      expect(await positions({ after: p + 8, direction: 'backwards', limit: 3 })).toEqual([p + 7, p + 6, p + 5]);
      expect(await positions({ after: p + 5, direction: 'backwards', limit: 3 })).toEqual([p + 4, p + 3, p + 2]);
    });

    it('counts what readAll finds and skips an offset of matches, unfiltered and filtered, in both directions', async () => {
      const head = await store.head();
      const s = stream();
      await store.append(s, Array.from({ length: 7 }, (_, n) => newEvent({ n }, { type: n % 2 === 0 ? 'contract.even' : 'contract.odd' })));
      const p = head.position;
      const positions = async (options: Parameters<EventStore['readAll']>[0]) => (await store.readAll(options)).map((e) => e.position);
      // Unfiltered from p: p+1 … p+7. Even events (n = 0, 2, 4, 6) are at p+1, p+3, p+5, p+7.
      expect(await store.countAll({ after: p })).toBe(7);
      expect(await store.countAll({ after: p, to: p + 4 })).toBe(4);
      expect(await store.countAll({ after: p + 2, to: p + 100 })).toBe(5);
      expect(await store.countAll({ after: p + 7 })).toBe(0);
      // Backwards, `after` is an exclusive upper bound: positions below p + 5, here and before this test.
      expect(await store.countAll({ after: p + 5, direction: 'backwards' })).toBe(p + 4);
      expect(await store.countAll({ after: p + 5, to: p + 2, direction: 'backwards' })).toBe(p + 2);
      expect(await store.countAll({ after: p + 5, direction: 'backwards' })).toBe((await store.readAll({ after: p + 5, direction: 'backwards', limit: 10_000 })).length);
      expect(await positions({ after: p, offset: 2, limit: 3 })).toEqual([p + 3, p + 4, p + 5]);
      expect(await positions({ after: p, offset: 6, limit: 3 })).toEqual([p + 7]);
      expect(await positions({ after: p, offset: 7, limit: 3 })).toEqual([]);
      const even = { streamId: s, types: ['contract.even'] };
      expect(await store.countAll({ filter: even })).toBe(4);
      expect(await store.countAll({ filter: even, to: p + 4 })).toBe(2);
      expect(await positions({ filter: even, offset: 1, limit: 2 })).toEqual([p + 3, p + 5]);
      expect(await positions({ filter: even, direction: 'backwards', offset: 1, limit: 2 })).toEqual([p + 5, p + 3]);
      expect(await positions({ filter: even, direction: 'backwards', to: p + 6, offset: 0, limit: 10 })).toEqual([p + 5, p + 3, p + 1]);
      // A filter whose criteria are all absent (an API query's unset parameters) or empty matches every event.
      const open = { types: [], streamId: undefined, actorId: undefined };
      expect(await store.countAll({ after: p, filter: open })).toBe(7);
      expect(await store.countAll({ after: p + 5, direction: 'backwards', filter: open })).toBe(p + 4);
      expect(await positions({ after: p, offset: 2, limit: 3, filter: open })).toEqual([p + 3, p + 4, p + 5]);
    });

    it('bulk reads (events as text, positions with hashes) give readAll\'s events in position order, past 9 → 10 and 99 → 100', async () => {
      const head = await store.head();
      const s = stream();
      const tricky = { text: 'a, b: "c" \\ d', nested: { list: [1, 2.5, -3, true, null, 'x, y'], empty: {}, none: [] }, unicode: 'é ✓ \u2028', n: 0 };
      await store.append(s, Array.from({ length: 120 }, (_, n) => newEvent({ ...tricky, n }, n % 3 === 0 ? { type: 'contract.third' } : {})));
      const p = head.position;
      const typed = await store.readAll({ after: p, limit: 200 });
      expect(typed.map((e) => e.position)).toEqual(Array.from({ length: 120 }, (_, i) => p + 1 + i));
      for (const [after, limit] of [[p, 200], [p + 5, 7], [p + 95, 10]] as const) {
        const text = await readAllText(store, { after, limit });
        expect(text.map((e) => e.position)).toEqual(Array.from({ length: Math.min(limit, p + 120 - after) }, (_, i) => after + 1 + i));
        for (const e of text) {
          const t = typed.find((x) => x.position === e.position)!;
          const { occurredAt, data, metadata, ...rest } = t;
          expect(e).toMatchObject({ ...rest, occurredAt: occurredAt.toISOString() });
          expect(JSON.parse(e.dataJson)).toEqual(data);
          expect(JSON.parse(e.metadataJson)).toEqual(metadata);
        }
        const hashes = await readAllHashes(store, { after, to: after + limit, limit });
        expect(hashes).toEqual(typed.filter((x) => x.position > after && x.position <= after + limit).map((x) => ({ position: x.position, hash: x.hash })));
      }
      const thirds = await readAllText(store, { after: p, filter: { streamId: s, types: ['contract.third'] }, limit: 100 });
      expect(thirds.map((e) => e.position)).toEqual(typed.filter((x) => x.type === 'contract.third').map((x) => x.position));
    });

    it('filters $all by causation and by JSON containment on data', async () => {
      const s = stream();
      const cause = randomUUID();
      await store.append(s, [
        newEvent({ model: { id: 'm-1', tags: ['credit', 'eu'] }, score: 0.5 }, { type: 'contract.scored', causationId: cause }),
        newEvent({ model: { id: 'm-2', tags: ['credit'] }, score: 0.7 }, { type: 'contract.scored' }),
      ]);
      const scores = (events: StoredEvent[]) => events.map((e) => e.data.score);
      expect(scores(await store.readAll({ filter: { causationId: cause } }))).toEqual([0.5]);
      expect(scores(await store.readAll({ filter: { streamId: s, dataContains: { model: { tags: ['credit'] } } } }))).toEqual([0.5, 0.7]);
      expect(scores(await store.readAll({ filter: { streamId: s, dataContains: { model: { tags: ['eu'] } } } }))).toEqual([0.5]);
      expect(scores(await store.readAll({ filter: { streamId: s, dataContains: { score: 0.7 } } }))).toEqual([0.7]);
      expect(await store.readAll({ filter: { streamId: s, dataContains: { model: { id: 'm-3' } } } })).toEqual([]);
    });

    it('catches up and then follows $all live, delivering each position once in order', async () => {
      const start = (await store.head()).position;
      await store.append(stream(), [newEvent({ phase: 'before' })]);
      const seen: number[] = [];
      const sub = store.subscribeToAll({ after: start, onEvents: async (events) => void seen.push(...events.map((e) => e.position)) });
      await store.append(stream(), [newEvent({ phase: 'live' }), newEvent({ phase: 'live' })]);
      const target = start + 3;
      for (let i = 0; i < 200 && seen.length < 3; i++) await sleep(25);
      await sub.stop();
      expect(seen.filter((p) => p <= target)).toEqual([start + 1, start + 2, start + 3]);
    });

    it('verifies an untouched ledger', async () => {
      await store.append(stream(), [newEvent(), newEvent()]);
      const result = await store.verify();
      expect(result.ok).toBe(true);
      expect(result.firstBrokenPosition).toBeNull();
      expect(result.checked).toBe(result.headPosition);
    });
  });
}
