import { align8, instantiateEmbedded, reserveWasmMemory, type WasmMemory } from '../embedded-wasm.js';
import { wasmBase64 } from './fast-tree-shap-kernel-wasm.js';
import { leafTable, shapleyWeights, type FastTreeShapPlan } from './fast-tree-shap.js';

/**
 * `fastTreeShapInto` with its per-row loops in WebAssembly (fast-tree-shap-kernel.wat): the plan is
 * laid out in the kernel's memory, each tree's table E(C, k) is built there by `leafTable`, and
 * rows are copied in and values out. Same arithmetic in the same order, so the same values.
 */

type AccumulateTree = (internal: number, nInternal: number, leaves: number, nLeaves: number, rows: number, values: number, rowBytes: number, nRows: number, cold: number) => void;

const INTERNAL_BYTES = 32;
const LEAF_BYTES = 16;
/** Rows per block in the kernel (its cold masks: this many per node). */
const KERNEL_BLOCK = 256;
/** Rows (and their values) copied into the kernel's memory per round: at most this many bytes of them. */
const COPY_BYTES = 64 << 20;

// One instance per thread, as for the scoring kernel.
let kernel: { memory: WasmMemory; accumulateTree: AccumulateTree } | undefined;

/**
 * Adds every row's Shapley values to `values` (rows x nFeatures, row-major), as `fastTreeShapInto`.
 * `copyBytes` bounds the rows and values held in the kernel's memory at once (more rounds when
 * smaller; each round builds the trees' tables again).
 */
export function fastTreeShapWasmInto(plan: FastTreeShapPlan, data: Float64Array, nRows: number, nFeatures: number, values: Float64Array, copyBytes = COPY_BYTES): void {
  if (kernel === undefined) {
    const { memory, exports } = instantiateEmbedded(wasmBase64);
    kernel = { memory, accumulateTree: exports.accumulateTree as AccumulateTree };
  }
  const { memory, accumulateTree } = kernel;
  const nInternal = plan.internalStart[plan.nTrees]!;
  const nLeaves = plan.leafStart[plan.nTrees]!;
  const rowBytes = nFeatures * 8;
  const perCopy = Math.max(1, Math.min(nRows, Math.floor(copyBytes / Math.max(1, 2 * rowBytes))));
  // Layout: internal records, leaf records, slot feature offsets, one tree's table, cold masks, rows, values.
  const internalAt = 0;
  const leavesAt = internalAt + nInternal * INTERNAL_BYTES;
  const slotsAt = leavesAt + nLeaves * LEAF_BYTES;
  const tableAt = align8(slotsAt + plan.slotFeature.length * 4);
  const coldAt = tableAt + plan.maxTreeExpanded * 8;
  const rowsAt = align8(coldAt + plan.maxTreeNodes * KERNEL_BLOCK * 4);
  const valuesAt = rowsAt + perCopy * rowBytes;
  reserveWasmMemory(memory, valuesAt + perCopy * rowBytes);
  const f64 = new Float64Array(memory.buffer);
  const i32 = new Int32Array(memory.buffer);

  for (let g = 0, at = internalAt / 4; g < nInternal; g++, at += INTERNAL_BYTES / 4) {
    f64[at / 2] = plan.inThreshold[g]!;
    i32[at + 2] = plan.inFeature[g]! * 8;
    i32[at + 3] = plan.inLeft[g]!;
    i32[at + 4] = plan.inRight[g]!;
    i32[at + 5] = plan.inBit[g]!;
    i32[at + 6] = plan.inMissingRight[g]!;
  }
  // Each tree's table starts at tableAt, its leaves' parts in leaf order (as fastTreeShapInto).
  for (let t = 0; t < plan.nTrees; t++) {
    for (let l = plan.leafStart[t]!, used = 0, at = leavesAt / 4 + l * (LEAF_BYTES / 4); l < plan.leafStart[t + 1]!; l++, at += LEAF_BYTES / 4) {
      const d = plan.leafDepth[l]!;
      i32[at] = d;
      i32[at + 1] = slotsAt + plan.leafSlot[l]! * 4;
      i32[at + 2] = tableAt + used * 8;
      used += d === 0 ? 0 : (1 << d) * d;
    }
  }
  for (let s = 0; s < plan.slotFeature.length; s++) i32[slotsAt / 4 + s] = plan.slotFeature[s]! * 8;

  const weights = shapleyWeights(plan.maxSlots);
  const g = new Float64Array(2 ** plan.maxSlots);
  for (let start = 0; start < nRows; start += perCopy) {
    const n = Math.min(perCopy, nRows - start);
    f64.set(data.subarray(start * nFeatures, (start + n) * nFeatures), rowsAt / 8);
    f64.set(values.subarray(start * nFeatures, (start + n) * nFeatures), valuesAt / 8);
    for (let t = 0; t < plan.nTrees; t++) {
      const i0 = plan.internalStart[t]!;
      const l0 = plan.leafStart[t]!;
      const l1 = plan.leafStart[t + 1]!;
      for (let l = l0, used = 0; l < l1; l++) {
        const d = plan.leafDepth[l]!;
        if (d === 0) continue;
        leafTable(d, plan.leafValue[l]!, plan.slotZero, plan.leafSlot[l]!, weights, d * (plan.maxSlots + 1), g, f64, tableAt / 8 + used);
        used += (1 << d) * d;
      }
      accumulateTree(internalAt + i0 * INTERNAL_BYTES, plan.internalStart[t + 1]! - i0, leavesAt + l0 * LEAF_BYTES, l1 - l0, rowsAt, valuesAt, rowBytes, n, coldAt);
    }
    values.set(f64.subarray(valuesAt / 8, valuesAt / 8 + n * nFeatures), start * nFeatures);
  }
}
