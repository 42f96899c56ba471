import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkSeal, checkSealSignature, keyFingerprint, ledgerSealedSchema, merkleRoot, signSeal } from '../../src/events/ledger-seal.js';

const sha256 = (...parts: Buffer[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

/**
 * RFC 6962 §2.1 as written: MTH({}) = SHA-256(), MTH({d0}) = SHA-256(0x00 ‖ d0), and for n > 1 with
 * k the largest power of two below n, MTH(D[n]) = SHA-256(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n])). The leaf
 * data here are the 32 raw bytes of each event hash. An independent recursive formulation of the
 * iterative pairing in ledger-seal.ts.
 */
function rfc6962(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return sha256(Buffer.from([0x00]), leaves[0]!);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha256(Buffer.from([0x01]), rfc6962(leaves.slice(0, k)), rfc6962(leaves.slice(k)));
}

const leafHex = (i: number) => createHash('sha256').update(`event ${i}`).digest('hex');

describe('merkleRoot (RFC 6962 Merkle Tree Hash over event hashes)', () => {
  it('of no leaves is SHA-256 of the empty string, the RFC 6962 empty tree hash', () => {
    // The SHA-256 of "" is the published constant e3b0c442…b855 (FIPS 180-2 examples).
    expect(merkleRoot([])).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('of one leaf is SHA-256(0x00 ‖ leaf bytes), not the leaf itself', () => {
    const h = 'ab'.repeat(32);
    const expected = createHash('sha256').update(Buffer.concat([Buffer.from([0]), Buffer.from(h, 'hex')])).digest('hex');
    expect(merkleRoot([h])).toBe(expected);
    expect(merkleRoot([h])).not.toBe(h);
  });

  it('of two leaves is SHA-256(0x01 ‖ leaf0 ‖ leaf1), with the leaf prefixes applied, written out by hand', () => {
    const [a, b] = ['11'.repeat(32), '22'.repeat(32)];
    const la = sha256(Buffer.from([0]), Buffer.from(a, 'hex'));
    const lb = sha256(Buffer.from([0]), Buffer.from(b, 'hex'));
    expect(merkleRoot([a, b])).toBe(sha256(Buffer.from([1]), la, lb).toString('hex'));
    // Order matters: the tree is not a set.
    expect(merkleRoot([b, a])).toBe(sha256(Buffer.from([1]), lb, la).toString('hex'));
  });

  it('of three leaves promotes the odd leaf: SHA-256(0x01 ‖ node(l0,l1) ‖ l2), as RFC 6962 splits at k = 2', () => {
    const hs = ['aa', 'bb', 'cc'].map((x) => x.repeat(32));
    const [l0, l1, l2] = hs.map((h) => sha256(Buffer.from([0]), Buffer.from(h, 'hex')));
    const n01 = sha256(Buffer.from([1]), l0!, l1!);
    expect(merkleRoot(hs)).toBe(sha256(Buffer.from([1]), n01, l2!).toString('hex'));
  });

  it('agrees with the recursive RFC 6962 definition for every size from 1 to 17 leaves', () => {
    for (let n = 1; n <= 17; n++) {
      const hs = Array.from({ length: n }, (_, i) => leafHex(i));
      expect(merkleRoot(hs), `${n} leaves`).toBe(rfc6962(hs.map((h) => Buffer.from(h, 'hex'))).toString('hex'));
    }
  });
});

describe('signSeal', () => {
  it('fills in the segment, its head hash, its Merkle root, the algorithm and the key fingerprint', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const hashes = [leafHex(1), leafHex(2)];
    const seal = signSeal({ fromPosition: 4, toPosition: 5, hashes }, privateKey, publicKey);
    // keyId: SHA-256 of the SPKI DER bytes, computed here directly.
    const der = publicKey.export({ type: 'spki', format: 'der' });
    expect(seal).toMatchObject({
      fromPosition: 4,
      toPosition: 5,
      headHash: hashes[1],
      merkleRoot: rfc6962(hashes.map((h) => Buffer.from(h, 'hex'))).toString('hex'),
      algorithm: 'ed25519',
      keyId: createHash('sha256').update(der).digest('hex'),
      publicKey: der.toString('base64'),
    });
    expect(keyFingerprint(publicKey)).toBe(seal.keyId);
    expect(ledgerSealedSchema.safeParse(seal).success).toBe(true);
  });
});

describe('checkSealSignature / checkSeal name what is wrong with a seal', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const hashes = [leafHex(10), leafHex(11), leafHex(12)];
  const seal = signSeal({ fromPosition: 10, toPosition: 12, hashes }, privateKey, publicKey);

  it('accepts a sound seal, with and without a set of trusted keys that holds its key', () => {
    expect(checkSealSignature(seal)).toBeNull();
    expect(checkSealSignature(seal, new Set([seal.keyId]))).toBeNull();
    expect(checkSeal(seal, hashes)).toBeNull();
    expect(checkSeal(seal, hashes, new Set(['0'.repeat(64), seal.keyId]))).toBeNull();
  });

  it('rejects a keyId that is not the fingerprint of the enclosed public key', () => {
    const forged = { ...seal, keyId: keyFingerprint(other.publicKey) };
    expect(checkSealSignature(forged)).toBe('seal keyId does not match its public key');
    // Checked before trust: even a trusted keyId does not excuse the mismatch.
    expect(checkSeal(forged, hashes, new Set([forged.keyId]))).toBe('seal keyId does not match its public key');
  });

  it('rejects a key that is not among the trusted ones', () => {
    expect(checkSealSignature(seal, new Set([keyFingerprint(other.publicKey)]))).toBe('seal was signed by an untrusted key');
    expect(checkSeal(seal, hashes, new Set())).toBe('seal was signed by an untrusted key');
  });

  it('rejects a signature that does not cover the seal fields (a field changed after signing, or another signer)', () => {
    expect(checkSealSignature({ ...seal, toPosition: 13 })).toBe('seal signature is invalid');
    // A seal signed by another key but claiming the right public key and keyId.
    const bySomeoneElse = signSeal({ fromPosition: 10, toPosition: 12, hashes }, other.privateKey, publicKey);
    expect(checkSeal(bySomeoneElse, hashes)).toBe('seal signature is invalid');
  });

  it('reports the signature problem first, before looking at the hashes', () => {
    expect(checkSeal({ ...seal, merkleRoot: 'f'.repeat(64) }, [])).toBe('seal signature is invalid');
  });

  it('rejects a correctly signed seal whose segment is not complete in the ledger', () => {
    expect(checkSeal(seal, hashes.slice(0, 2))).toBe('seal segment is incomplete');
    expect(checkSeal(seal, [...hashes, leafHex(13)])).toBe('seal segment is incomplete');
  });

  it('rejects a correctly signed seal whose head hash is not the last event hash of the segment', () => {
    expect(checkSeal(seal, [hashes[0]!, hashes[1]!, leafHex(99)])).toBe('seal head hash does not match the ledger');
  });

  it('rejects a correctly signed seal whose Merkle root does not cover the segment (head intact, earlier event changed)', () => {
    expect(checkSeal(seal, [leafHex(99), hashes[1]!, hashes[2]!])).toBe('seal Merkle root does not match the ledger');
    // Swapping two leaves keeps the set of hashes but not the root.
    expect(checkSeal(seal, [hashes[1]!, hashes[0]!, hashes[2]!])).toBe('seal Merkle root does not match the ledger');
  });
});
