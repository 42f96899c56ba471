import { systemActor } from '../../events/envelope.js';
import { CHUNKS_TABLE, deleteChunksOf } from './document-chunks.js';
import { deleteDocument } from './delete-document.js';
import type { DocumentLibrary } from './document-library.js';

/** Live documents holding a data subject's personal data, for erasure to delete (their chunks hold the text in clear). */
export type DocumentsForSubject = {
  find(subjectId: string): Promise<{ id: string }[]>;
  /** Deletes the document (reason `subject-erased`) and answers how many chunk rows went; one already deleted changes nothing. */
  purge(documentId: string): Promise<{ chunksRemoved: number }>;
};

export function documentsForSubject(library: DocumentLibrary): DocumentsForSubject {
  return {
    // The chunk table, not the documents read model: it is written before the upload is acknowledged, so nothing just uploaded is missed.
    find: async (subjectId) => ((await library.knex(CHUNKS_TABLE).distinct('document_id').where('subject_id', subjectId)) as { document_id: string }[]).map((r) => ({ id: r.document_id })),
    purge: async (documentId) => {
      const stream = await library.store.readStream(`document-${documentId}`, { direction: 'backwards', limit: 1 });
      if (stream[0]?.type === 'document.deleted') {
        // Recorded before a crash left its chunks: remove them now.
        return { chunksRemoved: await deleteChunksOf(library.knex, documentId) };
      }
      const result = await deleteDocument(library, documentId, { deletedBy: 'privacy-erasure', reason: 'subject-erased', actor: systemActor('privacy-erasure') });
      return { chunksRemoved: result?.chunksRemoved ?? 0 };
    },
  };
}
