import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documents, documentsOfSubject, findDocument, listDocuments } from '../../src/projections/documents.projection.js';
import { evaluationResults, evaluations, findEvaluation, listEvaluations } from '../../src/projections/evaluations.projection.js';
import { openTestDatabase, type TestDatabase } from '../support/test-database.js';
import { applyAll, freshTables, project, secondIso, sequence, stored } from './read-model-harness.js';

const DOC1 = '00000000-0000-4000-8000-000000000401';
const DOC2 = '00000000-0000-4000-8000-000000000402';
const DOC3 = '00000000-0000-4000-8000-000000000403';

const uploaded = (documentId: string, over: Record<string, unknown> = {}) =>
  ['document.uploaded', {
    documentId,
    title: 'Model policy',
    format: 'markdown',
    contentType: 'text/markdown',
    size: 1500,
    contentDigest: 'digest-1',
    filename: 'policy.md',
    metadata: { team: 'risk', year: 2026 },
    personalData: null,
    chunking: { tokenizer: 'words', chunkTokens: 200, overlapTokens: 20, chunks: 8, tokens: 1400 },
    embedder: { id: 'mini-lm', dimensions: 384 },
    uploadedBy: 'ann',
    ...over,
  }] as [string, Record<string, unknown>];

describe('documents read model on postgres', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase('postgres', { migrate: false });
  });
  afterAll(async () => db.drop());

  // By hand: DOC1 (1), DOC2 personal, of subject s-1, pdf (2), DOC1 re-embedded (3), DOC3 of s-1 (4)
  // deleted (5), DOC1 uploaded again (6: ignored).
  const life = () =>
    sequence([
      uploaded(DOC1),
      uploaded(DOC2, { title: 'Complaint', format: 'pdf', contentType: 'application/pdf', size: 99, filename: null, metadata: { team: 'support' }, personalData: { subjectId: 's-1' } }),
      ['document.reembedded', { documentId: DOC1, from: { id: 'mini-lm', dimensions: 384 }, to: { id: 'big-lm', dimensions: 1024 } }],
      uploaded(DOC3, { title: 'Letter', personalData: { subjectId: 's-1' }, size: 5000 }),
      ['document.deleted', { documentId: DOC3, deletedBy: 'officer-1', reason: 'erasure' }],
      uploaded(DOC1, { title: 'again' }),
      ['document.other', { documentId: DOC1 }],
    ]);
  const doc1 = {
    documentId: DOC1,
    title: 'Model policy',
    format: 'markdown',
    contentType: 'text/markdown',
    size: 1500,
    contentDigest: 'digest-1',
    filename: 'policy.md',
    metadata: { team: 'risk', year: 2026 },
    personal: false,
    subjectId: null,
    chunks: 8,
    tokens: 1400,
    chunking: { tokenizer: 'words', chunkTokens: 200, overlapTokens: 20 },
    embedder: { id: 'big-lm', dimensions: 1024 },
    uploadedBy: 'ann',
    uploadedAt: secondIso(0),
    status: 'active',
    deletedAt: null,
    deletionReason: null,
  };

  it('records uploads, re-embedding and deletion', async () => {
    await project(db.knex, documents, life());
    expect(await findDocument(db.knex, DOC1)).toEqual(doc1);
    expect(await findDocument(db.knex, DOC2)).toMatchObject({ personal: true, subjectId: 's-1', filename: null, embedder: { id: 'mini-lm', dimensions: 384 }, status: 'active' });
    expect(await findDocument(db.knex, DOC3)).toMatchObject({ status: 'deleted', deletedAt: secondIso(4), deletionReason: 'erasure' });
    expect((await db.knex('documents').where('document_id', DOC3).first()).deleted_by).toBe('officer-1');
    expect(Number((await db.knex('documents').where('document_id', DOC2).first()).uploaded_position)).toBe(2);
    expect(await findDocument(db.knex, '00000000-0000-4000-8000-0000000004ff')).toBeNull();
  });

  it('finds a subject’s live documents', async () => {
    await project(db.knex, documents, life());
    expect((await documentsOfSubject(db.knex, 's-1')).map((d) => d.documentId)).toEqual([DOC2]);
    expect(await documentsOfSubject(db.knex, 's-2')).toEqual([]);
  });

  it('lists documents, deleted ones when asked, by format and metadata, in the asked order', async () => {
    await project(db.knex, documents, life());
    const ids = async (query: Partial<Parameters<typeof listDocuments>[1]>) => {
      const r = await listDocuments(db.knex, { limit: 10, offset: 0, includeDeleted: false, ...query });
      return { ids: r.documents.map((d) => d.documentId), total: r.total };
    };
    expect(await ids({})).toEqual({ ids: [DOC2, DOC1], total: 2 });
    expect(await ids({ includeDeleted: true })).toEqual({ ids: [DOC3, DOC2, DOC1], total: 3 });
    expect(await ids({ includeDeleted: true, limit: 1, offset: 1 })).toEqual({ ids: [DOC2], total: 3 });
    expect(await ids({ includeDeleted: true, sort: 'size', order: 'desc' })).toEqual({ ids: [DOC3, DOC1, DOC2], total: 3 });
    expect(await ids({ format: 'pdf' })).toEqual({ ids: [DOC2], total: 1 });
    expect(await ids({ metadata: { team: 'risk' } })).toEqual({ ids: [DOC1], total: 1 });
    expect(await ids({ metadata: { year: 2026 }, includeDeleted: true })).toEqual({ ids: [DOC3, DOC1], total: 2 });
    expect(await ids({ metadata: {} })).toEqual({ ids: [DOC2, DOC1], total: 2 });
  });
});

