import type { Knex } from '../platform/database.js';
import { defineProjection } from './projection.js';
import { listOrder, sortedPage, type PageRequest } from './sorted-page.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Accounts as sign-in and administration need them. Personal fields arrive decrypted from the
 * runner, or `[redacted]` once the user is erased, so a rebuild after erasure forgets them.
 */
export const users = defineProjection({
  name: 'users',
  version: 1,
  handles: [
    'user.registered',
    'user.invited',
    'user.invitation-accepted',
    'user.email-verified',
    'user.logged-in',
    'user.login-failed',
    'user.locked-out',
    'user.password-changed',
    'user.role-changed',
    'user.deactivated',
    'user.reactivated',
    'privacy.subject-erased',
  ],
  tables: {
    users: (t) => {
      t.uuid('user_id').primary();
      t.text('email').notNullable();
      t.text('email_digest').notNullable().unique();
      t.text('name').notNullable();
      t.text('role').notNullable();
      t.text('status').notNullable();
      t.boolean('email_verified').notNullable();
      t.text('password_hash');
      t.integer('consecutive_failures').notNullable();
      t.timestamp('locked_until', { useTz: true });
      t.timestamp('last_login_at', { useTz: true });
      t.timestamp('created_at', { useTz: true }).notNullable();
      t.timestamp('updated_at', { useTz: true }).notNullable();
    },
  },
  async apply(trx, events, tables) {
    for (const e of events) {
      const d = e.data as Record<string, unknown>;
      const at = e.occurredAt.toISOString();
      const row = () => trx(tables.users).where('user_id', d.userId as string);
      switch (e.type) {
        case 'user.registered':
        case 'user.invited': {
          // An invited account has no password until the invitee sets one (user.invitation-accepted).
          const registered = e.type === 'user.registered';
          await trx(tables.users).insert({
            user_id: d.userId,
            email: String(d.email),
            email_digest: d.emailDigest,
            name: String(d.name),
            role: d.role,
            status: registered ? 'active' : 'invited',
            email_verified: false,
            password_hash: registered && d.passwordHash !== null ? String(d.passwordHash) : null,
            consecutive_failures: 0,
            created_at: at,
            updated_at: at,
          });
          break;
        }
        case 'user.invitation-accepted':
          await row().update({ status: 'active', email_verified: true, password_hash: String(d.passwordHash), updated_at: at });
          break;
        case 'user.email-verified':
          await row().update({ email_verified: true, updated_at: at });
          break;
        case 'user.logged-in':
          await row().update({ last_login_at: at, consecutive_failures: 0, locked_until: null, updated_at: at });
          break;
        case 'user.login-failed':
          await row().update({ consecutive_failures: d.consecutiveFailures, updated_at: at });
          break;
        case 'user.locked-out':
          await row().update({ locked_until: d.until, consecutive_failures: 0, updated_at: at });
          break;
        case 'user.password-changed':
          await row().update({ password_hash: String(d.passwordHash), consecutive_failures: 0, locked_until: null, updated_at: at });
          break;
        case 'user.role-changed':
          await row().update({ role: d.to, updated_at: at });
          break;
        case 'user.deactivated':
          await row().update({ status: 'deactivated', updated_at: at });
          break;
        case 'user.reactivated':
          await row().update({ status: 'active', updated_at: at });
          break;
        case 'privacy.subject-erased':
          // Subjects are not all users (user ids are UUIDs); erasure of a user ends the account for good.
          if (!UUID.test(String(d.subjectId))) break;
          await trx(tables.users).where('user_id', d.subjectId as string).update({ email: '[redacted]', name: '[redacted]', password_hash: null, status: 'erased', updated_at: at });
          break;
      }
    }
  },
});

export type UserRecord = {
  userId: string;
  email: string;
  name: string;
  role: string;
  status: 'invited' | 'active' | 'deactivated' | 'erased';
  emailVerified: boolean;
  passwordHash: string | null;
  lockedUntil: string | null;
  lastLoginAt: string | null;
  createdAt: string;
};

const toUser = (r: Record<string, unknown>): UserRecord => ({
  userId: r.user_id as string,
  email: r.email as string,
  name: r.name as string,
  role: r.role as string,
  status: r.status as UserRecord['status'],
  emailVerified: Boolean(r.email_verified),
  passwordHash: (r.password_hash as string | null) ?? null,
  lockedUntil: r.locked_until ? new Date(r.locked_until as string).toISOString() : null,
  lastLoginAt: r.last_login_at ? new Date(r.last_login_at as string).toISOString() : null,
  createdAt: new Date(r.created_at as string).toISOString(),
});

/**
 * The account list's sort fields. By id unless asked otherwise: the order the deprecated `after`
 * cursor walks, so a client still paging with it sees every account once.
 */
export const userListOrder = listOrder({ columns: { userId: 'user_id', createdAt: 'created_at', role: 'role', status: 'status' }, unique: 'user_id', defaultSort: 'userId', defaultOrder: 'asc' });

/** One page of accounts (after `afterUserId` in id order when given) and how many match. */
export async function listUsers(knex: Knex, options: PageRequest<keyof typeof userListOrder.columns> & { afterUserId?: string | undefined }): Promise<{ users: UserRecord[]; total: number }> {
  const q = knex('users');
  if (options.afterUserId) q.where('user_id', '>', options.afterUserId);
  const [rows, counted] = await Promise.all([sortedPage(q.clone(), options, userListOrder), q.clone().count({ count: '*' })]);
  return { users: (rows as Record<string, unknown>[]).map(toUser), total: Number((counted as [{ count: string | number }])[0].count) };
}
