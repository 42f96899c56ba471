import type { FastifyRouteSchemaDef } from 'fastify/types/schema.js';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/analytics/seeded-random.js';
import { predictBody, predictBodyValidatorCompiler } from '../../src/api/routes/model-predictions.routes.js';

type Validate = (data: unknown) => { value?: unknown; error?: unknown };
const route = (httpPart: string) => ({ schema: predictBody, method: 'POST', url: '/api/v1/models/:id/predict', httpPart }) as unknown as FastifyRouteSchemaDef<unknown>;
const fast = predictBodyValidatorCompiler(route('body')) as Validate;
const bySchema = validatorCompiler(route('body') as never) as Validate;

/** A body as a client might send it: mostly well formed, with one of many possible flaws now and then. */
function generatedBody(random: () => number): unknown {
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!;
  const value = () => pick<unknown>([random(), -3, 0, true, false, null, 1e308, '1', [1], { v: 1 }, undefined]);
  const instance = () => {
    const o: Record<string, unknown> = {};
    const keys = 1 + Math.floor(random() * 4);
    for (let k = 0; k < keys; k++) o[pick(['a', 'b', 'c', 'x'.repeat(200), 'y'.repeat(201), ''])] = random() < 0.9 ? pick([random(), 1, null, true]) : value();
    return o;
  };
  const body: Record<string, unknown> = {};
  const n = pick([0, 1, 2, 5]);
  if (random() < 0.5) {
    body.instances = random() < 0.93 ? Array.from({ length: n }, () => (random() < 0.97 ? instance() : pick<unknown>([null, [], 'x', 3, Object.create(null)]))) : pick<unknown>([null, {}, 'x', 3]);
    if (random() < 0.03) body.rows = [[1]];
    if (random() < 0.03) body.columns = ['a'];
  } else {
    // Rows under column names: rows now and then of another length than the columns, or not arrays.
    const width = pick([0, 1, 2, 3]);
    if (random() < 0.95) body.columns = random() < 0.95 ? Array.from({ length: width }, () => pick<unknown>(['a', 'b', 'a', 'x'.repeat(200), 'y'.repeat(201), '', 3, null])) : pick<unknown>(['a', {}, null]);
    if (random() < 0.95) {
      body.rows = random() < 0.95 ? Array.from({ length: n }, () => (random() < 0.95 ? Array.from({ length: random() < 0.9 ? width : width + 1 }, () => (random() < 0.9 ? pick([random(), 2, null, false]) : value())) : pick<unknown>([null, {}, 'x']))) : pick<unknown>([null, {}, 'x']);
    }
    if (random() < 0.03) body.instances = [{ a: 1 }];
  }
  if (random() < 0.4) body.version = pick<unknown>([1, 2, 0, -1, 1.5, 2 ** 53, '1', null, 7]);
  if (random() < 0.4) body.subjectId = pick<unknown>(['applicant-1', '  padded  ', '', '   ', 'z'.repeat(200), ` ${'z'.repeat(200)} `, 'z'.repeat(201), 3, null]);
  if (random() < 0.05) body.extra = 1;
  if (random() < 0.03) delete body.instances;
  return random() < 0.02 ? pick<unknown>([null, [], 'body', 4]) : body;
}

describe('the predict body validator', () => {
  it('agrees with the route schema on every generated body: accepted with the same value, or refused with the same error', () => {
    const random = mulberry32(20261207);
    const accepted = { instances: 0, rows: 0 };
    for (let i = 0; i < 20_000; i++) {
      const body = generatedBody(random);
      const expected = bySchema(body);
      const got = fast(body);
      expect(got, JSON.stringify(body)).toEqual(expected);
      if (expected.value !== undefined) accepted['rows' in (expected.value as object) ? 'rows' : 'instances']++;
    }
    // Both outcomes, in both forms, occur often enough for the comparison to mean something.
    expect(accepted.instances).toBeGreaterThan(500);
    expect(accepted.rows).toBeGreaterThan(500);
    expect(accepted.instances + accepted.rows).toBeLessThan(15_000);
  });

  it('takes a well-formed batch without zod and answers a trimmed subject', () => {
    const instances = Array.from({ length: 10_000 }, (_, i) => ({ f0: i, f1: i % 2 === 0, f2: null }));
    expect(fast({ instances, version: 3, subjectId: '  s-1 ' })).toEqual({ value: { instances, version: 3, subjectId: 's-1' } });
    expect(fast({ instances: [...instances, { f0: 1 }] }).error).toBeDefined();
  });

  it('leaves the other parts of the request to the schema compiler', () => {
    const params = predictBodyValidatorCompiler({ ...route('params'), schema: predictBody.shape.version } as never) as Validate;
    expect(params(5)).toEqual({ value: 5 });
    expect(params(-5).error).toBeDefined();
  });
});
