import { describe, expect, it } from 'vitest';
import { CommandRefused } from '../../../src/commands/decider.js';
import { documentDecider, type DocumentCommand, type DocumentEvent, type DocumentUpload } from '../../../src/commands/document/document.decider.js';
import { systemActor } from '../../../src/events/envelope.js';

const upload: DocumentUpload = {
  documentId: '0190d0c5-8f5a-7000-8000-000000000001',
  title: 'Risk policy',
  format: 'text',
  contentType: 'text/plain; charset=utf-8',
  size: 10,
  contentDigest: 'a'.repeat(64),
  blob: { store: 'filesystem', sha256: 'a'.repeat(64) },
  filename: 'risk.txt',
  metadata: { department: 'risk' },
  personalData: null,
  chunking: { tokenizer: 'cl100k_base', chunkTokens: 256, overlapTokens: 32, chunks: 1, tokens: 3 },
  embedder: { id: 'e1', dimensions: 512 },
  uploadedBy: 'u1',
};
const context = { now: new Date('2026-01-01T00:00:00Z'), actor: systemActor('test') };
const given = (events: DocumentEvent[]) => events.reduce(documentDecider.evolve, documentDecider.initialState());
const when = (events: DocumentEvent[], command: DocumentCommand) => documentDecider.decide(command, given(events), context);
const uploaded: DocumentEvent = { type: 'document.uploaded', data: { ...upload } };
const deleted: DocumentEvent = { type: 'document.deleted', data: { documentId: upload.documentId, deletedBy: 'u1', reason: 'requested', chunksRemoved: 1, blobRemoved: true } };

describe('document decider', () => {
  it('records an upload once', () => {
    expect(when([], { type: 'UploadDocument', ...upload })).toEqual([uploaded]);
    expect(() => when([uploaded], { type: 'UploadDocument', ...upload })).toThrow(CommandRefused);
  });

  it('records a re-embedding from the current embedder, and nothing when already on it or deleted', () => {
    expect(when([uploaded], { type: 'ReembedDocument', to: { id: 'e2', dimensions: 16 }, chunks: 1 })).toEqual([
      { type: 'document.reembedded', data: { documentId: upload.documentId, from: { id: 'e1', dimensions: 512 }, to: { id: 'e2', dimensions: 16 }, chunks: 1 } },
    ]);
    expect(when([uploaded], { type: 'ReembedDocument', to: { id: 'e1', dimensions: 512 }, chunks: 1 })).toEqual([]);
    expect(when([uploaded, deleted], { type: 'ReembedDocument', to: { id: 'e2', dimensions: 16 }, chunks: 1 })).toEqual([]);
  });

  it('deletes once; refuses an unknown or already deleted document', () => {
    expect(when([uploaded], { type: 'DeleteDocument', deletedBy: 'u1', reason: 'requested', chunksRemoved: 1, blobRemoved: true })).toEqual([deleted]);
    expect(() => when([uploaded, deleted], { type: 'DeleteDocument', deletedBy: 'u1', reason: 'requested', chunksRemoved: 0, blobRemoved: false })).toThrow(/already deleted/);
    expect(() => when([], { type: 'DeleteDocument', deletedBy: 'u1', reason: 'subject-erased', chunksRemoved: 0, blobRemoved: false })).toThrow(/no such document/);
  });
});
