import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { v7 } from 'uuid';
import { handleCommand } from '../../src/commands/command-handler.js';
import { CommandRefused } from '../../src/commands/decider.js';
import { ledgerDecider } from '../../src/commands/ledger/ledger.decider.js';
import { privacySubjectDecider } from '../../src/commands/privacy/privacy-subject.decider.js';
import { raiaEventCatalogue } from '../../src/events/catalogue/raia-event-catalogue.js';
import { signSeal } from '../../src/events/ledger-seal.js';
import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.js';
import { systemActor } from '../../src/events/envelope.js';
import { openTestDatabase, type TestDatabase } from '../support/test-database.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const seal = (from: number, to: number) => signSeal({ fromPosition: from, toPosition: to, hashes: Array.from({ length: to - from + 1 }, (_, i) => String(i % 10).repeat(64)) }, privateKey, publicKey);
const context = { now: new Date('2026-01-01T00:00:00Z'), actor: systemActor() };

describe('ledger decider (given / when / then)', () => {
  it('accepts a seal that starts where the last one ended', () => {
    const state = ledgerDecider.evolve(ledgerDecider.initialState(), { type: 'ledger.sealed', data: seal(1, 10) });
    expect(state).toMatchObject({ seals: 1, sealedTo: 10 });
    expect(ledgerDecider.decide({ type: 'RecordSeal', seal: seal(11, 20) }, state, context)).toHaveLength(1);
  });

  it('refuses a gap or an overlap with every reason', () => {
    const state = ledgerDecider.evolve(ledgerDecider.initialState(), { type: 'ledger.sealed', data: seal(1, 10) });
    const refusal = (() => {
      try {
        ledgerDecider.decide({ type: 'RecordSeal', seal: seal(5, 20) }, state, context);
      } catch (e) {
        return e;
      }
    })();
    expect(refusal).toBeInstanceOf(CommandRefused);
    expect((refusal as CommandRefused).reasons).toEqual(['seal must start at position 11, not 5']);
  });
});

describe('privacy subject decider', () => {
  it('erases once and refuses a second erasure', () => {
    const erase = { type: 'EraseSubject' as const, subjectId: 's1', reason: 'request', keyDestroyed: true };
    const [event] = privacySubjectDecider.decide(erase, privacySubjectDecider.initialState(), context);
    expect(event).toEqual({ type: 'privacy.subject-erased', data: { subjectId: 's1', reason: 'request', keyDestroyed: true } });
    const erased = privacySubjectDecider.evolve(privacySubjectDecider.initialState(), event!);
    expect(() => privacySubjectDecider.decide(erase, erased, context)).toThrow(CommandRefused);
  });
});

describe('command handler', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  const catalogue = raiaEventCatalogue();
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    store = new PostgresEventStore(db);
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  it('loads, decides, validates against the catalogue and appends with the version it read', async () => {
    const id = v7();
    const result = await handleCommand({ store, catalogue }, privacySubjectDecider, 'privacy-h1', { type: 'EraseSubject', subjectId: 'h1', reason: 'r', keyDestroyed: false }, { actor: systemActor('t'), eventIds: [id] });
    expect(result).toMatchObject({ streamId: 'privacy-h1', streamVersion: 0, state: { status: 'erased' } });
    expect(result.events).toEqual([{ id, type: 'privacy.subject-erased', position: result.position }]);
    const [stored] = await store.readStream('privacy-h1');
    expect(stored).toMatchObject({ id, schemaVersion: 1, actor: { kind: 'system', id: 't' } });
  });

  it('decides again when a concurrent writer got there first, so only one of two racing erasures lands', async () => {
    const erase = (n: number) =>
      handleCommand({ store, catalogue }, privacySubjectDecider, 'privacy-race', { type: 'EraseSubject', subjectId: 'race', reason: `r${n}`, keyDestroyed: false }, { actor: systemActor() });
    const outcomes = await Promise.allSettled([erase(1), erase(2), erase(3)]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes.filter((o) => o.status === 'rejected')) expect((o as PromiseRejectedResult).reason).toBeInstanceOf(CommandRefused);
    expect(await store.readStream('privacy-race')).toHaveLength(1);
  });

  it('decides on a stream the caller read, and reads it afresh when a write came in between', async () => {
    const erase = { type: 'EraseSubject' as const, subjectId: 'given', reason: 'r', keyDestroyed: false };
    // An empty stream as read: no extra read, and the append expects none.
    const fresh = await handleCommand({ store, catalogue }, privacySubjectDecider, 'privacy-given', erase, { actor: systemActor(), stream: [] });
    expect(fresh.streamVersion).toBe(0);
    // A stale read (taken before that erasure): the append fails, the retry reads the erasure and refuses a second one.
    await expect(handleCommand({ store, catalogue }, privacySubjectDecider, 'privacy-given', erase, { actor: systemActor(), stream: [] })).rejects.toBeInstanceOf(CommandRefused);
    expect(await store.readStream('privacy-given')).toHaveLength(1);
  });

  it('rejects decided data that does not match the catalogue schema, writing nothing', async () => {
    await expect(
      handleCommand({ store, catalogue }, privacySubjectDecider, 'privacy-bad', { type: 'EraseSubject', subjectId: '', reason: 'r', keyDestroyed: false }, { actor: systemActor() }),
    ).rejects.toThrow(/subjectId/);
    expect(await store.readStream('privacy-bad')).toEqual([]);
  });
});
