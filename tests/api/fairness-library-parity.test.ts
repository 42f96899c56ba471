import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

// Scores and labels of tests/analytics/fairness/metric-frame.test.ts, decided at 0.5 here:
// group A: y 1 1 0 0, scores .9 .4 .6 .2 -> ŷ 1 0 1 0 (tp 1, fn 1, fp 1, tn 1)
// group B: y 1 0 0 0, scores .8 .8 .3 .1 -> ŷ 1 1 0 0 (tp 1, fp 1, tn 2)
const yTrue = [1, 1, 0, 0, 1, 0, 0, 0];
const yScore = [0.9, 0.4, 0.6, 0.2, 0.8, 0.8, 0.3, 0.1];
const group = ['A', 'A', 'A', 'A', 'B', 'B', 'B', 'B'];

describe.each(['postgres', 'pglite'] as const)('fairness library parity through detect-bias on %s', (dialect) => {
  let server: TestServer;
  let base: string;
  let auth: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    auth = { authorization: `Bearer ${await server.tokenFor('data_scientist')}`, 'content-type': 'application/json' };
  });
  afterAll(async () => {
    server.app.server.closeAllConnections();
    await server.close();
  });
  const detect = async (body: unknown) => {
    const res = await fetch(`${base}/api/v1/fairness/detect-bias`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
    return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  it('decides from scores at 0.5 when no predictions are sent, records the threshold, and answers fairlearn and AIF360 figures', async () => {
    const res = await detect({ yTrue, yScore, protectedAttributes: { g: group }, options: { minGroupSize: 1, bootstrap: false, privilegedGroups: { g: 'A' } } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.options.decisionThreshold).toBe(0.5);
    expect(res.body.options.privilegedGroups).toEqual({ g: 'A' });
    const frame = res.body.report.groupings[0].libraryMetrics;
    expect(frame.byGroup.map((r: { tn: number; fp: number; fn: number; tp: number }) => [r.tn, r.fp, r.fn, r.tp])).toEqual([[1, 1, 1, 1], [2, 1, 0, 1]]);
    expect(frame.overall).toMatchObject({ n: 8, tp: 2, fn: 1, fp: 2, tn: 3 });
    expect(frame.byGroup[0].rocAuc.value).toBeCloseTo(0.75, 12);
    expect(frame.byGroup[1].rocAuc.value).toBeCloseTo(2.5 / 3, 12);
    // TPR A 0.5, B 1; FPR A 0.5, B 1/3
    expect(frame.fairlearn.betweenGroups.equalizedOddsDifference.worstCase.value).toBeCloseTo(0.5, 12);
    expect(frame.fairlearn.betweenGroups.equalizedOddsDifference.mean.value).toBeCloseTo(1 / 3, 12);
    expect(frame.aif360.versus[0]).toMatchObject({ unprivileged: 'B' });
    expect(frame.aif360.versus[0].averageOddsDifference.value).toBeCloseTo(0.5 * (1 / 3 - 0.5 + (1 - 0.5)), 12);
  });

  it('decides at the given threshold', async () => {
    // at 0.85 only the 0.9 row is positive: A selects 1 of 4, B none
    const res = await detect({ yTrue, yScore, protectedAttributes: { g: group }, options: { minGroupSize: 1, bootstrap: false, decisionThreshold: 0.85 } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.report.groupings[0].libraryMetrics.byGroup.map((r: { selectionRate: { value: number } }) => r.selectionRate.value)).toEqual([0.25, 0]);
  });

  it('refuses missing decisions without scores, and an unknown privileged group, naming the field', async () => {
    const none = await detect({ yTrue, protectedAttributes: { g: group } });
    expect(none.status).toBe(400);
    expect(none.type).toMatch(/problem\+json/);
    expect(none.body.errors[0].field).toBe('body.yPred');
    const unknownGrouping = await detect({ yTrue, yScore, protectedAttributes: { g: group }, options: { privilegedGroups: { sex: 'F' } } });
    expect(unknownGrouping.status).toBe(400);
    expect(unknownGrouping.body.errors[0].field).toBe('body.options.privilegedGroups.sex');
    const unknownGroup = await detect({ yTrue, yScore, protectedAttributes: { g: group }, options: { privilegedGroups: { g: 'Z' } } });
    expect(unknownGroup.status).toBe(400);
    expect(unknownGroup.body.errors[0].message).toMatch(/privileged group Z/);
  });
});
