import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from '../../events/canonical-json.js';
import type { JsonObject, StoredEvent } from '../../events/envelope.js';
import type { EventStore } from '../../events/event-store.js';
import { LEDGER_STREAM, keyFingerprint, type LedgerSealed } from '../../events/ledger-seal.js';
import type { ContentDigest, ExportFormat, ExportKind } from './export-document.js';
import { eachHash } from '../../events/bulk-ledger-reads.js';
import { MerkleTreeStream } from './merkle-inclusion.js';

export const MANIFEST_FORMAT = 'raia-export-manifest/v1';

/** A stored event as JSON: the sealed form the chain hashes (personal fields are ciphertext, never plaintext). */
export type EnvelopeJson = Omit<StoredEvent, 'occurredAt'> & { occurredAt: string };

/** One event the export reports, with its RFC 6962 audit path to the Merkle root of the seal covering it. */
export type ProvenEvent = {
  envelope: EnvelopeJson;
  /** Index into `seals`. */
  seal: number;
  /** The event's leaf index in that seal's segment (position − fromPosition). */
  leafIndex: number;
  proof: string[];
};

/**
 * An audit-log export refers to its events as a range instead of listing them: the events ARE the
 * content (each row carries position, hash and prevHash), so listing a million envelopes would
 * double the file. The range commits to the exact list of rows by the RFC 6962 root over their
 * hashes, and proves its two ends against the seals.
 */
export type EvidenceRange = {
  fromPosition: number;
  toPosition: number;
  count: number;
  /** RFC 6962 Merkle Tree Hash over the hashes of the events in the export, in position order. */
  merkleRoot: string;
  first: ProvenEvent | null;
  last: ProvenEvent | null;
};

export type SealRef = { position: number; seal: LedgerSealed };

export type EvidenceManifest = {
  format: typeof MANIFEST_FORMAT;
  exportId: string;
  kind: ExportKind;
  fileFormat: ExportFormat;
  params: JsonObject;
  generatedAt: string;
  /** The sealed head the export was built from: the latest seal's last position and hash. */
  ledgerHead: { position: number; hash: string };
  /** Every seal an event below is proven against; `latestSeal` indexes the one that closes at `ledgerHead`. */
  seals: SealRef[];
  latestSeal: number;
  events: ProvenEvent[];
  range: EvidenceRange | null;
  contents: ContentDigest[];
  signature: { algorithm: 'ed25519'; keyId: string; publicKey: string; value: string };
};

export const envelopeJson = (e: StoredEvent): EnvelopeJson => ({ ...e, occurredAt: e.occurredAt.toISOString() });
export const storedEventOf = (e: EnvelopeJson): StoredEvent => ({ ...e, occurredAt: new Date(e.occurredAt) });

/** What the signature covers: the whole manifest, with the signature's own value left out. */
export function signedManifestBytes(manifest: EvidenceManifest): Buffer {
  const { signature, ...rest } = manifest;
  const text = canonicalJson({ ...rest, signature: { algorithm: signature.algorithm, keyId: signature.keyId, publicKey: signature.publicKey } });
  if (text === undefined) throw new Error('manifest is not serialisable');
  return Buffer.from(text, 'utf8');
}

export function signManifest(unsigned: Omit<EvidenceManifest, 'signature'>, signingKey: KeyObject, verifyKey: KeyObject): EvidenceManifest {
  const manifest: EvidenceManifest = {
    ...unsigned,
    signature: { algorithm: 'ed25519', keyId: keyFingerprint(verifyKey), publicKey: verifyKey.export({ type: 'spki', format: 'der' }).toString('base64'), value: '' },
  };
  manifest.signature.value = sign(null, signedManifestBytes(manifest), signingKey).toString('base64');
  return manifest;
}

/** Null when the manifest's signature verifies under the key it names; else why not. */
export function checkManifestSignature(manifest: EvidenceManifest): string | null {
  try {
    const key = createPublicKey({ key: Buffer.from(manifest.signature.publicKey, 'base64'), format: 'der', type: 'spki' });
    if (keyFingerprint(key) !== manifest.signature.keyId) return 'manifest signature invalid: its keyId does not match its public key';
    return verify(null, signedManifestBytes(manifest), key, Buffer.from(manifest.signature.value, 'base64')) ? null : 'manifest signature invalid';
  } catch {
    return 'manifest signature invalid';
  }
}

/** Seals of the ledger (oldest first) and the sealed head they reach. */
export async function readSeals(store: EventStore): Promise<SealRef[]> {
  const events = await store.readStream(LEDGER_STREAM);
  return events.map((e) => ({ position: e.position, seal: e.data as unknown as LedgerSealed }));
}

/** The index of the seal whose segment holds `position`, or -1. */
export function sealCovering(seals: SealRef[], position: number): number {
  return seals.findIndex((s) => s.seal.fromPosition <= position && position <= s.seal.toPosition);
}

/**
 * Proves events against the seals covering them: one pass over each seal segment's hashes (only
 * positions and hashes are read) gives every audit path needed in it. Events past the last seal
 * cannot be proven (the caller seals first).
 */
export async function proveEvents(store: EventStore, seals: SealRef[], events: StoredEvent[]): Promise<ProvenEvent[]> {
  const bySeal = new Map<number, StoredEvent[]>();
  for (const e of events) {
    const index = sealCovering(seals, e.position);
    if (index < 0) throw new Error(`event at position ${e.position} is not covered by a seal`);
    bySeal.set(index, [...(bySeal.get(index) ?? []), e]);
  }
  const proven = new Map<string, ProvenEvent>();
  for (const [index, covered] of bySeal) {
    const { fromPosition, toPosition } = seals[index]!.seal;
    const size = toPosition - fromPosition + 1;
    const tree = new MerkleTreeStream({ proofs: covered.map((e) => ({ index: e.position - fromPosition, size })) });
    await eachHash(store, fromPosition - 1, toPosition, (e) => tree.add(e.hash));
    for (const e of covered) proven.set(e.id, { envelope: envelopeJson(e), seal: index, leafIndex: e.position - fromPosition, proof: tree.proof(e.position - fromPosition, size) });
  }
  return events.map((e) => proven.get(e.id)!);
}

/** The seals actually referenced, re-indexed, with the latest kept: a manifest carries no seal it does not use. */
export function compactSeals(seals: SealRef[], latest: number, proven: ProvenEvent[]): { seals: SealRef[]; latestSeal: number; remap: (p: ProvenEvent) => ProvenEvent } {
  const used = [...new Set([...proven.map((p) => p.seal), latest])].sort((a, b) => a - b);
  const index = new Map(used.map((u, i) => [u, i]));
  return { seals: used.map((u) => seals[u]!), latestSeal: index.get(latest)!, remap: (p) => ({ ...p, seal: index.get(p.seal)! }) };
}
