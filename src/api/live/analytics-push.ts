import type { Logger } from '../../platform/logger.js';
import type { AnalyticsChannel, AnalyticsSubscriptions } from '../../processors/live/analytics-subscriptions.js';
import type { Principal } from '../auth/access-control.js';
import type { Permission } from '../permissions.js';
import { principalMay } from './event-read-permission.js';
import type { LiveTransport } from './ledger-fanout.js';

/** The permission each analytics channel needs: the same as its GET /api/v1/analytics/real-time/<channel>. */
export const analyticsChannelPermission: Record<AnalyticsChannel, Permission> = {
  models: 'models:read',
  streams: 'datasets:read',
  system: 'system:read',
};

type Connection = { principal: Principal; transport: LiveTransport };

/**
 * Pushes analytics snapshots to this node's `/ws/real-time` connections: at each tick it reads
 * which channels its connections subscribed to (one query, wherever the subscription was made),
 * computes each needed snapshot once, and sends it to every subscriber allowed to read it.
 */
export class AnalyticsPush {
  private readonly connections = new Map<string, Connection>();
  private readonly timer: NodeJS.Timeout;
  private ticking = false;

  constructor(
    private readonly subscriptions: AnalyticsSubscriptions,
    private readonly snapshot: (channel: AnalyticsChannel) => Promise<unknown>,
    private readonly options: { intervalMs: number; maxBufferedBytes: number; logger?: Logger },
  ) {
    this.timer = setInterval(() => void this.tick(), options.intervalMs);
    this.timer.unref();
  }

  get size(): number {
    return this.connections.size;
  }

  async open(connectionId: string, principal: Principal, transport: LiveTransport): Promise<void> {
    await this.subscriptions.open(connectionId, principal.userId);
    this.connections.set(connectionId, { principal, transport });
  }

  async close(connectionId: string): Promise<void> {
    this.connections.delete(connectionId);
    await this.subscriptions.close(connectionId).catch((error: unknown) => this.options.logger?.warn({ err: error }, 'live connection row not removed'));
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async tick(): Promise<void> {
    if (this.ticking || this.connections.size === 0) return;
    this.ticking = true;
    try {
      const channels = await this.subscriptions.channelsOf([...this.connections.keys()]);
      const snapshots = new Map<AnalyticsChannel, Promise<string>>();
      const frameOf = (channel: AnalyticsChannel) => {
        let frame = snapshots.get(channel);
        if (!frame) snapshots.set(channel, (frame = this.snapshot(channel).then((data) => JSON.stringify({ type: 'analytics', channel, data }))));
        return frame;
      };
      for (const [id, subscribed] of channels) {
        const connection = this.connections.get(id);
        if (!connection) continue;
        for (const channel of subscribed) {
          // Checked here too, not only by the subscribe route: the row is only a list of names.
          if (!principalMay(connection.principal, analyticsChannelPermission[channel])) continue;
          const frame = await frameOf(channel);
          if (!this.connections.has(id)) break;
          connection.transport.write(frame);
          if (connection.transport.bufferedBytes() > this.options.maxBufferedBytes) {
            this.connections.delete(id);
            connection.transport.end('slow-consumer');
            break;
          }
        }
      }
    } catch (error) {
      this.options.logger?.warn({ err: error }, 'analytics push failed');
    } finally {
      this.ticking = false;
    }
  }
}
