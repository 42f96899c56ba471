import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explanationBody } from '../support/explanation-body.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

// A linear model: f(x) = 0.5 + 2 a - 1 b + 0.25 c. With an interventional value function, exact
// Shapley values are coef_j * (x_j - mean_j(background)) (Lundberg & Lee 2017, linear case).
const linear = { format: 'raia-linear/v1', task: 'regression', link: 'identity', featureNames: ['a', 'b', 'c'], coefficients: [2, -1, 0.25], intercept: 0.5 };
const coef = [2, -1, 0.25];
const schema = ['a', 'b', 'c'].map((name) => ({ name, type: 'number' }));
const background = [
  { a: 0, b: 0, c: 0 },
  { a: 1, b: 2, c: 4 },
  { a: 2, b: 1, c: 8 },
  { a: 3, b: 5, c: 0 },
];
const means = [1.5, 2, 3];

// One tree: a <= 1 ? (b <= 0.5 ? 1 : 3) : 10, covers 10 = 4 + 6, 4 = 1 + 3.
const tree = {
  format: 'raia-tree-ensemble/v1',
  task: 'regression',
  decision: '<=',
  aggregation: 'sum',
  baseScore: 0,
  link: 'identity',
  featureNames: ['a', 'b'],
  trees: [{ nodes: [{ feature: 0, threshold: 1, left: 1, right: 4, missingGoesLeft: true, cover: 10 }, { feature: 1, threshold: 0.5, left: 2, right: 3, missingGoesLeft: true, cover: 4 }, { leaf: 1, cover: 1 }, { leaf: 3, cover: 3 }, { leaf: 10, cover: 6 }] }],
};

