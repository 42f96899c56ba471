import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAccount } from '../../src/commands/user/registration.js';
import { systemActor } from '../../src/events/envelope.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

const password = 'a long enough passphrase';

describe.each(['postgres', 'pglite'] as const)('account administration on %s', (dialect) => {
  let server: TestServer;
  let admin: Record<string, string>;
  let userId: string;
  beforeAll(async () => {
    server = await startTestServer(dialect);
    admin = { authorization: `Bearer ${await server.tokenFor('admin')}` };
    ({ userId } = await registerAccount(server.runtime.identity, { email: 'dana@example.org', name: 'Dana', password, role: 'data_scientist', method: 'admin-bootstrap', emailVerified: true }, systemActor('test')));
  });
  afterAll(async () => {
    await server.close();
  });

  const login = () => server.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'dana@example.org', password } });

  it('lists accounts from the read model, decrypted', async () => {
    const head = (await server.runtime.store.head()).position;
    const res = await server.app.inject({ method: 'GET', url: '/api/v1/admin/users', headers: { ...admin, 'x-min-position': String(head) } });
    expect(res.statusCode).toBe(200);
    expect(res.json().users).toEqual([expect.objectContaining({ id: userId, email: 'dana@example.org', name: 'Dana', role: 'data_scientist', status: 'active', emailVerified: true })]);
  });

  it('changes a role as an event by the admin, and ends the user\'s sessions', async () => {
    const session = (await login()).json();
    const res = await server.app.inject({ method: 'PUT', url: `/api/v1/admin/users/${userId}/role`, headers: admin, payload: { role: 'auditor' } });
    expect(res.statusCode).toBe(200);
    const [event] = await server.runtime.store.readAll({ filter: { types: ['user.role-changed'] } });
    expect(event).toMatchObject({ data: { userId, from: 'data_scientist', to: 'auditor' }, actor: { kind: 'user', role: 'admin' } });
    expect((await server.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${session.accessToken}` } })).statusCode).toBe(401);
    expect((await login()).json().user.role).toBe('auditor');
    const bad = await server.app.inject({ method: 'PUT', url: `/api/v1/admin/users/${userId}/role`, headers: admin, payload: { role: 'superuser' } });
    expect(bad.statusCode).toBe(400);
    const missing = await server.app.inject({ method: 'PUT', url: '/api/v1/admin/users/0193f0c2-0000-7000-8000-000000000009/role', headers: admin, payload: { role: 'viewer' } });
    expect(missing.statusCode).toBe(404);
  });

  it('deactivates (no more sign-in) and reactivates', async () => {
    expect((await server.app.inject({ method: 'POST', url: `/api/v1/admin/users/${userId}/deactivate`, headers: admin, payload: { reason: 'left the company' } })).statusCode).toBe(200);
    expect((await login()).statusCode).toBe(401);
    expect((await server.app.inject({ method: 'POST', url: `/api/v1/admin/users/${userId}/reactivate`, headers: admin })).statusCode).toBe(200);
    expect((await login()).statusCode).toBe(200);
  });
});
