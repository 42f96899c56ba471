import { Kafka, Partitioners, logLevel, type Admin, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaGroupFor } from '../../src/platform/kafka-record-source.js';
import { startKafkaMockCluster, type KafkaMockCluster } from '../support/kafka-mock-cluster.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

/** The same deterministic reference as the other stream tests: x spread over [0, 10), city cycling through three. */
const referenceRows = Array.from({ length: 300 }, (_, i) => ({ id: i + 1, x: Math.round(Math.sin(i * 12.9898) * 43758.5453 % 1 * 1000) / 100, city: ['Paris', 'Lyon', 'Nice'][i % 3]! }));
const referenceCsv = ['id,x,city', ...referenceRows.map((r) => `${r.id},${r.x},${r.city}`)].join('\n') + '\n';
const records = (from: number, to: number, shift = 0) => referenceRows.slice(from, to).map(({ x, city }) => ({ x: x + shift, city: shift ? 'Marseille' : city }));

// A Kafka protocol peer on loopback (librdkafka's mock cluster in kcat; see the support file).
// One dialect: what is Kafka-specific does not touch the database, and the mock cluster holds a
// group's rebalance for a whole session timeout after its member left (a real broker does not),
// so each stop-and-start costs ~10 s here.
describe.each(['postgres'] as const)('Kafka data streams on %s', (dialect) => {
  let cluster: KafkaMockCluster;
  let server: TestServer;
  let base: string;
  let owner: Record<string, string>;
  let datasetId: string;
  let producer: Producer;
  let admin: Admin;

  beforeAll(async () => {
    cluster = await startKafkaMockCluster();
    // 127.0.0.1:1 is allowed too, and nothing listens there: a stream reading from it cannot start.
    server = await startTestServer(dialect, { RAIA_KAFKA_BROKERS: `${cluster.bootstrap},127.0.0.1:1` });
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    owner = { authorization: `Bearer ${await server.tokenFor('data_scientist')}` };
    const form = new FormData();
    form.append('metadata', JSON.stringify({ name: 'reference' }));
    form.append('file', new Blob([referenceCsv]), 'reference.csv');
    const uploaded = await fetch(`${base}/api/v1/datasets/upload`, { method: 'POST', headers: owner, body: form });
    datasetId = ((await uploaded.json()) as { id: string }).id;
    const kafka = new Kafka({ clientId: 'raia-test-producer', brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING });
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    admin = kafka.admin();
    await Promise.all([producer.connect(), admin.connect()]);
  });
  afterAll(async () => {
    await Promise.allSettled([producer?.disconnect(), admin?.disconnect()]);
    server?.app.server.closeAllConnections();
    await server?.close();
    await cluster?.stop();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, { method, headers: { ...owner, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const produce = (topic: string, values: string[]) => producer.send({ topic, messages: values.map((value) => ({ value })) });
  const metricsWhen = async (id: string, done: (m: Record<string, any>) => boolean) => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const deadline = Date.now() + 15_000;
    let metrics = (await call('GET', `/api/v1/streams/${id}/metrics`)).body;
    while (!done(metrics) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      metrics = (await call('GET', `/api/v1/streams/${id}/metrics`)).body;
    }
    return metrics;
  };
  const windowsOf = async (id: string) => (await server.runtime.store.readStream(`datastream-${id}`)).filter((e) => e.type === 'stream.window-evaluated').map((e) => e.data as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any

  it('consumes a topic from the start on, detects drift, keeps its offsets across stop and start, and stops for good when deleted', async () => {
    const topic = `raia-test-${dialect}-records`;
    // History produced before the stream exists is not monitored.
    await produce(topic, records(0, 30).map((r) => JSON.stringify(r)));

    const created = await call('POST', '/api/v1/streams', { name: 'kafka', source: { kind: 'kafka', topic, brokers: [cluster.bootstrap] }, reference: { datasetId }, window: { records: 50 } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    expect(created.body.source).toEqual({ kind: 'kafka', topic, brokers: [cluster.bootstrap] });
    const started = await call('POST', `/api/v1/streams/${id}/start`);
    expect(started.status, JSON.stringify(started.body)).toBe(200);

    // 40 single records, one message holding an array of 10, and one that is not JSON.
    await produce(topic, [...records(0, 40).map((r) => JSON.stringify(r)), JSON.stringify(records(40, 50)), 'not json']);
    let metrics = await metricsWhen(id, (m) => m.windowsEvaluated >= 1 && m.errorsTotal >= 1 && m.lag === 0);
    expect(metrics).toMatchObject({ source: 'kafka', running: true, recordsTotal: 50, errorsTotal: 1, windowsEvaluated: 1, lag: 0, sourceError: null });
    // Shifted records (x beyond the reference range, an unseen city) drift.
    await produce(topic, records(0, 50, 30).map((r) => JSON.stringify(r)));
    metrics = await metricsWhen(id, (m) => m.windowsEvaluated >= 2);
    expect(metrics).toMatchObject({ recordsTotal: 100, windowsEvaluated: 2, lastDrift: { sequence: 2, datasetDrift: true, driftedColumns: ['x', 'city'] } });
    expect((await windowsOf(id)).map((w) => [w.sequence, w.records, w.datasetDrift])).toEqual([
      [1, 50, false],
      [2, 50, true],
    ]);
    const committed = await admin.fetchOffsets({ groupId: kafkaGroupFor(id), topics: [topic] });
    const watermarks = await admin.fetchTopicOffsets(topic);
    // Every partition's committed offset is its end: 30 + 42 + 50 messages were produced in all.
    expect(committed[0]!.partitions.map((p) => Number(p.offset)).reduce((a, b) => a + b, 0)).toBe(watermarks.reduce((a, p) => a + Number(p.high), 0));
    expect(watermarks.reduce((a, p) => a + Number(p.high), 0)).toBe(122);

    // Records produced while stopped are read, once, when the stream starts again.
    expect((await call('POST', `/api/v1/streams/${id}/stop`)).status).toBe(200);
    await produce(topic, records(50, 70).map((r) => JSON.stringify(r)));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await call('GET', `/api/v1/streams/${id}/metrics`)).body).toMatchObject({ running: false, recordsTotal: 100 });
    expect((await call('POST', `/api/v1/streams/${id}/start`)).status).toBe(200);
    metrics = await metricsWhen(id, (m) => m.recordsTotal >= 120 && m.lag === 0);
    expect(metrics).toMatchObject({ running: true, recordsTotal: 120, currentWindowRecords: 20, lag: 0 });

    expect((await call('DELETE', `/api/v1/streams/${id}`)).status).toBe(200);
    expect((await call('GET', `/api/v1/streams/${id}/metrics`)).status).toBe(404);
  });

  it('refuses brokers the configuration does not allow, naming the field', async () => {
    const refused = await call('POST', '/api/v1/streams', { name: 'n', source: { kind: 'kafka', topic: 't', brokers: ['169.254.169.254:80'] }, reference: { datasetId } });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([{ field: 'body.source.brokers', message: 'not among the configured brokers: 169.254.169.254:80' }]);
  });

  it('answers 502 when the brokers cannot be reached, and the stream is not running', async () => {
    const created = await call('POST', '/api/v1/streams', { name: 'unreachable', source: { kind: 'kafka', topic: 'records', brokers: ['127.0.0.1:1'] }, reference: { datasetId } });
    expect(created.status).toBe(201);
    const started = await call('POST', `/api/v1/streams/${created.body.id}/start`);
    expect(started.status).toBe(502);
    expect(started.body.type).toBe('https://raia.dev/problems/stream-source-failed');
    expect((await call('GET', `/api/v1/streams/${created.body.id}/metrics`)).body).toMatchObject({ running: false, recordsTotal: 0, sourceError: expect.stringMatching(/.+/) });
  }, 60_000);
});
