import { createHash, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { deflateSync, inflateSync } from 'node:zlib';
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, type PDFHexString, type PDFString } from 'pdf-lib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleCommand } from '../../src/commands/command-handler.js';
import { modelDecider, modelStreamId } from '../../src/commands/model/model.decider.js';
import { verifyExportFile } from '../../src/processors/exports/export-verification.js';
import { eachZipEntry, readAll } from '../../src/processors/exports/zip-entries.js';
import { exportsShowingSubject } from '../../src/projections/export-jobs.projection.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.each(['postgres', 'pglite'] as const)('export jobs over HTTP on %s', (dialect) => {
  let server: TestServer;
  let base: string;
  let admin: Record<string, string>;
  let scientist: Record<string, string>;
  let modelId: string;

  const post = async (path: string, body: unknown, headers = admin) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const job = async (exportId: string, headers = admin): Promise<Json> => {
    for (let i = 0; i < 300; i++) {
      const res = (await (await fetch(`${base}/api/v1/export/jobs?exportId=${exportId}`, { headers })).json()) as Json;
      const found = res.jobs[0];
      if (found && (found.status === 'completed' || found.status === 'failed')) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`export ${exportId} did not finish`);
  };

  beforeAll(async () => {
    server = await startTestServer(dialect);
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    admin = { authorization: `Bearer ${await server.tokenFor('admin')}` };
    scientist = { authorization: `Bearer ${await server.tokenFor('data_scientist')}` };
    const created = await post('/api/v1/models', { name: 'credit =HYPERLINK("x")', type: 'classification', riskTier: 'high', description: 'line one\nline "two", with comma' }, scientist);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    modelId = created.body.id;
  });
  afterAll(async () => {
    server.app.server.closeAllConnections();
    await server.close();
  });

  it('request → completed → download (checksum matches) → verifies offline → delete → 410', async () => {
    for (const [path, kind, params] of [['csv', 'audit-log', {}], ['excel', 'model-card', { modelId }]] as const) {
      const asked = await post(`/api/v1/export/${path}`, { kind, params });
      expect(asked.status, JSON.stringify(asked.body)).toBe(202);
      expect(asked.body.position).toBeGreaterThan(0);
      const done = await job(asked.body.exportId);
      expect(done, JSON.stringify(done)).toMatchObject({ status: 'completed', kind, format: path === 'csv' ? 'csv' : 'xlsx' });
      const res = await fetch(`${base}/api/v1/export/jobs/${asked.body.exportId}/download`, { headers: admin });
      expect(res.status).toBe(200);
      const bytes = Buffer.from(await res.arrayBuffer());
      const sha = createHash('sha256').update(bytes).digest();
      expect(sha.toString('hex')).toBe(done.sha256);
      expect(res.headers.get('repr-digest')).toBe(`sha-256=:${sha.toString('base64')}:`);
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${done.filename}"`);
      expect(bytes.length).toBe(done.size);

      const file = join(server.dataDir, done.filename);
      writeFileSync(file, bytes);
      const report = await verifyExportFile(file, server.runtime.exportRenderers);
      expect(report.problems).toEqual([]);
      expect(report).toMatchObject({ ok: true, exportId: asked.body.exportId, kind, ledgerHead: done.ledgerHead });
      expect(report.eventsChecked).toBeGreaterThan(0);

      const form = new FormData();
      form.append('file', new Blob([bytes]), done.filename);
      const verified = (await (await fetch(`${base}/api/v1/export/verify`, { method: 'POST', headers: admin, body: form })).json()) as Json;
      expect(verified, JSON.stringify(verified)).toMatchObject({ ok: true, problems: [] });

      const deleted = await fetch(`${base}/api/v1/export/jobs/${asked.body.exportId}`, { method: 'DELETE', headers: admin });
      expect(deleted.status).toBe(200);
      expect((await fetch(`${base}/api/v1/export/jobs/${asked.body.exportId}/download`, { headers: admin })).status).toBe(410);
      expect(await server.runtime.blobs.exists(done.sha256)).toBe(false);
      const recorded = await server.runtime.store.readStream(`export-${asked.body.exportId}`);
      expect(recorded.map((e) => e.type)).toEqual(['export.requested', 'export.completed', 'export.deleted']);
      expect(recorded[2]!.data).toMatchObject({ reason: 'requested', blobRemoved: true });
    }
  });

  it('audit-log and timeline exports need audit:read; others\' jobs are not found', async () => {
    const refused = await post('/api/v1/export/csv', { kind: 'audit-log', params: {} }, scientist);
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toContain('audit:read');
    expect((await post('/api/v1/export/csv', { kind: 'timeline', params: { streamId: `model-${modelId}` } }, scientist)).status).toBe(403);
    const own = await post('/api/v1/export/csv', { kind: 'model-card', params: { modelId } }, scientist);
    expect(own.status).toBe(202);
    await job(own.body.exportId, scientist);
    const other = { authorization: `Bearer ${await server.tokenFor('data_scientist')}` };
    expect((await fetch(`${base}/api/v1/export/jobs/${own.body.exportId}/download`, { headers: other })).status).toBe(404);
    const listed = (await (await fetch(`${base}/api/v1/export/jobs`, { headers: other })).json()) as Json;
    expect(listed.jobs).toEqual([]);
    const viewer = { authorization: `Bearer ${await server.tokenFor('viewer')}` };
    expect((await post('/api/v1/export/csv', { kind: 'model-card', params: { modelId } }, viewer)).status).toBe(403);
  });

  it('personal data is in clear only for personal-data:read, and its subjects are recorded', async () => {
    const userId = randomUUID();
    const { vault, store } = server.runtime;
    await store.append(`user-${userId}`, [{
      id: randomUUID(), type: 'user.registered', schemaVersion: 1, actor: { kind: 'system', id: 'vitest' },
      data: { userId, email: await vault.seal(userId, 'ada@example.org') as never, name: await vault.seal(userId, 'Ada Lovelace') as never, passwordHash: await vault.seal(userId, '$argon2id$secret') as never, emailDigest: 'a'.repeat(64), role: 'viewer', method: 'admin-bootstrap' },
    }]);
    const auditor = { authorization: `Bearer ${await server.tokenFor('auditor')}` };
    const texts: Record<string, string> = {};
    for (const [who, headers] of [['admin', admin], ['auditor', auditor]] as const) {
      const asked = await post('/api/v1/export/csv', { kind: 'timeline', params: { streamId: `user-${userId}` } }, headers);
      expect(asked.status, JSON.stringify(asked.body)).toBe(202);
      const done = await job(asked.body.exportId, headers);
      expect(done.subjects).toEqual(who === 'admin' ? [userId] : []);
      const bytes = Buffer.from(await (await fetch(`${base}/api/v1/export/jobs/${asked.body.exportId}/download`, { headers })).arrayBuffer());
      const file = join(server.dataDir, `${who}.zip`);
      writeFileSync(file, bytes);
      let text = '';
      await eachZipEntry(file, async (name, stream) => void (text += (await readAll(stream)).toString('utf8')));
      texts[who] = text;
      // The manifest holds the events as stored: ciphertext, never the address.
      expect(text.split('"envelope"').length).toBeGreaterThan(1);
    }
    expect(texts.admin).toContain('ada@example.org');
    expect(texts.auditor).not.toContain('ada@example.org');
    expect(texts.auditor).toContain(server.runtime.vault.pseudonym('ada@example.org'));
    for (const t of Object.values(texts)) expect(t).not.toContain('$argon2id$secret');
    const manifestOnly = texts.admin!.slice(texts.admin!.lastIndexOf('{"format":"raia-export-manifest/v1"'));
    expect(manifestOnly).not.toContain('ada@example.org');
    expect((await exportsShowingSubject(server.runtime.db.knex, userId)).map((j) => j.requesterId)).toHaveLength(1);
  });

  it('bad input is a 400 naming the field; unsupported kinds and formats say so', async () => {
    const bad = await post('/api/v1/export/csv', { kind: 'model-card', params: { modelId: 'nope' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: Json) => e.field)).toContain('body.params.modelId');
    const unknownKind = await post('/api/v1/export/csv', { kind: 'everything', params: {} });
    expect(unknownKind.status).toBe(400);
    expect(JSON.stringify(unknownKind.body.errors)).toContain('body.kind');
    const noVersion = await post('/api/v1/compliance/generate-report', { modelId, version: 99 });
    expect(noVersion.status).toBe(202);
    expect((await job(noVersion.body.exportId)).failure).toContain(`version 99 of model ${modelId} does not exist`);
    const badVersion = await post('/api/v1/compliance/generate-report', { modelId, version: 0 });
    expect(badVersion.status).toBe(400);
    expect(JSON.stringify(badVersion.body.errors)).toContain('body.version');
    const missing = await post('/api/v1/export/csv', { kind: 'model-card', params: { modelId: '0193f0c2-0000-7000-8000-000000000000' } });
    expect((await job(missing.body.exportId)).failure).toContain('does not exist');
    expect((await fetch(`${base}/api/v1/export/jobs/0193f0c2-0000-7000-8000-000000000000/download`, { headers: admin })).status).toBe(404);
    const notMultipart = await post('/api/v1/export/verify', {});
    expect(notMultipart.status).toBe(415);
  });

  it('the Annex IV report as a PDF: completes, renders every page with poppler, verifies offline; a tampered manifest is named', async () => {
    const actor = { kind: 'user' as const, id: randomUUID(), role: 'admin' };
    await handleCommand(server.runtime, modelDecider, modelStreamId(modelId), {
      type: 'AddVersion',
      spec: { task: 'binary', classes: ['no', 'yes'], artifact: null, endpoint: { url: 'http://127.0.0.1:1/score' }, inputSchema: [{ name: 'age', type: 'number' }], trainingData: null, metrics: { auc: 0.8125 }, notes: '' },
    }, { actor });
    // Tests publish the shipped control packs on demand (a server publishes them at start).
    expect((await fetch(`${base}/api/v1/compliance/status?modelId=${modelId}&detail=summary`, { headers: admin })).status).toBe(200);
    const asked = await post('/api/v1/compliance/generate-report', { modelId, version: 1 });
    expect(asked.status, JSON.stringify(asked.body)).toBe(202);
    const done = await job(asked.body.exportId);
    expect(done, JSON.stringify(done)).toMatchObject({ status: 'completed', kind: 'compliance-report', format: 'pdf' });
    const bytes = Buffer.from(await (await fetch(`${base}/api/v1/export/jobs/${asked.body.exportId}/download`, { headers: admin })).arrayBuffer());
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const file = join(server.dataDir, `annex-iv-${dialect}.pdf`);
    writeFileSync(file, bytes);

    // poppler, not our code, reads it: page count, every page rendered, the cover naming the model and version.
    const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))![1]);
    expect(pages).toBeGreaterThanOrEqual(3);
    const out = join(server.dataDir, `annex-iv-${dialect}`);
    execFileSync('pdftoppm', ['-png', '-r', '30', file, out]);
    const rendered = readdirSync(server.dataDir).filter((f) => f.startsWith(`annex-iv-${dialect}-`) && f.endsWith('.png'));
    expect(rendered).toHaveLength(pages);
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    const unwrapped = text.replace(/\s+/g, '');
    expect(unwrapped).toContain(modelId);
    expect(text).toContain(`page 1 of ${pages}`);
    expect(text).toContain('EU AI Act 2024.1');
    // The gap list of the shipped EU pack, as computed for this version (nothing recorded but the version).
    expect(unwrapped).toContain('Art.9Riskmanagementsystemmissingtheversionisnotvalidated;nofairnessassessmentoftheversion;noapprovaloftheversion');
    // The export sealed the ledger up to the point it reports: the cover names that seal.
    expect(unwrapped).toMatch(/Sealedbythesealrecordedafterthispointatposition\d+,covering\d+-\d+/);

    const report = await verifyExportFile(file, server.runtime.exportRenderers);
    expect(report.problems, JSON.stringify(report)).toEqual([]);
    expect(report).toMatchObject({ ok: true, exportId: asked.body.exportId, kind: 'compliance-report' });
    expect(report.eventsChecked).toBeGreaterThan(0);

    // Tamper with the embedded manifest (rewrite one figure of it) with pdf-lib, a tool anyone has.
    const pdf = await PDFDocument.load(bytes, { updateMetadata: false });
    const names = pdf.catalog.lookup(PDFName.of('Names'), PDFDict).lookup(PDFName.of('EmbeddedFiles'), PDFDict).lookup(PDFName.of('Names'), PDFArray);
    let edited = false;
    for (let i = 0; i < names.size(); i += 2) {
      const name = (names.lookup(i) as PDFString | PDFHexString).decodeText();
      if (name !== 'manifest.json') continue;
      const spec = names.lookup(i + 1, PDFDict);
      const ref = spec.lookup(PDFName.of('EF'), PDFDict).get(PDFName.of('F'));
      const stream = pdf.context.lookup(ref) as PDFRawStream;
      const filtered = stream.dict.get(PDFName.of('Filter')) !== undefined;
      const manifest = (filtered ? inflateSync(Buffer.from(stream.contents)) : Buffer.from(stream.contents)).toString('utf8');
      const forged = manifest.replace(`"kind":"compliance-report"`, `"kind":"model-card"`);
      expect(forged).not.toBe(manifest);
      const raw = Buffer.from(forged, 'utf8');
      const contents = filtered ? deflateSync(raw) : raw;
      stream.dict.set(PDFName.of('Length'), pdf.context.obj(contents.length));
      pdf.context.assign(ref as never, PDFRawStream.of(stream.dict, new Uint8Array(contents)));
      edited = true;
    }
    expect(edited).toBe(true);
    const tampered = join(server.dataDir, `annex-iv-${dialect}-tampered.pdf`);
    writeFileSync(tampered, await pdf.save({ useObjectStreams: false }));
    const refused = await verifyExportFile(tampered, server.runtime.exportRenderers);
    expect(refused.ok).toBe(false);
    expect(refused.problems.join('\n')).toMatch(/manifest signature/);
  });
});
