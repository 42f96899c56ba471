import type { Knex } from '../../platform/database.js';
import type { Migration } from '../../platform/migrations.js';
import type { WebhookFilter } from './webhook-topic.js';
import { listOrder, sortedPage, type PageRequest } from '../../projections/sorted-page.js';

export const SUBSCRIPTIONS = 'raia_webhook_subscriptions';
export const DELIVERIES = 'raia_webhook_deliveries';
export const ATTEMPTS = 'raia_webhook_attempts';

/**
 * The webhook processor's own tables: the subscriptions as of its checkpoint, one delivery per
 * (subscription, event) and one row per attempt. They are written in the transaction that moves the
 * fan-out's checkpoint, so after a crash nothing is queued twice or lost.
 */
export const webhookDeliveryMigrations: Migration[] = [
  {
    name: '0012_webhook_deliveries',
    async up(knex) {
      await knex.raw(`CREATE TABLE IF NOT EXISTS ${SUBSCRIPTIONS} (
        subscription_id uuid PRIMARY KEY,
        topic           text NOT NULL,
        url             text NOT NULL,
        filter          jsonb NOT NULL,
        owner_id        text NOT NULL,
        personal_data   text NOT NULL,
        active          boolean NOT NULL,
        subscribed_position bigint NOT NULL,
        created_at      timestamptz NOT NULL
      )`);
      await knex.raw(`CREATE TABLE IF NOT EXISTS ${DELIVERIES} (
        delivery_id     uuid PRIMARY KEY,
        subscription_id uuid NOT NULL,
        event_id        uuid NOT NULL,
        event_position  bigint NOT NULL,
        event_type      text NOT NULL,
        status          text NOT NULL,
        attempts        integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL,
        last_status     integer,
        last_error      text,
        created_at      timestamptz NOT NULL DEFAULT now(),
        delivered_at    timestamptz,
        UNIQUE (subscription_id, event_id)
      )`);
      await knex.raw(`CREATE INDEX IF NOT EXISTS raia_webhook_deliveries_due_idx ON ${DELIVERIES} (next_attempt_at) WHERE status = 'pending'`);
      await knex.raw(`CREATE INDEX IF NOT EXISTS raia_webhook_deliveries_subscription_idx ON ${DELIVERIES} (subscription_id, event_position)`);
      await knex.raw(`CREATE TABLE IF NOT EXISTS ${ATTEMPTS} (
        delivery_id  uuid NOT NULL,
        attempt      integer NOT NULL,
        attempted_at timestamptz NOT NULL,
        status_code  integer,
        error        text,
        duration_ms  double precision NOT NULL,
        PRIMARY KEY (delivery_id, attempt)
      )`);
    },
  },
];

export type WebhookSubscription = {
  subscriptionId: string;
  topic: string;
  url: string;
  filter: WebhookFilter;
  ownerId: string;
  personalData: 'clear' | 'pseudonymised';
  active: boolean;
  subscribedPosition: number;
  createdAt: string;
};

type SubscriptionRow = { subscription_id: string; topic: string; url: string; filter: WebhookFilter | string; owner_id: string; personal_data: string; active: boolean; subscribed_position: string | number; created_at: Date | string };

const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

const subscriptionOf = (r: SubscriptionRow): WebhookSubscription => ({
  subscriptionId: r.subscription_id,
  topic: r.topic,
  url: r.url,
  filter: json(r.filter),
  ownerId: r.owner_id,
  personalData: r.personal_data === 'clear' ? 'clear' : 'pseudonymised',
  active: r.active,
  subscribedPosition: Number(r.subscribed_position),
  createdAt: new Date(r.created_at).toISOString(),
});

export async function listSubscriptions(knex: Knex, options: { ownerId?: string; activeOnly?: boolean } = {}): Promise<WebhookSubscription[]> {
  const q = knex(SUBSCRIPTIONS).select('*').orderBy('subscribed_position');
  if (options.ownerId) q.where('owner_id', options.ownerId);
  if (options.activeOnly) q.where('active', true);
  return ((await q) as SubscriptionRow[]).map(subscriptionOf);
}

/** The subscription list's sort fields; oldest first unless asked otherwise. */
export const subscriptionListOrder = listOrder({ columns: { subscribedPosition: 'subscribed_position', topic: 'topic' }, unique: 'subscription_id', defaultSort: 'subscribedPosition', defaultOrder: 'asc' });

