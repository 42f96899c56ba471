import type { JsonObject } from '../../events/envelope.js';
import type { SealedField } from '../../events/personal-data.js';
import type { DOCUMENT_DELETION_REASONS, DOCUMENT_FORMATS } from '../../events/catalogue/document.events.js';
import { CommandRefused, assertNever, type Decider, type DomainEvent } from '../decider.js';

export type DocumentFormat = (typeof DOCUMENT_FORMATS)[number];
export type DocumentDeletionReason = (typeof DOCUMENT_DELETION_REASONS)[number];
export type EmbedderRecord = { id: string; dimensions: number };
export type ChunkingRecord = { tokenizer: string; chunkTokens: number; overlapTokens: number; chunks: number; tokens: number };

export type DocumentUpload = {
  documentId: string;
  title: string;
  format: DocumentFormat;
  contentType: string;
  size: number;
  contentDigest: string;
  blob: { store: 'filesystem' | 's3'; sha256: string } | null;
  filename: string | null;
  metadata: Record<string, string | number | boolean>;
  personalData: { subjectId: string; content: SealedField } | null;
  chunking: ChunkingRecord;
  embedder: EmbedderRecord;
  uploadedBy: string;
};

export type DocumentCommand =
  | ({ type: 'UploadDocument' } & DocumentUpload)
  | { type: 'ReembedDocument'; to: EmbedderRecord; chunks: number }
  | { type: 'DeleteDocument'; deletedBy: string; reason: DocumentDeletionReason; chunksRemoved: number; blobRemoved: boolean };

type Data<T> = T & JsonObject;
export type DocumentEvent =
  | DomainEvent<'document.uploaded', Data<DocumentUpload>>
  | DomainEvent<'document.reembedded', Data<{ documentId: string; from: EmbedderRecord; to: EmbedderRecord; chunks: number }>>
  | DomainEvent<'document.deleted', Data<{ documentId: string; deletedBy: string; reason: DocumentDeletionReason; chunksRemoved: number; blobRemoved: boolean }>>;

export type DocumentState = { status: 'none' } | { status: 'active' | 'deleted'; documentId: string; embedder: EmbedderRecord };

export const documentStreamId = (documentId: string) => `document-${documentId}`;

const jsonClone = <T extends object>(value: T): Data<T> => JSON.parse(JSON.stringify(value)) as Data<T>;

/** A retrievable document: uploaded once, re-embedded when the embedder changes, deleted once. */
export const documentDecider: Decider<DocumentCommand, DocumentEvent, DocumentState> = {
  category: 'document',
  initialState: () => ({ status: 'none' }),

  decide(command, state): DocumentEvent[] {
    switch (command.type) {
      case 'UploadDocument': {
        if (state.status !== 'none') throw new CommandRefused('DOCUMENT_EXISTS', ['the document already exists']);
        const { type: _type, ...upload } = command;
        return [{ type: 'document.uploaded', data: jsonClone(upload) }];
      }
      case 'ReembedDocument':
        if (state.status === 'none') throw new CommandRefused('DOCUMENT_NOT_FOUND', ['no such document'], 422);
        // Deleted meanwhile, or already on that embedder (a second job run): nothing to record.
        if (state.status === 'deleted' || state.embedder.id === command.to.id) return [];
        return [{ type: 'document.reembedded', data: jsonClone({ documentId: state.documentId, from: state.embedder, to: command.to, chunks: command.chunks }) }];
      case 'DeleteDocument':
        if (state.status === 'none') throw new CommandRefused('DOCUMENT_NOT_FOUND', ['no such document'], 422);
        if (state.status === 'deleted') throw new CommandRefused('DOCUMENT_DELETED', ['the document was already deleted']);
        return [{ type: 'document.deleted', data: { documentId: state.documentId, deletedBy: command.deletedBy, reason: command.reason, chunksRemoved: command.chunksRemoved, blobRemoved: command.blobRemoved } }];
      default:
        return assertNever(command);
    }
  },

  evolve(state, event): DocumentState {
    switch (event.type) {
      case 'document.uploaded':
        return { status: 'active', documentId: event.data.documentId, embedder: event.data.embedder };
      case 'document.reembedded':
        return state.status === 'none' ? state : { ...state, embedder: event.data.to };
      case 'document.deleted':
        return state.status === 'none' ? state : { ...state, status: 'deleted' };
      default:
        return assertNever(event);
    }
  },
};
