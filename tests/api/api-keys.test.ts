import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/commands/user/api-keys.js';
import { registerAccount } from '../../src/commands/user/registration.js';
import { systemActor } from '../../src/events/envelope.js';
import { newApiKey } from '../../src/platform/secure-token.js';
import type { Role } from '../../src/api/permissions.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

const password = 'a long enough passphrase';

describe.each(['postgres', 'pglite'] as const)('service-account API keys on %s', (dialect) => {
  let server: TestServer;
  const accounts: Record<string, { userId: string; auth: Record<string, string> }> = {};

  const signIn = async (email: string) => {
    const login = await server.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
    return { authorization: `Bearer ${login.json().accessToken as string}` };
  };
  const signUp = async (email: string, role: Role) => {
    const { userId } = await registerAccount(server.runtime.identity, { email, name: email.split('@')[0]!, password, role, method: 'admin-bootstrap', emailVerified: true }, systemActor('test'));
    return { userId, auth: await signIn(email) };
  };
  const createKey = (auth: Record<string, string>, payload: unknown) => server.app.inject({ method: 'POST', url: '/api/v1/auth/api-keys', headers: auth, payload: payload as object });
  const withKey = (key: string) => ({ authorization: `Bearer ${key}` });
  const auditLogs = (headers: Record<string, string>) => server.app.inject({ method: 'GET', url: '/api/v1/audit/logs?limit=1', headers });

  beforeAll(async () => {
    server = await startTestServer(dialect);
    accounts.auditor = await signUp('audra@example.org', 'auditor');
    accounts.admin = await signUp('ada@example.org', 'admin');
    accounts.scientist = await signUp('sci@example.org', 'data_scientist');
  });
  afterAll(async () => {
    await server.close();
  });

  it('shows a new key once, lists it without the secret, and records when it was last used', async () => {
    const res = await createKey(accounts.auditor!.auth, { name: 'nightly export', permissions: ['audit:read'] });
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created.key).toMatch(/^raia_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/);
    expect(created.key.slice(5, 13)).toBe(created.prefix);
    const [event] = await server.runtime.store.readAll({ filter: { types: ['user.api-key-created'], dataContains: { keyId: created.id } } });
    expect(JSON.stringify(event)).not.toContain(created.key);

    expect((await auditLogs(withKey(created.key))).statusCode).toBe(200);
    const listed = (await server.app.inject({ method: 'GET', url: '/api/v1/auth/api-keys', headers: accounts.auditor!.auth })).json().apiKeys;
    expect(listed).toEqual([expect.objectContaining({ id: created.id, name: 'nightly export', prefix: created.prefix, permissions: ['audit:read'], revokedAt: null })]);
    expect(listed[0].key).toBeUndefined();
    expect(Date.parse(listed[0].lastUsedAt)).not.toBeNaN();
  });

  it('allows a key only what it was granted and what its owner\'s current role still has', async () => {
    const key = (await createKey(accounts.auditor!.auth, { name: 'health probe', permissions: ['system:read'] })).json().key as string;
    const refused = await auditLogs(withKey(key));
    expect(refused.statusCode).toBe(403);
    expect(refused.json().detail).toContain('not granted the audit:read permission');
    // Own-account routes need a session: a key can never be granted them.
    expect((await server.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: withKey(key) })).statusCode).toBe(403);

    const auditKey = (await createKey(accounts.auditor!.auth, { name: 'reader', permissions: ['audit:read'] })).json().key as string;
    expect((await auditLogs(withKey(auditKey))).statusCode).toBe(200);
    const demoted = await server.app.inject({ method: 'PUT', url: `/api/v1/admin/users/${accounts.auditor!.userId}/role`, headers: accounts.admin!.auth, payload: { role: 'viewer' } });
    await server.runtime.projections.waitFor(demoted.json().position, 5000);
    expect((await auditLogs(withKey(auditKey))).statusCode).toBe(403);
    await server.runtime.projections.waitFor(
      (await server.app.inject({ method: 'PUT', url: `/api/v1/admin/users/${accounts.auditor!.userId}/role`, headers: accounts.admin!.auth, payload: { role: 'auditor' } })).json().position,
      5000,
    );
    expect((await auditLogs(withKey(auditKey))).statusCode).toBe(200);
    accounts.auditor!.auth = await signIn('audra@example.org'); // role changes end sessions
  });

  it('records what a service did with a key as its owner acting through that key', async () => {
    const created = (await createKey(accounts.admin!.auth, { name: 'provisioning', permissions: ['users:admin'] })).json();
    const res = await server.app.inject({ method: 'PUT', url: `/api/v1/admin/users/${accounts.scientist!.userId}/role`, headers: withKey(created.key), payload: { role: 'risk_officer' } });
    expect(res.statusCode).toBe(200);
    const [event] = await server.runtime.store.readAll({ filter: { types: ['user.role-changed'], dataContains: { userId: accounts.scientist!.userId } } });
    expect(event!.actor).toEqual({ kind: 'user', id: accounts.admin!.userId, role: 'admin', apiKeyId: created.id });
    accounts.scientist!.auth = await signIn('sci@example.org');
  });

  it('revokes: the key stops working at once; others cannot revoke it, an administrator can', async () => {
    const mine = (await createKey(accounts.auditor!.auth, { name: 'to revoke', permissions: ['audit:read'] })).json();
    const other = await server.app.inject({ method: 'DELETE', url: `/api/v1/auth/api-keys/${mine.id}`, headers: accounts.scientist!.auth });
    expect(other.statusCode).toBe(404);
    expect((await auditLogs(withKey(mine.key))).statusCode).toBe(200);
    expect((await server.app.inject({ method: 'DELETE', url: `/api/v1/auth/api-keys/${mine.id}`, headers: accounts.auditor!.auth })).statusCode).toBe(204);
    expect((await auditLogs(withKey(mine.key))).statusCode).toBe(401);
    const [revoked] = await server.runtime.store.readAll({ filter: { types: ['user.api-key-revoked'], dataContains: { keyId: mine.id } } });
    expect(revoked!.actor).toMatchObject({ id: accounts.auditor!.userId });

    const second = (await createKey(accounts.auditor!.auth, { name: 'admin revokes', permissions: ['audit:read'] })).json();
    expect((await server.app.inject({ method: 'DELETE', url: `/api/v1/auth/api-keys/${second.id}`, headers: accounts.admin!.auth })).statusCode).toBe(204);
    expect((await auditLogs(withKey(second.key))).statusCode).toBe(401);
  });

  it('refuses expired and malformed keys, and keys of a deactivated owner', async () => {
    const expired = newApiKey();
    const { position } = await createApiKey(server.runtime.identity, accounts.auditor!.userId, { name: 'old', permissions: ['audit:read'], expiresAt: '2020-01-01T00:00:00.000Z', prefix: expired.prefix, digest: expired.digest }, systemActor('test'));
    await server.runtime.projections.waitFor(position, 5000);
    expect((await auditLogs(withKey(expired.key))).statusCode).toBe(401);
    expect((await auditLogs(withKey('raia_0000_short'))).statusCode).toBe(401);
    expect((await auditLogs(withKey(newApiKey().key))).statusCode).toBe(401);

    const owner = await signUp('leaver@example.org', 'auditor');
    const key = (await createKey(owner.auth, { name: 'leaver', permissions: ['audit:read'] })).json().key as string;
    expect((await auditLogs(withKey(key))).statusCode).toBe(200);
    const deactivated = await server.app.inject({ method: 'POST', url: `/api/v1/admin/users/${owner.userId}/deactivate`, headers: accounts.admin!.auth, payload: { reason: 'left' } });
    await server.runtime.projections.waitFor(deactivated.json().position, 5000);
    const refused = await auditLogs(withKey(key));
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['content-type']).toContain('application/problem+json');
  });

  it('answers bad requests with 400 naming the field and writes nothing', async () => {
    const head = (await server.runtime.store.head()).position;
    const cases: [unknown, string][] = [
      [{ name: 'x', permissions: ['audit:read'] }, 'body.permissions.0'], // a risk officer (promoted above) lacks audit:read
      [{ name: 'x', permissions: ['self:manage'] }, 'body.permissions.0'],
      [{ name: 'x', permissions: [] }, 'body.permissions'],
      [{ name: '', permissions: ['models:read'] }, 'body.name'],
      [{ name: 'x', permissions: ['models:read'], expiresAt: '2001-01-01T00:00:00Z' }, 'body.expiresAt'],
      [{ name: 'x', permissions: ['models:read'], expiresAt: 'tomorrow' }, 'body.expiresAt'],
      [{ name: 'x', permissions: ['models:read'], owner: 'someone else' }, 'body'],
    ];
    for (const [payload, field] of cases) {
      const res = await createKey(accounts.scientist!.auth, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().errors.map((e: { field: string }) => e.field).join(' '), JSON.stringify(payload)).toContain(field);
    }
    expect((await server.runtime.store.head()).position).toBe(head);
  });
});
