import { randomUUID } from 'node:crypto';
import { getEncoding } from 'js-tiktoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAccount } from '../../src/commands/user/registration.js';
import { systemActor } from '../../src/events/envelope.js';
import { REDACTED } from '../../src/events/personal-data.js';
import { openAiEmbeddings } from '../../src/processors/documents/embedders/openai-embeddings.js';
import { hybridSearch } from '../../src/processors/documents/hybrid-search.js';
import { reembedDocuments } from '../../src/processors/documents/reembed-documents.js';
import { docxWithParagraphs, pdfWithText } from '../support/document-fixtures.js';
import { bagOfWords, cosine, startMockEmbeddingsServer, type MockEmbeddingsServer } from '../support/mock-embeddings-server.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const enc = getEncoding('cl100k_base');
const CHUNK = 32;
const OVERLAP = 8;
/** Chunks of a text by the documented windows (docs/documents.md): start every CHUNK - OVERLAP tokens until one reaches the end. */
const expectedChunks = (text: string) => {
  const n = enc.encode(text).length;
  return n <= CHUNK ? 1 : Math.ceil((n - CHUNK) / (CHUNK - OVERLAP)) + 1;
};

const riskText = 'Model risk management policy. Every model in production is monitored for data drift weekly; drift above the threshold opens an incident. ' +
  'The risk officer approves each deployment after the validation report. Fairness metrics are computed per protected group and reported quarterly.';
const markdown = '# Retention\n\nAudit records are kept for ten years. The ledger is hash chained and sealed every hour so that tampering is evident.';
const html = '<html><body><h1>Onboarding</h1><p>New data scientists receive access to the sandbox after training on privacy and consent.</p><script>leak()</script></body></html>';

