import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 } from 'uuid';
import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.js';
import { LEDGER_SEALED, LEDGER_STREAM, merkleRoot, signSeal } from '../../src/events/ledger-seal.js';
import { createHash } from 'node:crypto';
import { systemActor } from '../../src/events/envelope.js';
import { eventHash } from '../../src/events/hash-chain.js';
import { dialects, openTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newEvent } from '../support/events.js';

describe.each(dialects)('ledger integrity on %s', (dialect) => {
  let db: TestDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    db = await openTestDatabase(dialect);
    store = new PostgresEventStore(db, { pollIntervalMs: 100 });
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  it('8 concurrent writers x 1,000 events: a live $all subscriber sees every position exactly once, in order', async () => {
    const seen: number[] = [];
    const sub = store.subscribeToAll({ after: 0, batchSize: 250, onEvents: async (events) => void seen.push(...events.map((e) => e.position)) });
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; i < 1000; ) {
        const size = 1 + ((i * 7 + w) % 25);
        const batch = Array.from({ length: Math.min(size, 1000 - i) }, (_, k) => newEvent({ w, i: i + k }));
        await store.append(`writer-${w}-${i % 13}`, batch);
        i += batch.length;
      }
    });
    await Promise.all(writers);
    const head = await store.head();
    expect(head.position).toBe(8000);
    for (let i = 0; i < 400 && seen.length < 8000; i++) await new Promise((r) => setTimeout(r, 25));
    await sub.stop();
    expect(seen.length).toBe(8000);
    expect(seen).toEqual(Array.from({ length: 8000 }, (_, i) => i + 1));
    const verified = await store.verify();
    expect(verified.ok).toBe(true);
    expect(verified.checked).toBe(8000);
  });

  it('names the position of a row changed directly in SQL', async () => {
    const { position } = await store.append(`tamper-${v7()}`, [newEvent({ amount: 100 })]);
    await store.append(`tamper-${v7()}`, [newEvent({ amount: 5 })]);
    expect((await store.verify()).ok).toBe(true);
    await db.knex.raw(`UPDATE raia_events SET data = jsonb_set(data, '{amount}', '101') WHERE position = ?`, [position]);
    const result = await store.verify();
    expect(result.ok).toBe(false);
    expect(result.firstBrokenPosition).toBe(position);
    expect(result.reason).toMatch(/hash/);
    // A range that ends before the change still verifies.
    expect((await store.verify({ to: position - 1 })).ok).toBe(true);
    await db.knex.raw(`UPDATE raia_events SET data = jsonb_set(data, '{amount}', '100') WHERE position = ?`, [position]);
    expect((await store.verify()).ok).toBe(true);
  });

  it('names a deleted position and a re-hashed row whose successor no longer links', async () => {
    const { events } = await store.append(`tamper-${v7()}`, [newEvent({ n: 1 }), newEvent({ n: 2 }), newEvent({ n: 3 })]);
    const [, middle, last] = events;
    // An attacker who edits a row and recomputes its own hash still breaks the link from the next row.
    const edited = { ...middle!, data: { n: 20 } };
    await db.knex.raw(`UPDATE raia_events SET data = ?::jsonb, hash = ? WHERE position = ?`, [JSON.stringify(edited.data), eventHash(edited), middle!.position]);
    const relinked = await store.verify();
    expect(relinked.firstBrokenPosition).toBe(last!.position);
    expect(relinked.reason).toMatch(/prevHash/);
    await db.knex.raw(`UPDATE raia_events SET data = ?::jsonb, hash = ? WHERE position = ?`, [JSON.stringify(middle!.data), middle!.hash, middle!.position]);
    expect((await store.verify()).ok).toBe(true);
    await db.knex.raw(`DELETE FROM raia_events WHERE position = ?`, [middle!.position]);
    const deleted = await store.verify();
    expect(deleted.ok).toBe(false);
    expect(deleted.firstBrokenPosition).toBe(middle!.position);
    expect(deleted.reason).toMatch(/missing/);
  });
});

describe('ledger seals', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');

  beforeAll(async () => {
    db = await openTestDatabase('pglite');
    store = new PostgresEventStore(db);
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  it('computes the RFC 6962 Merkle root of a small tree by hand', () => {
    const leaf = (h: string) => createHash('sha256').update(Buffer.concat([Buffer.from([0]), Buffer.from(h, 'hex')])).digest();
    const node = (l: Buffer, r: Buffer) => createHash('sha256').update(Buffer.concat([Buffer.from([1]), l, r])).digest();
    const hs = ['a', 'b', 'c'].map((c) => c.repeat(64));
    const expected = node(node(leaf(hs[0]!), leaf(hs[1]!)), leaf(hs[2]!)).toString('hex');
    expect(merkleRoot(hs)).toBe(expected);
  });

  it('verifies a signed seal and detects a forged one', async () => {
    const { events } = await store.append('sealed-1', [newEvent(), newEvent(), newEvent()]);
    const seal = signSeal({ fromPosition: 1, toPosition: 3, hashes: events.map((e) => e.hash) }, privateKey, publicKey);
    await store.append(LEDGER_STREAM, [{ id: v7(), type: LEDGER_SEALED, schemaVersion: 1, data: seal, actor: systemActor() }]);
    const ok = await store.verify();
    expect(ok).toMatchObject({ ok: true, sealsChecked: 1 });

    const forged = { ...signSeal({ fromPosition: 1, toPosition: 3, hashes: events.map((e) => e.hash) }, privateKey, publicKey), merkleRoot: 'e'.repeat(64) };
    const { position } = await store.append(LEDGER_STREAM, [{ id: v7(), type: LEDGER_SEALED, schemaVersion: 1, data: forged, actor: systemActor() }]);
    const bad = await store.verify();
    expect(bad.ok).toBe(false);
    expect(bad.firstBrokenPosition).toBe(position);
    expect(bad.reason).toMatch(/signature/);
  });
});
