import type { EventStore } from '../../events/event-store.js';
import type { Knex } from '../../platform/database.js';
import type { Logger } from '../../platform/logger.js';
import type { MessageBus } from '../../platform/message-bus.js';
import { AnalyticsSubscriptions } from './analytics-subscriptions.js';
import { startLedgerFeed, type LedgerFeed } from './ledger-feed.js';
import { startModelLiveMetrics, type ModelLiveMetrics } from './model-live-metrics.js';
import type { NotificationFeed } from './notification-feed.js';
import { ledgerNotificationFeed } from '../notifications/ledger-notification-feed.js';
import { startStreamLiveMetrics, type StreamLiveMetrics } from './stream-live-metrics.js';
import { ProcessSampler } from './system-metrics.js';

/** What a process runs for its live channels and live analytics (issue 21). */
export type LiveServices = {
  feed: LedgerFeed;
  models: ModelLiveMetrics;
  streams: StreamLiveMetrics;
  process: ProcessSampler;
  subscriptions: AnalyticsSubscriptions;
  /** A user's own notifications for `/ws/notifications` (the ledger's `notification.raised` events by default). */
  notifications: NotificationFeed;
  close(): Promise<void>;
};

export type LiveServicesOptions = {
  store: EventStore;
  bus: MessageBus;
  knex: Knex;
  subjectPrefix: string;
  logger?: Logger;
  /** Defaults to the user's `notification.raised` events read from the ledger (notifications module). */
  notifications?: NotificationFeed;
};

export async function startLiveServices(options: LiveServicesOptions): Promise<LiveServices> {
  const feed = await startLedgerFeed({ store: options.store, bus: options.bus, subjectPrefix: options.subjectPrefix, logger: options.logger });
  const models = startModelLiveMetrics({ knex: options.knex, logger: options.logger });
  const streams = startStreamLiveMetrics(feed);
  const sampler = new ProcessSampler();
  return {
    feed,
    models,
    streams,
    process: sampler,
    subscriptions: new AnalyticsSubscriptions(options.knex),
    notifications: options.notifications ?? ledgerNotificationFeed(options.store, feed),
    async close() {
      streams.stop();
      sampler.stop();
      await models.stop();
      await feed.stop();
    },
  };
}
