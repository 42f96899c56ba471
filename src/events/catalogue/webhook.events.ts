import { z } from 'zod';
import { defineEvent } from '../event-catalogue.js';

/** What a subscription receives besides its topic: events whose data contains this JSON (PostgreSQL `@>` semantics). */
export const webhookFilterSchema = z.object({
  dataContains: z.record(z.string(), z.json()).optional(),
  streamCategory: z.string().regex(/^[a-z][a-z0-9-]*$/).optional(),
});

export const webhookSubscribed = defineEvent({
  type: 'webhook.subscribed',
  schemaVersion: 1,
  schema: z.object({
    subscriptionId: z.uuid(),
    /** An event type (`model.registered`), a prefix pattern (`model.*`) or `*`. */
    topic: z.string().min(1).max(200),
    url: z.url(),
    filter: webhookFilterSchema,
    ownerId: z.string().min(1),
    /** How personal fields reach the receiver, fixed when subscribing: the owner's right to read them then. */
    personalData: z.enum(['clear', 'pseudonymised']),
    /** HMAC-SHA256 of the signing secret under a key derived from the master key: tells secrets apart, reveals nothing. */
    secretFingerprint: z.string().regex(/^[0-9a-f]{16}$/),
  }),
  description: 'A webhook subscription was created; its signing secret is kept encrypted outside the ledger (docs/webhooks.md).',
});

export const webhookUnsubscribed = defineEvent({
  type: 'webhook.unsubscribed',
  schemaVersion: 1,
  schema: z.object({ subscriptionId: z.uuid(), by: z.string().min(1) }),
  description: 'A webhook subscription was ended; nothing after this event is delivered to it.',
});

export const webhookDeliveriesReplayed = defineEvent({
  type: 'webhook.deliveries-replayed',
  schemaVersion: 1,
  schema: z.object({ subscriptionId: z.uuid(), deliveryIds: z.array(z.uuid()), by: z.string().min(1) }),
  description: 'Delivered or dead-lettered webhook deliveries were queued again for delivery.',
});

export const webhookEvents = [webhookSubscribed, webhookUnsubscribed, webhookDeliveriesReplayed];
