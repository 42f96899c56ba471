import type { JsonObject } from '../../events/envelope.js';
import type { SealedField } from '../../events/personal-data.js';
import { CommandRefused, assertNever, type Decider, type DomainEvent } from '../decider.js';
import type { Role } from './roles.js';

export type { Role };
type Sealed = SealedField & JsonObject;

/** Lockout policy (OWASP authentication cheat sheet): a cool-down after repeated failures, not a permanent lock. */
export const LOCKOUT_THRESHOLD = 5;
export const LOCKOUT_COOL_DOWN_MS = 15 * 60_000;
/** Keys are for a few services per account; more usually means keys are not being revoked. */
export const MAX_ACTIVE_API_KEYS = 25;

export type UserCommand =
  | { type: 'Register'; userId: string; email: Sealed; name: Sealed; passwordHash: Sealed | null; emailDigest: string; role: Role; method: 'self-service' | 'admin-bootstrap' | 'sso'; emailVerified: boolean }
  | { type: 'Invite'; userId: string; email: Sealed; name: Sealed; emailDigest: string; role: Role }
  | { type: 'AcceptInvitation'; passwordHash: Sealed }
  | { type: 'VerifyEmail' }
  | { type: 'AttemptPasswordLogin'; passwordValid: boolean; sessionId: string; ip: Sealed | null; userAgent: Sealed | null }
  | { type: 'RecordSsoLogin'; sessionId: string; ip: Sealed | null; userAgent: Sealed | null }
  | { type: 'SetPassword'; passwordHash: Sealed; via: 'change' | 'reset' | 'rehash' }
  | { type: 'ChangeRole'; to: Role }
  | { type: 'Deactivate'; reason: string }
  | { type: 'Reactivate' }
  | { type: 'DetectTokenReuse'; sessionId: string }
  | { type: 'CreateApiKey'; keyId: string; name: string; prefix: string; digest: string; permissions: string[]; expiresAt: string | null }
  | { type: 'RevokeApiKey'; keyId: string };

export type UserEvent =
  | DomainEvent<'user.registered', { userId: string; email: Sealed; name: Sealed; passwordHash: Sealed | null; emailDigest: string; role: Role; method: 'self-service' | 'admin-bootstrap' | 'sso' }>
  | DomainEvent<'user.invited', { userId: string; email: Sealed; name: Sealed; emailDigest: string; role: Role }>
  | DomainEvent<'user.invitation-accepted', { userId: string; passwordHash: Sealed }>
  | DomainEvent<'user.email-verified', { userId: string }>
  | DomainEvent<'user.logged-in', { userId: string; sessionId: string; method: 'password' | 'sso'; ip: Sealed | null; userAgent: Sealed | null }>
  | DomainEvent<'user.login-failed', { userId: string; reason: 'wrong-password' | 'locked-out' | 'deactivated' | 'unverified'; consecutiveFailures: number }>
  | DomainEvent<'user.locked-out', { userId: string; until: string; consecutiveFailures: number }>
  | DomainEvent<'user.password-changed', { userId: string; passwordHash: Sealed; via: 'change' | 'reset' | 'rehash' }>
  | DomainEvent<'user.role-changed', { userId: string; from: Role; to: Role }>
  | DomainEvent<'user.deactivated', { userId: string; reason: string }>
  | DomainEvent<'user.reactivated', { userId: string }>
  | DomainEvent<'user.token-reuse-detected', { userId: string; sessionId: string }>
  | DomainEvent<'user.api-key-created', { userId: string; keyId: string; name: string; prefix: string; digest: string; permissions: string[]; expiresAt: string | null }>
  | DomainEvent<'user.api-key-revoked', { userId: string; keyId: string }>;

export type UserState =
  | { status: 'none' }
  | {
      /** invited: created by an administrator, waiting for the invitee to set a password (no sign-in yet). */
      status: 'invited' | 'active' | 'deactivated';
      userId: string;
      role: Role;
      emailVerified: boolean;
      hasPassword: boolean;
      consecutiveFailures: number;
      lockedUntil: string | null;
      apiKeys: Record<string, { revoked: boolean }>;
    };

