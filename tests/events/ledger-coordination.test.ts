import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/platform/database.js';
import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.js';
import { ledgerCoordination } from '../../src/events/postgres/ledger-coordination.js';
import { TEST_DATABASE_URL, openTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newEvent } from '../support/events.js';

const schemaOf = async (db: Database) => ((await db.knex.raw('SELECT current_schema() AS schema')).rows[0] as { schema: string }).schema;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * NOTIFY channels and advisory locks belong to the database: ledgers in two schemas of one
 * database must each have their own, or one hears the other's commits (and its followers spin on
 * positions their ledger lacks) and waits on the other's locks.
 */
describe('ledgers in two schemas of one PostgreSQL database', () => {
  let first: TestDatabase;
  let second: TestDatabase;
  let sameSchema: Database;
  let a: PostgresEventStore;
  let b: PostgresEventStore;
  let bElsewhere: PostgresEventStore;

  beforeAll(async () => {
    [first, second] = await Promise.all([openTestDatabase('postgres'), openTestDatabase('postgres')]);
    // Another process on the second schema.
    sameSchema = await openDatabase({ url: TEST_DATABASE_URL, schema: await schemaOf(second) });
    a = new PostgresEventStore(first);
    b = new PostgresEventStore(second);
    bElsewhere = new PostgresEventStore(sameSchema);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close(), bElsewhere.close()]);
    await sameSchema.close();
    await Promise.all([first.drop(), second.drop()]);
  });

  it('names each schema its own channel and lock keys, and keeps the earlier names for public', async () => {
    const [sa, sb] = [await schemaOf(first), await schemaOf(second)];
    expect(sa).not.toBe(sb);
    const [ca, cb] = [ledgerCoordination(sa), ledgerCoordination(sb)];
    expect(ca.channel).not.toBe(cb.channel);
    expect(ca.appendLockKey).not.toBe(cb.appendLockKey);
    expect(ca.insertPhaseLockKey).not.toBe(ca.appendLockKey);
    for (const c of [ca, cb]) {
      expect(c.channel.length).toBeLessThanOrEqual(63);
      expect(Number.isSafeInteger(c.appendLockKey) && Number.isSafeInteger(c.insertPhaseLockKey)).toBe(true);
    }
    expect(ledgerCoordination('public')).toEqual({ channel: 'raia_events_appended', appendLockKey: 0x52414941, insertPhaseLockKey: 0x52414942 });
  });

  it("hears its own schema's commits from another process, never another schema's", async () => {
    const heardByB: number[] = [];
    const stop = b.onCommitted((p) => heardByB.push(p));
    try {
      // b's LISTEN is in place once a NOTIFY from its own schema arrives.
      await bElsewhere.append('warm-up', [newEvent({ n: 0 })]);
      for (let t = 0; t < 100 && heardByB.length === 0; t++) await sleep(20);
      expect(heardByB).toEqual([1]);
      for (let i = 0; i < 30; i++) await a.append('stream-a', [newEvent({ i })]);
      await bElsewhere.append('after', [newEvent({ n: 1 })]);
      for (let t = 0; t < 100 && heardByB.length < 2; t++) await sleep(20);
      await sleep(200);
      // Position 2 of b's own ledger, and none of a's thirty.
      expect(heardByB).toEqual([1, 2]);
    } finally {
      stop();
    }
  });

  it("appends while another schema's ledger holds its append and insert-phase locks", async () => {
    const locks = ledgerCoordination(await schemaOf(second));
    const holder = await second.knex.transaction();
    try {
      await holder.raw('SELECT pg_advisory_xact_lock(?), pg_advisory_xact_lock(?)', [locks.insertPhaseLockKey, locks.appendLockKey]);
      const appended = a.append('while-b-locked', [newEvent({ x: 1 })]).then(() => 'appended');
      expect(await Promise.race([appended, sleep(5000).then(() => 'waited')])).toBe('appended');
    } finally {
      await holder.rollback();
    }
  });
});
