import { createHmac, randomUUID } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { handleCommand } from '../../commands/command-handler.js';
import { documentDecider, documentStreamId, type DocumentFormat } from '../../commands/document/document.decider.js';
import type { Actor } from '../../events/envelope.js';
import type { StoredBlob } from '../../platform/blob-storage.js';
import { CHUNKS_TABLE, deleteChunksOf, documentWithContent, insertChunks, isUniqueViolation, type ChunkRow } from './document-chunks.js';
import type { DocumentLibrary } from './document-library.js';
import { CONTENT_TYPES, extractDocumentText } from './document-text.js';
import { CHUNK_TOKENIZER, chunkByTokens } from './token-chunker.js';

export type DocumentUploadInput = {
  blob: StoredBlob;
  filename: string | null;
  format: DocumentFormat;
  title?: string;
  metadata: Record<string, string | number | boolean>;
  /** The data subject the document is about, when it holds personal data. */
  subjectId?: string;
  uploadedBy: string;
  actor: Actor;
  correlationId?: string;
};

export type DocumentUploadResult =
  | { deduplicated: false; documentId: string; position: number; chunks: number; tokens: number; embedder: { id: string; dimensions: number } }
  | { deduplicated: true; documentId: string };

/** The document has no text to retrieve (an empty file, a PDF of scans without a text layer). */
export class EmptyDocument extends Error {
  constructor() {
    super('the document holds no text (a PDF of scanned pages has no text layer; OCR is not done here)');
    this.name = 'EmptyDocument';
  }
}

async function discardPersonalFile(library: DocumentLibrary, blob: StoredBlob): Promise<void> {
  // Kept only when an ordinary document has the same bytes (it is then that document's file).
  if (!(await documentWithContent(library.knex, blob.sha256))) await library.blobs.delete(blob.sha256);
}

/**
 * Parses a stored upload, cuts its text into token chunks, embeds them, indexes them and records
 * `document.uploaded`. Content already in the library answers its document (nothing recorded).
 * A personal document's text and file name go into the event sealed under its subject's key and
 * its file is not kept. Any failure leaves neither chunks nor an event behind.
 */
export async function uploadDocument(library: DocumentLibrary, input: DocumentUploadInput): Promise<DocumentUploadResult> {
  const personal = input.subjectId !== undefined;
  try {
    const bytes = await buffer(await library.blobs.open(input.blob.sha256));
    const text = await extractDocumentText(bytes, input.format);
    const contentDigest = personal ? createHmac('sha256', library.personalDigestKey).update(bytes).digest('hex') : input.blob.sha256;
    const existing = await documentWithContent(library.knex, contentDigest);
    if (existing) {
      if (personal) await discardPersonalFile(library, input.blob);
      return { deduplicated: true, documentId: existing };
    }
    const { chunks, tokens } = chunkByTokens(text, library.chunking);
    if (chunks.length === 0) throw new EmptyDocument();
    const embeddings = await library.embedder.embed(chunks.map((c) => c.text));
    const documentId = randomUUID();
    // Sealed before anything is written: an erased subject refuses (SubjectErased) with nothing kept.
    const sealed = personal ? await library.vault.seal(input.subjectId!, { text, filename: input.filename }) : null;
    const rows: ChunkRow[] = chunks.map((c, i) => ({
      chunkId: randomUUID(),
      documentId,
      ordinal: c.ordinal,
      contentDigest,
      text: c.text,
      tokenStart: c.tokenStart,
      tokenEnd: c.tokenEnd,
      metadata: input.metadata,
      subjectId: input.subjectId ?? null,
      embedder: library.embedder.id,
      embedding: embeddings[i]!,
    }));
    try {
      await library.knex.transaction((trx) => insertChunks(trx, rows));
    } catch (error) {
      // The same content uploaded at the same moment: the other upload's document answers.
      if (!isUniqueViolation(error)) throw error;
      const winner = await documentWithContent(library.knex, contentDigest);
      if (!winner) throw error;
      if (personal) await discardPersonalFile(library, input.blob);
      return { deduplicated: true, documentId: winner };
    }
    const embedder = { id: library.embedder.id, dimensions: library.embedder.dimensions };
    let position: number;
    try {
      const result = await handleCommand(library, documentDecider, documentStreamId(documentId), {
        type: 'UploadDocument',
        documentId,
        title: input.title ?? (personal ? 'Personal document' : (input.filename?.replace(/\.[^.]*$/, '') || 'Untitled')).slice(0, 300),
        format: input.format,
        contentType: CONTENT_TYPES[input.format],
        size: input.blob.size,
        contentDigest,
        blob: personal ? null : { store: library.blobs.kind, sha256: input.blob.sha256 },
        filename: personal ? null : input.filename,
        metadata: input.metadata,
        personalData: sealed ? { subjectId: input.subjectId!, content: sealed } : null,
        chunking: { tokenizer: CHUNK_TOKENIZER, chunkTokens: library.chunking.chunkTokens, overlapTokens: library.chunking.overlapTokens, chunks: chunks.length, tokens },
        embedder,
        uploadedBy: input.uploadedBy,
      }, { actor: input.actor, correlationId: input.correlationId });
      position = result.position;
    } catch (error) {
      await deleteChunksOf(library.knex, documentId);
      throw error;
    }
    if (personal) await discardPersonalFile(library, input.blob);
    return { deduplicated: false, documentId, position, chunks: chunks.length, tokens, embedder };
  } catch (error) {
    // A file stored only for this upload goes with its refusal; one that was already stored stays.
    if (input.blob.created && !(await library.knex(CHUNKS_TABLE).where('content_digest', input.blob.sha256).first())) await library.blobs.delete(input.blob.sha256).catch(() => undefined);
    throw error;
  }
}
