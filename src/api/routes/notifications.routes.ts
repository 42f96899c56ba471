import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NOTIFICATION_CHANNELS, NOTIFICATION_KINDS } from '../../events/catalogue/notification.events.js';
import { NotificationNotFound, notificationInbox } from '../../processors/notifications/notification-inbox.js';
import { DEFAULT_CHANNELS } from '../../processors/notifications/notification-rules.js';
import { listNotifications, notificationListOrder, notificationPreferences } from '../../projections/notifications.projection.js';
import type { Runtime } from '../../runtime.js';
import { actorOf, principalOf } from '../auth/access-control.js';
import { notFound, problemSchema } from '../problem-details.js';
import { pageFields, pageOf, pageQuery, sortQueryOf } from '../pagination.js';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };

const notificationSchema = z
  .object({
    notificationId: z.uuid(),
    kind: z.enum(NOTIFICATION_KINDS),
    title: z.string(),
    subject: z.object({ type: z.string(), id: z.string() }),
    channels: z.array(z.enum(NOTIFICATION_CHANNELS)),
    position: z.number().int(),
    raisedAt: z.string(),
    read: z.boolean(),
    readAt: z.string().nullable(),
  })
  .meta({ id: 'Notification' });

const idParams = z.strictObject({ id: z.uuid() });
const recorded = z.object({ notificationId: z.uuid(), position: z.number().int() });
const preferencesSchema = z.partialRecord(z.enum(NOTIFICATION_KINDS), z.array(z.enum(NOTIFICATION_CHANNELS)).max(3).refine((c) => new Set(c).size === c.length, 'lists a channel twice'));

/** The caller's own in-app notifications (docs/notifications.md); every change is an event. */
export function notificationRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    const deps = { store: runtime.store, catalogue: runtime.catalogue, knex: runtime.db.knex };
    const inbox = <T>(work: () => Promise<T>) =>
      work().catch((error: unknown) => {
        throw error instanceof NotificationNotFound ? notFound(`notification`) : error;
      });

    app.get('/api/v1/notifications', {
      config: { permission: 'self:manage' },
      schema: {
        tags: ['notifications'],
        summary: 'The caller\'s notifications, newest first unless sorted otherwise, with the unread count (send X-Min-Position to read your own writes)',
        querystring: z.strictObject({ unread: z.enum(['true', 'false']).optional(), ...pageQuery(50), ...sortQueryOf(notificationListOrder) }),
        response: { 200: z.object({ notifications: z.array(notificationSchema), unread: z.number().int(), ...pageFields }), ...errors },
      },
    }, async (request) => {
      const { unread, ...page } = request.query;
      const found = await listNotifications(runtime.db.knex, principalOf(request).userId, { ...page, unreadOnly: unread === 'true' });
      return { notifications: found.notifications as z.infer<typeof notificationSchema>[], unread: found.unread, ...pageOf(page, found.total) };
    });

    app.post('/api/v1/notifications/mark-read/:id', {
      config: { permission: 'self:manage' },
      schema: { tags: ['notifications'], summary: 'Mark one of the caller\'s notifications read', params: idParams, response: { 200: recorded, ...errors } },
    }, async (request) => {
      const principal = principalOf(request);
      const position = await inbox(() => notificationInbox.markRead(deps, principal.userId, request.params.id, { actor: actorOf(principal), correlationId: request.id }));
      return { notificationId: request.params.id, position };
    });

    app.delete('/api/v1/notifications/:id', {
      config: { permission: 'self:manage' },
      schema: { tags: ['notifications'], summary: 'Remove one of the caller\'s notifications from their list (recorded; the cause stays in the ledger)', params: idParams, response: { 200: recorded, ...errors } },
    }, async (request) => {
      const principal = principalOf(request);
      const position = await inbox(() => notificationInbox.remove(deps, principal.userId, request.params.id, { actor: actorOf(principal), correlationId: request.id }));
      return { notificationId: request.params.id, position };
    });

    app.post('/api/v1/notifications/mark-all-read', {
      config: { permission: 'self:manage' },
      schema: { tags: ['notifications'], summary: 'Mark every notification raised so far read (later ones stay unread)', response: { 200: z.object({ position: z.number().int(), upToPosition: z.number().int() }), ...errors } },
    }, async (request) => {
      const principal = principalOf(request);
      return notificationInbox.markAllRead(deps, principal.userId, { actor: actorOf(principal), correlationId: request.id });
    });

    app.get('/api/v1/notifications/preferences', {
      config: { permission: 'self:manage' },
      schema: { tags: ['notifications'], summary: 'The caller\'s channels per kind of notification (kinds not listed: in-app)', response: { 200: z.object({ preferences: z.record(z.string(), z.array(z.string())), defaultChannels: z.array(z.string()) }), ...errors } },
    }, async (request) => ({ preferences: (await notificationPreferences(runtime.db.knex, principalOf(request).userId)) ?? {}, defaultChannels: [...DEFAULT_CHANNELS] }));

    app.put('/api/v1/notifications/preferences', {
      config: { permission: 'self:manage' },
      schema: {
        tags: ['notifications'],
        summary: 'Choose the channels (in-app, email, webhook) each kind of notification reaches the caller on; an empty list mutes a kind',
        body: z.strictObject({ preferences: preferencesSchema }),
        response: { 200: z.object({ position: z.number().int() }), ...errors },
      },
    }, async (request) => {
      const principal = principalOf(request);
      return { position: await notificationInbox.setPreferences(deps, principal.userId, request.body.preferences as Record<string, string[]>, { actor: actorOf(principal), correlationId: request.id }) };
    });
  };
}
