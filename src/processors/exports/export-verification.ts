import { open } from 'node:fs/promises';
import { eventHash } from '../../events/hash-chain.js';
import { checkSealSignature } from '../../events/ledger-seal.js';
import type { ContentDigest, ExportRenderer } from './export-document.js';
import { MANIFEST_FORMAT, checkManifestSignature, storedEventOf, type EvidenceManifest, type ProvenEvent } from './evidence-manifest.js';
import { rootFromInclusionProof } from './merkle-inclusion.js';
import { CSV_MANIFEST_ENTRY } from './csv-bundle-renderer.js';
import { eachZipEntry } from './zip-entries.js';

export type VerificationReport = {
  ok: boolean;
  /** Each tampering or inconsistency found, naming what it is about. */
  problems: string[];
  /** What was checked and held. */
  passed: string[];
  exportId: string | null;
  kind: string | null;
  format: string | null;
  generatedAt: string | null;
  ledgerHead: { position: number; hash: string } | null;
  signerKeyId: string | null;
  eventsChecked: number;
  contentsChecked: number;
};

const short = (id: string) => `${id.slice(0, 8)}…`;

/** Checks one proven event: its hash over its own content, and its audit path to its seal's Merkle root. */
function checkEvent(manifest: EvidenceManifest, proven: ProvenEvent, problems: string[]): void {
  const e = proven.envelope;
  const label = `event ${short(String(e.id))} at position ${e.position}`;
  let stored;
  try {
    stored = storedEventOf(e);
    const { hash: _hash, ...unhashed } = stored;
    if (eventHash(unhashed) !== e.hash) problems.push(`${label}: hash does not match its content`);
  } catch {
    problems.push(`${label}: its envelope is unreadable`);
    return;
  }
  const seal = manifest.seals[proven.seal]?.seal;
  if (!seal) return void problems.push(`${label}: names no seal of the manifest`);
  if (e.position < seal.fromPosition || e.position > seal.toPosition || proven.leafIndex !== e.position - seal.fromPosition) {
    return void problems.push(`${label}: is not in the segment of the seal it names (${seal.fromPosition}–${seal.toPosition})`);
  }
  const root = rootFromInclusionProof(e.hash, proven.leafIndex, seal.toPosition - seal.fromPosition + 1, proven.proof);
  if (root !== seal.merkleRoot) problems.push(`${label}: inclusion proof does not lead to the seal's Merkle root`);
}

/**
 * Verifies an evidence manifest and the content digests recomputed from the file it came in,
 * with nothing but the manifest itself (no server, no database): the manifest's Ed25519
 * signature, each seal's signature, each event's hash (hash-chain.ts eventHash) and RFC 6962
 * inclusion proof, the head against the latest seal, and every content part's SHA-256.
 * Every problem is listed, not only the first, each naming what was tampered with.
 */
