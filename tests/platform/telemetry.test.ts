import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { TelemetryConfigError, startTelemetry, tracesEndpoint } from '../../src/platform/telemetry.js';
import { TEST_DATABASE_URL } from '../support/test-database.js';

const root = join(import.meta.dirname, '..', '..');
const admin = { email: 'admin@raia.test', password: 'bootstrap passphrase 2026' };
const children: ChildProcessWithoutNullStreams[] = [];
const cleanups: (() => Promise<unknown> | void)[] = [];

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const cleanup of cleanups.reverse()) await cleanup();
});

// OTLP/JSON as the collector receives it (opentelemetry-proto, JSON encoding: ids in hex).
type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean };
type OtlpSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: OtlpValue }[];
  links?: { traceId: string; spanId: string }[];
};
type ExportRequest = { resourceSpans: { resource: { attributes: { key: string; value: OtlpValue }[] }; scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[] }[] };
const SPAN_KIND = { server: 2, producer: 4, consumer: 5 };

/** An OTLP/HTTP trace receiver on loopback, as a collector (Jaeger, Tempo) exposes it on :4318. */
async function startReceiver() {
  const requests: { path: string; contentType: string; body: ExportRequest }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += String(chunk)));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '', body: JSON.parse(body) as ExportRequest });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  const { port } = server.address() as { port: number };
  const spans = () => requests.flatMap((r) => r.body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
  return { url: `http://127.0.0.1:${port}`, requests, spans };
}

const attribute = (span: OtlpSpan, key: string) => {
  const v = span.attributes?.find((a) => a.key === key)?.value;
  return v?.stringValue ?? v?.intValue ?? v?.boolValue;
};

async function until<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** RAIA as `npm start` runs it, on its own PostgreSQL schema and NATS stream. */
async function startRaia(env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'raia-otel-'));
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const suffix = randomBytes(4).toString('hex');
  cleanups.push(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '',
      RAIA_DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DATABASE_URL: TEST_DATABASE_URL,
      DATABASE_SCHEMA: schema,
      NATS_URL: 'nats://127.0.0.1:4222',
      NATS_STREAM: `RAIA_OTEL_${suffix}`,
      NATS_SUBJECT_PREFIX: `raia-otel-${suffix}.events`,
      // No seal archive: it would keep this run's seals in a stream that refuses purges.
      NATS_SEAL_STREAM: 'off',
      EVENTSTORE_URL: '',
      // A seal after every append: the ledger sealer is a processor that handles every event.
      RAIA_SEAL_EVERY: '1',
      RAIA_BOOTSTRAP_ADMIN_EMAIL: admin.email,
      RAIA_BOOTSTRAP_ADMIN_PASSWORD: admin.password,
      ...env,
    },
  });
  children.push(child);
  let output = '';
  child.stdout.on('data', (d) => (output += String(d)));
  child.stderr.on('data', (d) => (output += String(d)));
  const base = await until('the server to listen', () => /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1], 45_000);
  const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(admin) });
  expect(login.status).toBe(200);
  const { accessToken } = (await login.json()) as { accessToken: string };
  const logLines = () =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const stop = async () => {
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  return { base, accessToken, logLines, output: () => output, stop, subjectPrefix: `raia-otel-${suffix}.events` };
}

