import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import { z } from 'zod';

/** Stream that holds the ledger's own seals. */
export const LEDGER_STREAM = 'ledger';
export const LEDGER_SEALED = 'ledger.sealed';

export const ledgerSealedSchema = z.object({
  fromPosition: z.number().int().positive(),
  toPosition: z.number().int().positive(),
  headHash: z.string().regex(/^[0-9a-f]{64}$/),
  merkleRoot: z.string().regex(/^[0-9a-f]{64}$/),
  algorithm: z.literal('ed25519'),
  /** SHA-256 fingerprint of the signer's public key (SPKI DER). */
  keyId: z.string().regex(/^[0-9a-f]{64}$/),
  /** Signer's public key, SPKI DER base64, so an export can be verified offline. */
  publicKey: z.string().min(1),
  signature: z.string().min(1),
});
export type LedgerSealed = z.infer<typeof ledgerSealedSchema>;

const sha256 = (...parts: Buffer[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** RFC 6962 Merkle Tree Hash over the segment's event hashes (leaf 0x00‖h, node 0x01‖l‖r). */
export function merkleRoot(leafHashesHex: string[]): string {
  if (leafHashesHex.length === 0) return sha256().toString('hex');
  let level: Buffer[] = leafHashesHex.map((h) => sha256(Buffer.from([0]), Buffer.from(h, 'hex')));
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i]!;
      const right = level[i + 1];
      // RFC 6962 splits at the largest power of two; promoting an odd node unchanged gives the same root.
      next.push(right ? sha256(Buffer.from([1]), left, right) : left);
    }
    level = next;
  }
  return level[0]!.toString('hex');
}

export const keyFingerprint = (publicKey: KeyObject) =>
  createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');

const signedPayload = (s: Pick<LedgerSealed, 'fromPosition' | 'toPosition' | 'headHash' | 'merkleRoot' | 'keyId'>) =>
  Buffer.from(
    canonicalJson({ fromPosition: s.fromPosition, toPosition: s.toPosition, headHash: s.headHash, merkleRoot: s.merkleRoot, keyId: s.keyId })!,
    'utf8',
  );

export function signSeal(
  segment: { fromPosition: number; toPosition: number; hashes: string[] },
  signingKey: KeyObject,
  verifyKey: KeyObject,
): LedgerSealed {
  const body = {
    fromPosition: segment.fromPosition,
    toPosition: segment.toPosition,
    headHash: segment.hashes[segment.hashes.length - 1]!,
    merkleRoot: merkleRoot(segment.hashes),
    keyId: keyFingerprint(verifyKey),
  };
  return {
    ...body,
    algorithm: 'ed25519',
    publicKey: verifyKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    signature: sign(null, signedPayload(body), signingKey).toString('base64'),
  };
}

/** Checks a seal's signature and, when given, that its key is trusted. */
export function checkSealSignature(seal: LedgerSealed, trustedKeyIds?: Set<string>): string | null {
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(seal.publicKey, 'base64'), format: 'der', type: 'spki' });
  } catch {
    return 'seal public key is unreadable';
  }
  if (keyFingerprint(publicKey) !== seal.keyId) return 'seal keyId does not match its public key';
  if (trustedKeyIds && !trustedKeyIds.has(seal.keyId)) return 'seal was signed by an untrusted key';
  if (!verify(null, signedPayload(seal), publicKey, Buffer.from(seal.signature, 'base64'))) return 'seal signature is invalid';
  return null;
}

/** Checks a seal's signature, its Merkle root over `hashes` and, when given, that its key is trusted. */
export function checkSeal(seal: LedgerSealed, hashes: string[], trustedKeyIds?: Set<string>): string | null {
  const signature = checkSealSignature(seal, trustedKeyIds);
  if (signature) return signature;
  if (hashes.length !== seal.toPosition - seal.fromPosition + 1) return 'seal segment is incomplete';
  if (hashes[hashes.length - 1] !== seal.headHash) return 'seal head hash does not match the ledger';
  if (merkleRoot(hashes) !== seal.merkleRoot) return 'seal Merkle root does not match the ledger';
  return null;
}
