import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedEvidence } from '../../../src/processors/compliance/evidence-cache.js';
import { startTestServer, type TestServer } from '../../support/test-runtime.js';

describe('evidence cache', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('pglite');
  });
  afterAll(async () => {
    await server.close();
  });

  const actor = { kind: 'system' as const, id: 'test' };
  const append = (modelId: string, n: number) =>
    server.runtime.store.append(`fairness-${modelId}`, Array.from({ length: n }, () => ({ id: randomUUID(), type: 'fairness.assessed', schemaVersion: 1, actor, data: { modelId, modelVersion: 1, failedChecks: ['x'], report: { big: 'y'.repeat(1000) } } })));

  it('reads once, extends with what was appended since, answers earlier positions with a prefix, keeps only the keys asked for', async () => {
    const modelId = randomUUID();
    const first = await append(modelId, 3);
    const keys = ['modelId', 'modelVersion', 'failedChecks'];
    const a = await cachedEvidence(server.runtime, ['fairness.assessed'], keys, first.position);
    expect(a.map((e) => e.position)).toEqual(first.events.map((e) => e.position));
    expect(a[0]!.data).toEqual({ modelId, modelVersion: 1, failedChecks: ['x'] });

    const second = await append(modelId, 2);
    const b = await cachedEvidence(server.runtime, ['fairness.assessed'], keys, second.position);
    expect(b.map((e) => e.id)).toEqual([...first.events, ...second.events].map((e) => e.id));
    const earlier = await cachedEvidence(server.runtime, ['fairness.assessed'], keys, first.position);
    expect(earlier.map((e) => e.id)).toEqual(first.events.map((e) => e.id));
    // Other keys (a new pack's condition) start again from the ledger.
    const c = await cachedEvidence(server.runtime, ['fairness.assessed'], [...keys, 'report'], second.position);
    expect(c).toHaveLength(5);
    expect(c[0]!.data.report).toEqual({ big: 'y'.repeat(1000) });
  });
});