/** A W3C traceparent of a caller's own trace: the ids the server's spans must continue. */
function callerTrace() {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

async function registerModel(raia: { base: string; accessToken: string }, traceparent: string) {
  const response = await fetch(`${raia.base}/api/v1/models`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${raia.accessToken}`, traceparent },
    body: JSON.stringify({ name: 'Traced model', type: 'classification', riskTier: 'limited' }),
  });
  expect(response.status).toBe(201);
  return { id: ((await response.json()) as { id: string }).id, requestId: response.headers.get('x-request-id')! };
}

describe('tracing over OTLP/HTTP (OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  it('exports the request span, its pg queries, the NATS publish of its event and processor spans linked to it; its log lines carry its trace id', async () => {
    const receiver = await startReceiver();
    const raia = await startRaia({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'raia-under-test', OTEL_BSP_SCHEDULE_DELAY: '100' });
    const caller = callerTrace();
    const model = await registerModel(raia, caller.traceparent);

    // The server span continues the caller's trace, as W3C Trace Context propagation requires.
    const server = await until('the server span', () =>
      receiver.spans().find((s) => s.kind === SPAN_KIND.server && s.traceId === caller.traceId && attribute(s, 'http.route') === '/api/v1/models'),
    );
    expect(server.parentSpanId).toBe(caller.spanId);
    expect(server.name).toBe('POST /api/v1/models');
    expect(attribute(server, 'http.response.status_code') ?? attribute(server, 'http.status_code')).toBe(201);

    const inTrace = () => receiver.spans().filter((s) => s.traceId === caller.traceId);
    const descendsFromServer = (span: OtlpSpan): boolean => {
      const byId = new Map(inTrace().map((s) => [s.spanId, s]));
      for (let s: OtlpSpan | undefined = span; s; s = s.parentSpanId ? byId.get(s.parentSpanId) : undefined) if (s.spanId === server.spanId) return true;
      return false;
    };
    const pgQueries = await until('pg query spans', () => {
      const found = inTrace().filter((s) => attribute(s, 'db.system') === 'postgresql' || attribute(s, 'db.system.name') === 'postgresql');
      return found.length > 0 && found;
    });
    for (const q of pgQueries) expect(descendsFromServer(q)).toBe(true);

    const subject = `${raia.subjectPrefix}.model.registered`;
    const publish = await until('the NATS publish span', () => inTrace().find((s) => s.kind === SPAN_KIND.producer && attribute(s, 'messaging.destination.name') === subject));
    expect(attribute(publish, 'messaging.system')).toBe('nats');
    expect(descendsFromServer(publish)).toBe(true);

    // Processors run in traces of their own, linked to the span that appended the event.
    const appendingSpans = new Set(inTrace().map((s) => s.spanId));
    const linked = (name: string) => receiver.spans().find((s) => s.name === name && s.kind === SPAN_KIND.consumer && s.links?.some((l) => l.traceId === caller.traceId && appendingSpans.has(l.spanId)));
    const sealer = await until('the ledger sealer span', () => linked('ledger-sealer'));
    expect(sealer.traceId).not.toBe(caller.traceId);
    await until('the model registry projection span', () => linked('projection model_registry'));

    // The event remembers the span that appended it: the link target of whatever it causes.
    const history = await fetch(`${raia.base}/api/v1/models/${model.id}/history`, { headers: { authorization: `Bearer ${raia.accessToken}` } });
    const [registered] = ((await history.json()) as { events: { type: string; metadata: { traceparent?: string } }[] }).events;
    expect(registered!.type).toBe('model.registered');
    const [, traceId, spanId] = registered!.metadata.traceparent!.split('-');
    expect(traceId).toBe(caller.traceId);
    expect(appendingSpans.has(spanId!)).toBe(true);

    const requestLines = raia.logLines().filter((line) => line.reqId === model.requestId);
    expect(requestLines.map((line) => line.msg)).toEqual(expect.arrayContaining(['incoming request', 'request completed']));
    for (const line of requestLines) expect(line.trace_id).toBe(caller.traceId);
    expect(raia.logLines().find((line) => line.msg === 'tracing to OTLP/HTTP')?.endpoint).toBe(`${receiver.url}/v1/traces`);

    expect(receiver.requests.every((r) => r.path === '/v1/traces' && r.contentType.startsWith('application/json'))).toBe(true);
    const resource = receiver.requests[0]!.body.resourceSpans[0]!.resource.attributes;
    expect(resource.find((a) => a.key === 'service.name')?.value.stringValue).toBe('raia-under-test');
    await raia.stop();
  }, 120_000);

  it('without an endpoint starts no SDK: nothing is exported, no trace context reaches events or log lines', async () => {
    const receiver = await startReceiver();
    // Everything but the endpoint: the exporter's default (localhost:4318) must not be tried either.
    const raia = await startRaia({ OTEL_SERVICE_NAME: 'raia-under-test', OTEL_TRACES_SAMPLER: 'always_on' });
    const caller = callerTrace();
    const model = await registerModel(raia, caller.traceparent);
    const history = await fetch(`${raia.base}/api/v1/models/${model.id}/history`, { headers: { authorization: `Bearer ${raia.accessToken}` } });
    const [registered] = ((await history.json()) as { events: { metadata: Record<string, unknown> }[] }).events;
    expect(registered!.metadata).toEqual({});
    const lines = raia.logLines();
    expect(lines.filter((line) => line.reqId === model.requestId).length).toBeGreaterThan(0);
    expect(lines.some((line) => 'trace_id' in line || 'span_id' in line)).toBe(false);
    expect(lines.some((line) => line.msg === 'tracing to OTLP/HTTP')).toBe(false);
    await raia.stop();
    expect(receiver.requests).toEqual([]);
  }, 120_000);

  it('loads no SDK when the environment does not ask for traces', () => {
    const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes('@opentelemetry/sdk-trace'));
    for (const env of [{}, { OTEL_EXPORTER_OTLP_ENDPOINT: '' }, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' }, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_TRACES_EXPORTER: 'none' }]) {
      expect(startTelemetry(env)).toBeNull();
    }
    expect(loaded()).toEqual([]);
  });

  it('reads the endpoint as the OpenTelemetry specification says and refuses a malformed one, naming the variable', () => {
    // Spec, "Endpoint URLs for OTLP/HTTP": the signal path is appended to the general endpoint only.
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toBe('http://collector:4318/v1/traces');
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://tempo.example/otlp/traces' })).toBe('https://tempo.example/otlp/traces');
    expect(() => tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(TelemetryConfigError);
    expect(() => tracesEndpoint({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' })).toThrow('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: must be an http:// or https:// URL');
  });
});
