import { describe, expect, it } from 'vitest';
import { checkJsonSchema, jsonSchemaError, parseJsonAnswer } from '../../../src/analytics/evaluation/json-validity.js';
import { isRefusal, refusalPhrase, refusalRate } from '../../../src/analytics/evaluation/refusal-detection.js';
import { callCost, summarizeUsage } from '../../../src/analytics/evaluation/usage-aggregation.js';

describe('refusal detection', () => {
  it('finds a listed phrase near the start, whatever the apostrophe or case', () => {
    expect(refusalPhrase('I’M SORRY, but I can’t help with that.')).toBe("i'm sorry");
    expect(isRefusal('As an AI language model I cannot give legal advice.')).toBe(true);
    expect(isRefusal('Paris is the capital of France.')).toBe(false);
  });

  it('ignores a phrase past the first 300 characters', () => {
    const answer = `${'The capital of France is Paris. '.repeat(10)}I cannot say more.`;
    expect(answer.indexOf('I cannot')).toBeGreaterThan(300);
    expect(isRefusal(answer)).toBe(false);
  });

  it('rate is refusals / answers', () => {
    expect(refusalRate(['I will not do that', 'Sure: 42', 'ok', "I can't"])).toBe(0.5);
    expect(refusalRate([])).toBeNull();
  });
});

describe('JSON and JSON-schema validity', () => {
  it('accepts only a whole JSON text', () => {
    expect(parseJsonAnswer(' {"a": 1} ').valid).toBe(true);
    expect(parseJsonAnswer('```json\n{"a": 1}\n```').valid).toBe(false);
    expect(parseJsonAnswer('Here: {"a": 1}').valid).toBe(false);
    expect(parseJsonAnswer('Sure, here it is')).toEqual({ valid: false, reason: 'not JSON: the answer does not start with a JSON value' });
    expect(parseJsonAnswer('\n -1.5e3').valid).toBe(true);
    expect(parseJsonAnswer('nul')).toMatchObject({ valid: false });
    // Prose starting with t/f/n is refused before JSON.parse; the literals themselves are JSON.
    expect(parseJsonAnswer('the answer is yes')).toEqual({ valid: false, reason: 'not JSON: the answer does not start with a JSON value' });
    expect(parseJsonAnswer(' true').valid).toBe(true);
    expect(parseJsonAnswer('false').valid).toBe(true);
    expect(parseJsonAnswer('null ').valid).toBe(true);
    expect(parseJsonAnswer('trueish').valid).toBe(false);
  });

  it('validates against a schema and names the failing path', () => {
    const schema = { type: 'object', properties: { age: { type: 'integer', minimum: 0 } }, required: ['age'] };
    expect(checkJsonSchema('{"age": 3}', schema).valid).toBe(true);
    const bad = checkJsonSchema('{"age": -1}', schema);
    expect(bad).toMatchObject({ valid: false });
    expect('reason' in bad && bad.reason).toContain('/age');
    expect(checkJsonSchema('{"age":', schema)).toMatchObject({ valid: false });
  });

  it('equal schemas given as distinct objects validate alike', () => {
    const make = (): object => ({ type: 'object', required: ['id'] });
    expect(checkJsonSchema('{"id": 1}', make()).valid).toBe(true);
    expect(checkJsonSchema('{}', make()).valid).toBe(false);
  });

  it('reports an invalid schema instead of throwing', () => {
    expect(jsonSchemaError({ type: 'no-such-type' })).toMatch(/invalid JSON Schema/);
    expect(checkJsonSchema('{}', { type: 'no-such-type' })).toHaveProperty('schemaError');
  });
});

describe('usage and cost', () => {
  it('prices are per million tokens', () => {
    // 1,200 input at 3/M + 300 output at 15/M = 0.0036 + 0.0045 = 0.0081
    expect(callCost(1200, 300, { inputPerMillion: 3, outputPerMillion: 15 })).toBeCloseTo(0.0081, 12);
  });

  it('summary quantiles interpolate linearly between order statistics', () => {
    // sorted [10, 20, 30, 40, 50]: p50 = 30; p95: h = 4·0.95 = 3.8 → 40 + 0.8·10 = 48; p99: 40 + 0.96·10 = 49.6
    const s = summarizeUsage([50, 10, 40, 20, 30]);
    expect(s).toMatchObject({ count: 5, sum: 150, mean: 30, p50: 30, max: 50 });
    expect(s.p95).toBeCloseTo(48, 12);
    expect(s.p99).toBeCloseTo(49.6, 12);
    expect(summarizeUsage([]).mean).toBeNull();
  });
});
