import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISPARITY_METRICS, GROUP_METRICS, REGRESSION_METRICS } from '../../src/analytics/fairness/index.js';
import { DISPARITY_METRIC_NAMES, GROUP_METRIC_NAMES, REGRESSION_METRIC_NAMES } from '../../src/events/catalogue/fairness.events.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

// A logistic model over one feature x: P(grant) = 1 / (1 + e^-x), decision "grant" when x > 0.
// So a row with x = +1 is a positive decision and x = -1 a negative one, chosen by hand.
const linearModel = { format: 'raia-linear/v1', task: 'binary', link: 'logistic', featureNames: ['x'], coefficients: [1], intercept: 0, classes: ['deny', 'grant'] };
const metadata = { format: 'raia-linear/v1', task: 'binary', classes: ['deny', 'grant'], inputSchema: [{ name: 'x', type: 'number' }], metrics: { auc: 0.8 } };

type Cell = { tp: number; fp: number; fn: number; tn: number };
/** Rows, labels and the decisions the model will make, for a group with a given confusion matrix. */
function groupRows(cell: Cell) {
  const rows: { x: number }[] = [];
  const labels: string[] = [];
  const push = (n: number, x: number, label: string) => {
    for (let i = 0; i < n; i++) {
      rows.push({ x });
      labels.push(label);
    }
  };
  push(cell.tp, 1, 'grant');
  push(cell.fp, 1, 'deny');
  push(cell.fn, -1, 'grant');
  push(cell.tn, -1, 'deny');
  return { rows, labels, yTrue: labels.map((l) => (l === 'grant' ? 1 : 0)), yPred: rows.map((r) => (r.x > 0 ? 1 : 0)) };
}

// Hand-computed case, two groups of 10:
//   A: TP 4, FP 1, FN 1, TN 4 -> selection (4+1)/10 = 0.5, TPR 4/5 = 0.8, FPR 1/5 = 0.2, accuracy 8/10, precision 4/5
//   B: TP 2, FP 0, FN 3, TN 5 -> selection 2/10 = 0.2, TPR 2/5 = 0.4, FPR 0/5 = 0, accuracy 7/10, precision 2/2 = 1
//   demographic parity difference 0.5 - 0.2 = 0.3, ratio 0.2 / 0.5 = 0.4 (fails the 0.8 rule)
//   equal opportunity difference 0.8 - 0.4 = 0.4; equalized odds difference max(0.4, 0.2 - 0) = 0.4 (fails 0.1)
//   predictive parity difference 1 - 0.8 = 0.2; accuracy difference 0.8 - 0.7 = 0.1
//   disparate impact ratio against A (highest selection rate) 0.2 / 0.5 = 0.4
const A = groupRows({ tp: 4, fp: 1, fn: 1, tn: 4 });
const B = groupRows({ tp: 2, fp: 0, fn: 3, tn: 5 });
const unfair = {
  rows: [...A.rows, ...B.rows],
  labels: [...A.labels, ...B.labels],
  yTrue: [...A.yTrue, ...B.yTrue],
  yPred: [...A.yPred, ...B.yPred],
  sex: [...A.rows.map(() => 'A'), ...B.rows.map(() => 'B')],
};
// Both groups with A's confusion matrix: every parity metric is exactly 0 (ratios 1); the default policy passes.
const fair = { rows: [...A.rows, ...A.rows], labels: [...A.labels, ...A.labels], sex: [...A.rows.map(() => 'A'), ...A.rows.map(() => 'B')] };
const smallOptions = { minGroupSize: 5, bootstrap: { resamples: 200, seed: 7 } };

describe('fairness event schemas', () => {
  it('name the engine\'s metrics exactly', () => {
    expect([...GROUP_METRIC_NAMES]).toEqual([...GROUP_METRICS]);
    expect([...DISPARITY_METRIC_NAMES]).toEqual([...DISPARITY_METRICS]);
    expect([...REGRESSION_METRIC_NAMES]).toEqual([...REGRESSION_METRICS]);
  });
});

