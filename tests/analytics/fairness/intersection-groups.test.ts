import { describe, expect, it } from 'vitest';
import { FairnessInputError, type ProtectedAttribute } from '../../../src/analytics/fairness/fairness-input.js';
import { buildGroupings, combineAttributes, compactCombine, groupLabel } from '../../../src/analytics/fairness/intersection-groups.js';

const attribute = (name: string, codes: number[], labels: string[]): ProtectedAttribute => ({ name, codes: Int32Array.from(codes), labels });

// Six rows: sex (F, M), region (N, S, E), age (young, old). Observed sex × region: F-N, F-E, M-S, M-N.
const sex = attribute('sex', [0, 1, 0, 1, 0, 1], ['F', 'M']);
const region = attribute('region', [0, 1, 2, 0, 0, 1], ['N', 'S', 'E']);
const age = attribute('age', [0, 0, 1, 1, 0, 0], ['young', 'old']);

function thrownReasons(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FairnessInputError);
    return (error as FairnessInputError).reasons;
  }
  throw new Error('expected a FairnessInputError');
}

describe('compactCombine', () => {
  it('numbers only the observed combinations, in lexicographic order of the codes', () => {
    const coding = compactCombine([sex.codes, region.codes], [2, 3], 6);
    // Observed (sex, region): (0,0) rows 0, 4; (1,1) rows 1, 5; (0,2) row 2; (1,0) row 3.
    // Lexicographic: (0,0)=0, (0,2)=1, (1,0)=2, (1,1)=3.
    expect(coding.count).toBe(4);
    expect(Array.from(coding.index)).toEqual([0, 3, 1, 2, 0, 3]);
    expect(coding.levels.map((l) => Array.from(l))).toEqual([
      [0, 0, 1, 1],
      [0, 2, 0, 1],
    ]);
  });

  it('codes one column by its observed levels', () => {
    const coding = compactCombine([Int32Array.of(4, 1, 4, 1)], [5], 4);
    expect(coding.count).toBe(2);
    expect(Array.from(coding.index)).toEqual([1, 0, 1, 0]);
    expect(Array.from(coding.levels[0]!)).toEqual([1, 4]);
  });

  it('refuses a combination space beyond 2^28 before allocating it', () => {
    expect(thrownReasons(() => compactCombine([Int32Array.of(0)], [2 ** 28 + 1], 1))).toEqual([`too many attribute combinations (${2 ** 28 + 1}) to intersect`]);
  });
});

describe('groupLabel', () => {
  it('is the level alone for one attribute and name=level pairs for several', () => {
    expect(groupLabel(['sex'], ['F'])).toBe('F');
    expect(groupLabel(['sex', 'region'], ['F', 'N'])).toBe('sex=F, region=N');
  });
});

describe('buildGroupings', () => {
  const attributes = [sex, region, age];
  const finest = compactCombine(
    attributes.map((a) => a.codes),
    attributes.map((a) => a.labels.length),
    6,
  );
  const names = (spec: Parameters<typeof buildGroupings>[2]) => buildGroupings(attributes, finest, spec).map((g) => g.name);

  it('reports each attribute alone, then the requested intersections', () => {
    expect(names('none')).toEqual(['sex', 'region', 'age']);
    expect(names('all')).toEqual(['sex', 'region', 'age', 'sex × region × age']);
    expect(names('pairwise-and-all')).toEqual(['sex', 'region', 'age', 'sex × region', 'sex × age', 'region × age', 'sex × region × age']);
  });

  it('takes named intersections in attribute order, once each, ignoring single names and repeats', () => {
    expect(names([['age', 'sex'], ['sex', 'age'], ['region'], ['region', 'region']])).toEqual(['sex', 'region', 'age', 'sex × age']);
    expect(names([])).toEqual(['sex', 'region', 'age']);
  });

  it('refuses an intersection naming an unknown attribute', () => {
    expect(thrownReasons(() => buildGroupings(attributes, finest, [['sex', 'income']]))).toEqual(['intersection names unknown attribute income']);
  });

  it('maps every finest cell to its group and labels the groups', () => {
    const [bySex, , , sexRegion] = buildGroupings(attributes, finest, 'pairwise-and-all');
    expect(bySex!.groupCount).toBe(2);
    expect(bySex!.groupLabels).toEqual(['F', 'M']);
    expect(bySex!.groupLevels).toEqual([['F'], ['M']]);
    expect(bySex!.attributes).toEqual(['sex']);
    // Rows mapped through the finest cells land in their own sex.
    for (let i = 0; i < 6; i++) expect(bySex!.groupOfCell[finest.index[i]!]).toBe(sex.codes[i]);
    expect(sexRegion!.groupLabels).toEqual(['sex=F, region=N', 'sex=F, region=E', 'sex=M, region=N', 'sex=M, region=S']);
    expect(sexRegion!.groupLevels).toEqual([['F', 'N'], ['F', 'E'], ['M', 'N'], ['M', 'S']]);
    const labelOfRow = (i: number) => sexRegion!.groupLabels[sexRegion!.groupOfCell[finest.index[i]!]!];
    expect([0, 1, 2, 3, 4, 5].map(labelOfRow)).toEqual(['sex=F, region=N', 'sex=M, region=S', 'sex=F, region=E', 'sex=M, region=N', 'sex=F, region=N', 'sex=M, region=S']);
  });
});

describe('combineAttributes', () => {
  it('codes every label combination by mixed radix, observed or not', () => {
    const combined = combineAttributes([sex, region]);
    expect(combined.name).toBe('sex × region');
    // code = sex·3 + region.
    expect(Array.from(combined.codes)).toEqual([0, 4, 2, 3, 0, 4]);
    expect(combined.labels).toEqual(['sex=F, region=N', 'sex=F, region=S', 'sex=F, region=E', 'sex=M, region=N', 'sex=M, region=S', 'sex=M, region=E']);
  });

  it('keeps a single attribute as it is', () => {
    const combined = combineAttributes([region]);
    expect(combined).toEqual({ name: 'region', codes: region.codes, labels: ['N', 'S', 'E'] });
  });

  it('refuses no attributes and more than a million combinations', () => {
    expect(thrownReasons(() => combineAttributes([]))).toEqual(['at least one protected attribute is required']);
    const wide = attribute('id', [0], Array.from({ length: 1001 }, (_, i) => `v${i}`));
    expect(thrownReasons(() => combineAttributes([wide, { ...wide, name: 'id2' }]))).toEqual(['too many attribute combinations (1002001) to combine']);
    // Exactly a million is allowed.
    const thousand = attribute('k', [0], Array.from({ length: 1000 }, (_, i) => `v${i}`));
    expect(combineAttributes([thousand, { ...thousand, name: 'k2' }]).labels).toHaveLength(1_000_000);
  });
});
