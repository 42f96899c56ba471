import fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAccessControl } from '../../src/api/auth/access-control.js';
import { ApiKeyAuthentication } from '../../src/api/auth/api-key-authentication.js';
import { rolesWithout } from '../../src/api/permissions.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

/**
 * Generated from the OpenAPI document and the permission table: every documented operation that
 * is not public answers 401 without credentials and 403 to a role lacking its permission.
 */
describe('access control on every route', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('pglite');
  });
  afterAll(async () => {
    await server.close();
  });

  it('every route declares its access, and the documented operations match the routes', async () => {
    const doc = (await server.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => ({ method: m.toUpperCase(), path })));
    expect(operations.length).toBeGreaterThan(20);
    for (const op of operations) {
      const url = op.path.replace(/\{([^}]+)\}/g, ':$1');
      const access = server.app.routeAccess.find((r) => r.method === op.method && r.url === url);
      expect(access, `${op.method} ${op.path}`).toBeDefined();
    }
  });

  it('answers 401 without credentials and 403 with an insufficient role', async () => {
    const doc = (await server.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
    let checked401 = 0;
    let checked403 = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const m of Object.keys(ops)) {
        const method = m.toUpperCase() as 'GET' | 'POST' | 'PUT' | 'DELETE';
        const access = server.app.routeAccess.find((r) => r.method === method && r.url === path.replace(/\{([^}]+)\}/g, ':$1'))!;
        if (access.public || !access.permission) continue;
        const url = path.replace(/\{[^}]+\}/g, '0193f0c2-0000-7000-8000-000000000000');
        const payload = method === 'GET' || method === 'DELETE' ? undefined : {};
        const anonymous = await server.app.inject({ method, url, ...(payload ? { payload } : {}) });
        expect(anonymous.statusCode, `${method} ${path} without credentials`).toBe(401);
        expect(anonymous.headers['content-type']).toContain('application/problem+json');
        const forged = await server.app.inject({ method, url, headers: { authorization: 'Bearer not.a.jwt' }, ...(payload ? { payload } : {}) });
        expect(forged.statusCode, `${method} ${path} with a forged token`).toBe(401);
        checked401++;
        const weaker = rolesWithout(access.permission)[0];
        if (!weaker) continue;
        const res = await server.app.inject({ method, url, headers: { authorization: `Bearer ${await server.tokenFor(weaker)}` }, ...(payload ? { payload } : {}) });
        expect(res.statusCode, `${method} ${path} as ${weaker}`).toBe(403);
        expect(res.json().type).toBe('https://raia.dev/problems/forbidden');
        checked403++;
      }
    }
    expect(checked401).toBeGreaterThan(10);
    expect(checked403).toBeGreaterThan(5);
  });

  it('audit routes are for auditors and administrators only', async () => {
    expect(rolesWithout('audit:read').sort()).toEqual(['data_scientist', 'risk_officer', 'viewer']);
    for (const role of ['auditor', 'admin'] as const) {
      const res = await server.app.inject({ method: 'GET', url: '/api/v1/audit/logs', headers: { authorization: `Bearer ${await server.tokenFor(role)}` } });
      expect(res.statusCode).toBe(200);
    }
  });

  it('a token whose session has ended no longer works', async () => {
    const token = await server.tokenFor('auditor');
    const claims = await server.runtime.accessTokens.verify(token);
    await server.runtime.identity.sessions.revoke(claims!.sessionId, 'test');
    expect((await server.app.inject({ method: 'GET', url: '/api/v1/audit/logs', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
  });
  it('answers each refusal as problem+json naming its cause', async () => {
    const auditLogs = (authorization?: string) =>
      server.app.inject({ method: 'GET', url: '/api/v1/audit/logs', headers: authorization === undefined ? {} : { authorization } });
    const unauthenticated = (detail: string) => ({ type: 'https://raia.dev/problems/unauthenticated', title: 'Authentication required', status: 401, detail });
    const token = await server.tokenFor('auditor');

    expect((await auditLogs()).json()).toMatchObject(unauthenticated('send a bearer access token or API key'));
    // RFC 6750 bearer credentials only: a valid token under another scheme, or the scheme alone, is refused.
    const schemeRefusal = unauthenticated('the Authorization header must be "Bearer <token>"');
    for (const header of [`Basic ${token}`, `Token ${token}`, 'Bearer', `${token}`]) {
      const res = await auditLogs(header);
      expect(res.statusCode, header).toBe(401);
      expect(res.json(), header).toMatchObject(schemeRefusal);
    }
    // The scheme is case-insensitive (RFC 7235 §2.1).
    expect((await auditLogs(`bearer ${token}`)).statusCode).toBe(200);
    expect((await auditLogs('Bearer not.a.jwt')).json()).toMatchObject(unauthenticated('the access token is invalid, expired or its session has ended'));
    expect((await auditLogs(`Bearer raia_00000000_${'A'.repeat(43)}`)).json()).toMatchObject(
      unauthenticated('the API key is unknown, revoked or expired, or its owner cannot sign in'),
    );
    const refused = await auditLogs(`Bearer ${await server.tokenFor('viewer')}`);
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json()).toMatchObject({ type: 'https://raia.dev/problems/forbidden', title: 'Forbidden', status: 403, detail: 'the viewer role lacks the audit:read permission' });
  });

  it('refuses to register a route that declares neither public access nor a permission', async () => {
    const app = fastify({ logger: false });
    registerAccessControl(app, {
      accessTokens: server.runtime.accessTokens,
      sessionIsActive: (id) => server.runtime.identity.sessions.isActive(id),
      apiKeys: new ApiKeyAuthentication(server.runtime.db.knex, server.runtime.apiKeyUsage, server.runtime.identity.clock),
    });
    try {
      expect(() => app.get('/open-by-omission', async () => 'open')).toThrow('route GET /open-by-omission declares neither config.public nor config.permission');
      expect(() => app.get('/also-open', { config: {} }, async () => 'open')).toThrow('route GET /also-open declares neither config.public nor config.permission');
      // Documentation routes added by plugins are made public, and keep the config they came with.
      app.get('/docs/extra', { config: { rateLimit: false } as object }, async (request) => ({ config: request.routeOptions.config }));
      app.get('/guarded', { config: { permission: 'audit:read' } }, async () => 'guarded');
      expect(app.routeAccess.filter((r) => r.method === 'GET')).toEqual([
        { method: 'GET', url: '/docs/extra', public: true, permission: null },
        { method: 'GET', url: '/guarded', public: false, permission: 'audit:read' },
      ]);
      expect((await app.inject({ method: 'GET', url: '/docs/extra' })).json().config).toMatchObject({ rateLimit: false, public: true });
      expect((await app.inject({ method: 'GET', url: '/guarded' })).statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });
});
