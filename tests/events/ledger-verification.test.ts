import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/events/envelope.js';
import { LEDGER_SEALED, LEDGER_STREAM } from '../../src/events/ledger-seal.js';
import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.js';
import { newEvent } from '../support/events.js';
import { dialects, openTestDatabase, type TestDatabase } from '../support/test-database.js';

describe.each(dialects)('ledger verification on %s', (dialect) => {
  let db: TestDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    db = await openTestDatabase(dialect);
    store = new PostgresEventStore(db);
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  it('reports a seal whose public key cannot be read as a broken position, not an error', async () => {
    await store.append('model-a', [newEvent()]);
    const hash = 'a'.repeat(64);
    const seal = { fromPosition: 1, toPosition: 1, headHash: hash, merkleRoot: hash, algorithm: 'ed25519', keyId: hash, publicKey: 'bm90IGEga2V5', signature: 'c2ln' };
    const { position } = await store.append(LEDGER_STREAM, [newEvent(seal, { type: LEDGER_SEALED, actor: systemActor('test') })]);
    expect(await store.verify()).toMatchObject({ ok: false, firstBrokenPosition: position, reason: 'seal public key is unreadable', sealedThrough: 1, unsealedEvents: 1, witness: null, sealArchive: null });
  });
});
