import { cpus, freemem, loadavg, totalmem, uptime as osUptime } from 'node:os';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { countStreams } from '../../projections/stream-catalog.projection.js';
import { listCheckpoints } from '../../processors/processor-checkpoints.js';

const systemMetrics = z.object({
  process: z.object({
    pid: z.number().int(),
    uptimeSeconds: z.number(),
    nodeVersion: z.string(),
    memory: z.object({ rssBytes: z.number(), heapUsedBytes: z.number(), heapTotalBytes: z.number(), externalBytes: z.number() }),
    cpu: z.object({ userMicros: z.number(), systemMicros: z.number() }),
    eventLoopLagMs: z.number(),
  }),
  host: z.object({ cpus: z.number().int(), cpuModel: z.string(), loadAverage: z.array(z.number()), totalMemoryBytes: z.number(), freeMemoryBytes: z.number(), uptimeSeconds: z.number() }),
});

const applicationMetrics = z.object({
  http: z.object({
    requests: z.number().int(),
    byStatusClass: z.record(z.string(), z.number().int()),
    latencyMs: z.object({ p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable() }),
  }),
  ledger: z.object({ adapter: z.string(), headPosition: z.number().int(), streams: z.array(z.object({ category: z.string(), streams: z.number().int(), events: z.number().int() })) }),
  projections: z.array(z.object({ name: z.string(), position: z.number().int(), lag: z.number().int(), status: z.string() })),
  relay: z.object({ bus: z.string(), checkpoint: z.number().int(), lag: z.number().int() }),
});

const databaseMetrics = z.object({
  dialect: z.enum(['postgres', 'pglite']),
  serverVersion: z.string(),
  databaseBytes: z.number(),
  pool: z.object({ size: z.number().int(), used: z.number().int(), free: z.number().int(), pendingAcquires: z.number().int() }),
  tables: z.array(z.object({ name: z.string(), estimatedRows: z.number(), totalBytes: z.number() })),
});

