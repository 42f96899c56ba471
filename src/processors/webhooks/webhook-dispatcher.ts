import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { performance } from 'node:perf_hooks';
import type { StoredEvent } from '../../events/envelope.js';
import type { EventCatalogue } from '../../events/event-catalogue.js';
import { discloseEvents } from '../../events/event-disclosure.js';
import type { EventStore } from '../../events/event-store.js';
import type { PersonalDataVault } from '../../events/personal-data.js';
import type { Knex } from '../../platform/database.js';
import type { Logger } from '../../platform/logger.js';
import type { OutboundAddressPolicy } from '../../platform/outbound-address-policy.js';
import { standardWebhookHeaders } from '../../platform/standard-webhooks.js';
import type { WebhookSecrets } from '../../platform/webhook-secrets.js';
import { ATTEMPTS, DELIVERIES, SUBSCRIPTIONS } from './webhook-delivery-log.js';

export type WebhookDispatcherOptions = {
  knex: Knex;
  store: EventStore;
  catalogue: EventCatalogue;
  vault: PersonalDataVault;
  secrets: WebhookSecrets;
  policy: OutboundAddressPolicy;
  /** Delay before each retry; a delivery failing once more after the last is dead-lettered. */
  retryScheduleMs: readonly number[];
  timeoutMs: number;
  logger?: Logger;
  pollIntervalMs?: number;
  batchSize?: number;
  /** Deliveries in flight at once. */
  concurrency?: number;
  clock?: () => Date;
};

export type WebhookDispatcher = { kick(): void; flush(): Promise<number>; stop(): Promise<void> };

type Claimed = { delivery_id: string; subscription_id: string; event_position: string | number; attempts: number };
type Target = { url: string; personalData: 'clear' | 'pseudonymised'; active: boolean };

const RESPONSE_ERROR_LIMIT = 300;

/**
 * Sends queued webhook deliveries: claims due ones (`FOR UPDATE SKIP LOCKED`, leased, so several
 * processes share the queue and one that dies leaves its claims due again), builds each body from
 * the ledger event as the subscription may see it, signs it (Standard Webhooks), POSTs it, and
 * logs the attempt. A 2xx answer delivers it; anything else is retried on the schedule, then
 * dead-lettered. Bodies are not stored: they are rebuilt from the ledger at each attempt, so an
 * erased subject's data is never sent after the erasure.
 */
