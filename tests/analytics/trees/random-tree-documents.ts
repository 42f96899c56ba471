import fc from 'fast-check';

/** A node of a RAIA tree document, as the tests build and walk it (independently of the flat arrays in src). */
export type DocNode = { feature: number; threshold: number; left: number; right: number; missingGoesLeft: boolean; cover: number } | { leaf: number; cover: number };
export type RaiaDocument = {
  format: 'raia-tree-ensemble/v1';
  task: 'regression' | 'binary';
  decision: '<=' | '<';
  aggregation: 'sum' | 'mean';
  baseScore: number;
  link: 'identity' | 'logistic';
  featureNames: string[];
  trees: { nodes: DocNode[] }[];
};

type Shape = { kind: 'leaf'; value: number; weight: number } | { kind: 'split'; feature: number; threshold: number; missingGoesLeft: boolean; left: Shape; right: Shape };

/** Thresholds on a coarse grid so rows often tie with them and features repeat along paths. */
const shape = (nFeatures: number, depth: number): fc.Arbitrary<Shape> =>
  depth === 0
    ? fc.record({ kind: fc.constant('leaf' as const), value: fc.integer({ min: -20, max: 20 }).map((v) => v / 4), weight: fc.integer({ min: 1, max: 9 }) })
    : fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.record({ kind: fc.constant('leaf' as const), value: fc.integer({ min: -20, max: 20 }).map((v) => v / 4), weight: fc.integer({ min: 1, max: 9 }) }),
        fc.record({
          kind: fc.constant('split' as const),
          feature: fc.integer({ min: 0, max: nFeatures - 1 }),
          threshold: fc.integer({ min: 0, max: 4 }).map((v) => v / 4),
          missingGoesLeft: fc.boolean(),
          left: fc.constant(null),
          right: fc.constant(null),
        }).chain((s) => fc.tuple(shape(nFeatures, depth - 1), shape(nFeatures, depth - 1)).map(([left, right]) => ({ ...s, left, right }))),
      );

/**
 * Lays a shape out as document nodes (breadth of indices is arbitrary: children after parents).
 * Covers: leaves get their weight; an internal node the sum of its children, or, when
 * `inconsistent`, that sum times a factor (real models' covers need not add up exactly).
 */
function layout(root: Shape, inconsistent: number): DocNode[] {
  const nodes: DocNode[] = [];
  const place = (s: Shape): [number, number] => {
    const index = nodes.length;
    if (s.kind === 'leaf') {
      nodes.push({ leaf: s.value, cover: s.weight });
      return [index, s.weight];
    }
    nodes.push({ feature: s.feature, threshold: s.threshold, left: -1, right: -1, missingGoesLeft: s.missingGoesLeft, cover: 0 });
    const [l, lc] = place(s.left);
    const [r, rc] = place(s.right);
    const cover = (lc + rc) * (1 + inconsistent * ((index % 3) - 1) * 0.1);
    nodes[index] = { feature: s.feature, threshold: s.threshold, left: l, right: r, missingGoesLeft: s.missingGoesLeft, cover };
    return [index, cover];
  };
  place(root);
  return nodes;
}

export const raiaDocument = (opts: { maxFeatures?: number; maxTrees?: number; maxDepth?: number } = {}): fc.Arbitrary<RaiaDocument> =>
  fc.integer({ min: 1, max: opts.maxFeatures ?? 5 }).chain((nFeatures) =>
    fc.record({
      format: fc.constant('raia-tree-ensemble/v1' as const),
      task: fc.constant('regression' as const),
      decision: fc.constantFrom('<=' as const, '<' as const),
      aggregation: fc.constantFrom('sum' as const, 'mean' as const),
      baseScore: fc.integer({ min: -4, max: 4 }).map((v) => v / 2),
      link: fc.constant('identity' as const),
      featureNames: fc.constant(Array.from({ length: nFeatures }, (_, i) => `x${i}`)),
      trees: fc.array(
        fc.tuple(shape(nFeatures, opts.maxDepth ?? 4), fc.constantFrom(0, 1)).map(([s, inconsistent]) => ({ nodes: layout(s, inconsistent) })),
        { minLength: 1, maxLength: opts.maxTrees ?? 3 },
      ),
    }),
  );

/** Feature rows on the thresholds' grid (ties) plus off-grid values and NaN for missing. */
export const featureRow = (nFeatures: number): fc.Arbitrary<number[]> =>
  fc.array(fc.oneof(fc.integer({ min: -1, max: 5 }).map((v) => v / 4), fc.double({ min: -1, max: 2, noNaN: true }), fc.constant(NaN)), { minLength: nFeatures, maxLength: nFeatures });

/** Goes-left rule of the document, written out again here. */
export function docGoesLeft(doc: RaiaDocument, node: { threshold: number; missingGoesLeft: boolean }, v: number): boolean {
  if (Number.isNaN(v)) return node.missingGoesLeft;
  return doc.decision === '<=' ? v <= node.threshold : v < node.threshold;
}

/** f(x) on the margin scale by walking the document's node objects. */
export function docMargin(doc: RaiaDocument, x: ArrayLike<number>): number {
  let total = 0;
  for (const tree of doc.trees) {
    let node = tree.nodes[0]!;
    while (!('leaf' in node)) node = tree.nodes[docGoesLeft(doc, node, x[node.feature]!) ? node.left : node.right]!;
    total += node.leaf;
  }
  return doc.baseScore + (doc.aggregation === 'mean' ? total / doc.trees.length : total);
}

/** Brute-force Shapley values of a value function over all 2^M coalitions (coalition as a bitmask). */
export function bruteForceShapley(nFeatures: number, v: (mask: number) => number): number[] {
  const values = Array.from({ length: 1 << nFeatures }, (_, s) => v(s));
  const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));
  const phi = new Array<number>(nFeatures).fill(0);
  for (let s = 0; s < 1 << nFeatures; s++) {
    const size = s.toString(2).split('').filter((c) => c === '1').length;
    for (let j = 0; j < nFeatures; j++) {
      if (s & (1 << j)) continue;
      const weight = (factorial(size) * factorial(nFeatures - size - 1)) / factorial(nFeatures);
      phi[j]! += weight * (values[s | (1 << j)]! - values[s]!);
    }
  }
  return phi;
}

/** Everything of a regression document but its trees: sum of leaves, base score 0, features x0, x1, … */
export const regressionDocumentHeader = (nFeatures: number, decision: '<=' | '<' = '<='): Omit<RaiaDocument, 'trees'> => ({
  format: 'raia-tree-ensemble/v1',
  task: 'regression',
  decision,
  aggregation: 'sum',
  baseScore: 0,
  link: 'identity',
  featureNames: Array.from({ length: nFeatures }, (_, i) => `x${i}`),
});