const E1 = '00000000-0000-4000-8000-000000000501';
const E2 = '00000000-0000-4000-8000-000000000502';
const CA = '00000000-0000-4000-8000-000000000601';
const CB = '00000000-0000-4000-8000-000000000602';

const createdEvaluation = (evaluationId: string, over: Record<string, unknown> = {}) =>
  ['evaluation.created', {
    evaluationId,
    name: 'tone check',
    type: 'llm',
    createdBy: 'ann',
    items: [{ question: 'q1' }, { question: 'q2' }, { question: 'q3' }],
    configurations: [CA, CB],
    counterfactual: { groups: { f: {}, m: {} } },
    metrics: ['exact'],
    modelId: null,
    modelVersion: null,
    ...over,
  }] as [string, Record<string, unknown>];
const scored = (evaluationId: string, configurationId: string, itemIndex: number, variant: string | null, over: Record<string, unknown> = {}) =>
  ['evaluation.item-scored', { evaluationId, configurationId, itemIndex, variant, answer: `a${itemIndex}`, retrievedDocumentIds: ['doc-1'], scores: { exact: 1 }, abstentions: {}, judgeCalls: [], usage: { inputTokens: 10, outputTokens: 5 }, costUsd: 0.5, latencyMs: 40, ...over }] as [string, Record<string, unknown>];
const failed = (evaluationId: string, configurationId: string, itemIndex: number, variant: string | null) => ['evaluation.item-failed', { evaluationId, configurationId, itemIndex, variant, failure: 'timeout', reason: 'provider did not answer' }] as [string, Record<string, unknown>];

