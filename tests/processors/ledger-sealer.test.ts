import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.js';
import { raiaEventCatalogue } from '../../src/events/catalogue/raia-event-catalogue.js';
import { LEDGER_STREAM } from '../../src/events/ledger-seal.js';
import { startLedgerSealer, type LedgerSealer } from '../../src/processors/ledger-sealer.js';
import { openTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newEvent, sleep } from '../support/events.js';

describe('ledger sealer', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const sealers: LedgerSealer[] = [];

  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    store = new PostgresEventStore(db, { pollIntervalMs: 50 });
  });
  afterAll(async () => {
    for (const s of sealers) await s.stop();
    await store.close();
    await db.drop();
  });

  it('seals every N positions, two sealers never seal a segment twice, and verify checks each seal', async () => {
    const catalogue = raiaEventCatalogue();
    for (let i = 0; i < 2; i++) sealers.push(startLedgerSealer({ store, catalogue, signingKey: privateKey, verifyKey: publicKey, every: 50 }));
    await sleep(100);
    const sealsAfter = async (count: number) => {
      for (let i = 0; i < 200 && (await store.readStream(LEDGER_STREAM)).length < count; i++) await sleep(25);
    };
    // Two rounds, each past the threshold, so two seals are due whatever the delivery batching.
    for (const round of [0, 1]) {
      for (let i = 0; i < 3; i++) await store.append(`model-${round}-${i}`, Array.from({ length: 20 }, () => newEvent()));
      await sealsAfter(round + 1);
    }
    const seals = await store.readStream(LEDGER_STREAM);
    expect(seals.length).toBeGreaterThanOrEqual(2);
    // Consecutive, non-overlapping segments starting at 1.
    let next = 1;
    for (const s of seals) {
      expect(s.data.fromPosition).toBe(next);
      expect(s.position).toBeGreaterThan(s.data.toPosition as number);
      next = (s.data.toPosition as number) + 1;
    }
    const verified = await store.verify();
    expect(verified).toMatchObject({ ok: true, sealsChecked: seals.length });
  });

  it('does not seal a segment holding nothing but the previous seal', async () => {
    const sealer = sealers[0]!;
    await store.append('model-last', [newEvent()]);
    const position = await sealer.sealNow();
    expect(position).toBe((await store.head()).position);
    expect(await sealer.sealNow()).toBeNull();
  });
});
