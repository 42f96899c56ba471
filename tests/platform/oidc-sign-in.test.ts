import type { AddressInfo } from 'node:net';
import { calculatePKCECodeChallenge } from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/platform/config.js';
import { OidcSignInError, createOidcSignIn } from '../../src/platform/oidc-sign-in.js';
import type { OidcProvider, OidcSignIn } from '../../src/platform/oidc-sign-in.js';
import { confidentialSecret, listenOnLoopback, signInAtProvider as signInThroughPages, startTestOidcProvider, type TestOidcProvider } from '../support/test-oidc-provider.js';

// Never served: the test captures the provider's redirect to it instead of following it.
const redirectUri = 'http://raia.test/api/v1/auth/oidc/callback';

let provider: TestOidcProvider;
let issuer: string;
let signIn: OidcSignIn;
const discoveryRequests = () => provider.requests.get('/.well-known/openid-configuration') ?? 0;
const userinfoRequests = () => provider.requests.get('/me') ?? 0;
const signInAtProvider = (authorizationUrl: string, login: string, options: { abortAtLogin?: boolean } = {}) => signInThroughPages(authorizationUrl, login, redirectUri, options);

beforeAll(async () => {
  provider = await startTestOidcProvider([redirectUri]);
  issuer = provider.issuer;
  signIn = createOidcSignIn(
    [
      { id: 'acme', label: 'Acme ID', issuer, clientId: 'raia-confidential', clientSecret: confidentialSecret, redirectUri },
      { id: 'acme-public', issuer, clientId: 'raia-public', redirectUri, scopes: ['openid', 'email', 'profile'] },
    ],
    { allowInsecureRequests: true },
  );
});

afterAll(async () => {
  await provider.close();
});

async function refusal(promise: Promise<unknown>): Promise<OidcSignInError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OidcSignInError);
  return error as OidcSignInError;
}

