import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inconclusiveReasons } from '../../src/commands/model/evidence-sufficiency.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

const linearModel = { format: 'raia-linear/v1', task: 'binary', link: 'logistic', featureNames: ['x'], coefficients: [1], intercept: 0, classes: ['deny', 'grant'] };
const metadata = { format: 'raia-linear/v1', task: 'binary', classes: ['deny', 'grant'], inputSchema: [{ name: 'x', type: 'number' }] };

describe('evidence sufficiency (pure)', () => {
  it('finds a fairness assessment with no decided check inconclusive, and one below the policy’s group size', () => {
    expect(inconclusiveReasons({ kind: 'fairness', checksDecided: 0, checksTotal: 2, groupRows: [{ grouping: 'sex', rows: [2, 2] }] })).toEqual([expect.stringMatching(/none of its 2 bias checks/)]);
    const sized = { kind: 'fairness' as const, checksDecided: 2, checksTotal: 2, groupRows: [{ grouping: 'sex', rows: [40, 29] }, { grouping: 'age', rows: [30, 30, 1] }] };
    expect(inconclusiveReasons(sized)).toEqual([]);
    expect(inconclusiveReasons(sized, { minGroupSize: 30 })).toEqual(["sex: 1 of 2 groups have at least 30 rows (the policy's minGroupSize); two are needed to compare"]);
    expect(inconclusiveReasons({ kind: 'explainability', rows: 5 }, { minExplanationRows: 10 })).toEqual(["it explains 5 rows; the policy's minExplanationRows is 10"]);
    expect(inconclusiveReasons({ kind: 'explainability', rows: 10 }, { minExplanationRows: 10 })).toEqual([]);
  });
});

describe.each(['postgres', 'pglite'] as const)('the deploy gate refuses inconclusive evidence on %s', (dialect) => {
  let server: TestServer;
  let base: string;
  let scientist: Record<string, string>;
  let officer: Record<string, string>;
  let admin: Record<string, string>;

  const call = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const res = await fetch(`${base}${path}`, { method, headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const approvedModel = async () => {
    const id = ((await call('POST', '/api/v1/models', scientist, { name: 'screening', type: 'classification', riskTier: 'limited' })).body as { id: string }).id;
    const form = new FormData();
    form.append('metadata', JSON.stringify(metadata));
    form.append('artifact', new Blob([JSON.stringify(linearModel)], { type: 'application/json' }), 'model.json');
    expect((await fetch(`${base}/api/v1/models/${id}/versions`, { method: 'POST', headers: scientist, body: form })).status).toBe(201);
    expect((await call('POST', `/api/v1/models/${id}/versions/1/validate`, scientist)).status).toBe(200);
    expect((await call('POST', `/api/v1/models/${id}/versions/1/approve`, officer, { comment: 'ok' })).status).toBe(200);
    return id;
  };

  beforeAll(async () => {
    server = await startTestServer(dialect);
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    const bearer = async (role: Parameters<TestServer['tokenFor']>[0]) => ({ authorization: `Bearer ${await server.tokenFor(role)}` });
    [scientist, officer, admin] = await Promise.all([bearer('data_scientist'), bearer('risk_officer'), bearer('admin')]);
  });
  afterAll(async () => {
    server.app.server.closeAllConnections();
    await server.close();
  });

  it('a 4-row assessment whose groups were all too small is inconclusive, not passed, and the 409 lists it', async () => {
    const id = await approvedModel();
    const tiny = await call('POST', '/api/v1/fairness/detect-bias', scientist, { modelId: id, yTrue: [1, 0, 1, 0], yPred: [1, 0, 0, 0], protectedAttributes: { sex: ['F', 'F', 'M', 'M'] } });
    expect(tiny.status, JSON.stringify(tiny.body)).toBe(200);
    expect(tiny.body).toMatchObject({ passed: false, status: 'inconclusive', failedChecks: [] });
    expect(tiny.body.inconclusiveReasons[0]).toMatch(/none of its 2 bias checks could be decided/);
    const refused = await call('POST', `/api/v1/models/${id}/deploy`, scientist, { version: 1 });
    expect(refused.status).toBe(409);
    expect(refused.body.reasons, JSON.stringify(refused.body.reasons)).toContainEqual(expect.stringMatching(/^inconclusive: the fairness assessment [0-9a-f-]{36} of version 1: none of its 2 bias checks could be decided/));
  });

  it('applies the policy’s minimum group size and explanation rows', async () => {
    const policy = await call('PUT', '/api/v1/policies/deployment', admin, { requireFourEyes: true, approverRoles: ['risk_officer'], requiredAssessments: ['fairness', 'explainability'], evidence: { minGroupSize: 12, minExplanationRows: 3 }, rationale: 'evidence minimums' });
    expect(policy.status, JSON.stringify(policy.body)).toBe(200);
    expect(policy.body.policy.evidence).toEqual({ minGroupSize: 12, minExplanationRows: 3 });
    const id = await approvedModel();
    // two groups of 10, compared (minGroupSize 5 in the request) and fair, but below the policy's 12
    const yTrue = Array.from({ length: 20 }, (_, i) => i % 2);
    const fair = await call('POST', '/api/v1/fairness/detect-bias', scientist, { modelId: id, yTrue, yPred: yTrue, protectedAttributes: { sex: yTrue.map((_, i) => (i < 10 ? 'F' : 'M')) }, options: { minGroupSize: 5, bootstrap: false } });
    expect(fair.body).toMatchObject({ passed: true, status: 'passed' });
    const shap = await fetch(`${base}/api/v1/explainability/shap/${id}`, { method: 'POST', headers: { ...scientist, 'content-type': 'application/json' }, body: JSON.stringify({ version: 1, method: 'exact', rows: [{ x: 1 }, { x: 2 }], background: [{ x: 0 }] }) });
    expect(shap.status).toBe(200);
    const refused = await call('POST', `/api/v1/models/${id}/deploy`, scientist, { version: 1 });
    expect(refused.status).toBe(409);
    expect(refused.body.reasons).toEqual([
      expect.stringMatching(/^inconclusive: the fairness assessment .* sex: 0 of 2 groups have at least 12 rows/),
      expect.stringMatching(/^inconclusive: the explainability assessment .* it explains 2 rows; the policy's minExplanationRows is 3/),
    ]);
    await call('PUT', '/api/v1/policies/deployment', admin, { requireFourEyes: true, approverRoles: ['risk_officer'], requiredAssessments: ['explainability', 'fairness'], rationale: 'back to the default' });
  });
});
