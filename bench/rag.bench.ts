import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { mulberry32 } from '../src/analytics/seeded-random.js';
import { systemActor } from '../src/events/envelope.js';
import { loadConfig } from '../src/platform/config.js';
import { openDatabase, type Database } from '../src/platform/database.js';
import { runMigrations } from '../src/platform/migrations.js';
import { allMigrations } from '../src/migrations.js';
import { CHUNKS_TABLE } from '../src/processors/documents/document-chunks.js';
import type { Embedder } from '../src/processors/documents/embedders/embedder.js';
import { universalSentenceEncoder } from '../src/processors/documents/embedders/universal-sentence-encoder.js';
import { hybridSearch } from '../src/processors/documents/hybrid-search.js';
import { uploadDocument } from '../src/processors/documents/upload-document.js';
import { prepareVectorIndex } from '../src/processors/documents/vector-index.js';
import { startRuntime } from '../src/runtime.js';
import { run as chatBench } from './chat.bench.js';

/**
 * Retrieval at scale.
 * 1. Ingest: RAG_BENCH_DOCS documents of about 2,000 words each through uploadDocument (parse,
 *    cl100k chunks of 256 tokens with 32 overlap, embed with the offline Universal Sentence Encoder
 *    on worker threads, index, record) on an embedded PGlite runtime, RAG_BENCH_UPLOADS (4)
 *    uploads in flight; documents per second.
 * 2. Search: RAG_BENCH_CHUNKS chunks (~150 words of a 5,000-word Zipf-like vocabulary each, with
 *    SYNTHETIC 512-dimension embeddings, generated inside the database: the model would take hours
 *    to embed them here) in PGlite and in PostgreSQL with pgvector's HNSW index; hybrid search
 *    (HNSW nearest + full text, RRF) k = 10, latency of the search itself. The query vectors are
 *    seeded random vectors too, so the time of embedding a query with the offline model is
 *    measured apart (`queryEmbedP95Ms`).
 */
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const DOCS = Number(process.env.RAG_BENCH_DOCS ?? 1000);
const CHUNKS = Number(process.env.RAG_BENCH_CHUNKS ?? 100_000);
const QUERIES = Number(process.env.RAG_BENCH_QUERIES ?? 200);
const UPLOADS = Number(process.env.RAG_BENCH_UPLOADS ?? 4);
const DIMENSIONS = 512;
/** maintenance_work_mem for the HNSW build (see searchLatencies). */
const INDEX_BUILD_MEMORY = process.env.RAG_BENCH_INDEX_MEMORY ?? '768MB';
const TARGETS = { searchP95Ms: 50 };
/**
 * A PGlite directory to keep and reuse: filled and indexed when empty, searched as it stands
 * otherwise (the fill and the HNSW build of 100,000 chunks take about eight minutes in WASM here;
 * the searches are what is measured).
 */
const KEPT_PGLITE_DIR = process.env.RAG_BENCH_PGLITE_DIR;
/** Which parts to run (comma-separated: ingest, pglite, postgres, chat); all by default. */
const PARTS = new Set((process.env.RAG_BENCH_PARTS ?? 'ingest,pglite,postgres,chat').split(',').map((p) => p.trim()));

const round = (x: number, digits = 1) => Number(x.toFixed(digits));
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

/** Seeded, so every run searches the same queries. */
const seeded = mulberry32;

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'vo', 'si', 'de', 'ba', 'fu', 'go', 'pi', 'ze', 'wa', 'xo'];
/** 5,000 distinct pronounceable words (three syllables of sixteen, then a fourth). */
const VOCABULARY = Array.from({ length: 5000 }, (_, i) => SYLLABLES[i % 16]! + SYLLABLES[(i >> 4) % 16]! + SYLLABLES[(i >> 8) % 16]! + (i >= 4096 ? SYLLABLES[(i >> 12) % 16]! : ''));