describe.each(['postgres', 'pglite'] as const)('explainability API on %s', (dialect) => {
  let server: TestServer;
  let base: string;
  let auth: Record<string, string>;
  let linearModel: string;
  let treeModel: string;

  const upload = async (document: unknown, inputSchema: unknown, format: string) => {
    const created = (await (await fetch(`${base}/api/v1/models`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: format, type: 'regression', riskTier: 'minimal' }) })).json()) as { id: string };
    const form = new FormData();
    form.append('metadata', JSON.stringify({ format, task: 'regression', inputSchema }));
    form.append('artifact', new Blob([JSON.stringify(document)]), 'model.json');
    const res = await fetch(`${base}/api/v1/models/${created.id}/versions`, { method: 'POST', headers: auth, body: form });
    expect(res.status).toBe(201);
    return created.id;
  };
  // Computing an explanation is a POST (a GET only reads a recorded one: tests/api/http-conventions.test.ts).
  const compute = async (path: string, query: Record<string, unknown>) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(explanationBody(query)) });
    return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  beforeAll(async () => {
    server = await startTestServer(dialect);
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    auth = { authorization: `Bearer ${await server.tokenFor('data_scientist')}` };
    linearModel = await upload(linear, schema, 'raia-linear/v1');
    treeModel = await upload(tree, schema.slice(0, 2), 'raia-tree-ensemble/v1');
  });
  afterAll(async () => {
    server.app.server.closeAllConnections();
    await server.close();
  });

  it('KernelSHAP and exact Shapley of a linear model equal coef * (x - mean(background)), recorded once', async () => {
    const rows = [{ a: 3, b: 1, c: 2 }, { a: -1, b: 4, c: 10 }];
    for (const method of ['kernel', 'exact', 'permutation']) {
      const res = await compute(`/api/v1/explainability/shap/${linearModel}`, { version: '1', rows, background, method });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ modelId: linearModel, modelVersion: 1, method, featureNames: ['a', 'b', 'c'], outputSpace: 'output', cached: false, failedChecks: [] });
      rows.forEach((row, i) => [row.a, row.b, row.c].forEach((x, j) => expect(res.body.values[i][j]).toBeCloseTo(coef[j]! * (x - means[j]!), 9)));
      expect(res.body.baseValue).toBeCloseTo(0.5 + 2 * 1.5 - 2 + 0.25 * 3, 9);
      expect(res.body.additivityGap).toBeLessThan(1e-9);
    }
    const again = await compute(`/api/v1/explainability/shap/${linearModel}`, { version: '1', rows, background, method: 'kernel' });
    expect(again.body.cached).toBe(true);
    const recorded = await server.runtime.store.readAll({ filter: { types: ['explanation.computed'], dataContains: { modelId: linearModel, method: 'kernel' } } });
    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.actor).toMatchObject({ kind: 'user', role: 'data_scientist' });
  });

  it('TreeSHAP of a tree: the path-dependent values by hand (Lundberg et al. 2018, Algorithm 1)', async () => {
    // x = (a 0, b 0) reaches leaf 1. E[f] = (1*1 + 3*3 + 10*6) / 10 = 7.
    // v({}) = 7, v({a}) = E[f | a <= 1] = (1 + 9) / 4 = 2.5, v({b}) = 0.4 * 1 + 0.6 * 10 = 6.4, v({a,b}) = 1.
    // phi_a = ((2.5 - 7) + (1 - 6.4)) / 2 = -4.95; phi_b = ((6.4 - 7) + (1 - 2.5)) / 2 = -1.05.
    const res = await compute(`/api/v1/explainability/shap/${treeModel}`, { version: '1', rows: [{ a: 0, b: 0 }] });
    expect(res.body.method).toBe('tree-path-dependent');
    expect(res.body.outputSpace).toBe('margin');
    expect(res.body.baseValue).toBeCloseTo(7, 12);
    expect(res.body.values[0][0]).toBeCloseTo(-4.95, 12);
    expect(res.body.values[0][1]).toBeCloseTo(-1.05, 12);
  });

  it('feature importance, LIME, partial dependence and what-if', async () => {
    const rows = [{ a: 3, b: 1, c: 2 }, { a: -1, b: 4, c: 10 }, { a: 0, b: 0, c: 0 }];
    const importance = await compute(`/api/v1/explainability/feature-importance/${linearModel}`, { version: '1', rows, background });
    expect(importance.body.importance.map((f: { name: string }) => f.name)).toEqual(['a', 'b', 'c']);
    // mean |2 (a - 1.5)| over a = 3, -1, 0 is (3 + 5 + 3) / 3.
    expect(importance.body.importance[0].importance).toBeCloseTo(11 / 3, 9);

    // Features on one scale and the instance in every top quartile: the weights follow the
    // coefficients' signs and ranking (2, -1, 0.25).
    const training = Array.from({ length: 64 }, (_, i) => ({ a: i % 8, b: (i * 3) % 8, c: (i * 5) % 8 }));
    const lime = await compute(`/api/v1/explainability/lime/${linearModel}`, { version: '1', rows: [{ a: 7, b: 7, c: 7 }], background: training });
    expect(lime.status, JSON.stringify(lime.body)).toBe(200);
    const w = lime.body.explanations[0].weights as number[];
    expect(w.map(Math.sign)).toEqual([1, -1, 1]);
    expect(Math.abs(w[0]!)).toBeGreaterThan(Math.abs(w[1]!));
    expect(Math.abs(w[1]!)).toBeGreaterThan(Math.abs(w[2]!));

    // PD of a linear function in a is 2 t + E[0.5 - b + 0.25 c] over the rows.
    const pd = await compute(`/api/v1/explainability/partial-dependence/${linearModel}`, { version: '1', rows: background, feature: 'a', grid: '5' });
    expect(pd.status, JSON.stringify(pd.body)).toBe(200);
    (pd.body.grid as number[]).forEach((t, k) => expect(pd.body.average[k]).toBeCloseTo(2 * t + 0.5 - 2 + 0.25 * 3, 9));

    const whatIf = await fetch(`${base}/api/v1/explainability/what-if-analysis`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ modelId: linearModel, version: 1, instance: rows[0], changes: { a: 4 }, background }) });
    const body = (await whatIf.json()) as Record<string, number>;
    expect(body.prediction).toBeCloseTo(0.5 + 6 - 1 + 0.5, 12);
    expect(body.delta).toBeCloseTo(2, 12);
  });

  it('computes asynchronous jobs through the processor, caused by the request', async () => {
    const res = await fetch(`${base}/api/v1/explainability/jobs`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ modelId: treeModel, version: 1, rows: Array.from({ length: 300 }, (_, i) => ({ a: i % 3, b: (i % 5) / 4 })) }) });
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    let status = '';
    let job: Record<string, any> = {}; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (let i = 0; i < 100 && status !== 'completed' && status !== 'failed'; i++) {
      job = (await (await fetch(`${base}/api/v1/explainability/jobs/${jobId}`, { headers: auth })).json()) as typeof job;
      status = job.status;
      if (status !== 'completed') await new Promise((r) => setTimeout(r, 100));
    }
    expect(status, JSON.stringify(job)).toBe('completed');
    expect(job.result.values).toHaveLength(300);
    const [requested] = await server.runtime.store.readStream(`explanationjob-${jobId}`);
    const [computed] = await server.runtime.store.readAll({ filter: { types: ['explanation.computed'], dataContains: { jobId } } });
    expect(computed!.causationId).toBe(requested!.id);
  });

  it('bad requests answer 400 naming the field and record nothing', async () => {
    const head = (await server.runtime.store.head()).position;
    expect((await compute(`/api/v1/explainability/shap/${linearModel}`, { version: '1', rows: 'not json' })).body.errors[0].field).toBe('body.rows');
    expect((await compute(`/api/v1/explainability/shap/${linearModel}`, { version: '1', rows: [{ a: 1, b: 2 }] })).body.errors[0].field).toBe('body.rows.0.c');
    expect((await compute(`/api/v1/explainability/shap/${linearModel}`, { version: '1', rows: [{ a: 1, b: 2, c: 3 }], method: 'kernel' })).body.errors[0].field).toBe('body.background');
    expect((await compute(`/api/v1/explainability/shap/${linearModel}`, { version: '1', rows: [{ a: 1, b: 2, c: 3 }], method: 'tree-path-dependent' })).body.errors[0].field).toBe('body.method');
    expect((await compute(`/api/v1/explainability/partial-dependence/${linearModel}`, { version: '1', rows: background, feature: 'zeta' })).body.errors[0].field).toBe('body.feature');
    expect((await server.runtime.store.head()).position).toBe(head);
  });
});
