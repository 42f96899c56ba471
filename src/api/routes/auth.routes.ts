import { elapsedAtLeast } from '../elapsed-at-least.js';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requestRegistration, resendVerification, verifyEmail } from '../../commands/user/registration.js';
import { refreshSession, signInWithPassword } from '../../commands/user/sign-in.js';
import { changePassword, requestPasswordReset, resetPassword } from '../../commands/user/password-management.js';
import { loadAccount } from '../../commands/user/account-lookup.js';
import { acceptInvitation } from '../../commands/user/invitation.js';
import type { IdentityDependencies } from '../../commands/user/identity-dependencies.js';
import type { AccessTokens } from '../auth/access-tokens.js';
import { sessionPrincipalOf } from '../auth/access-control.js';
import { HttpProblem, notFound, problemSchema } from '../problem-details.js';
import type { Role } from '../permissions.js';
import { pageFields, pageOf, pageQuery, sortQuery } from '../pagination.js';
import { SESSION_SORT_COLUMNS } from '../../platform/session-store.js';

const email = z.email().max(254);
// Length bounds here; the password policy (common passwords, length, context) answers 400 too.
const password = z.string().min(1).max(1024);
const token = z.string().min(16).max(200).regex(/^[A-Za-z0-9_-]+$/, 'is not a token');
const accepted = z.object({ status: z.literal('accepted'), message: z.string() });
const tokens = z.object({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int(),
  refreshToken: z.string(),
  user: z.object({ id: z.uuid(), role: z.string() }),
});
/** The session list's sort fields (the session store orders by their columns). */
const SESSION_SORT_FIELDS = Object.keys(SESSION_SORT_COLUMNS) as [keyof typeof SESSION_SORT_COLUMNS, ...(keyof typeof SESSION_SORT_COLUMNS)[]];
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema };

const invalidCredentials = () => new HttpProblem(401, 'invalid-credentials', 'Invalid credentials', 'the e-mail address or password is not correct, or the account cannot sign in');

