import cookie from '@fastify/cookie';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { IdentityDependencies } from '../../commands/user/identity-dependencies.js';
import { signInWithSso } from '../../commands/user/sso-sign-in.js';
import { OidcSignInError, type OidcSignIn } from '../../platform/oidc-sign-in.js';
import type { AccessTokens } from '../auth/access-tokens.js';
import { HttpProblem, problemSchema } from '../problem-details.js';

const PENDING_COOKIE = 'raia_sso';
const PENDING_TTL_MS = 10 * 60_000;
const COOKIE_PATH = '/api/v1/auth/sso';

const pendingSignIn = z.object({ provider: z.string(), state: z.string(), codeVerifier: z.string(), nonce: z.string() });
const provider = z.strictObject({ provider: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'is not a provider id').max(100) });
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 422: problemSchema, 429: problemSchema, 502: problemSchema };

const STATUS_OF: Record<OidcSignInError['code'], number> = {
  unknown_provider: 404,
  invalid_callback: 400,
  state_mismatch: 400,
  provider_error: 401,
  token_exchange_failed: 401,
  token_invalid: 401,
  provider_unavailable: 502,
};

const asProblem = (error: OidcSignInError) =>
  new HttpProblem(STATUS_OF[error.code], `sso-${error.code.replace(/_/g, '-')}`, 'Single sign-on failed', error.message, error.providerError ? { code: error.providerError } : {});

/**
 * Single sign-on with OpenID Connect (authorization code + PKCE). `GET /sso/:provider` sends the
 * browser to the provider and binds the attempt to it with an HttpOnly cookie naming a single-use,
 * ten-minute server-side record (state, PKCE verifier, nonce); the provider sends the browser back
 * to `/sso/:provider/callback`, which answers with the same tokens as a password login.
 */
export function ssoRoutes(identity: IdentityDependencies, oidc: OidcSignIn, accessTokens: AccessTokens, options: { perMinute: number; secureCookies: boolean }): FastifyPluginAsyncZod {
  return async (app) => {
    await app.register(cookie);
    const limited = { public: true, rateLimit: { max: options.perMinute, timeWindow: '1 minute' } };

    app.get('/api/v1/auth/sso/providers', {
      config: { public: true },
      schema: { tags: ['auth'], summary: 'The single sign-on providers configured', response: { 200: z.object({ providers: z.array(z.object({ id: z.string(), label: z.string(), signInUrl: z.string() })) }) } },
    }, async () => ({ providers: oidc.providers().map((p) => ({ ...p, signInUrl: `${COOKIE_PATH}/${p.id}` })) }));

    app.get('/api/v1/auth/sso/:provider', {
      config: limited,
      schema: { tags: ['auth'], summary: 'Start single sign-on: redirects (302) to the provider', params: provider, response: { 302: z.null(), ...errors } },
    }, async (request, reply) => {
      const started = await oidc.begin(request.params.provider).catch((error: unknown) => {
        throw error instanceof OidcSignInError ? asProblem(error) : error;
      });
      const pending = JSON.stringify({ provider: request.params.provider, state: started.state, codeVerifier: started.codeVerifier, nonce: started.nonce });
      const binding = await identity.oneTimeTokens.issue(pending, 'sso-pending', PENDING_TTL_MS);
      // Lax: the provider's redirect back is a top-level GET navigation, which Lax cookies accompany.
      void reply.setCookie(PENDING_COOKIE, binding, { path: COOKIE_PATH, httpOnly: true, sameSite: 'lax', secure: options.secureCookies, maxAge: PENDING_TTL_MS / 1000 });
      void reply.redirect(started.authorizationUrl, 302);
      return null;
    });

    app.get('/api/v1/auth/sso/:provider/callback', {
      config: limited,
      schema: {
        tags: ['auth'],
        summary: 'Finish single sign-on (the provider redirects here); answers with access and refresh tokens',
        params: provider,
        // The provider's parameters are read by the OIDC client from the URL as they came; the
        // usual ones are named here (RFC 6749 §4.1.2, RFC 9207), others pass through.
        querystring: z.object({
          code: z.string().max(4096).optional(),
          state: z.string().max(4096).optional(),
          iss: z.string().max(4096).optional(),
          error: z.string().max(4096).optional(),
          error_description: z.string().max(4096).optional(),
        }).catchall(z.string().max(4096)),
        response: { 200: z.object({ accessToken: z.string(), tokenType: z.literal('Bearer'), expiresIn: z.number().int(), refreshToken: z.string(), user: z.object({ id: z.uuid(), role: z.string() }) }), ...errors },
      },
    }, async (request, reply) => {
      void reply.clearCookie(PENDING_COOKIE, { path: COOKIE_PATH });
      const binding = request.cookies[PENDING_COOKIE];
      const stored = binding ? await identity.oneTimeTokens.consume(binding, 'sso-pending') : null;
      const pending = stored ? pendingSignIn.safeParse(JSON.parse(stored)) : null;
      if (!pending?.success || pending.data.provider !== request.params.provider) {
        throw new HttpProblem(400, 'sso-state-missing', 'Single sign-on failed', 'this sign-in was not started in this browser, was already finished, or has expired; please start again');
      }
      const vouched = await oidc.complete(request.params.provider, new URL(request.url, 'http://callback.invalid'), pending.data).catch((error: unknown) => {
        throw error instanceof OidcSignInError ? asProblem(error) : error;
      });
      const signedIn = await signInWithSso(identity, { provider: request.params.provider, ...vouched }, { userAgent: request.headers['user-agent'] ?? null, ip: request.ip });
      if (!signedIn) throw new HttpProblem(401, 'invalid-credentials', 'Invalid credentials', 'the account cannot sign in');
      return {
        accessToken: await accessTokens.issue({ userId: signedIn.userId, role: signedIn.role, sessionId: signedIn.sessionId }),
        tokenType: 'Bearer' as const,
        expiresIn: accessTokens.ttlSeconds,
        refreshToken: signedIn.refreshToken,
        user: { id: signedIn.userId, role: signedIn.role },
      };
    });
  };
}
