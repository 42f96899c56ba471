import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionStore } from '../../src/platform/session-store.js';
import { OneTimeTokenStore } from '../../src/platform/one-time-token-store.js';
import { newToken, sameDigest, tokenDigest } from '../../src/platform/secure-token.js';
import { dialects, openTestDatabase, type TestDatabase } from '../support/test-database.js';

describe('secure tokens', () => {
  it('are 256-bit base64url secrets stored as their SHA-256', () => {
    const t = newToken();
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newToken()).not.toBe(t);
    // echo -n abc | sha256sum
    expect(tokenDigest('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(tokenDigest(t)).toBe(createHash('sha256').update(t).digest('hex'));
    expect(sameDigest(tokenDigest(t), tokenDigest(t))).toBe(true);
    expect(sameDigest(tokenDigest(t), tokenDigest('x'))).toBe(false);
    expect(sameDigest('ab', 'abc')).toBe(false);
  });
});

describe.each(dialects)('session store on %s', (dialect) => {
  let db: TestDatabase;
  let now = new Date('2026-11-22T10:00:00Z');
  const clock = () => now;
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('rotates refresh tokens, and a reused token revokes the whole family', async () => {
    const sessions = new SessionStore(db.knex, 3600_000, clock);
    const { sessionId, refreshToken } = await sessions.create('u1', 'vitest');
    expect(await sessions.isActive(sessionId)).toBe(true);
    const r1 = await sessions.rotate(refreshToken);
    expect(r1).toMatchObject({ status: 'rotated', sessionId, userId: 'u1' });
    const next = (r1 as { refreshToken: string }).refreshToken;
    expect(await sessions.rotate(refreshToken)).toEqual({ status: 'reused', sessionId, userId: 'u1' });
    expect(await sessions.isActive(sessionId)).toBe(false);
    expect(await sessions.rotate(next)).toEqual({ status: 'invalid' });
    expect(await sessions.rotate(newToken())).toEqual({ status: 'invalid' });
    // Only digests are stored.
    const stored = await db.knex('raia_refresh_tokens').select('digest');
    expect(stored.map((r) => r.digest)).not.toContain(refreshToken);
    expect(stored.map((r) => r.digest)).toContain(tokenDigest(refreshToken));
  });

  it('expires sessions, lists and revokes them per user', async () => {
    const sessions = new SessionStore(db.knex, 1000, clock);
    const a = await sessions.create('u2', null);
    const b = await sessions.create('u2', 'phone');
    expect((await sessions.list('u2')).map((s) => s.sessionId).sort()).toEqual([a.sessionId, b.sessionId].sort());
    expect(await sessions.revoke(a.sessionId, 'logout')).toBe(true);
    expect(await sessions.revoke(a.sessionId, 'logout')).toBe(false);
    expect((await sessions.list('u2')).map((s) => s.sessionId)).toEqual([b.sessionId]);
    now = new Date(now.getTime() + 2000);
    expect(await sessions.isActive(b.sessionId)).toBe(false);
    expect(await sessions.rotate(b.refreshToken)).toEqual({ status: 'invalid' });
    const c = await sessions.create('u2', null);
    // b expired without being revoked; both it and c are marked revoked.
    expect(await sessions.revokeAll('u2', 'password-reset')).toBe(2);
    expect(await sessions.isActive(c.sessionId)).toBe(false);
  });

  it('spends one-time tokens once, before they expire, for their purpose only', async () => {
    const tokens = new OneTimeTokenStore(db.knex, clock);
    const t = await tokens.issue('u3', 'verify-email', 60_000);
    expect(await tokens.consume(t, 'reset-password')).toBeNull();
    expect(await tokens.consume(t, 'verify-email')).toBe('u3');
    expect(await tokens.consume(t, 'verify-email')).toBeNull();
    const older = await tokens.issue('u3', 'reset-password', 60_000);
    const newer = await tokens.issue('u3', 'reset-password', 60_000);
    expect(await tokens.consume(older, 'reset-password')).toBeNull();
    now = new Date(now.getTime() + 61_000);
    expect(await tokens.consume(newer, 'reset-password')).toBeNull();
  });
});
