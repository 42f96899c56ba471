import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { merkleRoot } from '../../../src/events/ledger-seal.js';
import { MerkleTreeStream, rootFromInclusionProof } from '../../../src/processors/exports/merkle-inclusion.js';

const sha = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const leaf = (i: number) => createHash('sha256').update(`event ${i}`).digest('hex');

// RFC 6962 §2.1 written out literally: MTH(D[n]) = SHA-256(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n])), k the largest power of two < n,
// and PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) for m < k, PATH(m − k, D[k:n]) : MTH(D[0:k]) otherwise.
function mth(d: string[]): Buffer {
  if (d.length === 1) return sha(Buffer.from([0]), Buffer.from(d[0]!, 'hex'));
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return sha(Buffer.from([1]), mth(d.slice(0, k)), mth(d.slice(k)));
}
function path(m: number, d: string[]): string[] {
  if (d.length === 1) return [];
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return m < k ? [...path(m, d.slice(0, k)), mth(d.slice(k)).toString('hex')] : [...path(m - k, d.slice(k)), mth(d.slice(0, k)).toString('hex')];
}

describe('RFC 6962 inclusion proofs', () => {
  it('match the literal definition for every leaf of trees of 1 to 40 leaves, and lead to the seal root', () => {
    for (let n = 1; n <= 40; n++) {
      const leaves = Array.from({ length: n }, (_, i) => leaf(i));
      const root = mth(leaves).toString('hex');
      expect(merkleRoot(leaves)).toBe(root);
      const tree = new MerkleTreeStream({ proofs: leaves.map((_, index) => ({ index, size: n })) });
      for (const l of leaves) tree.add(l);
      const proofs = new Map(leaves.map((_, i) => [i, tree.proof(i, n)]));
      for (let m = 0; m < n; m++) {
        expect(proofs.get(m)).toEqual(path(m, leaves));
        expect(rootFromInclusionProof(leaves[m]!, m, n, proofs.get(m)!)).toBe(root);
      }
      const streaming = new MerkleTreeStream();
      for (const l of leaves) streaming.add(l);
      expect(streaming.root()).toBe(root);
    }
  });

  it('one pass gives the roots and paths of every prefix tree asked for, as the literal definition does', () => {
    const leaves = Array.from({ length: 70 }, (_, i) => leaf(i));
    const sizes = [1, 2, 3, 5, 8, 13, 32, 33, 64, 69, 70];
    const wanted = sizes.flatMap((size) => [...new Set([0, size - 1, size >> 1, Math.min(size - 1, 7)])].map((index) => ({ index, size })));
    const fed = new MerkleTreeStream({ proofs: wanted, roots: sizes });
    for (const l of leaves) fed.add(l);
    for (const size of sizes) {
      const prefix = leaves.slice(0, size);
      expect(fed.root(size)).toBe(mth(prefix).toString('hex'));
      for (const { index } of wanted.filter((w) => w.size === size)) expect(fed.proof(index, size)).toEqual(path(index, prefix));
    }
    expect(() => fed.proof(3, 70)).toThrow(/no path of leaf 3 in a tree of 70/);
    expect(() => new MerkleTreeStream({ proofs: [{ index: 5, size: 5 }] })).toThrow(RangeError);
    const short = new MerkleTreeStream({ proofs: [{ index: 0, size: 10 }] });
    for (const l of leaves.slice(0, 9)) short.add(l);
    expect(() => short.proof(0, 10)).toThrow(/were not given/);
    expect(new MerkleTreeStream().root()).toBe(createHash('sha256').digest('hex'));
  });

  it('a proof does not verify for another leaf, another index or an altered sibling', () => {
    const leaves = Array.from({ length: 13 }, (_, i) => leaf(i));
    const root = merkleRoot(leaves);
    const tree = new MerkleTreeStream({ proofs: [{ index: 5, size: 13 }] });
    for (const l of leaves) tree.add(l);
    const proof = tree.proof(5, 13);
    expect(rootFromInclusionProof(leaves[5]!, 5, 13, proof)).toBe(root);
    expect(rootFromInclusionProof(leaves[6]!, 5, 13, proof)).not.toBe(root);
    expect(rootFromInclusionProof(leaves[5]!, 4, 13, proof)).not.toBe(root);
    expect(rootFromInclusionProof(leaves[5]!, 5, 13, [leaf(99), ...proof.slice(1)])).not.toBe(root);
    expect(rootFromInclusionProof(leaves[5]!, 13, 13, proof)).toBeNull();
    expect(rootFromInclusionProof(leaves[5]!, 5, 13, [...proof, proof[0]!])).toBeNull();
  });
});
