import { describe, expect, it } from 'vitest';
import { decideOnView, type LedgerView } from '../../src/events/postgres/ledger-view.js';
import { eventHash } from '../../src/events/hash-chain.js';
import { validateNewEvents } from '../../src/events/new-event-validation.js';
import { newEvent } from '../support/events.js';

const HEAD_HASH = 'ab'.repeat(32);
const at = new Date('2026-11-23T10:00:00.000Z');
const view = (versions: [string, number | null][]): LedgerView => ({ head: { position: 41, hash: HEAD_HASH, occurredAt: at }, versions: new Map(versions) });
const append = (streamId: string, count: number, expectedVersion: 'any' | 'no_stream' | number = 'any') => ({
  streamId,
  events: validateNewEvents(Array.from({ length: count }, (_, i) => newEvent({ i }))),
  expectedVersion,
});

describe('deciding a group against the ledger view', () => {
  it('chains the group from the head: consecutive positions, versions per stream, each prevHash the hash before', () => {
    const v = view([['a', 4], ['b', null]]);
    const decided = decideOnView(v, [append('a', 2, 4), append('b', 1, 'no_stream'), append('a', 1, 6)], new Date('2026-11-23T11:00:00.000Z'))!;
    expect(decided.inserts.map((e) => [e.streamId, e.streamVersion, e.position])).toEqual([
      ['a', 5, 42],
      ['a', 6, 43],
      ['b', 0, 44],
      ['a', 7, 45],
    ]);
    expect(decided.inserts[0]!.prevHash).toBe(HEAD_HASH);
    decided.inserts.forEach((e, i) => {
      if (i > 0) expect(e.prevHash).toBe(decided.inserts[i - 1]!.hash);
      expect(e.hash).toBe(eventHash(e)); // hash of the envelope as stored, recomputed from scratch
    });
    expect(decided.results.map((r) => [r.streamId, r.nextExpectedVersion, r.position])).toEqual([
      ['a', 6, 43],
      ['b', 0, 44],
      ['a', 7, 45],
    ]);
    // The view has moved past the group.
    expect(v.head).toEqual({ position: 45, hash: decided.inserts[3]!.hash, occurredAt: new Date('2026-11-23T11:00:00.000Z') });
    expect([...v.versions]).toEqual([['a', 7], ['b', 0]]);
  });

  it('never stamps a time before the head: a clock behind it gets the head time', () => {
    const v = view([['a', 0]]);
    const decided = decideOnView(v, [append('a', 1)], new Date('2026-11-23T09:00:00.000Z'))!;
    expect(decided.inserts[0]!.occurredAt).toEqual(at);
  });

  it('leaves to the database (null, view unchanged) an unknown stream, an expected version that fails, an id repeated in the group', () => {
    const v = view([['a', 4]]);
    const before = structuredClone({ head: v.head, versions: [...v.versions] });
    expect(decideOnView(v, [append('a', 1), append('unknown', 1)], at)).toBeNull();
    expect(decideOnView(v, [append('a', 1, 3)], at)).toBeNull();
    expect(decideOnView(v, [append('a', 2, 4), append('a', 1, 5)], at)).toBeNull(); // the second expects 5, the first leaves 6
    const repeated = append('a', 1);
    expect(decideOnView(v, [repeated, { ...repeated }], at)).toBeNull();
    expect({ head: v.head, versions: [...v.versions] }).toEqual(before);
  });
});
