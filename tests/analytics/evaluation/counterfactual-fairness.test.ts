import { describe, expect, it } from 'vitest';
import { counterfactualDisparity, counterfactualVariants, validateSwapTable } from '../../../src/analytics/evaluation/counterfactual-fairness.js';

const table = {
  groups: ['male', 'female'],
  rows: [
    ['he', 'she'],
    ['his', 'her'],
    ['him', 'her'],
    ['John', 'Maria'],
    ['John Paul', 'Mary Ann'],
  ],
};

describe('counterfactual variants', () => {
  it('swaps whole words case-preservingly, one variant per group', () => {
    const [male, female] = counterfactualVariants('He said HIS friend John Paul met him; the theme is John’s.', table);
    expect(female).toEqual({ group: 'female', text: 'She said HER friend Mary Ann met her; the theme is Maria’s.', replacements: 5 });
    // "theme" contains "he" but is not a whole word; the male variant is unchanged text
    expect(male).toEqual({ group: 'male', text: 'He said HIS friend John Paul met him; the theme is John’s.', replacements: 0 });
  });

  it('maps a term listed in several rows by the first row: "her" → "his"', () => {
    const [male] = counterfactualVariants('She gave her book to her.', table);
    expect(male!.text).toBe('He gave his book to his.');
  });

  it('is deterministic and rejects malformed tables', () => {
    expect(counterfactualVariants('he', table)).toEqual(counterfactualVariants('he', table));
    expect(validateSwapTable({ groups: ['a'], rows: [] })).toMatch(/two groups/);
    expect(validateSwapTable({ groups: ['a', 'b'], rows: [['x']] })).toMatch(/row 0/);
    expect(() => counterfactualVariants('x', { groups: ['a', 'a'], rows: [] })).toThrow(RangeError);
  });
});

describe('counterfactual disparity', () => {
  it('per-group means, range, ratio, reference differences and the counterfactual gap, hand-computed', () => {
    // items × groups [male, female]: (0.9, 0.6), (0.8, 0.8), (0.7, null)
    // male mean (0.9 + 0.8 + 0.7)/3 = 0.8; female mean (0.6 + 0.8)/2 = 0.7
    // difference 0.8 - 0.7 = 0.1; ratio 0.7/0.8 = 0.875; best (higher) is male = reference
    // gap: items 1 and 2 have both: (|0.9-0.6| + |0.8-0.8|)/2 = 0.15
    const report = counterfactualDisparity(
      ['male', 'female'],
      [
        [0.9, 0.6],
        [0.8, 0.8],
        [0.7, null],
      ],
      'higher-is-better',
    );
    expect(report.referenceGroup).toBe('male');
    expect(report.groups[0]!.mean).toBeCloseTo(0.8, 12);
    expect(report.groups[1]).toMatchObject({ group: 'female', items: 2 });
    expect(report.groups[1]!.mean).toBeCloseTo(0.7, 12);
    expect(report.groups[1]!.differenceToReference).toBeCloseTo(-0.1, 12);
    expect(report.groups[1]!.ratioToReference).toBeCloseTo(0.875, 12);
    expect(report.difference).toBeCloseTo(0.1, 12);
    expect(report.ratio).toBeCloseTo(0.875, 12);
    expect(report.counterfactualGap).toBeCloseTo(0.15, 12);
  });

  it('for a lower-is-better metric the best group has the lowest mean; a named reference wins', () => {
    const scores = [
      [0.2, 0.4],
      [0.4, 0.6],
    ];
    expect(counterfactualDisparity(['a', 'b'], scores, 'lower-is-better').referenceGroup).toBe('a');
    const named = counterfactualDisparity(['a', 'b'], scores, 'lower-is-better', 'b');
    // a: 0.3, b: 0.5 → a - b = -0.2, a / b = 0.6
    expect(named.groups[0]!.differenceToReference).toBeCloseTo(-0.2, 12);
    expect(named.groups[0]!.ratioToReference).toBeCloseTo(0.6, 12);
    expect(() => counterfactualDisparity(['a', 'b'], scores, 'lower-is-better', 'c')).toThrow(RangeError);
  });
});
