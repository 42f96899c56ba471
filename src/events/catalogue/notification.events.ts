import { z } from 'zod';
import { defineEvent } from '../event-catalogue.js';

export const NOTIFICATION_KINDS = ['drift-alert', 'transition-refused', 'approval-requested', 'evaluation-finished', 'export-finished', 'incident-deadline-near'] as const;
export const NOTIFICATION_CHANNELS = ['in-app', 'email', 'webhook'] as const;

const channels = z.array(z.enum(NOTIFICATION_CHANNELS));

export const notificationRaised = defineEvent({
  type: 'notification.raised',
  schemaVersion: 1,
  schema: z.object({
    notificationId: z.uuid(),
    recipientId: z.string().min(1),
    kind: z.enum(NOTIFICATION_KINDS),
    title: z.string().max(300),
    /** What it is about (`model`, `export`…) and its id, for links. */
    subject: z.object({ type: z.string(), id: z.string() }),
    /** Where it goes, from the recipient's preferences when raised. */
    channels,
  }),
  description: 'A notification for one user, raised by a notification rule from the event that caused it (docs/notifications.md).',
});

export const notificationRead = defineEvent({
  type: 'notification.read',
  schemaVersion: 1,
  schema: z.object({ notificationId: z.uuid(), recipientId: z.string().min(1) }),
  description: 'A user marked one of their notifications read.',
});

export const notificationsAllRead = defineEvent({
  type: 'notification.all-read',
  schemaVersion: 1,
  schema: z.object({ recipientId: z.string().min(1), upToPosition: z.number().int().nonnegative() }),
  description: 'A user marked every notification raised up to a ledger position read.',
});

export const notificationDeleted = defineEvent({
  type: 'notification.deleted',
  schemaVersion: 1,
  schema: z.object({ notificationId: z.uuid(), recipientId: z.string().min(1) }),
  description: 'A user removed one of their notifications from their list.',
});

export const notificationPreferencesSet = defineEvent({
  type: 'notification.preferences-set',
  schemaVersion: 1,
  schema: z.object({ userId: z.string().min(1), preferences: z.partialRecord(z.enum(NOTIFICATION_KINDS), channels) }),
  description: 'A user chose, per kind of notification, the channels it reaches them on (none: muted).',
});

export const notificationEvents = [notificationRaised, notificationRead, notificationsAllRead, notificationDeleted, notificationPreferencesSet];
