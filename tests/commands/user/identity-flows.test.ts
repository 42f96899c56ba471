import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { handleCommand } from '../../../src/commands/command-handler.js';
import { eraseSubject } from '../../../src/commands/privacy/erase-subject.js';
import { findAccountIdByEmail, loadAccount } from '../../../src/commands/user/account-lookup.js';
import { createApiKey, revokeApiKey } from '../../../src/commands/user/api-keys.js';
import { emailClaimStreamId, emailDigest, normaliseEmail } from '../../../src/commands/user/email-address.js';
import { emailClaimDecider } from '../../../src/commands/user/email-claim.decider.js';
import type { IdentityDependencies } from '../../../src/commands/user/identity-dependencies.js';
import { INVITATION_TTL_MS, acceptInvitation, inviteUser } from '../../../src/commands/user/invitation.js';
import { changePassword, requestPasswordReset, resetPassword } from '../../../src/commands/user/password-management.js';
import { VERIFICATION_TTL_MS, registerAccount, requestRegistration, resendVerification, verifyEmail } from '../../../src/commands/user/registration.js';
import { refreshSession, sealUnlessErased, signInWithPassword } from '../../../src/commands/user/sign-in.js';
import { signInWithSso } from '../../../src/commands/user/sso-sign-in.js';
import { ssoIdentityDigest, ssoIdentityStreamId } from '../../../src/commands/user/sso-identity-link.decider.js';
import { userStreamId } from '../../../src/commands/user/user.decider.js';
import { systemActor } from '../../../src/events/envelope.js';
import type { PostgresEventStore } from '../../../src/events/postgres/postgres-event-store.js';
import { needsRehash, verifyPassword } from '../../../src/platform/password-hasher.js';
import { admin, identityStores, password, refusal, tokenIn } from './identity-stores.js';

/**
 * The identity use cases on the real stores (PostgreSQL, the vault, sessions, one-time tokens)
 * and the real password hasher and policy; mails and background work are collected here.
 */
const stores = identityStores();
const { address, settle, mailsTo, userEvents, background } = stores;
let deps: IdentityDependencies;
let store: PostgresEventStore;
beforeAll(() => {
  ({ deps, store } = stores);
});

