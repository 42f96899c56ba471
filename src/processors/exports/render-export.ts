import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import type { ExportRequest, ExportResult } from '../../commands/export/export.decider.js';
import type { StoredEvent } from '../../events/envelope.js';
import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { EventStore } from '../../events/event-store.js';
import type { PersonalDataVault } from '../../events/personal-data.js';
import type { BlobStorage } from '../../platform/blob-storage.js';
import type { LedgerSealer } from '../ledger-sealer.js';
import { ExportInputError, exportBuilders, type BuiltExport } from './export-builders.js';
import { pagesOf, rowPages } from './document-tables.js';
import { CsvRecordBytes, type ContentDigest, type CsvRowPages, type ExportDocument, type ExportFormat, type ExportRenderer, type TableRows } from './export-document.js';
import { MANIFEST_FORMAT, compactSeals, envelopeJson, proveEvents, readSeals, signManifest, type EvidenceManifest, type ProvenEvent } from './evidence-manifest.js';

export type ExportDependencies = {
  store: EventStore;
  catalogue: EventCatalogue;
  vault: PersonalDataVault;
  blobs: BlobStorage;
  sealer: Pick<LedgerSealer, 'sealNow'>;
  keys: { signingKey: KeyObject; verifyKey: KeyObject };
  renderers: ReadonlyMap<ExportFormat, ExportRenderer>;
  /** Where files are rendered before they go to blob storage. */
  workDir: string;
  maxBytes: number;
};

/** Why a job cannot be rendered, said to the requester as `export.failed`'s reason. */
export class ExportRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportRefused';
  }
}

async function collect<T>(items: T[] | AsyncIterable<T>): Promise<T[]> {
  if (Array.isArray(items)) return items;
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** The event at a ledger position (a range's end: the pass over the range may have kept only its position and hash). */
async function eventAt(store: EventStore, position: number): Promise<StoredEvent> {
  const [event] = await store.readAll({ after: position - 1, to: position, limit: 1 });
  if (event?.position !== position) throw new Error(`the ledger has no event at position ${position}`);
  return event;
}

/** Counts rows as the renderer pulls them, for the job's progress. */
function counted(document: ExportDocument, onRows: (count: number) => void): ExportDocument {
  const wrap = (rows: TableRows): TableRows =>
    pagesOf({
      async *[Symbol.asyncIterator]() {
        for await (const page of rowPages(rows)) {
          onRows(page.length);
          yield page;
        }
      },
    });
  const wrapCsv = (rows: CsvRowPages): CsvRowPages =>
    pagesOf({
      async *[Symbol.asyncIterator]() {
        for await (const page of rows.pages) {
          onRows(page.reduce((n, r) => n + (r instanceof CsvRecordBytes ? r.count : 1), 0));
          yield page;
        }
      },
    });
  return {
    ...document,
    sections: document.sections.map((s) => ({
      ...s,
      blocks: s.blocks.map((b) => (b.kind === 'table' ? { ...b, rows: wrap(b.rows), ...(b.csvRows ? { csvRows: wrapCsv(b.csvRows) } : {}) } : b)),
    })),
  };
}

/**
 * Renders one export: seals the ledger (so every event the file reports is under a signed seal),
 * builds the document up to that sealed head, renders it with the evidence manifest, and stores
 * the file in blob storage. Returns what `export.completed` records.
 */
export async function renderExport(deps: ExportDependencies, request: ExportRequest, options: { onRows?: (count: number) => void } = {}): Promise<ExportResult> {
  const started = performance.now();
  const builder = exportBuilders[request.kind];
  if (!builder) throw new ExportRefused(`unsupported kind: ${request.kind} exports are not available in this build`);
  const renderer = deps.renderers.get(request.format);
  if (!renderer) throw new ExportRefused(`no ${request.format.toUpperCase()} renderer is installed in this build`);

  await deps.sealer.sealNow();
  const seals = await readSeals(deps.store);
  const latest = seals.length - 1;
  if (latest < 0) throw new Error('the ledger has no seal to prove the export against');
  const head = { position: seals[latest]!.seal.toPosition, hash: seals[latest]!.seal.headHash };

  let built: BuiltExport;
  try {
    built = await builder({ store: deps.store, catalogue: deps.catalogue, vault: deps.vault, view: request.personalData, upTo: head.position, seals }, request.params);
  } catch (error) {
    if (error instanceof ExportInputError) throw new ExportRefused(error.message);
    throw error;
  }
  const generatedAt = new Date().toISOString();
  const manifestFor = async (contents: ContentDigest[]): Promise<Buffer> => {
    const evidence: StoredEvent[] = await collect(built.document.evidence);
    const range = built.range ? { evidence: built.range, ...(await built.range.finish(deps.store)) } : null;
    // A range's ends come proven from the pass over it when it was contiguous; else they are proven here.
    const ends = range?.evidence.first && range.evidence.last ? await Promise.all([eventAt(deps.store, range.evidence.first.position), eventAt(deps.store, range.evidence.last.position)]) : [];
    const endsProven: ProvenEvent[] = range?.ends
      ? [range.ends.first, range.ends.last].map((p, i) => ({ envelope: envelopeJson(ends[i]!), seal: p.seal, leafIndex: p.leafIndex, proof: p.proof }))
      : await proveEvents(deps.store, seals, ends);
    const proven = [...(await proveEvents(deps.store, seals, evidence)), ...endsProven];
    const used = compactSeals(seals, latest, proven);
    const listed = proven.slice(0, evidence.length).map(used.remap);
    const [first, last] = proven.slice(evidence.length).map(used.remap);
    const manifest: EvidenceManifest = signManifest(
      {
        format: MANIFEST_FORMAT,
        exportId: request.exportId,
        kind: request.kind,
        fileFormat: request.format,
        params: request.params,
        generatedAt,
        ledgerHead: head,
        seals: used.seals,
        latestSeal: used.latestSeal,
        events: listed,
        range: range ? { fromPosition: range.evidence.first?.position ?? 0, toPosition: range.evidence.last?.position ?? 0, count: range.count, merkleRoot: range.root, first: first ?? null, last: last ?? null } : null,
        contents,
      },
      deps.keys.signingKey,
      deps.keys.verifyKey,
    );
    return Buffer.from(JSON.stringify(manifest), 'utf8');
  };

  await mkdir(deps.workDir, { recursive: true });
  const file = join(deps.workDir, `${request.exportId}-${randomUUID()}.${renderer.extension}`);
  try {
    const out = createWriteStream(file, { mode: 0o600 });
    try {
      await renderer.render(options.onRows ? counted(built.document, options.onRows) : built.document, manifestFor, out);
    } finally {
      if (!out.writableEnded) out.end();
      await finished(out).catch(() => undefined);
    }
    const stored = await deps.blobs.put(createReadStream(file), { maxBytes: deps.maxBytes });
    return {
      exportId: request.exportId,
      sha256: stored.sha256,
      size: stored.size,
      blob: { store: deps.blobs.kind, sha256: stored.sha256 },
      contentType: renderer.contentType,
      filename: `raia-${request.kind}-${request.exportId}.${renderer.extension}`,
      ledgerHead: head,
      subjects: [...new Set(built.document.subjects)].sort(),
      elapsedMs: Math.round(performance.now() - started),
    };
  } finally {
    await rm(file, { force: true });
  }
}