describe('evaluations read model on postgres', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase('postgres', { migrate: false });
  });
  afterAll(async () => db.drop());

  const progress = async (id = E1) => {
    const e = await findEvaluation(db.knex, id);
    return [e?.status, e?.progress, e?.spentUsd];
  };

  it('counts units (items × configurations × (1 + groups)) and keeps the definition without its items', async () => {
    await project(db.knex, evaluations, sequence([createdEvaluation(E1), createdEvaluation(E2, { name: 'plain', type: 'rag', items: [{ q: 1 }], configurations: [CA], counterfactual: null, modelId: CA, modelVersion: 3 }), createdEvaluation(E1, { name: 'again' }), ['evaluation.other', { evaluationId: E1 }]]));
    const e1 = await findEvaluation(db.knex, E1);
    expect(e1).toEqual({
      evaluationId: E1,
      name: 'tone check',
      type: 'llm',
      status: 'created',
      createdBy: 'ann',
      createdAt: secondIso(0),
      updatedAt: secondIso(0),
      progress: { total: 18, scored: 0, failed: 0, fraction: 0 },
      spentUsd: 0,
      stopReason: null,
      modelId: null,
      modelVersion: null,
      definition: { evaluationId: E1, name: 'tone check', type: 'llm', createdBy: 'ann', configurations: [CA, CB], counterfactual: { groups: { f: {}, m: {} } }, metrics: ['exact'], modelId: null, modelVersion: null, itemCount: 3 },
      aggregates: null,
      fairness: null,
      receipt: null,
    });
    expect(await findEvaluation(db.knex, E2)).toMatchObject({ progress: { total: 1, scored: 0, failed: 0, fraction: 0 }, modelId: CA, modelVersion: 3 });
    expect(Number((await db.knex('evaluations').where('evaluation_id', E2).first()).position)).toBe(2);
    expect(await findEvaluation(db.knex, '00000000-0000-4000-8000-0000000005ff')).toBeNull();
  });

  it('a run scores and fails units, a failed unit scored later, a scored unit never changed; a new run forgets failures', async () => {
    await freshTables(db.knex, evaluations);
    let position = 0;
    const apply = async (...events: [string, Record<string, unknown>][]) => {
      for (const [type, data] of events) {
        position++;
        await applyAll(db.knex, evaluations, [stored(type, data, { position, at: secondIso(position) })]);
      }
    };
    await apply(createdEvaluation(E1, { items: [{ q: 1 }, { q: 2 }], configurations: [CA], counterfactual: null }));
    await apply(['evaluation.started', { evaluationId: E1 }]);
    expect(await progress()).toEqual(['running', { total: 2, scored: 0, failed: 0, fraction: 0 }, 0]);
    await apply(scored(E1, CA, 0, null));
    await apply(failed(E1, CA, 1, null));
    expect(await progress()).toEqual(['running', { total: 2, scored: 1, failed: 1, fraction: 1 }, 0.5]);
    await apply(failed(E1, CA, 1, null));
    expect(await progress()).toEqual(['running', { total: 2, scored: 1, failed: 1, fraction: 1 }, 0.5]);
    await apply(['evaluation.stopped', { evaluationId: E1, reason: 'budget', spentUsd: 0.75 }]);
    expect(await progress()).toEqual(['stopped', { total: 2, scored: 1, failed: 1, fraction: 1 }, 0.75]);
    expect((await findEvaluation(db.knex, E1))?.stopReason).toBe('budget');
    await apply(['evaluation.started', { evaluationId: E1 }]);
    expect(await progress()).toEqual(['running', { total: 2, scored: 1, failed: 0, fraction: 0.5 }, 0.75]);
    expect((await findEvaluation(db.knex, E1))?.stopReason).toBeNull();
    expect((await evaluationResults(db.knex, E1, { limit: 10, offset: 0 })).total).toBe(1);
    await apply(failed(E1, CA, 1, null));
    await apply(scored(E1, CA, 1, null, { costUsd: null, answer: 'late' }));
    expect(await progress()).toEqual(['running', { total: 2, scored: 2, failed: 0, fraction: 1 }, 0.75]);
    const lastCounted = position;
    await apply(scored(E1, CA, 0, null, { answer: 'changed', costUsd: 9 }));
    await apply(failed(E1, CA, 0, null));
    expect(await progress()).toEqual(['running', { total: 2, scored: 2, failed: 0, fraction: 1 }, 0.75]);
    const row = await db.knex('evaluations').where('evaluation_id', E1).first();
    // The unit was scored already: neither event touched the evaluation row.
    expect([Number(row.position), new Date(row.updated_at).toISOString()]).toEqual([lastCounted, secondIso(lastCounted)]);
    const results = await evaluationResults(db.knex, E1, { limit: 10, offset: 0 });
    expect(results).toEqual({
      total: 2,
      results: [
        { configurationId: CA, itemIndex: 0, variant: null, status: 'scored', answer: 'a0', retrievedDocumentIds: ['doc-1'], scores: { exact: 1 }, abstentions: {}, judgeCalls: [], usage: { inputTokens: 10, outputTokens: 5 }, costUsd: 0.5, latencyMs: 40, failure: null, reason: null },
        { configurationId: CA, itemIndex: 1, variant: null, status: 'scored', answer: 'late', retrievedDocumentIds: ['doc-1'], scores: { exact: 1 }, abstentions: {}, judgeCalls: [], usage: { inputTokens: 10, outputTokens: 5 }, costUsd: null, latencyMs: 40, failure: null, reason: null },
      ],
    });
    await apply(['evaluation.completed', { evaluationId: E1, spentUsd: 0.8, aggregates: [{ configurationId: CA, metrics: [] }], fairness: { ok: true }, receipt: { hash: 'r' } }]);
    expect(await findEvaluation(db.knex, E1)).toMatchObject({ status: 'completed', spentUsd: 0.8, aggregates: [{ configurationId: CA, metrics: [] }], fairness: { ok: true }, receipt: { hash: 'r' }, updatedAt: secondIso(position) });
  });

  it('pages results by configuration and variant, a failure without usage', async () => {
    await project(db.knex, evaluations, sequence([
      createdEvaluation(E1),
      scored(E1, CB, 1, 'f', { scores: { exact: 0 }, abstentions: { judge: 'unsure' }, judgeCalls: [{ call: 1 }], latencyMs: 3 }),
      failed(E1, CA, 0, null),
      scored(E1, CA, 1, null),
      scored(E1, CA, 0, 'm'),
    ]));
    const keys = async (page: Parameters<typeof evaluationResults>[2]) => {
      const r = await evaluationResults(db.knex, E1, page);
      return { keys: r.results.map((x) => `${x.itemIndex}/${x.variant ?? '-'}/${x.configurationId === CA ? 'A' : 'B'}/${x.status}`), total: r.total };
    };
    expect(await keys({ limit: 10, offset: 0 })).toEqual({ keys: ['0/-/A/failed', '0/m/A/scored', '1/-/A/scored', '1/f/B/scored'], total: 4 });
    expect(await keys({ limit: 10, offset: 0, configurationId: CB })).toEqual({ keys: ['1/f/B/scored'], total: 1 });
    expect(await keys({ limit: 2, offset: 1, sort: 'status', order: 'desc' })).toEqual({ keys: ['1/-/A/scored', '0/m/A/scored'], total: 4 });
    const all = (await evaluationResults(db.knex, E1, { limit: 10, offset: 0 })).results;
    expect(all[0]).toEqual({ configurationId: CA, itemIndex: 0, variant: null, status: 'failed', answer: null, retrievedDocumentIds: [], scores: {}, abstentions: {}, judgeCalls: [], usage: null, costUsd: null, latencyMs: null, failure: 'timeout', reason: 'provider did not answer' });
    expect(all[3]).toMatchObject({ variant: 'f', scores: { exact: 0 }, abstentions: { judge: 'unsure' }, judgeCalls: [{ call: 1 }], latencyMs: 3 });
    expect(await findEvaluation(db.knex, E1)).toMatchObject({ progress: { total: 18, scored: 3, failed: 1, fraction: 4 / 18 }, spentUsd: 1.5 });
  });

  it('lists evaluations by status and type, newest first, with the total; no units means done', async () => {
    await project(db.knex, evaluations, sequence([
      createdEvaluation(E1),
      createdEvaluation(E2, { name: 'empty', type: 'rag', items: [] }),
      ['evaluation.started', { evaluationId: E1 }],
    ]));
    const ids = async (filter: Parameters<typeof listEvaluations>[1]) => {
      const r = await listEvaluations(db.knex, filter);
      return { ids: r.evaluations.map((e) => e.evaluationId), total: r.total };
    };
    expect(await ids({ limit: 10, offset: 0 })).toEqual({ ids: [E2, E1], total: 2 });
    expect(await ids({ limit: 1, offset: 1 })).toEqual({ ids: [E1], total: 2 });
    expect(await ids({ limit: 10, offset: 0, status: 'running' })).toEqual({ ids: [E1], total: 1 });
    expect(await ids({ limit: 10, offset: 0, type: 'rag' })).toEqual({ ids: [E2], total: 1 });
    expect(await ids({ limit: 10, offset: 0, sort: 'name', order: 'asc' })).toEqual({ ids: [E2, E1], total: 2 });
    expect((await findEvaluation(db.knex, E2))?.progress).toEqual({ total: 0, scored: 0, failed: 0, fraction: 1 });
  });
});
