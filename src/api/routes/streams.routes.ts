import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DriftTestNotApplicable } from '../../analytics/drift/column-drift.js';
import { handleCommand } from '../../commands/command-handler.js';
import { dataStreamId, streamDecider, type StreamCommand, type StreamEvent, type StreamSettings, type StreamSource, type StreamState } from '../../commands/stream/stream.decider.js';
import { kafkaBroker, kafkaTopic, natsSubject } from '../../events/catalogue/stream.events.js';
import { disallowedBrokers } from '../../platform/kafka-record-source.js';
import { verifyWebhookSignature, streamWebhookSecret, SIGNATURE_TOLERANCE_SECONDS } from '../../platform/webhook-signature.js';
import { parseRecordPayload, StreamNotRunning } from '../../processors/stream-monitor.js';
import { findStream, listStreams, streamListOrder, type StreamSummary } from '../../projections/stream-registry.projection.js';
import type { StreamPrecondition } from '../../commands/stream-precondition.js';
import type { Runtime } from '../../runtime.js';
import { actorOf, principalOf } from '../auth/access-control.js';
import { HttpProblem, invalidFields, notFound, problemSchema } from '../problem-details.js';
import { datasetVersion } from './dataset-commands.js';
import { etagResponseHeader, ifMatchHeaders, preconditionOf, setETag } from '../conditional-request.js';
import { readVersioned } from '../versioned-read.js';
import { idempotencyKeyHeaders } from '../idempotency-keys.js';
import { pageFields, pageOf, pageQuery, sortQueryOf } from '../pagination.js';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 412: problemSchema, 422: problemSchema, 502: problemSchema };
const idParams = z.strictObject({ id: z.uuid() });
const TESTS = ['ks', 'wasserstein', 'chisquare', 'z', 'jensenshannon', 'psi'] as const;
const INGEST_BODY_LIMIT = 5 * 1024 * 1024;

const sourceInput = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('nats'), subject: natsSubject }),
  z.strictObject({ kind: z.literal('webhook') }),
  /** Brokers default to all of RAIA_KAFKA_BROKERS; a stream may only name brokers listed there. */
  z.strictObject({ kind: z.literal('kafka'), topic: kafkaTopic, brokers: z.array(kafkaBroker).min(1).max(20).optional() }),
]);
const windowInput = z.strictObject({ records: z.number().int().min(10).max(1_000_000).nullable().optional(), seconds: z.number().int().min(1).max(86_400).nullable().optional() });
const driftInput = z.strictObject({ driftShare: z.number().gt(0).max(1).default(0.5), tests: z.record(z.string(), z.enum(TESTS)).default({}), thresholds: z.record(z.string(), z.number().positive()).default({}) });
const settingsInput = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(5000).default(''),
  reference: z.strictObject({ datasetId: z.uuid(), version: z.number().int().positive().optional() }),
  /** Reference columns to monitor; default every column but identifiers. */
  columns: z.array(z.string().min(1).max(300)).min(1).max(1000).optional(),
  window: windowInput.default({ records: 1000 }),
  drift: driftInput.default({ driftShare: 0.5, tests: {}, thresholds: {} }),
};
const createBody = z.strictObject({ ...settingsInput, source: sourceInput });
const updateBody = z.strictObject({
  name: settingsInput.name.optional(),
  description: z.string().max(5000).optional(),
  reference: settingsInput.reference.optional(),
  columns: settingsInput.columns,
  window: windowInput.optional(),
  drift: driftInput.optional(),
});

/** A stream's source as stored (src/commands/stream/stream.decider.ts, StreamSource). */
const streamSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('nats'), subject: z.string() }),
  z.object({ kind: z.literal('webhook') }),
  z.object({ kind: z.literal('kafka'), brokers: z.array(z.string()), topic: z.string() }),
]);
/** The last evaluated window as the stream registry keeps it (stream-registry.projection.ts). */
const lastWindowSchema = z.object({ sequence: z.number().int(), records: z.number().int(), errors: z.number().int(), datasetDrift: z.boolean(), driftShare: z.number(), from: z.string(), to: z.string(), eventId: z.string() });

const streamSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string(),
    ownerId: z.string(),
    status: z.enum(['started', 'stopped']),
    source: streamSourceSchema,
    reference: z.object({ datasetId: z.uuid(), version: z.number().int() }),
    columns: z.array(z.object({ name: z.string(), kind: z.string() })),
    window: z.object({ records: z.number().int().nullable(), seconds: z.number().int().nullable() }),
    drift: z.object({ driftShare: z.number(), tests: z.record(z.string(), z.string()), thresholds: z.record(z.string(), z.number()) }),
    windows: z.number().int(),
    recordsEvaluated: z.number().int().optional(),
    lastWindow: lastWindowSchema.nullable().optional(),
    createdAt: z.string().optional(),
    updatedAt: z.string().optional(),
  })
  .meta({ id: 'DataStream' });
const webhookSchema = z.object({ url: z.string(), secret: z.string(), signatureHeader: z.string(), timestampHeader: z.string(), signedContent: z.string() });
const windowSummary = z.object({ sequence: z.number().int(), records: z.number().int(), errors: z.number().int(), datasetDrift: z.boolean(), driftShare: z.number(), closedBy: z.string() });

type Existing = Exclude<StreamState, { status: 'none' }>;

const present = (s: Existing) => ({ id: s.streamId, name: s.name, description: s.description, ownerId: s.ownerId, status: s.status === 'started' ? ('started' as const) : ('stopped' as const), source: s.source, reference: { datasetId: s.reference.datasetId, version: s.reference.version }, columns: s.columns, window: s.window, drift: s.drift, windows: s.windows });
// The registry keeps source, drift options and last window as JSON columns written from the stream's events, whose shapes these are.
const presentSummary = ({ streamId, source, drift, lastWindow, ...s }: StreamSummary) => ({
  id: streamId,
  ...s,
  source: source as StreamSource,
  drift: drift as StreamSettings['drift'],
  lastWindow: lastWindow as z.infer<typeof lastWindowSchema> | null,
});

