import { describe, expect, it } from 'vitest';
import { eachHash, readAllHashes, readAllText } from '../../src/events/bulk-ledger-reads.js';
import type { StoredEvent } from '../../src/events/envelope.js';
import type { EventStore, PositionHash, ReadAllOptions, StoredEventText } from '../../src/events/event-store.js';

const hashOf = (n: number) => n.toString(16).padStart(64, '0');

const stored = (position: number): StoredEvent => ({
  id: `00000000-0000-7000-8000-${position.toString().padStart(12, '0')}`,
  type: 'test.happened',
  schemaVersion: 2,
  streamId: 'test-1',
  streamVersion: position - 1,
  position,
  occurredAt: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, position)),
  actor: { kind: 'user', id: 'alice', role: 'auditor' },
  correlationId: null,
  causationId: '00000000-0000-7000-8000-000000000001',
  data: { n: position, label: 'é"x' },
  metadata: { source: 'test' },
  prevHash: hashOf(position - 1),
  hash: hashOf(position),
});

/**
 * A ledger of `count` events behind the EventStore port's `readAll` (forwards, (after, to], limit),
 * recording every call; with `bulk`, it also has the optional bulk reads, answering tokens that the
 * fallbacks could not produce.
 */
function ledgerStore(count: number, bulk: boolean) {
  const events = Array.from({ length: count }, (_, i) => stored(i + 1));
  const calls: Array<[string, ReadAllOptions]> = [];
  const readAll = (options: ReadAllOptions = {}) => {
    calls.push(['readAll', options]);
    const page = events.filter((e) => e.position > (options.after ?? 0) && e.position <= (options.to ?? Infinity));
    return Promise.resolve(page.slice(0, options.limit ?? page.length));
  };
  const store: Partial<EventStore> = { name: 'fake', readAll };
  if (bulk) {
    store.readAllText = (options) => {
      calls.push(['readAllText', options]);
      return Promise.resolve([{ bulk: 'text' } as unknown as StoredEventText]);
    };
    store.readAllHashes = (options) => {
      calls.push(['readAllHashes', options]);
      return Promise.resolve([{ position: -1, hash: 'bulk' }]);
    };
  }
  return { store: store as EventStore, calls };
}

describe('readAllText', () => {
  it("renders readAll's events as text when the store has no bulk text read", async () => {
    const { store, calls } = ledgerStore(3, false);
    const text = await readAllText(store, { after: 1, limit: 1 });
    expect(calls).toEqual([['readAll', { after: 1, limit: 1 }]]);
    // Expected fields written out by hand: ISO time, data and metadata as JSON.stringify writes them.
    expect(text).toEqual([
      {
        id: '00000000-0000-7000-8000-000000000002',
        type: 'test.happened',
        schemaVersion: 2,
        streamId: 'test-1',
        streamVersion: 1,
        position: 2,
        occurredAt: '2026-01-02T03:04:05.002Z',
        actor: { kind: 'user', id: 'alice', role: 'auditor' },
        correlationId: null,
        causationId: '00000000-0000-7000-8000-000000000001',
        dataJson: '{"n":2,"label":"é\\"x"}',
        metadataJson: '{"source":"test"}',
        prevHash: hashOf(1),
        hash: hashOf(2),
      },
    ]);
  });

  it("uses the store's own bulk text read when it has one", async () => {
    const { store, calls } = ledgerStore(3, true);
    expect(await readAllText(store, { after: 0, limit: 5 })).toEqual([{ bulk: 'text' }]);
    expect(calls).toEqual([['readAllText', { after: 0, limit: 5 }]]);
  });
});

describe('readAllHashes', () => {
  it("takes positions and hashes from readAll's events without bulk reads", async () => {
    const { store, calls } = ledgerStore(5, false);
    expect(await readAllHashes(store, { after: 1, to: 3 })).toEqual([
      { position: 2, hash: hashOf(2) },
      { position: 3, hash: hashOf(3) },
    ]);
    expect(calls).toEqual([['readAll', { after: 1, to: 3 }]]);
  });

  it("uses the store's own hash read when it has one", async () => {
    const { store, calls } = ledgerStore(5, true);
    expect(await readAllHashes(store, { after: 1, to: 3 })).toEqual([{ position: -1, hash: 'bulk' }]);
    expect(calls).toEqual([['readAllHashes', { after: 1, to: 3 }]]);
  });
});

describe('eachHash', () => {
  it('walks (after, to] page by page, each page starting after the last one', async () => {
    const { store, calls } = ledgerStore(10, false);
    const seen: PositionHash[] = [];
    await eachHash(store, 2, 9, (e) => seen.push(e), 3);
    // Positions 3..9 exactly once, in order; pages of 3: (2,9] → 3,4,5; (5,9] → 6,7,8; (8,9] → 9; then after = to stops.
    expect(seen).toEqual([3, 4, 5, 6, 7, 8, 9].map((p) => ({ position: p, hash: hashOf(p) })));
    expect(calls).toEqual([
      ['readAll', { after: 2, to: 9, limit: 3 }],
      ['readAll', { after: 5, to: 9, limit: 3 }],
      ['readAll', { after: 8, to: 9, limit: 3 }],
    ]);
  });

  it('reads nothing when the range is empty (after = to)', async () => {
    const { store, calls } = ledgerStore(10, false);
    const seen: PositionHash[] = [];
    await eachHash(store, 4, 4, (e) => seen.push(e));
    expect(seen).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('stops at an empty page when the ledger ends before `to`', async () => {
    const { store, calls } = ledgerStore(4, false);
    const seen: number[] = [];
    await eachHash(store, 0, 100, (e) => seen.push(e.position));
    // The default page size (10 000) takes all four events; the next read, after 4, is empty.
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(calls).toEqual([
      ['readAll', { after: 0, to: 100, limit: 10_000 }],
      ['readAll', { after: 4, to: 100, limit: 10_000 }],
    ]);
  });
});
