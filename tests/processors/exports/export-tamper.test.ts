import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import ExcelJS from 'exceljs';
import yazl from 'yazl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleCommand } from '../../../src/commands/command-handler.js';
import { exportDecider, exportStreamId, type ExportFormat, type ExportKind } from '../../../src/commands/export/export.decider.js';
import { modelDecider, modelStreamId } from '../../../src/commands/model/model.decider.js';
import type { JsonObject } from '../../../src/events/envelope.js';
import { verifyExportFile } from '../../../src/processors/exports/export-verification.js';
import type { EvidenceManifest } from '../../../src/processors/exports/evidence-manifest.js';
import { eachZipEntry, readAll } from '../../../src/processors/exports/zip-entries.js';
import { startTestServer, type TestServer } from '../../support/test-runtime.js';

/** Rewrites a ZIP with `edit` applied to each entry's bytes (a tamperer's tool: any zip program would do). */
async function rezip(from: string, to: string, edit: (name: string, bytes: Buffer) => Buffer): Promise<void> {
  const entries: [string, Buffer][] = [];
  await eachZipEntry(from, async (name, stream) => void entries.push([name, await readAll(stream)]));
  const zip = new yazl.ZipFile();
  for (const [name, bytes] of entries) zip.addBuffer(edit(name, bytes), name);
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(to));
}