describe('OIDC sign-in against a real provider', () => {
  it('lists the configured providers with their labels, the id standing in for a missing label', () => {
    expect(signIn.providers()).toEqual([
      { id: 'acme', label: 'Acme ID' },
      { id: 'acme-public', label: 'acme-public' },
    ]);
  });

  it('begins with an authorization URL carrying an S256 PKCE challenge, state, nonce and the redirect URI', async () => {
    const pending = await signIn.begin('acme');
    const url = new URL(pending.authorizationUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${issuer}/auth`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: 'raia-confidential',
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
    });
    expect(url.searchParams.has('code_verifier')).toBe(false);
    const other = await signIn.begin('acme');
    expect(other.state).not.toBe(pending.state);
    expect(other.codeVerifier).not.toBe(pending.codeVerifier);
    expect(other.nonce).not.toBe(pending.nonce);
  });

  it('signs a user in with a confidential client (client_secret_basic + PKCE) and returns their claims', async () => {
    const pending = await signIn.begin('acme');
    const callback = await signInAtProvider(pending.authorizationUrl, 'ada');
    expect(callback.searchParams.get('state')).toBe(pending.state);
    const userinfoBefore = userinfoRequests();
    expect(callback.searchParams.has('code')).toBe(true);
    expect(await signIn.complete('acme', callback, pending)).toEqual({
      issuer,
      subject: 'ada',
      email: 'ada@example.org',
      emailVerified: true,
      name: 'Ada Lovelace',
    });
    // oidc-provider conforms to OIDC Core §5.4: e-mail and name come from userinfo, not the ID token.
    expect(userinfoRequests() - userinfoBefore).toBe(1);
  });

  it('signs a user in with a public client (no secret, PKCE only) and reports an unverified e-mail as such', async () => {
    const pending = await signIn.begin('acme-public');
    const callback = await signInAtProvider(pending.authorizationUrl, 'bob');
    expect(await signIn.complete('acme-public', callback.href, pending)).toEqual({
      issuer,
      subject: 'bob',
      email: 'bob@example.org',
      emailVerified: false,
      name: 'Bob Unverified',
    });
  });

  it('discovers each provider once and reuses the result', async () => {
    const fresh = createOidcSignIn([{ id: 'acme', issuer, clientId: 'raia-confidential', clientSecret: confidentialSecret, redirectUri }], {
      allowInsecureRequests: true,
    });
    const before = discoveryRequests();
    await fresh.begin('acme');
    await fresh.begin('acme');
    const pending = await fresh.begin('acme');
    await fresh.complete('acme', await signInAtProvider(pending.authorizationUrl, 'ada'), pending);
    expect(discoveryRequests() - before).toBe(1);
  });

  it('refuses a callback whose state was tampered with, without redeeming its code', async () => {
    const pending = await signIn.begin('acme');
    const callback = await signInAtProvider(pending.authorizationUrl, 'ada');
    const tampered = new URL(callback);
    tampered.searchParams.set('state', `${pending.state.slice(0, -1)}${pending.state.endsWith('A') ? 'B' : 'A'}`);
    const error = await refusal(signIn.complete('acme', tampered, pending));
    expect(error.code).toBe('state_mismatch');
    const missing = new URL(callback);
    missing.searchParams.delete('state');
    expect((await refusal(signIn.complete('acme', missing, pending))).code).toBe('state_mismatch');
    // The code was never sent to the token endpoint (codes are single-use), so it still works.
    expect((await signIn.complete('acme', callback, pending)).subject).toBe('ada');
  });

  it('refuses a sign-in the user cancelled at the provider, with the provider error code', async () => {
    const pending = await signIn.begin('acme');
    const callback = await signInAtProvider(pending.authorizationUrl, 'ada', { abortAtLogin: true });
    expect(callback.searchParams.get('error')).toBe('access_denied');
    const error = await refusal(signIn.complete('acme', callback, pending));
    expect(error.code).toBe('provider_error');
    expect(error.providerError).toBe('access_denied');
    expect(error.message).toContain('access_denied');
  });

  it('refuses a hand-made provider error callback (?error=access_denied&state=…) with its code', async () => {
    const pending = await signIn.begin('acme');
    const callback = new URL(redirectUri);
    callback.search = new URLSearchParams({ error: 'access_denied', error_description: 'no', state: pending.state, iss: issuer }).toString();
    const error = await refusal(signIn.complete('acme', callback, pending));
    expect(error).toMatchObject({ code: 'provider_error', providerError: 'access_denied' });
  });

  it('refuses an ID token whose nonce is not the one this sign-in sent', async () => {
    const pending = await signIn.begin('acme');
    const callback = await signInAtProvider(pending.authorizationUrl, 'ada');
    const error = await refusal(signIn.complete('acme', callback, { ...pending, nonce: 'a-nonce-from-another-sign-in' }));
    expect(error.code).toBe('token_invalid');
  });

  it('refuses a replayed callback: the provider will not redeem a code twice', async () => {
    const pending = await signIn.begin('acme');
    const callback = await signInAtProvider(pending.authorizationUrl, 'ada');
    await signIn.complete('acme', callback, pending);
    const error = await refusal(signIn.complete('acme', callback, pending));
    expect(error).toMatchObject({ code: 'token_exchange_failed', providerError: 'invalid_grant' });
  });

  it('refuses a code redeemed with the wrong PKCE verifier', async () => {
    const pending = await signIn.begin('acme');
    const callback = await signInAtProvider(pending.authorizationUrl, 'ada');
    const other = await signIn.begin('acme');
    const error = await refusal(signIn.complete('acme', callback, { ...pending, codeVerifier: other.codeVerifier }));
    expect(error).toMatchObject({ code: 'token_exchange_failed', providerError: 'invalid_grant' });
  });

  it('refuses an unknown provider id', async () => {
    expect((await refusal(signIn.begin('nope'))).code).toBe('unknown_provider');
    const pending = await signIn.begin('acme');
    expect((await refusal(signIn.complete('nope', `${redirectUri}?code=x&state=${pending.state}`, pending))).code).toBe('unknown_provider');
  });

  it('reports an unreachable provider without leaking the client secret, and retries discovery later', async () => {
    const closed = await listenOnLoopback((_req, res) => res.end());
    const deadIssuer = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = createOidcSignIn([{ id: 'down', issuer: deadIssuer, clientId: 'raia', clientSecret: confidentialSecret, redirectUri }], {
      allowInsecureRequests: true,
    });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const error = await refusal(unreachable.begin('down'));
      expect(error.code).toBe('provider_unavailable');
      expect(error.message).not.toContain(confidentialSecret);
    }
  });

  it('refuses a plain-http issuer unless insecure requests were allowed', async () => {
    const strict = createOidcSignIn([{ id: 'acme', issuer, clientId: 'raia-confidential', clientSecret: confidentialSecret, redirectUri }]);
    expect((await refusal(strict.begin('acme'))).code).toBe('provider_unavailable');
  });
});

describe('RAIA_OIDC_PROVIDERS', () => {
  const acme: OidcProvider = { id: 'acme', issuer: 'https://id.acme.test', clientId: 'raia', redirectUri: 'https://raia.test/callback' };

  it('defaults to no providers and to the openid, email and profile scopes', () => {
    expect(loadConfig({}).RAIA_OIDC_PROVIDERS).toEqual([]);
    expect(loadConfig({ RAIA_OIDC_PROVIDERS: JSON.stringify([acme]) }).RAIA_OIDC_PROVIDERS).toEqual([{ ...acme, scopes: ['openid', 'email', 'profile'] }]);
  });

  it('names each bad field of each provider', () => {
    const bad = [acme, { ...acme, id: 'Not A Slug', issuer: 'http://id.acme.test', redirectUri: 'ftp://raia.test', scopes: ['email'] }];
    let error: unknown;
    try {
      loadConfig({ RAIA_OIDC_PROVIDERS: JSON.stringify(bad) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues.map((i) => i.split(':')[0]);
    expect(issues).toEqual(['RAIA_OIDC_PROVIDERS.1.id', 'RAIA_OIDC_PROVIDERS.1.issuer', 'RAIA_OIDC_PROVIDERS.1.redirectUri', 'RAIA_OIDC_PROVIDERS.1.scopes']);
  });

  it('refuses text that is not a JSON array without quoting it (it may hold a client secret)', () => {
    for (const text of ['{"clientSecret": "s3cr3t-value"', '{"id":"acme"}']) {
      expect(() => loadConfig({ RAIA_OIDC_PROVIDERS: text })).toThrow(ConfigError);
      try {
        loadConfig({ RAIA_OIDC_PROVIDERS: text });
      } catch (e) {
        expect((e as ConfigError).message).toContain('RAIA_OIDC_PROVIDERS: must be a JSON array of providers');
        expect((e as ConfigError).message).not.toContain('s3cr3t-value');
      }
    }
  });

  it('refuses two providers with the same id', () => {
    expect(() => loadConfig({ RAIA_OIDC_PROVIDERS: JSON.stringify([acme, acme]) })).toThrow(/provider ids must be unique/);
  });

  it('accepts plain http only for an issuer on this machine', () => {
    const local = { ...acme, issuer: 'http://127.0.0.1:8443' };
    expect(loadConfig({ RAIA_OIDC_PROVIDERS: JSON.stringify([local]) }).RAIA_OIDC_PROVIDERS[0]?.issuer).toBe('http://127.0.0.1:8443');
  });
});
