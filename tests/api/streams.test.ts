import { createHmac, randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

const NATS_URL = 'nats://127.0.0.1:4222';

/** A deterministic reference: x follows a fixed spread of values, city cycles through three categories. */
const referenceRows = Array.from({ length: 300 }, (_, i) => ({ id: i + 1, x: Math.round(Math.sin(i * 12.9898) * 43758.5453 % 1 * 1000) / 100, city: ['Paris', 'Lyon', 'Nice'][i % 3]! }));
const referenceCsv = ['id,x,city', ...referenceRows.map((r) => `${r.id},${r.x},${r.city}`)].join('\n') + '\n';

const sign = (secret: string, timestamp: string, body: string) => `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
const now = () => String(Math.floor(Date.now() / 1000));

describe.each(['postgres', 'pglite'] as const)('data streams on %s', (dialect) => {
  let server: TestServer;
  let base: string;
  let owner: Record<string, string>;
  let other: Record<string, string>;
  let datasetId: string;
  let nats: NatsConnection;

  beforeAll(async () => {
    server = await startTestServer(dialect, { RAIA_STREAMS_NATS_URL: NATS_URL });
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    owner = { authorization: `Bearer ${await server.tokenFor('data_scientist')}` };
    other = { authorization: `Bearer ${await server.tokenFor('data_scientist')}` };
    const form = new FormData();
    form.append('metadata', JSON.stringify({ name: 'reference' }));
    form.append('file', new Blob([referenceCsv]), 'reference.csv');
    const uploaded = await fetch(`${base}/api/v1/datasets/upload`, { method: 'POST', headers: owner, body: form });
    datasetId = ((await uploaded.json()) as { id: string }).id;
    nats = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    await nats?.close();
    server.app.server.closeAllConnections();
    await server.close();
  });

  const call = async (method: string, path: string, body?: unknown, headers = owner) => {
    const res = await fetch(`${base}${path}`, { method, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const ingest = async (id: string, secret: string, body: string, options: { timestamp?: string; signature?: string } = {}) => {
    const timestamp = options.timestamp ?? now();
    const res = await fetch(`${base}/api/v1/streams/${id}/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-raia-timestamp': timestamp, 'x-raia-signature': options.signature ?? sign(secret, timestamp, body) },
      body,
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const ledger = async (id: string) => server.runtime.store.readStream(`datastream-${id}`);

  it('monitors a signed webhook stream: no drift for reference records, drift and an alert for a shifted window', async () => {
    const created = await call('POST', '/api/v1/streams', { name: 'applications', source: { kind: 'webhook' }, reference: { datasetId }, window: { records: 200 } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.columns).toEqual([
      { name: 'x', kind: 'numeric' },
      { name: 'city', kind: 'categorical' },
    ]);
    const { id, webhook } = created.body as { id: string; webhook: { secret: string; url: string } };
    expect(webhook.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(webhook.url).toContain(`/api/v1/streams/${id}/ingest`);
    expect(JSON.stringify(await ledger(id))).not.toContain(webhook.secret);

    const rows = referenceRows.slice(0, 200).map(({ x, city }) => ({ x, city }));
    expect((await ingest(id, webhook.secret, JSON.stringify(rows.slice(0, 100)))).status).toBe(409); // not started yet
    expect((await call('POST', `/api/v1/streams/${id}/start`)).status).toBe(200);

    // A window drawn from the reference itself: no column drifts.
    const first = await ingest(id, webhook.secret, JSON.stringify(rows.slice(0, 100)));
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect(first.body).toMatchObject({ accepted: 100, errors: 0, windows: [] });
    const ndjson = rows.slice(100).map((r) => JSON.stringify(r)).join('\n');
    const second = await ingest(id, webhook.secret, ndjson);
    expect(second.body.windows).toEqual([{ sequence: 1, records: 200, errors: 0, datasetDrift: false, driftShare: 0, closedBy: 'records' }]);

    // Shifted: x moved by 30 (beyond the reference range), every city Marseille.
    const shifted = rows.map((r) => ({ x: r.x + 30, city: 'Marseille' }));
    const third = await ingest(id, webhook.secret, JSON.stringify(['not an object', ...shifted]));
    expect(third.status).toBe(202);
    expect(third.body).toMatchObject({ accepted: 200, errors: 1 });
    expect(third.body.windows).toEqual([expect.objectContaining({ sequence: 2, records: 200, errors: 1, datasetDrift: true, driftShare: 1 })]);

    const events = await ledger(id);
    const windows = events.filter((e) => e.type === 'stream.window-evaluated');
    expect(windows.map((w) => w.data.datasetDrift)).toEqual([false, true]);
    const drifted = windows[1]!.data as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(drifted.drift.columns.map((c: { column: string; test: string; drifted: boolean }) => [c.column, c.test, c.drifted])).toEqual([
      ['x', 'ks', true],
      ['city', 'chisquare', true],
    ]);
    expect(drifted.reference).toEqual({ datasetId, version: 1 });
    const alert = events.find((e) => e.type === 'drift.alert-raised');
    expect(alert?.data).toMatchObject({ reportId: drifted.windowId, datasetId, severity: 'high', driftedColumns: ['x', 'city'] });
    const alerts = await call('GET', `/api/v1/drift/alerts?datasetId=${datasetId}`);
    expect(alerts.body.alerts.map((a: { alertId: string }) => a.alertId)).toContain(alert!.data.alertId);

    const metrics = await call('GET', `/api/v1/streams/${id}/metrics`);
    expect(metrics.body).toMatchObject({ status: 'started', running: true, source: 'webhook', recordsTotal: 400, errorsTotal: 1, lag: 0, windowsEvaluated: 2, windowsInLedger: 2, currentWindowRecords: 0 });
    expect(metrics.body.recordsPerSecond).toBeGreaterThan(0);
    expect(metrics.body.lastDrift).toMatchObject({ sequence: 2, datasetDrift: true, driftedColumns: ['x', 'city'] });

    // Stopping evaluates the open window (here 10 records, with a missing and a mistyped cell).
    await ingest(id, webhook.secret, JSON.stringify([...rows.slice(0, 8), { city: 'Paris' }, { x: 'abc', city: 'Lyon' }]));
    const stopped = await call('POST', `/api/v1/streams/${id}/stop`);
    expect(stopped.body).toMatchObject({ status: 'stopped', windows: 3 });
    const last = (await ledger(id)).filter((e) => e.type === 'stream.window-evaluated').at(-1)!.data as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(last).toMatchObject({ sequence: 3, records: 10, closedBy: 'stop' });
    expect(last.quality.columns[0]).toEqual({ column: 'x', missing: 1, missingRate: 0.1, typeErrors: 1 });
    expect((await ingest(id, webhook.secret, JSON.stringify(rows.slice(0, 5)))).status).toBe(409);

    const listed = await call('GET', `/api/v1/streams?owner=me`, undefined, owner);
    await server.runtime.projections.waitFor((await server.runtime.store.head()).position, 5000);
    const again = await call('GET', `/api/v1/streams?owner=me`);
    expect(listed.status).toBe(200);
    expect(again.body.streams.find((s: { id: string }) => s.id === id)).toMatchObject({ status: 'stopped', windows: 3, recordsEvaluated: 410 });
  });

  it('refuses a bad or stale signature with 401 and ingests nothing', async () => {
    const created = await call('POST', '/api/v1/streams', { name: 'signed', source: { kind: 'webhook' }, reference: { datasetId }, window: { records: 10 } });
    const { id, webhook } = created.body as { id: string; webhook: { secret: string } };
    await call('POST', `/api/v1/streams/${id}/start`);
    const body = JSON.stringify([{ x: 1, city: 'Paris' }]);
    const wrongKey = await ingest(id, 'f'.repeat(64), body);
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.body.type).toBe('https://raia.dev/problems/invalid-signature');
    const tampered = await ingest(id, webhook.secret, body, { signature: sign(webhook.secret, now(), body).replace(/.$/, (c) => (c === '0' ? '1' : '0')) });
    expect(tampered.status).toBe(401);
    const stale = String(Math.floor(Date.now() / 1000) - 301);
    expect((await ingest(id, webhook.secret, body, { timestamp: stale })).status).toBe(401);
    const unsigned = await fetch(`${base}/api/v1/streams/${id}/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(unsigned.status).toBe(401);
    expect(unsigned.headers.get('content-type')).toContain('application/problem+json');
    // The secret of one stream does not sign for another.
    const otherStream = await call('POST', '/api/v1/streams', { name: 'other', source: { kind: 'webhook' }, reference: { datasetId } });
    expect((await ingest(otherStream.body.id, webhook.secret, body)).status).toBe(401);
    expect((await call('GET', `/api/v1/streams/${id}/metrics`)).body).toMatchObject({ recordsTotal: 0, errorsTotal: 0 });
    expect((await ingest(id, webhook.secret, '{not json')).status).toBe(400);
    await call('POST', `/api/v1/streams/${id}/stop`);
  });

  it('consumes a NATS JetStream subject, evaluates windows, and stops consuming when stopped', async () => {
    const subject = `raia-test.${randomBytes(6).toString('hex')}.records`;
    const created = await call('POST', '/api/v1/streams', { name: 'nats', source: { kind: 'nats', subject }, reference: { datasetId }, window: { records: 50 } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    expect(created.body.webhook).toBeUndefined();
    expect((await call('POST', `/api/v1/streams/${id}/start`)).status).toBe(200);
    // The monitor created the JetStream stream capturing the subject (none did before).
    const js = nats.jetstream();
    for (const r of referenceRows.slice(0, 40)) await js.publish(subject, JSON.stringify({ x: r.x, city: r.city }));
    await js.publish(subject, JSON.stringify(referenceRows.slice(40, 50).map(({ x, city }) => ({ x, city }))));
    await js.publish(subject, 'not json');
    const deadline = Date.now() + 10_000;
    let metrics = (await call('GET', `/api/v1/streams/${id}/metrics`)).body;
    while (metrics.windowsEvaluated < 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      metrics = (await call('GET', `/api/v1/streams/${id}/metrics`)).body;
    }
    for (let i = 0; i < 50 && metrics.errorsTotal < 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      metrics = (await call('GET', `/api/v1/streams/${id}/metrics`)).body;
    }
    expect(metrics).toMatchObject({ source: 'nats', running: true, recordsTotal: 50, errorsTotal: 1, windowsEvaluated: 1, lag: 0 });
    const window = (await ledger(id)).find((e) => e.type === 'stream.window-evaluated');
    expect(window?.data).toMatchObject({ sequence: 1, records: 50, datasetDrift: false });

    await call('POST', `/api/v1/streams/${id}/stop`);
    for (const r of referenceRows.slice(0, 20)) await js.publish(subject, JSON.stringify({ x: r.x, city: r.city }));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await call('GET', `/api/v1/streams/${id}/metrics`)).body).toMatchObject({ running: false, recordsTotal: 50 });
    // Deleting the stream removes its consumer and the JetStream stream RAIA created.
    expect((await call('DELETE', `/api/v1/streams/${id}`)).status).toBe(200);
    const jsm = await nats.jetstreamManager();
    await expect(jsm.streams.find(subject)).rejects.toThrow();
    expect((await call('GET', `/api/v1/streams/${id}/metrics`)).status).toBe(404);
  });

  it('lets only the owner change, start or delete a stream, and names bad fields', async () => {
    const created = await call('POST', '/api/v1/streams', { name: 'mine', source: { kind: 'webhook' }, reference: { datasetId }, columns: ['x'] });
    const id = created.body.id as string;
    expect(created.body.window).toEqual({ records: 1000, seconds: null });
    expect((await call('PUT', `/api/v1/streams/${id}`, { name: 'theirs' }, other)).status).toBe(403);
    expect((await call('POST', `/api/v1/streams/${id}/start`, undefined, other)).status).toBe(403);
    expect((await call('DELETE', `/api/v1/streams/${id}`, undefined, other)).status).toBe(403);
    const updated = await call('PUT', `/api/v1/streams/${id}`, { name: 'renamed', window: { seconds: 60 } });
    expect(updated.body).toMatchObject({ name: 'renamed', window: { records: null, seconds: 60 }, columns: [{ name: 'x', kind: 'numeric' }] });

    const bad = await call('POST', '/api/v1/streams', { name: '', source: { kind: 'webhook' }, reference: { datasetId }, window: { records: 5 } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['body.name', 'body.window.records']));
    const unknownColumn = await call('POST', '/api/v1/streams', { name: 'n', source: { kind: 'webhook' }, reference: { datasetId }, columns: ['nope'] });
    expect(unknownColumn.body.errors).toEqual([{ field: 'body.columns', message: 'nope is not a column of the reference dataset' }]);
    const badTest = await call('POST', '/api/v1/streams', { name: 'n', source: { kind: 'webhook' }, reference: { datasetId }, drift: { tests: { city: 'ks' } } });
    expect(badTest.body.errors[0].field).toBe('body.drift.tests.city');
    const badSubject = await call('POST', '/api/v1/streams', { name: 'n', source: { kind: 'nats', subject: 'a.*' }, reference: { datasetId } });
    expect(badSubject.body.errors[0].field).toBe('body.source.subject');
    const noKafka = await call('POST', '/api/v1/streams', { name: 'n', source: { kind: 'kafka', topic: 't' }, reference: { datasetId } });
    expect(noKafka.body.errors).toEqual([{ field: 'body.source.kind', message: 'Kafka is not configured (RAIA_KAFKA_BROKERS)' }]);
    const unbounded = await call('PUT', `/api/v1/streams/${id}`, { window: { records: null, seconds: null } });
    expect(unbounded.status).toBe(400);
    expect(unbounded.body.errors[0].field).toBe('body.window');
    const missingDataset = await call('POST', '/api/v1/streams', { name: 'n', source: { kind: 'webhook' }, reference: { datasetId: '0193f0c2-0000-7000-8000-000000000000' } });
    expect(missingDataset.body.errors[0].field).toBe('body.reference');

    expect((await call('DELETE', `/api/v1/streams/${id}`)).status).toBe(200);
    expect((await call('PUT', `/api/v1/streams/${id}`, { name: 'gone' })).status).toBe(404);
  });

  it('resumes started streams when the runtime starts again', async () => {
    const created = await call('POST', '/api/v1/streams', { name: 'resumed', source: { kind: 'webhook' }, reference: { datasetId }, window: { records: 10 } });
    const id = created.body.id as string;
    await call('POST', `/api/v1/streams/${id}/start`);
    await server.runtime.streams.stop(id, { flush: false }); // as if the process had ended
    expect(server.runtime.streams.isRunning(id)).toBe(false);
    const { startStreamMonitor } = await import('../../src/processors/stream-monitor.js');
    const monitor = await startStreamMonitor({ store: server.runtime.store, catalogue: server.runtime.catalogue, blobs: server.runtime.blobs, logger: server.runtime.logger, nats: null });
    try {
      expect(monitor.isRunning(id)).toBe(true);
    } finally {
      await monitor.close();
    }
  });
});
