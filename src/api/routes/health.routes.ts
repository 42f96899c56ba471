import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { API_VERSION } from '../api-version.js';
import { checkReadiness } from '../../readiness.js';

const check = z.object({ ok: z.boolean(), latencyMs: z.number().optional(), error: z.string().optional() });

const readinessCheck = z.object({ ok: z.boolean(), error: z.string().optional() });
const readiness = z.object({
  status: z.enum(['ready', 'not-ready']),
  failing: z.array(z.enum(['database', 'projections', 'bus'])),
  checks: z.object({
    database: readinessCheck,
    projections: readinessCheck.extend({ maxLag: z.number().int(), behind: z.array(z.object({ name: z.string(), lag: z.number().int(), status: z.string() })) }),
    bus: readinessCheck.extend({ kind: z.enum(['nats', 'in-process']) }),
  }),
});

const detailedHealth = z.object({
  status: z.enum(['ok', 'degraded']),
  version: z.string(),
  uptimeSeconds: z.number(),
  database: check.extend({ dialect: z.enum(['postgres', 'pglite']) }),
  bus: check.extend({ kind: z.enum(['nats', 'in-process']) }),
  ledger: check.extend({ adapter: z.string(), headPosition: z.number().int(), headHash: z.string(), lastEventAt: z.string().nullable() }),
  relay: z.object({ checkpoint: z.number().int(), lag: z.number().int() }),
  projections: z.array(z.object({ name: z.string(), version: z.number().int(), position: z.number().int(), lag: z.number().int(), status: z.string(), lastError: z.string().nullable() })),
  /** How document search finds nearest chunks: pgvector's HNSW index, or exact comparison when the server lacks pgvector (with why). */
  documents: z.object({ vectorSearch: z.enum(['hnsw', 'exact']), embedder: z.string(), dimensions: z.number().int(), reason: z.string().optional() }),
});

async function timed<T>(work: () => Promise<T>): Promise<{ ok: true; latencyMs: number; value: T } | { ok: false; latencyMs: number; error: string }> {
  const start = performance.now();
  try {
    const value = await work();
    return { ok: true, latencyMs: Math.round((performance.now() - start) * 100) / 100, value };
  } catch (error) {
    return { ok: false, latencyMs: Math.round((performance.now() - start) * 100) / 100, error: error instanceof Error ? error.message : String(error) };
  }
}

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  const { runtime } = app;

  app.get('/api/v1/health', {
    config: { public: true },
    schema: {
      tags: ['health'],
      summary: 'Liveness: the process answers',
      response: { 200: z.object({ status: z.literal('ok'), version: z.string(), uptimeSeconds: z.number() }) },
    },
  }, async () => ({ status: 'ok' as const, version: API_VERSION, uptimeSeconds: Math.round((Date.now() - runtime.startedAt.getTime()) / 1000) }));

  app.get('/api/v1/health/ready', {
    config: { public: true },
    schema: {
      tags: ['health'],
      summary: 'Readiness: 200 while the database answers, read models are caught up (RAIA_READY_MAX_LAG) and NATS, when configured, answers; else 503 naming the failing checks',
      response: { 200: readiness, 503: readiness },
    },
  }, async (_request, reply) => {
    const result = await checkReadiness(runtime, runtime.config.RAIA_READY_MAX_LAG);
    void reply.status(result.ready ? 200 : 503);
    return { status: result.ready ? ('ready' as const) : ('not-ready' as const), failing: result.failing, checks: result.checks };
  });

  app.get('/api/v1/health/detailed', {
    config: { permission: 'system:read' },
    schema: {
      tags: ['health'],
      summary: 'Database, bus, ledger head and each projection\'s lag; 503 when a dependency is down',
      response: { 200: detailedHealth, 503: detailedHealth },
    },
  }, async (_request, reply) => {
    const [database, bus, head, projections] = await Promise.all([
      timed(() => runtime.db.knex.raw('SELECT 1')),
      timed(() => runtime.bus.health()),
      timed(() => runtime.store.head()),
      runtime.projections.status().catch(() => []),
    ]);
    const relayLag = await runtime.relay.lag().catch(() => -1);
    const body = {
      version: API_VERSION,
      uptimeSeconds: Math.round((Date.now() - runtime.startedAt.getTime()) / 1000),
      database: { ok: database.ok, latencyMs: database.latencyMs, dialect: runtime.db.dialect, ...(database.ok ? {} : { error: database.error }) },
      bus: bus.ok
        ? { ok: bus.value.connected, latencyMs: bus.latencyMs, kind: bus.value.kind }
        : { ok: false, latencyMs: bus.latencyMs, kind: runtime.bus.kind, error: bus.error },
      ledger: head.ok
        ? { ok: true, latencyMs: head.latencyMs, adapter: runtime.store.name, headPosition: head.value.position, headHash: head.value.hash, lastEventAt: head.value.occurredAt?.toISOString() ?? null }
        : { ok: false, latencyMs: head.latencyMs, adapter: runtime.store.name, headPosition: -1, headHash: '', lastEventAt: null, error: head.error },
      relay: { checkpoint: runtime.relay.checkpoint(), lag: relayLag },
      projections,
      documents: {
        vectorSearch: runtime.documents.vectorIndex.mode,
        embedder: runtime.documents.embedder.id,
        dimensions: runtime.documents.embedder.dimensions,
        ...(runtime.documents.vectorIndex.mode === 'exact' ? { reason: runtime.documents.vectorIndex.reason } : {}),
      },
    };
    const healthy = body.database.ok && body.bus.ok && body.ledger.ok && projections.every((p) => p.status !== 'failed');
    void reply.status(healthy ? 200 : 503);
    return { status: healthy ? ('ok' as const) : ('degraded' as const), ...body };
  });
};
