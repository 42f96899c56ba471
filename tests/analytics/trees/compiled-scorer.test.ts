import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileTreeEnsemble, compiledTreeEnsemble } from '../../../src/analytics/trees/compiled-tree-ensemble.js';
import { leftBound, nextFloat32Down, nextFloat32Up, nextFloat64Down } from '../../../src/analytics/trees/float-neighbours.js';
import { predictMargin } from '../../../src/analytics/trees/predict.js';
import { parseRaiaTreeEnsemble } from '../../../src/analytics/trees/raia-tree-format.js';
import { referencePredictMargin } from '../../../src/analytics/trees/reference-tree-scorer.js';
import { TreeModelFormatError } from '../../../src/analytics/trees/tree-model-format-error.js';
import { docMargin, featureRow, raiaDocument, type DocNode } from './random-tree-documents.js';

const MAX_FLOAT32 = 3.4028234663852886e38;

/** Doubles near float32 rounding boundaries of `t`: t itself, its float64 and float32 neighbours, and the midpoints between float32 neighbours ±1 ulp. */
function straddling(t: number): number[] {
  const out = [t];
  const up64 = (x: number) => -nextFloat64Down(-x);
  if (Number.isFinite(t)) out.push(nextFloat64Down(t), up64(t));
  const t32 = Math.fround(t);
  if (Number.isFinite(t32)) {
    const below = nextFloat32Down(t32);
    const above = t32 === MAX_FLOAT32 ? MAX_FLOAT32 + 2 ** 104 : nextFloat32Up(t32);
    for (const mid of [(below + t32) / 2, (t32 + above) / 2]) out.push(mid, nextFloat64Down(mid), up64(mid));
    out.push(t32, below, above);
  }
  return out.filter((x) => !Number.isNaN(x));
}

const interestingThresholds = [
  0, -0, 0.1, -0.1, 0.5, 1 / 3, 2 ** -149, -(2 ** -149), 2 ** -126, 1e-40, -1e-40, 1e-300, MAX_FLOAT32, -MAX_FLOAT32, 3.5e38, -3.5e38, 1e300, Infinity, -Infinity,
  Math.fround(0.7), (Math.fround(0.7) + nextFloat32Up(Math.fround(0.7))) / 2,
];

