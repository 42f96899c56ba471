import { describe, expect, it } from 'vitest';
import { createRuleValidator, InvalidRule, validateRules, type QualityRule } from '../../../src/analytics/quality/quality-rules.js';
import type { Cell } from '../../../src/analytics/quality/column-profiler.js';

/** The failing row indexes of one rule over one column of values. */
const failing = (rule: QualityRule, values: Cell[]) => validateRules([rule], ['x'], values.map((v) => [v]))[0]!.failingRows;

describe('quality rule checks, case by case', () => {
  it('range: inclusive bounds by default, exclusive on request, each side on its own', () => {
    const values: Cell[] = [0, 1, 5, 10, 11, '10', '10.5', 'ten', null, '', NaN];
    expect(failing({ type: 'range', column: 'x', min: 1, max: 10 }, values)).toEqual([0, 4, 6, 7]);
    expect(failing({ type: 'range', column: 'x', min: 1, max: 10, minInclusive: false }, values)).toEqual([0, 1, 4, 6, 7]);
    expect(failing({ type: 'range', column: 'x', min: 1, max: 10, maxInclusive: false }, values)).toEqual([0, 3, 4, 5, 6, 7]);
    expect(failing({ type: 'range', column: 'x', min: 5 }, values)).toEqual([0, 1, 7]);
    expect(failing({ type: 'range', column: 'x', max: 5 }, values)).toEqual([3, 4, 5, 6, 7]);
    expect(failing({ type: 'range', column: 'x' }, values)).toEqual([7]);
  });

  it('not_null: null, undefined, NaN and the empty string are missing; 0, false and blanks are not', () => {
    expect(failing({ type: 'not_null', column: 'x' }, [null, undefined, NaN, '', 0, false, ' ', 'a'])).toEqual([0, 1, 2, 3]);
  });

  it('regex: tests the whole text of each non-missing value, with flags, and ignores g and y', () => {
    expect(failing({ type: 'regex', column: 'x', pattern: '^[a-z]+$' }, ['abc', 'ABC', 'a1', 12, null, ''])).toEqual([1, 2, 3]);
    expect(failing({ type: 'regex', column: 'x', pattern: '^[a-z]+$', flags: 'i' }, ['abc', 'ABC', 'a1'])).toEqual([2]);
    // With g or y the same RegExp would carry lastIndex from one row to the next and fail every other match.
    expect(failing({ type: 'regex', column: 'x', pattern: 'a', flags: 'gy' }, ['a', 'a', 'a', 'a'])).toEqual([]);
    expect(failing({ type: 'regex', column: 'x', pattern: '^\\d+$' }, [42, 4.2])).toEqual([1]);
  });

  it('allowed_values: compares as text, so 1 matches "1" and true matches "true"', () => {
    const rule: QualityRule = { type: 'allowed_values', column: 'x', values: ['a', 1, true] };
    expect(failing(rule, ['a', 'b', 1, '1', 2, true, 'true', false, null, ''])).toEqual([1, 4, 7]);
  });

  it('unique: fails the second and later occurrences, skips missing cells, and tells 1 from "1"', () => {
    expect(failing({ type: 'unique', column: 'x' }, [1, 2, 1, 1, null, null, '1', '', ''])).toEqual([2, 3]);
  });

  it('expression: the whitelisted functions, missing cells as null, and a raise counted as an error', () => {
    const columns = ['name', 'income', 'debt'];
    const rows: Cell[][] = [
      ['Ann', 100, 10],
      ['bob', '50', null],
      ['', 20, 30],
      ['EVE', NaN, 5],
    ];
    const run = (expression: string) => validateRules([{ type: 'expression', expression }], columns, rows)[0]!;
    expect(run('len(name) >= 3').failingRows).toEqual([2]);
    expect(run('lower(name) == "eve" or upper(name) == "ANN"').failingRows).toEqual([1, 2]);
    expect(run('isnull(debt)').failingRows).toEqual([0, 2, 3]);
    expect(run('isnull(name) or isnull(income)').failingRows).toEqual([0, 1]);
    expect(run('num(income) > 30').failingRows).toEqual([2, 3]);
    // filtrex's == is strict: row 1's income is the text '50'.
    expect(run('coalesce(debt, income) == 30').failingRows).toEqual([0, 1, 3]);
    expect(run('coalesce(debt, income) == "50"').failingRows).toEqual([0, 2, 3]);
    expect(run('coalesce(name, "none") == "none"').failingRows).toEqual([0, 1, 3]);
    expect(run('len(income) == 0').failingRows).toEqual([1]);
    const raised = run('nosuchcolumn > 1');
    expect(raised).toMatchObject({ checked: 4, passed: 0, failed: 4, errors: 4 });
  });

  it('names rules by index, type and column unless given a name', () => {
    const results = validateRules(
      [
        { type: 'not_null', column: 'x' },
        { type: 'unique', column: 'x', name: 'x is a key' },
        { type: 'expression', expression: 'x > 0' },
      ],
      ['x'],
      [[1]],
    );
    expect(results.map((r) => [r.rule, r.type, r.checked, r.passed, r.failed])).toEqual([
      ['0:not_null:x', 'not_null', 1, 1, 0],
      ['x is a key', 'unique', 1, 1, 0],
      ['2:expression', 'expression', 1, 1, 0],
    ]);
  });

  it('keeps the first 100 failing rows by default, and marks truncation only past the cap', () => {
    const v = createRuleValidator([{ type: 'not_null', column: 'x' }], ['x']);
    for (let i = 0; i < 150; i++) v.pushRow([null]);
    const [r] = v.result();
    expect(r!.failingRows).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(r).toMatchObject({ checked: 150, failed: 150, failingRowsTruncated: true, errors: 0 });
    const exact = createRuleValidator([{ type: 'not_null', column: 'x' }], ['x'], { maxFailingRows: 2 });
    exact.pushRow([null]);
    exact.pushRow([1]);
    exact.pushRow([null]);
    expect(exact.result()[0]).toMatchObject({ failingRows: [0, 2], failingRowsTruncated: false, passed: 1 });
    // result() is a copy: pushing later does not change an earlier answer.
    const before = exact.result();
    exact.pushRow([null]);
    expect(before[0]!.failingRows).toEqual([0, 2]);
    expect(exact.result()[0]!.failingRowsTruncated).toBe(true);
  });

  it('refuses an unknown column, a bad pattern and a bad expression with the rule named', () => {
    const refusal = (rule: QualityRule) => {
      try {
        validateRules([rule], ['x'], []);
      } catch (error) {
        return error as InvalidRule;
      }
      throw new Error('expected a refusal');
    };
    const unknown = refusal({ type: 'range', column: 'y', min: 0 });
    expect(unknown).toBeInstanceOf(InvalidRule);
    expect(unknown).toMatchObject({ name: 'InvalidRule', rule: '0:range:y', message: 'invalid rule 0:range:y: unknown column y' });
    const pattern = refusal({ type: 'regex', column: 'x', pattern: '(', name: 'paren' });
    expect(pattern.rule).toBe('paren');
    expect(pattern.message).toMatch(/^invalid rule paren: Invalid regular expression/);
    expect(refusal({ type: 'regex', column: 'x', pattern: 'a', flags: 'q' }).message).toMatch(/^invalid rule 0:regex:x: Invalid flags/);
    expect(refusal({ type: 'expression', expression: 'x >' }).message).toMatch(/^invalid rule 0:expression: /);
    expect(refusal({ type: 'allowed_values', column: 'z', values: [] }).message).toBe('invalid rule 0:allowed_values:z: unknown column z');
    expect(refusal({ type: 'unique', column: 'z' }).message).toBe('invalid rule 0:unique:z: unknown column z');
    expect(refusal({ type: 'not_null', column: 'z' }).message).toBe('invalid rule 0:not_null:z: unknown column z');
    expect(refusal({ type: 'mystery', column: 'x' } as unknown as QualityRule).message).toBe('invalid rule 0:mystery:x: unknown type mystery');
  });
});
