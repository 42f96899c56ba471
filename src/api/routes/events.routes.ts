import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { jsonValue } from '../../events/json-value.js';
import type { JsonObject } from '../../events/envelope.js';
import { DuplicateEventConflict } from '../../events/event-store.js';
import { PublishRefused, publishExternalEvent } from '../../processors/external-events/publish-external-event.js';
import { deliveryIdsIn, deliveryListOrder, findSubscription, listDeliveries, pageOfSubscriptions, subscriptionListOrder, type WebhookSubscription } from '../../processors/webhooks/webhook-delivery-log.js';
import { WebhookRefused, replayWebhookDeliveries, subscribeWebhook, unsubscribeWebhook } from '../../processors/webhooks/webhook-subscriptions.js';
import { TOPIC_PATTERN } from '../../processors/webhooks/webhook-topic.js';
import type { Runtime } from '../../runtime.js';
import { actorOf, principalOf, type Principal } from '../auth/access-control.js';
import { roleHas, type Permission } from '../permissions.js';
import { personalDataViewOf } from '../personal-data-view.js';
import { HttpProblem, invalidFields, notFound, problemSchema } from '../problem-details.js';
import { pageFields, pageOf, pageQuery, sortQueryOf } from '../pagination.js';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema };

const may = (principal: Principal, permission: Permission) => roleHas(principal.role, permission) && (principal.kind !== 'api-key' || principal.permissions.includes(permission));

/** Without audit:read a subscriber may only receive its own notifications (those it chose the webhook channel for). */
const NOTIFICATION_TOPIC = 'notification.raised';

const subscriptionSchema = z
  .object({ subscriptionId: z.uuid(), topic: z.string(), url: z.string(), filter: z.object({ dataContains: z.record(z.string(), jsonValue).optional().describe("JSON containment on event data, the subscriber's own: any JSON"), streamCategory: z.string().optional() }), ownerId: z.string(), personalData: z.enum(['clear', 'pseudonymised']), active: z.boolean(), subscribedPosition: z.number().int(), createdAt: z.string() })
  .meta({ id: 'WebhookSubscription' });

const deliverySchema = z
  .object({
    deliveryId: z.uuid(),
    eventId: z.uuid(),
    eventPosition: z.number().int(),
    eventType: z.string(),
    status: z.enum(['pending', 'delivered', 'dead', 'cancelled']),
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable(),
    lastStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    log: z.array(z.object({ attempt: z.number().int(), attemptedAt: z.string(), statusCode: z.number().int().nullable(), error: z.string().nullable(), durationMs: z.number() })),
  })
  .meta({ id: 'WebhookDelivery' });

const subscriptionParams = z.strictObject({ id: z.uuid() });

