import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAccount } from '../../src/commands/user/registration.js';
import { systemActor } from '../../src/events/envelope.js';
import { hstsEnabled } from '../../src/api/security-headers.js';
import { loadConfig } from '../../src/platform/config.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

const password = 'a long enough passphrase';
/** CSP directives by name, e.g. { 'script-src': ["'self'"] }. */
const directives = (csp: unknown) =>
  Object.fromEntries(
    String(csp)
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...values]) => [name, values]),
  );

describe('security headers', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('pglite');
    await registerAccount(server.runtime.identity, { email: 'hedy@example.org', name: 'Hedy', password, role: 'viewer', method: 'admin-bootstrap', emailVerified: true }, systemActor('test'));
  });
  afterAll(async () => {
    await server.close();
  });

  const expectBrowserHardening = (headers: Record<string, unknown>) => {
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['x-frame-options']).toBe('DENY');
    expect(directives(headers['content-security-policy'])['frame-ancestors']).toEqual(["'none'"]);
    expect(headers['referrer-policy']).toBe('no-referrer');
    // Served over plain http (RAIA_PUBLIC_URL defaults to http://localhost:8080): no HSTS.
    expect(headers['strict-transport-security']).toBeUndefined();
  };

  it('hardens a public route, which stays cacheable', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/api/v1/health' });
    expect(res.statusCode).toBe(200);
    expectBrowserHardening(res.headers);
    expect(directives(res.headers['content-security-policy'])['default-src']).toEqual(["'none'"]);
    expect(res.headers['cache-control']).toBeUndefined();
  });

  it('hardens sign-in and an authenticated route, and forbids storing either answer', async () => {
    const login = await server.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'hedy@example.org', password } });
    expect(login.statusCode).toBe(200);
    expectBrowserHardening(login.headers);
    expect(login.headers['cache-control']).toBe('no-store');
    const refused = await server.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'hedy@example.org', password: 'not the password at all' } });
    expect(refused.headers['cache-control']).toBe('no-store');

    const me = await server.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${login.json().accessToken}` } });
    expect(me.statusCode).toBe(200);
    expectBrowserHardening(me.headers);
    expect(me.headers['cache-control']).toBe('no-store');
    const models = await server.app.inject({ method: 'GET', url: '/api/v1/models', headers: { authorization: `Bearer ${await server.tokenFor('viewer')}` } });
    expect(models.headers['cache-control']).toBe('no-store');
    const unauthenticated = await server.app.inject({ method: 'GET', url: '/api/v1/auth/me' });
    expect(unauthenticated.statusCode).toBe(401);
    expectBrowserHardening(unauthenticated.headers);
    expect(unauthenticated.headers['cache-control']).toBe('no-store');
    const unknown = await server.app.inject({ method: 'GET', url: '/api/v1/no-such-route' });
    expect(unknown.statusCode).toBe(404);
    expectBrowserHardening(unknown.headers);
  });

  it('serves the OpenAPI UI with a CSP that allows its own scripts and styles and nothing else', async () => {
    const page = await server.app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['x-frame-options']).toBe('DENY');
    const csp = directives(page.headers['content-security-policy']);
    // Inline styles only: Swagger UI sets some at run time (checked with headless Chromium: no violation, the UI renders).
    expect(csp).toMatchObject({ 'script-src': ["'self'"], 'script-src-attr': ["'none'"], 'style-src': ["'self'", "'unsafe-inline'"], 'connect-src': ["'self'"], 'frame-ancestors': ["'none'"], 'object-src': ["'none'"] });
    expect(csp['upgrade-insecure-requests']).toBeUndefined();
    // Everything the page loads is same-origin and not inline, so 'self' covers it.
    const html = page.body;
    const loaded = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(loaded.length).toBeGreaterThan(2);
    for (const url of loaded) expect(url).toMatch(/^\.\/static\//);
    expect(html).not.toMatch(/<script>|<style|style="/);
    const initializer = await server.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(initializer.statusCode).toBe(200);
    expect(directives(initializer.headers['content-security-policy'])['script-src']).toEqual(["'self'"]);
  });
});

describe('HSTS', () => {
  it('is wanted when the public address is https or RAIA_HSTS is on, and never when it is off', () => {
    expect(hstsEnabled(loadConfig({ RAIA_PUBLIC_URL: 'https://raia.example' }))).toBe(true);
    expect(hstsEnabled(loadConfig({ RAIA_PUBLIC_URL: 'http://raia.internal:8080' }))).toBe(false);
    expect(hstsEnabled(loadConfig({ RAIA_HSTS: 'on' }))).toBe(true);
    expect(hstsEnabled(loadConfig({ RAIA_PUBLIC_URL: 'https://raia.example', RAIA_HSTS: 'off' }))).toBe(false);
    expect(() => loadConfig({ RAIA_HSTS: 'yes' })).toThrow(/RAIA_HSTS: must be auto, on or off/);
  });

  it('is sent by a server whose public address is https', async () => {
    const server = await startTestServer('pglite', { RAIA_PUBLIC_URL: 'https://raia.example' });
    try {
      const res = await server.app.inject({ method: 'GET', url: '/api/v1/health' });
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    } finally {
      await server.close();
    }
  });
});
