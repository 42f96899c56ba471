import { v5 as uuidv5 } from 'uuid';
import type { StoredEvent } from '../../events/envelope.js';
import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { EventStore, Subscription } from '../../events/event-store.js';
import type { Knex } from '../../platform/database.js';
import type { Logger } from '../../platform/logger.js';
import { loadCheckpoint, saveCheckpoint } from '../processor-checkpoints.js';
import { RAIA_RESULT_NAMESPACE } from '../result-event-id.js';
import { DELIVERIES, SUBSCRIPTIONS, listSubscriptions, type WebhookSubscription } from './webhook-delivery-log.js';
import { topicMatches } from './webhook-topic.js';

export const WEBHOOK_FANOUT = 'webhook-fanout';
const RETRY_MS = 2000;

/** The id of the delivery of one event to one subscription; also its `webhook-id`, the same on every attempt. */
export const deliveryIdOf = (subscriptionId: string, eventId: string) => uuidv5(`webhook:${subscriptionId}:${eventId}`, RAIA_RESULT_NAMESPACE);

export type WebhookFanout = {
  /** Waits (at most `timeoutMs`) until every event up to `position` is applied: reads of subscriptions right after a write see it. */
  caughtUpTo(position: number, timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
};

const CATCH_UP_POLL_MS = 10;

/**
 * Follows `$all` from its checkpoint and queues one delivery per (active subscription, matching
 * event), in the transaction that moves the checkpoint: at least once and never twice, across
 * restarts. The subscriptions are themselves events (`webhook.subscribed`, `webhook.unsubscribed`),
 * applied in ledger order, so a subscription receives exactly the events recorded after it. A
 * `webhook.deliveries-replayed` queues the named deliveries again.
 */
export async function startWebhookFanout(deps: { store: EventStore; catalogue: EventCatalogue; knex: Knex; logger?: Logger }, onQueued: () => void): Promise<WebhookFanout> {
  const { knex } = deps;
  let checkpoint = await loadCheckpoint(knex, WEBHOOK_FANOUT);
  let active = await listSubscriptions(knex, { activeOnly: true });
  let subscription: Subscription | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  /** Whether the batch changes a subscription or is delivered to one: otherwise only the checkpoint moves. */
  const needsTransaction = (events: StoredEvent[]) =>
    events.some((raw) => {
      if (raw.type.startsWith('webhook.')) return true;
      if (active.length === 0) return false;
      const e = deps.catalogue.upcast(raw);
      return active.some((s) => e.position > s.subscribedPosition && topicMatches(s.topic, s.filter, e));
    });

  const apply = async (events: StoredEvent[]) => {
    if (!needsTransaction(events)) {
      // Saved with the other processors' checkpoints of this moment, in one statement (processor-checkpoints.ts).
      await saveCheckpoint(knex, WEBHOOK_FANOUT, events[events.length - 1]!.position);
      checkpoint = events[events.length - 1]!.position;
      return;
    }
    let next = active;
    let queued = 0;
    await knex.transaction(async (trx) => {
      const deliveries: Record<string, unknown>[] = [];
      for (const raw of events) {
        const e = deps.catalogue.upcast(raw);
        if (e.type === 'webhook.subscribed') {
          const d = e.data as { subscriptionId: string; topic: string; url: string; filter: object; ownerId: string; personalData: 'clear' | 'pseudonymised' };
          const sub: WebhookSubscription = { subscriptionId: d.subscriptionId, topic: d.topic, url: d.url, filter: d.filter, ownerId: d.ownerId, personalData: d.personalData, active: true, subscribedPosition: e.position, createdAt: e.occurredAt.toISOString() };
          await trx(SUBSCRIPTIONS)
            .insert({ subscription_id: sub.subscriptionId, topic: sub.topic, url: sub.url, filter: JSON.stringify(sub.filter), owner_id: sub.ownerId, personal_data: sub.personalData, active: true, subscribed_position: e.position, created_at: e.occurredAt })
            .onConflict('subscription_id')
            .ignore();
          next = [...next.filter((s) => s.subscriptionId !== sub.subscriptionId), sub];
        } else if (e.type === 'webhook.unsubscribed') {
          const { subscriptionId } = e.data as { subscriptionId: string };
          await trx(SUBSCRIPTIONS).where('subscription_id', subscriptionId).update({ active: false });
          await trx(DELIVERIES).where({ subscription_id: subscriptionId, status: 'pending' }).update({ status: 'cancelled' });
          next = next.filter((s) => s.subscriptionId !== subscriptionId);
        } else if (e.type === 'webhook.deliveries-replayed') {
          const { subscriptionId, deliveryIds } = e.data as { subscriptionId: string; deliveryIds: string[] };
          for (let i = 0; i < deliveryIds.length; i += 1000) {
            queued += await trx(DELIVERIES)
              .where('subscription_id', subscriptionId)
              .whereIn('delivery_id', deliveryIds.slice(i, i + 1000))
              .update({ status: 'pending', attempts: 0, next_attempt_at: trx.fn.now(), delivered_at: null });
          }
        }
        for (const s of next) {
          if (e.position <= s.subscribedPosition || !topicMatches(s.topic, s.filter, e)) continue;
          deliveries.push({ delivery_id: deliveryIdOf(s.subscriptionId, e.id), subscription_id: s.subscriptionId, event_id: e.id, event_position: e.position, event_type: e.type, status: 'pending', next_attempt_at: new Date() });
        }
      }
      for (let i = 0; i < deliveries.length; i += 500) await trx(DELIVERIES).insert(deliveries.slice(i, i + 500)).onConflict(['subscription_id', 'event_id']).ignore();
      queued += deliveries.length;
      await saveCheckpoint(trx, WEBHOOK_FANOUT, events[events.length - 1]!.position);
    });
    active = next;
    checkpoint = events[events.length - 1]!.position;
    if (queued > 0) onQueued();
  };

  const follow = () => {
    subscription = deps.store.subscribeToAll({
      after: checkpoint,
      onEvents: async (events) => {
        if (!stopped && events.length > 0) await apply(events);
      },
      onError(error) {
        if (stopped) return;
        deps.logger?.error({ err: error, checkpoint }, 'webhook fan-out failed; retrying from the checkpoint');
        // What memory holds may be ahead of what committed: start again from the tables.
        retry = setTimeout(() => {
          if (stopped) return;
          void Promise.all([loadCheckpoint(knex, WEBHOOK_FANOUT), listSubscriptions(knex, { activeOnly: true })]).then(
            ([cp, subs]) => {
              checkpoint = cp;
              active = subs;
              follow();
            },
            () => follow(),
          );
        }, RETRY_MS);
      },
    });
  };
  follow();

  return {
    async caughtUpTo(position, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (checkpoint < position && !stopped && Date.now() < deadline) await new Promise((r) => setTimeout(r, CATCH_UP_POLL_MS));
      return checkpoint >= position;
    },
    async stop() {
      stopped = true;
      clearTimeout(retry);
      await subscription?.stop();
    },
  };
}
