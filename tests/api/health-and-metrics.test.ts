import { randomBytes } from 'node:crypto';
import { connect } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-runtime.js';
import { newEvent } from '../support/events.js';
import { readModels } from '../../src/projections/read-models.js';

describe.each(['postgres', 'pglite'] as const)('health and metrics routes on %s', (dialect) => {
  let server: TestServer;
  let auth: { authorization: string };
  beforeAll(async () => {
    server = await startTestServer(dialect);
    auth = { authorization: `Bearer ${await server.tokenFor('auditor')}` };
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers liveness with a generated request id, and echoes a caller-supplied one', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/api/v1/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', version: '0.1.0' });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const traced = await server.app.inject({ method: 'GET', url: '/api/v1/health', headers: { 'x-request-id': 'trace-123' } });
    expect(traced.headers['x-request-id']).toBe('trace-123');
  });

  it('answers readiness without a token: 200 while database and read models are caught up', async () => {
    await server.runtime.projections.waitFor((await server.runtime.store.head()).position, 10_000);
    const res = await server.app.inject({ method: 'GET', url: '/api/v1/health/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ready', failing: [], checks: { database: { ok: true }, projections: { ok: true, maxLag: 1000, behind: [] }, bus: { ok: true, kind: 'in-process' } } });
  });

  it('reports database, bus, ledger head and each projection\'s lag in detailed health', async () => {
    const { position, events } = await server.runtime.store.append('model-health', [newEvent(), newEvent()]);
    await server.runtime.projections.waitFor(position, 10_000);
    const res = await server.app.inject({ method: 'GET', url: '/api/v1/health/detailed', headers: auth });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('ok');
    expect(body.database).toMatchObject({ ok: true, dialect });
    expect(body.bus).toMatchObject({ ok: true, kind: 'in-process' });
    expect(body.ledger).toMatchObject({ ok: true, headPosition: position, headHash: events[1]!.hash });
    expect(body.projections.map((p: { name: string }) => p.name).sort()).toEqual(readModels.map((p) => p.name).sort());
    for (const p of body.projections) expect(p).toMatchObject({ lag: 0, status: 'running', position });
  });

  it('serves Prometheus text with HTTP, ledger and projection metrics', async () => {
    await server.app.inject({ method: 'GET', url: '/api/v1/health' });
    // Background processors may append while the scrape runs: the figures must lie between the
    // ledger as it was just before (every projection caught up) and just after.
    const before = (await server.runtime.store.head()).position;
    expect(await server.runtime.projections.waitFor(before, 10_000)).toBe(true);
    const res = await server.app.inject({ method: 'GET', url: '/metrics', headers: auth });
    const after = (await server.runtime.store.head()).position;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/raia_http_requests_total\{method="GET",route="\/api\/v1\/health",status="200"\} \d+/);
    const head = Number(/^raia_ledger_head_position (\d+)$/m.exec(res.body)?.[1]);
    expect(head).toBeGreaterThanOrEqual(before);
    expect(head).toBeLessThanOrEqual(after);
    const lag = Number(/^raia_projection_lag_events\{projection="stream_catalog"\} (\d+)$/m.exec(res.body)?.[1]);
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThanOrEqual(after - before);
    expect(res.body).toContain('raia_process_resident_memory_bytes');
  });

  it('reports system, application and database metrics as JSON', async () => {
    const system = (await server.app.inject({ method: 'GET', url: '/api/v1/metrics/system', headers: auth })).json();
    expect(system.process.pid).toBe(process.pid);
    expect(system.host.cpus).toBeGreaterThan(0);
    const app = (await server.app.inject({ method: 'GET', url: '/api/v1/metrics/application', headers: auth })).json();
    expect(app.http.requests).toBeGreaterThan(0);
    expect(app.http.byStatusClass['2xx']).toBeGreaterThan(0);
    expect(app.http.latencyMs.p50).toBeGreaterThan(0);
    expect(app.ledger.headPosition).toBe((await server.runtime.store.head()).position);
    expect(app.ledger.streams).toContainEqual({ category: 'model', streams: 1, events: 2 });
    const db = (await server.app.inject({ method: 'GET', url: '/api/v1/metrics/database', headers: auth })).json();
    expect(db.dialect).toBe(dialect);
    expect(db.serverVersion).toMatch(/PostgreSQL/);
    expect(db.databaseBytes).toBeGreaterThan(0);
    expect(db.tables.map((t: { name: string }) => t.name)).toContain('raia_events');
  });

  it('answers unknown routes with problem+json 404', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/api/v1/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 404, type: 'https://raia.dev/problems/route-not-found' });
  });

  it('publishes an OpenAPI document with every route and the docs UI', async () => {
    const doc = (await server.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const path of ['/api/v1/health', '/api/v1/health/ready', '/api/v1/health/detailed', '/api/v1/metrics/system', '/api/v1/metrics/application', '/api/v1/metrics/database', '/api/v1/audit/logs', '/api/v1/audit/search', '/api/v1/audit/verify', '/api/v1/audit/timeline/{streamId}', '/metrics']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    const ui = await server.app.inject({ method: 'GET', url: '/docs' });
    expect([200, 302]).toContain(ui.statusCode);
  });
});

