import type { CompiledTreeEnsemble } from './compiled-tree-ensemble.js';
import { align8, instantiateEmbedded, reserveWasmMemory, type WasmMemory } from '../embedded-wasm.js';
import { wasmBase64 } from './perfect-tree-kernel-wasm.js';

/**
 * Scoring of `perfect`-layout ensembles by the WebAssembly kernel (perfect-tree-kernel.wat). The
 * kernel reads only its own memory, so the model is laid out there once (again only when another
 * model comes) and rows are copied in and margins out, a block at a time: the copies cost a few
 * percent of the walk they feed.
 */

/** Rows walked through every tree before the next rows: they stay in the first-level cache meanwhile. */
const ROW_BLOCK = 64;
/** Rows copied into the kernel's memory per round (fewer when rows are wide: at most COPY_BYTES of them). */
const ROWS_PER_COPY = 1024;
const COPY_BYTES = 4 << 20;
const NODE_BYTES = 16;
const TREE_BYTES = 12;

type ScoreRows = (nodes: number, leaves: number, trees: number, nTrees: number, rows: number, rowBytes: number, nRows: number, out: number) => void;

type Kernel = {
  memory: WasmMemory;
  scoreRows: ScoreRows;
  /** The model laid out in memory now, and where its parts and the scratch space begin. */
  model: CompiledTreeEnsemble | null;
  leaves: number;
  trees: number;
  scratch: number;
};

// One instance per thread: module state is per thread, and so is each worker's kernel.
let kernel: Kernel | undefined;

function instantiate(): Kernel {
  const { memory, exports } = instantiateEmbedded(wasmBase64);
  return { memory, scoreRows: exports.scoreRows as ScoreRows, model: null, leaves: 0, trees: 0, scratch: 0 };
}

const reserve = (k: Kernel, bytes: number) => reserveWasmMemory(k.memory, bytes);

function layOut(k: Kernel, c: CompiledTreeEnsemble): void {
  const nNodes = c.nodeStart[c.nTrees]!;
  k.leaves = nNodes * NODE_BYTES;
  k.trees = k.leaves + c.leafValue.length * 8;
  k.scratch = align8(k.trees + c.nTrees * TREE_BYTES);
  reserve(k, k.scratch);
  const buffer = k.memory.buffer;
  const f64 = new Float64Array(buffer);
  const i32 = new Int32Array(buffer);
  for (let n = 0; n < nNodes; n++) {
    f64[2 * n] = c.bound[n]!;
    i32[4 * n + 2] = c.feature[n]! * 8;
  }
  f64.set(c.leafValue, k.leaves / 8);
  for (let t = 0, at = k.trees / 4; t < c.nTrees; t++, at += 3) {
    i32[at] = c.nodeStart[t]!;
    i32[at + 1] = c.leafStart[t]!;
    i32[at + 2] = c.depth[t]!;
  }
  k.model = c;
}

/**
 * Margins of rows `from .. to - 1` of row-major `X` into `out[from .. to - 1]`, for a `perfect`
 * layout whose rows hold no NaN or whose splits send none left (NaN goes right in the kernel).
 */
export function scorePerfectWasm(c: CompiledTreeEnsemble, X: Float64Array, from: number, to: number, out: Float64Array): void {
  kernel ??= instantiate();
  const k = kernel;
  if (k.model !== c) layOut(k, c);
  const m = c.nFeatures;
  const rowBytes = m * 8;
  const perCopy = Math.max(ROW_BLOCK, Math.min(ROWS_PER_COPY, Math.floor(COPY_BYTES / Math.max(1, rowBytes))));
  const rowsAt = k.scratch;
  const outAt = align8(rowsAt + perCopy * rowBytes);
  reserve(k, outAt + perCopy * 8);
  const f64 = new Float64Array(k.memory.buffer);
  for (let start = from; start < to; start += perCopy) {
    const n = Math.min(perCopy, to - start);
    f64.set(X.subarray(start * m, (start + n) * m), rowsAt / 8);
    const margins = f64.subarray(outAt / 8, outAt / 8 + n);
    margins.fill(c.baseScore);
    for (let b = 0; b < n; b += ROW_BLOCK) k.scoreRows(0, k.leaves, k.trees, c.nTrees, rowsAt + b * rowBytes, rowBytes, Math.min(ROW_BLOCK, n - b), outAt + b * 8);
    out.set(margins, start);
  }
}
