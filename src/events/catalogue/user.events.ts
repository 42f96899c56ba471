import { z } from 'zod';
import type { JsonObject } from '../envelope.js';
import { defineEvent, type Upcaster } from '../event-catalogue.js';
import { credential, personal } from '../field-classification.js';

/** A personal field as the ledger stores it: ciphertext under the user's subject key (personal-data.ts). */
export const sealedField = z.object({ $pii: z.literal('v1'), subject: z.string(), iv: z.string(), ct: z.string(), tag: z.string() });

const role = z.enum(['admin', 'risk_officer', 'data_scientist', 'auditor', 'viewer']);
const digest = z.string().regex(/^[0-9a-f]{64}$/);

export const userRegistered = defineEvent({
  type: 'user.registered',
  schemaVersion: 1,
  schema: z.object({
    userId: z.uuid(),
    email: personal(sealedField),
    name: personal(sealedField),
    /** argon2id PHC string, sealed too: erasure must leave nothing that could be cracked. */
    passwordHash: credential(sealedField).nullable(),
    /** Keyed digest of the normalised e-mail, for uniqueness and lookup without the address. */
    emailDigest: digest,
    role,
    method: z.enum(['self-service', 'admin-bootstrap', 'sso']),
  }),
  description: 'An account was created. E-mail, name and password hash are sealed under the user\'s subject key.',
});

export const userInvited = defineEvent({
  type: 'user.invited',
  schemaVersion: 1,
  schema: z.object({ userId: z.uuid(), email: personal(sealedField), name: personal(sealedField), emailDigest: digest, role }),
  description: 'An administrator invited someone with a role: the account exists, waiting for the invitee to set a password with the mailed link. E-mail and name are sealed under the user\'s subject key.',
});

export const userInvitationAccepted = defineEvent({
  type: 'user.invitation-accepted',
  schemaVersion: 1,
  schema: z.object({ userId: z.uuid(), passwordHash: credential(sealedField) }),
  description: 'The invitee set a password with the mailed link: the account is active and its address verified.',
});

export const userEmailClaimed = defineEvent({
  type: 'user.email-claimed',
  schemaVersion: 1,
  schema: z.object({ userId: z.uuid(), emailDigest: digest }),
  description: 'Reserves an e-mail digest for one account; its stream exists once, so two registrations cannot share an address.',
});

export const userEmailVerified = defineEvent({
  type: 'user.email-verified',
  schemaVersion: 1,
  schema: z.object({ userId: z.uuid() }),
  description: 'The user proved control of the e-mail address.',
});

/** Version 1 kept the user agent in clear, so erasure could not reach it; read through the upcaster below. */
export const userLoggedInV1 = defineEvent({
  type: 'user.logged-in',
  schemaVersion: 1,
  schema: z.object({ userId: z.uuid(), sessionId: z.uuid(), method: z.enum(['password', 'sso']), ip: personal(sealedField).nullable(), userAgent: personal(z.string().max(300)).nullable() }),
  description: 'A session started (version 1: user agent in clear).',
});

export const userLoggedIn = defineEvent({
  type: 'user.logged-in',
  schemaVersion: 2,
  schema: z.object({ userId: z.uuid(), sessionId: z.uuid(), method: z.enum(['password', 'sso']), ip: personal(sealedField).nullable(), userAgent: personal(sealedField).nullable() }),
  description: 'A session started. IP address and user agent are sealed under the user\'s subject key.',
});

/**
 * A version-1 user agent cannot be sealed on replay (an upcaster has no keys), and reading it as
 * if it were sealed would be false: replay reads it as unknown. The clear text stays in the stored
 * version-1 event, which the hash chain covers (docs/privacy.md).
 */
export const userLoggedInV1Upcaster: Upcaster = { type: 'user.logged-in', fromVersion: 1, upcast: (data: JsonObject): JsonObject => ({ ...data, userAgent: null }) };

export const userLoginFailed = defineEvent({
  type: 'user.login-failed',
  schemaVersion: 1,
  schema: z.object({ userId: z.uuid(), reason: z.enum(['wrong-password', 'locked-out', 'deactivated', 'unverified']), consecutiveFailures: z.number().int().nonnegative() }),
  description: 'A password login for an existing account failed.',
});

export const userLockedOut = defineEvent({
  type: 'user.locked-out',
  schemaVersion: 1,
  schema: z.object({ userId: z.uuid(), until: z.iso.datetime(), consecutiveFailures: z.number().int().positive() }),
  description: 'Too many consecutive failures: password logins are refused until the cool-down ends.',
});

export const userPasswordChanged = defineEvent({
  type: 'user.password-changed',
  schemaVersion: 1,
  schema: z.object({ userId: z.uuid(), passwordHash: credential(sealedField), via: z.enum(['change', 'reset', 'rehash']) }),
  description: 'A new password hash was set: a new password (change: other sessions revoked; reset: all revoked), or the same password re-hashed with current parameters at sign-in (rehash).',
});

export const userRoleChanged = defineEvent({
  type: 'user.role-changed',
  schemaVersion: 1,
  schema: z.object({ userId: z.uuid(), from: role, to: role }),
  description: 'An administrator changed the user\'s role.',
});

export const userDeactivated = defineEvent({
  type: 'user.deactivated',
  schemaVersion: 1,
  schema: z.object({ userId: z.uuid(), reason: z.string().max(500) }),
  description: 'The account can no longer sign in; its sessions and keys stop working.',
});

export const userReactivated = defineEvent({
  type: 'user.reactivated',
  schemaVersion: 1,
  schema: z.object({ userId: z.uuid() }),
  description: 'A deactivated account may sign in again.',
});

export const userTokenReuseDetected = defineEvent({
  type: 'user.token-reuse-detected',
  schemaVersion: 1,
  schema: z.object({ userId: z.uuid(), sessionId: z.uuid() }),
  description: 'A refresh token was presented after it had been rotated: the whole session (token family) was revoked.',
});

export const userApiKeyCreated = defineEvent({
  type: 'user.api-key-created',
  schemaVersion: 1,
  schema: z.object({ userId: z.uuid(), keyId: z.uuid(), name: z.string().min(1).max(100), prefix: z.string(), digest: credential(digest), permissions: z.array(z.string()).min(1), expiresAt: z.iso.datetime().nullable() }),
  description: 'A service-account API key was created; only its digest is kept.',
});

export const userApiKeyRevoked = defineEvent({
  type: 'user.api-key-revoked',
  schemaVersion: 1,
  schema: z.object({ userId: z.uuid(), keyId: z.uuid() }),
  description: 'An API key was revoked.',
});

export const userSsoIdentityLinked = defineEvent({
  type: 'user.sso-identity-linked',
  schemaVersion: 1,
  schema: z.object({ userId: z.uuid(), provider: z.string().min(1).max(100), identityDigest: digest }),
  description: 'An identity at a single sign-on provider (keyed digest of issuer and subject) was linked to the account; its stream exists once, so an identity signs in to one account only.',
});

export const userEvents = [
  userRegistered,
  userInvited,
  userInvitationAccepted,
  userEmailClaimed,
  userEmailVerified,
  userLoggedInV1,
  userLoggedIn,
  userLoginFailed,
  userLockedOut,
  userPasswordChanged,
  userRoleChanged,
  userDeactivated,
  userReactivated,
  userTokenReuseDetected,
  userApiKeyCreated,
  userApiKeyRevoked,
  userSsoIdentityLinked,
];
