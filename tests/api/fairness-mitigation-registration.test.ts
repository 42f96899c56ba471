import { text as streamText } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../../src/analytics/fairness/seeded-random.js';
import { applyThresholds, type ThresholdArtifact } from '../../src/analytics/fairness/threshold-optimizer.js';
import { rowSeed, type ThresholdWrapper } from '../../src/analytics/scoring/threshold-wrapper-model.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

// A logistic model over one feature x: P(grant) = 1 / (1 + e^-x).
const linearModel = { format: 'raia-linear/v1', task: 'binary', link: 'logistic', featureNames: ['x'], coefficients: [1], intercept: 0, classes: ['deny', 'grant'] };
const metadata = { format: 'raia-linear/v1', task: 'binary', classes: ['deny', 'grant'], inputSchema: [{ name: 'x', type: 'number' }], metrics: { auc: 0.8 } };
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

// Two groups with different score distributions and base rates: the model selects group A far
// more often than group B, so demographic parity needs different thresholds. A has 10 distinct
// scores and B 7, so the common selection rate falls between two of B's thresholds: B's rule
// randomises between them (the optimiser gives it probabilityLow 0.9 here), A's does not.
const rows: { x: number; sex: string }[] = [];
const labels: string[] = [];
for (let i = 0; i < 20; i++) {
  rows.push({ x: -1 + (i % 10) * 0.35, sex: 'A' });
  labels.push(i % 10 >= 3 ? 'grant' : 'deny');
}
for (let i = 0; i < 14; i++) {
  rows.push({ x: -2.5 + (i % 7) * 0.4, sex: 'B' });
  labels.push(i % 7 >= 4 ? 'grant' : 'deny');
}
const mitigation = { method: 'threshold-optimizer', version: 1, rows, labels, protectedAttributes: ['sex'], constraint: 'demographic_parity', tolerance: 0.01, register: true };

