import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ColumnSample } from '../analytics/drift/column-drift.js';
import { datasetDrift, type DatasetDriftResult } from '../analytics/drift/dataset-drift.js';
import { createRecordWindow, type RecordWindow } from '../analytics/quality/record-window.js';
import { handleCommand } from '../commands/command-handler.js';
import { dataStreamId, streamDecider, type DriftAlert, type StreamDefinition, type StreamEvent, type StreamState } from '../commands/stream/stream.decider.js';
import { systemActor, type JsonObject } from '../events/envelope.js';
import type { EventCatalogue } from '../events/event-catalogue.js';
import type { EventStore } from '../events/event-store.js';
import type { BlobStorage } from '../platform/blob-storage.js';
import { subscribeKafka } from '../platform/kafka-record-source.js';
import type { Logger } from '../platform/logger.js';
import type { NatsRecordSource, RecordDelivery } from '../platform/nats-record-source.js';
import { readColumnsForDrift } from './dataset-files.js';

/**
 * Monitors started data streams: consumes their records (NATS JetStream, Kafka, or records the
 * webhook route hands in), accumulates windows, and records each closed window's quality and drift
 * against the stream's reference as `stream.window-evaluated` (with `drift.alert-raised` when drift
 * was found). Metrics are kept in memory per process. Started streams resume when the runtime
 * starts (their last event is `stream.started`). The open window lives in memory: a crash loses
 * it (its NATS messages were acknowledged), it never counts records twice.
 */

export const STREAM_WINDOW_CODE_VERSION = 'raia-stream-window/1';

export type WindowSummary = { sequence: number; records: number; errors: number; datasetDrift: boolean; driftShare: number; closedBy: 'records' | 'time' | 'stop' };

export type StreamMetrics = {
  running: boolean;
  source: 'nats' | 'webhook' | 'kafka';
  recordsTotal: number;
  errorsTotal: number;
  /** Records per second over the last minute (or since the monitor started, when less). */
  recordsPerSecond: number;
  /** NATS: pending and unacknowledged messages of the consumer; webhook: 0; Kafka: group lag, null when unknown. */
  lag: number | null;
  windowsEvaluated: number;
  currentWindowRecords: number;
  lastWindowAt: string | null;
  lastDrift: { sequence: number; datasetDrift: boolean; driftShare: number; driftedColumns: string[]; at: string } | null;
  /** Why the source could not be read, when it could not. */
  sourceError: string | null;
};

export class StreamNotRunning extends Error {
  readonly code = 'STREAM_NOT_RUNNING';
  constructor(streamId: string) {
    super(`stream ${streamId} is not started on this node`);
    this.name = 'StreamNotRunning';
  }
}

export type StreamMonitorDependencies = {
  store: EventStore;
  catalogue: EventCatalogue;
  blobs: BlobStorage;
  logger: Logger;
  /** Absent when no NATS is configured for data streams. */
  nats: NatsRecordSource | null;
  clock?: () => Date;
};

type Stats = { recordsTotal: number; errorsTotal: number; buckets: Float64Array; bucketSecond: Float64Array; since: number; windowsEvaluated: number; lastWindowAt: string | null; lastDrift: StreamMetrics['lastDrift']; sourceError: string | null };

type Running = {
  def: StreamDefinition;
  reference: ColumnSample[];
  window: RecordWindow;
  windowStartedAt: Date;
  timer: NodeJS.Timeout | null;
  /** Window recordings, chained so windows are recorded in order. */
  queue: Promise<unknown>;
  subscription: { lag(): Promise<number | null>; stop(): Promise<void> } | null;
};

/** A delivery's payload as records: one JSON value (an array is several records), else NDJSON lines. */
export function parseRecordPayload(text: string): { records: unknown[]; errors: number } {
  const trimmed = text.trim();
  if (trimmed === '') return { records: [], errors: 0 };
  try {
    const value: unknown = JSON.parse(trimmed);
    return { records: Array.isArray(value) ? value : [value], errors: 0 };
  } catch {
    const records: unknown[] = [];
    let errors = 0;
    for (const line of trimmed.split(/\r?\n/)) {
      if (line.trim() === '') continue;
      try {
        records.push(JSON.parse(line));
      } catch {
        errors++;
      }
    }
    return { records, errors };
  }
}

