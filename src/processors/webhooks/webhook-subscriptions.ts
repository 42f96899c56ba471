import { randomUUID } from 'node:crypto';
import { v7 } from 'uuid';
import type { Actor, JsonObject } from '../../events/envelope.js';
import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { EventStore } from '../../events/event-store.js';
import type { OutboundAddressPolicy } from '../../platform/outbound-address-policy.js';
import { isWebhookSecret, newWebhookSecret } from '../../platform/standard-webhooks.js';
import type { WebhookSecrets } from '../../platform/webhook-secrets.js';
import type { WebhookFilter } from './webhook-topic.js';

export const webhookStreamId = (subscriptionId: string) => `webhook-${subscriptionId}`;

export class WebhookRefused extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookRefused';
  }
}

type Deps = { store: EventStore; catalogue: EventCatalogue; secrets: WebhookSecrets; policy: OutboundAddressPolicy };
type Meta = { actor: Actor; correlationId?: string };

const append = async (deps: Pick<Deps, 'store' | 'catalogue'>, streamId: string, type: string, data: JsonObject, meta: Meta, expectedVersion: 'no_stream' | 'stream_exists') => {
  const valid = deps.catalogue.validate(type, data);
  const result = await deps.store.append(streamId, [{ id: v7(), type, schemaVersion: valid.schemaVersion, data: valid.data, actor: meta.actor, ...(meta.correlationId ? { correlationId: meta.correlationId } : {}) }], { expectedVersion });
  return result.position;
};

/**
 * Creates a subscription: checks the URL against the outbound address policy (resolving its
 * host), keeps the secret (given, or a fresh one) encrypted outside the ledger and records
 * `webhook.subscribed` with only the secret's fingerprint. The secret is returned once, here.
 */
export async function subscribeWebhook(
  deps: Deps,
  request: { topic: string; url: string; secret?: string; filter: WebhookFilter; ownerId: string; personalData: 'clear' | 'pseudonymised' },
  meta: Meta,
): Promise<{ subscriptionId: string; secret: string; position: number }> {
  const refusal = await deps.policy.refusal(request.url);
  if (refusal) throw new WebhookRefused('body.url', refusal);
  if (request.secret !== undefined && !isWebhookSecret(request.secret)) throw new WebhookRefused('body.secret', 'must be whsec_ followed by 24 to 64 base64-encoded bytes');
  const secret = request.secret ?? newWebhookSecret();
  const subscriptionId = randomUUID();
  await deps.secrets.store(subscriptionId, secret);
  const position = await append(
    deps,
    webhookStreamId(subscriptionId),
    'webhook.subscribed',
    { subscriptionId, topic: request.topic, url: request.url, filter: request.filter as JsonObject, ownerId: request.ownerId, personalData: request.personalData, secretFingerprint: deps.secrets.fingerprint(secret) },
    meta,
    'no_stream',
  );
  return { subscriptionId, secret, position };
}

export const unsubscribeWebhook = (deps: Pick<Deps, 'store' | 'catalogue'>, subscriptionId: string, by: string, meta: Meta) =>
  append(deps, webhookStreamId(subscriptionId), 'webhook.unsubscribed', { subscriptionId, by }, meta, 'stream_exists');

/** Records that deliveries are to be sent again; the fan-out queues them when it reaches this event. */
export const replayWebhookDeliveries = (deps: Pick<Deps, 'store' | 'catalogue'>, subscriptionId: string, deliveryIds: string[], by: string, meta: Meta) =>
  append(deps, webhookStreamId(subscriptionId), 'webhook.deliveries-replayed', { subscriptionId, deliveryIds, by }, meta, 'stream_exists');
