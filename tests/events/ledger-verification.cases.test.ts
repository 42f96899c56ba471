import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { systemActor, type JsonObject, type StoredEvent } from '../../src/events/envelope.js';
import type { LedgerHead, ReadAllOptions, ReadStreamOptions } from '../../src/events/event-store.js';
import { GENESIS_HASH, chainEvents, eventHash } from '../../src/events/hash-chain.js';
import { LEDGER_SEALED, LEDGER_STREAM, signSeal } from '../../src/events/ledger-seal.js';
import { verifyLedger } from '../../src/events/ledger-verification.js';
import type { WitnessFloor } from '../../src/events/ledger-witness.js';
import { newEvent } from '../support/events.js';

/**
 * The three reads verifyLedger makes, over an array held in memory: no database, so each case runs in
 * milliseconds. `head` is the last stored event unless a test claims another one (a store whose head
 * row says more than its events hold).
 */
function memoryStore(events: StoredEvent[], claimedHead?: LedgerHead) {
  const sorted = [...events].sort((a, b) => a.position - b.position);
  return {
    async head(): Promise<LedgerHead> {
      if (claimedHead) return claimedHead;
      const last = sorted[sorted.length - 1];
      return last ? { position: last.position, hash: last.hash, occurredAt: last.occurredAt } : { position: 0, hash: GENESIS_HASH, occurredAt: null };
    },
    async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
      const after = options.after ?? 0;
      const to = options.to ?? Infinity;
      const page = sorted.filter((e) => e.position > after && e.position <= to);
      return options.limit === undefined ? page : page.slice(0, options.limit);
    },
    async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
      const stream = sorted.filter((e) => e.streamId === streamId);
      if (options.direction === 'backwards') stream.reverse();
      return options.limit === undefined ? stream : stream.slice(0, options.limit);
    },
  };
}

const at = new Date('2026-12-01T10:00:00.000Z');
const keys = generateKeyPairSync('ed25519');

/** A growing, correctly linked ledger: plain events and seals over the positions chosen. */
class Ledger {
  events: StoredEvent[] = [];
  get head() {
    const last = this.events[this.events.length - 1];
    return last ? { position: last.position, hash: last.hash } : { position: 0, hash: GENESIS_HASH };
  }
  hashOf(position: number) {
    return this.events[position - 1]!.hash;
  }
  add(count: number) {
    for (let i = 0; i < count; i++) this.events.push(...chainEvents(`model-${this.events.length}`, [newEvent({ n: this.events.length + 1 })], null, this.head, at));
    return this;
  }
  addRaw(data: JsonObject) {
    this.events.push(...chainEvents(LEDGER_STREAM, [newEvent(data, { type: LEDGER_SEALED, actor: systemActor('test') })], null, this.head, at));
    return this;
  }
  /** Appends a seal of [from, to]; `hashes` defaults to the ledger's own hashes of that segment. */
  seal(from: number, to: number, hashes?: string[]) {
    const segment = hashes ?? this.events.slice(from - 1, to).map((e) => e.hash);
    return this.addRaw(signSeal({ fromPosition: from, toPosition: to, hashes: segment }, keys.privateKey, keys.publicKey));
  }
}

/** Replaces the event at `position` and recomputes its hash, as a rewrite that relinks nothing after it would. */
function rewrite(events: StoredEvent[], position: number, data: JsonObject): StoredEvent[] {
  return events.map((e) => {
    if (e.position !== position) return e;
    const changed = { ...e, data };
    return { ...changed, hash: eventHash(changed) };
  });
}

const floor = (acknowledged: { position: number; hash: string }, sealed: { toPosition: number; headHash: string } | null = null, problem: string | null = null): WitnessFloor => ({
  acknowledged,
  sealed,
  writtenAt: '2026-12-01T10:00:00.000Z',
  problem,
});