export const userStreamId = (userId: string) => `user-${userId}`;

function existing(state: UserState): Exclude<UserState, { status: 'none' }> {
  if (state.status === 'none') throw new CommandRefused('USER_NOT_FOUND', ['no such user'], 422);
  return state;
}

/** An account: registration, verification, sign-in outcomes, credentials, role and keys. */
export const userDecider: Decider<UserCommand, UserEvent, UserState> = {
  category: 'user',
  initialState: () => ({ status: 'none' }),

  decide(command, state, { now }): UserEvent[] {
    switch (command.type) {
      case 'Register': {
        if (state.status !== 'none') throw new CommandRefused('USER_EXISTS', ['the account already exists']);
        const { type: _type, emailVerified, ...data } = command;
        const registered: UserEvent = { type: 'user.registered', data };
        return emailVerified ? [registered, { type: 'user.email-verified', data: { userId: command.userId } }] : [registered];
      }
      case 'Invite': {
        if (state.status === 'none') {
          const { type: _type, ...data } = command;
          return [{ type: 'user.invited', data }];
        }
        // Inviting again a pending invitee re-sends the link (the caller's part) with the role asked for now.
        if (state.status === 'invited') return state.role === command.role ? [] : [{ type: 'user.role-changed', data: { userId: state.userId, from: state.role, to: command.role } }];
        throw new CommandRefused('USER_EXISTS', ['an account with this address already exists'], 409, 'email');
      }
      case 'AcceptInvitation': {
        const user = existing(state);
        if (user.status !== 'invited') throw new CommandRefused('INVITATION_NOT_PENDING', ['the invitation was accepted or withdrawn'], 409);
        return [{ type: 'user.invitation-accepted', data: { userId: user.userId, passwordHash: command.passwordHash } }];
      }
      case 'VerifyEmail': {
        const user = existing(state);
        // An invitee's address is verified by accepting the invitation (the mailed link).
        if (user.status === 'invited') return [];
        return user.emailVerified ? [] : [{ type: 'user.email-verified', data: { userId: user.userId } }];
      }
      case 'AttemptPasswordLogin': {
        const user = existing(state);
        const failed = (reason: 'wrong-password' | 'locked-out' | 'deactivated' | 'unverified', consecutiveFailures = user.consecutiveFailures): UserEvent => ({
          type: 'user.login-failed',
          data: { userId: user.userId, reason, consecutiveFailures },
        });
        if (user.status === 'deactivated') return [failed('deactivated')];
        if (user.status === 'invited') return [failed('unverified')];
        if (user.lockedUntil && new Date(user.lockedUntil) > now) return [failed('locked-out')];
        if (!command.passwordValid || !user.hasPassword) {
          const failures = user.consecutiveFailures + 1;
          const events: UserEvent[] = [failed('wrong-password', failures)];
          if (failures >= LOCKOUT_THRESHOLD) {
            events.push({ type: 'user.locked-out', data: { userId: user.userId, until: new Date(now.getTime() + LOCKOUT_COOL_DOWN_MS).toISOString(), consecutiveFailures: failures } });
          }
          return events;
        }
        if (!user.emailVerified) return [failed('unverified')];
        return [{ type: 'user.logged-in', data: { userId: user.userId, sessionId: command.sessionId, method: 'password', ip: command.ip, userAgent: command.userAgent } }];
      }
      case 'RecordSsoLogin': {
        const user = existing(state);
        if (user.status === 'deactivated') return [{ type: 'user.login-failed', data: { userId: user.userId, reason: 'deactivated', consecutiveFailures: user.consecutiveFailures } }];
        if (user.status === 'invited') return [{ type: 'user.login-failed', data: { userId: user.userId, reason: 'unverified', consecutiveFailures: user.consecutiveFailures } }];
        return [{ type: 'user.logged-in', data: { userId: user.userId, sessionId: command.sessionId, method: 'sso', ip: command.ip, userAgent: command.userAgent } }];
      }
      case 'SetPassword': {
        const user = existing(state);
        if (user.status === 'deactivated') throw new CommandRefused('USER_DEACTIVATED', ['the account is deactivated']);
        if (user.status === 'invited') throw new CommandRefused('INVITATION_PENDING', ['the invitee sets a password by accepting the invitation']);
        return [{ type: 'user.password-changed', data: { userId: user.userId, passwordHash: command.passwordHash, via: command.via } }];
      }
      case 'ChangeRole': {
        const user = existing(state);
        if (user.role === command.to) return [];
        return [{ type: 'user.role-changed', data: { userId: user.userId, from: user.role, to: command.to } }];
      }
      case 'Deactivate': {
        const user = existing(state);
        return user.status === 'deactivated' ? [] : [{ type: 'user.deactivated', data: { userId: user.userId, reason: command.reason } }];
      }
      case 'Reactivate': {
        const user = existing(state);
        return user.status !== 'deactivated' ? [] : [{ type: 'user.reactivated', data: { userId: user.userId } }];
      }
      case 'DetectTokenReuse': {
        const user = existing(state);
        return [{ type: 'user.token-reuse-detected', data: { userId: user.userId, sessionId: command.sessionId } }];
      }
      case 'CreateApiKey': {
        const user = existing(state);
        if (user.status === 'deactivated') throw new CommandRefused('USER_DEACTIVATED', ['the account is deactivated']);
        if (user.status === 'invited') throw new CommandRefused('INVITATION_PENDING', ['the invitation has not been accepted yet']);
        const active = Object.values(user.apiKeys).filter((k) => !k.revoked).length;
        if (active >= MAX_ACTIVE_API_KEYS) throw new CommandRefused('TOO_MANY_API_KEYS', [`at most ${MAX_ACTIVE_API_KEYS} active API keys per account; revoke one first`], 409);
        const { type: _type, ...data } = command;
        return [{ type: 'user.api-key-created', data: { userId: user.userId, ...data } }];
      }
      case 'RevokeApiKey': {
        const user = existing(state);
        const key = user.apiKeys[command.keyId];
        if (!key) throw new CommandRefused('API_KEY_NOT_FOUND', ['no such API key'], 422);
        return key.revoked ? [] : [{ type: 'user.api-key-revoked', data: { userId: user.userId, keyId: command.keyId } }];
      }
      default:
        return assertNever(command);
    }
  },

  evolve(state, event): UserState {
    if (event.type === 'user.invited') {
      return { status: 'invited', userId: event.data.userId, role: event.data.role, emailVerified: false, hasPassword: false, consecutiveFailures: 0, lockedUntil: null, apiKeys: {} };
    }
    if (event.type === 'user.registered') {
      return {
        status: 'active',
        userId: event.data.userId,
        role: event.data.role,
        emailVerified: false,
        hasPassword: event.data.passwordHash !== null,
        consecutiveFailures: 0,
        lockedUntil: null,
        apiKeys: {},
      };
    }
    if (state.status === 'none') return state;
    switch (event.type) {
      case 'user.invitation-accepted':
        return { ...state, status: 'active', emailVerified: true, hasPassword: true };
      case 'user.email-verified':
        return { ...state, emailVerified: true };
      case 'user.logged-in':
        return { ...state, consecutiveFailures: 0, lockedUntil: null };
      case 'user.login-failed':
        return { ...state, consecutiveFailures: event.data.consecutiveFailures };
      case 'user.locked-out':
        return { ...state, lockedUntil: event.data.until, consecutiveFailures: 0 };
      case 'user.password-changed':
        return { ...state, hasPassword: true, consecutiveFailures: 0, lockedUntil: null };
      case 'user.role-changed':
        return { ...state, role: event.data.to };
      case 'user.deactivated':
        return { ...state, status: 'deactivated' };
      case 'user.reactivated':
        return { ...state, status: 'active' };
      case 'user.api-key-created':
        return { ...state, apiKeys: { ...state.apiKeys, [event.data.keyId]: { revoked: false } } };
      case 'user.api-key-revoked':
        return { ...state, apiKeys: { ...state.apiKeys, [event.data.keyId]: { revoked: true } } };
      case 'user.token-reuse-detected':
        return state;
      default:
        return assertNever(event);
    }
  },
};