export function authRoutes(identity: IdentityDependencies, accessTokens: AccessTokens, limits: { perMinute: number; failedSignInFloorMs: number }): FastifyPluginAsyncZod {
  return async (app) => {
    // Routes a stranger can call to guess or flood: limited per client address.
    const limited = { public: true, rateLimit: { max: limits.perMinute, timeWindow: '1 minute' } };
    const issueTokens = async (userId: string, role: Role, sessionId: string, refreshToken: string) => ({
      accessToken: await accessTokens.issue({ userId, role, sessionId }),
      tokenType: 'Bearer' as const,
      expiresIn: accessTokens.ttlSeconds,
      refreshToken,
      user: { id: userId, role },
    });

    app.post('/api/v1/auth/register', {
      config: limited,
      schema: {
        tags: ['auth'],
        summary: 'Create an account; a verification mail follows. Answers 202 whether or not the address is taken',
        body: z.strictObject({ email, name: z.string().trim().min(1).max(200), password }),
        response: { 202: accepted, ...errors },
      },
    }, async (request, reply) => {
      await requestRegistration(identity, { ...request.body, role: 'viewer', method: 'self-service', emailVerified: false }, { kind: 'system', id: 'self-service' });
      void reply.status(202);
      return { status: 'accepted' as const, message: 'check your mailbox to confirm the address' };
    });

    app.post('/api/v1/auth/verify-email', {
      config: limited,
      schema: { tags: ['auth'], summary: 'Confirm an e-mail address with the mailed token', body: z.strictObject({ token }), response: { 200: z.object({ verified: z.literal(true), position: z.number().int() }), ...errors } },
    }, async (request) => {
      const verified = await verifyEmail(identity, request.body.token);
      if (!verified) throw new HttpProblem(400, 'invalid-token', 'Invalid token', 'the verification token is unknown, used or expired');
      return { verified: true as const, position: verified.position };
    });

    app.post('/api/v1/auth/resend-verification', {
      config: limited,
      schema: { tags: ['auth'], summary: 'Mail a new verification token (202 whatever the address)', body: z.strictObject({ email }), response: { 202: accepted, ...errors } },
    }, async (request, reply) => {
      resendVerification(identity, request.body.email);
      void reply.status(202);
      return { status: 'accepted' as const, message: 'if the address needs confirming, a new mail is on its way' };
    });

    app.post('/api/v1/auth/login', {
      config: limited,
      schema: { tags: ['auth'], summary: 'Sign in with e-mail and password', body: z.strictObject({ email, password }), response: { 200: tokens, ...errors } },
    }, async (request) => {
      const arrived = performance.now();
      const signedIn = await signInWithPassword(identity, { ...request.body, userAgent: request.headers['user-agent'] ?? null, ip: request.ip });
      if (!signedIn) {
        // Whether the address has an account must not show in how long a refusal takes.
        await elapsedAtLeast(arrived, limits.failedSignInFloorMs);
        throw invalidCredentials();
      }
      return issueTokens(signedIn.userId, signedIn.role, signedIn.sessionId, signedIn.refreshToken);
    });

    app.post('/api/v1/auth/refresh', {
      config: limited,
      schema: { tags: ['auth'], summary: 'Exchange a refresh token for new tokens (rotation; a reused token ends the session)', body: z.strictObject({ refreshToken: token }), response: { 200: tokens, ...errors } },
    }, async (request) => {
      const refreshed = await refreshSession(identity, request.body.refreshToken);
      if (refreshed.status !== 'rotated') {
        throw new HttpProblem(401, refreshed.status === 'reused' ? 'refresh-token-reused' : 'invalid-refresh-token', 'Invalid refresh token', refreshed.status === 'reused' ? 'the refresh token was already used; the session has been revoked' : 'the refresh token is unknown, expired or revoked');
      }
      return issueTokens(refreshed.userId, refreshed.role, refreshed.sessionId, refreshed.refreshToken);
    });

    app.post('/api/v1/auth/logout', {
      config: { permission: 'self:manage' },
      schema: { tags: ['auth'], summary: 'End the current session', response: { 204: z.null(), ...errors } },
    }, async (request, reply) => {
      await identity.sessions.revoke(sessionPrincipalOf(request).sessionId, 'logout');
      void reply.status(204);
      return null;
    });

    app.get('/api/v1/auth/me', {
      config: { permission: 'self:manage' },
      schema: {
        tags: ['auth'],
        summary: 'The signed-in account',
        response: {
          200: z.object({ id: z.uuid(), email: z.string(), name: z.string(), role: z.string(), status: z.string(), emailVerified: z.boolean(), sessionId: z.uuid() }),
          ...errors,
        },
      },
    }, async (request) => {
      const principal = sessionPrincipalOf(request);
      const account = await loadAccount(identity, principal.userId);
      if (!account) throw notFound('account');
      return { id: account.userId, email: account.email, name: account.name, role: account.role, status: account.status, emailVerified: account.emailVerified, sessionId: principal.sessionId };
    });

    app.put('/api/v1/auth/change-password', {
      config: { permission: 'self:manage' },
      schema: { tags: ['auth'], summary: 'Change the password (other sessions are ended)', body: z.strictObject({ currentPassword: password, newPassword: password }), response: { 204: z.null(), ...errors } },
    }, async (request, reply) => {
      const principal = sessionPrincipalOf(request);
      await changePassword(identity, principal.userId, principal.sessionId, request.body.currentPassword, request.body.newPassword);
      void reply.status(204);
      return null;
    });

    app.post('/api/v1/auth/forgot-password', {
      config: limited,
      schema: { tags: ['auth'], summary: 'Mail a password-reset token (202 whatever the address)', body: z.strictObject({ email }), response: { 202: accepted, ...errors } },
    }, async (request, reply) => {
      requestPasswordReset(identity, request.body.email);
      void reply.status(202);
      return { status: 'accepted' as const, message: 'if an account uses this address, a reset mail is on its way' };
    });

    app.post('/api/v1/auth/reset-password', {
      config: limited,
      schema: { tags: ['auth'], summary: 'Set a new password with a mailed reset token (every session is ended)', body: z.strictObject({ token, newPassword: password }), response: { 204: z.null(), ...errors } },
    }, async (request, reply) => {
      const reset = await resetPassword(identity, request.body.token, request.body.newPassword);
      if (!reset) throw new HttpProblem(400, 'invalid-token', 'Invalid token', 'the reset token is unknown, used or expired');
      void reply.status(204);
      return null;
    });

    app.post('/api/v1/auth/accept-invitation', {
      config: limited,
      schema: {
        tags: ['auth'],
        summary: 'Accept an invitation with the mailed token and a password: the account is active with the invited role, its address verified',
        body: z.strictObject({ token, password }),
        response: { 200: z.object({ userId: z.uuid(), role: z.string(), position: z.number().int() }), ...errors },
      },
    }, async (request) => {
      const accepted = await acceptInvitation(identity, request.body.token, request.body.password);
      if (!accepted) throw new HttpProblem(400, 'invalid-token', 'Invalid token', 'the invitation token is unknown, used or expired, or the invitation was withdrawn', { errors: [{ field: 'body.token', message: 'unknown, used or expired' }] });
      return accepted;
    });

    app.get('/api/v1/auth/sessions', {
      config: { permission: 'self:manage' },
      schema: {
        tags: ['auth'],
        summary: 'The signed-in user\'s active sessions, newest first unless sorted otherwise',
        querystring: z.strictObject({ ...pageQuery(100), ...sortQuery(SESSION_SORT_FIELDS, { sort: 'createdAt', order: 'desc' }) }),
        response: { 200: z.object({ sessions: z.array(z.object({ sessionId: z.uuid(), userAgent: z.string().nullable(), createdAt: z.string(), lastUsedAt: z.string(), expiresAt: z.string(), current: z.boolean() })), ...pageFields }), ...errors },
      },
    }, async (request) => {
      const principal = sessionPrincipalOf(request);
      const { sessions, total } = await identity.sessions.page(principal.userId, request.query);
      return { sessions: sessions.map(({ userId: _userId, ...s }) => ({ ...s, current: s.sessionId === principal.sessionId })), ...pageOf(request.query, total) };
    });

    app.delete('/api/v1/auth/sessions/:id', {
      config: { permission: 'self:manage' },
      schema: { tags: ['auth'], summary: 'End one of the signed-in user\'s sessions', params: z.strictObject({ id: z.uuid() }), response: { 204: z.null(), ...errors } },
    }, async (request, reply) => {
      const principal = sessionPrincipalOf(request);
      const own = (await identity.sessions.list(principal.userId)).some((s) => s.sessionId === request.params.id);
      if (!own) throw notFound(`session ${request.params.id}`);
      await identity.sessions.revoke(request.params.id, 'revoked-by-owner');
      void reply.status(204);
      return null;
    });
  };
}
