import { describe, expect, it } from 'vitest';
import { CommandRefused } from '../../src/commands/decider.js';
import { LOCKOUT_COOL_DOWN_MS, LOCKOUT_THRESHOLD, MAX_ACTIVE_API_KEYS, userDecider, type Role, type UserCommand, type UserEvent, type UserState } from '../../src/commands/user/user.decider.js';
import { systemActor } from '../../src/events/envelope.js';

const sealed = (s: string) => ({ $pii: 'v1' as const, subject: 'u1', iv: 'iv', ct: s, tag: 't' });
const userId = '0193f0c2-0000-7000-8000-000000000001';
const sessionId = '0193f0c2-0000-7000-8000-0000000000aa';
const now = new Date('2026-11-22T10:00:00Z');
const ctx = { now, actor: systemActor() };

const given = (events: UserEvent[]): UserState => events.reduce(userDecider.evolve, userDecider.initialState());
const when = (state: UserState, command: UserCommand, at = now) => userDecider.decide(command, state, { ...ctx, now: at });

const registered: UserEvent = {
  type: 'user.registered',
  data: { userId, email: sealed('e'), name: sealed('n'), passwordHash: sealed('h'), emailDigest: 'a'.repeat(64), role: 'data_scientist', method: 'self-service' },
};
const verified: UserEvent = { type: 'user.email-verified', data: { userId } };
const attempt = (passwordValid: boolean): UserCommand => ({ type: 'AttemptPasswordLogin', passwordValid, sessionId, ip: null, userAgent: null });