describe('exports verify offline, and tampering is named', () => {
  let server: TestServer;
  let modelId: string;
  const actor = { kind: 'user' as const, id: 'auditor-1', role: 'admin' };

  const exportFile = async (kind: ExportKind, format: ExportFormat, params: JsonObject): Promise<{ file: string; exportId: string }> => {
    const exportId = randomUUID();
    await handleCommand(server.runtime, exportDecider, exportStreamId(exportId), { type: 'RequestExport', exportId, kind, format, params, requesterId: actor.id, personalData: 'pseudonymised' }, { actor });
    for (let i = 0; i < 400; i++) {
      const stream = await server.runtime.store.readStream(exportStreamId(exportId));
      const done = stream.find((e) => e.type === 'export.completed' || e.type === 'export.failed');
      if (done) {
        expect(done.type, JSON.stringify(done.data)).toBe('export.completed');
        const file = join(server.dataDir, `${exportId}.${format === 'csv' ? 'zip' : format}`);
        await pipeline(await server.runtime.blobs.open(String((done.data.blob as JsonObject).sha256)), createWriteStream(file));
        return { file, exportId };
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('export did not finish');
  };

  beforeAll(async () => {
    server = await startTestServer('pglite');
    modelId = randomUUID();
    await handleCommand(server.runtime, modelDecider, modelStreamId(modelId), { type: 'RegisterModel', modelId, modelType: 'classification', name: '=cmd|"/c calc"!A1', description: 'a, "quoted"\r\nmulti-line description', tags: ['-x', '+y'], riskTier: 'high', intendedUse: '@SUM(1)' }, { actor });
    await handleCommand(server.runtime, modelDecider, modelStreamId(modelId), { type: 'AddVersion', spec: { task: 'binary', classes: ['no', 'yes'], artifact: null, endpoint: { url: 'http://127.0.0.1:1/score' }, inputSchema: [{ name: 'age', type: 'number' }], trainingData: null, metrics: { auc: 0.8125, accuracy: -0.5 }, notes: '' } }, { actor });
  });
  afterAll(async () => {
    await server.close();
  });

  it('a CSV bundle: an edited cell names its file; an edited manifest names the signature', async () => {
    const { file } = await exportFile('audit-log', 'csv', {});
    expect(await verifyExportFile(file, server.runtime.exportRenderers)).toMatchObject({ ok: true, problems: [] });

    const cell = join(server.dataDir, 'cell.zip');
    await rezip(file, cell, (name, bytes) => (name === 'audit-log.csv' ? Buffer.from(bytes.toString('utf8').replace('model.registered', 'model.deleted')) : bytes));
    expect((await verifyExportFile(cell, server.runtime.exportRenderers)).problems).toEqual(["content file 'audit-log.csv' does not match its digest"]);
    // The same through `npm run verify-export` (its compiled entry point, run here from source).
    const cli = (path: string) => spawnSync(process.execPath, ['--import', 'tsx', 'src/verify-export.ts', path], { encoding: 'utf8' });
    const good = cli(file);
    expect(good.status, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/^VERIFIED: /);
    const bad = cli(cell);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain("FAIL  content file 'audit-log.csv' does not match its digest");
    expect(cli(join(server.dataDir, 'absent.zip')).status).toBe(2);

    const manifest = join(server.dataDir, 'manifest.zip');
    await rezip(file, manifest, (name, bytes) => {
      if (name !== 'manifest.json') return bytes;
      const m = JSON.parse(bytes.toString('utf8')) as EvidenceManifest;
      m.generatedAt = '2020-01-01T00:00:00.000Z';
      return Buffer.from(JSON.stringify(m));
    });
    expect((await verifyExportFile(manifest, server.runtime.exportRenderers)).problems).toEqual(['manifest signature invalid']);

    const range = join(server.dataDir, 'range.zip');
    await rezip(file, range, (name, bytes) => {
      if (name !== 'manifest.json') return bytes;
      const m = JSON.parse(bytes.toString('utf8')) as EvidenceManifest;
      m.range!.last!.envelope.data = { ...m.range!.last!.envelope.data, injected: true };
      return Buffer.from(JSON.stringify(m));
    });
    const last = (JSON.parse((await readManifest(file)).toString('utf8')) as EvidenceManifest).range!.last!.envelope;
    expect((await verifyExportFile(range, server.runtime.exportRenderers)).problems).toEqual(['manifest signature invalid', `event ${last.id.slice(0, 8)}… at position ${last.position}: hash does not match its content`]);
  });

  it('an XLSX workbook: an edited cell names its sheet; an edited referenced event names the event and its position', async () => {
    const { file } = await exportFile('model-card', 'xlsx', { modelId });
    const clean = await verifyExportFile(file, server.runtime.exportRenderers);
    expect(clean).toMatchObject({ ok: true, problems: [], kind: 'model-card', eventsChecked: 2 });

    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(file);
    const metrics = workbook.getWorksheet('Metrics')!;
    expect(metrics.getRow(2).values).toEqual([undefined, 1, 'auc', 0.8125]);
    metrics.getRow(2).getCell(3).value = 0.9;
    const cell = join(server.dataDir, 'cell.xlsx');
    await workbook.xlsx.writeFile(cell);
    expect((await verifyExportFile(cell, server.runtime.exportRenderers)).problems).toEqual(["content sheet 'Metrics' does not match its digest"]);

    const again = new ExcelJS.Workbook();
    await again.xlsx.readFile(file);
    const sheet = again.getWorksheet('RAIA manifest')!;
    let text = '';
    sheet.eachRow((row, n) => void (n > 1 && (text += String(row.getCell(1).value))));
    const m = JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as EvidenceManifest;
    const registered = m.events.find((e) => e.envelope.type === 'model.registered')!.envelope;
    registered.data = { ...registered.data, riskTier: 'minimal' };
    const encoded = Buffer.from(JSON.stringify(m)).toString('base64');
    sheet.spliceRows(2, sheet.rowCount - 1);
    for (let i = 0; i < encoded.length; i += 30_000) sheet.addRow([encoded.slice(i, i + 30_000)]);
    const event = join(server.dataDir, 'event.xlsx');
    await again.xlsx.writeFile(event);
    expect((await verifyExportFile(event, server.runtime.exportRenderers)).problems).toEqual(['manifest signature invalid', `event ${registered.id.slice(0, 8)}… at position ${registered.position}: hash does not match its content`]);
  });

  it('a dataset profile: every figure of the recorded profile is in the file, and the file verifies', async () => {
    const datasetId = randomUUID();
    const profile = { columns: { age: { mean: 41.5, missing: 2, histogram: [3, 5, 8] } }, rows: 16 };
    await server.runtime.store.append(`dataset-${datasetId}`, [{ id: randomUUID(), type: 'dataset.profiled', schemaVersion: 1, actor, data: { datasetId, version: 1, profile, qualityScore: 87.5, issues: [{ column: 'age', kind: 'missing', count: 2 }], elapsedMs: 12, codeVersion: 'test' } }]);
    const { file } = await exportFile('dataset-profile', 'csv', { datasetId });
    const verified = await verifyExportFile(file, server.runtime.exportRenderers);
    expect(verified, JSON.stringify(verified.problems)).toMatchObject({ ok: true, eventsChecked: 1 });
    const entries = new Map<string, string>();
    await eachZipEntry(file, async (name, stream) => void entries.set(name, (await readAll(stream)).toString('utf8')));
    const details = [...entries].find(([name]) => name.startsWith('dataset-profiled-') && name.endsWith('-details.csv'))![1];
    // Field order follows the stored JSON (PostgreSQL orders jsonb keys), so the rows are compared as a set.
    const lines = details.split('\r\n');
    expect(lines[0]).toBe('Field,Value');
    expect(lines.slice(1).sort()).toEqual(['', 'issues[0].column,age', 'issues[0].count,2', 'issues[0].kind,missing', 'profile.columns.age.histogram[0],3', 'profile.columns.age.histogram[1],5', 'profile.columns.age.histogram[2],8', 'profile.columns.age.mean,41.5', 'profile.columns.age.missing,2', 'profile.rows,16']);
    const facts = [...entries].find(([name]) => name.startsWith('dataset-profiled-at-position'))![1];
    expect(facts).toContain('qualityScore,87.5\r\n');
    expect((await exportFile('dataset-profile', 'csv', { datasetId: randomUUID() }).catch((e: Error) => e.message))).toMatch(/export.completed/);
  });

  it('neutralises formula-like text in both formats; numbers stay numbers', async () => {
    const { file } = await exportFile('model-card', 'csv', { modelId });
    const entries = new Map<string, string>();
    await eachZipEntry(file, async (name, stream) => void entries.set(name, (await readAll(stream)).toString('utf8')));
    const cover = entries.get('cover.csv')!;
    expect(cover).toContain('Title,"Model card: =cmd|""/c calc""!A1"\r\n');
    expect(cover).toContain('Tags,"\'-x, +y"');
    expect(entries.get('intended-use-text.csv')).toBe("Text\r\n'@SUM(1)\r\n");
    expect(entries.get('metrics.csv')).toBe('Version,Metric,Value\r\n1,auc,0.8125\r\n1,accuracy,-0.5\r\n');

    const xlsx = await exportFile('model-card', 'xlsx', { modelId });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(xlsx.file);
    // exceljs writes text as text: a formula needs an explicit formula cell, which no exporter writes.
    const intended = workbook.getWorksheet('Intended use (text)')!.getRow(2).getCell(1);
    expect(intended.type).toBe(ExcelJS.ValueType.String);
    expect(intended.value).toBe('@SUM(1)');
    expect(workbook.getWorksheet('Metrics')!.getRow(3).getCell(3).value).toBe(-0.5);
    expect(workbook.getWorksheet('Metrics')!.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
  });
});

async function readManifest(file: string): Promise<Buffer> {
  let found: Buffer = Buffer.alloc(0);
  await eachZipEntry(file, async (name, stream) => {
    if (name === 'manifest.json') found = await readAll(stream);
    else stream.resume();
  });
  return found;
}
