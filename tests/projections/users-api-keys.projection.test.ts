import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listUsers, users } from '../../src/projections/users.projection.js';
import { apiKeys, findApiKey, findApiKeyByDigest, listApiKeys, pageOfApiKeys } from '../../src/projections/api-keys.projection.js';
import { openTestDatabase, type TestDatabase } from '../support/test-database.js';
import { freshTables, applyAll, project, secondIso, sequence } from './read-model-harness.js';

const U1 = '00000000-0000-4000-8000-0000000000a1';
const U2 = '00000000-0000-4000-8000-0000000000a2';
const U3 = '00000000-0000-4000-8000-0000000000a3';
const K1 = '00000000-0000-4000-8000-0000000000b1';
const K2 = '00000000-0000-4000-8000-0000000000b2';
const K3 = '00000000-0000-4000-8000-0000000000b3';

const registered = (userId: string, over: Record<string, unknown> = {}) => ['user.registered', { userId, email: `${userId.slice(-2)}@example.org`, emailDigest: `digest-${userId}`, name: `User ${userId.slice(-2)}`, role: 'viewer', passwordHash: 'hash-1', ...over }] as [string, Record<string, unknown>];

const userRow = async (db: TestDatabase, userId: string) => (await db.knex('users').where('user_id', userId).first()) as Record<string, unknown>;