export function verifyManifest(manifestBytes: Buffer, contents: ContentDigest[], options: { trustedKeyIds?: Set<string> } = {}): VerificationReport {
  const problems: string[] = [];
  const passed: string[] = [];
  const report = (m: Partial<EvidenceManifest> | null, eventsChecked = 0): VerificationReport => ({
    ok: problems.length === 0,
    problems,
    passed,
    exportId: m?.exportId ?? null,
    kind: m?.kind ?? null,
    format: m?.fileFormat ?? null,
    generatedAt: m?.generatedAt ?? null,
    ledgerHead: m?.ledgerHead ?? null,
    signerKeyId: m?.signature?.keyId ?? null,
    eventsChecked,
    contentsChecked: contents.length,
  });
  let manifest: EvidenceManifest;
  try {
    manifest = JSON.parse(manifestBytes.toString('utf8')) as EvidenceManifest;
  } catch {
    problems.push('manifest is not readable JSON');
    return report(null);
  }
  if (manifest?.format !== MANIFEST_FORMAT || !Array.isArray(manifest.seals) || !Array.isArray(manifest.events) || !Array.isArray(manifest.contents) || !manifest.signature) {
    problems.push(`manifest is not a ${MANIFEST_FORMAT} manifest`);
    return report(manifest && typeof manifest === 'object' ? manifest : null);
  }

  const signature = checkManifestSignature(manifest);
  if (signature) problems.push(signature);
  else passed.push(`manifest signature (Ed25519, key ${manifest.signature.keyId.slice(0, 16)}…)`);
  if (options.trustedKeyIds && !options.trustedKeyIds.has(manifest.signature.keyId)) problems.push('manifest was signed by an untrusted key');

  manifest.seals.forEach((s, i) => {
    const why = checkSealSignature(s.seal, options.trustedKeyIds);
    if (why) problems.push(`seal at position ${s.position} (${s.seal.fromPosition}–${s.seal.toPosition}): ${why}`);
    else if (s.seal.keyId !== manifest.signature.keyId) problems.push(`seal at position ${s.position} was signed by another key than the manifest`);
    else passed.push(`seal ${i + 1} of ${manifest.seals.length} (positions ${s.seal.fromPosition}–${s.seal.toPosition}) signature`);
  });
  const latest = manifest.seals[manifest.latestSeal]?.seal;
  if (!latest) problems.push('manifest names no latest seal');
  else if (latest.toPosition !== manifest.ledgerHead?.position || latest.headHash !== manifest.ledgerHead?.hash) problems.push('ledger head does not match the latest seal');
  else passed.push(`ledger head ${manifest.ledgerHead.position} is the latest seal's head`);

  const before = problems.length;
  for (const proven of manifest.events) checkEvent(manifest, proven, problems);
  let eventsChecked = manifest.events.length;
  const range = manifest.range;
  if (range) {
    for (const end of [range.first, range.last]) if (end) checkEvent(manifest, end, problems);
    eventsChecked += (range.first ? 1 : 0) + (range.last ? 1 : 0);
    if (range.count > 0 && (range.first?.envelope.position !== range.fromPosition || range.last?.envelope.position !== range.toPosition)) problems.push('range: its first or last event is not at the range\'s ends');
    if (range.toPosition > manifest.ledgerHead.position) problems.push('range: it reaches past the sealed ledger head');
  }
  if (problems.length === before) passed.push(`${eventsChecked} event hash(es) and inclusion proof(s)`);

  const recomputed = new Map(contents.map((c) => [c.name, c.sha256]));
  for (const c of manifest.contents) {
    const found = recomputed.get(c.name);
    if (found === undefined) problems.push(`content ${c.name} is missing from the file`);
    else if (found !== c.sha256) problems.push(`content ${c.name} does not match its digest`);
    else passed.push(`content ${c.name}`);
  }
  const listed = new Set(manifest.contents.map((c) => c.name));
  for (const c of contents) if (!listed.has(c.name)) problems.push(`content ${c.name} is not in the manifest`);
  return report(manifest, eventsChecked);
}

/** Which renderer reads a file: PDF by its header; a ZIP as XLSX when it holds a workbook part, as a CSV bundle when it holds manifest.json. */
export async function rendererFor(file: string, renderers: ReadonlyMap<string, ExportRenderer>): Promise<ExportRenderer | null> {
  const handle = await open(file, 'r');
  let start: Buffer;
  try {
    const head = Buffer.alloc(5);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    start = head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  if (start.toString('latin1') === '%PDF-') return renderers.get('pdf') ?? null;
  if (start.subarray(0, 2).toString('latin1') !== 'PK') return null;
  const names = new Set<string>();
  await eachZipEntry(file, async (name, stream) => {
    names.add(name);
    stream.resume();
  });
  if (names.has('xl/workbook.xml')) return renderers.get('xlsx') ?? null;
  if (names.has(CSV_MANIFEST_ENTRY)) return renderers.get('csv') ?? null;
  return null;
}

/** Verifies an exported file (PDF, XLSX, CSV bundle) offline, against the manifest embedded in it. */
export async function verifyExportFile(file: string, renderers: ReadonlyMap<string, ExportRenderer>, options: { trustedKeyIds?: Set<string> } = {}): Promise<VerificationReport> {
  const empty = (problem: string): VerificationReport => ({ ok: false, problems: [problem], passed: [], exportId: null, kind: null, format: null, generatedAt: null, ledgerHead: null, signerKeyId: null, eventsChecked: 0, contentsChecked: 0 });
  const renderer = await rendererFor(file, renderers).catch(() => null);
  if (!renderer) return empty('the file is not a RAIA export this build can read (PDF, XLSX or CSV bundle)');
  let inspected;
  try {
    inspected = await renderer.inspect(file);
  } catch (error) {
    return empty(`the ${renderer.format.toUpperCase()} file cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  return verifyManifest(inspected.manifest, inspected.contents, options);
}