/** External events in (publish) and ledger events out (webhook subscriptions with their delivery log and replay). */
export function eventRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    app.post('/api/v1/events/publish', {
      config: { permission: 'events:publish' },
      schema: {
        tags: ['events'],
        summary: 'Record an external system\'s event in its namespace, validated against the JSON Schema registered for its type (docs/webhooks.md)',
        body: z.strictObject({
          namespace: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/),
          type: z.string().min(1).max(200),
          /** The publisher's own id: publishing it again records nothing new. */
          id: z.string().min(1).max(200).optional(),
          data: z.record(z.string(), jsonValue),
        }),
        response: { 201: z.object({ eventId: z.uuid(), position: z.number().int(), duplicate: z.boolean() }), ...errors },
      },
    }, async (request, reply) => {
      const principal = principalOf(request);
      try {
        const result = await publishExternalEvent({ ...runtime, registry: runtime.publishers }, { ...request.body, data: request.body.data as JsonObject }, { userId: principal.userId, isAdmin: principal.role === 'admin', actor: actorOf(principal), correlationId: request.id });
        void reply.status(result.duplicate ? 200 : 201);
        return result;
      } catch (error) {
        if (error instanceof PublishRefused) throw error.status === 403 ? new HttpProblem(403, 'forbidden', 'Forbidden', error.message) : invalidFields(error.errors);
        if (error instanceof DuplicateEventConflict) throw new HttpProblem(409, 'duplicate-event', 'Event id already used', 'an event with this id was already published with other content');
        throw error;
      }
    });

    app.post('/api/v1/events/subscribe/:topic', {
      config: { permission: 'self:manage' },
      schema: {
        tags: ['events'],
        summary: 'Subscribe a webhook to ledger events: `topic` is an event type, a prefix pattern (`model.*`) or `*`; deliveries are signed as Standard Webhooks',
        description: 'Topics other than `notification.raised` need `audit:read`; a `notification.raised` subscription of a caller without it receives only the caller\'s own notifications sent to the webhook channel. The secret is returned once.',
        params: z.strictObject({ topic: z.string().regex(TOPIC_PATTERN, 'must be an event type, a prefix pattern such as model.* or *') }),
        body: z.strictObject({
          url: z.url({ protocol: /^https?$/ }),
          secret: z.string().optional(),
          filter: z.strictObject({ dataContains: z.record(z.string(), jsonValue).optional(), streamCategory: z.string().regex(/^[a-z][a-z0-9-]*$/).optional() }).default({}),
        }),
        response: { 201: z.object({ subscriptionId: z.uuid(), topic: z.string(), secret: z.string(), position: z.number().int() }), ...errors },
      },
    }, async (request, reply) => {
      const principal = principalOf(request);
      const { topic } = request.params;
      const auditor = may(principal, 'audit:read');
      if (!auditor && topic !== NOTIFICATION_TOPIC) throw new HttpProblem(403, 'forbidden', 'Forbidden', `subscribing to ${topic} needs the audit:read permission; without it only ${NOTIFICATION_TOPIC} (your own) may be subscribed to`);
      const filter = auditor ? request.body.filter : { ...request.body.filter, dataContains: { ...request.body.filter.dataContains, recipientId: principal.userId, channels: ['webhook'] } };
      try {
        const created = await subscribeWebhook(
          { ...runtime, secrets: runtime.webhooks.secrets, policy: runtime.webhooks.policy },
          { topic, url: request.body.url, ...(request.body.secret !== undefined ? { secret: request.body.secret } : {}), filter: filter as never, ownerId: principal.userId, personalData: personalDataViewOf(principal) },
          { actor: actorOf(principal), correlationId: request.id },
        );
        void reply.status(201).header('location', `/api/v1/events/subscriptions/${created.subscriptionId}`);
        return { subscriptionId: created.subscriptionId, topic, secret: created.secret, position: created.position };
      } catch (error) {
        if (error instanceof WebhookRefused) throw invalidFields([{ field: error.field, message: error.message }]);
        throw error;
      }
    });

    /** The subscription if the caller owns it or is an administrator; 404 otherwise. */
    const visibleSubscription = async (request: FastifyRequest, id: string): Promise<WebhookSubscription> => {
      const principal = principalOf(request);
      let sub = await findSubscription(runtime.db.knex, id);
      // Subscribed a moment ago: the delivery processor may not have applied it yet.
      if (!sub && (await runtime.webhooks.fanout.caughtUpTo((await runtime.store.head()).position, runtime.config.RAIA_MIN_POSITION_WAIT_MS))) sub = await findSubscription(runtime.db.knex, id);
      if (!sub || (sub.ownerId !== principal.userId && principal.role !== 'admin')) throw notFound(`webhook subscription ${id}`);
      return sub;
    };

    app.get('/api/v1/events/subscriptions', {
      config: { permission: 'self:manage' },
      schema: {
        tags: ['events'],
        summary: 'The caller\'s webhook subscriptions (an administrator sees all), as the delivery processor holds them, oldest first unless sorted otherwise',
        querystring: z.strictObject({ ...pageQuery(100), ...sortQueryOf(subscriptionListOrder) }),
        response: { 200: z.object({ subscriptions: z.array(subscriptionSchema), ...pageFields }), ...errors },
      },
    }, async (request) => {
      const principal = principalOf(request);
      // The delivery processor applies subscriptions as it follows the ledger: wait (bounded) until it has what the ledger holds now.
      await runtime.webhooks.fanout.caughtUpTo((await runtime.store.head()).position, runtime.config.RAIA_MIN_POSITION_WAIT_MS);
      const { subscriptions, total } = await pageOfSubscriptions(runtime.db.knex, { ...request.query, ...(principal.role === 'admin' ? {} : { ownerId: principal.userId }) });
      return { subscriptions, ...pageOf(request.query, total) };
    });

    app.get('/api/v1/events/subscriptions/:id/deliveries', {
      config: { permission: 'self:manage' },
      schema: {
        tags: ['events'],
        summary: 'The delivery log of a subscription: each delivery with every attempt (time, status code, error, duration)',
        params: subscriptionParams,
        querystring: z.strictObject({
          status: z.enum(['pending', 'delivered', 'dead', 'cancelled']).optional(),
          ...pageQuery(100),
          ...sortQueryOf(deliveryListOrder),
          afterPosition: z.coerce.number().int().min(0).optional().meta({ deprecated: true }).describe('Only deliveries of events after this ledger position (a filter; as the cursor of the next page it is deprecated until 0.2.0: use offset)'),
        }),
        response: { 200: z.object({ deliveries: z.array(deliverySchema), ...pageFields }), ...errors },
      },
    }, async (request) => {
      const sub = await visibleSubscription(request, request.params.id);
      const { status, afterPosition, ...page } = request.query;
      const { deliveries, total } = await listDeliveries(runtime.db.knex, sub.subscriptionId, { ...page, ...(status ? { status } : {}), ...(afterPosition !== undefined ? { afterPosition } : {}) });
      return { deliveries, ...pageOf(page, total) };
    });

    app.post('/api/v1/events/subscriptions/:id/replay', {
      config: { permission: 'self:manage' },
      schema: {
        tags: ['events'],
        summary: 'Send deliveries again: the named ones, or every dead-lettered one (recorded as webhook.deliveries-replayed)',
        params: subscriptionParams,
        body: z.strictObject({ deliveryIds: z.array(z.uuid()).min(1).max(10_000).optional() }).default({}),
        response: { 202: z.object({ subscriptionId: z.uuid(), deliveryIds: z.array(z.uuid()), position: z.number().int() }), ...errors },
      },
    }, async (request, reply) => {
      const principal = principalOf(request);
      const sub = await visibleSubscription(request, request.params.id);
      if (!sub.active) throw new HttpProblem(409, 'subscription-ended', 'Subscription ended', `webhook subscription ${sub.subscriptionId} was ended`);
      const known = new Set(await deliveryIdsIn(runtime.db.knex, sub.subscriptionId, ['delivered', 'dead']));
      const asked = request.body.deliveryIds;
      if (asked) {
        const unknown = asked.findIndex((id) => !known.has(id));
        if (unknown >= 0) throw invalidFields([{ field: `body.deliveryIds.${unknown}`, message: 'is not a delivered or dead-lettered delivery of this subscription' }]);
      }
      const deliveryIds = asked ?? (await deliveryIdsIn(runtime.db.knex, sub.subscriptionId, ['dead']));
      const position = deliveryIds.length === 0 ? 0 : await replayWebhookDeliveries(runtime, sub.subscriptionId, deliveryIds, principal.userId, { actor: actorOf(principal), correlationId: request.id });
      void reply.status(202);
      return { subscriptionId: sub.subscriptionId, deliveryIds, position };
    });

    app.delete('/api/v1/events/subscriptions/:id', {
      config: { permission: 'self:manage' },
      schema: { tags: ['events'], summary: 'End a webhook subscription (recorded as webhook.unsubscribed); pending deliveries are cancelled', params: subscriptionParams, response: { 200: z.object({ subscriptionId: z.uuid(), position: z.number().int() }), ...errors } },
    }, async (request) => {
      const principal = principalOf(request);
      const sub = await visibleSubscription(request, request.params.id);
      if (!sub.active) throw new HttpProblem(409, 'subscription-ended', 'Subscription ended', `webhook subscription ${sub.subscriptionId} was already ended`);
      return { subscriptionId: sub.subscriptionId, position: await unsubscribeWebhook(runtime, sub.subscriptionId, principal.userId, { actor: actorOf(principal), correlationId: request.id }) };
    });
  };
}