describe('leftBound: a comparison as one float64 `<=`', () => {
  it('agrees with the comparison it replaces on values straddling float32 and float64 neighbours of the threshold', () => {
    const thresholds = [...interestingThresholds];
    const random = fc.sample(fc.double({ noNaN: true }), { numRuns: 400, seed: 18 });
    thresholds.push(...random, ...random.map((x) => Math.fround(x)));
    let checked = 0;
    for (const t of thresholds) {
      for (const decision of ['<=', '<'] as const) {
        const b32 = leftBound(t, decision, 'float32');
        const b64 = leftBound(t, decision, 'float64');
        for (const x of [...straddling(t), Infinity, -Infinity, 0, -0]) {
          const x32 = Math.fround(x);
          expect(x <= b32, `float32 ${x} ${decision} ${t}`).toBe(decision === '<=' ? x32 <= t : x32 < t);
          expect(x <= b64, `float64 ${x} ${decision} ${t}`).toBe(decision === '<=' ? x <= t : x < t);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(10_000);
  });
});

/** A one-split-per-level chain of `depth` splits on feature `depth mod m`, deeper than the perfect layout pads. */
function chainDocument(depth: number, nFeatures: number, decision: '<=' | '<', precision?: 'float32' | 'float64') {
  const nodes: DocNode[] = [];
  for (let d = 0; d < depth; d++) {
    nodes.push({ feature: d % nFeatures, threshold: (d % 5) / 4, left: nodes.length + 1, right: nodes.length + 2, missingGoesLeft: d % 2 === 0, cover: 2 * (depth - d) + 1 });
    nodes.push({ leaf: d - depth / 2, cover: 1 });
    // the left child is the next split; the right child is this leaf: swap so the chain continues left
    const split = nodes[nodes.length - 2] as Extract<DocNode, { feature: number }>;
    split.left = nodes.length;
    split.right = nodes.length - 1;
  }
  nodes.push({ leaf: 100, cover: 1 });
  return {
    format: 'raia-tree-ensemble/v1' as const,
    task: 'regression' as const,
    decision,
    aggregation: 'sum' as const,
    baseScore: 0.25,
    link: 'identity' as const,
    featureNames: Array.from({ length: nFeatures }, (_, j) => `x${j}`),
    trees: [{ nodes }, { nodes: [{ leaf: 3, cover: 1 }] }],
    ...(precision ? { comparisonPrecision: precision } : {}),
  };
}

describe('compiled scorer equals the reference walk', () => {
  it('on random ensembles and rows (ties with thresholds, NaN), both decisions, float64 and float32 (complete-tree layout)', () => {
    fc.assert(
      fc.property(
        raiaDocument({ maxFeatures: 5, maxTrees: 6, maxDepth: 5 }).chain((doc) =>
          fc.tuple(fc.constant(doc), fc.array(featureRow(doc.featureNames.length), { minLength: 1, maxLength: 40 }), fc.constantFrom('float64' as const, 'float32' as const)),
        ),
        ([doc, rows, precision]) => {
          const model = parseRaiaTreeEnsemble({ ...doc, comparisonPrecision: precision });
          const X = Float64Array.from(rows.flat());
          const expected = referencePredictMargin(model, X, rows.length);
          expect(Array.from(predictMargin(model, X, rows.length))).toEqual(Array.from(expected));
          // the document walked independently, where comparisons are in float64
          if (precision === 'float64') rows.forEach((row, i) => expect(expected[i]).toBeCloseTo(docMargin(doc, row), 12));
        },
      ),
      { numRuns: 400, seed: 181 },
    );
  });

  it('on deep trees laid out breadth-first, with NaN and float32 straddling values', () => {
    for (const decision of ['<=', '<'] as const) {
      for (const precision of ['float64', 'float32'] as const) {
        const model = parseRaiaTreeEnsemble(chainDocument(30, 3, decision, precision));
        expect(compiledTreeEnsemble(model).layout).toBe('breadth-first');
        const values = [NaN, 0, 0.25, 0.5, 0.75, 1, nextFloat64Down(0.5), -nextFloat64Down(-0.5), 0.2500000001, 0.7499999999, -1, 2];
        const rows = fc.sample(fc.array(fc.constantFrom(...values), { minLength: 3, maxLength: 3 }), { numRuns: 300, seed: 7 });
        const X = Float64Array.from(rows.flat());
        expect(Array.from(predictMargin(model, X, rows.length))).toEqual(Array.from(referencePredictMargin(model, X, rows.length)));
      }
    }
  });

  it('pads shallow trees to complete ones and keeps every layout exact on a large block-spanning batch', () => {
    const doc = chainDocument(6, 4, '<=');
    const model = parseRaiaTreeEnsemble(doc);
    const compiled = compileTreeEnsemble(model);
    expect(compiled.layout).toBe('perfect');
    expect(Array.from(compiled.depth)).toEqual([6, 0]);
    // 6-level chain padded: 2^6 - 1 splits, 2^6 leaves; the lone leaf tree: no split, one leaf
    expect(compiled.nodeStart[2]).toBe(63);
    const rows = fc.sample(featureRow(4), { numRuns: 1001, seed: 3 });
    const X = Float64Array.from(rows.flat());
    expect(Array.from(predictMargin(model, X, rows.length))).toEqual(Array.from(referencePredictMargin(model, X, rows.length)));
  });
});

describe('comparisonPrecision in raia-tree-ensemble/v1', () => {
  // x0 <= 0.5 ? 1 : 2; as float32, 0.500000001 rounds to 0.5 and goes left; as float64 it goes right.
  const doc = (extra: Record<string, unknown>) => ({
    format: 'raia-tree-ensemble/v1',
    task: 'regression',
    decision: '<=',
    aggregation: 'sum',
    baseScore: 0,
    link: 'identity',
    featureNames: ['x0'],
    trees: [{ nodes: [{ feature: 0, threshold: 0.5, left: 1, right: 2, missingGoesLeft: false, cover: 2 }, { leaf: 1, cover: 1 }, { leaf: 2, cover: 1 }] }],
    ...extra,
  });
  // 0.5 + 2^-26 is within half a float32 ulp (2^-25) of 0.5; 0.5 + 2^-24 is the next float32 up.
  const X = Float64Array.of(0.5, 0.5 + 2 ** -30, 0.5 + 2 ** -26, 0.5 + 2 ** -25, 0.5 + 2 ** -24, 0.5 - 2 ** -30);

  it('defaults to float64 (documents written before the field existed score as before)', () => {
    expect(Array.from(predictMargin(parseRaiaTreeEnsemble(doc({})), X, 6))).toEqual([1, 2, 2, 2, 2, 1]);
    expect(Array.from(predictMargin(parseRaiaTreeEnsemble(doc({ comparisonPrecision: 'float64' })), X, 6))).toEqual([1, 2, 2, 2, 2, 1]);
  });

  it('float32 rounds each input first: values within half a float32 ulp of the threshold go left; the tie 0.5 + 2^-25 rounds to even (0.5)', () => {
    const model = parseRaiaTreeEnsemble(doc({ comparisonPrecision: 'float32' }));
    expect(model.float32Inputs).toBe(true);
    expect(Array.from(predictMargin(model, X, 6))).toEqual([1, 1, 1, 1, 2, 1]);
  });

  it('refuses another value, naming the field', () => {
    expect(() => parseRaiaTreeEnsemble(doc({ comparisonPrecision: 'float16' }))).toThrow(TreeModelFormatError);
    try {
      parseRaiaTreeEnsemble(doc({ comparisonPrecision: 'float16' }));
    } catch (error) {
      expect((error as TreeModelFormatError).field).toBe('comparisonPrecision');
    }
  });
});
