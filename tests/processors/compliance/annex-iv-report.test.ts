import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishShippedPacks } from '../../../src/commands/compliance/shipped-packs.js';
import type { ExportBlock, TableRow } from '../../../src/processors/exports/export-document.js';
import { AnnexIvSubjectNotFound, buildAnnexIvReport } from '../../../src/processors/compliance/annex-iv-report.js';
import { startTestServer, type TestServer } from '../../support/test-runtime.js';
import { treeModel } from '../../support/tree-model-fixture.js';

// Rows i = 0..19: sex A for even i, B for odd; yhat = 1 for i in {0, 4, 8, 12, 16} (all in A).
// Selection rates by hand: A 5/10 = 0.5, B 0/10 = 0; demographic parity difference 0.5.
const csv = ['age,income,sex,y,yhat', ...Array.from({ length: 20 }, (_, i) => `${20 + i},${30 + 3 * i},${i % 2 === 0 ? 'A' : 'B'},${i % 3 === 0 ? 1 : 0},${i % 4 === 0 ? 1 : 0}`)].join('\n');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.each(['postgres', 'pglite'] as const)('Annex IV technical documentation on %s', (dialect) => {
  let server: TestServer;
  let base: string;
  let scientist: Record<string, string>;
  let officer: Record<string, string>;
  let modelId: string;
  let positionBeforeApproval: number;

  const call = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const res = await fetch(`${base}${path}`, { method, headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Json };
  };

  beforeAll(async () => {
    server = await startTestServer(dialect);
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    scientist = { authorization: `Bearer ${await server.tokenFor('data_scientist')}` };
    officer = { authorization: `Bearer ${await server.tokenFor('risk_officer')}` };
    await publishShippedPacks(server.runtime);
    const form = new FormData();
    form.append('metadata', JSON.stringify({ name: 'applications 2025' }));
    form.append('file', new Blob([csv]), 'applications.csv');
    const dataset = (await (await fetch(`${base}/api/v1/datasets/upload`, { method: 'POST', headers: scientist, body: form })).json()) as Json;
    modelId = (await call('POST', '/api/v1/models', scientist, { name: 'credit scoring', type: 'classification', riskTier: 'high', intendedUse: 'pre-screening of loan applications', description: 'gradient-boosted trees' })).body.id;
    const version = new FormData();
    version.append('metadata', JSON.stringify({ format: 'raia-tree-ensemble/v1', task: 'binary', classes: ['deny', 'grant'], inputSchema: [{ name: 'age', type: 'number' }, { name: 'income', type: 'number' }], metrics: { auc: 0.81 }, trainingData: { datasetId: dataset.id, contentHash: dataset.sha256 } }));
    version.append('artifact', new Blob([JSON.stringify(treeModel)], { type: 'application/json' }), 'model.json');
    expect((await fetch(`${base}/api/v1/models/${modelId}/versions`, { method: 'POST', headers: scientist, body: version })).status).toBe(201);
    const fairness = await call('POST', '/api/v1/fairness/detect-bias', scientist, { modelId, version: 1, datasetId: dataset.id, labelColumn: 'y', predictionColumn: 'yhat', protectedAttributes: ['sex'], options: { minGroupSize: 2, bootstrap: { resamples: 50, seed: 5 } } });
    expect(fairness.status).toBe(200);
    expect((await call('POST', `/api/v1/models/${modelId}/versions/1/validate`, scientist)).status).toBe(200);
    positionBeforeApproval = (await server.runtime.store.head()).position;
    expect((await call('POST', `/api/v1/models/${modelId}/versions/1/approve`, officer, { comment: 'four eyes' })).status).toBe(200);
  });
  afterAll(async () => {
    server.app.server.closeAllConnections();
    await server.close();
  });

  const tables = (blocks: ExportBlock[]) => blocks.filter((b): b is Extract<ExportBlock, { kind: 'table' }> => b.kind === 'table');
  const rowsOf = (doc: Awaited<ReturnType<typeof buildAnnexIvReport>>, name: string) => {
    const table = doc.sections.flatMap((s) => tables(s.blocks)).find((t) => t.name === name)!;
    return table.rows as TableRow[];
  };

  it('documents the version from the ledger: cover with pack, head and seal; every section; fairness with intervals and a chart computed by hand; every cited event in the evidence', async () => {
    await server.runtime.sealer.sealNow();
    const head = await server.runtime.store.head();
    const doc = await buildAnnexIvReport(server.runtime, { modelId, version: 1 });
    const cover = Object.fromEntries(doc.cover.map((c) => [c.label, c.value]));
    expect(cover).toMatchObject({ Model: `credit scoring (${modelId})`, Version: 1, 'Risk tier': 'high', 'Ledger head position': head.position, 'Ledger head hash': head.hash });
    expect(String(cover['Control pack'])).toMatch(/^EU AI Act 2024\.1 /);
    // The seal is the head; it covers everything before it.
    const [sealed] = await server.runtime.store.readAll({ after: head.position - 2, to: head.position - 1, limit: 1 });
    expect(cover['Latest seal']).toBe(`position ${head.position}, covering 1-${head.position - 1}, head ${sealed!.hash}`);
    expect(doc.sections.map((s) => s.heading.split(' ')[0])).toEqual(['1.', '2.', '3.', '4.', '5.', '6.', '7.', '8.', '9.', '10.']);

    const dp = rowsOf(doc, 'Disparities with bootstrap intervals').find((r) => r.metric === 'demographicParityDifference' && r.grouping === 'sex')!;
    expect(dp.value).toBeCloseTo(0.5, 12);
    expect(typeof dp.lower).toBe('number');
    expect(dp.level).toBe(0.95);
    const chart = doc.sections.flatMap((s) => s.blocks).find((b) => b.kind === 'chart') as Extract<ExportBlock, { kind: 'chart' }>;
    const values = (chart.spec.data as { values: { group: string; value: number }[] }).values;
    expect(values.map((v) => [v.group, v.value])).toEqual([
      ['A', 0.5],
      ['B', 0],
    ]);
    expect(rowsOf(doc, 'Approvals')).toHaveLength(1);
    expect(rowsOf(doc, 'Approvals')[0]!.comment).toBe('four eyes');
    expect(rowsOf(doc, 'Declared metrics')).toMatchObject([{ metric: 'auc', value: 0.81 }]);
    expect(rowsOf(doc, 'Dataset profiles')).toHaveLength(1);
    const gaps = Object.fromEntries(rowsOf(doc, 'Controls').map((r) => [r.control, r]));
    expect(gaps['Art. 14']).toMatchObject({ status: 'met', gaps: '' });
    expect(gaps['Art. 72']).toMatchObject({ status: 'missing', gaps: 'drift schedule inactive; no drift report for the model' });
    expect(gaps['Art. 12']).toMatchObject({ status: 'met' });

    // Every event a table names is in the evidence, with its stored hash; nothing beyond the head.
    const evidence = doc.evidence as Json[];
    const ids = new Set(evidence.map((e) => e.id));
    const cited = doc.sections.flatMap((s) => tables(s.blocks)).flatMap((t) => (t.rows as TableRow[]).map((r) => r.eventId)).filter((id): id is string => typeof id === 'string');
    expect(cited.length).toBeGreaterThan(5);
    for (const id of cited) expect(ids, id).toContain(id);
    const stored = new Map((await server.runtime.store.readAll({ after: 0, limit: 10_000 })).map((e) => [e.id, e.hash]));
    for (const e of evidence) {
      expect(e.position).toBeLessThanOrEqual(head.position);
      expect(e.hash).toBe(stored.get(e.id));
    }
    expect(evidence.map((e) => e.position)).toEqual([...evidence.map((e) => e.position)].sort((a, b) => a - b));
    expect(doc.subjects).toEqual([]);
  });

  it('as the ledger stood before the approval: no approval, and Art. 14 in the gap list', async () => {
    const doc = await buildAnnexIvReport(server.runtime, { modelId, version: 1, atPosition: positionBeforeApproval });
    expect(doc.cover.find((c) => c.label === 'Ledger head position')!.value).toBe(positionBeforeApproval);
    expect(rowsOf(doc, 'Approvals')).toEqual([]);
    expect(rowsOf(doc, 'Controls').find((r) => r.control === 'Art. 14')).toMatchObject({ status: 'missing', gaps: 'no approval of the version' });
    expect((doc.evidence as Json[]).every((e) => e.position <= positionBeforeApproval)).toBe(true);
  });

  it('refuses an unknown version', async () => {
    await expect(buildAnnexIvReport(server.runtime, { modelId, version: 7 })).rejects.toBeInstanceOf(AnnexIvSubjectNotFound);
  });
});
