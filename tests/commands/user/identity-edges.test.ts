import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { handleCommand } from '../../../src/commands/command-handler.js';
import { eraseSubject } from '../../../src/commands/privacy/erase-subject.js';
import { loadAccount } from '../../../src/commands/user/account-lookup.js';
import type { IdentityDependencies } from '../../../src/commands/user/identity-dependencies.js';
import { acceptInvitation, inviteUser } from '../../../src/commands/user/invitation.js';
import { changePassword, requestPasswordReset, resetPassword } from '../../../src/commands/user/password-management.js';
import { registerAccount, verifyEmail } from '../../../src/commands/user/registration.js';
import { refreshSession, signInWithPassword } from '../../../src/commands/user/sign-in.js';
import { signInWithSso } from '../../../src/commands/user/sso-sign-in.js';
import { ssoIdentityDigest, ssoIdentityStreamId } from '../../../src/commands/user/sso-identity-link.decider.js';
import { userDecider, userStreamId } from '../../../src/commands/user/user.decider.js';
import { systemActor } from '../../../src/events/envelope.js';
import type { PostgresEventStore } from '../../../src/events/postgres/postgres-event-store.js';
import { admin, identityStores, password, refusal, tokenIn } from './identity-stores.js';

/**
 * Edges of the identity use cases (identity-flows.test.ts has the main paths), on the same real
 * stores: withdrawn invitations, erased and deactivated accounts between two steps, what reaches
 * the ledger and the mailbox.
 */
const stores = identityStores();
const { address, settle, mailsTo, userEvents } = stores;
let deps: IdentityDependencies;
let store: PostgresEventStore;
beforeAll(() => {
  ({ deps, store } = stores);
});
const identity = (subject: string, email: string) => ({ provider: 'corp', issuer: 'https://idp.example', subject, email, emailVerified: true, name: null });

describe('identity edges', () => {
  it('an invitee\'s account has no password until the invitation is accepted', async () => {
    const { userId } = await inviteUser(deps, { email: address(), name: 'Ivy', role: 'viewer' }, admin);
    expect(await loadAccount(deps, userId)).toMatchObject({ status: 'invited', passwordHash: null, hasPassword: false });
  });

  it('a withdrawn invitation\'s still valid link answers null, recording nothing', async () => {
    const email = address();
    const { userId } = await inviteUser(deps, { email, name: 'Wanda', role: 'viewer' }, admin);
    const token = tokenIn(mailsTo(email)[0]!);
    await handleCommand(deps, userDecider, userStreamId(userId), { type: 'Deactivate', reason: 'sent to the wrong person' }, { actor: admin });
    expect(await acceptInvitation(deps, token, password)).toBeNull();
    expect((await userEvents(userId)).map((e) => e.type)).toEqual(['user.invited', 'user.deactivated']);
  });

  it('an account registered without a password records none in the ledger', async () => {
    const { userId } = await registerAccount(deps, { email: address(), name: 'Nils', password: null, role: 'viewer', method: 'sso', emailVerified: true }, systemActor());
    const [registered] = await store.readStream(userStreamId(userId));
    expect(registered!.data.passwordHash).toBeNull();
  });

  it('an erased account\'s verification link answers null, recording nothing', async () => {
    const email = address();
    const { userId } = await registerAccount(deps, { email, name: 'Erin', password, role: 'viewer', method: 'self-service', emailVerified: false }, systemActor());
    const token = tokenIn(mailsTo(email)[0]!);
    await eraseSubject(deps, userId, 'art. 17', { actor: systemActor() });
    expect(await verifyEmail(deps, token)).toBeNull();
    expect((await userEvents(userId)).map((e) => e.type)).toEqual(['user.registered']);
  });

  it('a reset to the e-mail address is refused as the identity; a reset of an account deactivated since the request answers null', async () => {
    const email = address();
    const { userId } = await registerAccount(deps, { email, name: 'Rita Reset', password, role: 'viewer', method: 'admin-bootstrap', emailVerified: true }, systemActor());
    requestPasswordReset(deps, email);
    await settle();
    const token = tokenIn(mailsTo(email)[0]!);
    const refused = await refusal(() => resetPassword(deps, token, `${email}`));
    expect([refused.code, refused.reasons]).toEqual(['WEAK_PASSWORD', ['must not be your e-mail address or name']]);
    requestPasswordReset(deps, email);
    await settle();
    const second = tokenIn(mailsTo(email)[1]!);
    await handleCommand(deps, userDecider, userStreamId(userId), { type: 'Deactivate', reason: 'left' }, { actor: admin });
    expect(await resetPassword(deps, second, 'a perfectly fine passphrase')).toBeNull();
    expect((await userEvents(userId)).at(-1)!.type).toBe('user.deactivated');
  });

  it('a change to the name is refused as the identity', async () => {
    const { userId } = await registerAccount(deps, { email: address(), name: 'Bartholomew Quince', password, role: 'viewer', method: 'admin-bootstrap', emailVerified: true }, systemActor());
    const refused = await refusal(() => changePassword(deps, userId, 'any-session', password, 'Bartholomew Quince 2026!'));
    expect([refused.code, refused.reasons]).toEqual(['WEAK_PASSWORD', ['must not be your e-mail address or name']]);
  });

  it('a reused refresh token of a session whose account does not exist records nothing', async () => {
    const ghost = randomUUID();
    const { refreshToken } = await deps.sessions.create(ghost, null);
    expect((await deps.sessions.rotate(refreshToken)).status).toBe('rotated');
    expect(await refreshSession(deps, refreshToken)).toEqual({ status: 'reused' });
    expect(await store.readStream(userStreamId(ghost))).toEqual([]);
  });

  it('a refresh of a deactivated account revokes its session as account-inactive', async () => {
    const email = address();
    const { userId } = await registerAccount(deps, { email, name: 'Dora', password, role: 'viewer', method: 'admin-bootstrap', emailVerified: true }, systemActor());
    const signedIn = (await signInWithPassword(deps, { email, password, userAgent: null, ip: null }))!;
    await handleCommand(deps, userDecider, userStreamId(userId), { type: 'Deactivate', reason: 'left' }, { actor: admin });
    expect(await refreshSession(deps, signedIn.refreshToken)).toEqual({ status: 'invalid' });
    expect(await deps.knex('raia_sessions').select('revoked_reason').where('session_id', signedIn.sessionId).first()).toEqual({ revoked_reason: 'account-inactive' });
  });

  it('SSO: a new account is verified at once (no verification mail); the agent is cut at 300 characters', async () => {
    const email = address();
    const signedIn = (await signInWithSso(deps, identity('edge-1', email), { userAgent: 'y'.repeat(400), ip: null }))!;
    expect(mailsTo(email)).toEqual([]);
    expect((await userEvents(signedIn.userId)).at(-1)).toMatchObject({ type: 'user.logged-in', data: { userAgent: 'y'.repeat(300), ip: null } });
  });

  it('SSO: an erased user\'s address links no new identity', async () => {
    const email = address();
    const { userId } = await registerAccount(deps, { email, name: 'Eli', password, role: 'viewer', method: 'admin-bootstrap', emailVerified: true }, systemActor());
    await eraseSubject(deps, userId, 'art. 17', { actor: systemActor() });
    expect(await signInWithSso(deps, identity('edge-2', email), { userAgent: null, ip: null })).toBeNull();
    expect(await store.readStream(ssoIdentityStreamId(ssoIdentityDigest('https://idp.example', 'edge-2', deps.emailDigestKey)))).toEqual([]);
  });
});
