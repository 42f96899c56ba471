import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAccount } from '../../src/commands/user/registration.js';
import { eraseSubject } from '../../src/commands/privacy/erase-subject.js';
import { systemActor } from '../../src/events/envelope.js';
import { confidentialSecret, providerAccounts, signInAtProvider, startTestOidcProvider, type TestOidcProvider } from '../support/test-oidc-provider.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

// The browser leg runs against a real oidc-provider on loopback; RAIA's callback is called with
// what the provider redirected to, and the cookie RAIA set when the sign-in began.
const redirectUri = 'http://raia.test/api/v1/auth/sso/acme/callback';

describe.each(['postgres', 'pglite'] as const)('single sign-on routes on %s', (dialect) => {
  let provider: TestOidcProvider;
  let server: TestServer;

  beforeAll(async () => {
    provider = await startTestOidcProvider([redirectUri]);
    const providers = [{ id: 'acme', label: 'Acme ID', issuer: provider.issuer, clientId: 'raia-confidential', clientSecret: confidentialSecret, redirectUri }];
    server = await startTestServer(dialect, { RAIA_OIDC_PROVIDERS: JSON.stringify(providers) });
  });
  afterAll(async () => {
    await server.close();
    await provider.close();
  });

  /** Begins at RAIA, signs in at the provider as `login`, and returns RAIA's callback request. */
  async function throughProvider(login: string) {
    const begun = await server.app.inject({ method: 'GET', url: '/api/v1/auth/sso/acme' });
    expect(begun.statusCode).toBe(302);
    const cookie = begun.cookies.find((c) => c.name === 'raia_sso')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/api/v1/auth/sso' });
    const callback = await signInAtProvider(begun.headers.location as string, login, redirectUri);
    return { url: `${callback.pathname}${callback.search}`, cookie: `raia_sso=${cookie.value}` };
  }
  const finish = (request: { url: string; cookie?: string }) => server.app.inject({ method: 'GET', url: request.url, headers: request.cookie ? { cookie: request.cookie } : {} });

  it('lists the configured providers', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/api/v1/auth/sso/providers' });
    expect(res.json()).toEqual({ providers: [{ id: 'acme', label: 'Acme ID', signInUrl: '/api/v1/auth/sso/acme' }] });
  });

  it('creates a viewer account on first sign-in, links the identity, and signs the same account in again', async () => {
    const first = await finish(await throughProvider('ada'));
    expect(first.statusCode).toBe(200);
    const tokens = first.json();
    expect(tokens.user.role).toBe('viewer');
    const me = await server.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${tokens.accessToken}` } });
    expect(me.json()).toMatchObject({ id: tokens.user.id, email: 'ada@example.org', name: 'Ada Lovelace', emailVerified: true });
    const stream = await server.runtime.store.readStream(`user-${tokens.user.id}`);
    expect(stream.map((e) => e.type)).toEqual(['user.registered', 'user.email-verified', 'user.logged-in']);
    expect(stream[0]!.data.method).toBe('sso');
    expect(stream[2]!.data.method).toBe('sso');
    const [link] = await server.runtime.store.readAll({ filter: { types: ['user.sso-identity-linked'] } });
    expect(link!.data).toMatchObject({ userId: tokens.user.id, provider: 'acme' });
    expect(JSON.stringify(link)).not.toMatch(/ada@example|"ada"/); // neither address nor subject in clear

    const again = await finish(await throughProvider('ada'));
    expect(again.json().user.id).toBe(tokens.user.id);
    expect(await server.runtime.store.readAll({ filter: { types: ['user.registered'] } })).toHaveLength(1);
    // The refresh token works like a password login's.
    expect((await server.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: again.json().refreshToken } })).statusCode).toBe(200);
  });

  it('links to the existing account with the address the provider verified', async () => {
    const { userId } = await registerAccount(server.runtime.identity, { email: 'carol@example.org', name: 'Carol', password: 'a long enough passphrase', role: 'risk_officer', method: 'admin-bootstrap', emailVerified: true }, systemActor('test'));
    providerAccounts.carol = { email: 'Carol@Example.org', email_verified: true, name: 'Carol at Acme' };
    const res = await finish(await throughProvider('carol'));
    expect(res.json().user).toEqual({ id: userId, role: 'risk_officer' });
  });

  it('refuses an identity whose address the provider did not verify, creating nothing', async () => {
    const before = (await server.runtime.store.head()).position;
    const res = await finish(await throughProvider('bob'));
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect((await server.runtime.store.head()).position).toBe(before);
  });

  it('refuses a callback from another browser, and a replayed one', async () => {
    const request = await throughProvider('ada');
    const foreign = await finish({ url: request.url });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().type).toBe('https://raia.dev/problems/sso-state-missing');
    const next = await throughProvider('ada');
    expect((await finish(next)).statusCode).toBe(200);
    expect((await finish(next)).statusCode).toBe(400);
  });

  it('refuses a cancelled sign-in with the provider\'s error, and an unknown provider with 404', async () => {
    const begun = await server.app.inject({ method: 'GET', url: '/api/v1/auth/sso/acme' });
    const callback = await signInAtProvider(begun.headers.location as string, 'ada', redirectUri, { abortAtLogin: true });
    const res = await finish({ url: `${callback.pathname}${callback.search}`, cookie: `raia_sso=${begun.cookies[0]!.value}` });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ type: 'https://raia.dev/problems/sso-provider-error', code: 'access_denied' });
    expect((await server.app.inject({ method: 'GET', url: '/api/v1/auth/sso/nope' })).statusCode).toBe(404);
  });

  it('does not sign in a deactivated account', async () => {
    const ada = (await finish(await throughProvider('ada'))).json().user.id as string;
    const admin = { authorization: `Bearer ${await server.tokenFor('admin')}` };
    expect((await server.app.inject({ method: 'POST', url: `/api/v1/admin/users/${ada}/deactivate`, headers: admin, payload: { reason: 'left' } })).statusCode).toBe(200);
    expect((await finish(await throughProvider('ada'))).statusCode).toBe(401);
  });

  it('does not sign in an erased account, and says no more than for any refused sign-in', async () => {
    const ada = (await server.runtime.store.readAll({ filter: { types: ['user.sso-identity-linked'] } }))[0]!.data.userId as string;
    const admin = { authorization: `Bearer ${await server.tokenFor('admin')}` };
    await server.app.inject({ method: 'POST', url: `/api/v1/admin/users/${ada}/reactivate`, headers: admin });
    expect((await finish(await throughProvider('ada'))).statusCode).toBe(200);
    await eraseSubject(server.runtime.identity, ada, 'GDPR art. 17', { actor: systemActor('test') });
    const refused = await finish(await throughProvider('ada'));
    expect(refused.statusCode).toBe(401);
    expect(refused.json().type).toBe('https://raia.dev/problems/invalid-credentials');
  });
});