describe('verifyLedger over a sound chain', () => {
  it('walks every position, counts them and reports the whole ledger', async () => {
    const ledger = new Ledger().add(5);
    const r = await verifyLedger(memoryStore(ledger.events));
    expect(r).toMatchObject({ ok: true, from: 1, to: 5, scope: { from: 1, to: 5, whole: true }, checked: 5, headPosition: 5, headHash: ledger.hashOf(5) });
    expect(r).toMatchObject({ firstBrokenPosition: null, reason: null, sealsChecked: 0, sealedThrough: 0, unsealedEvents: 5, witness: null, sealArchive: null });
  });

  it('a range ending before the head is not the whole ledger, and counts only its positions', async () => {
    const store = memoryStore(new Ledger().add(5).events);
    expect(await verifyLedger(store, { to: 4 })).toMatchObject({ ok: true, from: 1, to: 4, scope: { from: 1, to: 4, whole: false }, checked: 4 });
    // A `to` beyond the head is cut to the head: that is the whole ledger again.
    expect(await verifyLedger(store, { to: 9 })).toMatchObject({ ok: true, to: 5, scope: { from: 1, to: 5, whole: true }, checked: 5 });
  });

  it('a range starting after 1 links its first event to the stored one before it', async () => {
    const store = memoryStore(new Ledger().add(6).events);
    expect(await verifyLedger(store, { from: 3 })).toMatchObject({ ok: true, from: 3, to: 6, scope: { from: 3, to: 6, whole: false }, checked: 4 });
    expect(await verifyLedger(store, { from: 6, to: 6 })).toMatchObject({ ok: true, checked: 1 });
    // from below 1 is read as 1.
    expect(await verifyLedger(store, { from: -4 })).toMatchObject({ ok: true, from: 1, checked: 6, scope: { whole: true } });
  });

  it('an empty range (from after to) checks nothing and finds nothing wrong', async () => {
    const store = memoryStore(new Ledger().add(3).events);
    const r = await verifyLedger(store, { from: 5 });
    expect(r).toMatchObject({ ok: true, from: 5, to: 3, checked: 0, sealsChecked: 0, firstBrokenPosition: null, reason: null });
  });
});

describe('verifyLedger names the first broken position of the chain', () => {
  it('an event whose content no longer matches its hash', async () => {
    const ledger = new Ledger().add(5);
    const events = ledger.events.map((e) => (e.position === 4 ? { ...e, data: { n: 40 } } : e));
    const r = await verifyLedger(memoryStore(events));
    // Positions 1-3 were checked before the break at 4.
    expect(r).toMatchObject({ ok: false, firstBrokenPosition: 4, reason: 'hash does not match the event content', checked: 3 });
  });

  it('counts the positions checked before a break from a range start after 1', async () => {
    const ledger = new Ledger().add(6);
    const events = ledger.events.map((e) => (e.position === 5 ? { ...e, data: { n: 50 } } : e));
    // From 2: positions 2, 3, 4 are sound before 5.
    expect(await verifyLedger(memoryStore(events), { from: 2 })).toMatchObject({ ok: false, firstBrokenPosition: 5, checked: 3 });
  });

  it('an event rewritten with a fresh hash breaks the link of the next one', async () => {
    const events = rewrite(new Ledger().add(5).events, 2, { n: 20 });
    expect(await verifyLedger(memoryStore(events))).toMatchObject({ ok: false, firstBrokenPosition: 3, reason: 'prevHash does not match the previous event', checked: 2 });
  });

  it('a position deleted from the middle', async () => {
    const events = new Ledger().add(5).events.filter((e) => e.position !== 3);
    expect(await verifyLedger(memoryStore(events))).toMatchObject({ ok: false, firstBrokenPosition: 3, reason: 'position 3 is missing (next stored is 4)', checked: 2 });
  });

  it('a tail the head row promises but the ledger no longer holds', async () => {
    const ledger = new Ledger().add(5);
    const store = memoryStore(ledger.events.slice(0, 3), { position: 5, hash: ledger.hashOf(5), occurredAt: at });
    expect(await verifyLedger(store)).toMatchObject({ ok: false, firstBrokenPosition: 4, reason: 'position 4 is missing', checked: 3, headPosition: 5 });
  });

  it('the position just before a range start, when it is missing', async () => {
    const events = new Ledger().add(6).events.filter((e) => e.position !== 3);
    const r = await verifyLedger(memoryStore(events), { from: 4 });
    expect(r).toMatchObject({ ok: false, firstBrokenPosition: 3, reason: 'position 3 is missing', checked: 0, sealsChecked: 0 });
  });

  it('a range start whose predecessor was rewritten: the link from the stored predecessor is checked', async () => {
    const events = rewrite(new Ledger().add(5).events, 2, { n: 20 });
    expect(await verifyLedger(memoryStore(events), { from: 3 })).toMatchObject({ ok: false, firstBrokenPosition: 3, reason: 'prevHash does not match the previous event' });
    // The rewritten event alone still links to 1 and matches its own new hash: only its successor shows the rewrite.
    expect(await verifyLedger(memoryStore(events), { from: 2, to: 2 })).toMatchObject({ ok: true, checked: 1 });
  });
});

