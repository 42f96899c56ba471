import type { Knex } from '../../platform/database.js';
import { reciprocalRankFusion } from '../../analytics/retrieval/reciprocal-rank-fusion.js';
import { CHUNKS_TABLE, vectorLiteral } from './document-chunks.js';
import type { Embedder } from './embedders/embedder.js';
import type { VectorIndex } from './vector-index.js';

export type SearchDependencies = { knex: Knex; embedder: Embedder; vectorIndex: VectorIndex };

export type MetadataFilter = Record<string, string | number | boolean>;
export type SearchFilter = {
  /** Only chunks of these documents. */
  documentIds?: string[];
  /** Only chunks whose document metadata holds every one of these key/value pairs. */
  metadata?: MetadataFilter;
  /** Chunks of documents marked as personal data; left out unless asked for (the caller must be allowed to read them). */
  includePersonal?: boolean;
};

export type SearchRequest = { text: string; k: number; filter?: SearchFilter };

export type MethodHit = { rank: number; score: number };
export type Passage = {
  documentId: string;
  chunkId: string;
  ordinal: number;
  text: string;
  metadata: MetadataFilter;
  personal: boolean;
  /** 1-based rank after fusion. */
  fusedRank: number;
  /** Reciprocal rank fusion score, Σ 1/(60 + rank) over the methods that found the chunk. */
  fusedScore: number;
  /** Cosine similarity and rank among the nearest chunks; null when not among them. */
  vector: MethodHit | null;
  /** ts_rank_cd and rank among the full-text matches; null when not among them. */
  fullText: MethodHit | null;
};

export type SearchResult = { passages: Passage[]; vectorMode: VectorIndex['mode']; embedder: string; candidatesPerMethod: number };

/** RRF's constant, as in Cormack et al. 2009. */
export const RRF_K = 60;

type Candidate = { chunkId: string; score: number };

function applyFilter(query: Knex.QueryBuilder, filter: SearchFilter | undefined): Knex.QueryBuilder {
  if (filter?.documentIds) void query.whereIn('document_id', filter.documentIds);
  if (filter?.metadata && Object.keys(filter.metadata).length > 0) void query.whereRaw('metadata @> ?::jsonb', [JSON.stringify(filter.metadata)]);
  if (!filter?.includePersonal) void query.whereNull('subject_id');
  return query;
}

async function nearestByIndex(trx: Knex.Transaction, index: Extract<VectorIndex, { mode: 'hnsw' }>, embedder: string, query: Float32Array, limit: number, filter: SearchFilter | undefined): Promise<Candidate[]> {
  const ns = `"${index.schema.replace(/"/g, '""')}"`;
  const cast = `embedding::${ns}.vector(${index.dimensions})`;
  const distance = `${cast} OPERATOR(${ns}.<=>) ?::${ns}.vector(${index.dimensions})`;
  const literal = vectorLiteral(query);
  // The HNSW scan returns at most ef_search rows; with filters it goes on past rows they drop (pgvector 0.8 iterative scans).
  await trx.raw(`SET LOCAL hnsw.ef_search = ${Math.max(40, limit)}`);
  const filtered = Boolean(filter?.documentIds || (filter?.metadata && Object.keys(filter.metadata).length > 0) || !filter?.includePersonal);
  if (filtered) await trx.raw(`SET LOCAL hnsw.iterative_scan = relaxed_order`);
  const q = trx(CHUNKS_TABLE)
    .select('chunk_id', trx.raw(`${distance} AS distance`, [literal]))
    .where('dimensions', index.dimensions)
    .andWhere('embedder', embedder)
    .orderByRaw(distance, [literal])
    .limit(limit);
  const rows = (await applyFilter(q, filter)) as { chunk_id: string; distance: number }[];
  // relaxed_order may hand rows slightly out of order: put them back in order of distance.
  return rows.map((r) => ({ chunkId: r.chunk_id, score: 1 - Number(r.distance) })).sort((a, b) => b.score - a.score);
}

async function nearestExactly(trx: Knex.Transaction, embedder: string, query: Float32Array, limit: number, filter: SearchFilter | undefined): Promise<Candidate[]> {
  const q = trx(CHUNKS_TABLE).select('chunk_id', 'embedding').where('embedder', embedder).andWhere('dimensions', query.length);
  const rows = (await applyFilter(q, filter)) as { chunk_id: string; embedding: number[] }[];
  const scored = rows.map((r) => {
    // Stored vectors are unit length, so the dot product is the cosine similarity.
    let dot = 0;
    for (let i = 0; i < query.length; i++) dot += query[i]! * r.embedding[i]!;
    return { chunkId: r.chunk_id, score: dot };
  });
  return scored.sort((a, b) => b.score - a.score || (a.chunkId < b.chunkId ? -1 : 1)).slice(0, limit);
}

