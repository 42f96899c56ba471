import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ANALYTICS_CHANNELS, type AnalyticsChannel } from '../../processors/live/analytics-subscriptions.js';
import type { Runtime } from '../../runtime.js';
import { principalOf } from '../auth/access-control.js';
import { analyticsChannelPermission } from '../live/analytics-push.js';
import { principalMay } from '../live/event-read-permission.js';
import type { LiveNode } from '../live/live-node.js';
import { HttpProblem, notFound, problemSchema } from '../problem-details.js';

const nullableNumber = z.number().nullable();
const predictionWindow = z.object({
  modelId: z.uuid(),
  name: z.string(),
  version: z.number().int(),
  windowMs: z.number(),
  predictions: z.number(),
  ratePerSecond: z.number(),
  latencyMs: z.object({ p50: nullableNumber, p95: nullableNumber, p99: nullableNumber, mean: nullableNumber }).describe('Percentiles from a log-bucket histogram: at most 4 % above the exact sample percentile'),
  errorRate: nullableNumber.describe('Share of the outcomes recorded in the window (classifiers) that differ from the prediction'),
  outcomes: z.number(),
  scores: z.object({ bins: z.array(z.object({ lower: z.number(), upper: z.number(), count: z.number() })), outOfRange: z.number(), missing: z.number() }),
  drift: z.object({ status: z.enum(['insufficient-data', 'stable', 'moderate', 'significant']), psi: nullableNumber, previousPredictions: z.number() }).describe('PSI of the score distribution against the previous window (< 0.1 stable, < 0.25 moderate)'),
});
const modelsResponse = z.object({ at: z.string(), models: z.array(predictionWindow) });

const closedWindow = z.object({ closedAtMs: z.number(), records: z.number(), errors: z.number(), missingRate: z.number(), typeErrorRate: z.number(), datasetDrift: z.boolean(), driftShare: z.number() });
const streamsResponse = z.object({
  at: z.string(),
  streams: z.array(
    z.object({
      streamId: z.uuid(),
      name: z.string(),
      status: z.string(),
      source: z.enum(['nats', 'webhook', 'kafka']),
      throughputPerSecond: z.number(),
      lag: nullableNumber,
      currentWindowRecords: z.number(),
      windows: z.object({
        horizonMs: z.number(),
        windows: z.number(),
        records: z.number(),
        errors: z.number(),
        missingRate: nullableNumber,
        typeErrorRate: nullableNumber,
        driftedWindowShare: nullableNumber,
        last: closedWindow.nullable(),
      }),
      lastDrift: z.object({ sequence: z.number(), datasetDrift: z.boolean(), driftShare: z.number(), driftedColumns: z.array(z.string()), at: z.string() }).nullable(),
    }),
  ),
});

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const systemResponse = z.object({
  at: z.string(),
  process: z.object({
    eventLoopDelayMs: z.object({ p50: z.number(), p99: z.number(), max: z.number(), mean: z.number() }),
    memory: z.object({ rssBytes: z.number(), heapUsedBytes: z.number(), heapTotalBytes: z.number(), externalBytes: z.number() }),
    cpu: z.object({ userSeconds: z.number(), systemSeconds: z.number(), coreShare: z.number() }),
    uptimeSeconds: z.number(),
  }),
  ledger: z.object({ headPosition: z.number().int(), headHash: z.string() }),
  projections: z.object({ maxLag: z.number().int(), items: z.array(z.object({ name: z.string(), position: z.number().int(), lag: z.number().int(), status: z.string() })) }),
  relay: z.object({ lag: z.number().int() }),
  bus: z.object({ kind: z.enum(['nats', 'in-process']), connected: z.boolean(), detail: z.record(z.string(), scalar).optional() }),
  live: z.object({ feedHead: z.number().int(), busNotices: z.number().int(), ledgerReads: z.number().int(), clients: z.record(z.string(), z.number().int()) }),
});

