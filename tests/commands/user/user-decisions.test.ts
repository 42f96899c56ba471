import { describe, expect, it } from 'vitest';
import { CommandRefused } from '../../../src/commands/decider.js';
import { LOCKOUT_COOL_DOWN_MS, LOCKOUT_THRESHOLD, MAX_ACTIVE_API_KEYS, userDecider, userStreamId, type UserCommand, type UserEvent, type UserState } from '../../../src/commands/user/user.decider.js';
import { systemActor } from '../../../src/events/envelope.js';

const sealed = (s: string) => ({ $pii: 'v1' as const, subject: 'u1', iv: 'iv', ct: s, tag: 't' });
const userId = '0193f0c2-0000-7000-8000-000000000002';
const sessionId = '0193f0c2-0000-7000-8000-0000000000bb';
const now = new Date('2026-11-22T10:00:00Z');

const given = (events: UserEvent[]): UserState => events.reduce(userDecider.evolve, userDecider.initialState());
const when = (state: UserState, command: UserCommand, at = now) => userDecider.decide(command, state, { now: at, actor: systemActor() });
function refusal(run: () => unknown): CommandRefused {
  try {
    run();
  } catch (error) {
    if (error instanceof CommandRefused) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const registeredData = { userId, email: sealed('e'), name: sealed('n'), passwordHash: sealed('h'), emailDigest: 'a'.repeat(64), role: 'data_scientist' as const, method: 'self-service' as const };
const registered: UserEvent = { type: 'user.registered', data: registeredData };
const ssoRegistered: UserEvent = { type: 'user.registered', data: { ...registeredData, passwordHash: null, method: 'sso' } };
const verified: UserEvent = { type: 'user.email-verified', data: { userId } };
const invited: UserEvent = { type: 'user.invited', data: { userId, email: sealed('e'), name: sealed('n'), emailDigest: 'a'.repeat(64), role: 'auditor' } };
const deactivated: UserEvent = { type: 'user.deactivated', data: { userId, reason: 'left' } };
const ip = sealed('127.0.0.1');
const agent = sealed('curl');
const attempt = (passwordValid: boolean): UserCommand => ({ type: 'AttemptPasswordLogin', passwordValid, sessionId, ip, userAgent: agent });
const keyCreated = (keyId: string): UserEvent => ({ type: 'user.api-key-created', data: { userId, keyId, name: 'ci', prefix: 'p', digest: 'b'.repeat(64), permissions: ['models:read'], expiresAt: null } });

describe('user decider: registration and the account\'s state', () => {
  it('streams are user-<id>; a new account starts as none', () => {
    expect(userStreamId('u9')).toBe('user-u9');
    expect(userDecider.category).toBe('user');
    expect(userDecider.initialState()).toEqual({ status: 'none' });
  });

  it('registration without a vouched address is one event, without the emailVerified flag; the account is active and unverified', () => {
    const command: UserCommand = { type: 'Register', ...registeredData, emailVerified: false };
    expect(when(given([]), command)).toEqual([registered]);
    expect(when(given([]), { ...command, emailVerified: true })).toEqual([registered, verified]);
    expect(given([registered])).toEqual({ status: 'active', userId, role: 'data_scientist', emailVerified: false, hasPassword: true, consecutiveFailures: 0, lockedUntil: null, apiKeys: {} });
    expect(given([ssoRegistered])).toMatchObject({ hasPassword: false });
    const again = refusal(() => when(given([invited]), command));
    expect([again.code, again.reasons, again.status, again.field]).toEqual(['USER_EXISTS', ['the account already exists'], 409, undefined]);
  });

  it('an invitation starts an account as invited, unverified and without a password', () => {
    expect(given([invited])).toEqual({ status: 'invited', userId, role: 'auditor', emailVerified: false, hasPassword: false, consecutiveFailures: 0, lockedUntil: null, apiKeys: {} });
    const refused = refusal(() => when(given([registered]), { type: 'Invite', ...(invited.data as { userId: string; email: never; name: never; emailDigest: string; role: 'auditor' }) }));
    expect([refused.code, refused.reasons]).toEqual(['USER_EXISTS', ['an account with this address already exists']]);
  });

  it('every command but registration and invitation needs an account', () => {
    const commands: UserCommand[] = [
      { type: 'AcceptInvitation', passwordHash: sealed('h') },
      { type: 'VerifyEmail' },
      attempt(true),
      { type: 'RecordSsoLogin', sessionId, ip: null, userAgent: null },
      { type: 'SetPassword', passwordHash: sealed('h'), via: 'change' },
      { type: 'ChangeRole', to: 'admin' },
      { type: 'Deactivate', reason: 'x' },
      { type: 'Reactivate' },
      { type: 'DetectTokenReuse', sessionId },
      { type: 'CreateApiKey', keyId: 'k', name: 'n', prefix: 'p', digest: 'd', permissions: [], expiresAt: null },
      { type: 'RevokeApiKey', keyId: 'k' },
    ];
    for (const command of commands) {
      const refused = refusal(() => when(given([]), command));
      expect([refused.code, refused.reasons, refused.status]).toEqual(['USER_NOT_FOUND', ['no such user'], 422]);
    }
  });

  it('accepting a non-pending invitation is refused with its reason', () => {
    const refused = refusal(() => when(given([registered]), { type: 'AcceptInvitation', passwordHash: sealed('h') }));
    expect([refused.code, refused.reasons, refused.status]).toEqual(['INVITATION_NOT_PENDING', ['the invitation was accepted or withdrawn'], 409]);
  });

  it('verifies an address once', () => {
    expect(when(given([registered]), { type: 'VerifyEmail' })).toEqual([verified]);
    expect(when(given([registered, verified]), { type: 'VerifyEmail' })).toEqual([]);
    expect(given([registered, verified])).toMatchObject({ emailVerified: true });
  });

  it('events before the account exists change nothing', () => {
    expect(given([verified, deactivated, keyCreated('k')])).toEqual({ status: 'none' });
  });
});

describe('user decider: signing in', () => {
  it('a successful password sign-in records the session, the method, the address and the agent', () => {
    expect(when(given([registered, verified]), attempt(true))).toEqual([{ type: 'user.logged-in', data: { userId, sessionId, method: 'password', ip, userAgent: agent } }]);
  });

  it('the right password on an account without one (signed up by SSO) is a wrong password', () => {
    expect(when(given([ssoRegistered, verified]), attempt(true))).toEqual([{ type: 'user.login-failed', data: { userId, reason: 'wrong-password', consecutiveFailures: 1 } }]);
  });

  it('a deactivated account fails as deactivated, keeping its failure count', () => {
    const history = [registered, verified, ...when(given([registered, verified]), attempt(false)), deactivated];
    expect(when(given(history), attempt(true))).toEqual([{ type: 'user.login-failed', data: { userId, reason: 'deactivated', consecutiveFailures: 1 } }]);
    expect(when(given(history), { type: 'RecordSsoLogin', sessionId, ip: null, userAgent: null })).toEqual([{ type: 'user.login-failed', data: { userId, reason: 'deactivated', consecutiveFailures: 1 } }]);
  });

  it('the lockout event carries its end and the failure count; the lock holds until exactly its end', () => {
    const failures: UserEvent[] = Array.from({ length: LOCKOUT_THRESHOLD - 1 }, (_, i) => ({ type: 'user.login-failed', data: { userId, reason: 'wrong-password', consecutiveFailures: i + 1 } }));
    const history = [registered, verified, ...failures];
    const until = new Date(now.getTime() + LOCKOUT_COOL_DOWN_MS).toISOString();
    expect(LOCKOUT_THRESHOLD).toBe(5);
    expect(LOCKOUT_COOL_DOWN_MS).toBe(900_000);
    expect(when(given(history), attempt(false))).toEqual([
      { type: 'user.login-failed', data: { userId, reason: 'wrong-password', consecutiveFailures: 5 } },
      { type: 'user.locked-out', data: { userId, until, consecutiveFailures: 5 } },
    ]);
    const locked = [...history, ...when(given(history), attempt(false))];
    expect(given(locked)).toMatchObject({ lockedUntil: until, consecutiveFailures: 0 });
    const justBefore = new Date(now.getTime() + LOCKOUT_COOL_DOWN_MS - 1);
    expect(when(given(locked), attempt(true), justBefore)).toEqual([{ type: 'user.login-failed', data: { userId, reason: 'locked-out', consecutiveFailures: 0 } }]);
    const atTheEnd = new Date(now.getTime() + LOCKOUT_COOL_DOWN_MS);
    expect(when(given(locked), attempt(true), atTheEnd)[0]!.type).toBe('user.logged-in');
    // Signing in clears the lock.
    expect(given([...locked, ...when(given(locked), attempt(true), atTheEnd)])).toMatchObject({ lockedUntil: null, consecutiveFailures: 0 });
  });

  it('a wrong password on an unverified account counts as a failure; the right one is refused as unverified', () => {
    expect(when(given([registered]), attempt(false))).toEqual([{ type: 'user.login-failed', data: { userId, reason: 'wrong-password', consecutiveFailures: 1 } }]);
    expect(when(given([registered]), attempt(true))).toEqual([{ type: 'user.login-failed', data: { userId, reason: 'unverified', consecutiveFailures: 0 } }]);
  });

  it('an SSO sign-in records its session even on an unverified account; a pending invitee is refused as unverified', () => {
    expect(when(given([ssoRegistered]), { type: 'RecordSsoLogin', sessionId, ip, userAgent: agent })).toEqual([{ type: 'user.logged-in', data: { userId, sessionId, method: 'sso', ip, userAgent: agent } }]);
    expect(when(given([invited]), { type: 'RecordSsoLogin', sessionId, ip, userAgent: agent })).toEqual([{ type: 'user.login-failed', data: { userId, reason: 'unverified', consecutiveFailures: 0 } }]);
  });
});

describe('user decider: credentials, role, status, keys', () => {
  it('a password change records how it was set, and clears failures and a lock', () => {
    const locked: UserEvent = { type: 'user.locked-out', data: { userId, until: '2026-11-22T10:15:00.000Z', consecutiveFailures: 5 } };
    const failed: UserEvent = { type: 'user.login-failed', data: { userId, reason: 'wrong-password', consecutiveFailures: 2 } };
    const history = [ssoRegistered, verified, locked, failed];
    expect(when(given(history), { type: 'SetPassword', passwordHash: sealed('h2'), via: 'reset' })).toEqual([{ type: 'user.password-changed', data: { userId, passwordHash: sealed('h2'), via: 'reset' } }]);
    expect(given([...history, { type: 'user.password-changed', data: { userId, passwordHash: sealed('h2'), via: 'reset' } }])).toMatchObject({ hasPassword: true, consecutiveFailures: 0, lockedUntil: null });
    const refused = refusal(() => when(given([registered, deactivated]), { type: 'SetPassword', passwordHash: sealed('h2'), via: 'change' }));
    expect([refused.code, refused.reasons, refused.status]).toEqual(['USER_DEACTIVATED', ['the account is deactivated'], 409]);
    const pending = refusal(() => when(given([invited]), { type: 'SetPassword', passwordHash: sealed('h2'), via: 'reset' }));
    expect([pending.code, pending.reasons]).toEqual(['INVITATION_PENDING', ['the invitee sets a password by accepting the invitation']]);
  });

  it('a role change moves the role', () => {
    expect(given([registered, { type: 'user.role-changed', data: { userId, from: 'data_scientist', to: 'admin' } }])).toMatchObject({ role: 'admin' });
  });

  it('deactivates with the reason, once; reactivates only a deactivated account', () => {
    expect(when(given([registered]), { type: 'Deactivate', reason: 'left' })).toEqual([deactivated]);
    expect(when(given([registered, deactivated]), { type: 'Deactivate', reason: 'again' })).toEqual([]);
    expect(given([registered, deactivated])).toMatchObject({ status: 'deactivated' });
    expect(when(given([registered]), { type: 'Reactivate' })).toEqual([]);
    expect(given([registered, deactivated, { type: 'user.reactivated', data: { userId } }])).toMatchObject({ status: 'active' });
  });

  it('a reused refresh token is recorded with its session, changing nothing else', () => {
    const event: UserEvent = { type: 'user.token-reuse-detected', data: { userId, sessionId } };
    expect(when(given([registered]), { type: 'DetectTokenReuse', sessionId })).toEqual([event]);
    const state = given([registered]);
    expect(userDecider.evolve(state, event)).toBe(state);
  });

  it('creates a key with every detail; refuses on a deactivated account or a pending invitation, with reasons', () => {
    const command: UserCommand = { type: 'CreateApiKey', keyId: 'k1', name: 'ci', prefix: 'p', digest: 'b'.repeat(64), permissions: ['models:read'], expiresAt: null };
    expect(when(given([registered]), command)).toEqual([keyCreated('k1')]);
    expect(given([registered, keyCreated('k1')])).toMatchObject({ apiKeys: { k1: { revoked: false } } });
    const off = refusal(() => when(given([registered, deactivated]), command));
    expect([off.code, off.reasons, off.status]).toEqual(['USER_DEACTIVATED', ['the account is deactivated'], 409]);
    const pending = refusal(() => when(given([invited]), command));
    expect([pending.code, pending.reasons]).toEqual(['INVITATION_PENDING', ['the invitation has not been accepted yet']]);
  });

  it(`the ${MAX_ACTIVE_API_KEYS}th key is allowed, the next is refused with the limit; revoked keys do not count`, () => {
    expect(MAX_ACTIVE_API_KEYS).toBe(25);
    const keys = Array.from({ length: MAX_ACTIVE_API_KEYS - 1 }, (_, i) => keyCreated(`k${i}`));
    const command: UserCommand = { type: 'CreateApiKey', keyId: 'new', name: 'ci', prefix: 'p', digest: 'b'.repeat(64), permissions: ['models:read'], expiresAt: null };
    expect(when(given([registered, ...keys]), command)).toHaveLength(1);
    const full = refusal(() => when(given([registered, ...keys, keyCreated('last')]), command));
    expect([full.code, full.reasons, full.status]).toEqual(['TOO_MANY_API_KEYS', ['at most 25 active API keys per account; revoke one first'], 409]);
    expect(when(given([registered, ...keys, keyCreated('last'), { type: 'user.api-key-revoked', data: { userId, keyId: 'k3' } }]), command)).toHaveLength(1);
  });

  it('revokes a key by id with the user named; an unknown key is refused', () => {
    expect(when(given([registered, keyCreated('k1'), keyCreated('k2')]), { type: 'RevokeApiKey', keyId: 'k2' })).toEqual([{ type: 'user.api-key-revoked', data: { userId, keyId: 'k2' } }]);
    expect(given([registered, keyCreated('k1'), keyCreated('k2'), { type: 'user.api-key-revoked', data: { userId, keyId: 'k2' } }])).toMatchObject({ apiKeys: { k1: { revoked: false }, k2: { revoked: true } } });
    const unknown = refusal(() => when(given([registered, keyCreated('k1')]), { type: 'RevokeApiKey', keyId: 'k9' }));
    expect([unknown.code, unknown.reasons, unknown.status]).toEqual(['API_KEY_NOT_FOUND', ['no such API key'], 422]);
  });
});
