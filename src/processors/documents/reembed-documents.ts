import { handleCommand } from '../../commands/command-handler.js';
import { documentDecider, documentStreamId } from '../../commands/document/document.decider.js';
import { systemActor } from '../../events/envelope.js';
import { CHUNKS_TABLE, realArray } from './document-chunks.js';
import type { DocumentLibrary } from './document-library.js';

export type ReembedProgress = { documents: number; chunks: number; failed: { documentId: string; error: string }[] };

/**
 * After the configured embedder changed: embeds again, document by document, every chunk recorded
 * with another embedder, and records `document.reembedded` for each. Until a document is done its
 * chunks still match by full text but not by vector (search compares one embedder's vectors only).
 */
export async function reembedDocuments(library: DocumentLibrary, options: { shouldStop?: () => boolean } = {}): Promise<ReembedProgress> {
  const progress: ReembedProgress = { documents: 0, chunks: 0, failed: [] };
  const { embedder } = library;
  const stale = (await library.knex(CHUNKS_TABLE).distinct('document_id').whereNot('embedder', embedder.id)) as { document_id: string }[];
  for (const { document_id: documentId } of stale) {
    if (options.shouldStop?.()) break;
    try {
      const chunks = (await library.knex(CHUNKS_TABLE).select('chunk_id', 'text', 'embedder').where('document_id', documentId).orderBy('ordinal')) as { chunk_id: string; text: string; embedder: string }[];
      if (chunks.length === 0) continue;
      const vectors = await embedder.embed(chunks.map((c) => c.text));
      await library.knex.transaction(async (trx) => {
        for (let i = 0; i < chunks.length; i++) {
          await trx(CHUNKS_TABLE).where('chunk_id', chunks[i]!.chunk_id).update({ embedder: embedder.id, dimensions: embedder.dimensions, embedding: realArray(vectors[i]!) });
        }
      });
      await handleCommand(library, documentDecider, documentStreamId(documentId), { type: 'ReembedDocument', to: { id: embedder.id, dimensions: embedder.dimensions }, chunks: chunks.length }, { actor: systemActor('document-reembedding') });
      progress.documents++;
      progress.chunks += chunks.length;
    } catch (error) {
      progress.failed.push({ documentId, error: error instanceof Error ? error.message : String(error) });
      library.logger.error({ err: error, documentId }, 're-embedding a document failed; retried at the next start');
    }
  }
  return progress;
}
