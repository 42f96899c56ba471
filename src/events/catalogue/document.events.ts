import { z } from 'zod';
import { defineEvent } from '../event-catalogue.js';
import { personal } from '../field-classification.js';
import { sealedField } from './user.events.js';

export const DOCUMENT_FORMATS = ['text', 'markdown', 'html', 'pdf', 'docx'] as const;
export const DOCUMENT_DELETION_REASONS = ['requested', 'subject-erased'] as const;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const metadataValue = z.union([z.string().max(500), z.number(), z.boolean()]);
/** Flat key → value pairs a search can filter on (`filter: { department: "risk" }`). */
export const documentMetadata = z.record(z.string().min(1).max(100), metadataValue);

/** How a document's text was cut and embedded: enough to reproduce its chunks from its text. */
export const chunkingRecord = z.object({
  tokenizer: z.string(),
  chunkTokens: z.number().int().positive(),
  overlapTokens: z.number().int().nonnegative(),
  chunks: z.number().int().nonnegative(),
  tokens: z.number().int().nonnegative(),
});
export const embedderRecord = z.object({ id: z.string().min(1), dimensions: z.number().int().positive() });

export const documentUploaded = defineEvent({
  type: 'document.uploaded',
  schemaVersion: 1,
  schema: z.object({
    documentId: z.uuid(),
    title: z.string().min(1).max(300),
    format: z.enum(DOCUMENT_FORMATS),
    contentType: z.string(),
    size: z.number().int().nonnegative(),
    /**
     * SHA-256 of the file (the blob's name) for an ordinary document; for a personal one, an
     * HMAC-SHA-256 under a server key, so the ledger holds no plain fingerprint of personal text.
     */
    contentDigest: hex64,
    /** Where the file is kept (content-addressed); null for a personal document, whose file is not kept. */
    blob: z.object({ store: z.enum(['filesystem', 's3']), sha256: hex64 }).nullable(),
    /** The uploaded file's name; null for a personal document (it is inside `personalData.content`). */
    filename: z.string().max(300).nullable(),
    metadata: documentMetadata,
    /** Set when the document holds personal data: its text and file name sealed under the subject's key (erasable). */
    personalData: z.object({ subjectId: z.string().min(1), content: personal(sealedField) }).nullable(),
    chunking: chunkingRecord,
    embedder: embedderRecord,
    uploadedBy: z.string().min(1),
  }),
  description: 'A document was uploaded, parsed, cut into token chunks and embedded for retrieval; its chunks and embeddings are in the document_chunks read model.',
});

export const documentReembedded = defineEvent({
  type: 'document.reembedded',
  schemaVersion: 1,
  schema: z.object({ documentId: z.uuid(), from: embedderRecord, to: embedderRecord, chunks: z.number().int().nonnegative() }),
  description: 'A document\'s chunks were embedded again with another embedder (the configured one changed).',
});

export const documentDeleted = defineEvent({
  type: 'document.deleted',
  schemaVersion: 1,
  schema: z.object({ documentId: z.uuid(), deletedBy: z.string().min(1), reason: z.enum(DOCUMENT_DELETION_REASONS), chunksRemoved: z.number().int().nonnegative(), blobRemoved: z.boolean() }),
  description: 'A document was deleted (asked for, or its data subject was erased): its chunks and embeddings were removed; its history stays.',
});

export const documentEvents = [documentUploaded, documentReembedded, documentDeleted];
