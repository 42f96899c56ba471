import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdempotencyStore } from '../../src/platform/idempotency-store.js';
import { dialects, openTestDatabase, type TestDatabase } from '../support/test-database.js';

describe.each(dialects)('idempotency store on %s', (dialect) => {
  let db: TestDatabase;
  let now = new Date('2026-03-01T12:00:00Z');
  let store: IdempotencyStore;
  const answer = { status: 201, headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"id":"x"}' };

  beforeAll(async () => {
    db = await openTestDatabase(dialect);
    store = new IdempotencyStore(db.knex, randomBytes(32), { ttlMs: 24 * 3_600_000, leaseMs: 5 * 60_000 }, () => now);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('holds a key in flight, then replays its answer; another fingerprint is a mismatch', async () => {
    expect(await store.reserve('alice', 'k1', 'f1')).toEqual({ kind: 'reserved' });
    expect(await store.reserve('alice', 'k1', 'f1')).toEqual({ kind: 'in-flight' });
    await store.complete('alice', 'k1', answer);
    expect(await store.reserve('alice', 'k1', 'f1')).toEqual({ kind: 'replay', response: answer });
    expect(await store.reserve('alice', 'k1', 'f2')).toEqual({ kind: 'mismatch' });
    expect(await store.reserve('bob', 'k1', 'f1')).toEqual({ kind: 'reserved' });
  });

  it('lets a retry run again after a release, and take over a key abandoned past its lease', async () => {
    expect(await store.reserve('alice', 'k2', 'f')).toEqual({ kind: 'reserved' });
    await store.release('alice', 'k2');
    expect(await store.reserve('alice', 'k2', 'f')).toEqual({ kind: 'reserved' });
    now = new Date(now.getTime() + 4 * 60_000);
    expect(await store.reserve('alice', 'k2', 'f')).toEqual({ kind: 'in-flight' });
    now = new Date(now.getTime() + 2 * 60_000);
    expect(await store.reserve('alice', 'k2', 'f')).toEqual({ kind: 'reserved' });
  });

  it('forgets an answered key after its lifetime', async () => {
    expect(await store.reserve('alice', 'k3', 'f')).toEqual({ kind: 'reserved' });
    await store.complete('alice', 'k3', answer);
    now = new Date(now.getTime() + 24 * 3_600_000 + 1);
    expect(await store.reserve('alice', 'k3', 'other')).toEqual({ kind: 'reserved' });
  });

  it('keeps answers encrypted and bound to their row', async () => {
    expect(await store.reserve('alice', 'k4', 'f')).toEqual({ kind: 'reserved' });
    await store.complete('alice', 'k4', { ...answer, body: '{"secret":"hunter2-very-secret"}' });
    const [row] = (await db.knex('raia_idempotency_keys').where({ scope: 'alice', key: 'k4' })) as { response: string }[];
    expect(row!.response).not.toContain('hunter2');
    // Moved to another principal's row, the sealed answer does not open.
    expect(await store.reserve('bob', 'k4', 'f')).toEqual({ kind: 'reserved' });
    await db.knex('raia_idempotency_keys').where({ scope: 'bob', key: 'k4' }).update({ response: row!.response });
    await expect(store.reserve('bob', 'k4', 'f')).rejects.toThrow();
  });
});
