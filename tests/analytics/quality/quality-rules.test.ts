import { describe, expect, it } from 'vitest';
import { createRuleValidator, InvalidRule, validateRules } from '../../../src/analytics/quality/quality-rules.js';

const columns = ['id', 'age', 'email', 'status', 'income', 'debt'];
const rows = [
  [1, 34, 'a@x.org', 'active', 5000, 1000],
  [2, null, 'bad-email', 'active', 3000, 4000],
  [3, 150, 'c@x.org', 'gone', 4000, 100],
  [3, 0, '', 'inactive', null, 10],
  [5, '17', 'e@x.org', 'active', 2000, 2500],
];

describe('quality rules', () => {
  it('reports passed and failed counts with failing row indexes', () => {
    const r = validateRules(
      [
        { type: 'not_null', column: 'age' },
        { type: 'range', column: 'age', min: 0, max: 120, minInclusive: false },
        { type: 'regex', column: 'email', pattern: '^[^@]+@[^@]+$' },
        { type: 'allowed_values', column: 'status', values: ['active', 'inactive'] },
        { type: 'unique', column: 'id' },
        { type: 'expression', name: 'debt below income', expression: 'debt < income' },
        { type: 'expression', name: 'adult', expression: 'isnull(age) or num(age) >= 18' },
      ],
      columns,
      rows,
    );
    const summary = Object.fromEntries(r.map((x) => [x.rule, [x.passed, x.failed, x.failingRows]]));
    expect(summary['0:not_null:age']).toEqual([4, 1, [1]]);
    expect(summary['1:range:age']).toEqual([3, 2, [2, 3]]);
    expect(summary['2:regex:email']).toEqual([4, 1, [1]]);
    expect(summary['3:allowed_values:status']).toEqual([4, 1, [2]]);
    expect(summary['4:unique:id']).toEqual([4, 1, [3]]);
    // row 1: 4000 ≥ 3000; row 3: income null, the comparison with null is false; row 4: 2500 ≥ 2000
    expect(summary['debt below income']).toEqual([2, 3, [1, 3, 4]]);
    expect(summary['adult']).toEqual([3, 2, [3, 4]]);
  });

  it('caps failing indexes but keeps the total', () => {
    const v = createRuleValidator([{ type: 'range', column: 'x', max: 0 }], ['x'], { maxFailingRows: 3 });
    for (let i = 0; i < 10; i++) v.pushRow([i]);
    expect(v.result()[0]).toMatchObject({ failed: 9, failingRows: [1, 2, 3], failingRowsTruncated: true });
  });

  it('counts an expression that raises as a failure with an error', () => {
    const [r] = validateRules([{ type: 'expression', expression: 'missing_column > 1' }], ['x'], [[1], [2]]);
    expect(r).toMatchObject({ failed: 2, errors: 2 });
  });

  it('refuses rules on unknown columns and bad expressions', () => {
    expect(() => validateRules([{ type: 'not_null', column: 'nope' }], ['x'], [])).toThrow(InvalidRule);
    expect(() => validateRules([{ type: 'expression', expression: 'x >' }], ['x'], [])).toThrow(InvalidRule);
  });
});