describe('user decider', () => {
  it('registers once, verified at once when the method vouches for the address', () => {
    const cmd: UserCommand = { type: 'Register', ...registered.data, emailVerified: true } as UserCommand;
    expect(when(given([]), cmd).map((e) => e.type)).toEqual(['user.registered', 'user.email-verified']);
    expect(() => when(given([registered]), cmd)).toThrow(CommandRefused);
  });

  it('refuses login before the e-mail is verified, and signs in after', () => {
    expect(when(given([registered]), attempt(true))).toEqual([{ type: 'user.login-failed', data: { userId, reason: 'unverified', consecutiveFailures: 0 } }]);
    expect(when(given([registered, verified]), attempt(true))[0]!.type).toBe('user.logged-in');
  });

  it(`locks out after ${LOCKOUT_THRESHOLD} consecutive failures, refuses even the right password during the cool-down, then lets it in`, () => {
    let history: UserEvent[] = [registered, verified];
    for (let i = 1; i < LOCKOUT_THRESHOLD; i++) {
      const events = when(given(history), attempt(false));
      expect(events).toEqual([{ type: 'user.login-failed', data: { userId, reason: 'wrong-password', consecutiveFailures: i } }]);
      history = [...history, ...events];
    }
    const locking = when(given(history), attempt(false));
    expect(locking.map((e) => e.type)).toEqual(['user.login-failed', 'user.locked-out']);
    expect(locking[1]!.data).toMatchObject({ until: new Date(now.getTime() + LOCKOUT_COOL_DOWN_MS).toISOString() });
    history = [...history, ...locking];
    expect(when(given(history), attempt(true))[0]).toMatchObject({ type: 'user.login-failed', data: { reason: 'locked-out' } });
    const later = new Date(now.getTime() + LOCKOUT_COOL_DOWN_MS + 1);
    expect(when(given(history), attempt(true), later)[0]!.type).toBe('user.logged-in');
  });

  it('starts counting afresh after a lockout: one wrong password after the cool-down is one failure, not another lockout', () => {
    let history: UserEvent[] = [registered, verified];
    for (let i = 0; i < LOCKOUT_THRESHOLD; i++) history = [...history, ...when(given(history), attempt(false))];
    expect(history.at(-1)!.type).toBe('user.locked-out');
    history = [...history, ...when(given(history), attempt(false))]; // refused during the cool-down
    const later = new Date(now.getTime() + LOCKOUT_COOL_DOWN_MS + 1);
    expect(when(given(history), attempt(false), later)).toEqual([{ type: 'user.login-failed', data: { userId, reason: 'wrong-password', consecutiveFailures: 1 } }]);
  });

  it('a successful login resets the failure count', () => {
    const history: UserEvent[] = [registered, verified, ...when(given([registered, verified]), attempt(false))];
    const ok = when(given(history), attempt(true));
    expect(given([...history, ...ok])).toMatchObject({ consecutiveFailures: 0 });
  });

  it('a deactivated account cannot sign in or get keys; reactivation restores it', () => {
    const off: UserEvent = { type: 'user.deactivated', data: { userId, reason: 'left' } };
    expect(when(given([registered, verified, off]), attempt(true))[0]).toMatchObject({ data: { reason: 'deactivated' } });
    expect(() => when(given([registered, off]), { type: 'CreateApiKey', keyId: sessionId, name: 'ci', prefix: 'p', digest: 'b'.repeat(64), permissions: ['models:read'], expiresAt: null })).toThrow(CommandRefused);
    expect(when(given([registered, off]), { type: 'Reactivate' })).toEqual([{ type: 'user.reactivated', data: { userId } }]);
  });

  it('changes role only when it differs, and revokes a key once', () => {
    expect(when(given([registered]), { type: 'ChangeRole', to: 'data_scientist' })).toEqual([]);
    expect(when(given([registered]), { type: 'ChangeRole', to: 'auditor' })).toEqual([{ type: 'user.role-changed', data: { userId, from: 'data_scientist', to: 'auditor' } }]);
    const key: UserEvent = { type: 'user.api-key-created', data: { userId, keyId: sessionId, name: 'ci', prefix: 'p', digest: 'b'.repeat(64), permissions: ['models:read'], expiresAt: null } };
    const revoke: UserCommand = { type: 'RevokeApiKey', keyId: sessionId };
    expect(when(given([registered, key]), revoke)).toHaveLength(1);
    expect(when(given([registered, key, { type: 'user.api-key-revoked', data: { userId, keyId: sessionId } }]), revoke)).toEqual([]);
    expect(() => when(given([registered]), revoke)).toThrow(CommandRefused);
  });

  it(`allows at most ${MAX_ACTIVE_API_KEYS} active API keys; revoking one makes room`, () => {
    const keyId = (i: number) => `0193f0c2-0000-7000-8000-${String(i).padStart(12, '0')}`;
    const created = (i: number): UserEvent => ({ type: 'user.api-key-created', data: { userId, keyId: keyId(i), name: `k${i}`, prefix: 'p', digest: 'b'.repeat(64), permissions: ['models:read'], expiresAt: null } });
    const full = [registered, ...Array.from({ length: MAX_ACTIVE_API_KEYS }, (_, i) => created(i))];
    const another: UserCommand = { type: 'CreateApiKey', keyId: keyId(99), name: 'one more', prefix: 'p', digest: 'c'.repeat(64), permissions: ['models:read'], expiresAt: null };
    expect(() => when(given(full), another)).toThrow(/at most/);
    expect(when(given([...full, { type: 'user.api-key-revoked', data: { userId, keyId: keyId(0) } }]), another)).toHaveLength(1);
  });

  describe('invitations', () => {
    const invited: UserEvent = { type: 'user.invited', data: { userId, email: sealed('e'), name: sealed('n'), emailDigest: 'a'.repeat(64), role: 'risk_officer' } };
    const invite = (role: Role = 'risk_officer'): UserCommand => ({ type: 'Invite', ...invited.data, role }) as UserCommand;
    const accept: UserCommand = { type: 'AcceptInvitation', passwordHash: sealed('h') };

    it('invites a new account with its role; inviting the pending invitee again records only a changed role', () => {
      expect(when(given([]), invite())).toEqual([invited]);
      expect(when(given([invited]), invite())).toEqual([]);
      expect(when(given([invited]), invite('auditor'))).toEqual([{ type: 'user.role-changed', data: { userId, from: 'risk_officer', to: 'auditor' } }]);
    });

    it('refuses to invite an existing account, naming the e-mail field', () => {
      for (const history of [[registered], [registered, verified], [invited, { type: 'user.invitation-accepted', data: { userId, passwordHash: sealed('h') } } as UserEvent]]) {
        const refusal = (() => {
          try {
            when(given(history), invite());
          } catch (error) {
            return error;
          }
        })();
        expect(refusal).toBeInstanceOf(CommandRefused);
        expect(refusal).toMatchObject({ code: 'USER_EXISTS', status: 409, field: 'email' });
      }
    });

    it('accepting makes the account active with the invited role, its address verified, and able to sign in; only once', () => {
      const events = when(given([invited]), accept);
      expect(events).toEqual([{ type: 'user.invitation-accepted', data: { userId, passwordHash: sealed('h') } }]);
      const state = given([invited, ...events]);
      expect(state).toMatchObject({ status: 'active', role: 'risk_officer', emailVerified: true, hasPassword: true });
      expect(when(state, attempt(true))[0]!.type).toBe('user.logged-in');
      expect(() => when(state, accept)).toThrow(expect.objectContaining({ code: 'INVITATION_NOT_PENDING' }));
    });

    it('a withdrawn (deactivated) invitation cannot be accepted', () => {
      const withdrawn = given([invited, { type: 'user.deactivated', data: { userId, reason: 'sent to the wrong person' } }]);
      expect(() => when(withdrawn, accept)).toThrow(expect.objectContaining({ code: 'INVITATION_NOT_PENDING' }));
    });

    it('a pending invitee cannot sign in, set a password by reset or get API keys, and reactivation does not activate it', () => {
      const pending = given([invited]);
      expect(when(pending, attempt(true))).toEqual([{ type: 'user.login-failed', data: { userId, reason: 'unverified', consecutiveFailures: 0 } }]);
      expect(when(pending, { type: 'RecordSsoLogin', sessionId, ip: null, userAgent: null })[0]!.type).toBe('user.login-failed');
      expect(() => when(pending, { type: 'SetPassword', passwordHash: sealed('h2'), via: 'reset' })).toThrow(expect.objectContaining({ code: 'INVITATION_PENDING' }));
      expect(() => when(pending, { type: 'CreateApiKey', keyId: sessionId, name: 'k', prefix: 'p', digest: 'd', permissions: ['models:read'], expiresAt: null })).toThrow(expect.objectContaining({ code: 'INVITATION_PENDING' }));
      expect(when(pending, { type: 'Reactivate' })).toEqual([]);
      expect(when(pending, { type: 'VerifyEmail' })).toEqual([]);
    });
  });
});