/** Alert severity as drift.routes.ts grades it: any drift low, dataset drift medium, three quarters or more high. */
function severityOf(share: number, datasetDrifted: boolean): DriftAlert['severity'] | null {
  if (share === 0) return null;
  if (!datasetDrifted) return 'low';
  return share >= 0.75 ? 'high' : 'medium';
}

/** The drift result without PSI bins and categories: windows are many, their events stay small. */
const compactDrift = (result: DatasetDriftResult): JsonObject =>
  JSON.parse(JSON.stringify({ ...result, columns: result.columns.map(({ psiBins: _b, psiCategories: _c, ...rest }) => rest) })) as JsonObject;

const newStats = (now: number): Stats => ({ recordsTotal: 0, errorsTotal: 0, buckets: new Float64Array(60), bucketSecond: new Float64Array(60).fill(-1), since: now, windowsEvaluated: 0, lastWindowAt: null, lastDrift: null, sourceError: null });

export async function startStreamMonitor(deps: StreamMonitorDependencies) {
  const clock = deps.clock ?? (() => new Date());
  const running = new Map<string, Running>();
  const stats = new Map<string, Stats>();
  const stopping = new Set<string>();

  const statsOf = (streamId: string) => {
    let s = stats.get(streamId);
    if (!s) stats.set(streamId, (s = newStats(Date.now())));
    return s;
  };

  function count(streamId: string, records: number, errors: number) {
    const s = statsOf(streamId);
    s.recordsTotal += records;
    s.errorsTotal += errors;
    const second = Math.floor(Date.now() / 1000);
    const slot = second % 60;
    if (s.bucketSecond[slot] !== second) {
      s.bucketSecond[slot] = second;
      s.buckets[slot] = 0;
    }
    s.buckets[slot]! += records;
  }

  function recordsPerSecond(s: Stats): number {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    let sum = 0;
    for (let i = 0; i < 60; i++) if (s.bucketSecond[i]! > second - 60) sum += s.buckets[i]!;
    const span = Math.min(60, Math.max(1, (now - s.since) / 1000));
    return sum / span;
  }

  async function loadReference(def: StreamDefinition): Promise<ColumnSample[]> {
    const read = await readColumnsForDrift(deps.blobs, def.reference.sha256, def.reference.format, def.columns);
    return def.columns.map((c) => {
      const sample = read.get(c.name)!;
      return sample.kind === 'numeric' ? { kind: 'numeric', values: Float64Array.from(sample.values) } : sample;
    });
  }

  function scheduleTimer(run: Running) {
    if (run.timer) clearTimeout(run.timer);
    run.timer = null;
    if (run.def.window.seconds === null) return;
    run.timer = setTimeout(() => {
      if (run.window.records + run.window.errors > 0) void closeWindow(run, 'time');
      else {
        run.windowStartedAt = clock();
        scheduleTimer(run);
      }
    }, run.def.window.seconds * 1000);
    run.timer.unref();
  }

  /** Closes the open window (a new one opens at once) and records it; resolves when it is recorded. */
  function closeWindow(run: Running, closedBy: WindowSummary['closedBy']): Promise<WindowSummary | null> {
    const window = run.window;
    const from = run.windowStartedAt;
    const to = clock();
    run.window = createRecordWindow(run.def.columns);
    run.windowStartedAt = to;
    scheduleTimer(run);
    const recorded = run.queue.then(() => recordWindow(run.def, run.reference, window, from, to, closedBy));
    run.queue = recorded.catch(() => undefined);
    return recorded;
  }

  async function recordWindow(def: StreamDefinition, reference: ColumnSample[], window: RecordWindow, from: Date, to: Date, closedBy: WindowSummary['closedBy']): Promise<WindowSummary | null> {
    const started = performance.now();
    const perColumn = Object.fromEntries(def.columns.map((c) => [c.name, { ...(def.drift.tests[c.name] ? { test: def.drift.tests[c.name] as never } : {}), ...(def.drift.thresholds[c.name] ? { threshold: def.drift.thresholds[c.name] } : {}) }]));
    let drift: JsonObject;
    let result: DatasetDriftResult | null = null;
    try {
      result = datasetDrift(def.columns.map((c, i) => ({ name: c.name, reference: reference[i]!, current: window.sample(i) })), { driftShare: def.drift.driftShare, columns: perColumn });
      drift = compactDrift(result);
    } catch (error) {
      drift = { error: error instanceof Error ? error.message : String(error) };
    }
    const share = result?.shareOfDriftedColumns ?? 0;
    const drifted = result?.columns.filter((c) => c.drifted).map((c) => c.column) ?? [];
    const severity = result ? severityOf(share, result.datasetDrift) : null;
    const windowId = randomUUID();
    const alert: DriftAlert | null = severity
      ? { alertId: randomUUID(), severity, driftedColumns: drifted, message: `stream ${def.name}: ${drifted.length} of ${result!.numberOfColumns} columns drifted in a window of ${window.records} records (${drifted.slice(0, 5).join(', ')}${drifted.length > 5 ? '…' : ''})` }
      : null;
    try {
      const done = await handleCommand(
        deps,
        streamDecider,
        dataStreamId(def.streamId),
        {
          type: 'RecordWindow',
          window: {
            windowId,
            from: from.toISOString(),
            to: to.toISOString(),
            records: window.records,
            errors: window.errors,
            closedBy,
            quality: window.quality() as unknown as JsonObject,
            drift,
            datasetDrift: result?.datasetDrift ?? false,
            driftShare: share,
            elapsedMs: performance.now() - started,
            codeVersion: STREAM_WINDOW_CODE_VERSION,
          },
          alert,
        },
        { actor: systemActor('stream-monitor') },
      );
      const sequence = done.state.status === 'none' ? 0 : done.state.windows;
      const s = statsOf(def.streamId);
      s.windowsEvaluated++;
      s.lastWindowAt = to.toISOString();
      if (result) s.lastDrift = { sequence, datasetDrift: result.datasetDrift, driftShare: share, driftedColumns: drifted, at: to.toISOString() };
      return { sequence, records: window.records, errors: window.errors, datasetDrift: result?.datasetDrift ?? false, driftShare: share, closedBy };
    } catch (error) {
      deps.logger.error({ err: error, streamId: def.streamId }, 'stream window not recorded');
      return null;
    }
  }

  /** Adds records to the open window, closing (and recording) windows as they fill. */
  async function accept(run: Running, records: unknown[], errors: number): Promise<WindowSummary[]> {
    const closing: Promise<WindowSummary | null>[] = [];
    let accepted = 0;
    let rejected = errors;
    for (let e = 0; e < errors; e++) run.window.pushError();
    for (const record of records) {
      const before = run.window.errors;
      run.window.push(record);
      if (run.window.errors > before) rejected++;
      else accepted++;
      if (run.def.window.records !== null && run.window.records >= run.def.window.records) closing.push(closeWindow(run, 'records'));
    }
    count(run.def.streamId, accepted, rejected);
    return (await Promise.all(closing)).filter((w): w is WindowSummary => w !== null);
  }

  async function onDelivery(streamId: string, delivery: RecordDelivery) {
    const run = running.get(streamId);
    if (!run) return;
    const { records, errors } = parseRecordPayload(Buffer.from(delivery.payload).toString('utf8'));
    await accept(run, records, errors);
  }

  async function start(def: StreamDefinition): Promise<void> {
    if (running.has(def.streamId)) await stop(def.streamId, { flush: true });
    const s = statsOf(def.streamId);
    s.sourceError = null;
    const run: Running = { def, reference: await loadReference(def), window: createRecordWindow(def.columns), windowStartedAt: clock(), timer: null, queue: Promise.resolve(), subscription: null };
    running.set(def.streamId, run);
    try {
      if (def.source.kind === 'nats') {
        if (!deps.nats) throw new Error('no NATS server is configured for data streams (RAIA_STREAMS_NATS_URL or NATS_URL)');
        const sub = await deps.nats.subscribe({ streamId: def.streamId, subject: def.source.subject, handler: (d) => onDelivery(def.streamId, d) });
        run.subscription = sub;
      } else if (def.source.kind === 'kafka') {
        run.subscription = await subscribeKafka({
          streamId: def.streamId,
          brokers: def.source.brokers,
          topic: def.source.topic,
          handler: (d) => onDelivery(def.streamId, d),
          onFailure: (error) => {
            // The consumer gave up (brokers gone for longer than its retries): no longer running.
            s.sourceError = error.message;
            if (run.timer) clearTimeout(run.timer);
            if (running.get(def.streamId) === run) running.delete(def.streamId);
          },
          logger: deps.logger,
        });
      }
    } catch (error) {
      running.delete(def.streamId);
      s.sourceError = error instanceof Error ? error.message : String(error);
      throw error;
    }
    scheduleTimer(run);
  }

  /** Stops consuming; with `flush`, the open window (if it holds anything) is evaluated and recorded first. */
  async function stop(streamId: string, options: { flush: boolean }): Promise<void> {
    const run = running.get(streamId);
    if (!run || stopping.has(streamId)) return;
    stopping.add(streamId);
    try {
      if (run.timer) clearTimeout(run.timer);
      await run.subscription?.stop();
      running.delete(streamId);
      if (options.flush && run.window.records + run.window.errors > 0) await closeWindow(run, 'stop');
      if (run.timer) clearTimeout(run.timer);
      await run.queue;
    } finally {
      stopping.delete(streamId);
    }
  }

  /** Streams whose last state in the ledger is started. */
  async function startedInLedger(): Promise<StreamDefinition[]> {
    const events = await deps.store.readAll({ filter: { types: ['stream.created', 'stream.updated', 'stream.deleted', 'stream.started', 'stream.stopped'] } });
    const states = new Map<string, StreamState>();
    for (const e of events) {
      const state = states.get(e.streamId) ?? streamDecider.initialState();
      states.set(e.streamId, streamDecider.evolve(state, deps.catalogue.upcast(e) as unknown as StreamEvent));
    }
    return [...states.values()].flatMap((s) => (s.status === 'started' ? [s] : []));
  }

  for (const def of await startedInLedger()) {
    await start(def).catch((error: unknown) => deps.logger.error({ err: error, streamId: def.streamId }, 'data stream did not resume'));
  }

  return {
    /** Whether NATS subjects can be sources (a NATS server is configured for data streams). */
    natsConfigured: deps.nats !== null,
    start,
    stop,
    isRunning: (streamId: string) => running.has(streamId) && !stopping.has(streamId),
    /** Records the webhook route received for a started webhook stream. */
    async ingest(streamId: string, records: unknown[], errors = 0): Promise<{ accepted: number; errors: number; windows: WindowSummary[] }> {
      const run = running.get(streamId);
      if (!run || stopping.has(streamId) || run.def.source.kind !== 'webhook') throw new StreamNotRunning(streamId);
      const before = statsOf(streamId);
      const [total, failed] = [before.recordsTotal, before.errorsTotal];
      const windows = await accept(run, records, errors);
      return { accepted: before.recordsTotal - total, errors: before.errorsTotal - failed, windows };
    },
    async metrics(streamId: string, source: StreamMetrics['source']): Promise<StreamMetrics> {
      const run = running.get(streamId);
      const s = statsOf(streamId);
      let lag: number | null = source === 'webhook' ? 0 : null;
      if (run?.subscription) lag = await run.subscription.lag().catch(() => null);
      return {
        running: Boolean(run),
        source,
        recordsTotal: s.recordsTotal,
        errorsTotal: s.errorsTotal,
        recordsPerSecond: run ? recordsPerSecond(s) : 0,
        lag,
        windowsEvaluated: s.windowsEvaluated,
        currentWindowRecords: run?.window.records ?? 0,
        lastWindowAt: s.lastWindowAt,
        lastDrift: s.lastDrift,
        sourceError: s.sourceError,
      };
    },
    /** Forgets a deleted stream's metrics and its NATS consumer (a Kafka group's offsets expire on the brokers). */
    async forget(def: StreamDefinition): Promise<void> {
      await stop(def.streamId, { flush: false });
      stats.delete(def.streamId);
      if (def.source.kind === 'nats' && deps.nats) await deps.nats.forget(def.streamId, def.source.subject).catch((error: unknown) => deps.logger.warn({ err: error, streamId: def.streamId }, 'NATS consumer not removed'));
    },
    async close(): Promise<void> {
      // The open windows are not recorded on shutdown: the streams resume (empty windows) on the next start.
      await Promise.all([...running.keys()].map((id) => stop(id, { flush: false })));
      await deps.nats?.close();
    },
  };
}

export type StreamMonitor = Awaited<ReturnType<typeof startStreamMonitor>>;
