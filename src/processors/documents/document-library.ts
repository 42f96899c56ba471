import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { EventStore } from '../../events/event-store.js';
import type { PersonalDataVault } from '../../events/personal-data.js';
import type { BlobStorage } from '../../platform/blob-storage.js';
import type { Knex } from '../../platform/database.js';
import type { Logger } from '../../platform/logger.js';
import type { Embedder } from './embedders/embedder.js';
import type { VectorIndex } from './vector-index.js';

/** Everything the document capability's functions (upload, delete, search, re-embed, erasure) work with. */
export type DocumentLibrary = {
  store: EventStore;
  catalogue: EventCatalogue;
  vault: PersonalDataVault;
  knex: Knex;
  blobs: BlobStorage;
  embedder: Embedder;
  vectorIndex: VectorIndex;
  chunking: { chunkTokens: number; overlapTokens: number };
  /** Keys the content digests of personal documents (HMAC), so the ledger holds no plain fingerprint of them. */
  personalDigestKey: Buffer;
  maxBytes: number;
  logger: Logger;
};
