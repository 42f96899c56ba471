import { handleCommand } from '../../commands/command-handler.js';
import { documentDecider, documentStreamId, type DocumentDeletionReason, type DocumentState } from '../../commands/document/document.decider.js';
import type { Actor } from '../../events/envelope.js';
import { CHUNKS_TABLE, deleteChunksOf, deletedRows } from './document-chunks.js';
import type { DocumentLibrary } from './document-library.js';

async function stateOf(library: DocumentLibrary, documentId: string): Promise<{ state: DocumentState; blobSha256: string | null }> {
  let state = documentDecider.initialState();
  let blobSha256: string | null = null;
  for (const stored of await library.store.readStream(documentStreamId(documentId))) {
    const event = library.catalogue.upcast(stored) as unknown as Parameters<typeof documentDecider.evolve>[1];
    if (event.type === 'document.uploaded') blobSha256 = event.data.blob?.sha256 ?? null;
    state = documentDecider.evolve(state, event);
  }
  return { state, blobSha256 };
}

/**
 * Deletes a document: records `document.deleted` (refused for an unknown or already deleted
 * document), then removes its chunks and embeddings and its file unless another live document
 * holds the same bytes. Null when there is no such document.
 */
export async function deleteDocument(
  library: DocumentLibrary,
  documentId: string,
  options: { deletedBy: string; reason: DocumentDeletionReason; actor: Actor; correlationId?: string },
): Promise<{ position: number; chunksRemoved: number; blobRemoved: boolean } | null> {
  const { state, blobSha256 } = await stateOf(library, documentId);
  if (state.status === 'none') return null;
  const [{ count }] = (await library.knex(CHUNKS_TABLE).where('document_id', documentId).count({ count: '*' })) as [{ count: string | number }];
  const sharedBlob = blobSha256 !== null && Boolean(await library.knex(CHUNKS_TABLE).where({ content_digest: blobSha256 }).whereNot('document_id', documentId).first());
  const blobRemoved = blobSha256 !== null && !sharedBlob;
  const result = await handleCommand(library, documentDecider, documentStreamId(documentId), {
    type: 'DeleteDocument', deletedBy: options.deletedBy, reason: options.reason, chunksRemoved: Number(count), blobRemoved,
  }, { actor: options.actor, correlationId: options.correlationId });
  const chunksRemoved = await deleteChunksOf(library.knex, documentId);
  if (blobRemoved) await library.blobs.delete(blobSha256);
  return { position: result.position, chunksRemoved, blobRemoved };
}

/** Chunks left behind by a deletion interrupted between its record and its removal (a crash): removed at start. */
export async function removeChunksOfDeletedDocuments(library: DocumentLibrary): Promise<number> {
  return deletedRows(library.knex(CHUNKS_TABLE).whereIn('document_id', library.knex('documents').select('document_id').where('status', 'deleted')));
}
