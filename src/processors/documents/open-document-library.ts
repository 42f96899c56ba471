import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { EventStore } from '../../events/event-store.js';
import type { PersonalDataVault } from '../../events/personal-data.js';
import type { BlobStorage } from '../../platform/blob-storage.js';
import type { Config } from '../../platform/config.js';
import type { Database } from '../../platform/database.js';
import { deriveKey } from '../../platform/key-material.js';
import type { Logger } from '../../platform/logger.js';
import { removeChunksOfDeletedDocuments } from './delete-document.js';
import type { DocumentLibrary } from './document-library.js';
import { embedderFromConfig } from './embedders/embedder-from-config.js';
import type { Embedder } from './embedders/embedder.js';
import { reembedDocuments, type ReembedProgress } from './reembed-documents.js';
import { prepareVectorIndex } from './vector-index.js';

export type RunningDocumentLibrary = DocumentLibrary & {
  /** The start-up job that re-embeds chunks recorded with another embedder; settles when done. */
  reembedding: Promise<ReembedProgress>;
  close(): Promise<void>;
};

/**
 * The document capability of a process: its embedder (RAIA_EMBEDDINGS, or `embedder` given by a
 * test), pgvector's HNSW index for that embedder's dimension (or exact search without pgvector),
 * and the start-up job that re-embeds what an earlier embedder left.
 */
export async function openDocumentLibrary(deps: {
  config: Config;
  db: Database;
  store: EventStore;
  catalogue: EventCatalogue;
  vault: PersonalDataVault;
  masterKey: Buffer;
  blobs: BlobStorage;
  logger: Logger;
  embedder?: Embedder;
  /** Waits for the read models before the start-up job reads `documents`. */
  projectionsReady: () => Promise<void>;
}): Promise<RunningDocumentLibrary> {
  const embedder = deps.embedder ?? (await embedderFromConfig(deps.config));
  const vectorIndex = await prepareVectorIndex(deps.db.knex, embedder.dimensions, deps.logger);
  const library: DocumentLibrary = {
    store: deps.store,
    catalogue: deps.catalogue,
    vault: deps.vault,
    knex: deps.db.knex,
    blobs: deps.blobs,
    embedder,
    vectorIndex,
    chunking: { chunkTokens: deps.config.RAIA_CHUNK_TOKENS, overlapTokens: deps.config.RAIA_CHUNK_OVERLAP_TOKENS },
    personalDigestKey: deriveKey(deps.masterKey, 'raia personal document digest'),
    maxBytes: deps.config.RAIA_MAX_DOCUMENT_BYTES,
    logger: deps.logger,
  };
  let stopping = false;
  const reembedding = (async () => {
    await deps.projectionsReady();
    await removeChunksOfDeletedDocuments(library);
    const progress = await reembedDocuments(library, { shouldStop: () => stopping });
    if (progress.documents > 0 || progress.failed.length > 0) deps.logger.info({ ...progress, embedder: embedder.id }, 'documents re-embedded with the configured embedder');
    return progress;
  })().catch((err: unknown) => {
    deps.logger.error({ err }, 'the document re-embedding job failed; it runs again at the next start');
    return { documents: 0, chunks: 0, failed: [] } satisfies ReembedProgress;
  });
  return {
    ...library,
    reembedding,
    async close() {
      stopping = true;
      await reembedding;
      await embedder.close?.();
    },
  };
}