/** One page of subscriptions (only `ownerId`'s when given), and how many match. */
export async function pageOfSubscriptions(knex: Knex, options: PageRequest<keyof typeof subscriptionListOrder.columns> & { ownerId?: string }): Promise<{ subscriptions: WebhookSubscription[]; total: number }> {
  const q = knex(SUBSCRIPTIONS);
  if (options.ownerId) q.where('owner_id', options.ownerId);
  const [rows, counted] = (await Promise.all([sortedPage(q.clone().select('*'), options, subscriptionListOrder), q.clone().count({ count: '*' })])) as [SubscriptionRow[], [{ count: string | number }]];
  return { subscriptions: rows.map(subscriptionOf), total: Number(counted[0].count) };
}

export async function findSubscription(knex: Knex, subscriptionId: string): Promise<WebhookSubscription | null> {
  const row = (await knex(SUBSCRIPTIONS).select('*').where('subscription_id', subscriptionId).first()) as SubscriptionRow | undefined;
  return row ? subscriptionOf(row) : null;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'dead' | 'cancelled';

export type WebhookAttempt = { attempt: number; attemptedAt: string; statusCode: number | null; error: string | null; durationMs: number };

export type WebhookDelivery = {
  deliveryId: string;
  subscriptionId: string;
  eventId: string;
  eventPosition: number;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  log: WebhookAttempt[];
};

/** The delivery log's sort fields; oldest event first unless asked otherwise. */
export const deliveryListOrder = listOrder({ columns: { eventPosition: 'event_position', status: 'status', attempts: 'attempts' }, unique: 'delivery_id', defaultSort: 'eventPosition', defaultOrder: 'asc' });

/** One page of a subscription's deliveries, each with its attempts, and how many match. */
export async function listDeliveries(knex: Knex, subscriptionId: string, options: PageRequest<keyof typeof deliveryListOrder.columns> & { status?: DeliveryStatus; afterPosition?: number }): Promise<{ deliveries: WebhookDelivery[]; total: number }> {
  const q = knex(DELIVERIES).where('subscription_id', subscriptionId);
  if (options.status) q.where('status', options.status);
  if (options.afterPosition !== undefined) q.where('event_position', '>', options.afterPosition);
  const [rows, counted] = (await Promise.all([sortedPage(q.clone().select('*'), options, deliveryListOrder), q.clone().count({ count: '*' })])) as [Record<string, unknown>[], [{ count: string | number }]];
  const attempts = rows.length === 0 ? [] : ((await knex(ATTEMPTS).select('*').whereIn('delivery_id', rows.map((r) => r.delivery_id as string)).orderBy(['delivery_id', 'attempt'])) as Record<string, unknown>[]);
  const byDelivery = new Map<string, WebhookAttempt[]>();
  for (const a of attempts) {
    const list = byDelivery.get(a.delivery_id as string) ?? [];
    list.push({ attempt: Number(a.attempt), attemptedAt: new Date(a.attempted_at as string).toISOString(), statusCode: a.status_code === null ? null : Number(a.status_code), error: (a.error as string | null) ?? null, durationMs: Number(a.duration_ms) });
    byDelivery.set(a.delivery_id as string, list);
  }
  const deliveries = rows.map((r) => ({
    deliveryId: r.delivery_id as string,
    subscriptionId: r.subscription_id as string,
    eventId: r.event_id as string,
    eventPosition: Number(r.event_position),
    eventType: r.event_type as string,
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    nextAttemptAt: r.status === 'pending' ? new Date(r.next_attempt_at as string).toISOString() : null,
    lastStatus: r.last_status === null ? null : Number(r.last_status),
    lastError: (r.last_error as string | null) ?? null,
    deliveredAt: r.delivered_at ? new Date(r.delivered_at as string).toISOString() : null,
    log: byDelivery.get(r.delivery_id as string) ?? [],
  }));
  return { deliveries, total: Number(counted[0].count) };
}

/** Delivery ids of a subscription in the given states (what a replay queues again). */
export async function deliveryIdsIn(knex: Knex, subscriptionId: string, statuses: DeliveryStatus[]): Promise<string[]> {
  const rows = (await knex(DELIVERIES).select('delivery_id').where('subscription_id', subscriptionId).whereIn('status', statuses).orderBy('event_position')) as { delivery_id: string }[];
  return rows.map((r) => r.delivery_id);
}
