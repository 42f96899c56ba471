import { randomUUID } from 'node:crypto';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { connect } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raiaEventCatalogue } from '../../src/events/catalogue/raia-event-catalogue.js';
import { keyFingerprint } from '../../src/events/ledger-seal.js';
import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.js';
import { openNatsArchive, type NatsArchive } from '../../src/platform/nats-archive-stream.js';
import { startLedgerSealer, type LedgerSealer } from '../../src/processors/ledger-sealer.js';
import { sealArchive } from '../../src/processors/seal-archive.js';
import { newEvent } from '../support/events.js';
import { openTestDatabase, type TestDatabase } from '../support/test-database.js';

const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

describe('the seal archive', () => {
  const token = randomBytes(5).toString('hex');
  const stream = `T_${token}_SEALS`;
  const subject = `t${token}.ledger.sealed`;
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  let db: TestDatabase;
  let store: PostgresEventStore;
  let sealer: LedgerSealer;
  let archive: NatsArchive;

  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    store = new PostgresEventStore(db, { pollIntervalMs: 50 });
    sealer = startLedgerSealer({ store, catalogue: raiaEventCatalogue(), signingKey: privateKey, verifyKey: publicKey, every: 1_000_000 });
  });
  afterAll(async () => {
    await sealer.stop();
    await archive?.close();
    await store.close();
    await db.drop();
    const nc = await connect({ servers: NATS_URL });
    await (await nc.jetstreamManager()).streams.delete(stream).catch(() => undefined);
    await nc.close();
  });

  it('publishes the seals made before it existed, then only new ones, in ledger order, and answers the newest as a bound', async () => {
    const seals: number[] = [];
    for (let i = 0; i < 3; i++) {
      await store.append(`model-${i}`, [newEvent({ i })]);
      seals.push((await sealer.sealNow())!);
    }
    // NATS was out of reach while these were sealed: the archive is opened only now.
    archive = await openNatsArchive({ url: NATS_URL, stream, subject });
    const keyId = keyFingerprint(publicKey);
    const archiving = sealArchive({ store, archive, keyIds: new Set([keyId]) });
    expect(await archiving.catchUp()).toBe(3);
    expect(await archiving.catchUp()).toBe(0);
    await store.append('model-x', [newEvent()]);
    seals.push((await sealer.sealNow())!);
    // Two catch-ups at once (two seals in a row) run one after the other and publish each seal once.
    expect(await Promise.all([archiving.catchUp(), archiving.catchUp()])).toEqual([1, 0]);

    // The newest archived seal is a bound for verify, trusted only when signed by a trusted key.
    const [lastSeal] = await store.readAll({ after: seals[3]! - 1, limit: 1 });
    expect(await archiving.bound(new Set([keyFingerprint(publicKey)]))).toEqual({
      acknowledged: { position: seals[3], hash: lastSeal!.hash },
      sealed: { toPosition: seals[3]! - 1, headHash: lastSeal!.data.headHash },
      writtenAt: lastSeal!.occurredAt.toISOString(),
      problem: null,
    });
    // Seals of keys not trusted (another ledger sharing the stream) are not read at all.
    expect(await archiving.bound(new Set())).toBeNull();

    const nc = await connect({ servers: NATS_URL });
    try {
      const jsm = await nc.jetstreamManager();
      const { state } = await jsm.streams.info(stream);
      expect(state.messages).toBe(4);
      const held = await Promise.all([1, 2, 3, 4].map(async (seq) => (await jsm.streams.getMessage(stream, { seq })).json<{ position: number; streamVersion: number }>()));
      expect(held.map((m) => m.position)).toEqual(seals);
      expect(held.map((m) => m.streamVersion)).toEqual([0, 1, 2, 3]);
    } finally {
      await nc.close();
    }

    // Another ledger's newer seal in the same stream (its own key) does not move this ledger's bound.
    const newest = (await archive.last(keyId))!;
    const foreignKey = 'f'.repeat(64);
    await archive.publish(foreignKey, { id: randomUUID(), payload: JSON.stringify({ ...(newest.data as object), position: 1_000_000 }) });
    expect((await archiving.bound(new Set([keyId])))?.acknowledged.position).toBe(seals[3]);
    // A seal under this ledger's key whose signature does not hold is the bound's problem, not a trusted bound.
    const forged = newest.data as { position: number; data: { signature: string } };
    await archive.publish(keyId, { id: randomUUID(), payload: JSON.stringify({ ...forged, position: forged.position + 1, data: { ...forged.data, signature: Buffer.alloc(64).toString('base64') } }) });
    expect((await archiving.bound(new Set([keyId])))?.problem).toBe('the newest seal in the NATS seal archive failed its check (seal signature is invalid)');
  });
});
