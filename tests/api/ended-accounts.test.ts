import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAccount } from '../../src/commands/user/registration.js';
import { eraseSubject } from '../../src/commands/privacy/erase-subject.js';
import { systemActor } from '../../src/events/envelope.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

const password = 'a long enough passphrase';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The parts of an answer a client sees, without what differs per request by design. */
const visible = (res: { statusCode: number; headers: Record<string, unknown>; json(): Record<string, unknown> }) => ({
  status: res.statusCode,
  contentType: res.headers['content-type'],
  body: res.json(),
});

describe.each(['postgres', 'pglite'] as const)('deactivated and erased accounts on %s', (dialect) => {
  let server: TestServer;
  let admin: Record<string, string>;
  beforeAll(async () => {
    server = await startTestServer(dialect);
    admin = bearer(await server.tokenFor('admin'));
  });
  afterAll(async () => {
    await server.close();
  });

  const register = async (email: string) =>
    (await registerAccount(server.runtime.identity, { email, name: email.split('@')[0]!, password, role: 'data_scientist', method: 'admin-bootstrap', emailVerified: true }, systemActor('test'))).userId;
  const post = (url: string, payload: object, headers: Record<string, string> = {}) => server.app.inject({ method: 'POST', url, payload, headers });
  const login = (email: string, pw = password) => post('/api/v1/auth/login', { email, password: pw });
  const me = (token: string) => server.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(token) });

  it('ends a deactivated user\'s live access tokens at once', async () => {
    const userId = await register('deactivated@example.org');
    const { accessToken, refreshToken } = (await login('deactivated@example.org')).json();
    expect((await me(accessToken)).statusCode).toBe(200);
    expect((await post(`/api/v1/admin/users/${userId}/deactivate`, { reason: 'left' }, admin)).statusCode).toBe(200);
    expect((await me(accessToken)).statusCode).toBe(401);
    expect((await post('/api/v1/auth/refresh', { refreshToken })).statusCode).toBe(401);
  });

  it('ends an erased user\'s live access tokens and refresh tokens at once', async () => {
    const userId = await register('erased-live@example.org');
    const { accessToken, refreshToken } = (await login('erased-live@example.org')).json();
    expect((await me(accessToken)).statusCode).toBe(200);
    await eraseSubject(server.runtime.identity, userId, 'GDPR art. 17', { actor: systemActor('test') });
    expect((await me(accessToken)).statusCode).toBe(401);
    expect((await post('/api/v1/auth/refresh', { refreshToken })).statusCode).toBe(401);
  });

  it('answers sign-in as an erased user exactly as for an unknown address', async () => {
    const userId = await register('erased@example.org');
    await eraseSubject(server.runtime.identity, userId, 'GDPR art. 17', { actor: systemActor('test') });
    const erased = await login('erased@example.org');
    const unknown = await login('never-registered@example.org');
    expect(visible(erased)).toEqual(visible(unknown));
    expect(erased.statusCode).toBe(401);
  });

  it('answers password recovery for an erased user as for an unknown address, and mails nothing', async () => {
    const userId = await register('erased-reset@example.org');
    await eraseSubject(server.runtime.identity, userId, 'GDPR art. 17', { actor: systemActor('test') });
    const outbox = async () => Number((await server.runtime.db.knex('raia_mail_outbox').count({ n: '*' }))[0]!.n);
    const queued = await outbox();
    const erased = await post('/api/v1/auth/forgot-password', { email: 'erased-reset@example.org' });
    const unknown = await post('/api/v1/auth/forgot-password', { email: 'never-registered@example.org' });
    expect(visible(erased)).toEqual(visible(unknown));
    expect((await post('/api/v1/auth/resend-verification', { email: 'erased-reset@example.org' })).statusCode).toBe(202);
    await server.runtime.backgroundTasks.drain();
    expect(await outbox()).toBe(queued);
  });

  it('refuses the API keys of an erased owner', async () => {
    await register('erased-keys@example.org');
    const { accessToken, user } = (await login('erased-keys@example.org')).json();
    const created = await post('/api/v1/auth/api-keys', { name: 'ci', permissions: ['models:read'] }, bearer(accessToken));
    expect(created.statusCode).toBe(201);
    const key = bearer(created.json().key);
    const head = String((await server.runtime.store.head()).position);
    expect((await server.app.inject({ method: 'GET', url: '/api/v1/models', headers: { ...key, 'x-min-position': head } })).statusCode).toBe(200);
    const { position } = await eraseSubject(server.runtime.identity, user.id, 'GDPR art. 17', { actor: systemActor('test') });
    expect(await server.runtime.projections.waitFor(position, 5000)).toBe(true);
    expect((await server.app.inject({ method: 'GET', url: '/api/v1/models', headers: key })).statusCode).toBe(401);
  });
});

describe('an ended account across processes', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    // Two RAIA processes on one database, as behind a load balancer: same keys, same schema.
    const shared = {
      DATABASE_SCHEMA: `t_${randomBytes(6).toString('hex')}`,
      RAIA_MASTER_KEY: randomBytes(32).toString('base64'),
      RAIA_ACCESS_TOKEN_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
    a = await startTestServer('postgres', shared);
    b = await startTestServer('postgres', shared);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('refuses on one node the token of a user deactivated or erased on another', async () => {
    const admin = bearer(await b.tokenFor('admin'));
    const ids: string[] = [];
    for (const email of ['gone1@example.org', 'gone2@example.org']) {
      ids.push((await registerAccount(a.runtime.identity, { email, name: 'Gone', password, role: 'viewer', method: 'admin-bootstrap', emailVerified: true }, systemActor('test'))).userId);
    }
    const tokens = [];
    for (const email of ['gone1@example.org', 'gone2@example.org']) tokens.push((await a.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } })).json().accessToken as string);
    const meOnA = (token: string) => a.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(token) });
    expect((await meOnA(tokens[0]!)).statusCode).toBe(200);
    expect((await meOnA(tokens[1]!)).statusCode).toBe(200);
    expect((await b.app.inject({ method: 'POST', url: `/api/v1/admin/users/${ids[0]}/deactivate`, headers: admin, payload: { reason: 'left' } })).statusCode).toBe(200);
    await eraseSubject(b.runtime.identity, ids[1]!, 'GDPR art. 17', { actor: systemActor('test') });
    expect((await meOnA(tokens[0]!)).statusCode).toBe(401);
    expect((await meOnA(tokens[1]!)).statusCode).toBe(401);
  });
});