describe('registration', () => {
  it('self-service: claims the address, records the account as the new user\'s act, and mails a verification link', async () => {
    const email = address();
    const { userId, created, position } = await registerAccount(deps, { email: `  ${email.toUpperCase()} `, name: 'Ada', password, role: 'data_scientist', method: 'self-service', emailVerified: false }, systemActor('signup'));
    expect(created).toBe(true);
    expect(position).toBeGreaterThan(0);
    expect(await findAccountIdByEmail(deps, email)).toBe(userId);
    const events = await userEvents(userId);
    expect(events.map((e) => e.type)).toEqual(['user.registered']);
    expect(events[0]!.actor).toEqual({ kind: 'user', id: userId, role: 'data_scientist' });
    expect(events[0]!.data).toMatchObject({ userId, email, name: 'Ada', emailDigest: emailDigest(email, deps.emailDigestKey), role: 'data_scientist', method: 'self-service' });
    expect(await verifyPassword(String(events[0]!.data.passwordHash), password)).toBe(true);
    const claim = await store.readStream(emailClaimStreamId(emailDigest(email, deps.emailDigestKey)));
    expect(claim.map((e) => [e.type, e.data])).toEqual([['user.email-claimed', { userId, emailDigest: emailDigest(email, deps.emailDigestKey) }]]);
    const [mail] = mailsTo(email);
    expect(mail!.subject).toBe('RAIA: confirm your e-mail address');
    const token = tokenIn(mail!);
    expect(mail!.text).toBe(`Confirm your address within 24 hours: https://raia.example/verify-email?token=${token}\n\nVerification token: ${token}\n`);
    expect(VERIFICATION_TTL_MS).toBe(86_400_000);
    const account = await loadAccount(deps, userId);
    expect(account).toMatchObject({ status: 'active', userId, email, name: 'Ada', erased: false, emailVerified: false });
  });

  it('another method records the caller as actor; a vouched address gets no mail and is verified at once', async () => {
    const email = address();
    const { userId } = await registerAccount(deps, { email, name: 'Root', password, role: 'admin', method: 'admin-bootstrap', emailVerified: true }, systemActor('bootstrap'));
    const events = await userEvents(userId);
    expect(events.map((e) => e.type)).toEqual(['user.registered', 'user.email-verified']);
    expect(events[0]!.actor).toEqual({ kind: 'system', id: 'bootstrap' });
    expect(mailsTo(email)).toEqual([]);
  });

  it('a taken address answers with the existing account, records nothing and warns its owner by mail', async () => {
    const email = address();
    const first = await registerAccount(deps, { email, name: 'A', password, role: 'viewer', method: 'admin-bootstrap', emailVerified: true }, systemActor());
    const second = await registerAccount(deps, { email, name: 'B', password: null, role: 'admin', method: 'self-service', emailVerified: false }, systemActor());
    expect(second).toEqual({ userId: first.userId, created: false, position: 0 });
    expect(mailsTo(email)).toEqual([
      { to: email, subject: 'RAIA: someone tried to register with your address', text: 'An account with this e-mail address already exists. If this was you, sign in or reset your password.' },
    ]);
    expect((await userEvents(first.userId)).map((e) => e.type)).toEqual(['user.registered', 'user.email-verified']);
  });

  it('a claim whose account was never written is completed by the next registration', async () => {
    const crashedUser = randomUUID();
    const email = address();
    const digest = emailDigest(email, deps.emailDigestKey);
    await handleCommand(deps, emailClaimDecider, emailClaimStreamId(digest), { type: 'ClaimEmail', userId: crashedUser, emailDigest: digest }, { actor: systemActor() });
    expect(await loadAccount(deps, crashedUser)).toBeNull();
    const { userId, created } = await registerAccount(deps, { email, name: 'C', password: null, role: 'viewer', method: 'sso', emailVerified: true }, systemActor());
    expect([userId, created]).toEqual([crashedUser, true]);
    expect(await loadAccount(deps, crashedUser)).toMatchObject({ passwordHash: null, hasPassword: false });
  });

  it('a weak password is refused on the password field with every problem, before anything is recorded', async () => {
    const email = address();
    const refused = await refusal(() => registerAccount(deps, { email, name: 'Dee', password: email, role: 'viewer', method: 'self-service', emailVerified: false }, systemActor()));
    expect([refused.code, refused.reasons, refused.status, refused.field]).toEqual(['WEAK_PASSWORD', ['must not be your e-mail address or name'], 400, 'password']);
    expect(await findAccountIdByEmail(deps, email)).toBeNull();
    const short = await refusal(() => requestRegistration(deps, { email, name: 'Dee', password: 'Dee', role: 'viewer', method: 'self-service', emailVerified: false }, systemActor()));
    expect(short.reasons).toEqual(['must be at least 12 characters', 'must not be your e-mail address or name']);
    expect(background).toEqual([]);
  });

  it('requested registration records in the background; the token verifies the address once', async () => {
    const email = address();
    await requestRegistration(deps, { email, name: 'Eve', password, role: 'viewer', method: 'self-service', emailVerified: false }, systemActor());
    expect(background.map((b) => b.name)).toEqual(['registration']);
    await settle();
    const userId = (await findAccountIdByEmail(deps, email))!;
    const token = tokenIn(mailsTo(email)[0]!);
    const verified = await verifyEmail(deps, token);
    expect(verified).toEqual({ userId, position: expect.any(Number) as number });
    const events = await userEvents(userId);
    expect(events.at(-1)).toEqual({ type: 'user.email-verified', data: { userId }, actor: { kind: 'user', id: userId, role: 'viewer' } });
    expect(await verifyEmail(deps, token)).toBeNull();
    expect(await verifyEmail(deps, 'no-such-token')).toBeNull();
  });

  it('resends a verification only to an active, unverified account', async () => {
    const unverified = address();
    await registerAccount(deps, { email: unverified, name: 'F', password, role: 'viewer', method: 'self-service', emailVerified: false }, systemActor());
    const verified = address();
    await registerAccount(deps, { email: verified, name: 'G', password, role: 'viewer', method: 'admin-bootstrap', emailVerified: true }, systemActor());
    resendVerification(deps, unverified);
    resendVerification(deps, verified);
    resendVerification(deps, address());
    expect(background.map((b) => b.name)).toEqual(['resend-verification', 'resend-verification', 'resend-verification']);
    await settle();
    expect(mailsTo(unverified).map((m) => m.subject)).toEqual(['RAIA: confirm your e-mail address', 'RAIA: confirm your e-mail address']);
    expect(mailsTo(verified)).toEqual([]);
    const deactivatedEmail = address();
    const { userId } = await registerAccount(deps, { email: deactivatedEmail, name: 'H', password, role: 'viewer', method: 'self-service', emailVerified: false }, systemActor());
    await handleCommand(deps, (await import('../../../src/commands/user/user.decider.js')).userDecider, userStreamId(userId), { type: 'Deactivate', reason: 'x' }, { actor: admin });
    resendVerification(deps, deactivatedEmail);
    await settle();
    expect(mailsTo(deactivatedEmail)).toHaveLength(1);
  });
});

