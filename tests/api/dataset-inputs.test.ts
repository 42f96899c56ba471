import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

// Registered datasets as the input of explanations and fairness assessments.
describe.each(['postgres', 'pglite'] as const)('dataset inputs of explainability and fairness on %s', (dialect) => {
  let server: TestServer;
  let base: string;
  let auth: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    auth = { authorization: `Bearer ${await server.tokenFor('data_scientist')}` };
  });
  afterAll(async () => {
    server.app.server.closeAllConnections();
    await server.close();
  });

  const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, any> }); // eslint-disable-line @typescript-eslint/no-explicit-any
  const post = (path: string, body: unknown) => fetch(`${base}${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(json);
  const uploadDataset = async (csv: string, name: string) => {
    const form = new FormData();
    form.append('metadata', JSON.stringify({ name }));
    form.append('file', new Blob([csv]), `${name}.csv`);
    return json(await fetch(`${base}/api/v1/datasets/upload`, { method: 'POST', headers: auth, body: form }));
  };
  const registerModel = async (document: unknown, metadata: unknown) => {
    const { body } = await post('/api/v1/models', { name: 'm', type: 'classification', riskTier: 'minimal' });
    const form = new FormData();
    form.append('metadata', JSON.stringify(metadata));
    form.append('artifact', new Blob([JSON.stringify(document)]), 'model.json');
    expect((await fetch(`${base}/api/v1/models/${body.id}/versions`, { method: 'POST', headers: auth, body: form })).status).toBe(201);
    return body.id as string;
  };

  it('KernelSHAP with a dataset as background: the k-means summary keeps the mean, so values are coef * (x - mean)', async () => {
    // f = 0.5 + 2a - b over 300 rows; a = i % 10 (mean 4.5), b = i % 7 (mean over 300 rows computed below).
    const rows = Array.from({ length: 300 }, (_, i) => [i % 10, i % 7, i % 2 === 0 ? 'x' : 'y']);
    const meanB = rows.reduce((s, r) => s + (r[1] as number), 0) / rows.length;
    const dataset = await uploadDataset(['a,b,extra', ...rows.map((r) => r.join(','))].join('\n'), 'background');
    expect(dataset.status, JSON.stringify(dataset.body)).toBe(201);
    const id = await registerModel(
      { format: 'raia-linear/v1', task: 'regression', link: 'identity', featureNames: ['a', 'b'], coefficients: [2, -1], intercept: 0.5 },
      { format: 'raia-linear/v1', task: 'regression', inputSchema: [{ name: 'a', type: 'number' }, { name: 'b', type: 'number' }] },
    );
    const body = { version: 1, datasetId: dataset.body.id, rows: [{ a: 9, b: 0 }], method: 'kernel' };
    const res = await json(await fetch(`${base}/api/v1/explainability/shap/${id}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) }));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.values[0][0]).toBeCloseTo(2 * (9 - 4.5), 6);
    expect(res.body.values[0][1]).toBeCloseTo(-1 * (0 - meanB), 6);
    const [event] = await server.runtime.store.readAll({ filter: { types: ['explanation.computed'], dataContains: { modelId: id } } });
    expect(event!.data.datasetHash).toBe(dataset.body.sha256);
  });

  it('assesses fairness on a labelled dataset with a protected column, as on the same rows inline', async () => {
    // Decisions by x > 0; group A: TP 4 FP 1 FN 1 TN 4; group B: TP 2 FP 0 FN 3 TN 5 -> DP ratio 0.2 / 0.5 = 0.4.
    const group = (sex: string, c: { tp: number; fp: number; fn: number; tn: number }) => [
      ...Array.from({ length: c.tp }, () => `1,grant,${sex}`),
      ...Array.from({ length: c.fp }, () => `1,deny,${sex}`),
      ...Array.from({ length: c.fn }, () => `-1,grant,${sex}`),
      ...Array.from({ length: c.tn }, () => `-1,deny,${sex}`),
    ];
    const csv = ['x,label,sex', ...group('A', { tp: 4, fp: 1, fn: 1, tn: 4 }), ...group('B', { tp: 2, fp: 0, fn: 3, tn: 5 })].join('\n');
    const dataset = await uploadDataset(csv, 'applicants');
    const id = await registerModel(
      { format: 'raia-linear/v1', task: 'binary', link: 'logistic', featureNames: ['x'], coefficients: [1], intercept: 0, classes: ['deny', 'grant'] },
      { format: 'raia-linear/v1', task: 'binary', classes: ['deny', 'grant'], inputSchema: [{ name: 'x', type: 'number' }] },
    );
    const res = await post(`/api/v1/fairness/analyze/${id}`, { datasetId: dataset.body.id, labelColumn: 'label', protectedAttributes: ['sex'], options: { minGroupSize: 5, bootstrap: false } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const sex = res.body.report.groupings.find((g: { name: string }) => g.name === 'sex');
    expect(sex.disparities.demographicParityRatio.value).toBeCloseTo(0.4, 12);
    expect(sex.disparities.equalizedOddsDifference.value).toBeCloseTo(0.4, 12);
  });
});