describe('verifyLedger checks the seals inside the walk', () => {
  it('checks every sound seal and reports the end of the last one', async () => {
    // 1-3 events, 4 seal(1-3), 5-6 events, 7 seal(4-6), 8 event.
    const ledger = new Ledger().add(3).seal(1, 3).add(2).seal(4, 6).add(1);
    const r = await verifyLedger(memoryStore(ledger.events));
    expect(r).toMatchObject({ ok: true, checked: 8, sealsChecked: 2, sealedThrough: 6, unsealedEvents: 2 });
  });

  it('skips a seal whose segment starts before the range, and checks those inside it', async () => {
    const ledger = new Ledger().add(3).seal(1, 3).add(2).seal(5, 6);
    // From 3: seal(1-3) at 4 reaches before the range and cannot be checked; seal(5-6) at 7 can.
    expect(await verifyLedger(memoryStore(ledger.events), { from: 3 })).toMatchObject({ ok: true, checked: 5, sealsChecked: 1 });
    expect(await verifyLedger(memoryStore(ledger.events), { from: 2, to: 4 })).toMatchObject({ ok: true, checked: 3, sealsChecked: 0 });
  });

  it('a seal whose segment starts at the range start is checked', async () => {
    const ledger = new Ledger().add(3).seal(2, 3);
    expect(await verifyLedger(memoryStore(ledger.events), { from: 2 })).toMatchObject({ ok: true, sealsChecked: 1, checked: 3 });
  });

  it('a seal over positions already covered by an earlier seal is incomplete: each position is sealed once', async () => {
    // seal(1-3) at 4, then a seal at 7 over 3-6 (both signed correctly over the ledger's own hashes).
    const ledger = new Ledger().add(3).seal(1, 3).add(2).seal(3, 6);
    expect(await verifyLedger(memoryStore(ledger.events))).toMatchObject({ ok: false, firstBrokenPosition: 7, reason: 'seal segment is incomplete', sealsChecked: 1, checked: 6 });
    const again = new Ledger().add(3).seal(1, 3).add(2).seal(1, 6);
    expect(await verifyLedger(memoryStore(again.events))).toMatchObject({ ok: false, firstBrokenPosition: 7, reason: 'seal segment is incomplete' });
  });

  it('a seal reaching past its own position is incomplete', async () => {
    const ledger = new Ledger().add(3);
    // Signed over 1-5 (hashes for 4 and 5 invented), appended at position 4: position 5 does not exist yet when the seal is met.
    const hashes = [...ledger.events.map((e) => e.hash), ledger.hashOf(3), 'e'.repeat(64)];
    ledger.seal(1, 5, hashes).add(1);
    expect(await verifyLedger(memoryStore(ledger.events))).toMatchObject({ ok: false, firstBrokenPosition: 4, reason: 'seal segment is incomplete', checked: 3 });
  });

  it('a seal whose Merkle root does not cover the ledger (signed over other hashes, same head)', async () => {
    const ledger = new Ledger().add(3);
    ledger.seal(1, 3, ['d'.repeat(64), ledger.hashOf(2), ledger.hashOf(3)]).add(1);
    expect(await verifyLedger(memoryStore(ledger.events))).toMatchObject({ ok: false, firstBrokenPosition: 4, reason: 'seal Merkle root does not match the ledger', sealsChecked: 0, checked: 3 });
  });

  it('a seal whose head hash is not the ledger’s', async () => {
    const ledger = new Ledger().add(3);
    ledger.seal(1, 3, [ledger.hashOf(1), ledger.hashOf(2), 'd'.repeat(64)]);
    expect(await verifyLedger(memoryStore(ledger.events))).toMatchObject({ ok: false, firstBrokenPosition: 4, reason: 'seal head hash does not match the ledger' });
  });

  it('a seal signed by a key that is not trusted, and the same seal accepted when its key is', async () => {
    const ledger = new Ledger().add(2).seal(1, 2);
    const keyId = createHash('sha256').update(keys.publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
    expect(await verifyLedger(memoryStore(ledger.events), { trustedKeyIds: new Set(['0'.repeat(64)]) })).toMatchObject({ ok: false, firstBrokenPosition: 3, reason: 'seal was signed by an untrusted key' });
    expect(await verifyLedger(memoryStore(ledger.events), { trustedKeyIds: new Set([keyId]) })).toMatchObject({ ok: true, sealsChecked: 1 });
  });

  it('a ledger.sealed event whose data is not a seal', async () => {
    const ledger = new Ledger().add(2).addRaw({ fromPosition: 1 }).add(1);
    const r = await verifyLedger(memoryStore(ledger.events));
    expect(r).toMatchObject({ ok: false, firstBrokenPosition: 3, reason: 'malformed ledger.sealed event', checked: 2, sealsChecked: 0, sealedThrough: 0 });
  });
});

describe('verifyLedger holds the ledger against the witness and the seal archive', () => {
  const ledger = new Ledger().add(3).seal(1, 3).add(1);
  // Positions 1-5; seal(1-3) at 4.
  const store = memoryStore(ledger.events);

  it('passes when the ledger reaches the witness and holds its hashes, and summarises the witness', async () => {
    const witness = floor({ position: 5, hash: ledger.hashOf(5) }, { toPosition: 3, headHash: ledger.hashOf(3) });
    const r = await verifyLedger(store, { witness });
    expect(r).toMatchObject({ ok: true, firstBrokenPosition: null, reason: null, sealArchive: null });
    expect(r.witness).toEqual({ acknowledgedPosition: 5, sealedThrough: 3, writtenAt: '2026-12-01T10:00:00.000Z' });
  });

  it('passes with a witness that sealed nothing yet (sealedThrough 0 in the summary)', async () => {
    const r = await verifyLedger(store, { witness: floor({ position: 2, hash: ledger.hashOf(2) }), sealArchive: floor({ position: 4, hash: ledger.hashOf(4) }) });
    expect(r).toMatchObject({ ok: true, reason: null });
    expect(r.witness).toEqual({ acknowledgedPosition: 2, sealedThrough: 0, writtenAt: '2026-12-01T10:00:00.000Z' });
    expect(r.sealArchive).toEqual({ acknowledgedPosition: 4, sealedThrough: 0, writtenAt: '2026-12-01T10:00:00.000Z' });
  });

  it('fails with the witness’s own problem, at no position', async () => {
    const r = await verifyLedger(store, { witness: floor({ position: 5, hash: ledger.hashOf(5) }, null, 'witness signature is invalid') });
    expect(r).toMatchObject({ ok: false, firstBrokenPosition: null, reason: 'witness signature is invalid' });
  });

  it('a ledger two positions short of the acknowledged one', async () => {
    const r = await verifyLedger(store, { witness: floor({ position: 7, hash: 'a'.repeat(64) }) });
    expect(r).toMatchObject({ ok: false, firstBrokenPosition: 6, reason: 'the ledger ends at position 5, but position 7 was acknowledged (ledger witness): positions 6-7 are missing' });
  });

  it('a ledger one position short of the acknowledged one', async () => {
    const r = await verifyLedger(store, { witness: floor({ position: 6, hash: 'a'.repeat(64) }) });
    expect(r).toMatchObject({ ok: false, firstBrokenPosition: 6, reason: 'the ledger ends at position 5, but position 6 was acknowledged (ledger witness): position 6 is missing' });
  });

  it('a ledger short of the sealed end only (acknowledged at the head)', async () => {
    const r = await verifyLedger(store, { witness: floor({ position: 5, hash: ledger.hashOf(5) }, { toPosition: 8, headHash: 'b'.repeat(64) }) });
    expect(r).toMatchObject({ ok: false, firstBrokenPosition: 6, reason: 'the ledger ends at position 5, but positions up to 8 were sealed (ledger witness): positions 6-8 are missing' });
  });

  it('a ledger short of both: the larger bound counts, and both promises are named', async () => {
    const r = await verifyLedger(store, { witness: floor({ position: 9, hash: 'a'.repeat(64) }, { toPosition: 7, headHash: 'b'.repeat(64) }) });
    expect(r).toMatchObject({ firstBrokenPosition: 6, reason: 'the ledger ends at position 5, but position 9 was acknowledged and positions up to 7 were sealed (ledger witness): positions 6-9 are missing' });
    const sealedFurther = await verifyLedger(store, { witness: floor({ position: 3, hash: ledger.hashOf(3) }, { toPosition: 7, headHash: 'b'.repeat(64) }) });
    expect(sealedFurther).toMatchObject({ firstBrokenPosition: 6, reason: 'the ledger ends at position 5, but positions up to 7 were sealed (ledger witness): positions 6-7 are missing' });
  });

  it('a ledger short of the acknowledged position while the sealed end sits at the head', async () => {
    const r = await verifyLedger(store, { witness: floor({ position: 6, hash: 'a'.repeat(64) }, { toPosition: 5, headHash: ledger.hashOf(5) }) });
    expect(r).toMatchObject({ reason: 'the ledger ends at position 5, but position 6 was acknowledged (ledger witness): position 6 is missing' });
  });

  it('judges a short tail only when the requested range reaches past the head', async () => {
    const witness = floor({ position: 7, hash: 'a'.repeat(64) });
    // to = 3 or to = the head: the positions asked for are all there.
    expect(await verifyLedger(store, { to: 3, witness })).toMatchObject({ ok: true, reason: null });
    expect(await verifyLedger(store, { to: 5, witness })).toMatchObject({ ok: true, reason: null });
    // to = 6 asks for a position the witness vouches for and the ledger lacks.
    expect(await verifyLedger(store, { to: 6, witness })).toMatchObject({ ok: false, firstBrokenPosition: 6, to: 5 });
  });

  it('an acknowledged position that now holds another event', async () => {
    const r = await verifyLedger(store, { witness: floor({ position: 3, hash: 'a'.repeat(64) }) });
    expect(r).toMatchObject({ ok: false, firstBrokenPosition: 3, reason: 'position 3 does not hold the event acknowledged there (ledger witness): the ledger was rewritten at or before it' });
  });

  it('a sealed end that now holds another event', async () => {
    const r = await verifyLedger(store, { witness: floor({ position: 5, hash: ledger.hashOf(5) }, { toPosition: 3, headHash: 'b'.repeat(64) }) });
    expect(r).toMatchObject({ ok: false, firstBrokenPosition: 3, reason: 'position 3 does not hold the event sealed there (ledger witness): the ledger was rewritten at or before it' });
  });

  it('judges recorded hashes only inside [from, to], bounds included', async () => {
    const wrongAt3 = floor({ position: 3, hash: 'a'.repeat(64) });
    expect(await verifyLedger(store, { from: 3, witness: wrongAt3 })).toMatchObject({ ok: false, firstBrokenPosition: 3 });
    expect(await verifyLedger(store, { from: 4, witness: wrongAt3 })).toMatchObject({ ok: true });
    expect(await verifyLedger(store, { to: 3, witness: wrongAt3 })).toMatchObject({ ok: false, firstBrokenPosition: 3 });
    expect(await verifyLedger(store, { to: 2, witness: wrongAt3 })).toMatchObject({ ok: true });
  });

  it('a rewritten tail that relinks the chain is found only through the witness', async () => {
    // Positions 4-5 replaced by two other events appended after 3: the chain links, the seal at 4 is gone.
    const rewritten = new Ledger();
    rewritten.events = ledger.events.slice(0, 3);
    rewritten.add(2);
    const witness = floor({ position: 5, hash: ledger.hashOf(5) });
    expect(await verifyLedger(memoryStore(rewritten.events))).toMatchObject({ ok: true });
    expect(await verifyLedger(memoryStore(rewritten.events), { witness })).toMatchObject({
      ok: false,
      firstBrokenPosition: 5,
      reason: 'position 5 does not hold the event acknowledged there (ledger witness): the ledger was rewritten at or before it',
    });
  });

  it('names the NATS seal archive as the source of its bound, an archived position', async () => {
    const r = await verifyLedger(store, { sealArchive: floor({ position: 7, hash: 'a'.repeat(64) }, { toPosition: 7, headHash: 'a'.repeat(64) }) });
    expect(r).toMatchObject({ ok: false, firstBrokenPosition: 6, reason: 'the ledger ends at position 5, but position 7 was archived and positions up to 7 were sealed (NATS seal archive): positions 6-7 are missing' });
    const rewritten = await verifyLedger(store, { sealArchive: floor({ position: 4, hash: 'c'.repeat(64) }) });
    expect(rewritten).toMatchObject({ firstBrokenPosition: 4, reason: 'position 4 does not hold the event archived there (NATS seal archive): the ledger was rewritten at or before it' });
  });

  it('reports a chain break before the witness, and the witness before the seal archive', async () => {
    const broken = ledger.events.map((e) => (e.position === 2 ? { ...e, data: { n: 0 } } : e));
    const short = floor({ position: 7, hash: 'a'.repeat(64) });
    expect(await verifyLedger(memoryStore(broken), { witness: short })).toMatchObject({ firstBrokenPosition: 2, reason: 'hash does not match the event content' });
    const r = await verifyLedger(store, { witness: short, sealArchive: floor({ position: 3, hash: 'a'.repeat(64) }) });
    expect(r.reason).toBe('the ledger ends at position 5, but position 7 was acknowledged (ledger witness): positions 6-7 are missing');
    const archiveOnly = await verifyLedger(store, { witness: floor({ position: 5, hash: ledger.hashOf(5) }), sealArchive: floor({ position: 3, hash: 'a'.repeat(64) }) });
    expect(archiveOnly).toMatchObject({ firstBrokenPosition: 3, reason: 'position 3 does not hold the event archived there (NATS seal archive): the ledger was rewritten at or before it' });
  });
});
