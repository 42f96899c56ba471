import { createHash } from 'node:crypto';

// RFC 6962 §2.1 (as revised by RFC 9162 §2.1): leaf hash SHA-256(0x00 ‖ d), node SHA-256(0x01 ‖ l ‖ r).
const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);
const leafHash = (hex: string) => createHash('sha256').update(LEAF).update(Buffer.from(hex, 'hex')).digest();
const nodeHash = (left: Buffer, right: Buffer) => createHash('sha256').update(NODE).update(left).update(right).digest();

/** The largest power of two strictly less than n (n ≥ 2): where RFC 6962 splits a tree. */
const split = (n: number) => 2 ** Math.floor(Math.log2(n - 1));

/**
 * Audit paths (RFC 6962 §2.1.1, PATH(m, D[n])) of several leaves of one tree in one pass over it,
 * so proving k events of a large seal segment costs one tree walk, not k. Leaves are the events'
 * hashes (hex); the returned paths are hex, deepest sibling first.
 */
export function inclusionProofs(leavesHex: readonly string[], indices: readonly number[]): Map<number, string[]> {
  const wanted = [...new Set(indices)].sort((a, b) => a - b);
  for (const i of wanted) if (!Number.isInteger(i) || i < 0 || i >= leavesHex.length) throw new RangeError(`leaf ${i} is outside a tree of ${leavesHex.length}`);
  const paths = new Map<number, Buffer[]>(wanted.map((i) => [i, []]));
  const hashOf = (lo: number, hi: number, targets: number[]): Buffer => {
    if (hi - lo === 1) return leafHash(leavesHex[lo]!);
    const k = split(hi - lo);
    const left = targets.filter((t) => t < lo + k);
    const right = targets.filter((t) => t >= lo + k);
    const l = hashOf(lo, lo + k, left);
    const r = hashOf(lo + k, hi, right);
    for (const t of left) paths.get(t)!.push(r);
    for (const t of right) paths.get(t)!.push(l);
    return nodeHash(l, r);
  };
  if (leavesHex.length > 0) hashOf(0, leavesHex.length, wanted);
  return new Map([...paths].map(([i, p]) => [i, p.map((b) => b.toString('hex'))]));
}

/** The root an audit path leads to from a leaf (RFC 9162 §2.1.3.2), or null when the path cannot belong to a tree of that size. */
export function rootFromInclusionProof(leafHex: string, index: number, treeSize: number, pathHex: readonly string[]): string | null {
  if (!Number.isInteger(index) || index < 0 || index >= treeSize) return null;
  let fn = index;
  let sn = treeSize - 1;
  let r = leafHash(leafHex);
  for (const p of pathHex) {
    if (!/^[0-9a-f]{64}$/.test(p) || sn === 0) return null;
    const sibling = Buffer.from(p, 'hex');
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(sibling, r);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, sibling);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r.toString('hex') : null;
}

/**
 * The RFC 6962 Merkle Tree Hash of a sequence of leaves fed one at a time, in O(log n) memory:
 * a stack of perfect subtrees, merged while the two on top are the same size; at the end the
 * stack is folded right to left, which is exactly how MTH splits at the largest power of two.
 */
export class StreamingMerkleRoot {
  private readonly stack: { size: number; hash: Buffer }[] = [];
  count = 0;

  add(leafHex: string): void {
    let node = { size: 1, hash: leafHash(leafHex) };
    while (this.stack.length > 0 && this.stack[this.stack.length - 1]!.size === node.size) {
      const left = this.stack.pop()!;
      node = { size: left.size * 2, hash: nodeHash(left.hash, node.hash) };
    }
    this.stack.push(node);
    this.count++;
  }

  root(): string {
    if (this.stack.length === 0) return createHash('sha256').digest('hex');
    let hash = this.stack[this.stack.length - 1]!.hash;
    for (let i = this.stack.length - 2; i >= 0; i--) hash = nodeHash(this.stack[i]!.hash, hash);
    return hash.toString('hex');
  }
}

/** The leaf ranges [from, to) whose subtree hashes form PATH(m, D[lo:hi]), deepest first (RFC 6962 §2.1.1). */
function siblingRanges(m: number, lo: number, hi: number): [number, number][] {
  if (hi - lo <= 1) return [];
  const k = split(hi - lo);
  return m < lo + k ? [...siblingRanges(m, lo, lo + k), [lo + k, hi]] : [...siblingRanges(m, lo + k, hi), [lo, lo + k]];
}

/**
 * Audit paths of some leaves of a tree of `size` leaves, from the leaves fed in order one at a
 * time: each path is O(log n) subtree hashes whose ranges are known from the size alone, each
 * computed by its own streaming root. Memory stays O(k log n) whatever the segment's size, so a
 * million-event seal segment is proven without holding its hashes.
 */
export class StreamingInclusionProofs {
  private readonly ranges: { from: number; to: number; root: StreamingMerkleRoot }[] = [];
  private readonly byLeaf = new Map<number, { from: number; to: number; root: StreamingMerkleRoot }[]>();
  private next = 0;

  constructor(
    private readonly size: number,
    indices: readonly number[],
  ) {
    for (const i of new Set(indices)) {
      if (!Number.isInteger(i) || i < 0 || i >= size) throw new RangeError(`leaf ${i} is outside a tree of ${size}`);
      const path = siblingRanges(i, 0, size).map(([from, to]) => ({ from, to, root: new StreamingMerkleRoot() }));
      this.ranges.push(...path);
      this.byLeaf.set(i, path);
    }
    this.ranges.sort((a, b) => a.from - b.from);
  }

  add(leafHex: string): void {
    const i = this.next++;
    for (const r of this.ranges) {
      if (r.from > i) break;
      if (i < r.to) r.root.add(leafHex);
    }
  }

  proofs(): Map<number, string[]> {
    if (this.next !== this.size) throw new Error(`${this.next} of ${this.size} leaves were given`);
    return new Map([...this.byLeaf].map(([i, path]) => [i, path.map((r) => r.root.root())]));
  }
}
