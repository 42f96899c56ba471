import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

type Answer = { status: number; type: string; body: Record<string, unknown> };

/** A raw HTTP/1.1 request (node:http): fetch would refuse some of what is sent here. */
function raw(base: string, method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// y = 1 + 2a - b: Shapley values of a linear model with independent features are
// coefficient × (x - mean of the background), so for the row (a=3, b=1) over a background with
// means a=1, b=2: a: 2 × (3 - 1) = 4, b: -1 × (1 - 2) = 1.
const linearModel = { format: 'raia-linear/v1', task: 'regression', link: 'identity', featureNames: ['a', 'b'], coefficients: [2, -1], intercept: 1 };
const background = Array.from({ length: 50 }, (_, i) => ({ a: i % 2 === 0 ? 0 : 2, b: i % 2 === 0 ? 1 : 3 }));

describe('HTTP conventions: framework errors as problem+json, explanations computed by POST and read by GET', () => {
  let server: TestServer;
  let base: string;
  let auth: Record<string, string>;
  let modelId: string;
  const head = async () => (await server.runtime.store.head()).position;
  beforeAll(async () => {
    server = await startTestServer('pglite');
    base = await server.app.listen({ host: '127.0.0.1', port: 0 });
    auth = { authorization: `Bearer ${await server.tokenFor('data_scientist')}` };
    const created = await fetch(`${base}/api/v1/models`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'y', type: 'regression', riskTier: 'limited' }) });
    modelId = ((await created.json()) as { id: string }).id;
    const form = new FormData();
    form.append('metadata', JSON.stringify({ format: 'raia-linear/v1', task: 'regression', inputSchema: [{ name: 'a', type: 'number' }, { name: 'b', type: 'number' }] }));
    form.append('artifact', new Blob([JSON.stringify(linearModel)]), 'model.json');
    expect((await fetch(`${base}/api/v1/models/${modelId}/versions`, { method: 'POST', headers: auth, body: form })).status).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
  });

  const expectProblem = (answer: Answer, status: number, title: string) => {
    expect(answer.status).toBe(status);
    expect(answer.type).toContain('application/problem+json');
    expect(answer.body).toMatchObject({ status, title });
    expect(String(answer.body.type)).toMatch(/^https:\/\/raia\.dev\/problems\//);
  };

  it('answers headers over the limit with a 431 problem: a 50-row background in a query string is one', async () => {
    const query = new URLSearchParams({ version: '1', rows: JSON.stringify([{ a: 3, b: 1 }]), background: JSON.stringify(background.map((r) => ({ ...r, padding: 'x'.repeat(300) }))) });
    const answer = await raw(base, 'GET', `/api/v1/explainability/shap/${modelId}?${query}`, auth);
    expectProblem(answer, 431, 'Request Header Fields Too Large');
    expect(String(answer.body.detail)).toContain('POST body');
  });

  it('answers a body over the limit with 413, a text/plain body with 415, malformed JSON with a readable 400, an unknown route with 404', async () => {
    const json = { ...auth, 'content-type': 'application/json' };
    expectProblem(await raw(base, 'POST', '/api/v1/models', json, JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) })), 413, 'Request body too large');
    expectProblem(await raw(base, 'POST', '/api/v1/models', { ...auth, 'content-type': 'text/plain' }, 'name=x'), 415, 'Unsupported media type');
    const malformed = await raw(base, 'POST', '/api/v1/models', json, '{"name": "x", ');
    expectProblem(malformed, 400, 'Malformed JSON body');
    expect(malformed.body.detail).toContain('not valid JSON');
    expectProblem(await raw(base, 'POST', '/api/v1/models', json, ''), 400, 'Empty JSON body');
    expectProblem(await raw(base, 'GET', '/api/v1/no-such-thing', auth), 404, 'Not found');
    expectProblem(await raw(base, 'DELETE', '/api/v1/health', auth), 404, 'Not found');
  });

  it('computes and records an explanation by POST; the GET reads the record and never writes', async () => {
    const rows = [{ a: 3, b: 1 }];
    const query = `?${new URLSearchParams({ version: '1', method: 'exact', rows: JSON.stringify(rows), background: JSON.stringify(background) })}`;
    const before = await head();
    const unrecorded = await raw(base, 'GET', `/api/v1/explainability/shap/${modelId}${query}`, auth);
    expectProblem(unrecorded, 404, 'Explanation not recorded');
    expect(unrecorded.body.detail).toContain(`POST /api/v1/explainability/shap/${modelId}`);
    expect(await head()).toBe(before);

    const computed = await raw(base, 'POST', `/api/v1/explainability/shap/${modelId}`, { ...auth, 'content-type': 'application/json' }, JSON.stringify({ version: 1, method: 'exact', rows, background }));
    expect(computed.status).toBe(200);
    expect(computed.body).toMatchObject({ cached: false, method: 'exact', modelVersion: 1 });
    const values = (computed.body.values as number[][])[0]!;
    expect(values[0]).toBeCloseTo(4, 9);
    expect(values[1]).toBeCloseTo(1, 9);
    const recordedAt = await head();
    expect(recordedAt).toBeGreaterThan(before);
    const recorded = await server.runtime.store.readAll({ after: before });
    expect(recorded.map((e) => e.type)).toContain('explanation.computed');

    const read = await raw(base, 'GET', `/api/v1/explainability/shap/${modelId}${query}`, auth);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ cached: true, eventId: computed.body.eventId, values: computed.body.values });
    expect(await head()).toBe(recordedAt);
  });

  it('takes each explanation kind in a POST body, refusing bad input naming the body field', async () => {
    const post = (kind: string, body: unknown) => raw(base, 'POST', `/api/v1/explainability/${kind}/${modelId}`, { ...auth, 'content-type': 'application/json' }, JSON.stringify(body));
    // PD of y = 1 + 2a - b over a on the grid [0, 2] (the distinct values), averaged over the
    // background's b (mean 2): 1 + 2·0 - 2 = -1 and 1 + 2·2 - 2 = 3.
    const pd = await post('partial-dependence', { version: 1, rows: background, feature: 'a', grid: 5 });
    expect(pd.status).toBe(200);
    expect(pd.body.grid ?? pd.body.grids).toBeDefined();
    expect(JSON.stringify(pd.body)).toContain('-1');
    expect((await post('feature-importance', { version: 1, rows: [{ a: 3, b: 1 }], background })).status).toBe(200);
    expect((await post('lime', { version: 1, rows: [{ a: 3, b: 1 }], background })).status).toBe(200);
    const missing = await post('shap', { version: 1, rows: [{ a: 3 }], background });
    expectProblem(missing, 400, 'Invalid request');
    expect((missing.body.errors as { field: string }[])[0]!.field).toBe('body.rows.0.b');
    const badFeature = await post('partial-dependence', { version: 1, rows: background, feature: 'zeta' });
    expect((badFeature.body.errors as { field: string }[])[0]!.field).toBe('body.feature');
  });

  it('defaults to the only version of an undeployed model, and otherwise lists the versions and says how to name one', async () => {
    const json = { ...auth, 'content-type': 'application/json' };
    // One version, none deployed: it is the one used. y = 1 + 2·3 - 1 = 6.
    const only = await raw(base, 'POST', `/api/v1/models/${modelId}/predict`, json, JSON.stringify({ instances: [{ a: 3, b: 1 }] }));
    expect(only.status).toBe(200);
    expect(JSON.stringify(only.body)).toContain('6');
    const form = new FormData();
    form.append('metadata', JSON.stringify({ format: 'raia-linear/v1', task: 'regression', inputSchema: [{ name: 'a', type: 'number' }, { name: 'b', type: 'number' }] }));
    form.append('artifact', new Blob([JSON.stringify({ ...linearModel, intercept: 2 })]), 'model.json');
    expect((await fetch(`${base}/api/v1/models/${modelId}/versions`, { method: 'POST', headers: auth, body: form })).status).toBe(201);
    const ambiguous = await raw(base, 'POST', `/api/v1/models/${modelId}/predict`, json, JSON.stringify({ instances: [{ a: 3, b: 1 }] }));
    expectProblem(ambiguous, 409, 'No deployed version');
    expect(ambiguous.body.versions).toEqual([{ version: 1, status: 'draft' }, { version: 2, status: 'draft' }]);
    expect(ambiguous.body.detail).toContain('name one with `version`');
    const gets = await raw(base, 'POST', `/api/v1/explainability/shap/${modelId}`, json, JSON.stringify({ rows: [{ a: 3, b: 1 }], background }));
    expectProblem(gets, 409, 'No deployed version');
    const empty = await fetch(`${base}/api/v1/models`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'empty', type: 'regression', riskTier: 'limited' }) });
    const emptyId = ((await empty.json()) as { id: string }).id;
    const none = await raw(base, 'POST', `/api/v1/models/${emptyId}/predict`, json, JSON.stringify({ instances: [{ a: 3, b: 1 }] }));
    expectProblem(none, 409, 'No deployed version');
    expect(none.body).toMatchObject({ versions: [], detail: expect.stringContaining(`POST /api/v1/models/${emptyId}/versions`) });
  });
});