const subscriptionBody = z.strictObject({
  connectionId: z.uuid().describe('From the `welcome` frame of /ws/real-time'),
  channels: z.array(z.enum(ANALYTICS_CHANNELS)).min(1).max(ANALYTICS_CHANNELS.length),
});
const subscriptionResponse = z.object({ connectionId: z.uuid(), channels: z.array(z.enum(ANALYTICS_CHANNELS)) });

/** Live analytics (issue 21): sliding-window figures per deployed model and data stream, and this node's health. */
export function liveAnalyticsRoutes(runtime: Runtime, node: LiveNode): FastifyPluginAsyncZod {
  return async (app) => {
    const { live } = runtime;

    app.get('/api/v1/analytics/real-time/models', {
      config: { permission: 'models:read' },
      schema: {
        tags: ['real-time'],
        summary: 'Per deployed model: prediction rate, latency percentiles, error rate, score distribution and drift over a sliding window of the prediction log',
        description: 'The window is the last five minutes (slots of 5 s), updated incrementally from the prediction log (every node sees every node\'s predictions); drift compares it with the five minutes before.',
        response: { 200: modelsResponse },
      },
    }, async () => (await node.snapshot('models')) as z.infer<typeof modelsResponse>);

    app.get('/api/v1/analytics/real-time/streams', {
      config: { permission: 'datasets:read' },
      schema: {
        tags: ['real-time'],
        summary: 'Per data stream: throughput, lag, window quality and drift over the windows evaluated in the last 15 minutes',
        response: { 200: streamsResponse },
      },
    }, async () => (await node.snapshot('streams')) as z.infer<typeof streamsResponse>);

    app.get('/api/v1/analytics/real-time/system', {
      config: { permission: 'system:read' },
      schema: {
        tags: ['real-time'],
        summary: "This node: event-loop delay, memory, CPU, ledger head, projection and relay lag, message bus status, live clients",
        response: { 200: systemResponse },
      },
    }, async () => (await node.snapshot('system')) as z.infer<typeof systemResponse>);

    const forbiddenChannels = (channels: AnalyticsChannel[], may: (c: AnalyticsChannel) => boolean) => {
      const refused = channels.filter((c) => !may(c));
      if (refused.length > 0) {
        throw new HttpProblem(403, 'forbidden', 'Forbidden', refused.map((c) => `channel ${c} needs ${analyticsChannelPermission[c]}`).join('; '), {
          errors: refused.map((c) => ({ field: `body.channels.${channels.indexOf(c)}`, message: `needs the ${analyticsChannelPermission[c]} permission` })),
        });
      }
    };

    app.post('/api/v1/analytics/subscribe', {
      config: { permission: 'self:manage' },
      schema: {
        tags: ['real-time'],
        summary: 'Subscribe a /ws/real-time connection of the caller to analytics channels (models, streams, system)',
        description: 'Each channel needs the permission of its GET /api/v1/analytics/real-time/<channel>. Any node may take the request: subscriptions are stored, and the connection\'s node pushes them.',
        body: subscriptionBody,
        response: { 200: subscriptionResponse, 400: problemSchema, 403: problemSchema, 404: problemSchema },
      },
    }, async (request) => {
      const principal = principalOf(request);
      const { connectionId, channels } = request.body;
      forbiddenChannels(channels, (c) => principalMay(principal, analyticsChannelPermission[c]));
      const now = await live.subscriptions.subscribe(connectionId, principal.userId, channels);
      if (!now) throw notFound(`live connection ${connectionId} of the caller`);
      void node.analytics.tick();
      return { connectionId, channels: now };
    });

    app.post('/api/v1/analytics/unsubscribe', {
      config: { permission: 'self:manage' },
      schema: {
        tags: ['real-time'],
        summary: 'Unsubscribe a /ws/real-time connection of the caller from analytics channels',
        body: subscriptionBody,
        response: { 200: subscriptionResponse, 400: problemSchema, 404: problemSchema },
      },
    }, async (request) => {
      const principal = principalOf(request);
      const { connectionId, channels } = request.body;
      const now = await live.subscriptions.unsubscribe(connectionId, principal.userId, channels);
      if (!now) throw notFound(`live connection ${connectionId} of the caller`);
      return { connectionId, channels: now };
    });
  };
}