describe('users read model on postgres', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase('postgres', { migrate: false });
  });
  afterAll(async () => db.drop());

  it('registers an active account with its password, invites one without, and an invitation accepted activates it', async () => {
    await project(db.knex, users, sequence([registered(U1), ['user.invited', { userId: U2, email: 'a2@example.org', emailDigest: 'digest-2', name: 'Invitee', role: 'admin', passwordHash: 'ignored' }], registered(U3, { passwordHash: null })]));
    expect((await listUsers(db.knex, { limit: 10, offset: 0 })).users).toEqual([
      { userId: U1, email: 'a1@example.org', name: 'User a1', role: 'viewer', status: 'active', emailVerified: false, passwordHash: 'hash-1', lockedUntil: null, lastLoginAt: null, createdAt: secondIso(0) },
      { userId: U2, email: 'a2@example.org', name: 'Invitee', role: 'admin', status: 'invited', emailVerified: false, passwordHash: null, lockedUntil: null, lastLoginAt: null, createdAt: secondIso(1) },
      { userId: U3, email: 'a3@example.org', name: 'User a3', role: 'viewer', status: 'active', emailVerified: false, passwordHash: null, lockedUntil: null, lastLoginAt: null, createdAt: secondIso(2) },
    ]);
    expect(await userRow(db, U1)).toMatchObject({ email_digest: `digest-${U1}`, consecutive_failures: 0 });
    expect(new Date((await userRow(db, U1)).updated_at as string).toISOString()).toBe(secondIso(0));

    await applyAll(db.knex, users, sequence([['user.invitation-accepted', { userId: U2, passwordHash: 'hash-2' }, { at: secondIso(10), position: 4 }]]));
    const accepted = await userRow(db, U2);
    expect(accepted).toMatchObject({ status: 'active', email_verified: true, password_hash: 'hash-2' });
    expect(new Date(accepted.updated_at as string).toISOString()).toBe(secondIso(10));
  });

  it('follows sign-in: failures counted, a lock-out, a login clearing both, a password change clearing the lock', async () => {
    await freshTables(db.knex, users);
    const step = async (type: string, data: Record<string, unknown>, second: number) => {
      await applyAll(db.knex, users, sequence([[type, { userId: U1, ...data }, { at: secondIso(second), position: second }]]));
      const r = await userRow(db, U1);
      return { failures: r.consecutive_failures, locked: r.locked_until === null ? null : new Date(r.locked_until as string).toISOString(), last: r.last_login_at === null ? null : new Date(r.last_login_at as string).toISOString(), updated: new Date(r.updated_at as string).toISOString(), hash: r.password_hash, verified: r.email_verified };
    };
    await applyAll(db.knex, users, sequence([registered(U1)]));
    expect(await step('user.login-failed', { consecutiveFailures: 3 }, 1)).toEqual({ failures: 3, locked: null, last: null, updated: secondIso(1), hash: 'hash-1', verified: false });
    expect(await step('user.locked-out', { until: secondIso(600) }, 2)).toEqual({ failures: 0, locked: secondIso(600), last: null, updated: secondIso(2), hash: 'hash-1', verified: false });
    expect(await step('user.login-failed', { consecutiveFailures: 1 }, 3)).toMatchObject({ failures: 1, locked: secondIso(600) });
    expect(await step('user.logged-in', {}, 4)).toEqual({ failures: 0, locked: null, last: secondIso(4), updated: secondIso(4), hash: 'hash-1', verified: false });
    await step('user.login-failed', { consecutiveFailures: 2 }, 5);
    await step('user.locked-out', { until: secondIso(900) }, 6);
    await step('user.login-failed', { consecutiveFailures: 4 }, 7);
    expect(await step('user.password-changed', { passwordHash: 'hash-new' }, 8)).toEqual({ failures: 0, locked: null, last: secondIso(4), updated: secondIso(8), hash: 'hash-new', verified: false });
    expect(await step('user.email-verified', {}, 9)).toMatchObject({ verified: true, updated: secondIso(9) });
    const [listed] = (await listUsers(db.knex, { limit: 1, offset: 0 })).users;
    expect(listed).toMatchObject({ lastLoginAt: secondIso(4), lockedUntil: null, emailVerified: true, passwordHash: 'hash-new' });
    await step('user.locked-out', { until: secondIso(1200) }, 10);
    expect((await listUsers(db.knex, { limit: 1, offset: 0 })).users[0]!.lockedUntil).toBe(secondIso(1200));
  });

  it('changes roles, deactivates and reactivates, and erases a user (only a user: other subjects are skipped)', async () => {
    await project(db.knex, users, sequence([registered(U1), registered(U2)]));
    const status = async () => (await listUsers(db.knex, { limit: 10, offset: 0 })).users.map((u) => [u.status, u.role, u.email, u.name, u.passwordHash]);
    await applyAll(db.knex, users, sequence([['user.role-changed', { userId: U1, from: 'viewer', to: 'admin' }, { at: secondIso(5), position: 3 }]]));
    expect(new Date((await userRow(db, U1)).updated_at as string).toISOString()).toBe(secondIso(5));
    await applyAll(db.knex, users, sequence([['user.deactivated', { userId: U2 }, { at: secondIso(6), position: 4 }]]));
    expect(await status()).toEqual([
      ['active', 'admin', 'a1@example.org', 'User a1', 'hash-1'],
      ['deactivated', 'viewer', 'a2@example.org', 'User a2', 'hash-1'],
    ]);
    expect(new Date((await userRow(db, U2)).updated_at as string).toISOString()).toBe(secondIso(6));
    await applyAll(db.knex, users, sequence([['user.reactivated', { userId: U2 }, { at: secondIso(7), position: 5 }]]));
    expect((await status())[1]![0]).toBe('active');
    expect(new Date((await userRow(db, U2)).updated_at as string).toISOString()).toBe(secondIso(7));
    await applyAll(db.knex, users, sequence([['privacy.subject-erased', { subjectId: 'note-author' }, { position: 6 }], ['privacy.subject-erased', { subjectId: `x${U1}` }, { position: 7 }]]));
    expect((await status())[0]).toEqual(['active', 'admin', 'a1@example.org', 'User a1', 'hash-1']);
    await applyAll(db.knex, users, sequence([['privacy.subject-erased', { subjectId: U1.toUpperCase() }, { at: secondIso(8), position: 8 }]]));
    await applyAll(db.knex, users, sequence([['privacy.subject-erased', { subjectId: U1 }, { at: secondIso(9), position: 9 }]]));
    expect(await status()).toEqual([
      ['erased', 'admin', '[redacted]', '[redacted]', null],
      ['active', 'viewer', 'a2@example.org', 'User a2', 'hash-1'],
    ]);
    expect(new Date((await userRow(db, U1)).updated_at as string).toISOString()).toBe(secondIso(9));
  });

  it('lists accounts after a given id, in the asked order, with the total of the matches', async () => {
    await project(db.knex, users, sequence([registered(U2, { role: 'admin' }), registered(U3), registered(U1, { role: 'auditor' })]));
    const ids = async (options: Parameters<typeof listUsers>[1]) => {
      const { users: list, total } = await listUsers(db.knex, options);
      return { ids: list.map((u) => u.userId), total };
    };
    expect(await ids({ limit: 10, offset: 0 })).toEqual({ ids: [U1, U2, U3], total: 3 });
    expect(await ids({ limit: 10, offset: 0, afterUserId: U1 })).toEqual({ ids: [U2, U3], total: 2 });
    expect(await ids({ limit: 1, offset: 0, afterUserId: U1 })).toEqual({ ids: [U2], total: 2 });
    expect(await ids({ limit: 10, offset: 0, sort: 'createdAt', order: 'desc' })).toEqual({ ids: [U1, U3, U2], total: 3 });
    expect(await ids({ limit: 10, offset: 1, sort: 'role', order: 'asc' })).toEqual({ ids: [U1, U3], total: 3 });
  });
});

