import type { AnalyticsChannel } from '../../processors/live/analytics-subscriptions.js';
import { modelsSnapshot, streamsSnapshot, systemSnapshot, type LiveAnalyticsDeps } from '../../processors/live/live-analytics.js';
import type { Runtime } from '../../runtime.js';
import { AnalyticsPush } from './analytics-push.js';
import { LedgerFanout } from './ledger-fanout.js';
import { LiveTickets } from './live-tickets.js';

/** This API node's live channels: its clients, the analytics it pushes, the tickets that open them. */
export type LiveNode = {
  fanout: LedgerFanout;
  analytics: AnalyticsPush;
  tickets: LiveTickets;
  snapshot(channel: AnalyticsChannel): Promise<unknown>;
  /** Open connections per channel on this node. */
  counts: Record<string, number>;
  /** Ends every live connection (before the server closes, so it does not wait on them). */
  close(): void;
};

export function createLiveNode(runtime: Runtime): LiveNode {
  const { config, live, logger } = runtime;
  const counts: Record<string, number> = { 'model-updates': 0, 'data-streams': 0, notifications: 0, 'real-time': 0, 'events-stream': 0 };
  const deps: LiveAnalyticsDeps = {
    knex: runtime.db.knex,
    store: runtime.store,
    bus: runtime.bus,
    projections: runtime.projections,
    relay: runtime.relay,
    streamMonitor: runtime.streams,
    live,
    liveClients: () => ({ ...counts }),
  };
  const snapshots: Record<AnalyticsChannel, () => Promise<unknown>> = {
    models: () => modelsSnapshot(deps),
    streams: () => streamsSnapshot(deps),
    system: () => systemSnapshot(deps),
  };
  const snapshot = (channel: AnalyticsChannel) => snapshots[channel]();
  const fanout = new LedgerFanout({ feed: live.feed, disclosure: runtime, maxBufferedBytes: config.RAIA_LIVE_MAX_BUFFERED_BYTES, logger });
  const analytics = new AnalyticsPush(live.subscriptions, snapshot, { intervalMs: config.RAIA_LIVE_ANALYTICS_INTERVAL_MS, maxBufferedBytes: config.RAIA_LIVE_MAX_BUFFERED_BYTES, logger });
  const tickets = new LiveTickets(runtime.identity.oneTimeTokens, (id) => runtime.identity.sessions.isActive(id));
  return {
    fanout,
    analytics,
    tickets,
    snapshot,
    counts,
    close() {
      analytics.stop();
      fanout.close();
    },
  };
}
