import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_REVOCATIONS_CHANNEL, SessionStore } from '../../src/platform/session-store.js';
import { dialects, openTestDatabase, type TestDatabase } from '../support/test-database.js';

/** Polls `check` until it holds or `ms` pass; answers whether it held. */
async function eventually(check: () => Promise<boolean>, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

describe.each(dialects)('cached session status on %s', (dialect) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(async () => {
    await db.drop();
  });

  // Two stores on one database stand for two API processes, each listening as the runtime does.
  const twoProcesses = async () => {
    const [a, b] = [new SessionStore(db.knex, 3600_000), new SessionStore(db.knex, 3600_000)];
    const unlisten = await Promise.all([a, b].map((s) => db.listen(SESSION_REVOCATIONS_CHANNEL, (m) => s.forgetRevoked(m))));
    return { a, b, close: () => Promise.all(unlisten.map((u) => u())) };
  };

  it('a revoked session is refused at once by the revoking process and, by notification, by the other (well inside the cache time)', async () => {
    const { a, b, close } = await twoProcesses();
    try {
      const { sessionId } = await a.create('u-revoke', 'vitest');
      const { sessionId: other } = await a.create('u-revoke', 'vitest');
      expect([await a.isActive(sessionId), await b.isActive(sessionId), await b.isActive(other)]).toEqual([true, true, true]); // now cached in both

      const revokedAt = Date.now();
      expect(await a.revoke(sessionId, 'logout')).toBe(true);
      expect(await a.isActive(sessionId)).toBe(false);
      expect(await eventually(async () => !(await b.isActive(sessionId)))).toBe(true);
      expect(Date.now() - revokedAt).toBeLessThan(4000); // the 5 s cache bound was not what ended it
      expect(await b.isActive(other)).toBe(true); // the user's other session is untouched
    } finally {
      await close();
    }
  });

  it('revoking all of a user\'s sessions evicts every one of them in the other process, and no one else\'s', async () => {
    const { a, b, close } = await twoProcesses();
    try {
      const mine = await Promise.all([a.create('u-all', null), a.create('u-all', null)]);
      const theirs = await a.create('u-else', null);
      for (const s of [...mine, theirs]) expect(await b.isActive(s.sessionId)).toBe(true);
      expect(await a.revokeAll('u-all', 'deactivated')).toBe(2);
      for (const s of mine) expect(await eventually(async () => !(await b.isActive(s.sessionId)))).toBe(true);
      expect(await b.isActive(theirs.sessionId)).toBe(true);
    } finally {
      await close();
    }
  });

  it('a reused refresh token revokes its session in the other process too', async () => {
    const { a, b, close } = await twoProcesses();
    try {
      const { sessionId, refreshToken } = await a.create('u-reuse', null);
      expect(await b.isActive(sessionId)).toBe(true);
      expect((await a.rotate(refreshToken)).status).toBe('rotated');
      expect(await a.rotate(refreshToken)).toMatchObject({ status: 'reused', sessionId });
      expect(await a.isActive(sessionId)).toBe(false);
      expect(await eventually(async () => !(await b.isActive(sessionId)))).toBe(true);
    } finally {
      await close();
    }
  });

  it('a session never answers active past its expiry, cached or not', async () => {
    let now = new Date('2026-12-01T10:00:00Z');
    const store = new SessionStore(db.knex, 2000, () => now);
    const { sessionId } = await store.create('u-expiry', null);
    expect(await store.isActive(sessionId)).toBe(true); // cached until the expiry, 2 s away (inside the 5 s bound)
    now = new Date(now.getTime() + 2001);
    expect(await store.isActive(sessionId)).toBe(false);
  });
});
