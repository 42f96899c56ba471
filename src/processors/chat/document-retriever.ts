import { searchPassages, type SearchDependencies } from '../documents/hybrid-search.js';
import type { PassageRetriever } from './passage-retriever.js';

/**
 * Chat's retriever: the document library's hybrid search (full text and vectors fused by rank),
 * its filter applied to document metadata. Documents marked as personal data are never retrieved
 * for chat: their text would go to a provider and into an answer, whoever asks.
 */
export const documentRetriever =
  (library: SearchDependencies): PassageRetriever =>
  async (query) =>
    searchPassages(library, { text: query.text, k: query.k, filter: { includePersonal: false, ...(query.filter ? { metadata: query.filter } : {}) } });
