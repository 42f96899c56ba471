import { createHash, hash } from 'node:crypto';

// RFC 6962 §2.1 (as revised by RFC 9162 §2.1): leaf hash SHA-256(0x00 ‖ d), node SHA-256(0x01 ‖ l ‖ r).
const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);
const leafHash = (hex: string) => createHash('sha256').update(LEAF).update(Buffer.from(hex, 'hex')).digest();
const nodeHash = (left: Buffer, right: Buffer) => createHash('sha256').update(NODE).update(left).update(right).digest();

/** The largest power of two strictly less than n (n ≥ 2): where RFC 6962 splits a tree. */
const split = (n: number) => 2 ** Math.floor(Math.log2(n - 1));

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

/** The leaf ranges [from, to) whose subtree hashes form PATH(m, D[lo:hi]), deepest first (RFC 6962 §2.1.1). */
function siblingRanges(m: number, lo: number, hi: number): [number, number][] {
  if (hi - lo <= 1) return [];
  const k = split(hi - lo);
  return m < lo + k ? [...siblingRanges(m, lo, lo + k), [lo + k, hi]] : [...siblingRanges(m, lo + k, hi), [lo, lo + k]];
}

/**
 * A perfect subtree's key, a number (its first leaf and the log2 of its size): looked up for every
 * node formed, a text key cost a string per node of a million-leaf tree.
 */
const blockKey = (from: number, size: number) => from * 64 + (31 - Math.clz32(size));

/** Whether leaves [from, to) form a perfect subtree of the tree rooted at leaf 0 (a power of two, aligned to its size). */
const isPerfectBlock = (from: number, to: number) => {
  const size = to - from;
  return (size & (size - 1)) === 0 && from % size === 0;
};

/**
 * RFC 6962 Merkle trees over leaves fed one at a time, in one pass and O(log n) memory: the root
 * of the first `size` leaves for any size reached, and audit paths of chosen leaves in the tree of
 * a chosen size, with no hashing beyond the tree's own 2n − 1 hashes. It keeps a stack of perfect
 * subtrees (merged while the two on top are the same size). Every node of MTH(D[0:n]) is either
 * such a perfect, aligned subtree, formed once as leaves arrive (kept when a wanted path names
 * it), or a node on the tree's right edge, the fold of a suffix of the stack when n leaves are in.
 * So the tree of a whole export range and the proofs of its ends against a seal segment starting
 * at the same position come from the same hashes.
 */
export class MerkleTreeStream {
  private readonly stack: { from: number; size: number; hash: Buffer }[] = [];
  /** Perfect subtrees some wanted path names (by `blockKey`), and those formed so far. */
  private readonly wantedBlocks = new Set<number>();
  private readonly blocks = new Map<number, Buffer>();
  /** Tree sizes at which roots or paths are wanted, with the paths wanted there. */
  private readonly checkpoints = new Map<number, number[]>();
  private readonly roots = new Map<number, string>();
  private readonly paths = new Map<string, string[]>();
  private readonly leafBuffer = Buffer.alloc(33);
  private readonly nodeBuffer = Buffer.alloc(65);
  count = 0;

  /** `proofs`: audit paths wanted, each of leaf `index` in the tree of the first `size` leaves. */
  constructor(options: { proofs?: ReadonlyArray<{ index: number; size: number }>; roots?: readonly number[] } = {}) {
    this.leafBuffer[0] = 0;
    this.nodeBuffer[0] = 1;
    for (const size of options.roots ?? []) this.wantAt(size);
    this.want(options.proofs ?? []);
  }

  /** Asks for more audit paths, before any leaf of their tree sizes has been given. */
  want(proofs: ReadonlyArray<{ index: number; size: number }>): void {
    for (const { index, size } of proofs) {
      if (!Number.isInteger(index) || index < 0 || index >= size) throw new RangeError(`leaf ${index} is outside a tree of ${size}`);
      if (this.count > 0) throw new Error('paths must be asked for before the first leaf is given');
      this.wantAt(size).push(index);
      for (const [from, to] of siblingRanges(index, 0, size)) if (isPerfectBlock(from, to)) this.wantedBlocks.add(blockKey(from, to - from));
    }
  }

  private wantAt(size: number): number[] {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`a tree has at least one leaf, not ${size}`);
    let wanted = this.checkpoints.get(size);
    if (!wanted) this.checkpoints.set(size, (wanted = []));
    return wanted;
  }

  /** Adds the next leaf: an event's hash (hex). */
  add(leafHex: string): void {
    this.leafBuffer.write(leafHex, 1, 32, 'hex');
    this.addLeafBuffer();
  }

  /** Adds the next leaf: an event's hash, the 32 bytes of `bytes` from `offset`. */
  addBytes(bytes: Buffer, offset: number): void {
    bytes.copy(this.leafBuffer, 1, offset, offset + 32);
    this.addLeafBuffer();
  }

  private addLeafBuffer(): void {
    this.push(this.count, 1, hash('sha256', this.leafBuffer, 'buffer'));
    this.count++;
    const wanted = this.checkpoints.get(this.count);
    if (wanted) this.settle(this.count, wanted);
  }

  private push(from: number, size: number, node: Buffer): void {
    const keep = this.wantedBlocks.size > 0;
    for (;;) {
      if (keep && this.wantedBlocks.has(blockKey(from, size))) this.blocks.set(blockKey(from, size), node);
      const top = this.stack[this.stack.length - 1];
      if (!top || top.size !== size) break;
      this.stack.pop();
      node = this.node(top.hash, node);
      from = top.from;
      size *= 2;
    }
    this.stack.push({ from, size, hash: node });
  }

  private node(left: Buffer, right: Buffer): Buffer {
    left.copy(this.nodeBuffer, 1);
    right.copy(this.nodeBuffer, 33);
    return hash('sha256', this.nodeBuffer, 'buffer');
  }

  /** The hash of leaves [from, count): the right-edge fold of the stack entries from `from` on. */
  private foldFrom(from: number): Buffer {
    let i = this.stack.length - 1;
    let node = this.stack[i]!.hash;
    while (--i >= 0 && this.stack[i]!.from >= from) node = this.node(this.stack[i]!.hash, node);
    return node;
  }

  private settle(size: number, indices: number[]): void {
    this.roots.set(size, this.foldFrom(0).toString('hex'));
    for (const index of indices) {
      const path = siblingRanges(index, 0, size).map(([from, to]) => (isPerfectBlock(from, to) ? this.blocks.get(blockKey(from, to - from))! : this.foldFrom(from)).toString('hex'));
      this.paths.set(`${index}:${size}`, path);
    }
  }

  /** MTH of the first `size` leaves (default: all leaves so far; a size passed must have been asked for in `roots` or `proofs`). */
  root(size = this.count): string {
    if (size === 0) return createHash('sha256').digest('hex');
    if (size === this.count) return this.foldFrom(0).toString('hex');
    const root = this.roots.get(size);
    if (root === undefined) throw new Error(`the root of ${size} leaves was not asked for, or not reached (${this.count} leaves given)`);
    return root;
  }

  /** PATH(index, D[0:size]), hex, deepest sibling first; the tree must have reached `size` leaves. */
  proof(index: number, size: number): string[] {
    const path = this.paths.get(`${index}:${size}`);
    if (!path) throw new Error(`no path of leaf ${index} in a tree of ${size} was asked for, or ${size} leaves were not given (${this.count} were)`);
    return path;
  }
}
