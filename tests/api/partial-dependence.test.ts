import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explanationBody } from '../support/explanation-body.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

// f(a, b, c) = 0.5 + 2 a - b + 0.25 c
const linear = { format: 'raia-linear/v1', task: 'regression', link: 'identity', featureNames: ['a', 'b', 'c'], coefficients: [2, -1, 0.25], intercept: 0.5 };
const schema = ['a', 'b', 'c'].map((name) => ({ name, type: 'number' }));
const rows = [
  { a: 0, b: 0, c: 0 },
  { a: 1, b: 2, c: 4 },
  { a: 2, b: 1, c: 8 },
  { a: 3, b: 5, c: 0 },
];
// a <= 1 ? (b <= 0.5 ? 1 : 3) : 10, covers 10 = 4 + 6, 4 = 1 + 3.
const tree = {
  format: 'raia-tree-ensemble/v1', task: 'regression', decision: '<=', aggregation: 'sum', baseScore: 0, link: 'identity', featureNames: ['a', 'b'],
  trees: [{ nodes: [{ feature: 0, threshold: 1, left: 1, right: 4, missingGoesLeft: true, cover: 10 }, { feature: 1, threshold: 0.5, left: 2, right: 3, missingGoesLeft: true, cover: 4 }, { leaf: 1, cover: 1 }, { leaf: 3, cover: 3 }, { leaf: 10, cover: 6 }] }],
};

describe.each(['postgres', 'pglite'] as const)('partial dependence API on %s', (dialect) => {
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
    expect((await fetch(`${base}/api/v1/models/${created.id}/versions`, { method: 'POST', headers: auth, body: form })).status).toBe(201);
    return created.id;
  };
  const pd = async (modelId: string, query: Record<string, unknown>) => {
    // Computed by POST (a GET only reads a recorded result).
    const res = await fetch(`${base}/api/v1/explainability/partial-dependence/${modelId}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(explanationBody({ version: '1', rows, ...query })) });
    return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
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

  it('builds the grid from custom percentiles with mquantiles and names the brute-force estimand', async () => {
    // a = 0..3 (4 distinct < grid 3? no: 4 >= 3): p = 0 -> x[0] = 0; p = 0.5: m = 0.5, aleph = 2.5, k = 2 -> 0.5 * 1 + 0.5 * 2 = 1.5
    const res = await pd(linearModel, { feature: 'a', grid: '3', percentiles: '0,0.5' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ pdMethod: 'brute', outputSpace: 'output', features: ['a'], percentiles: [0, 0.5], gridResolution: 3 });
    expect(res.body.estimand).toMatch(/method="brute"/);
    expect(res.body.grid).toEqual([0, 0.75, 1.5]);
    // PD_a(t) = 2 t + mean(0.5 - b + 0.25 c) = 2 t + 0.5 - 2 + 0.75
    (res.body.grid as number[]).forEach((t, k) => expect(res.body.average[k]).toBeCloseTo(2 * t - 0.75, 12));
  });

  it('takes explicit grid values and centres ICE curves at the first grid point', async () => {
    const res = await pd(linearModel, { feature: 'b', gridValues: { b: [10, 0, 4] }, centered: 'true' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.grid).toEqual([10, 0, 4]);
    expect(res.body.gridSource).toEqual(['given']);
    // row 1: 0.5 + 2 - t + 1 = 3.5 - t
    expect(res.body.ice[1]).toEqual([-6.5, 3.5, -0.5]);
    expect(res.body.centeredIce[1]).toEqual([0, 10, 6]);
    res.body.centeredAverage.forEach((v: number, k: number) => expect(v).toBeCloseTo([0, 10, 6][k]!, 12));
  });

  it('computes a two-way partial dependence', async () => {
    const res = await pd(linearModel, { features: 'a,c', gridValues: { a: [0, 1], c: [0, 4, 8] } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.features).toEqual(['a', 'c']);
    expect(res.body.grids).toEqual([[0, 1], [0, 4, 8]]);
    // PD(a, c) = 0.5 + 2 a - mean(b) + 0.25 c, mean(b) = 2
    [0, 1].forEach((a, i) => [0, 4, 8].forEach((c, j) => expect(res.body.average[i][j]).toBeCloseTo(0.5 + 2 * a - 2 + 0.25 * c, 12)));
  });

  it('answers tree recursion on the margin over the covers, one- and two-way', async () => {
    // PD_b(0) = 0.4 * 1 + 0.6 * 10 = 6.4, PD_b(1) = 0.4 * 3 + 0.6 * 10 = 7.2 (whatever the rows)
    const treeRows = rows.map(({ a, b }) => ({ a, b }));
    const one = await pd(treeModel, { rows: treeRows, feature: 'b', pdMethod: 'recursion', gridValues: { b: [0, 1] } });
    expect(one.status, JSON.stringify(one.body)).toBe(200);
    expect(one.body).toMatchObject({ pdMethod: 'recursion', outputSpace: 'margin' });
    expect(one.body.estimand).toMatch(/tree covers/);
    expect(one.body.average[0]).toBeCloseTo(6.4, 12);
    expect(one.body.average[1]).toBeCloseTo(7.2, 12);
    const two = await pd(treeModel, { rows: treeRows, features: 'a,b', pdMethod: 'recursion', gridValues: { a: [1, 2], b: [0, 1] } });
    expect(two.body.average).toEqual([[1, 3], [10, 10]]); // a = 1 is on the threshold and goes left
  });

  it('refuses, naming the field: recursion on a non-tree model, unknown features, bad percentiles, stray grid values', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ feature: 'a', pdMethod: 'recursion' }, 'body.pdMethod'],
      [{ features: 'a,zeta' }, 'body.features'],
      [{ features: 'a,a' }, 'body.features'],
      [{ features: 'a,b,c' }, 'body.features'],
      [{}, 'body.feature'],
      [{ feature: 'a', percentiles: '0.9,0.1' }, 'body.percentiles'],
      [{ feature: 'a', gridValues: { b: [1] } }, 'body.gridValues'],
      [{ feature: 'a', gridValues: 'nope' }, 'body.gridValues'],
    ];
    for (const [query, field] of cases) {
      const res = await pd(linearModel, query);
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.type).toMatch(/problem\+json/);
      expect(res.body.errors[0].field).toBe(field);
    }
  });
});
