import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/events/envelope.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

/** 200 rows of a numeric column shifted by `shift` and a categorical one that never changes. */
const rows = (shift: number) => ['x,colour', ...Array.from({ length: 200 }, (_, i) => `${(i % 50) + shift},${['red', 'green', 'blue'][i % 3]}`)].join('\n');

/** Polls `read` until `done` holds (bounded): scheduled runs happen on their own clock. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 8000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('drift scheduler', () => {
  let server: TestServer;
  let base: string;
  let owner: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer('pglite');
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    owner = { authorization: `Bearer ${await server.tokenFor('data_scientist')}` };
  });
  afterAll(async () => {
    server.app.server.closeAllConnections();
    await server.close();
  });

  const upload = async (content: string, filename: string, metadata: Record<string, unknown>) => {
    const form = new FormData();
    form.append('metadata', JSON.stringify(metadata));
    form.append('file', new Blob([content]), filename);
    const res = await fetch(`${base}/api/v1/datasets/upload`, { method: 'POST', headers: owner, body: form });
    const body = (await res.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(res.status, JSON.stringify(body)).toBe(201);
    return body;
  };
  const call = async (method: string, path: string, body?: unknown, headers = owner) => {
    const res = await fetch(`${base}${path}`, { method, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const reportsCausedBy = (eventId: string): Promise<StoredEvent[]> => server.runtime.store.readAll({ filter: { types: ['drift.detected', 'drift.alert-raised'], causationId: eventId } });

  it('checks the latest version on schedule, once per pair of versions, caused by the schedule, until removed', async () => {
    const reference = await upload(rows(0), 'ref.csv', { name: 'reference' });
    const current = await upload(rows(0), 'cur.csv', { name: 'current' });
    const created = await call('POST', '/api/v1/drift/schedules', { reference: { datasetId: reference.id }, currentDatasetId: current.id, cron: '* * * * * *' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { scheduleId, eventId } = created.body as { scheduleId: string; eventId: string };
    const listed = await call('GET', `/api/v1/drift/schedules?datasetId=${current.id}`);
    expect(listed.body.schedules).toMatchObject([{ scheduleId, cron: '* * * * * *', currentDatasetId: current.id, reference: { datasetId: reference.id }, eventId }]);

    // Unchanged data: one report for the pair (v1, v1), no alert, whatever the number of runs.
    const first = await eventually(() => reportsCausedBy(eventId), (events) => events.length > 0);
    expect(first.map((e) => e.type)).toEqual(['drift.detected']);
    expect(first[0]).toMatchObject({ actor: { kind: 'system', id: 'drift-scheduler' }, causationId: eventId, data: { reference: { version: 1 }, current: { datasetId: current.id, version: 1 }, datasetDrift: false } });
    const again = await server.runtime.driftScheduler.runNow(scheduleId);
    expect(again).toMatchObject({ recorded: false, eventId: first[0]!.id });
    expect(await reportsCausedBy(eventId)).toHaveLength(1);

    // A drifted new version of the current dataset: the next run reports (v1, v2) and raises an alert.
    await upload(rows(30), 'cur-2.csv', { datasetId: current.id });
    const drifted = await eventually(() => reportsCausedBy(eventId), (events) => events.length >= 3);
    expect(drifted.map((e) => e.type)).toEqual(['drift.detected', 'drift.detected', 'drift.alert-raised']);
    expect(drifted[1]).toMatchObject({ data: { current: { version: 2 }, datasetDrift: true, driftShare: 0.5 } });
    expect(drifted[2]).toMatchObject({ causationId: eventId, data: { severity: 'medium', driftedColumns: ['x'], datasetId: current.id, reportId: drifted[1]!.data.reportId } });
    expect((await server.runtime.driftScheduler.runNow(scheduleId))?.recorded).toBe(false);
    // Let the every-second task tick at least once more over the unchanged pair.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await reportsCausedBy(eventId)).toHaveLength(3);
    const alerts = await call('GET', `/api/v1/drift/alerts?datasetId=${current.id}`);
    expect(alerts.body.alerts).toHaveLength(1);

    // Removed: the task goes, runNow declines, a newer version is never checked.
    const removed = await call('DELETE', `/api/v1/drift/schedules/${scheduleId}`);
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    await eventually(async () => server.runtime.driftScheduler.active(), (active) => !active.includes(scheduleId));
    expect(server.runtime.driftScheduler.active()).not.toContain(scheduleId);
    expect(await server.runtime.driftScheduler.runNow(scheduleId)).toBeNull();
    await upload(rows(60), 'cur-3.csv', { datasetId: current.id });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await reportsCausedBy(eventId)).toHaveLength(3);
    expect((await call('GET', '/api/v1/drift/schedules')).body.schedules.map((s: { scheduleId: string }) => s.scheduleId)).not.toContain(scheduleId);
    expect((await call('DELETE', `/api/v1/drift/schedules/${scheduleId}`)).status).toBe(404);
  });

  it("compares with the training data of the model's version, named in every report", async () => {
    const training = await upload(rows(0), 'train.csv', { name: 'training' });
    const live = await upload(rows(30), 'live.csv', { name: 'live' });
    const model = await call('POST', '/api/v1/models', { name: 'm', type: 'classification', riskTier: 'minimal' });
    const form = new FormData();
    form.append('metadata', JSON.stringify({ format: 'raia-linear/v1', task: 'regression', inputSchema: [{ name: 'x', type: 'number' }], trainingData: { datasetId: training.id, contentHash: training.sha256 } }));
    form.append('artifact', new Blob([JSON.stringify({ format: 'raia-linear/v1', task: 'regression', link: 'identity', featureNames: ['x'], coefficients: [1], intercept: 0 })]), 'model.json');
    const version = await fetch(`${base}/api/v1/models/${model.body.id}/versions`, { method: 'POST', headers: owner, body: form });
    expect(version.status, await version.clone().text()).toBe(201);
    const created = await call('POST', '/api/v1/drift/schedules', { modelId: model.body.id, currentDatasetId: live.id, cron: '0 0 1 1 *' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const run = await server.runtime.driftScheduler.runNow(created.body.scheduleId);
    expect(run).toMatchObject({ recorded: true, report: { modelId: model.body.id, modelVersion: 1, reference: { datasetId: training.id, version: 1 }, current: { datasetId: live.id, version: 1 }, datasetDrift: true }, alert: { modelId: model.body.id, severity: 'medium' } });
    const reports = await call('GET', `/api/v1/drift/reports/${model.body.id}`);
    expect(reports.body.reports).toHaveLength(1);
  });

  it('refuses a bad cron expression, an unknown dataset and a missing reference, recording nothing', async () => {
    const data = await upload(rows(0), 'data.csv', { name: 'data' });
    const head = (await server.runtime.store.head()).position;
    const badCron = await call('POST', '/api/v1/drift/schedules', { reference: { datasetId: data.id }, currentDatasetId: data.id, cron: '61 * * * *' });
    expect(badCron.status).toBe(400);
    expect(badCron.body.errors.map((e: { field: string }) => e.field)).toEqual(['body.cron']);
    expect((await call('POST', '/api/v1/drift/schedules', { reference: { datasetId: data.id }, currentDatasetId: data.id, cron: 'every day' })).body.errors[0].field).toBe('body.cron');
    const noReference = await call('POST', '/api/v1/drift/schedules', { currentDatasetId: data.id, cron: '0 * * * *' });
    expect(noReference.status).toBe(400);
    expect(noReference.body.errors[0].field).toBe('body.reference');
    const unknown = await call('POST', '/api/v1/drift/schedules', { reference: { datasetId: data.id }, currentDatasetId: '0190f7a4-0000-7000-8000-000000000000', cron: '0 * * * *' });
    expect(unknown.status).toBe(404);
    const badColumn = await call('POST', '/api/v1/drift/schedules', { reference: { datasetId: data.id }, currentDatasetId: data.id, cron: '0 * * * *', columns: ['nope'] });
    expect(badColumn.body.errors[0].field).toBe('body.columns');
    expect((await server.runtime.store.head()).position).toBe(head);
  });

  it('refuses drift on a deleted dataset, read from the ledger', async () => {
    const reference = await upload(rows(0), 'r.csv', { name: 'r' });
    const gone = await upload(rows(5), 'g.csv', { name: 'gone' });
    expect((await call('DELETE', `/api/v1/datasets/${gone.id}?reason=test`)).status).toBe(200);
    const res = await call('POST', '/api/v1/drift/detect', { reference: { datasetId: reference.id }, current: { datasetId: gone.id } });
    expect(res.status).toBe(404);
    expect(res.body.detail).toMatch(/was deleted/);
  });
});