describe('readiness (GET /api/v1/health/ready)', () => {
  it('answers 503 naming the read models while they lag more than RAIA_READY_MAX_LAG events, and 200 once they catch up', async () => {
    const server = await startTestServer('pglite', { RAIA_READY_MAX_LAG: '3' });
    try {
      const ready = async () => server.app.inject({ method: 'GET', url: '/api/v1/health/ready' });
      expect((await ready()).statusCode).toBe(200);
      // Paused projections, then five events: every read model is five behind.
      await server.runtime.projections.stop();
      const { position } = await server.runtime.store.append('model-lagging', [newEvent(), newEvent(), newEvent(), newEvent(), newEvent()]);
      const lagging = await ready();
      expect(lagging.statusCode).toBe(503);
      const body = lagging.json();
      expect(body).toMatchObject({ status: 'not-ready', failing: ['projections'], checks: { database: { ok: true }, projections: { ok: false, maxLag: 3 }, bus: { ok: true } } });
      expect(body.checks.projections.behind.map((p: { name: string }) => p.name).sort()).toEqual(readModels.map((p) => p.name).sort());
      for (const p of body.checks.projections.behind) expect(p.lag).toBeGreaterThanOrEqual(5);
      await server.runtime.projections.start();
      expect(await server.runtime.projections.waitFor(position, 10_000)).toBe(true);
      expect((await ready()).statusCode).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('answers 503 naming the bus when the configured NATS server no longer answers', async () => {
    const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
    const token = randomBytes(5).toString('hex');
    const stream = `T_${token}`;
    const server = await startTestServer('pglite', { NATS_URL, NATS_STREAM: stream, NATS_SUBJECT_PREFIX: `t${token}.raia.events` });
    try {
      const connected = await server.app.inject({ method: 'GET', url: '/api/v1/health/ready' });
      expect(connected.statusCode).toBe(200);
      expect(connected.json().checks.bus).toEqual({ ok: true, kind: 'nats' });
      await server.runtime.bus.close();
      const closed = await server.app.inject({ method: 'GET', url: '/api/v1/health/ready' });
      expect(closed.statusCode).toBe(503);
      expect(closed.json()).toMatchObject({ status: 'not-ready', failing: ['bus'], checks: { database: { ok: true }, projections: { ok: true }, bus: { ok: false, kind: 'nats' } } });
    } finally {
      await server.close();
      const nc = await connect({ servers: NATS_URL });
      await (await nc.jetstreamManager()).streams.delete(stream).catch(() => undefined);
      await nc.close();
    }
  });
});
