import type { CompiledTreeEnsemble } from './compiled-tree-ensemble.js';
import { scorePerfectWasm } from './wasm-tree-kernel.js';

/**
 * Rows scored together against one tree before moving to the next: the block's rows stay in
 * cache while every tree is walked, and each tree's nodes stay in cache across the block.
 */
const ROW_BLOCK = 64;

/**
 * Margins (base score + sum of scaled leaves) of rows `from .. to - 1` of row-major `X`
 * (`compiled.nFeatures` columns), written to `out[from .. to - 1]`.
 */
export function scoreCompiled(compiled: CompiledTreeEnsemble, X: Float64Array, from: number, to: number, out: Float64Array): void {
  const withNaN = compiled.anyNanLeft && containsNaN(X, from * compiled.nFeatures, to * compiled.nFeatures);
  // The common case (complete-enough trees, NaN failing `<=` going the right way) runs in WebAssembly.
  if (compiled.layout === 'perfect' && !withNaN) return scorePerfectWasm(compiled, X, from, to, out);
  for (let r = from; r < to; r++) out[r] = compiled.baseScore;
  for (let start = from; start < to; start += ROW_BLOCK) {
    const end = Math.min(to, start + ROW_BLOCK);
    if (compiled.layout === 'breadth-first') scoreBreadthFirstBlock(compiled, X, start, end, out);
    else scorePerfectBlockWithNaN(compiled, X, start, end, out);
  }
}

function containsNaN(X: Float64Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (X[i] !== X[i]) return true;
  return false;
}

function scorePerfectBlockWithNaN(c: CompiledTreeEnsemble, X: Float64Array, start: number, end: number, out: Float64Array): void {
  const { feature, bound, nanLeft, leafValue, nodeStart, leafStart, depth } = c;
  const m = c.nFeatures;
  for (let t = 0; t < c.nTrees; t++) {
    const ns = nodeStart[t]!;
    const ls = leafStart[t]!;
    const D = depth[t]!;
    for (let r = start; r < end; r++) {
      const a = r * m;
      let h = 0;
      for (let d = 0; d < D; d++) {
        const k = ns + h;
        const v = X[a + feature[k]!]!;
        h = 2 * h + (v <= bound[k]! || (v !== v && nanLeft[k] === 1) ? 1 : 2);
      }
      out[r]! += leafValue[ls + h]!;
    }
  }
}

function scoreBreadthFirstBlock(c: CompiledTreeEnsemble, X: Float64Array, start: number, end: number, out: Float64Array): void {
  const { feature, bound, nanLeft, child, nodeStart } = c;
  const m = c.nFeatures;
  for (let t = 0; t < c.nTrees; t++) {
    const root = nodeStart[t]!;
    for (let r = start; r < end; r++) {
      const a = r * m;
      let k = root;
      let f = feature[k]!;
      while (f >= 0) {
        const v = X[a + f]!;
        k = child[k]! + (v <= bound[k]! || (v !== v && nanLeft[k] === 1) ? 0 : 1);
        f = feature[k]!;
      }
      out[r]! += bound[k]!;
    }
  }
}
