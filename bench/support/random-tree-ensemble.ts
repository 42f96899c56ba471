import type { Random } from '../../src/analytics/seeded-random.js';
import type { TreeEnsembleDescription, TreeNodeDescription } from '../../tests/support/onnx-model-builder.js';

/**
 * Full binary trees of the given depth over uniform [0, 1) features, leaves in [-0.1, 0.1), base
 * value 0.5: the ensemble the scoring benchmarks share (as RAIA JSON, as ONNX, through the API).
 */
export function randomTreeEnsemble(nTrees: number, depth: number, nFeatures: number, random: Random): TreeEnsembleDescription {
  const trees = Array.from({ length: nTrees }, () => {
    const nodes: TreeNodeDescription[] = [];
    const grow = (d: number): number => {
      const index = nodes.length;
      nodes.push({ leaf: (random() - 0.5) / 5 });
      if (d < depth) {
        const left = grow(d + 1);
        const right = grow(d + 1);
        nodes[index] = { feature: Math.floor(random() * nFeatures), threshold: random(), left, right };
      }
      return index;
    };
    grow(0);
    return { nodes };
  });
  return { trees, baseValue: 0.5 };
}
