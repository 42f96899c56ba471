import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-runtime.js';
import { startTestMailbox, type TestMailbox } from '../support/test-mailbox.js';

const strong = 'correct horse battery staple 42';

describe.each(['postgres', 'pglite'] as const)('auth flow on %s', (dialect) => {
  let server: TestServer;
  let mailbox: TestMailbox;

  beforeAll(async () => {
    mailbox = await startTestMailbox();
    server = await startTestServer(dialect, { SMTP_URL: mailbox.url, RAIA_PUBLIC_URL: 'https://raia.example' });
  });
  afterAll(async () => {
    await server.close();
    await mailbox.close();
  });

  const post = (url: string, payload: object, token?: string) =>
    server.app.inject({ method: 'POST', url, payload, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const get = (url: string, token?: string) => server.app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const tokenIn = (text: string, label: string) => new RegExp(`${label} token: ([A-Za-z0-9_-]+)`).exec(text)?.[1];

  it('registers, verifies by mail, logs in, reads me, refreshes, detects reuse, logs out', async () => {
    const registered = await post('/api/v1/auth/register', { email: 'Alice@Example.org', name: 'Alice', password: strong });
    expect(registered.statusCode).toBe(202);
    const mail = await mailbox.next('alice@example.org');
    expect(mail.text).toContain('https://raia.example/verify-email?token=');
    const verifyToken = tokenIn(mail.text, 'Verification')!;

    expect((await post('/api/v1/auth/login', { email: 'alice@example.org', password: strong })).statusCode).toBe(401);
    expect((await post('/api/v1/auth/verify-email', { token: verifyToken })).statusCode).toBe(200);
    expect((await post('/api/v1/auth/verify-email', { token: verifyToken })).statusCode).toBe(400);

    const wrong = await post('/api/v1/auth/login', { email: 'alice@example.org', password: 'not the password at all' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().type).toBe('https://raia.dev/problems/invalid-credentials');
    const login = await post('/api/v1/auth/login', { email: 'ALICE@example.org', password: strong });
    expect(login.statusCode).toBe(200);
    const first = login.json();
    expect(first).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, user: { role: 'viewer' } });

    const me = await get('/api/v1/auth/me', first.accessToken);
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ email: 'alice@example.org', name: 'Alice', role: 'viewer', emailVerified: true });

    const refreshed = await post('/api/v1/auth/refresh', { refreshToken: first.refreshToken });
    expect(refreshed.statusCode).toBe(200);
    const second = refreshed.json();
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await get('/api/v1/auth/me', second.accessToken)).statusCode).toBe(200);

    // The first refresh token comes back: the whole family is revoked, including the newer token.
    const reused = await post('/api/v1/auth/refresh', { refreshToken: first.refreshToken });
    expect(reused.statusCode).toBe(401);
    expect(reused.json().type).toBe('https://raia.dev/problems/refresh-token-reused');
    expect((await post('/api/v1/auth/refresh', { refreshToken: second.refreshToken })).statusCode).toBe(401);
    expect((await get('/api/v1/auth/me', second.accessToken)).statusCode).toBe(401);

    const again = (await post('/api/v1/auth/login', { email: 'alice@example.org', password: strong })).json();
    const sessions = (await get('/api/v1/auth/sessions', again.accessToken)).json().sessions;
    expect(sessions).toHaveLength(1);
    expect(sessions[0].current).toBe(true);
    expect((await post('/api/v1/auth/logout', {}, again.accessToken)).statusCode).toBe(204);
    expect((await get('/api/v1/auth/me', again.accessToken)).statusCode).toBe(401);

    const types = (await server.runtime.store.readAll({ filter: { streamCategory: 'user' } })).map((e) => e.type);
    expect(types).toEqual(['user.registered', 'user.login-failed', 'user.email-verified', 'user.login-failed', 'user.logged-in', 'user.token-reuse-detected', 'user.logged-in']);
    const failures = await server.runtime.store.readAll({ filter: { types: ['user.login-failed'] } });
    expect(failures.map((e) => e.data.reason)).toEqual(['unverified', 'wrong-password']);
    // Personal fields are ciphertext in the ledger itself.
    const [registeredEvent] = await server.runtime.store.readAll({ filter: { types: ['user.registered'] }, limit: 1 });
    expect(JSON.stringify(registeredEvent!.data)).not.toContain('alice@example.org');
  });

  it('resets a forgotten password by mail, changes it, and answers 202 for unknown addresses', async () => {
    await post('/api/v1/auth/register', { email: 'bob@example.org', name: 'Bob', password: strong });
    await post('/api/v1/auth/verify-email', { token: tokenIn((await mailbox.next('bob@example.org')).text, 'Verification')! });
    const session = (await post('/api/v1/auth/login', { email: 'bob@example.org', password: strong })).json();

    expect((await post('/api/v1/auth/forgot-password', { email: 'bob@example.org' })).statusCode).toBe(202);
    const resetToken = tokenIn((await mailbox.next('bob@example.org')).text, 'Reset')!;
    const newPassword = 'a much longer passphrase, reset';
    expect((await post('/api/v1/auth/reset-password', { token: resetToken, newPassword })).statusCode).toBe(204);
    expect((await post('/api/v1/auth/reset-password', { token: resetToken, newPassword })).statusCode).toBe(400);
    expect((await get('/api/v1/auth/me', session.accessToken)).statusCode).toBe(401);
    expect((await post('/api/v1/auth/login', { email: 'bob@example.org', password: strong })).statusCode).toBe(401);
    const bob = (await post('/api/v1/auth/login', { email: 'bob@example.org', password: newPassword })).json();

    const change = await server.app.inject({ method: 'PUT', url: '/api/v1/auth/change-password', headers: { authorization: `Bearer ${bob.accessToken}` }, payload: { currentPassword: newPassword, newPassword: 'third passphrase, still long' } });
    expect(change.statusCode).toBe(204);
    expect((await post('/api/v1/auth/login', { email: 'bob@example.org', password: 'third passphrase, still long' })).statusCode).toBe(200);

    const before = mailbox.count();
    expect((await post('/api/v1/auth/forgot-password', { email: 'nobody@example.org' })).statusCode).toBe(202);
    const taken = await post('/api/v1/auth/register', { email: 'bob@example.org', name: 'Mallory', password: strong });
    expect(taken.statusCode).toBe(202);
    expect((await mailbox.next('bob@example.org')).subject).toMatch(/tried to register/);
    expect(mailbox.count()).toBe(before + 1);
  });

  it('answers bad input with 400 problem+json naming the field and writes nothing to the ledger', async () => {
    const head = (await server.runtime.store.head()).position;
    const cases: [object | string, string][] = [
      [{ email: 'not-an-email', name: 'X', password: strong }, 'body.email'],
      [{ email: 'weak@example.org', name: 'Weak', password: '1qaz2wsx3edc' }, 'body.password'],
      [{ email: 'short@example.org', name: 'Short', password: 'abc' }, 'body.password'],
      [{ email: 'extra@example.org', name: 'Extra', password: strong, role: 'admin' }, 'body'],
      [{ email: "x'); DROP TABLE raia_events;--@example.org", name: 'Bobby', password: strong }, 'body.email'],
    ];
    for (const [payload, field] of cases) {
      const res = await post('/api/v1/auth/register', payload as object);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const notJson = await server.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: 'email=a', headers: { 'content-type': 'application/json' } });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.headers['content-type']).toContain('application/problem+json');
    const huge = await post('/api/v1/auth/login', { email: 'a@example.org', password: 'x'.repeat(2 * 1024 * 1024) });
    expect(huge.statusCode).toBe(413);
    expect(huge.headers['content-type']).toContain('application/problem+json');
    expect((await server.runtime.store.head()).position).toBe(head);
  });
});

describe('abuse limits', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('pglite', { RAIA_AUTH_RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(async () => {
    await server.close();
  });

  it('rate-limits sign-in attempts per client with a 429 problem', async () => {
    const attempt = () => server.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'x@example.org', password: 'whatever it is' } });
    for (let i = 0; i < 3; i++) expect((await attempt()).statusCode).toBe(401);
    const limited = await attempt();
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toContain('application/problem+json');
    expect(limited.json()).toMatchObject({ status: 429, type: 'https://raia.dev/problems/rate-limited' });
    expect(limited.headers['retry-after']).toBeDefined();
    // Other routes keep their own budget.
    expect((await server.app.inject({ method: 'POST', url: '/api/v1/auth/forgot-password', payload: { email: 'x@example.org' } })).statusCode).toBe(202);
  });
});