describe.each(['postgres', 'pglite'] as const)('registering a threshold optimiser as a model version on %s', (dialect) => {
  let server: TestServer;
  let base: string;
  let scientist: Record<string, string>;
  let otherScientist: Record<string, string>;
  let officer: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    const bearer = async (role: Parameters<TestServer['tokenFor']>[0]) => ({ authorization: `Bearer ${await server.tokenFor(role)}` });
    [scientist, otherScientist, officer] = await Promise.all([bearer('data_scientist'), bearer('data_scientist'), bearer('risk_officer')]);
  });
  afterAll(async () => {
    server.app.server.closeAllConnections();
    await server.close();
  });

  const call = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const res = await fetch(`${base}${path}`, { method, headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, text, body: (text.startsWith('{') ? JSON.parse(text) : {}) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
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

  it('registers the optimiser as a new version wrapping the original; predictions are its seeded, per-row decisions', async () => {
    const id = await registerModel();
    const res = await call('POST', `/api/v1/bias/mitigation/${id}`, scientist, mitigation);
    expect(res.status, res.text).toBe(200);
    const record = res.body.record;
    const artifact = record.result.artifact as ThresholdArtifact;
    expect(artifact.labels).toEqual(['A', 'B']);
    expect(record.result.constraintMet).toBe(true);
    expect(res.body.registration).toMatchObject({ registered: true, version: 2, mitigationEventId: record.id });

    // The version: draft, the wrapper format, the wrapped features plus the attribute (integer), the after-metrics.
    const v = await call('GET', `/api/v1/models/${id}/versions/2`, scientist);
    expect(v.status, v.text).toBe(200);
    expect(v.body).toMatchObject({ version: 2, status: 'draft', task: 'binary', classes: ['deny', 'grant'], trainingData: null, endpoint: null });
    expect(v.body.artifact.format).toBe('raia-threshold-wrapper/v1');
    expect(v.body.inputSchema).toEqual([{ name: 'x', type: 'number' }, { name: 'sex', type: 'integer' }]);
    expect(v.body.metrics.accuracy).toBeCloseTo(record.result.afterExpected.accuracy, 12);
    expect(v.body.metrics.accuracyCost).toBeCloseTo(record.result.accuracyCost, 12);
    expect(v.body.metrics.demographicParityDifference).toBeLessThanOrEqual(0.01);
    expect(v.body.notes).toContain(record.id);

    // The stored artifact is the documented format around the recorded optimiser.
    const wrapper = JSON.parse(await streamText(await server.runtime.blobs.open(v.body.artifact.sha256))) as ThresholdWrapper;
    expect(wrapper).toEqual({ format: 'raia-threshold-wrapper/v1', wraps: { modelId: id, version: 1 }, attribute: { name: 'sex', labels: ['A', 'B'] }, artifact, seed: expect.any(Number) });

    // The history names the mitigation on the version-added event.
    const history = await call('GET', `/api/v1/models/${id}/history`, scientist);
    const added = history.body.events.find((e: { type: string; data: { version: number } }) => e.type === 'model.version-added' && e.data.version === 2);
    expect(added.data.notes).toContain(`mitigation event ${record.id}`);
    expect(added.actor.id).toBe(history.body.events[0].actor.id);

    // Scoring with the new version: the original probabilities, the wrapper's decisions.
    const instances: { x: number; sex: number }[] = [];
    for (let k = 0; k <= 24; k++) for (const sex of [0, 1]) instances.push({ x: -3 + k * 0.25, sex });
    // Group B between its two thresholds, where its rule draws: grant with probability 0.9. The
    // wrapper's seed comes from the request hash, which holds the model's (random) id, so the draws
    // differ from run to run; with 59 rows all were grants in 0.2 % of runs (a flaky test). With 299
    // rows that happens with probability 0.9^299 < 1e-13.
    const [low, high] = [artifact.groups[1]!.thresholdLow, artifact.groups[1]!.thresholdHigh];
    const logit = (p: number) => Math.log(p / (1 - p));
    for (let k = 1; k < 300; k++) instances.push({ x: logit(low) + (k / 300) * (logit(high) - logit(low)), sex: 1 });
    const predict = async () => {
      const p = await call('POST', `/api/v1/models/${id}/predict`, scientist, { version: 2, instances });
      expect(p.status, p.text).toBe(200);
      return p.body.predictions as { prediction: string; probabilities: Record<string, number> }[];
    };
    const predictions = await predict();
    const expected = instances.map((r, i) => {
      const score = predictions[i]!.probabilities.grant!;
      expect(score).toBeCloseTo(sigmoid(r.x), 12);
      const decision = applyThresholds(artifact, Float64Array.of(score), Int32Array.of(r.sex), createRandom(rowSeed([r.x, r.sex], wrapper.seed)))[0];
      return decision === 1 ? 'grant' : 'deny';
    });
    expect(predictions.map((p) => p.prediction)).toEqual(expected);
    // B randomises: between its thresholds some rows are granted and some are not, each always the same way.
    expect(artifact.groups[1]!.probabilityLow).toBeGreaterThan(0);
    const drawn = instances.flatMap((r, i) => (r.sex === 1 && predictions[i]!.probabilities.grant! >= low && predictions[i]!.probabilities.grant! < high ? [predictions[i]!.prediction] : []));
    expect(drawn.length).toBeGreaterThan(250);
    expect(new Set(drawn)).toEqual(new Set(['grant', 'deny']));
    // Deterministic groups (A) by hand: grant exactly when the score reaches the group's threshold.
    expect(artifact.groups[0]).toMatchObject({ probabilityLow: 0, probabilityConstant: 0 });
    for (const rule of artifact.groups.filter((g) => g.probabilityLow === 0 && g.probabilityConstant === 0)) {
      instances.forEach((r, i) => {
        if (r.sex === rule.code) expect(predictions[i]!.prediction).toBe(predictions[i]!.probabilities.grant! >= rule.thresholdHigh ? 'grant' : 'deny');
      });
    }
    // The thresholds differ by group, so some decisions differ from the original model's.
    const original = await call('POST', `/api/v1/models/${id}/predict`, scientist, { version: 1, instances: instances.map((r) => ({ x: r.x })) });
    expect(original.body.predictions.map((p: { prediction: string }) => p.prediction)).not.toEqual(expected);
    // Same input, same decision.
    expect((await predict()).map((p) => p.prediction)).toEqual(expected);

    // The identical request again: the same mitigation and the same version, nothing added.
    const again = await call('POST', `/api/v1/bias/mitigation/${id}`, scientist, mitigation);
    expect(again.status, again.text).toBe(200);
    expect(again.body.record.reused).toBe(true);
    expect(again.body.registration).toMatchObject({ registered: true, version: 2, mitigationEventId: record.id });
    const versions = await call('GET', `/api/v1/models/${id}/versions`, scientist);
    expect(versions.body.versions).toHaveLength(2);
  });

  it('refuses registration (403) without models:write or ownership, before computing or recording anything', async () => {
    const id = await registerModel();
    const before = await head();
    const byOfficer = await call('POST', `/api/v1/bias/mitigation/${id}`, officer, mitigation);
    expect(byOfficer.status, byOfficer.text).toBe(403);
    expect(byOfficer.body.detail).toContain('models:write');
    const byOther = await call('POST', `/api/v1/bias/mitigation/${id}`, otherScientist, mitigation);
    expect(byOther.status, byOther.text).toBe(403);
    expect(byOther.body.detail).toContain('owner');
    expect(await head()).toBe(before);
    // Without register the risk officer may still compute the mitigation.
    const computed = await call('POST', `/api/v1/bias/mitigation/${id}`, officer, { ...mitigation, register: false });
    expect(computed.status, computed.text).toBe(200);
    expect(computed.body.registration).toBeNull();
    expect((await call('GET', `/api/v1/models/${id}/versions`, scientist)).body.versions).toHaveLength(1);
  });
});