describe.each(['postgres', 'pglite'] as const)('documents and retrieval on %s', (dialect) => {
  let server: TestServer;
  let embeddings: MockEmbeddingsServer;
  let base: string;
  let writer: Record<string, string>;
  let viewer: Record<string, string>;
  let admin: Record<string, string>;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    embeddings = await startMockEmbeddingsServer(16);
    server = await startTestServer(dialect, {
      RAIA_EMBEDDINGS: 'openai-compatible', RAIA_EMBEDDINGS_URL: embeddings.url, RAIA_EMBEDDINGS_MODEL: 'bag-of-words', RAIA_EMBEDDINGS_DIMENSIONS: '16', RAIA_EMBEDDINGS_API_KEY: 'sk-test-key',
      RAIA_CHUNK_TOKENS: String(CHUNK), RAIA_CHUNK_OVERLAP_TOKENS: String(OVERLAP), RAIA_MAX_DOCUMENT_BYTES: '200000',
    });
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    writer = { authorization: `Bearer ${await server.tokenFor('data_scientist')}` };
    viewer = { authorization: `Bearer ${await server.tokenFor('viewer')}` };
    admin = { authorization: `Bearer ${await server.tokenFor('admin')}` };
  }, 60_000);
  afterAll(async () => {
    server.app.server.closeAllConnections();
    await server.close();
    await embeddings.close();
  });

  const upload = async (content: string | Uint8Array, filename: string, metadata?: Record<string, unknown>, headers = writer) => {
    const form = new FormData();
    if (metadata) form.append('metadata', JSON.stringify(metadata));
    form.append('file', new Blob([content]), filename);
    const res = await fetch(`${base}/api/v1/documents/upload`, { method: 'POST', headers, body: form });
    return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Body };
  };
  const call = async (method: string, path: string, body?: unknown, headers = writer) => {
    const res = await fetch(`${base}${path}`, { method, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Body };
  };
  const search = (query: string, extra: Record<string, unknown> = {}, headers = writer) => call('POST', '/api/v1/documents/search', { query, ...extra }, headers);
  const head = async () => (await server.runtime.store.head()).position;
  const chunkCount = async () => Number(((await server.runtime.db.knex('document_chunks').count({ n: '*' })) as [{ n: string }])[0].n);

  it('uploads text, Markdown, HTML, PDF and DOCX: parsed, cut by tokens, embedded by the provider, recorded', async () => {
    const pdf = await pdfWithText(['Incident reporting: serious incidents are reported to the authority within fifteen days.']);
    const docx = await docxWithParagraphs(['Vendor assessment', 'Third party models are assessed before procurement for bias and robustness.']);
    const uploads = [
      ['risk', riskText, 'risk-policy.txt', { title: 'Risk policy', metadata: { department: 'risk', year: 2026 } }, 'text'],
      ['retention', markdown, 'retention.md', { metadata: { department: 'audit' } }, 'markdown'],
      ['onboarding', html, 'onboarding.html', { metadata: { department: 'people' } }, 'html'],
      ['incidents', pdf, 'incidents.pdf', { metadata: { department: 'risk' } }, 'pdf'],
      ['vendors', docx, 'vendors.docx', undefined, 'docx'],
    ] as const;
    for (const [key, content, filename, metadata, format] of uploads) {
      const res = await upload(content, filename, metadata as Record<string, unknown> | undefined);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toMatchObject({ deduplicated: false, embedder: { id: `openai-compatible:${new URL(embeddings.url).host}/bag-of-words`, dimensions: 16 } });
      ids[key] = res.body.documentId;
      const events = await server.runtime.store.readStream(`document-${res.body.documentId}`);
      expect(events.map((e) => e.type)).toEqual(['document.uploaded']);
      expect(events[0]!.data).toMatchObject({ format, chunking: { tokenizer: 'cl100k_base', chunkTokens: CHUNK, overlapTokens: OVERLAP, chunks: res.body.chunks } });
    }
    // Chunk counts of the text documents follow the tokenizer's count of their text.
    const risk = (await server.runtime.db.knex('document_chunks').where('document_id', ids.risk).orderBy('ordinal')) as { text: string; token_start: number; token_end: number; embedder: string; dimensions: number }[];
    expect(risk).toHaveLength(expectedChunks(riskText));
    const riskIds = enc.encode(riskText);
    risk.forEach((c, i) => {
      expect(c.token_start).toBe(i * (CHUNK - OVERLAP));
      expect(c.text).toBe(enc.decode(riskIds.slice(c.token_start, c.token_end)));
      expect(c.dimensions).toBe(16);
    });
    expect(Number((await server.runtime.db.knex('document_chunks').where('document_id', ids.retention).count({ n: '*' }))[0]!.n)).toBe(expectedChunks(markdown));
    // The provider was called with the configured key over HTTP.
    expect(embeddings.requests.every((r) => r.authorization === 'Bearer sk-test-key' && r.model === 'bag-of-words')).toBe(true);
    // The HTML's script is not text.
    const onboarding = (await server.runtime.db.knex('document_chunks').where('document_id', ids.onboarding).select('text')) as { text: string }[];
    expect(onboarding.map((c) => c.text).join(' ')).not.toContain('leak');

    const listed = await call('GET', '/api/v1/documents', undefined, viewer);
    expect(listed.status).toBe(200);
  });

  it('lists documents newest first with their chunking, embedder and metadata', async () => {
    const position = String(await head());
    const res = await fetch(`${base}/api/v1/documents?limit=10`, { headers: { ...viewer, 'x-min-position': position } });
    const body = (await res.json()) as Body;
    expect(res.status).toBe(200);
    expect(body.total).toBe(5);
    expect(body.documents.map((d: Body) => d.documentId)).toEqual([ids.vendors, ids.incidents, ids.onboarding, ids.retention, ids.risk]);
    expect(body.documents[4]).toMatchObject({ title: 'Risk policy', format: 'text', filename: 'risk-policy.txt', metadata: { department: 'risk', year: 2026 }, personal: false, status: 'active', chunks: expectedChunks(riskText) });
    const pdfOnly = await fetch(`${base}/api/v1/documents?format=pdf`, { headers: viewer });
    expect(((await pdfOnly.json()) as Body).documents.map((d: Body) => d.documentId)).toEqual([ids.incidents]);
  });

  it('answers the same content with its document, recording nothing', async () => {
    const before = await head();
    const again = await upload(riskText, 'copy-of-risk.txt');
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ documentId: ids.risk, deduplicated: true });
    expect(await head()).toBe(before);
  });

  it('fuses vector and full-text ranks by RRF (k = 60); vector ranks match a brute-force cosine ranking', async () => {
    const query = 'drift incident threshold';
    const res = await search(query, { k: 8 });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ vectorSearch: 'hnsw', rrfK: 60 });
    const passages = res.body.passages as Body[];
    expect(passages.length).toBeGreaterThan(0);
    passages.forEach((p, i) => {
      expect(p.fusedRank).toBe(i + 1);
      const expected = (p.vector ? 1 / (60 + p.vector.rank) : 0) + (p.fullText ? 1 / (60 + p.fullText.rank) : 0);
      expect(p.fusedScore).toBeCloseTo(expected, 12);
      if (i > 0) expect(p.fusedScore).toBeLessThanOrEqual(passages[i - 1]!.fusedScore);
    });
    // Brute force over every chunk with the provider's (known) embedding.
    const all = (await server.runtime.db.knex('document_chunks').select('chunk_id', 'text')) as { chunk_id: string; text: string }[];
    const q = bagOfWords(query, 16);
    const scores = all.map((c) => cosine(q, bagOfWords(c.text, 16))).sort((a, b) => b - a);
    for (const p of passages.filter((x) => x.vector)) expect(p.vector.score).toBeCloseTo(scores[p.vector.rank - 1]!, 5);
    // Full-text hits are exactly the chunks holding every query word's stem (websearch_to_tsquery: AND).
    const matching = all.filter((c) => /drift/i.test(c.text) && /incident/i.test(c.text) && /threshold/i.test(c.text)).map((c) => c.chunk_id).sort();
    const ftHits = (await search(query, { k: 50 })).body.passages.filter((p: Body) => p.fullText).map((p: Body) => p.chunkId).sort();
    expect(ftHits).toEqual(matching);
    expect(matching.length).toBeGreaterThan(0);
    // The best passage for a query that only the risk policy answers comes from it.
    expect(passages[0]!.documentId).toBe(ids.risk);
  });

  it('exact search (no pgvector) ranks as the HNSW index does on a small library', async () => {
    const lib = server.runtime.documents;
    const viaIndex = await hybridSearch(lib, { text: 'audit ledger sealed', k: 10 });
    const exact = await hybridSearch({ ...lib, vectorIndex: { mode: 'exact', dimensions: 16, reason: 'test' } }, { text: 'audit ledger sealed', k: 10 });
    expect(exact.vectorMode).toBe('exact');
    expect(exact.passages.map((p) => [p.vector?.rank ?? null, p.vector?.score.toFixed(5) ?? null])).toEqual(viaIndex.passages.map((p) => [p.vector?.rank ?? null, p.vector?.score.toFixed(5) ?? null]));
  });

  it('filters on metadata and document ids', async () => {
    const risk = await search('models assessed reported', { k: 20, filter: { metadata: { department: 'risk' } } });
    expect(risk.status).toBe(200);
    expect(new Set(risk.body.passages.map((p: Body) => p.documentId))).toEqual(new Set([ids.risk, ids.incidents]));
    const one = await search('models assessed reported', { k: 20, filter: { documentIds: [ids.vendors] } });
    expect(new Set(one.body.passages.map((p: Body) => p.documentId))).toEqual(new Set([ids.vendors]));
    const none = await search('models', { filter: { metadata: { department: 'nobody' } } });
    expect(none.body.passages).toEqual([]);
  });

  it('refuses bad input with problem+json naming the field, recording and keeping nothing', async () => {
    const before = { head: await head(), chunks: await chunkCount() };
    const cases: [Promise<{ status: number; type: string | null; body: Body }>, number, string | null][] = [
      [upload('%PDF-1.7 broken', 'broken.pdf'), 422, 'body.file'],
      [upload('PK\u0003\u0004 not a word file', 'broken.docx'), 422, 'body.file'],
      [upload('MZ binary', 'tool.exe'), 415, 'body.file'],
      [upload('x'.repeat(200_001), 'huge.txt'), 413, 'body.file'],
      [upload('   \n  ', 'empty.txt'), 422, 'body.file'],
      [upload('fine text', 'a.txt', { metadata: { nested: { no: 1 } } }), 400, 'body.metadata.metadata.nested'],
      [upload('fine text', 'a.txt', { personalData: { subjectId: 'not-a-uuid' } }), 400, 'body.metadata.personalData.subjectId'],
      [upload('fine text', 'a.txt', { unknown: 1 }), 400, 'body.metadata'],
      [search('', {}), 400, 'body.query'],
      [search('x', { k: 0 }), 400, 'body.k'],
      [search('x', { filter: { documentIds: ['nope'] } }), 400, 'body.filter.documentIds.0'],
    ];
    for (const [pending, status, field] of cases) {
      const res = await pending;
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(res.type).toContain('application/problem+json');
      if (field) expect(JSON.stringify(res.body)).toContain(field);
    }
    const wrongType = await fetch(`${base}/api/v1/documents/upload`, { method: 'POST', headers: { ...writer, 'content-type': 'application/json' }, body: '{}' });
    expect(wrongType.status).toBe(415);
    expect(await head()).toBe(before.head);
    expect(await chunkCount()).toBe(before.chunks);
  });

  it('answers 502 and records nothing when the embedding provider fails; retries a 429 after retry-after', async () => {
    const before = { head: await head(), chunks: await chunkCount() };
    embeddings.script({ status: 500, body: '{"error":"boom"}' }, { status: 500, body: '{}' }, { status: 500, body: '{}' }, { status: 500, body: '{}' });
    const failed = await upload('Quarterly board minutes about model approvals.', 'minutes.txt');
    expect(failed.status).toBe(502);
    expect(failed.type).toContain('application/problem+json');
    embeddings.script({ status: 200, body: 'not json' });
    expect((await upload('Quarterly board minutes about model approvals.', 'minutes.txt')).status).toBe(502);
    expect(await head()).toBe(before.head);
    expect(await chunkCount()).toBe(before.chunks);
    embeddings.script({ status: 429, headers: { 'retry-after': '0' }, body: '{}' });
    const retried = await upload('Quarterly board minutes about model approvals.', 'minutes.txt');
    expect(retried.status).toBe(201);
    ids.minutes = retried.body.documentId;
  });

  it('deletes a document: chunks and embeddings go, the deletion is recorded; again 409, unknown 404', async () => {
    const chunks = Number((await server.runtime.db.knex('document_chunks').where('document_id', ids.minutes).count({ n: '*' }))[0]!.n);
    expect((await call('DELETE', `/api/v1/documents/${ids.minutes}`, undefined, viewer)).status).toBe(403);
    const res = await call('DELETE', `/api/v1/documents/${ids.minutes}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ documentId: ids.minutes, chunksRemoved: chunks, blobRemoved: true });
    expect(chunks).toBeGreaterThan(0);
    expect(Number((await server.runtime.db.knex('document_chunks').where('document_id', ids.minutes).count({ n: '*' }))[0]!.n)).toBe(0);
    const events = await server.runtime.store.readStream(`document-${ids.minutes}`);
    expect(events.map((e) => e.type)).toEqual(['document.uploaded', 'document.deleted']);
    expect(events[1]!.data).toMatchObject({ reason: 'requested', chunksRemoved: chunks });
    expect((await search('board minutes approvals', { k: 50 })).body.passages.some((p: Body) => p.documentId === ids.minutes)).toBe(false);
    const again = await call('DELETE', `/api/v1/documents/${ids.minutes}`);
    expect(again.status).toBe(409);
    expect(again.type).toContain('application/problem+json');
    expect((await call('DELETE', `/api/v1/documents/${randomUUID()}`)).status).toBe(404);
    expect((await call('DELETE', '/api/v1/documents/not-a-uuid')).status).toBe(400);
  });

  it('seals a personal document in the ledger, hides it from callers without personal-data:read, and erases it with its subject', async () => {
    const { userId } = await registerAccount(server.runtime.identity, { email: `subject-${randomUUID()}@example.test`, name: 'Data Subject', password: 'a long enough passphrase 42!', role: 'viewer', method: 'admin-bootstrap', emailVerified: true }, systemActor('test'));
    const secret = 'Zebulon Quarkwood complained about the credit scoring decision on his loan application.';
    const res = await upload(secret, 'complaint-zebulon.txt', { metadata: { department: 'complaints' }, personalData: { subjectId: userId } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const documentId = res.body.documentId as string;
    const [uploaded] = await server.runtime.store.readStream(`document-${documentId}`);
    const stored = JSON.stringify(uploaded!.data);
    expect(stored).not.toContain('Zebulon');
    expect(stored).not.toContain('complaint-zebulon');
    expect(uploaded!.data).toMatchObject({ filename: null, blob: null, title: 'Personal document', personalData: { subjectId: userId, content: { $pii: 'v1' } } });
    const [revealed] = await server.runtime.vault.reveal([uploaded!]);
    expect((revealed!.data.personalData as Body).content).toEqual({ text: secret, filename: 'complaint-zebulon.txt' });
    // The file itself is not kept.
    expect(await server.runtime.blobs.exists((await import('node:crypto')).createHash('sha256').update(secret).digest('hex'))).toBe(false);

    expect((await search('Zebulon credit scoring loan', { k: 50 }, writer)).body.passages.some((p: Body) => p.documentId === documentId)).toBe(false);
    const seen = await search('Zebulon credit scoring loan', { k: 50 }, admin);
    expect(seen.body.passages.find((p: Body) => p.documentId === documentId)).toMatchObject({ personal: true });

    const erased = await call('POST', `/api/v1/privacy/data-deletion/${userId}`, { reason: 'art. 17 request' }, admin);
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect(erased.body.removed.readModels).toContainEqual({ table: 'document_chunks', rows: 1 });
    expect(Number((await server.runtime.db.knex('document_chunks').where('document_id', documentId).count({ n: '*' }))[0]!.n)).toBe(0);
    const events = await server.runtime.store.readStream(`document-${documentId}`);
    expect(events.at(-1)).toMatchObject({ type: 'document.deleted', data: { reason: 'subject-erased' } });
    const [after] = await server.runtime.vault.reveal([events[0]!]);
    expect((after!.data.personalData as Body).content).toBe(REDACTED);
    // Nothing new is kept about an erased subject.
    const refused = await upload('Another note about the same person.', 'note.txt', { personalData: { subjectId: userId } });
    expect(refused.status).toBe(409);
  });

  it('re-embeds every chunk when the embedder changes, recording it per document', async () => {
    const other = openAiEmbeddings({ baseUrl: embeddings.url, model: 'bag-of-words-v2', dimensions: 16 });
    const lib = { ...server.runtime.documents, embedder: other };
    const progress = await reembedDocuments(lib);
    const live = Number(((await server.runtime.db.knex('document_chunks').count({ n: '*' })) as [{ n: string }])[0].n);
    expect(progress.failed).toEqual([]);
    expect(progress.chunks).toBe(live);
    expect(await server.runtime.db.knex('document_chunks').whereNot('embedder', other.id).first()).toBeUndefined();
    const events = await server.runtime.store.readStream(`document-${ids.risk}`);
    expect(events.at(-1)).toMatchObject({ type: 'document.reembedded', data: { to: { id: other.id, dimensions: 16 }, chunks: expectedChunks(riskText) } });
    // A second run finds nothing left to do.
    expect((await reembedDocuments(lib)).documents).toBe(0);
    const found = await hybridSearch(lib, { text: 'drift incident threshold', k: 3 });
    expect(found.passages[0]!.vector).not.toBeNull();
  });

  it('says in health how vector search runs', async () => {
    const res = await call('GET', '/api/v1/health/detailed', undefined, admin);
    expect(res.body.documents).toMatchObject({ vectorSearch: 'hnsw', dimensions: 16 });
  });
});
