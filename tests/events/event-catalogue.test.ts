import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EventCatalogue, UnknownEventType, defineEvent } from '../../src/events/event-catalogue.js';
import { InvalidEvent } from '../../src/events/event-store.js';
import { raiaEventCatalogue } from '../../src/events/catalogue/raia-event-catalogue.js';

// A type whose v1 stored a single "name" and whose v2 splits it; v3 adds a defaulted tier.
const v1 = defineEvent({ type: 'model.registered', schemaVersion: 1, schema: z.object({ name: z.string() }), description: 'v1' });
const v2 = defineEvent({ type: 'model.registered', schemaVersion: 2, schema: z.object({ name: z.string(), family: z.string() }), description: 'v2' });
const v3 = defineEvent({
  type: 'model.registered',
  schemaVersion: 3,
  schema: z.strictObject({ name: z.string(), family: z.string(), riskTier: z.enum(['minimal', 'limited', 'high', 'unacceptable']) }),
  description: 'v3',
});

const catalogue = () =>
  new EventCatalogue()
    .register(v1, v2, v3)
    .registerUpcaster({ type: 'model.registered', fromVersion: 1, upcast: (d) => ({ name: String(d.name).split('/')[1] ?? String(d.name), family: String(d.name).split('/')[0]! }) })
    .registerUpcaster({ type: 'model.registered', fromVersion: 2, upcast: (d) => ({ ...d, riskTier: 'minimal' }) });

describe('event catalogue', () => {
  it('validates new data against the newest version and names the bad field', () => {
    const c = catalogue();
    expect(c.validate('model.registered', { name: 'credit', family: 'xgb', riskTier: 'high' })).toEqual({ schemaVersion: 3, data: { name: 'credit', family: 'xgb', riskTier: 'high' } });
    expect(() => c.validate('model.registered', { name: 'credit', family: 'xgb', riskTier: 'extreme' })).toThrow(InvalidEvent);
    expect(() => c.validate('model.registered', { name: 'credit', family: 'xgb', riskTier: 'high', extra: 1 })).toThrow(/model.registered v3/);
    expect(() => c.validate('model.unheard-of', {})).toThrow(UnknownEventType);
  });

  it('upcasts stored v1 and v2 events step by step to v3, and leaves current ones alone', () => {
    const c = catalogue();
    expect(c.upcast({ type: 'model.registered', schemaVersion: 1, data: { name: 'xgb/credit' } })).toEqual({
      type: 'model.registered',
      schemaVersion: 3,
      data: { name: 'credit', family: 'xgb', riskTier: 'minimal' },
    });
    expect(c.upcast({ type: 'model.registered', schemaVersion: 2, data: { name: 'a', family: 'b' } }).data).toEqual({ name: 'a', family: 'b', riskTier: 'minimal' });
    const current = { type: 'model.registered', schemaVersion: 3, data: { name: 'a', family: 'b', riskTier: 'high' } };
    expect(c.upcast(current)).toBe(current);
    expect(c.upcast({ type: 'test.unregistered', schemaVersion: 1, data: {} }).schemaVersion).toBe(1);
  });

  it('refuses a missing upcaster and a version registered twice', () => {
    const gap = new EventCatalogue().register(v1, v3);
    expect(() => gap.upcast({ type: 'model.registered', schemaVersion: 1, data: { name: 'x' } })).toThrow(UnknownEventType);
    expect(() => new EventCatalogue().register(v1, v1)).toThrow(/twice/);
  });

  it('RAIA catalogue holds the ledger and privacy events', () => {
    const types = raiaEventCatalogue().types().map((d) => `${d.type}@${d.schemaVersion}`);
    expect(types).toEqual(expect.arrayContaining(['ledger.sealed@1', 'privacy.subject-erased@1']));
  });

  it('writes user.logged-in v2 with the user agent sealed, and reads a v1 clear-text user agent as unknown', () => {
    const c = raiaEventCatalogue();
    const sealed = { $pii: 'v1', subject: 'user-1', iv: 'aXY', ct: 'Y3Q', tag: 'dGFn' };
    const base = { userId: '0193b0a4-6f2e-7c3a-9a51-1d2e3f405162', sessionId: '0193b0a4-6f2e-7c3a-9a51-1d2e3f405163', method: 'password', ip: null };
    expect(c.validate('user.logged-in', { ...base, userAgent: sealed }).schemaVersion).toBe(2);
    expect(() => c.validate('user.logged-in', { ...base, userAgent: 'Mozilla/5.0' })).toThrow(/userAgent/);
    expect(c.upcast({ type: 'user.logged-in', schemaVersion: 1, data: { ...base, userAgent: 'Mozilla/5.0' } }).data).toEqual({ ...base, userAgent: null });
  });
  it('checks an explanation result against its method’s shape, naming the field', () => {
    const c = raiaEventCatalogue();
    const hash = 'a'.repeat(64);
    const base = { requestKey: hash, jobId: null, modelId: '0193b0a4-6f2e-7c3a-9a51-1d2e3f405162', modelVersion: 1, params: {}, rowsHash: hash, backgroundHash: null, datasetHash: null, codeVersion: 'raia-explain/1', outputSpace: 'output', featureNames: ['a', 'b'], failedChecks: [], elapsedMs: 1 };
    const shapley = { baseValue: 0.5, values: [[0.1, null]], outputs: [0.6], additivityGap: 0 };
    expect(c.validate('explanation.computed', { ...base, method: 'kernel', result: shapley }).schemaVersion).toBe(1);
    expect(() => c.validate('explanation.computed', { ...base, method: 'kernel', result: { baseValue: 0.5, outputs: [0.6], additivityGap: 0 } })).toThrow(/result\.values: .*\(a kernel result\)/);
    // A LIME result recorded as Shapley values, and a Shapley result recorded as LIME, are both refused.
    const lime = { explanations: [{ intercept: 0.2, weights: [0.1, -0.3], localPrediction: 0.4, modelPrediction: 0.45, fidelityR2: null, conditions: ['a <= 1', 'b > 2'] }] };
    expect(c.validate('explanation.computed', { ...base, method: 'lime', result: lime }).schemaVersion).toBe(1);
    expect(() => c.validate('explanation.computed', { ...base, method: 'exact', result: lime })).toThrow(/result\./);
    expect(() => c.validate('explanation.computed', { ...base, method: 'lime', result: shapley })).toThrow(/result\.explanations/);
    const twoWay = { pdMethod: 'brute', estimand: 'mean', features: ['a', 'b'], percentiles: [0.05, 0.95], gridResolution: 2, gridSource: ['computed', 'given'], centered: false, rows: 3, grids: [[0, 1], [2, 3]], average: [[1, 2], [3, 4]] };
    expect(c.validate('explanation.computed', { ...base, method: 'partial-dependence', result: twoWay }).schemaVersion).toBe(1);
    expect(() => c.validate('explanation.computed', { ...base, method: 'partial-dependence', result: { ...twoWay, gridSource: ['guessed', 'given'] } })).toThrow(/result/);
    // What-if analyses have no result schema: their results are free-form JSON.
    expect(c.validate('explanation.computed', { ...base, method: 'what-if', result: { anything: [1, 'two'] } }).schemaVersion).toBe(1);
  });
});