/** Quantile from a Prometheus histogram's cumulative buckets (linear within a bucket, as PromQL does). */
function histogramQuantile(q: number, buckets: { le: number; count: number }[]): number | null {
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return prevLe;
      return prevLe + ((b.le - prevLe) * (rank - prevCount)) / Math.max(1, b.count - prevCount);
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

export const metricsRoutes: FastifyPluginAsyncZod = async (app) => {
  const { runtime, metrics } = app;

  metrics.gauge('raia_ledger_head_position', 'Global position of the newest ledger event', [], async (set) => set({}, (await runtime.store.head()).position));
  metrics.gauge('raia_projection_lag_events', 'Events committed but not yet applied, per projection', ['projection'], async (set) => {
    for (const p of await runtime.projections.status()) set({ projection: p.name }, p.lag);
  });
  metrics.gauge('raia_relay_lag_events', 'Events committed but not yet published to the bus', [], async (set) => set({}, await runtime.relay.lag()));
  // The processors' backlog: what each checkpointed processor (relay, explainer, ...) has still to read.
  metrics.gauge('raia_processor_lag_events', 'Events committed but not yet handled, per checkpointed processor', ['processor'], async (set) => {
    const [head, checkpoints] = await Promise.all([runtime.store.head(), listCheckpoints(runtime.db.knex)]);
    for (const c of checkpoints) set({ processor: c.name }, Math.max(0, head.position - c.position));
  });
  metrics.gauge('raia_explanation_jobs_running', 'Explanation jobs this process is computing now', [], async (set) => set({}, runtime.explanationJobs.running().size));

  app.get('/metrics', {
    config: { permission: 'system:read' },
    schema: { tags: ['metrics'], summary: 'Prometheus exposition format', response: { 200: z.string() } },
  }, async (_request, reply) => {
    void reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  app.get('/api/v1/metrics/system', {
    config: { permission: 'system:read' },
    schema: { tags: ['metrics'], summary: 'Process and host resources', response: { 200: systemMetrics } },
  }, async () => {
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    const lagStart = performance.now();
    await new Promise((r) => setImmediate(r));
    return {
      process: {
        pid: process.pid,
        uptimeSeconds: Math.round(process.uptime()),
        nodeVersion: process.version,
        memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, heapTotalBytes: mem.heapTotal, externalBytes: mem.external },
        cpu: { userMicros: cpu.user, systemMicros: cpu.system },
        eventLoopLagMs: Math.round((performance.now() - lagStart) * 1000) / 1000,
      },
      host: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', loadAverage: loadavg(), totalMemoryBytes: totalmem(), freeMemoryBytes: freemem(), uptimeSeconds: Math.round(osUptime()) },
    };
  });

  app.get('/api/v1/metrics/application', {
    config: { permission: 'system:read' },
    schema: { tags: ['metrics'], summary: 'HTTP traffic, ledger size, projection and relay lag', response: { 200: applicationMetrics } },
  }, async () => {
    const requests = await metrics.httpRequests.get();
    const byStatusClass: Record<string, number> = {};
    let total = 0;
    for (const v of requests.values) {
      const cls = `${String(v.labels.status ?? '0')[0]}xx`;
      byStatusClass[cls] = (byStatusClass[cls] ?? 0) + v.value;
      total += v.value;
    }
    // Merge every route's buckets into one latency distribution.
    const merged = new Map<number, number>();
    for (const v of (await metrics.httpDuration.get()).values) {
      if (v.metricName !== 'raia_http_request_duration_seconds_bucket') continue;
      const { le: bound } = v.labels as Record<string, string | number>;
      const le = bound === '+Inf' ? Infinity : Number(bound);
      merged.set(le, (merged.get(le) ?? 0) + v.value);
    }
    const buckets = [...merged.entries()].sort((a, b) => a[0] - b[0]).map(([le, count]) => ({ le, count }));
    const ms = (q: number) => {
      const s = histogramQuantile(q, buckets);
      return s === null ? null : Math.round(s * 1e6) / 1e3;
    };
    const [head, streams, projections, relayLag] = await Promise.all([runtime.store.head(), countStreams(runtime.db.knex), runtime.projections.status(), runtime.relay.lag()]);
    return {
      http: { requests: total, byStatusClass, latencyMs: { p50: ms(0.5), p95: ms(0.95), p99: ms(0.99) } },
      ledger: { adapter: runtime.store.name, headPosition: head.position, streams },
      projections: projections.map(({ name, position, lag, status }) => ({ name, position, lag, status })),
      relay: { bus: runtime.bus.kind, checkpoint: runtime.relay.checkpoint(), lag: relayLag },
    };
  });

  app.get('/api/v1/metrics/database', {
    config: { permission: 'system:read' },
    schema: { tags: ['metrics'], summary: 'Database size, connection pool and the largest tables', response: { 200: databaseMetrics } },
  }, async () => {
    const { knex, dialect, schema } = runtime.db;
    const [{ rows: version }, { rows: size }, { rows: tables }] = await Promise.all([
      knex.raw<{ rows: { v: string }[] }>('SELECT version() AS v'),
      knex.raw<{ rows: { bytes: string | number }[] }>('SELECT pg_database_size(current_database()) AS bytes'),
      knex.raw<{ rows: { name: string; rows: number; bytes: string | number }[] }>(
        `SELECT c.relname AS name, greatest(c.reltuples, 0)::float8 AS rows, pg_total_relation_size(c.oid) AS bytes
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = ? AND c.relkind = 'r'
          ORDER BY pg_total_relation_size(c.oid) DESC LIMIT 50`,
        [schema],
      ),
    ]);
    // tarn's pool (knex) exposes its counters; PGlite runs on a pool of one.
    const pool = (knex.client as { pool?: { numUsed(): number; numFree(): number; numPendingAcquires(): number; max: number } }).pool;
    return {
      dialect,
      serverVersion: version[0]!.v,
      databaseBytes: Number(size[0]!.bytes),
      pool: { size: pool?.max ?? 1, used: pool?.numUsed() ?? 0, free: pool?.numFree() ?? 0, pendingAcquires: pool?.numPendingAcquires() ?? 0 },
      tables: tables.map((t) => ({ name: t.name, estimatedRows: Number(t.rows), totalBytes: Number(t.bytes) })),
    };
  });
};
