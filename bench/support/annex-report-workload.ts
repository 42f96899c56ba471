import { randomUUID } from 'node:crypto';
import { publishShippedPacks } from '../../src/commands/compliance/shipped-packs.js';
import { renderExport } from '../../src/processors/exports/render-export.js';
import { startTestServer } from '../../tests/support/test-runtime.js';
import { treeModel } from '../../tests/support/tree-model-fixture.js';

const rows = 400;
const csv = ['age,income,sex,region,y,yhat', ...Array.from({ length: rows }, (_, i) => `${20 + (i % 50)},${30 + 3 * (i % 70)},${i % 2 === 0 ? 'A' : 'B'},${['north', 'south', 'east'][i % 3]},${i % 3 === 0 ? 1 : 0},${(i * 7) % 5 === 0 ? 1 : 0}`)].join('\n');

/**
 * The Annex IV report of a model version with `assessments` fairness assessments (each with a
 * bootstrap), validated and approved, all recorded through the HTTP API on PostgreSQL; then the
 * exporter's own work (seal, build, render the PDF with its manifest, store) timed `repeats` times.
 */
export async function annexReportWorkload(assessments = 50, repeats = 3): Promise<{ medianMs: number; timesMs: number[]; pdfBytes: number }> {
  const server = await startTestServer('postgres');
  try {
    const base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    const auth = async (role: 'data_scientist' | 'risk_officer') => ({ authorization: `Bearer ${await server.tokenFor(role)}` });
    const scientist = await auth('data_scientist');
    const call = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
      const res = await fetch(`${base}${path}`, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as Record<string, unknown>;
    };
    await publishShippedPacks(server.runtime);
    const upload = new FormData();
    upload.append('metadata', JSON.stringify({ name: 'applications' }));
    upload.append('file', new Blob([csv]), 'applications.csv');
    const dataset = (await (await fetch(`${base}/api/v1/datasets/upload`, { method: 'POST', headers: scientist, body: upload })).json()) as { id: string; sha256: string };
    const modelId = (await call('POST', '/api/v1/models', scientist, { name: 'credit scoring', type: 'classification', riskTier: 'high', intendedUse: 'pre-screening', description: 'trees' })).id as string;
    const version = new FormData();
    version.append('metadata', JSON.stringify({ format: 'raia-tree-ensemble/v1', task: 'binary', classes: ['deny', 'grant'], inputSchema: [{ name: 'age', type: 'number' }, { name: 'income', type: 'number' }], metrics: { auc: 0.81 }, trainingData: { datasetId: dataset.id, contentHash: dataset.sha256 } }));
    version.append('artifact', new Blob([JSON.stringify(treeModel)], { type: 'application/json' }), 'model.json');
    const added = await fetch(`${base}/api/v1/models/${modelId}/versions`, { method: 'POST', headers: scientist, body: version });
    if (added.status !== 201) throw new Error(`version: ${added.status} ${await added.text()}`);
    for (let i = 0; i < assessments; i++) {
      await call('POST', '/api/v1/fairness/detect-bias', scientist, {
        modelId, version: 1, datasetId: dataset.id, labelColumn: 'y', predictionColumn: 'yhat', protectedAttributes: i % 2 === 0 ? ['sex'] : ['sex', 'region'],
        options: { minGroupSize: 2, bootstrap: { resamples: 50, seed: i + 1 } },
      });
    }
    await call('POST', `/api/v1/models/${modelId}/versions/1/validate`, scientist);
    await call('POST', `/api/v1/models/${modelId}/versions/1/approve`, await auth('risk_officer'), { comment: 'four eyes' });

    const { runtime } = server;
    const deps = { store: runtime.store, catalogue: runtime.catalogue, vault: runtime.vault, blobs: runtime.blobs, sealer: runtime.sealer, keys: runtime.keys, renderers: runtime.exportRenderers, workDir: server.dataDir, maxBytes: 2 ** 30 };
    const timesMs: number[] = [];
    let pdfBytes = 0;
    for (let r = 0; r < repeats; r++) {
      const started = performance.now();
      const result = await renderExport(deps, { exportId: randomUUID(), kind: 'compliance-report', format: 'pdf', params: { modelId, version: 1 }, requesterId: 'bench', personalData: 'pseudonymised' });
      timesMs.push(Math.round(performance.now() - started));
      pdfBytes = result.size;
    }
    const sorted = [...timesMs].sort((a, b) => a - b);
    return { medianMs: sorted[Math.floor(sorted.length / 2)]!, timesMs, pdfBytes };
  } finally {
    server.app.server.closeAllConnections();
    await server.close();
  }
}