describe('password sign-in and sessions', () => {
  it('signs in with the right password: the session exists, the event seals address and agent (cut at 300)', async () => {
    const email = address();
    const { userId } = await registerAccount(deps, { email, name: 'I', password, role: 'auditor', method: 'admin-bootstrap', emailVerified: true }, systemActor());
    const agent = 'x'.repeat(400);
    const signedIn = await signInWithPassword(deps, { email: email.toUpperCase(), password, userAgent: agent, ip: '10.0.0.1' });
    expect(signedIn).toMatchObject({ userId, role: 'auditor' });
    expect(await deps.sessions.isActive(signedIn!.sessionId)).toBe(true);
    const last = (await userEvents(userId)).at(-1)!;
    expect(last).toEqual({ type: 'user.logged-in', data: { userId, sessionId: signedIn!.sessionId, method: 'password', ip: '10.0.0.1', userAgent: 'x'.repeat(300) }, actor: { kind: 'user', id: userId, role: 'auditor' } });
    expect(signedIn!.position).toBe((await store.readStream(userStreamId(userId))).at(-1)!.position);
    const rotated = await refreshSession(deps, signedIn!.refreshToken);
    expect(rotated).toMatchObject({ status: 'rotated', userId, role: 'auditor', sessionId: signedIn!.sessionId });
  });

  it('a wrong password is a recorded failure and no session; an unknown address records nothing', async () => {
    const email = address();
    const { userId } = await registerAccount(deps, { email, name: 'J', password, role: 'viewer', method: 'admin-bootstrap', emailVerified: true }, systemActor());
    expect(await signInWithPassword(deps, { email, password: 'wrong password here', userAgent: null, ip: null })).toBeNull();
    expect((await userEvents(userId)).at(-1)).toMatchObject({ type: 'user.login-failed', data: { userId, reason: 'wrong-password', consecutiveFailures: 1 } });
    expect(await signInWithPassword(deps, { email: address(), password, userAgent: null, ip: null })).toBeNull();
    // An account without a password (SSO) cannot sign in with one.
    const sso = address();
    const ssoUser = await registerAccount(deps, { email: sso, name: 'K', password: null, role: 'viewer', method: 'sso', emailVerified: true }, systemActor());
    expect(await signInWithPassword(deps, { email: sso, password, userAgent: null, ip: null })).toBeNull();
    expect((await userEvents(ssoUser.userId)).at(-1)).toMatchObject({ type: 'user.login-failed', data: { reason: 'wrong-password' } });
  });

  it('a hash made with older parameters is upgraded at sign-in', async () => {
    const email = address();
    const { userId } = await registerAccount(deps, { email, name: 'L', password: null, role: 'viewer', method: 'sso', emailVerified: true }, systemActor());
    const { hash } = await import('@node-rs/argon2');
    const old = await hash(password, { memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    const { userDecider } = await import('../../../src/commands/user/user.decider.js');
    await handleCommand(deps, userDecider, userStreamId(userId), { type: 'SetPassword', passwordHash: await deps.vault.seal(userId, old), via: 'change' }, { actor: admin });
    expect(needsRehash(old)).toBe(true);
    expect(await signInWithPassword(deps, { email, password, userAgent: null, ip: null })).toMatchObject({ userId });
    const last = (await userEvents(userId)).at(-1)!;
    expect(last).toMatchObject({ type: 'user.password-changed', data: { via: 'rehash' }, actor: { kind: 'user', id: userId, role: 'viewer' } });
    expect(needsRehash(String(last.data.passwordHash))).toBe(false);
    expect(await verifyPassword(String(last.data.passwordHash), password)).toBe(true);
  });

  it('a reused refresh token is recorded as a security event and ends the session; a deactivated account\'s refresh is invalid', async () => {
    const email = address();
    const { userId } = await registerAccount(deps, { email, name: 'M', password, role: 'viewer', method: 'admin-bootstrap', emailVerified: true }, systemActor());
    const signedIn = (await signInWithPassword(deps, { email, password, userAgent: null, ip: null }))!;
    const rotated = await refreshSession(deps, signedIn.refreshToken);
    expect(rotated.status).toBe('rotated');
    expect(await refreshSession(deps, signedIn.refreshToken)).toEqual({ status: 'reused' });
    expect((await userEvents(userId)).at(-1)).toEqual({ type: 'user.token-reuse-detected', data: { userId, sessionId: signedIn.sessionId }, actor: { kind: 'system', id: 'token-reuse-detection' } });
    expect(await refreshSession(deps, 'not-a-token')).toEqual({ status: 'invalid' });
    const again = (await signInWithPassword(deps, { email, password, userAgent: null, ip: null }))!;
    const { userDecider } = await import('../../../src/commands/user/user.decider.js');
    await handleCommand(deps, userDecider, userStreamId(userId), { type: 'Deactivate', reason: 'left' }, { actor: admin });
    expect(await refreshSession(deps, again.refreshToken)).toEqual({ status: 'invalid' });
    expect(await deps.sessions.isActive(again.sessionId)).toBe(false);
  });

  it('seals a value, or answers undefined once the subject is erased', async () => {
    expect(await sealUnlessErased(deps, 'seal-subject', 'v')).toMatchObject({ subject: 'seal-subject' });
    await deps.vault.erase('seal-subject');
    expect(await sealUnlessErased(deps, 'seal-subject', 'v')).toBeUndefined();
  });
});

describe('erasure', () => {
  it('destroys the key, ends every session of the subject, and records the erasure once', async () => {
    const email = address();
    const { userId } = await registerAccount(deps, { email, name: 'N', password, role: 'viewer', method: 'admin-bootstrap', emailVerified: true }, systemActor());
    const signedIn = (await signInWithPassword(deps, { email, password, userAgent: null, ip: null }))!;
    const result = await eraseSubject(deps, userId, 'art. 17', { actor: systemActor('privacy') });
    expect(result.events.map((e) => e.type)).toEqual(['privacy.subject-erased']);
    expect((await store.readStream(`privacy-${userId}`)).map((e) => e.data)).toEqual([{ subjectId: userId, reason: 'art. 17', keyDestroyed: true }]);
    expect(await deps.sessions.isActive(signedIn.sessionId)).toBe(false);
    const revoked = await deps.knex('raia_sessions').select('revoked_reason').where('session_id', signedIn.sessionId).first();
    expect(revoked).toEqual({ revoked_reason: 'subject-erased' });
    // The erased account reads as erased, with no password; it never signs in again.
    expect(await loadAccount(deps, userId)).toMatchObject({ erased: true, passwordHash: null, email: '[redacted]' });
    expect(await signInWithPassword(deps, { email, password, userAgent: null, ip: null })).toBeNull();
    await expect(eraseSubject(deps, userId, 'again', { actor: systemActor('privacy') })).rejects.toThrow(/already erased/);
  });
});

describe('invitations', () => {
  it('invites with a sealed address and name, mails a 7-day link naming the role, and re-invites with the new role', async () => {
    const email = address();
    const before = Date.now();
    const { userId, expiresAt, position } = await inviteUser(deps, { email: email.toUpperCase(), name: 'Olga', role: 'risk_officer' }, admin);
    expect(expiresAt.getTime()).toBeGreaterThanOrEqual(before + INVITATION_TTL_MS);
    expect(expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + INVITATION_TTL_MS);
    expect(INVITATION_TTL_MS).toBe(7 * 86_400_000);
    expect(position).toBeGreaterThan(0);
    expect(await userEvents(userId)).toEqual([
      { type: 'user.invited', data: { userId, email, name: 'Olga', emailDigest: emailDigest(email, deps.emailDigestKey), role: 'risk_officer' }, actor: admin },
    ]);
    const [mail] = mailsTo(email);
    const token = tokenIn(mail!);
    expect(mail).toEqual({
      to: email,
      subject: 'RAIA: you are invited',
      text: `You are invited to RAIA as risk officer. Set your password within 7 days: https://raia.example/accept-invitation?token=${token}\n\nInvitation token: ${token}\n\nIf you did not expect this, ignore this message.`,
    });
    const again = await inviteUser(deps, { email, name: 'Olga', role: 'auditor' }, admin);
    expect(again.userId).toBe(userId);
    expect((await userEvents(userId)).at(-1)).toMatchObject({ type: 'user.role-changed', data: { from: 'risk_officer', to: 'auditor' } });
    // The first link stopped working; the second sets the password, with the role asked for last.
    expect(await acceptInvitation(deps, token, password)).toBeNull();
    const second = tokenIn(mailsTo(email)[1]!);
    const weak = await refusal(() => acceptInvitation(deps, second, `${email}!`));
    expect([weak.code, weak.reasons, weak.status, weak.field]).toEqual(['WEAK_PASSWORD', ['must not be your e-mail address or name'], 400, 'password']);
    const named = await refusal(() => acceptInvitation(deps, second, 'Olga.......2026'));
    expect(named.reasons).toEqual(['must not be your e-mail address or name']);
    const accepted = await acceptInvitation(deps, second, password);
    expect(accepted).toEqual({ userId, role: 'auditor', position: expect.any(Number) as number });
    expect((await userEvents(userId)).at(-1)).toMatchObject({ type: 'user.invitation-accepted', actor: { kind: 'user', id: userId, role: 'auditor' } });
    expect(await signInWithPassword(deps, { email, password, userAgent: null, ip: null })).toMatchObject({ userId, role: 'auditor' });
    expect(await acceptInvitation(deps, second, password)).toBeNull();
    const exists = await refusal(() => inviteUser(deps, { email, name: 'Olga', role: 'viewer' }, admin));
    expect([exists.code, exists.reasons, exists.status, exists.field]).toEqual(['USER_EXISTS', ['an account with this address already exists'], 409, 'email']);
  });

  it('an invitation completes a claim without an account', async () => {
    const crashedInvitee = randomUUID();
    const email = address();
    const digest = emailDigest(email, deps.emailDigestKey);
    await handleCommand(deps, emailClaimDecider, emailClaimStreamId(digest), { type: 'ClaimEmail', userId: crashedInvitee, emailDigest: digest }, { actor: systemActor() });
    expect((await inviteUser(deps, { email, name: 'P', role: 'viewer' }, admin)).userId).toBe(crashedInvitee);
  });
});

describe('passwords', () => {
  it('a reset mails a 30-minute token to an active account only; the token sets the password and ends every session', async () => {
    const email = address();
    const { userId } = await registerAccount(deps, { email, name: 'Q', password, role: 'viewer', method: 'admin-bootstrap', emailVerified: true }, systemActor());
    const signedIn = (await signInWithPassword(deps, { email, password, userAgent: null, ip: null }))!;
    requestPasswordReset(deps, email);
    requestPasswordReset(deps, address());
    expect(background.map((b) => b.name)).toEqual(['password-reset', 'password-reset']);
    await settle();
    const [mail] = mailsTo(email);
    const token = tokenIn(mail!);
    expect(mail).toEqual({
      to: email,
      subject: 'RAIA: reset your password',
      text: `Reset your password within 30 minutes: https://raia.example/reset-password?token=${token}\n\nReset token: ${token}\n\nIf you did not ask for this, ignore this message.`,
    });
    const weak = await refusal(() => resetPassword(deps, token, 'short'));
    expect([weak.code, weak.status, weak.field]).toEqual(['WEAK_PASSWORD', 400, 'newPassword']);
    // The token was spent by the refused attempt.
    expect(await resetPassword(deps, token, 'another good passphrase')).toBeNull();
    requestPasswordReset(deps, email);
    await settle();
    const fresh = tokenIn(mailsTo(email)[1]!);
    expect(await resetPassword(deps, fresh, 'another good passphrase')).toEqual({ position: expect.any(Number) as number });
    expect((await userEvents(userId)).at(-1)).toMatchObject({ type: 'user.password-changed', data: { via: 'reset' }, actor: { kind: 'user', id: userId, role: 'viewer' } });
    expect(await deps.sessions.isActive(signedIn.sessionId)).toBe(false);
    expect(await deps.knex('raia_sessions').select('revoked_reason').where('session_id', signedIn.sessionId).first()).toEqual({ revoked_reason: 'password-reset' });
    expect(await signInWithPassword(deps, { email, password: 'another good passphrase', userAgent: null, ip: null })).toMatchObject({ userId });
  });

  it('a deactivated account gets no reset mail', async () => {
    const email = address();
    const { userId } = await registerAccount(deps, { email, name: 'R', password, role: 'viewer', method: 'admin-bootstrap', emailVerified: true }, systemActor());
    const { userDecider } = await import('../../../src/commands/user/user.decider.js');
    await handleCommand(deps, userDecider, userStreamId(userId), { type: 'Deactivate', reason: 'x' }, { actor: admin });
    requestPasswordReset(deps, email);
    await settle();
    expect(mailsTo(email)).toEqual([]);
  });

  it('a change needs the current password, keeps this session and ends the others', async () => {
    const email = address();
    const { userId } = await registerAccount(deps, { email, name: 'S', password, role: 'viewer', method: 'admin-bootstrap', emailVerified: true }, systemActor());
    const here = (await signInWithPassword(deps, { email, password, userAgent: null, ip: null }))!;
    const there = (await signInWithPassword(deps, { email, password, userAgent: null, ip: null }))!;
    const wrong = await refusal(() => changePassword(deps, userId, here.sessionId, 'not the password', 'a brand new passphrase'));
    expect([wrong.code, wrong.reasons, wrong.status]).toEqual(['WRONG_PASSWORD', ['the current password is not correct'], 422]);
    const weak = await refusal(() => changePassword(deps, userId, here.sessionId, password, 'S'));
    expect([weak.code, weak.field]).toEqual(['WEAK_PASSWORD', 'newPassword']);
    expect(await changePassword(deps, userId, here.sessionId, password, 'a brand new passphrase')).toEqual({ position: expect.any(Number) as number });
    expect((await userEvents(userId)).at(-1)).toMatchObject({ type: 'user.password-changed', data: { via: 'change' } });
    expect(await deps.sessions.isActive(here.sessionId)).toBe(true);
    expect(await deps.sessions.isActive(there.sessionId)).toBe(false);
    expect(await deps.knex('raia_sessions').select('revoked_reason').where('session_id', there.sessionId).first()).toEqual({ revoked_reason: 'password-changed' });
    // No account, or no password: the same refusal.
    expect((await refusal(() => changePassword(deps, 'nobody', here.sessionId, password, 'a brand new passphrase'))).code).toBe('WRONG_PASSWORD');
    const sso = await registerAccount(deps, { email: address(), name: 'T', password: null, role: 'viewer', method: 'sso', emailVerified: true }, systemActor());
    expect((await refusal(() => changePassword(deps, sso.userId, here.sessionId, password, 'a brand new passphrase'))).code).toBe('WRONG_PASSWORD');
  });
});

describe('single sign-on', () => {
  const identity = (subject: string, email: string | null, emailVerified = true, name: string | null = null) => ({ provider: 'corp', issuer: 'https://idp.example', subject, email, emailVerified, name });

  it('a new identity with a verified address gets a viewer account named after the address, linked for good', async () => {
    const email = address();
    const signedIn = await signInWithSso(deps, identity('sub-1', email), { userAgent: 'ua', ip: '10.1.1.1' });
    expect(signedIn).toMatchObject({ role: 'viewer' });
    const userId = signedIn!.userId;
    expect(await loadAccount(deps, userId)).toMatchObject({ name: email.split('@')[0], email, passwordHash: null, emailVerified: true });
    const digest = ssoIdentityDigest('https://idp.example', 'sub-1', deps.emailDigestKey);
    expect((await store.readStream(ssoIdentityStreamId(digest))).map((e) => [e.type, e.data, e.actor])).toEqual([
      ['user.sso-identity-linked', { userId, provider: 'corp', identityDigest: digest }, { kind: 'system', id: 'sso:corp' }],
    ]);
    const events = await userEvents(userId);
    expect(events[0]!.actor).toEqual({ kind: 'system', id: 'sso:corp' });
    expect(events.at(-1)).toEqual({ type: 'user.logged-in', data: { userId, sessionId: signedIn!.sessionId, method: 'sso', ip: '10.1.1.1', userAgent: 'ua' }, actor: { kind: 'user', id: userId, role: 'viewer' } });
    expect(await deps.sessions.isActive(signedIn!.sessionId)).toBe(true);
    // The same identity again, even with another address, signs in to the same account.
    expect(await signInWithSso(deps, identity('sub-1', null, false), { userAgent: null, ip: null })).toMatchObject({ userId });
  });

  it('the provider\'s name is used, trimmed; a blank one falls back to the address', async () => {
    const named = await signInWithSso(deps, identity('sub-2', address(), true, '  Grace Hopper '), { userAgent: null, ip: null });
    expect(await loadAccount(deps, named!.userId)).toMatchObject({ name: 'Grace Hopper' });
    const email = address();
    const blank = await signInWithSso(deps, identity('sub-3', email, true, '   '), { userAgent: null, ip: null });
    expect(await loadAccount(deps, blank!.userId)).toMatchObject({ name: email.split('@')[0] });
  });

  it('an unverified or missing address cannot be linked', async () => {
    for (const id of [identity('sub-4', address(), false), identity('sub-5', null, true)]) {
      const refused = await refusal(() => signInWithSso(deps, id, { userAgent: null, ip: null }));
      expect([refused.code, refused.reasons, refused.status]).toEqual(['SSO_EMAIL_UNVERIFIED', ['the provider did not confirm a verified e-mail address for this identity, so it cannot be linked to an account'], 422]);
    }
  });

  it('links to the account with the same address and verifies that address; a deactivated account is refused', async () => {
    const email = address();
    const { userId } = await registerAccount(deps, { email, name: 'U', password, role: 'auditor', method: 'self-service', emailVerified: false }, systemActor());
    const signedIn = await signInWithSso(deps, identity('sub-6', email.toUpperCase()), { userAgent: null, ip: null });
    expect(signedIn).toMatchObject({ userId, role: 'auditor' });
    const types = (await userEvents(userId)).map((e) => e.type);
    expect(types).toEqual(['user.registered', 'user.email-verified', 'user.logged-in']);
    // Verified already: not again.
    await signInWithSso(deps, identity('sub-6', email), { userAgent: null, ip: null });
    expect((await userEvents(userId)).filter((e) => e.type === 'user.email-verified')).toHaveLength(1);
    const { userDecider } = await import('../../../src/commands/user/user.decider.js');
    await handleCommand(deps, userDecider, userStreamId(userId), { type: 'Deactivate', reason: 'x' }, { actor: admin });
    expect(await signInWithSso(deps, identity('sub-6', email), { userAgent: null, ip: null })).toBeNull();
    expect((await userEvents(userId)).at(-1)).toMatchObject({ type: 'user.login-failed', data: { reason: 'deactivated' } });
  });

  it('an address the provider vouches for but that differs from the account\'s does not verify it', async () => {
    const email = address();
    const { userId } = await registerAccount(deps, { email, name: 'V', password, role: 'viewer', method: 'self-service', emailVerified: false }, systemActor());
    await signInWithSso(deps, identity('sub-7', email), { userAgent: null, ip: null });
    // Linked now; the provider later reports another address, unverified: nothing more to verify.
    const unverifiedLater = identity('sub-8', email, true);
    expect((await signInWithSso(deps, unverifiedLater, { userAgent: null, ip: null }))!.userId).toBe(userId);
    expect((await userEvents(userId)).filter((e) => e.type === 'user.email-verified')).toHaveLength(1);
  });

  it('an erased user\'s address never signs in again', async () => {
    const email = address();
    const { userId } = await registerAccount(deps, { email, name: 'W', password, role: 'viewer', method: 'admin-bootstrap', emailVerified: true }, systemActor());
    await signInWithSso(deps, identity('sub-9', email), { userAgent: null, ip: null });
    await eraseSubject(deps, userId, 'art. 17', { actor: systemActor() });
    expect(await signInWithSso(deps, identity('sub-10', email), { userAgent: null, ip: null })).toBeNull();
    expect(await signInWithSso(deps, identity('sub-9', email), { userAgent: null, ip: null })).toBeNull();
  });
});

describe('API keys and account lookup', () => {
  it('creates a key under a fresh id and revokes it once', async () => {
    const { userId } = await registerAccount(deps, { email: address(), name: 'X', password, role: 'data_scientist', method: 'admin-bootstrap', emailVerified: true }, systemActor());
    const input = { name: 'ci', permissions: ['models:read'], expiresAt: null, prefix: 'raia_ab', digest: 'd'.repeat(64) };
    const created = await createApiKey(deps, userId, input, admin);
    const other = await createApiKey(deps, userId, input, admin);
    expect(created.keyId).not.toBe(other.keyId);
    expect((await userEvents(userId)).at(-2)).toEqual({ type: 'user.api-key-created', data: { userId, keyId: created.keyId, ...input }, actor: admin });
    expect(created.position).toBe((await store.readStream(userStreamId(userId))).at(-2)!.position);
    const revoked = await revokeApiKey(deps, userId, created.keyId, admin);
    expect(revoked.position).toBe((await store.readStream(userStreamId(userId))).at(-1)!.position);
    expect(await revokeApiKey(deps, userId, created.keyId, admin)).toEqual({ position: 0 });
  });

  it('an unknown account loads as null; lookup by address finds the claim, normalised', async () => {
    expect(await loadAccount(deps, 'no-such-user')).toBeNull();
    expect(await findAccountIdByEmail(deps, address())).toBeNull();
    const email = address();
    const { userId } = await registerAccount(deps, { email, name: 'Y', password, role: 'viewer', method: 'admin-bootstrap', emailVerified: true }, systemActor());
    expect(await findAccountIdByEmail(deps, ` ${email.toUpperCase()}`)).toBe(userId);
    expect(normaliseEmail(' A\u0301@X.ORG ')).toBe('\u00e1@x.org');
  });
});
