import type { PredictionWindowStats } from '../../analytics/live/prediction-window.js';
import type { WindowSeriesSummary } from '../../analytics/live/window-series.js';
import type { EventStore } from '../../events/event-store.js';
import type { Knex } from '../../platform/database.js';
import type { BusHealth, MessageBus } from '../../platform/message-bus.js';
import type { ProjectionRunner } from '../../projections/projection-runner.js';
import { listModels } from '../../projections/model-registry.projection.js';
import { listStreams } from '../../projections/stream-registry.projection.js';
import type { StreamMetrics } from '../stream-monitor.js';
import type { LiveServices } from './live-services.js';
import type { ProcessMetrics } from './system-metrics.js';

export type LiveAnalyticsDeps = {
  knex: Knex;
  store: EventStore;
  bus: MessageBus;
  projections: Pick<ProjectionRunner, 'status'>;
  relay: { lag(): Promise<number> };
  streamMonitor: { metrics(streamId: string, source: StreamMetrics['source']): Promise<StreamMetrics> };
  live: LiveServices;
  /** This node's connected live clients (the API layer counts them). */
  liveClients(): Record<string, number>;
};

export type ModelsSnapshot = { at: string; models: (PredictionWindowStats & { modelId: string; name: string; version: number })[] };

export type StreamsSnapshot = {
  at: string;
  streams: {
    streamId: string;
    name: string;
    status: string;
    source: StreamMetrics['source'];
    /** Records per second over the last minute, as this node's monitor counts them. */
    throughputPerSecond: number;
    lag: number | null;
    currentWindowRecords: number;
    windows: WindowSeriesSummary;
    lastDrift: StreamMetrics['lastDrift'];
  }[];
};

export type SystemSnapshot = {
  at: string;
  process: ProcessMetrics;
  ledger: { headPosition: number; headHash: string };
  projections: { maxLag: number; items: { name: string; position: number; lag: number; status: string }[] };
  relay: { lag: number };
  bus: BusHealth;
  live: { feedHead: number; busNotices: number; ledgerReads: number; clients: Record<string, number> };
};

const MAX_LISTED = 1000;

/** Per deployed model (its deployed version), the sliding window of its predictions. */
export async function modelsSnapshot(deps: LiveAnalyticsDeps): Promise<ModelsSnapshot> {
  const { models } = await listModels(deps.knex, { status: 'deployed', limit: MAX_LISTED, offset: 0 });
  return {
    at: new Date().toISOString(),
    models: models.map((m) => ({ modelId: m.modelId, name: m.name, version: m.deployedVersion!, ...deps.live.models.stats(m.modelId, m.deployedVersion!) })),
  };
}

/** Per data stream: throughput and lag from its monitor, window quality and drift from its recent windows. */
export async function streamsSnapshot(deps: LiveAnalyticsDeps): Promise<StreamsSnapshot> {
  const { streams } = await listStreams(deps.knex, { limit: MAX_LISTED, offset: 0 });
  return {
    at: new Date().toISOString(),
    streams: await Promise.all(
      streams.map(async (s) => {
        const source = String(s.source.kind) as StreamMetrics['source'];
        const metrics = await deps.streamMonitor.metrics(s.streamId, source);
        return {
          streamId: s.streamId,
          name: s.name,
          status: s.status,
          source,
          throughputPerSecond: metrics.recordsPerSecond,
          lag: metrics.lag,
          currentWindowRecords: metrics.currentWindowRecords,
          windows: deps.live.streams.summary(s.streamId),
          lastDrift: metrics.lastDrift,
        };
      }),
    ),
  };
}

export async function systemSnapshot(deps: LiveAnalyticsDeps): Promise<SystemSnapshot> {
  const [head, projections, relayLag, bus] = await Promise.all([deps.store.head(), deps.projections.status(), deps.relay.lag().catch(() => -1), deps.bus.health()]);
  const counters = deps.live.feed.counters();
  return {
    at: new Date().toISOString(),
    process: deps.live.process.sample(),
    ledger: { headPosition: head.position, headHash: head.hash },
    projections: { maxLag: Math.max(0, ...projections.map((p) => p.lag)), items: projections.map((p) => ({ name: p.name, position: p.position, lag: p.lag, status: p.status })) },
    relay: { lag: relayLag },
    bus,
    live: { feedHead: deps.live.feed.head(), busNotices: counters.busNotices, ledgerReads: counters.reads, clients: deps.liveClients() },
  };
}
