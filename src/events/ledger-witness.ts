import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import { z } from 'zod';
import { keyFingerprint } from './ledger-seal.js';

const hash = z.string().regex(/^[0-9a-f]{64}$/);

/**
 * What a server has promised about the ledger's tail, kept outside the database: the highest position
 * it acknowledged to a caller (with that event's hash) and the end of the last segment it sealed.
 * The ledger can only grow, so a head below it, or another hash at that position, means rows were
 * deleted or rewritten. Signed with the seal key so that editing the file needs that key too.
 */
export const ledgerWitnessSchema = z.object({
  format: z.literal('raia.ledger-witness.v1'),
  acknowledged: z.object({ position: z.number().int().positive(), hash }),
  sealed: z.object({ toPosition: z.number().int().positive(), headHash: hash }).nullable(),
  writtenAt: z.iso.datetime(),
  algorithm: z.literal('ed25519'),
  keyId: hash,
  /** Signer's public key, SPKI DER base64 (after a key rotation the old key's id must be trusted). */
  publicKey: z.string().min(1),
  signature: z.string().min(1),
});
export type LedgerWitness = z.infer<typeof ledgerWitnessSchema>;

export type WitnessBody = Pick<LedgerWitness, 'acknowledged' | 'sealed'>;

/** The witness as `verify` applies it: a lower bound on the ledger's head. */
export type WitnessFloor = WitnessBody & {
  /** When the witness file was last written; null while the bound is only in this process's memory. */
  writtenAt: string | null;
  /** Why the witness file was not trusted (it is then moved aside); `verify` fails with it. */
  problem: string | null;
};

const signedPayload = (w: Pick<LedgerWitness, 'format' | 'acknowledged' | 'sealed' | 'writtenAt' | 'keyId'>) =>
  Buffer.from(canonicalJson({ format: w.format, acknowledged: w.acknowledged, sealed: w.sealed, writtenAt: w.writtenAt, keyId: w.keyId })!, 'utf8');

export function signWitness(body: WitnessBody, writtenAt: Date, signingKey: KeyObject, verifyKey: KeyObject): LedgerWitness {
  const signed = { format: 'raia.ledger-witness.v1' as const, acknowledged: body.acknowledged, sealed: body.sealed, writtenAt: writtenAt.toISOString(), keyId: keyFingerprint(verifyKey) };
  return {
    ...signed,
    algorithm: 'ed25519',
    publicKey: verifyKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    signature: sign(null, signedPayload(signed), signingKey).toString('base64'),
  };
}

/** Parses a witness and checks its signature and signer; answers the witness or why it is not trusted. */
export function checkWitness(value: unknown, trustedKeyIds: Set<string>): { witness: LedgerWitness } | { problem: string } {
  const parsed = ledgerWitnessSchema.safeParse(value);
  if (!parsed.success) return { problem: 'malformed witness' };
  const witness = parsed.data;
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(witness.publicKey, 'base64'), format: 'der', type: 'spki' });
  } catch {
    return { problem: 'witness public key is unreadable' };
  }
  if (publicKey.asymmetricKeyType !== 'ed25519' || keyFingerprint(publicKey) !== witness.keyId) return { problem: 'witness keyId does not match its public key' };
  if (!trustedKeyIds.has(witness.keyId)) return { problem: 'witness was signed by an untrusted key' };
  if (!verify(null, signedPayload(witness), publicKey, Buffer.from(witness.signature, 'base64'))) return { problem: 'witness signature is invalid' };
  return { witness };
}
