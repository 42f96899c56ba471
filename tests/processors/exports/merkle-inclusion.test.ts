import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { merkleRoot } from '../../../src/events/ledger-seal.js';
import { StreamingInclusionProofs, StreamingMerkleRoot, inclusionProofs, rootFromInclusionProof } from '../../../src/processors/exports/merkle-inclusion.js';

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
      const proofs = inclusionProofs(leaves, leaves.map((_, i) => i));
      for (let m = 0; m < n; m++) {
        expect(proofs.get(m)).toEqual(path(m, leaves));
        expect(rootFromInclusionProof(leaves[m]!, m, n, proofs.get(m)!)).toBe(root);
      }
      const fed = new StreamingInclusionProofs(n, [0, n - 1, n >> 1]);
      for (const l of leaves) fed.add(l);
      for (const [m, p] of fed.proofs()) expect(p).toEqual(path(m, leaves));
      const streaming = new StreamingMerkleRoot();
      for (const l of leaves) streaming.add(l);
      expect(streaming.root()).toBe(root);
    }
  });

  it('a proof does not verify for another leaf, another index or an altered sibling', () => {
    const leaves = Array.from({ length: 13 }, (_, i) => leaf(i));
    const root = merkleRoot(leaves);
    const proof = inclusionProofs(leaves, [5]).get(5)!;
    expect(rootFromInclusionProof(leaves[5]!, 5, 13, proof)).toBe(root);
    expect(rootFromInclusionProof(leaves[6]!, 5, 13, proof)).not.toBe(root);
    expect(rootFromInclusionProof(leaves[5]!, 4, 13, proof)).not.toBe(root);
    expect(rootFromInclusionProof(leaves[5]!, 5, 13, [leaf(99), ...proof.slice(1)])).not.toBe(root);
    expect(rootFromInclusionProof(leaves[5]!, 13, 13, proof)).toBeNull();
    expect(rootFromInclusionProof(leaves[5]!, 5, 13, [...proof, proof[0]!])).toBeNull();
  });
});
