import { afterAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/analytics/seeded-random.js';
import { parseRaiaTreeEnsemble } from '../../src/analytics/trees/raia-tree-format.js';
import { referencePredictMargin } from '../../src/analytics/trees/reference-tree-scorer.js';
import { createTreeScoringPool } from '../../src/processors/tree-scoring-pool.js';

type Node = { feature: number; threshold: number; left: number; right: number; missingGoesLeft: boolean; cover: number } | { leaf: number; cover: number };

/** 40 random trees of depth 5 on 6 features, as a raia-tree-ensemble/v1 document. */
function randomDocument(link: 'identity' | 'logistic') {
  const random = mulberry32(42);
  const trees = Array.from({ length: 40 }, () => {
    const nodes: Node[] = [];
    const grow = (d: number): number => {
      const at = nodes.length;
      if (d === 5 || random() < 0.15) {
        nodes.push({ leaf: random() - 0.5, cover: 1 });
        return at;
      }
      nodes.push({ leaf: 0, cover: 1 });
      const left = grow(d + 1);
      const right = grow(d + 1);
      nodes[at] = { feature: Math.floor(random() * 6), threshold: Math.round(random() * 8) / 8, left, right, missingGoesLeft: random() < 0.5, cover: 2 };
      return at;
    };
    grow(0);
    return { nodes };
  });
  return { format: 'raia-tree-ensemble/v1', task: link === 'logistic' ? 'binary' : 'regression', decision: '<=', aggregation: 'sum', baseScore: 0.1, link, featureNames: ['a', 'b', 'c', 'd', 'e', 'f'], trees };
}

function rows(n: number, shared: boolean): Float64Array {
  const random = mulberry32(7);
  const X = new Float64Array(shared ? new SharedArrayBuffer(n * 6 * 8) : new ArrayBuffer(n * 6 * 8));
  for (let i = 0; i < X.length; i++) X[i] = random() < 0.02 ? NaN : Math.round(random() * 16) / 16;
  return X;
}

describe('tree scoring pool (worker threads)', () => {
  const pool = createTreeScoringPool(3);
  afterAll(() => pool.close());

  it('splits a large batch across threads and returns exactly the reference margins (ordinary and shared input buffers)', async () => {
    const model = parseRaiaTreeEnsemble(randomDocument('identity'));
    for (const shared of [false, true]) {
      const n = 60_001; // 60,001 x 40 trees: three shares, the last one shorter
      const X = rows(n, shared);
      const margins = await pool.margins(model, X, n);
      expect(Array.from(margins)).toEqual(Array.from(referencePredictMargin(model, X, n)));
    }
  });

  it('scores small batches on the calling thread and applies the logistic link', async () => {
    const model = parseRaiaTreeEnsemble(randomDocument('logistic'));
    const X = rows(100, false);
    const p = await pool.predict(model, X, 100);
    const z = referencePredictMargin(model, X, 100);
    for (let i = 0; i < 100; i++) expect(p[i]).toBe(1 / (1 + Math.exp(-z[i]!)));
  });

  it('refuses a matrix shorter than nRows x features', async () => {
    const model = parseRaiaTreeEnsemble(randomDocument('identity'));
    await expect(pool.margins(model, new Float64Array(5), 1)).rejects.toThrow(RangeError);
  });
});