async function fullTextMatches(trx: Knex.Transaction, text: string, limit: number, filter: SearchFilter | undefined): Promise<Candidate[]> {
  const q = trx(CHUNKS_TABLE)
    .select('chunk_id', trx.raw(`ts_rank_cd(tsv, websearch_to_tsquery('english', ?)) AS rank`, [text]))
    .whereRaw(`tsv @@ websearch_to_tsquery('english', ?)`, [text])
    .orderBy([{ column: 'rank', order: 'desc' }, { column: 'chunk_id', order: 'asc' }])
    .limit(limit);
  const rows = (await applyFilter(q, filter)) as { chunk_id: string; rank: number }[];
  return rows.map((r) => ({ chunkId: r.chunk_id, score: Number(r.rank) }));
}

/**
 * Hybrid retrieval: the chunks nearest the query's embedding and the best PostgreSQL full-text
 * matches, fused by reciprocal rank (k = 60). Each passage carries both methods' ranks and scores
 * and its fused rank, so an answer built on it can be explained.
 */
export async function hybridSearch(deps: SearchDependencies, request: SearchRequest): Promise<SearchResult> {
  const candidates = Math.max(50, request.k * 2);
  const [queryVector] = await deps.embedder.embed([request.text]);
  const index = deps.vectorIndex;
  const { vector, fullText } = await deps.knex.transaction(async (trx) => ({
    vector:
      index.mode === 'hnsw' && index.dimensions === deps.embedder.dimensions
        ? await nearestByIndex(trx, index, deps.embedder.id, queryVector!, candidates, request.filter)
        : await nearestExactly(trx, deps.embedder.id, queryVector!, candidates, request.filter),
    fullText: await fullTextMatches(trx, request.text, candidates, request.filter),
  }));
  const fused = reciprocalRankFusion([vector.map((c) => c.chunkId), fullText.map((c) => c.chunkId)], RRF_K).slice(0, request.k);
  const rows = fused.length === 0 ? [] : ((await deps.knex(CHUNKS_TABLE).select('chunk_id', 'document_id', 'ordinal', 'text', 'metadata', 'subject_id').whereIn('chunk_id', fused.map((f) => f.id))) as { chunk_id: string; document_id: string; ordinal: number; text: string; metadata: MetadataFilter | string; subject_id: string | null }[]);
  const byId = new Map(rows.map((r) => [r.chunk_id, r]));
  const vectorScore = new Map(vector.map((c) => [c.chunkId, c.score]));
  const textScore = new Map(fullText.map((c) => [c.chunkId, c.score]));
  const passages: Passage[] = [];
  for (const f of fused) {
    const row = byId.get(f.id);
    // Deleted between the two reads: left out.
    if (!row) continue;
    passages.push({
      documentId: row.document_id,
      chunkId: row.chunk_id,
      ordinal: row.ordinal,
      text: row.text,
      metadata: typeof row.metadata === 'string' ? (JSON.parse(row.metadata) as MetadataFilter) : row.metadata,
      personal: row.subject_id !== null,
      fusedRank: passages.length + 1,
      fusedScore: f.score,
      vector: f.ranks[0] === null ? null : { rank: f.ranks[0]!, score: vectorScore.get(f.id)! },
      fullText: f.ranks[1] === null ? null : { rank: f.ranks[1]!, score: textScore.get(f.id)! },
    });
  }
  return { passages, vectorMode: index.mode === 'hnsw' && index.dimensions === deps.embedder.dimensions ? 'hnsw' : 'exact', embedder: deps.embedder.id, candidatesPerMethod: candidates };
}

/** What chat needs from retrieval: the k best passages with their fused score. */
export async function searchPassages(deps: SearchDependencies, request: SearchRequest): Promise<{ documentId: string; chunkId: string; text: string; score: number }[]> {
  const { passages } = await hybridSearch(deps, request);
  return passages.map((p) => ({ documentId: p.documentId, chunkId: p.chunkId, text: p.text, score: p.fusedScore }));
}