const created = (keyId: string, userId: string, second: number, over: Record<string, unknown> = {}) =>
  ['user.api-key-created', { keyId, userId, name: `key ${keyId.slice(-2)}`, prefix: `raia_${keyId.slice(-2)}`, digest: `digest-${keyId}`, permissions: ['models:read', 'datasets:read'], expiresAt: secondIso(86_400), ...over }, { at: secondIso(second), position: second }] as [string, Record<string, unknown>, { at: string; position: number }];

describe('API keys read model on postgres', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase('postgres', { migrate: false });
  });
  afterAll(async () => db.drop());

  const setUp = async () => {
    await project(db.knex, users, sequence([registered(U1, { role: 'data_scientist' })]));
    await project(db.knex, apiKeys, sequence([created(K1, U1, 1), created(K2, U1, 2, { expiresAt: null, name: 'a first by name' }), created(K3, U2, 3, { expiresAt: undefined }), ['user.api-key-revoked', { keyId: K1, userId: U1 }, { at: secondIso(4), position: 4 }]]));
  };
  const k1 = { keyId: K1, userId: U1, name: 'key b1', prefix: 'raia_b1', permissions: ['models:read', 'datasets:read'], expiresAt: secondIso(86_400), createdAt: secondIso(1), revokedAt: secondIso(4) };
  const k2 = { keyId: K2, userId: U1, name: 'a first by name', prefix: 'raia_b2', permissions: ['models:read', 'datasets:read'], expiresAt: null, createdAt: secondIso(2), revokedAt: null };

  it('records created keys (no expiry when none is given) and their revocation', async () => {
    await setUp();
    expect(await findApiKey(db.knex, K1)).toEqual(k1);
    expect(await findApiKey(db.knex, K2)).toEqual(k2);
    expect(await findApiKey(db.knex, K3)).toMatchObject({ userId: U2, expiresAt: null, revokedAt: null });
    expect(await findApiKey(db.knex, '00000000-0000-4000-8000-0000000000ff')).toBeNull();
    expect((await db.knex('api_keys').where('key_id', K1).first()).digest).toBe(`digest-${K1}`);
  });

  it('lists a user’s keys newest first, revoked included, and pages them in the asked order', async () => {
    await setUp();
    expect(await listApiKeys(db.knex, U1)).toEqual([k2, k1]);
    expect(await listApiKeys(db.knex, U3)).toEqual([]);
    expect(await pageOfApiKeys(db.knex, U1, { limit: 1, offset: 0 })).toEqual({ apiKeys: [k2], total: 2 });
    expect(await pageOfApiKeys(db.knex, U1, { limit: 5, offset: 0, sort: 'name', order: 'desc' })).toEqual({ apiKeys: [k1, k2], total: 2 });
    expect(await pageOfApiKeys(db.knex, U2, { limit: 5, offset: 0 })).toEqual({ apiKeys: [expect.objectContaining({ keyId: K3 })], total: 1 });
  });

  it('finds a key by its digest with its owner’s current role and status, and none for an unknown digest or an owner without account', async () => {
    await setUp();
    expect(await findApiKeyByDigest(db.knex, `digest-${K2}`)).toEqual({ ...k2, digest: `digest-${K2}`, ownerRole: 'data_scientist', ownerStatus: 'active' });
    expect(await findApiKeyByDigest(db.knex, 'digest-nothing')).toBeNull();
    expect(await findApiKeyByDigest(db.knex, `digest-${K3}`)).toBeNull();
  });
});
