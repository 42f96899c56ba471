import type { Knex } from '../platform/database.js';
import { listOrder, sortedPage, type PageRequest } from './sorted-page.js';
import { defineProjection } from './projection.js';

/** Each user's notifications (read, unread, deleted) and notification preferences. */
export const notifications = defineProjection({
  name: 'notifications',
  version: 1,
  handles: ['notification.raised', 'notification.read', 'notification.all-read', 'notification.deleted', 'notification.preferences-set'],
  tables: {
    notifications: (t) => {
      t.uuid('notification_id').primary();
      t.text('recipient_id').notNullable();
      t.text('kind').notNullable();
      t.text('title').notNullable();
      t.text('subject_type').notNullable();
      t.text('subject_id').notNullable();
      t.jsonb('channels').notNullable();
      t.bigInteger('raised_position').notNullable();
      t.timestamp('raised_at', { useTz: true }).notNullable();
      t.timestamp('read_at', { useTz: true });
      t.boolean('deleted').notNullable().defaultTo(false);
      t.index(['recipient_id', 'raised_position']);
    },
    notification_preferences: (t) => {
      t.text('user_id').primary();
      t.jsonb('preferences').notNullable();
    },
  },
  async apply(trx, events, tables) {
    for (const e of events) {
      const d = e.data as Record<string, string> & { subject: { type: string; id: string }; channels: string[]; preferences: object };
      const at = e.occurredAt.toISOString();
      switch (e.type) {
        case 'notification.raised': {
          const subject = d.subject;
          await trx(tables.notifications)
            .insert({ notification_id: d.notificationId, recipient_id: d.recipientId, kind: d.kind, title: d.title, subject_type: subject.type, subject_id: subject.id, channels: JSON.stringify(d.channels), raised_position: e.position, raised_at: at })
            .onConflict('notification_id')
            .ignore();
          break;
        }
        case 'notification.read':
          await trx(tables.notifications).where({ notification_id: d.notificationId, recipient_id: d.recipientId }).whereNull('read_at').update({ read_at: at });
          break;
        case 'notification.all-read':
          await trx(tables.notifications).where('recipient_id', d.recipientId).where('raised_position', '<=', Number(d.upToPosition)).whereNull('read_at').update({ read_at: at });
          break;
        case 'notification.deleted':
          await trx(tables.notifications).where({ notification_id: d.notificationId, recipient_id: d.recipientId }).update({ deleted: true });
          break;
        case 'notification.preferences-set':
          await trx(tables.notification_preferences).insert({ user_id: d.userId, preferences: JSON.stringify(d.preferences) }).onConflict('user_id').merge();
          break;
      }
    }
  },
});

export type NotificationRecord = {
  notificationId: string;
  kind: string;
  title: string;
  subject: { type: string; id: string };
  channels: string[];
  position: number;
  raisedAt: string;
  read: boolean;
  readAt: string | null;
};

type Row = { notification_id: string; kind: string; title: string; subject_type: string; subject_id: string; channels: string[] | string; raised_position: string | number; raised_at: Date | string; read_at: Date | string | null };

const recordOf = (r: Row): NotificationRecord => ({
  notificationId: r.notification_id,
  kind: r.kind,
  title: r.title,
  subject: { type: r.subject_type, id: r.subject_id },
  channels: typeof r.channels === 'string' ? (JSON.parse(r.channels) as string[]) : r.channels,
  position: Number(r.raised_position),
  raisedAt: new Date(r.raised_at).toISOString(),
  read: r.read_at !== null,
  readAt: r.read_at === null ? null : new Date(r.read_at).toISOString(),
});

/** The notification list's sort fields; newest first (by ledger position) unless asked otherwise. */
export const notificationListOrder = listOrder({ columns: { raisedAt: 'raised_position', kind: 'kind' }, unique: 'notification_id', defaultSort: 'raisedAt', defaultOrder: 'desc' });

/** A user's notifications not deleted, one page in the asked order, with the total and the unread count. */
export async function listNotifications(knex: Knex, recipientId: string, options: PageRequest<keyof typeof notificationListOrder.columns> & { unreadOnly: boolean }): Promise<{ notifications: NotificationRecord[]; total: number; unread: number }> {
  // One snapshot for the page and the counts, so they agree while the projection moves on.
  return knex.transaction(
    async (trx) => {
      const mine = () => trx('notifications').where({ recipient_id: recipientId, deleted: false });
      const page = sortedPage(mine().select('*'), options, notificationListOrder);
      if (options.unreadOnly) page.whereNull('read_at');
      const rows = (await page) as Row[];
      const counts = (await mine().select(trx.raw('count(*) AS total'), trx.raw('count(*) FILTER (WHERE read_at IS NULL) AS unread')).first()) as { total: string | number; unread: string | number };
      return { notifications: rows.map(recordOf), total: options.unreadOnly ? Number(counts.unread) : Number(counts.total), unread: Number(counts.unread) };
    },
    { isolationLevel: 'repeatable read', readOnly: true },
  );
}

export async function findNotification(knex: Knex, notificationId: string): Promise<(NotificationRecord & { recipientId: string; deleted: boolean }) | null> {
  const row = (await knex('notifications').select('*').where('notification_id', notificationId).first()) as (Row & { recipient_id: string; deleted: boolean }) | undefined;
  return row ? { ...recordOf(row), recipientId: row.recipient_id, deleted: row.deleted } : null;
}

export async function notificationPreferences(knex: Knex, userId: string): Promise<Record<string, string[]> | null> {
  const row = (await knex('notification_preferences').select('preferences').where('user_id', userId).first()) as { preferences: Record<string, string[]> | string } | undefined;
  if (!row) return null;
  return typeof row.preferences === 'string' ? (JSON.parse(row.preferences) as Record<string, string[]>) : row.preferences;
}