describe.each(['postgres', 'pglite'] as const)('fairness and bias API on %s', (dialect) => {
  let server: TestServer;
  let base: string;
  let scientist: Record<string, string>;
  let officer: Record<string, string>;
  let viewer: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    const bearer = async (role: Parameters<TestServer['tokenFor']>[0]) => ({ authorization: `Bearer ${await server.tokenFor(role)}` });
    [scientist, officer, viewer] = await Promise.all([bearer('data_scientist'), bearer('risk_officer'), bearer('viewer')]);
  });
  afterAll(async () => {
    server.app.server.closeAllConnections();
    await server.close();
  });

  const call = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const res = await fetch(`${base}${path}`, { method, headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', text, body: (text.startsWith('{') ? JSON.parse(text) : {}) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const registerModel = async () => {
    const res = await call('POST', '/api/v1/models', scientist, { name: 'loan screening', type: 'classification', riskTier: 'limited', intendedUse: 'pre-screening' });
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    const form = new FormData();
    form.append('metadata', JSON.stringify(metadata));
    form.append('artifact', new Blob([JSON.stringify(linearModel)], { type: 'application/json' }), 'model.json');
    const added = await fetch(`${base}/api/v1/models/${id}/versions`, { method: 'POST', headers: scientist, body: form });
    expect(added.status).toBe(201);
    return id;
  };
  const head = async () => (await server.runtime.store.head()).position;
  const fieldsOf = (body: Record<string, any>) => (body.errors as { field: string }[]).map((e) => e.field); // eslint-disable-line @typescript-eslint/no-explicit-any

  it('assesses a model version on labelled rows: hand-computed group and across-group metrics, failing default checks, recorded with actor and cause', async () => {
    const id = await registerModel();
    const res = await call('POST', `/api/v1/fairness/analyze/${id}`, scientist, { rows: unfair.rows, labels: unfair.labels, protectedAttributes: { sex: unfair.sex }, options: smallOptions });
    expect(res.status, res.text).toBe(200);
    const a = res.body;
    expect(a).toMatchObject({ modelId: id, modelVersion: 1, source: 'model-rows', reused: false, passed: false });
    expect(a.inputsHash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.options).toMatchObject({ minGroupSize: 5, bootstrap: { resamples: 200, seed: 7, level: 0.95 } });
    expect(a.codeVersion).toContain('fairness-engine/1');
    const sex = a.report.groupings.find((g: { name: string }) => g.name === 'sex');
    const group = (name: string) => sex.groups.find((g: { group: string }) => g.group === name).metrics;
    const expectGroup = (name: string, expected: Record<string, number>) => {
      for (const [metric, value] of Object.entries(expected)) expect(group(name)[metric].value, `${name} ${metric}`).toBeCloseTo(value, 12);
    };
    expectGroup('A', { selectionRate: 0.5, truePositiveRate: 0.8, falsePositiveRate: 0.2, falseNegativeRate: 0.2, accuracy: 0.8, precision: 0.8, disparateImpact: 1 });
    expectGroup('B', { selectionRate: 0.2, truePositiveRate: 0.4, falsePositiveRate: 0, falseNegativeRate: 0.6, accuracy: 0.7, precision: 1, disparateImpact: 0.4 });
    const d = sex.disparities;
    expect(d.demographicParityDifference.value).toBeCloseTo(0.3, 12);
    expect(d.demographicParityRatio.value).toBeCloseTo(0.4, 12);
    expect(d.disparateImpactRatio.value).toBeCloseTo(0.4, 12);
    expect(d.equalOpportunityDifference.value).toBeCloseTo(0.4, 12);
    expect(d.equalizedOddsDifference.value).toBeCloseTo(0.4, 12);
    expect(d.predictiveParityDifference.value).toBeCloseTo(0.2, 12);
    expect(d.accuracyDifference.value).toBeCloseTo(0.1, 12);
    expect(d.demographicParityRatio.ci.resamples).toBe(200);
    expect(sex.referenceGroup).toBe('A');
    expect(sex.fourFifthsRule).toEqual({ threshold: 0.8, ratio: expect.closeTo(0.4, 12), passed: false });
    expect(a.report.hasScores).toBe(true); // the model's probabilities give calibration
    expect(a.failedChecks).toEqual(['demographicParityRatio[sex]', 'equalizedOddsDifference[sex]']);
    expect(a.biasChecks.checks.find((c: { id: string }) => c.id === 'demographicParityRatio[sex]')).toMatchObject({ passed: false, severity: 'high', threshold: 0.8, bound: 'lower' });

    const [event] = await server.runtime.store.readStream(`fairness-${id}`);
    const modelEvents = await server.runtime.store.readStream(`model-${id}`);
    expect(event).toMatchObject({ id: a.id, type: 'fairness.assessed', causationId: modelEvents.find((e) => e.type === 'model.version-added')!.id, actor: { kind: 'user', role: 'data_scientist' } });
    expect(a.causationId).toBe(event!.causationId);
    expect(event!.data.failedChecks).toEqual(a.failedChecks);
  });

  it('answers an identical request from the recorded assessment without appending; other options make a new one', async () => {
    const id = await registerModel();
    const body = { rows: unfair.rows, labels: unfair.labels, protectedAttributes: { sex: unfair.sex }, options: smallOptions };
    const first = await call('POST', `/api/v1/fairness/analyze/${id}`, scientist, body);
    expect(first.status).toBe(200);
    const before = await head();
    const again = await call('POST', `/api/v1/fairness/analyze/${id}`, officer, body);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: first.body.id, reused: true, requestHash: first.body.requestHash });
    expect(again.body.report).toEqual(first.body.report);
    expect(await head()).toBe(before);
    // Defaults spelled out are the same request.
    const explicit = await call('POST', `/api/v1/fairness/analyze/${id}`, scientist, { ...body, version: 1, options: { ...smallOptions, includeSmallGroups: false, calibrationBins: 10 } });
    expect(explicit.body.id).toBe(first.body.id);
    const other = await call('POST', `/api/v1/fairness/analyze/${id}`, scientist, { ...body, options: { ...smallOptions, bootstrap: false } });
    expect(other.body.reused).toBe(false);
    expect(other.body.id).not.toBe(first.body.id);
    expect((await server.runtime.store.readStream(`fairness-${id}`)).length).toBe(2);
  });

  it('reads protected attributes from columns of the rows that are not model features, with intersections', async () => {
    const id = await registerModel();
    const race = unfair.rows.map((_, i) => (i % 2 === 0 ? 'P' : 'Q'));
    const rows = unfair.rows.map((r, i) => ({ ...r, sex: unfair.sex[i], race: race[i] }));
    const res = await call('POST', `/api/v1/fairness/analyze/${id}`, scientist, { rows, labels: unfair.labels, protectedAttributes: ['sex', 'race'], options: { ...smallOptions, minGroupSize: 2, bootstrap: false } });
    expect(res.status, res.text).toBe(200);
    expect(res.body.report.groupings.map((g: { name: string }) => g.name)).toEqual(['sex', 'race', 'sex × race']);
    const sex = res.body.report.groupings[0];
    expect(sex.disparities.demographicParityRatio.value).toBeCloseTo(0.4, 12);
    const cross = res.body.report.groupings[2];
    expect(cross.groups.map((g: { group: string }) => g.group)).toEqual(['sex=A, race=P', 'sex=A, race=Q', 'sex=B, race=P', 'sex=B, race=Q']);
    expect(cross.groups.every((g: { rows: number }) => g.rows === 5)).toBe(true);
    expect(res.body.failedChecks).toContain('demographicParityRatio[sex × race]');
  });

  it('detects bias in a prediction log without a model, failing the default policy, in an ad-hoc stream', async () => {
    const res = await call('POST', '/api/v1/fairness/detect-bias', officer, { yTrue: unfair.yTrue, yPred: unfair.yPred, protectedAttributes: { sex: unfair.sex }, options: smallOptions });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ modelId: null, modelVersion: null, source: 'prediction-log', passed: false, causationId: null });
    expect(res.body.failedChecks).toEqual(['demographicParityRatio[sex]', 'equalizedOddsDifference[sex]']);
    const sex = res.body.report.groupings[0];
    expect(sex.disparities.demographicParityRatio.value).toBeCloseTo(0.4, 12);
    expect(sex.disparities.equalizedOddsDifference.value).toBeCloseTo(0.4, 12);
    expect(res.body.report.hasScores).toBe(false);
    expect(res.body.biasChecks.checks[0].recommendations.length).toBeGreaterThan(0);
    const stream = await server.runtime.store.readStream(`fairness-adhoc-${res.body.inputsHash}`);
    expect(stream.map((e) => e.id)).toEqual([res.body.id]);
    // A policy of its own: only the demographic parity difference, at 0.35 (0.3 passes).
    const lenient = await call('POST', '/api/v1/fairness/detect-bias', officer, {
      yTrue: unfair.yTrue,
      yPred: unfair.yPred,
      protectedAttributes: { sex: unfair.sex },
      options: smallOptions,
      policy: { rules: [{ metric: 'demographicParityDifference', threshold: 0.35 }] },
    });
    expect(lenient.body).toMatchObject({ passed: true, failedChecks: [] });
  });

  it('assesses a regression prediction log against a policy on error parity (by hand)', async () => {
    // A over-predicts by 1 on every row, B is exact: mean error A 1, B 0 -> difference 1 > 0.5 fails;
    // mean prediction A (2+3+4+5)/4 = 3.5, B 2.5 -> difference 1.
    const res = await call('POST', '/api/v1/fairness/detect-bias', officer, {
      task: 'regression',
      yTrue: [1, 2, 3, 4, 1, 2, 3, 4],
      yPred: [2, 3, 4, 5, 1, 2, 3, 4],
      protectedAttributes: { sex: ['A', 'A', 'A', 'A', 'B', 'B', 'B', 'B'] },
      options: { minGroupSize: 2, bootstrap: false },
      policy: { rules: [{ metric: 'meanError', threshold: 0.5 }, { metric: 'meanPrediction', threshold: 2 }] },
    });
    expect(res.status, res.text).toBe(200);
    const sex = res.body.report.groupings[0];
    expect(res.body.report.task).toBe('regression');
    expect(sex.groups.map((g: { metrics: { meanError: { value: number } } }) => g.metrics.meanError.value)).toEqual([1, 0]);
    expect(sex.differences.meanError.value).toBe(1);
    expect(sex.differences.meanPrediction.value).toBe(1);
    expect(res.body.failedChecks).toEqual(['meanError[sex]']);
  });

  it('attaches a prediction log to a registered model version when modelId is given', async () => {
    const id = await registerModel();
    const res = await call('POST', '/api/v1/fairness/detect-bias', officer, { modelId: id, yTrue: unfair.yTrue, yPred: unfair.yPred, protectedAttributes: { sex: unfair.sex }, options: smallOptions });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ modelId: id, modelVersion: 1, source: 'prediction-log' });
    const versionAdded = (await server.runtime.store.readStream(`model-${id}`)).find((e) => e.type === 'model.version-added')!;
    expect(res.body.causationId).toBe(versionAdded.id);
    expect((await server.runtime.store.readStream(`fairness-${id}`)).map((e) => e.id)).toEqual([res.body.id]);
  });

  it('a passing assessment satisfies the deploy gate\'s fairness requirement', async () => {
    const id = await registerModel();
    expect((await call('POST', `/api/v1/models/${id}/versions/1/validate`, scientist)).status).toBe(200);
    expect((await call('POST', `/api/v1/models/${id}/versions/1/approve`, officer, { comment: 'ok' })).status).toBe(200);
    const failing = await call('POST', `/api/v1/fairness/analyze/${id}`, scientist, { rows: unfair.rows, labels: unfair.labels, protectedAttributes: { sex: unfair.sex }, options: smallOptions });
    expect(failing.body.passed).toBe(false);
    const refused = await call('POST', `/api/v1/models/${id}/deploy`, scientist, { version: 1 });
    expect(refused.status).toBe(409);
    expect(refused.body.reasons).toContain('failing: the fairness assessment of version 1 has failing checks (demographicParityRatio[sex], equalizedOddsDifference[sex])');

    const passing = await call('POST', `/api/v1/fairness/analyze/${id}`, scientist, { version: 1, rows: fair.rows, labels: fair.labels, protectedAttributes: { sex: fair.sex }, options: smallOptions });
    expect(passing.status, passing.text).toBe(200);
    expect(passing.body).toMatchObject({ passed: true, failedChecks: [] });
    const sex = passing.body.report.groupings[0];
    expect(sex.disparities.demographicParityRatio.value).toBe(1);
    expect(sex.disparities.equalizedOddsDifference.value).toBe(0);
    const deploy = await call('POST', `/api/v1/models/${id}/deploy`, scientist, { version: 1 });
    expect(deploy.status).toBe(409);
    expect(deploy.body.reasons).toEqual(['missing: no explainability assessment of version 1 (required by policy v0)']);
  });

  it('lists reports newest first with paging and a version filter, and serves the latest metrics', async () => {
    const id = await registerModel();
    const first = await call('POST', `/api/v1/fairness/analyze/${id}`, scientist, { rows: unfair.rows, labels: unfair.labels, protectedAttributes: { sex: unfair.sex }, options: smallOptions });
    const second = await call('POST', `/api/v1/fairness/analyze/${id}`, scientist, { rows: fair.rows, labels: fair.labels, protectedAttributes: { sex: fair.sex }, options: smallOptions });
    const listed = await call('GET', `/api/v1/fairness/reports/${id}?version=1`, viewer);
    expect(listed.status, listed.text).toBe(200);
    expect(listed.body.total).toBe(2);
    expect(listed.body.reports.map((r: { id: string }) => r.id)).toEqual([second.body.id, first.body.id]);
    const paged = await call('GET', `/api/v1/fairness/reports/${id}?limit=1&offset=1`, viewer);
    expect(paged.body.reports.map((r: { id: string }) => r.id)).toEqual([first.body.id]);
    expect((await call('GET', `/api/v1/fairness/reports/${id}?version=2`, viewer)).body).toMatchObject({ total: 0, reports: [] });

    const metrics = await call('GET', `/api/v1/bias/metrics/${id}`, viewer);
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatchObject({ modelId: id, modelVersion: 1, assessmentId: second.body.id, passed: true, failedChecks: [] });
    expect(metrics.body.report.groupings[0].disparities.demographicParityRatio.value).toBe(1);
    expect((await call('GET', `/api/v1/bias/metrics/${id}?version=2`, viewer)).status).toBe(404);
    expect((await call('GET', `/api/v1/bias/metrics/0193f0c2-0000-7000-8000-000000000000`, viewer)).status).toBe(404);
    expect((await call('GET', `/api/v1/fairness/reports/0193f0c2-0000-7000-8000-000000000000`, viewer)).status).toBe(404);
  });

  it('reweighing equalises the weighted base rates (Kamiran & Calders weights by hand) and is recorded', async () => {
    const id = await registerModel();
    // A: 6 of 10 positive, B: 2 of 10; overall 8/20 = 0.4.
    // w(g, y) = P(g) P(y) / P(g, y): w(A,1) = 0.5·0.4/0.3 = 2/3, w(A,0) = 0.5·0.6/0.2 = 1.5, w(B,1) = 0.5·0.4/0.1 = 2, w(B,0) = 0.5·0.6/0.4 = 0.75
    const labels = [...Array(6).fill('grant'), ...Array(4).fill('deny'), ...Array(2).fill('grant'), ...Array(8).fill('deny')];
    const sex = [...Array(10).fill('A'), ...Array(10).fill('B')];
    const res = await call('POST', `/api/v1/bias/mitigation/${id}`, scientist, { method: 'reweighing', labels, protectedAttributes: { sex } });
    expect(res.status, res.text).toBe(200);
    const expected = [...Array(6).fill(2 / 3), ...Array(4).fill(1.5), ...Array(2).fill(2), ...Array(8).fill(0.75)];
    res.body.rowWeights.forEach((w: number, i: number) => expect(w).toBeCloseTo(expected[i], 12));
    const result = res.body.record.result;
    expect(result.baseRate).toBeCloseTo(0.4, 12);
    expect(result.groups).toEqual([
      { group: 'A', rows: 10, baseRateBefore: 0.6, baseRateAfter: expect.closeTo(0.4, 12) },
      { group: 'B', rows: 10, baseRateBefore: 0.2, baseRateAfter: expect.closeTo(0.4, 12) },
    ]);
    expect(res.body.registration).toBeNull();
    const events = await server.runtime.store.readStream(`fairness-${id}`);
    expect(events.map((e) => e.type)).toEqual(['fairness.mitigation-computed']);
    expect(events[0]!.id).toBe(res.body.record.id);
  });

  it('the threshold optimiser meets demographic parity on its data and reports the accuracy cost; register: true adds it as a version', async () => {
    const id = await registerModel();
    // Scores spread within groups so thresholds have room: x in {-2..2}.
    const rows = unfair.rows.map((r, i) => ({ x: r.x * (1 + (i % 3)) }));
    const res = await call('POST', `/api/v1/bias/mitigation/${id}`, scientist, {
      method: 'threshold-optimizer',
      rows: rows.map((r, i) => ({ ...r, sex: unfair.sex[i] })),
      labels: unfair.labels,
      protectedAttributes: ['sex'],
      constraint: 'demographic_parity',
      tolerance: 0.01,
      register: true,
    });
    expect(res.status, res.text).toBe(200);
    const result = res.body.record.result;
    expect(result.method).toBe('threshold-optimizer');
    expect(result.constraintMet).toBe(true);
    expect(result.before.demographicParityDifference).toBeCloseTo(0.3, 12);
    expect(result.afterExpected.demographicParityDifference).toBeLessThanOrEqual(0.01);
    expect(result.accuracyCost).toBeCloseTo(result.before.accuracy - result.afterExpected.accuracy, 12);
    expect(result.artifact.groups.map((g: { group: string }) => g.group)).toEqual(['A', 'B']);
    expect(res.body.registration).toMatchObject({ registered: true, version: 2, mitigationEventId: res.body.record.id });
    expect(res.body.rowWeights).toBeNull();
  });

  it('refuses bad input with 400 naming the field, and appends nothing', async () => {
    const id = await registerModel();
    const before = await head();
    const analyze = (body: unknown) => call('POST', `/api/v1/fairness/analyze/${id}`, scientist, body);
    const detect = (body: unknown) => call('POST', '/api/v1/fairness/detect-bias', scientist, body);
    const cases: [Promise<Awaited<ReturnType<typeof call>>>, string][] = [
      [analyze({ rows: unfair.rows, labels: unfair.labels.slice(1), protectedAttributes: { sex: unfair.sex } }), 'body.labels'],
      [analyze({ rows: unfair.rows, labels: unfair.labels.map((l, i) => (i === 3 ? 'maybe' : l)), protectedAttributes: { sex: unfair.sex } }), 'body.labels.3'],
      [analyze({ rows: unfair.rows, labels: unfair.labels, protectedAttributes: { sex: unfair.sex.slice(2) } }), 'body.protectedAttributes.sex'],
      [analyze({ rows: unfair.rows, labels: unfair.labels, protectedAttributes: { sex: unfair.sex.map((s, i) => (i === 3 ? null : s)) } }), 'body.protectedAttributes.sex.3'],
      [analyze({ rows: unfair.rows, labels: unfair.labels, protectedAttributes: ['sex'] }), 'body.rows.0.sex'],
      [analyze({ rows: unfair.rows.map((r, i) => (i === 2 ? { ...r, age: 3 } : r)), labels: unfair.labels, protectedAttributes: { sex: unfair.sex } }), 'body.rows.2.age'],
      [analyze({ rows: unfair.rows, labels: unfair.labels, protectedAttributes: { sex: unfair.sex }, options: { referenceGroups: { race: 'P' } } }), 'body.options.referenceGroups.race'],
      [analyze({ rows: unfair.rows.slice(0, 2), labels: unfair.labels.slice(0, 2), protectedAttributes: { sex: unfair.sex.slice(0, 2) } }), 'body.rows'],
      [detect({ yTrue: unfair.yTrue.map((y, i) => (i === 3 ? 2 : y)), yPred: unfair.yPred, protectedAttributes: { sex: unfair.sex } }), 'body.yTrue.3'],
      [detect({ yTrue: unfair.yTrue, yPred: unfair.yPred.slice(1), protectedAttributes: { sex: unfair.sex } }), 'body.yPred'],
      [detect({ yTrue: unfair.yTrue, yPred: unfair.yPred, yScore: unfair.yPred.map(() => 1.5), protectedAttributes: { sex: unfair.sex } }), 'body.yScore.0'],
      [detect({ yTrue: unfair.yTrue, yPred: unfair.yPred, protectedAttributes: { sex: unfair.sex }, policy: { rules: [{ metric: 'meanError', threshold: 1 }] } }), 'body.policy.rules.0.metric'],
      [call('POST', `/api/v1/bias/mitigation/${id}`, scientist, { method: 'reweighing', labels: unfair.labels, protectedAttributes: { sex: unfair.sex }, attributes: ['race'] }), 'body.attributes.0'],
    ];
    for (const [pending, field] of cases) {
      const res = await pending;
      expect(res.status, `${field}: ${res.text}`).toBe(400);
      expect(res.type).toContain('application/problem+json');
      expect(fieldsOf(res.body), res.text).toContain(field);
    }
    expect(fieldsOf((await analyze({ datasetId: 'loans-2024', labelColumn: 'y', protectedAttributes: ['sex'] })).body)).toContain('body.datasetId');
    expect((await analyze({ datasetId: '0193f0c2-0000-7000-8000-00000000dada', labelColumn: 'y', protectedAttributes: ['sex'] })).status).toBe(404);
    expect((await call('POST', `/api/v1/fairness/analyze/0193f0c2-0000-7000-8000-000000000000`, scientist, { rows: unfair.rows, labels: unfair.labels, protectedAttributes: { sex: unfair.sex } })).status).toBe(404);
    expect(await head()).toBe(before);
  });
});