const ENGLISH = ('model risk governance data drift fairness audit ledger policy board approval validation deployment monitoring incident report bias ' +
  'metric threshold dataset feature training evaluation privacy consent retention control evidence regulator review quarterly weekly owner ' +
  'customer credit scoring decision explanation transparency accountability documentation record version registry production sandbox').split(' ');

/** A seeded stand-in for an embedding model over the synthetic chunks: a random unit vector per query. */
function syntheticQueryEmbedder(seed: number): Embedder {
  const random = seeded(seed);
  return {
    id: 'synthetic-512',
    dimensions: DIMENSIONS,
    async embed(texts) {
      return texts.map(() => {
        const v = Float32Array.from({ length: DIMENSIONS }, () => random() - 0.5);
        const n = Math.hypot(...v);
        return v.map((x) => x / n);
      });
    },
  };
}

async function ingest(): Promise<Record<string, number | string>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'raia-rag-ingest-'));
  const runtime = await startRuntime(loadConfig({ RAIA_DATA_DIR: dataDir, LOG_LEVEL: 'silent', RAIA_SEAL_CRON: 'off', RAIA_COMPLIANCE_PACKS: 'on-demand' }), { pglite: new PGlite({ extensions: { vector } }) });
  try {
    const random = seeded(7);
    const texts = Array.from({ length: DOCS }, (_, d) => {
      const words: string[] = [`Document ${d}.`];
      for (let w = 0; w < 2000; w++) words.push(ENGLISH[Math.floor(random() * ENGLISH.length)]! + ((w + 1) % 15 === 0 ? '.' : ''));
      return words.join(' ');
    });
    // The model's one-time load (about a second) is not ingest throughput.
    await runtime.documents.embedder.embed(['warm up']);
    let chunks = 0;
    let next = 0;
    const start = performance.now();
    // UPLOADS documents in flight at once, as concurrent clients would send them: one document's
    // embedding (on the worker threads) overlaps another's parsing and writes (on this thread).
    const uploader = async () => {
      for (let d = next++; d < DOCS; d = next++) {
        const blob = await runtime.blobs.put(Readable.from([Buffer.from(texts[d]!)]), { maxBytes: runtime.documents.maxBytes });
        const result = await uploadDocument(runtime.documents, { blob, filename: `doc-${d}.txt`, format: 'text', metadata: { batch: 'bench' }, uploadedBy: 'bench', actor: systemActor('bench') });
        if (!result.deduplicated) chunks += result.chunks;
      }
    };
    await Promise.all(Array.from({ length: UPLOADS }, uploader));
    const seconds = (performance.now() - start) / 1000;
    return { docs: DOCS, words: 2001, chunks, uploadsInFlight: UPLOADS, embeddingThreads: process.env.RAIA_EMBEDDING_THREADS ?? cpus().length, seconds: round(seconds), docsPerSec: round(DOCS / seconds, 2) };
  } finally {
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Fills the chunk table server-side (seeded): text of Zipf-like word draws, random embeddings. */
async function fillChunks(db: Database): Promise<number> {
  const start = performance.now();
  const words = `ARRAY[${VOCABULARY.map((w) => `'${w}'`).join(',')}]`;
  await db.knex.raw('SELECT setseed(0.42)');
  const BATCH = 5000;
  for (let from = 0; from < CHUNKS; from += BATCH) {
    const to = Math.min(CHUNKS, from + BATCH) - 1;
    await db.knex.raw(`
      INSERT INTO ${CHUNKS_TABLE} (chunk_id, document_id, ordinal, content_digest, text, token_start, token_end, metadata, subject_id, embedder, dimensions, embedding)
      SELECT md5('chunk' || g)::uuid, md5('doc' || (g / 10))::uuid, g % 10, md5('doc' || (g / 10)) || md5('content' || (g / 10) || '-' || (g % 10)),
             (SELECT string_agg((${words})[1 + floor(power(random(), 3) * 5000)::int], ' ') FROM generate_series(1, 150) WHERE g >= 0),
             (g % 10) * 224, (g % 10) * 224 + 256,
             jsonb_build_object('department', (ARRAY['risk', 'audit', 'people', 'legal'])[1 + g % 4]), NULL, 'synthetic-512', ${DIMENSIONS},
             (SELECT array_agg((random() - 0.5)::real) FROM generate_series(1, ${DIMENSIONS}) WHERE g >= 0)
      FROM generate_series(${from}, ${to}) AS g`);
  }
  return (performance.now() - start) / 1000;
}

/** How many chunks the table holds already (a kept database's earlier fill). */
async function chunksHeld(db: Database): Promise<number> {
  const result = (await db.knex.raw(`SELECT count(*)::int AS n FROM ${CHUNKS_TABLE}`)) as { rows: { n: number }[] };
  return result.rows[0]!.n;
}

async function searchLatencies(db: Database, label: string): Promise<Record<string, number | string>> {
  const held = await chunksHeld(db);
  if (held !== 0 && held !== CHUNKS) throw new Error(`the kept ${label} database holds ${held} chunks, not ${CHUNKS}`);
  if (held) console.log(`  ${label}: reusing the ${held.toLocaleString('en-US')} chunks and the index of the kept database`);
  const fillSeconds = held ? 0 : await fillChunks(db);
  const indexStart = performance.now();
  // Built over the filled table: pgvector keeps the HNSW graph in memory while it fits in
  // maintenance_work_mem (100,000 × 512 floats with their links are ~250 MB) and goes on page by
  // page, far more slowly, once it does not (PostgreSQL's default is 64 MB). A deployment builds it
  // on an empty table at start and grows it by insertion, so this is the bench's setting only.
  const vectorIndex = await db.knex.transaction(async (trx) => {
    await trx.raw(`SET LOCAL maintenance_work_mem = '${INDEX_BUILD_MEMORY}'`);
    return prepareVectorIndex(trx, DIMENSIONS);
  });
  const indexSeconds = (performance.now() - indexStart) / 1000;
  await db.knex.raw(`ANALYZE ${CHUNKS_TABLE}`);
  const embedder = syntheticQueryEmbedder(11);
  const random = seeded(13);
  // Query words of middle frequency (ranks ~30–1,500 of the Zipf-like draw), two or three per query.
  const query = () => Array.from({ length: 2 + Math.floor(random() * 2) }, () => VOCABULARY[30 + Math.floor(random() * 1500)]!).join(' ');
  const library = { knex: db.knex, embedder, vectorIndex };
  for (let i = 0; i < 20; i++) await hybridSearch(library, { text: query(), k: 10 });
  const plain: number[] = [];
  const filtered: number[] = [];
  let found = 0;
  for (let i = 0; i < QUERIES; i++) {
    const t0 = performance.now();
    const result = await hybridSearch(library, { text: query(), k: 10 });
    plain.push(performance.now() - t0);
    found += result.passages.length;
    const t1 = performance.now();
    await hybridSearch(library, { text: query(), k: 10, filter: { metadata: { department: 'risk' } } });
    filtered.push(performance.now() - t1);
  }
  return {
    database: label,
    vectorSearch: vectorIndex.mode,
    chunks: CHUNKS,
    fillSeconds: held ? 'kept' : round(fillSeconds),
    hnswBuildSeconds: held ? 'kept' : round(indexSeconds),
    searchP50Ms: round(percentile(plain, 50)),
    searchP95Ms: round(percentile(plain, 95)),
    filteredSearchP95Ms: round(percentile(filtered, 95)),
    meanPassages: round(found / QUERIES),
  };
}

async function searchOnPglite(): Promise<Record<string, number | string>> {
  const pgliteDir = KEPT_PGLITE_DIR ?? mkdtempSync(join(tmpdir(), 'raia-rag-search-'));
  mkdirSync(pgliteDir, { recursive: true });
  const pglite = await openDatabase({ pglite: new PGlite(join(pgliteDir, 'db'), { extensions: { vector } }), schema: 'rag_bench' });
  try {
    await runMigrations(pglite.knex, allMigrations);
    return await searchLatencies(pglite, 'pglite');
  } finally {
    await pglite.close();
    if (!KEPT_PGLITE_DIR) rmSync(pgliteDir, { recursive: true, force: true });
  }
}

async function searchOnPostgres(): Promise<Record<string, number | string>> {
  const schema = `rag_bench_${randomBytes(4).toString('hex')}`;
  const postgres = await openDatabase({ url: DATABASE_URL, schema, poolSize: 4 });
  try {
    await runMigrations(postgres.knex, allMigrations);
    return await searchLatencies(postgres, 'postgres');
  } finally {
    await postgres.knex.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await postgres.close();
  }
}

/** chat.bench.ts's figures (its turns on PGlite and on PostgreSQL against the mock provider). */
async function chatTurnOverhead(): Promise<{ chatOverheadP95Ms: number; chatOverheadP95MsPglite: number; chatOverheadP95MsPostgres: number }> {
  const figures = (await chatBench()) as { chatOverheadP95Ms: number; chatOverheadP95MsPglite: number; chatOverheadP95MsPostgres: number };
  return { chatOverheadP95Ms: figures.chatOverheadP95Ms, chatOverheadP95MsPglite: figures.chatOverheadP95MsPglite, chatOverheadP95MsPostgres: figures.chatOverheadP95MsPostgres };
}

export async function run(): Promise<Record<string, unknown>> {
  const load = loadavg().map((x) => round(x, 2));
  // Each part's figures as soon as it ends: a full run takes most of an hour here, and a run stopped
  // before its last line would otherwise leave nothing.
  const progress = <T>(part: string, figures: T): T => {
    console.log(`  ${part}: ${JSON.stringify(figures)}`);
    return figures;
  };
  const ingested = PARTS.has('ingest') ? progress('ingest', await ingest()) : null;

  const embedTimes: number[] = [];
  if (PARTS.has('ingest')) {
    const use = universalSentenceEncoder();
    await use.embed(['warm up']);
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      await use.embed([`how is ${ENGLISH[i % ENGLISH.length]} ${ENGLISH[(i * 7) % ENGLISH.length]} governed`]);
      embedTimes.push(performance.now() - t);
    }
    await use.close?.();
  }
  const pgliteFigures = PARTS.has('pglite') ? progress('pglite', await searchOnPglite()) : null;
  const postgresFigures = PARTS.has('postgres') ? progress('postgres', await searchOnPostgres()) : null;
  // The chat turn's overhead beyond the provider's time: chat.bench.ts's workload, part of this one's figures.
  const chatFigures = PARTS.has('chat') ? progress('chat', await chatTurnOverhead()) : null;

  return {
    ingestDocsPerSec: ingested?.docsPerSec ?? null,
    searchP95MsPglite: pgliteFigures?.searchP95Ms ?? null,
    searchP95MsPostgres: postgresFigures?.searchP95Ms ?? null,
    queryEmbedP95Ms: embedTimes.length > 0 ? round(percentile(embedTimes, 95)) : null,
    chatOverheadP95Ms: chatFigures?.chatOverheadP95Ms ?? null,
    chatOverheadP95MsPglite: chatFigures?.chatOverheadP95MsPglite ?? null,
    chatOverheadP95MsPostgres: chatFigures?.chatOverheadP95MsPostgres ?? null,
    ingest: ingested,
    pglite: pgliteFigures,
    postgres: postgresFigures,
    targets: { ...TARGETS, chatOverheadP95Ms: 30 },
    machine: { cpus: cpus().length, loadAverageAtStart: load, loadAverageAtEnd: loadavg().map((x) => round(x, 2)) },
  };
}