export function startWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const { knex, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const batchSize = options.batchSize ?? 100;
  const concurrency = options.concurrency ?? 16;
  const leaseMs = options.timeoutMs * 2 + 30_000;
  const maxAttempts = options.retryScheduleMs.length + 1;
  const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: concurrency }), https: new HttpsAgent({ keepAlive: true, maxSockets: concurrency }) };
  const secretCache = new Map<string, string>();
  let running: Promise<number> | null = null;
  let again = false;
  let stopped = false;

  const claimDue = (): Promise<Claimed[]> =>
    knex.transaction(async (trx) => {
      const now = clock();
      const due = (await trx(DELIVERIES)
        .select('delivery_id', 'subscription_id', 'event_position', 'attempts')
        .where('status', 'pending')
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .limit(batchSize)
        .forUpdate()
        .skipLocked()) as Claimed[];
      if (due.length === 0) return due;
      await trx(DELIVERIES)
        .whereIn('delivery_id', due.map((d) => d.delivery_id))
        .update({ attempts: trx.raw('attempts + 1'), next_attempt_at: new Date(now.getTime() + leaseMs) });
      return due.map((d) => ({ ...d, attempts: d.attempts + 1 }));
    });

  /** The events of a batch, read in as few range reads as their positions allow. */
  const eventsAt = async (positions: number[]): Promise<Map<number, StoredEvent>> => {
    const sorted = [...new Set(positions)].sort((a, b) => a - b);
    const found = new Map<number, StoredEvent>();
    let i = 0;
    while (i < sorted.length) {
      let j = i;
      while (j + 1 < sorted.length && sorted[j + 1]! - sorted[i]! < 1000) j++;
      const wanted = new Set(sorted.slice(i, j + 1));
      for (const e of await options.store.readAll({ after: sorted[i]! - 1, to: sorted[j]! })) if (wanted.has(e.position)) found.set(e.position, e);
      i = j + 1;
    }
    return found;
  };

  const secretOf = async (subscriptionId: string) => {
    let secret = secretCache.get(subscriptionId);
    if (!secret) {
      secret = (await options.secrets.read(subscriptionId)) ?? undefined;
      if (secret) secretCache.set(subscriptionId, secret);
    }
    return secret ?? null;
  };

  const post = (url: string, headers: Record<string, string>, body: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(
        target,
        {
          method: 'POST',
          agent: target.protocol === 'https:' ? agents.https : agents.http,
          lookup: options.policy.lookup,
          headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'RAIA-webhooks/1' },
          timeout: options.timeoutMs,
        },
        (res) => {
          // The answer's body is not needed; reading it frees the socket for the next delivery.
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });

  type Outcome = { deliveryId: string; status: 'delivered' | 'pending' | 'dead' | 'cancelled'; attempt?: { attempt: number; attemptedAt: Date; statusCode: number | null; error: string | null; durationMs: number }; nextAttemptAt?: Date };

  /** One attempt; what it comes to is written with the rest of its batch (recordOutcomes). */
  const attempt = async (d: Claimed, target: Target | undefined, event: StoredEvent | undefined): Promise<Outcome> => {
    if (!target || !target.active) return { deliveryId: d.delivery_id, status: 'cancelled' };
    const started = performance.now();
    const attemptedAt = clock();
    let statusCode: number | null = null;
    let error: string | null = null;
    if (d.attempts > maxAttempts) error = 'abandoned: the sender stopped during delivery';
    else if (!event) error = `event at position ${d.event_position} is not in the ledger`;
    else {
      const secret = await secretOf(d.subscription_id);
      if (!secret) error = 'the subscription has no signing secret';
      else {
        const [shown] = await discloseEvents([event], options, target.personalData);
        const e = shown!;
        const body = JSON.stringify({
          type: e.type,
          timestamp: e.occurredAt.toISOString(),
          data: { eventId: e.id, position: e.position, streamId: e.streamId, streamVersion: e.streamVersion, schemaVersion: e.schemaVersion, actor: e.actor, correlationId: e.correlationId, causationId: e.causationId, data: e.data },
        });
        try {
          statusCode = await post(target.url, standardWebhookHeaders(secret, d.delivery_id, Math.floor(attemptedAt.getTime() / 1000), body), body);
          if (statusCode < 200 || statusCode > 299) error = `the receiver answered ${statusCode}`;
        } catch (err) {
          error = (err instanceof Error ? err.message : String(err)).slice(0, RESPONSE_ERROR_LIMIT);
        }
      }
    }
    const logged = { attempt: d.attempts, attemptedAt, statusCode, error, durationMs: performance.now() - started };
    if (error === null) return { deliveryId: d.delivery_id, status: 'delivered', attempt: logged };
    const attemptNo = Math.min(d.attempts, maxAttempts);
    const dead = attemptNo >= maxAttempts;
    logger?.warn({ deliveryId: d.delivery_id, subscriptionId: d.subscription_id, attempt: d.attempts, error }, dead ? 'webhook delivery dead-lettered' : 'webhook delivery failed; will retry');
    return dead ? { deliveryId: d.delivery_id, status: 'dead', attempt: logged } : { deliveryId: d.delivery_id, status: 'pending', attempt: logged, nextAttemptAt: new Date(clock().getTime() + options.retryScheduleMs[attemptNo - 1]!) };
  };

  /** A batch's attempts and new states in one transaction: one insert, one update per distinct outcome. */
  const recordOutcomes = (outcomes: Outcome[]) =>
    knex.transaction(async (trx) => {
      const attempts = outcomes.flatMap((o) => (o.attempt ? [{ delivery_id: o.deliveryId, attempt: o.attempt.attempt, attempted_at: o.attempt.attemptedAt, status_code: o.attempt.statusCode, error: o.attempt.error, duration_ms: o.attempt.durationMs }] : []));
      if (attempts.length > 0) await trx(ATTEMPTS).insert(attempts).onConflict(['delivery_id', 'attempt']).ignore();
      const now = clock();
      const groups = new Map<string, { change: Record<string, unknown>; ids: string[] }>();
      for (const o of outcomes) {
        const change: Record<string, unknown> =
          o.status === 'cancelled'
            ? { status: 'cancelled' }
            : { status: o.status, last_status: o.attempt!.statusCode, last_error: o.attempt!.error, ...(o.status === 'delivered' ? { delivered_at: now } : {}), ...(o.nextAttemptAt ? { next_attempt_at: o.nextAttemptAt } : {}) };
        const key = JSON.stringify(change);
        const group = groups.get(key) ?? { change, ids: [] };
        group.ids.push(o.deliveryId);
        groups.set(key, group);
      }
      for (const { change, ids } of groups.values()) await trx(DELIVERIES).whereIn('delivery_id', ids).update(change);
    });

  const deliverDue = async (): Promise<number> => {
    let delivered = 0;
    do {
      again = false;
      while (!stopped) {
        const due = await claimDue();
        if (due.length === 0) break;
        const subs = (await knex(SUBSCRIPTIONS).select('subscription_id', 'url', 'personal_data', 'active').whereIn('subscription_id', [...new Set(due.map((d) => d.subscription_id))])) as { subscription_id: string; url: string; personal_data: string; active: boolean }[];
        const targets = new Map(subs.map((s) => [s.subscription_id, { url: s.url, personalData: s.personal_data === 'clear' ? ('clear' as const) : ('pseudonymised' as const), active: s.active }]));
        const events = await eventsAt(due.map((d) => Number(d.event_position)));
        const outcomes: Outcome[] = [];
        let next = 0;
        const worker = async () => {
          while (next < due.length) {
            const d = due[next++]!;
            outcomes.push(await attempt(d, targets.get(d.subscription_id), events.get(Number(d.event_position))));
          }
        };
        await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, worker));
        await recordOutcomes(outcomes);
        delivered += outcomes.filter((o) => o.status === 'delivered').length;
      }
    } while (again && !stopped);
    return delivered;
  };

  const flush = (): Promise<number> => {
    if (running) {
      again = true;
      return running;
    }
    running = deliverDue().finally(() => {
      running = null;
    });
    return running;
  };
  const kick = () => void flush().catch((err: unknown) => logger?.error({ err }, 'webhook dispatcher failed'));

  const timer = setInterval(kick, options.pollIntervalMs ?? 500);
  timer.unref();
  return {
    kick,
    flush,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