/** Data streams: NATS JetStream, signed webhook or Kafka records monitored in windows for quality and drift. */
export function streamRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    const run = (request: FastifyRequest, streamId: string, command: StreamCommand, precondition?: StreamPrecondition) =>
      handleCommand(runtime, streamDecider, dataStreamId(streamId), command, { actor: actorOf(principalOf(request)), correlationId: request.id, ...(precondition ? { precondition } : {}) });

    /** The stream's state from its own ledger stream (no read-model lag); 404 when it does not exist. */
    async function existing(streamId: string): Promise<Existing> {
      const stored = await runtime.store.readStream(dataStreamId(streamId));
      let state = streamDecider.initialState();
      for (const e of stored) state = streamDecider.evolve(state, runtime.catalogue.upcast(e) as unknown as StreamEvent);
      if (state.status === 'none' || state.status === 'deleted') throw notFound(`stream ${streamId}`);
      return state;
    }

    async function resolveSource(source: z.infer<typeof sourceInput>): Promise<StreamSource> {
      if (source.kind === 'webhook') return source;
      if (source.kind === 'nats') {
        if (!runtime.streams.natsConfigured) throw invalidFields([{ field: 'body.source.kind', message: 'no NATS server is configured for data streams (RAIA_STREAMS_NATS_URL or NATS_URL)' }]);
        return source;
      }
      const allowed = runtime.config.RAIA_KAFKA_BROKERS;
      if (allowed.length === 0) throw invalidFields([{ field: 'body.source.kind', message: 'Kafka is not configured (RAIA_KAFKA_BROKERS)' }]);
      const brokers = source.brokers ?? allowed;
      const refused = disallowedBrokers(brokers, allowed);
      if (refused.length > 0) throw invalidFields([{ field: 'body.source.brokers', message: `not among the configured brokers: ${refused.join(', ')}` }]);
      return { kind: 'kafka', topic: source.topic, brokers };
    }

    async function resolveSettings(input: { name: string; description: string; reference: { datasetId: string; version?: number }; columns?: string[]; window: { records?: number | null; seconds?: number | null }; drift: StreamSettings['drift'] }): Promise<StreamSettings> {
      let version;
      try {
        version = await datasetVersion(runtime, input.reference.datasetId, input.reference.version);
      } catch (error) {
        if (error instanceof HttpProblem && error.status === 404) throw invalidFields([{ field: 'body.reference', message: error.detail ?? 'no such dataset version' }]);
        throw error;
      }
      const names = input.columns ?? version.columns.filter((c) => !c.hints.includes('id')).map((c) => c.name);
      const unknown = names.filter((n) => !version.columns.some((c) => c.name === n));
      if (unknown.length > 0) throw invalidFields(unknown.map((n) => ({ field: 'body.columns', message: `${n} is not a column of the reference dataset` })));
      const columns = names.map((name) => ({ name, kind: ['integer', 'number'].includes(version.columns.find((c) => c.name === name)!.type) ? ('numeric' as const) : ('categorical' as const) }));
      for (const [column, test] of Object.entries(input.drift.tests)) {
        const kind = columns.find((c) => c.name === column)?.kind;
        if (!kind) throw invalidFields([{ field: `body.drift.tests.${column}`, message: 'is not a monitored column' }]);
        if (kind === 'categorical' && (test === 'ks' || test === 'wasserstein')) throw invalidFields([{ field: `body.drift.tests.${column}`, message: new DriftTestNotApplicable(test, kind).message }]);
      }
      return {
        name: input.name,
        description: input.description,
        reference: { datasetId: version.datasetId, version: version.version, sha256: version.sha256, format: version.format },
        columns,
        window: { records: input.window.records ?? null, seconds: input.window.seconds ?? null },
        drift: input.drift,
      };
    }

    app.get('/api/v1/streams', {
      config: { permission: 'datasets:read' },
      schema: {
        tags: ['streams'],
        summary: 'List data streams (not deleted), newest first unless sorted otherwise',
        querystring: z.strictObject({ owner: z.string().max(100).optional(), status: z.enum(['started', 'stopped']).optional(), ...pageQuery(50), ...sortQueryOf(streamListOrder) }),
        response: { 200: z.object({ streams: z.array(streamSchema), ...pageFields }), ...errors },
      },
    }, async (request) => {
      const { owner, ...filter } = request.query;
      const found = await listStreams(runtime.db.knex, { ...filter, ...(owner ? { ownerId: owner === 'me' ? principalOf(request).userId : owner } : {}) });
      return { streams: found.streams.map(presentSummary), ...pageOf(request.query, found.total) };
    });

    app.get('/api/v1/streams/:id', {
      config: { permission: 'datasets:read' },
      schema: { tags: ['streams'], summary: 'A data stream; its ETag is for If-Match on its writes (an evaluated window also advances it)', params: idParams, response: { 200: streamSchema.meta({ headers: etagResponseHeader }), ...errors } },
    }, async (request, reply) => {
      const { value, streamVersion } = await readVersioned(runtime, dataStreamId(request.params.id), 'stream_registry', () => findStream(runtime.db.knex, request.params.id));
      if (!value) throw notFound(`stream ${request.params.id}`);
      setETag(reply, streamVersion);
      return presentSummary(value);
    });

    app.post('/api/v1/streams', {
      config: { permission: 'datasets:write', idempotent: true },
      schema: {
        tags: ['streams'],
        headers: idempotencyKeyHeaders,
        summary: 'Define a data stream: source (NATS subject, signed webhook, Kafka topic), reference dataset version, monitored columns, window, drift options',
        description: 'A webhook stream answers with its signing secret, shown only here: sign `<X-Raia-Timestamp>.<raw body>` with HMAC-SHA256 and send `X-Raia-Signature: sha256=<hex>`. A window closes after `window.records` records (default 1,000) or `window.seconds` seconds.',
        body: createBody,
        response: { 201: streamSchema.extend({ webhook: webhookSchema.optional(), position: z.number().int() }).meta({ headers: etagResponseHeader }), ...errors },
      },
    }, async (request, reply) => {
      const source = await resolveSource(request.body.source);
      const settings = await resolveSettings(request.body);
      const streamId = randomUUID();
      const result = await run(request, streamId, { type: 'CreateStream', streamId, settings, source });
      void reply.status(201).header('location', `/api/v1/streams/${streamId}`);
      setETag(reply, result.streamVersion);
      const webhook =
        source.kind === 'webhook'
          ? { url: `${runtime.config.RAIA_PUBLIC_URL}/api/v1/streams/${streamId}/ingest`, secret: streamWebhookSecret(runtime.keys.masterKey, streamId), signatureHeader: 'X-Raia-Signature', timestampHeader: 'X-Raia-Timestamp', signedContent: '<timestamp>.<raw body>' }
          : undefined;
      return { ...present(result.state as Existing), ...(webhook ? { webhook } : {}), position: result.position };
    });

    app.put('/api/v1/streams/:id', {
      config: { permission: 'datasets:write' },
      schema: {
        tags: ['streams'],
        summary: "Change a stream's settings (owner or admin); fields left out keep their value, the source cannot change; a running monitor restarts with them",
        params: idParams,
        headers: ifMatchHeaders,
        body: updateBody,
        response: { 200: streamSchema.extend({ position: z.number().int() }).meta({ headers: etagResponseHeader }), ...errors },
      },
    }, async (request, reply) => {
      const precondition = preconditionOf(request);
      const current = await existing(request.params.id);
      const body = request.body;
      const settings = await resolveSettings({
        name: body.name ?? current.name,
        description: body.description ?? current.description,
        reference: body.reference ?? { datasetId: current.reference.datasetId, version: current.reference.version },
        columns: body.columns ?? (body.reference ? undefined : current.columns.map((c) => c.name)),
        window: body.window ?? current.window,
        drift: body.drift ?? current.drift,
      });
      // Fields left out keep the values read above; the precondition makes that read-modify-write safe.
      const result = await run(request, request.params.id, { type: 'UpdateStream', settings }, precondition);
      setETag(reply, result.streamVersion);
      const state = result.state as Existing;
      if (state.status === 'started' && runtime.streams.isRunning(state.streamId)) await runtime.streams.start(state);
      return { ...present(state), position: result.position };
    });

    app.delete('/api/v1/streams/:id', {
      config: { permission: 'datasets:write' },
      schema: { tags: ['streams'], summary: 'Delete a stream (owner or admin): monitoring stops, its windows stay in the ledger', params: idParams, headers: ifMatchHeaders, querystring: z.strictObject({ reason: z.string().trim().min(1).max(500).default('deleted') }), response: { 200: z.object({ id: z.uuid(), position: z.number().int() }).meta({ headers: etagResponseHeader }), ...errors } },
    }, async (request, reply) => {
      const precondition = preconditionOf(request);
      await existing(request.params.id);
      const result = await run(request, request.params.id, { type: 'DeleteStream', reason: request.query.reason }, precondition);
      setETag(reply, result.streamVersion);
      await runtime.streams.forget(result.state as Existing);
      return { id: request.params.id, position: result.position };
    });

    app.post('/api/v1/streams/:id/start', {
      config: { permission: 'datasets:write' },
      schema: { tags: ['streams'], summary: 'Start monitoring a stream (owner or admin); it resumes after restarts until stopped', params: idParams, headers: ifMatchHeaders, response: { 200: streamSchema.extend({ position: z.number().int() }).meta({ headers: etagResponseHeader }), ...errors } },
    }, async (request, reply) => {
      const precondition = preconditionOf(request);
      await existing(request.params.id);
      const result = await run(request, request.params.id, { type: 'StartStream' }, precondition);
      const state = result.state as Existing;
      try {
        await runtime.streams.start(state);
      } catch (error) {
        // The start is in the ledger already: record that the source failed, so it does not resume.
        const reason = `source failed to start: ${error instanceof Error ? error.message : String(error)}`;
        await handleCommand(runtime, streamDecider, dataStreamId(state.streamId), { type: 'StopStream', reason: reason.slice(0, 1000) }, { actor: actorOf(principalOf(request)), correlationId: request.id });
        throw new HttpProblem(502, 'stream-source-failed', 'Stream source failed', reason);
      }
      setETag(reply, result.streamVersion);
      return { ...present(state), position: result.position };
    });

    app.post('/api/v1/streams/:id/stop', {
      config: { permission: 'datasets:write' },
      // No ETag in the answer: the flushed window is recorded after the stop, so read the stream for it.
      schema: { tags: ['streams'], summary: 'Stop monitoring a stream (owner or admin); the open window is evaluated and recorded', params: idParams, headers: ifMatchHeaders, response: { 200: streamSchema.extend({ position: z.number().int() }), ...errors } },
    }, async (request) => {
      const precondition = preconditionOf(request);
      await existing(request.params.id);
      const result = await run(request, request.params.id, { type: 'StopStream', reason: 'stopped' }, precondition);
      await runtime.streams.stop(request.params.id, { flush: true });
      const state = await existing(request.params.id);
      return { ...present(state), position: result.position };
    });

    app.get('/api/v1/streams/:id/metrics', {
      config: { permission: 'datasets:read' },
      schema: {
        tags: ['streams'],
        summary: 'Metrics of a stream on this node: records, records/s (last minute), lag, errors, last window and drift result',
        params: idParams,
        response: {
          200: z.object({
            id: z.uuid(),
            status: z.enum(['started', 'stopped']),
            running: z.boolean(),
            source: z.enum(['nats', 'webhook', 'kafka']),
            recordsTotal: z.number().int(),
            errorsTotal: z.number().int(),
            recordsPerSecond: z.number(),
            lag: z.number().int().nullable(),
            windowsEvaluated: z.number().int(),
            windowsInLedger: z.number().int(),
            currentWindowRecords: z.number().int(),
            lastWindowAt: z.string().nullable(),
            lastDrift: z.object({ sequence: z.number().int(), datasetDrift: z.boolean(), driftShare: z.number(), driftedColumns: z.array(z.string()), at: z.string() }).nullable().describe('The last window this process evaluated, null before the first'),
            sourceError: z.string().nullable(),
          }),
          ...errors,
        },
      },
    }, async (request) => {
      const state = await existing(request.params.id);
      const metrics = await runtime.streams.metrics(state.streamId, state.source.kind);
      return { id: state.streamId, status: state.status === 'started' ? ('started' as const) : ('stopped' as const), ...metrics, windowsInLedger: state.windows };
    });

    // Signed webhook ingestion: its own plugin, so the raw bytes reach the handler for the HMAC.
    await app.register(async (ingest) => {
      ingest.removeAllContentTypeParsers();
      ingest.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: INGEST_BODY_LIMIT }, (_request, body, done) => done(null, body));
      ingest.post('/api/v1/streams/:id/ingest', {
        config: {
          public: true,
          rateLimit: { max: runtime.config.RAIA_STREAM_INGEST_RATE_LIMIT_PER_MINUTE, timeWindow: '1 minute', keyGenerator: (request: FastifyRequest) => `stream-ingest:${(request.params as { id?: string }).id ?? ''}` },
        },
        schema: {
          tags: ['streams'],
          summary: 'Ingest records into a started webhook stream (HMAC-SHA256 signed; no bearer token)',
          description: `Body: a JSON array of objects, or NDJSON. Headers: \`X-Raia-Timestamp\` (unix seconds, at most ${SIGNATURE_TOLERANCE_SECONDS} s from now) and \`X-Raia-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">\` with the stream's secret. 401 on a bad or stale signature, 409 when the stream is not a started webhook stream.`,
          params: idParams,
          security: [],
          response: { 202: z.object({ accepted: z.number().int(), errors: z.number().int(), windows: z.array(windowSummary) }), ...errors },
        },
      }, async (request, reply) => {
        const { id } = request.params as z.infer<typeof idParams>;
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const header = (name: string) => (typeof request.headers[name] === 'string' ? (request.headers[name] as string) : undefined);
        const check = verifyWebhookSignature(streamWebhookSecret(runtime.keys.masterKey, id), { signature: header('x-raia-signature'), timestamp: header('x-raia-timestamp') }, body, new Date());
        if (!check.ok) throw new HttpProblem(401, 'invalid-signature', 'Invalid signature', check.reason);
        const state = await existing(id);
        if (state.source.kind !== 'webhook') throw new HttpProblem(409, 'stream-not-webhook', 'Not a webhook stream', `stream ${id} reads from ${state.source.kind}`);
        const parsed = parseRecordPayload(body.toString('utf8'));
        if (parsed.errors > 0) throw invalidFields([{ field: 'body', message: `${parsed.errors} line(s) are not valid JSON; send a JSON array of objects or NDJSON` }]);
        try {
          const result = await runtime.streams.ingest(id, parsed.records);
          void reply.status(202);
          return result;
        } catch (error) {
          if (error instanceof StreamNotRunning) throw new HttpProblem(409, 'stream-not-started', 'Stream not started', state.status === 'started' ? `stream ${id} is not running on this node` : `stream ${id} is not started`);
          throw error;
        }
      });
    });
  };
}
