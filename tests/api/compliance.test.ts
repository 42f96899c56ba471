import { createHash, randomUUID } from 'node:crypto';
import { v5 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishShippedPacks } from '../../src/commands/compliance/shipped-packs.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';
import { treeModel } from '../support/tree-model-fixture.js';

const inputSchema = [
  { name: 'age', type: 'number' },
  { name: 'income', type: 'number' },
];

// 20 rows of a labelled prediction log with a protected attribute: the training dataset.
const trainingCsv = ['age,income,sex,y,yhat', ...Array.from({ length: 20 }, (_, i) => `${20 + i},${30 + 3 * i},${i % 2 === 0 ? 'A' : 'B'},${i % 3 === 0 ? 1 : 0},${i % 4 === 0 ? 1 : 0}`)].join('\n');

const EU = 'EU AI Act';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.each(['postgres', 'pglite'] as const)('compliance as code on %s', (dialect) => {
  let server: TestServer;
  let base: string;
  let admin: Record<string, string>;
  let officer: Record<string, string>;
  let scientist: Record<string, string>;
  let auditor: Record<string, string>;
  let viewer: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    const bearer = async (role: Parameters<TestServer['tokenFor']>[0]) => ({ authorization: `Bearer ${await server.tokenFor(role)}` });
    [admin, officer, scientist, auditor, viewer] = await Promise.all([bearer('admin'), bearer('risk_officer'), bearer('data_scientist'), bearer('auditor'), bearer('viewer')]);
  });
  afterAll(async () => {
    server.app.server.closeAllConnections();
    await server.close();
  });

  const call = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const res = await fetch(`${base}${path}`, { method, headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, text, body: (text.startsWith('{') ? JSON.parse(text) : {}) as Json };
  };
  const head = async () => (await server.runtime.store.head()).position;

  const uploadDataset = async () => {
    const form = new FormData();
    form.append('metadata', JSON.stringify({ name: 'training data' }));
    form.append('file', new Blob([trainingCsv]), 'training.csv');
    const res = await fetch(`${base}/api/v1/datasets/upload`, { method: 'POST', headers: scientist, body: form });
    expect(res.status).toBe(201);
    return (await res.json()) as Json;
  };
  const registerModel = async (riskTier: string, intendedUse = '') => {
    const res = await call('POST', '/api/v1/models', scientist, { name: `credit ${riskTier}`, type: 'classification', riskTier, intendedUse, description: 'scores loan applications' });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const addVersion = async (modelId: string, trainingData: { datasetId: string; contentHash: string } | null) => {
    const form = new FormData();
    form.append('metadata', JSON.stringify({ format: 'raia-tree-ensemble/v1', task: 'binary', classes: ['0', '1'], inputSchema, metrics: { auc: 0.8 }, ...(trainingData ? { trainingData } : {}) }));
    form.append('artifact', new Blob([JSON.stringify(treeModel)], { type: 'application/json' }), 'model.json');
    const res = await fetch(`${base}/api/v1/models/${modelId}/versions`, { method: 'POST', headers: scientist, body: form });
    expect(res.status).toBe(201);
  };
  const status = async (query: string, headers = auditor) => {
    const res = await call('GET', `/api/v1/compliance/status?${query}`, headers);
    expect(res.status, res.text).toBe(200);
    return res.body;
  };
  const controlOf = (answer: Json, framework: string, controlId: string) => {
    const f = answer.models[0].frameworks.find((x: Json) => x.framework === framework);
    return f.controls.find((c: Json) => c.controlId === controlId) as Json;
  };

  it('publishes the shipped packs once: ids derived from framework and version, a second publication records nothing', async () => {
    const listed = await call('GET', '/api/v1/compliance/packs', auditor);
    expect(listed.status).toBe(200);
    const shipped = listed.body.packs.filter((p: Json) => p.origin === 'shipped');
    expect(shipped.map((p: Json) => [p.framework, p.version])).toEqual([
      [EU, '2024.1'],
      ['NIST AI RMF', '1.0'],
      ['ISO/IEC 42001', '2023'],
    ]);
    const namespace = '6f3c2a1e-4b8d-5e9f-a0b1-c2d3e4f5a6b7';
    for (const p of shipped) {
      expect(p.packId).toBe(v5(`${p.framework}@${p.version}`, namespace));
      const stream = await server.runtime.store.readStream(`compliance-pack-${p.packId}`);
      expect(stream.map((e) => [e.type, e.id])).toEqual([['compliance.pack-published', v5(`${p.packId}:published`, namespace)]]);
    }
    const before = await head();
    expect(await publishShippedPacks(server.runtime)).toEqual([]);
    expect((await call('GET', '/api/v1/compliance/packs', auditor)).body.packs).toHaveLength(listed.body.packs.length);
    expect(await head()).toBe(before);

    const eu = await call('GET', `/api/v1/compliance/packs/${shipped[0].packId}`, auditor);
    expect(eu.body.controls.map((c: Json) => c.id)).toEqual(['Art. 5', 'Art. 9', 'Art. 10', 'Art. 11 + Annex IV', 'Art. 12', 'Art. 13', 'Art. 14', 'Art. 15', 'Art. 72', 'Art. 73']);
    const iso = await call('GET', `/api/v1/compliance/packs/${shipped[2].packId}`, auditor);
    expect(iso.body.controls.map((c: Json) => c.id)).toContain('A.6.2.4');
    const nist = await call('GET', `/api/v1/compliance/packs/${shipped[1].packId}`, auditor);
    expect(nist.body.controls.find((c: Json) => c.id === 'MEASURE 2.11').title).toBe('Fairness and bias, as identified in the MAP function, are evaluated and results are documented.');
  });

  it('evaluates a high-risk model through its lifecycle: missing and partial with the exact gaps, met with the proving events, not applicable by risk tier; as of an earlier position or instant the approval was missing', async () => {
    const dataset = await uploadDataset();
    const modelId = await registerModel('high');
    await addVersion(modelId, { datasetId: dataset.id, contentHash: dataset.sha256 });
    const limitedId = await registerModel('limited', 'pre-screening');

    let answer = await status(`modelId=${modelId}&framework=${encodeURIComponent(EU)}`);
    expect(answer.models).toHaveLength(1);
    expect(answer.models[0]).toMatchObject({ modelId, riskTier: 'high', version: 1, versionStatus: 'draft' });
    expect(controlOf(answer, EU, 'Art. 14')).toMatchObject({ status: 'missing', gaps: ['no approval of the version'] });
    // Training data named and profiled (the upload profiles it), no quality rules run, no fairness assessment.
    const art10 = controlOf(answer, EU, 'Art. 10');
    expect(art10.status).toBe('partial');
    expect(art10.gaps).toEqual(['no passing data-quality validation of the training dataset', 'no fairness assessment on the training dataset']);
    const profiled = (await server.runtime.store.readStream(`dataset-${dataset.id}`)).find((e) => e.type === 'dataset.profiled')!;
    expect(art10.requirements.find((r: Json) => r.id === 'training-data-profile')).toMatchObject({ status: 'met', evidence: [{ eventId: profiled.id, position: profiled.position, type: 'dataset.profiled' }] });
    expect(controlOf(answer, EU, 'Art. 13').gaps).toEqual(['no intended use documented for the model', 'no explanation of the version']);
    expect(controlOf(answer, EU, 'Art. 72')).toMatchObject({ status: 'missing', gaps: ['drift schedule inactive', 'no drift report for the model'] });
    expect(controlOf(answer, EU, 'Art. 73')).toMatchObject({ status: 'met', gaps: [] });

    const limited = await status(`modelId=${limitedId}&framework=${encodeURIComponent(EU)}`);
    expect(limited.models[0].frameworks[0].controls.every((c: Json) => c.status === 'not_applicable')).toBe(true);
    expect(controlOf(limited, EU, 'Art. 9').notApplicable.reason).toBe('applies to risk tier high; the model is limited');
    expect(limited.models[0].frameworks[0].counts).toMatchObject({ not_applicable: 10, met: 0 });

    // Fairness on the training dataset, validation, approval.
    const fairness = await call('POST', '/api/v1/fairness/detect-bias', scientist, { modelId, version: 1, datasetId: dataset.id, labelColumn: 'y', predictionColumn: 'yhat', protectedAttributes: ['sex'], options: { minGroupSize: 2, bootstrap: { resamples: 50, seed: 3 } } });
    expect(fairness.status, fairness.text).toBe(200);
    expect((await call('POST', `/api/v1/models/${modelId}/versions/1/validate`, scientist)).status).toBe(200);
    const beforeApproval = await status(`modelId=${modelId}&framework=${encodeURIComponent(EU)}`);
    const instantBeforeApproval = new Date();
    await sleep(20);
    const approved = await call('POST', `/api/v1/models/${modelId}/versions/1/approve`, officer, { comment: 'reviewed' });
    expect(approved.status).toBe(200);

    answer = await status(`modelId=${modelId}&framework=${encodeURIComponent(EU)}`);
    const approval = (await server.runtime.store.readStream(`model-${modelId}`)).find((e) => e.type === 'model.version-approved')!;
    expect(controlOf(answer, EU, 'Art. 14')).toMatchObject({ status: 'met', gaps: [], requirements: [{ id: 'approval', status: 'met', evidence: [{ eventId: approval.id, position: approval.position }] }] });
    expect(controlOf(answer, EU, 'Art. 9').status).toBe('met');
    expect(controlOf(answer, EU, 'Art. 10').gaps).toEqual(['no passing data-quality validation of the training dataset']);
    expect(answer.position).toBe(await head());

    // The ledger as it stood before the approval: by position, and by instant.
    const atPosition = await status(`modelId=${modelId}&framework=${encodeURIComponent(EU)}&atPosition=${beforeApproval.position}`);
    expect(atPosition.position).toBe(beforeApproval.position);
    expect(controlOf(atPosition, EU, 'Art. 14')).toMatchObject({ status: 'missing', gaps: ['no approval of the version'] });
    const asOf = await status(`modelId=${modelId}&framework=${encodeURIComponent(EU)}&asOf=${encodeURIComponent(instantBeforeApproval.toISOString())}`);
    expect(asOf.position).toBeLessThan(approval.position);
    expect(asOf.position).toBeGreaterThanOrEqual(beforeApproval.position);
    expect(asOf.asOf).toBe(instantBeforeApproval.toISOString());
    expect(controlOf(asOf, EU, 'Art. 14').status).toBe('missing');
    // Before the model existed.
    expect((await call('GET', `/api/v1/compliance/status?modelId=${modelId}&atPosition=1`, auditor)).status).toBe(404);

    // Filters: status keeps only controls with that status; the portfolio summary counts them all.
    const missingOnly = await status(`framework=${encodeURIComponent(EU)}&status=missing`);
    for (const m of missingOnly.models) for (const f of m.frameworks) for (const c of f.controls) expect(c.status).toBe('missing');
    expect(missingOnly.summary.models).toBeGreaterThanOrEqual(2);
    const total = Object.values(missingOnly.summary.counts as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(total).toBe(missingOnly.summary.models * 10);
    const summary = await status(`framework=${encodeURIComponent(EU)}&detail=summary`);
    expect(summary.summary).toEqual(missingOnly.summary);
    expect(summary.models.every((m: Json) => m.frameworks.every((f: Json) => f.controls.length === 0))).toBe(true);
  });

  it('a custom pack: stale after its freshness window with the gap in words, partial, and statements of applicability (not applicable with justification; an organisational control met by its statement)', async () => {
    const modelId = await registerModel('minimal', 'internal triage');
    await addVersion(modelId, { datasetId: randomUUID(), contentHash: createHash('sha256').update('x').digest('hex') });
    expect((await call('POST', `/api/v1/models/${modelId}/versions/1/validate`, scientist)).status).toBe(200);
    const framework = `Internal policy ${randomUUID().slice(0, 8)}`;
    const pack = await call('POST', '/api/v1/compliance/packs', officer, {
      framework,
      version: '1',
      title: 'Our own controls',
      controls: [
        {
          id: 'P-1',
          title: 'Validated within a second',
          appliesTo: { riskTiers: ['minimal', 'limited', 'high'] },
          evidence: [{ kind: 'events', id: 'validation', label: 'validation', eventTypes: ['model.version-validated'], scope: 'version', freshness: 'PT1S', missing: 'not validated' }],
        },
        {
          id: 'P-2',
          title: 'Validated and explained',
          appliesTo: { riskTiers: ['minimal'] },
          evidence: [
            { kind: 'events', id: 'validation', label: 'validation', eventTypes: ['model.version-validated'], scope: 'version', missing: 'not validated' },
            { kind: 'events', id: 'explained', label: 'explanation', eventTypes: ['explanation.computed'], scope: 'version', missing: 'no explanation of the version' },
          ],
        },
        { id: 'P-3', title: 'Organisational', appliesTo: { riskTiers: ['minimal'] }, evidence: [{ kind: 'events', id: 'soa', label: 'statement', eventTypes: ['compliance.applicability-set'], scope: 'control', where: [{ path: 'applicable', op: 'eq', value: true }], missing: 'no statement' }] },
        { id: 'P-4', title: 'Not for us', appliesTo: { riskTiers: ['minimal'] }, evidence: [{ kind: 'events', id: 'deployed', label: 'deployment', eventTypes: ['model.version-deployed'], scope: 'version', missing: 'not deployed' }] },
      ],
    });
    expect(pack.status, pack.text).toBe(201);
    const packId = pack.body.packId as string;
    expect((await call('PUT', `/api/v1/compliance/packs/${packId}/controls/P-3/applicability`, officer, { applicable: true, justification: 'the AI policy is approved by the board' })).status).toBe(200);
    const statement = await call('PUT', `/api/v1/compliance/packs/${packId}/controls/P-4/applicability`, officer, { applicable: false, justification: 'we never deploy these models' });
    expect(statement.status).toBe(200);
    const validated = (await server.runtime.store.readStream(`model-${modelId}`)).find((e) => e.type === 'model.version-validated')!;
    const wait = validated.occurredAt.getTime() + 1100 - Date.now();
    if (wait > 0) await sleep(wait);

    const answer = await status(`modelId=${modelId}&framework=${packId}`);
    const p1 = controlOf(answer, framework, 'P-1');
    expect(p1.status).toBe('stale');
    expect(p1.gaps[0]).toMatch(/^validation older than 1 second \(latest \d+ seconds? old\)$/);
    expect(controlOf(answer, framework, 'P-2')).toMatchObject({ status: 'partial', gaps: ['no explanation of the version'] });
    expect(controlOf(answer, framework, 'P-3')).toMatchObject({ status: 'met', requirements: [{ evidence: [{ type: 'compliance.applicability-set' }] }] });
    expect(controlOf(answer, framework, 'P-4')).toMatchObject({ status: 'not_applicable', notApplicable: { reason: 'not applicable per the statement of applicability: we never deploy these models', evidence: [{ eventId: statement.body.eventId }] } });
    expect(answer.models[0].frameworks[0].counts).toEqual({ met: 1, partial: 1, missing: 0, stale: 1, not_applicable: 1 });

    // A control added to the custom pack; shipped packs take none.
    const added = await call('POST', `/api/v1/compliance/packs/${packId}/controls`, admin, { id: 'P-5', title: 'Fairness', appliesTo: { riskTiers: ['minimal'] }, evidence: [{ kind: 'events', id: 'fair', label: 'fairness', eventTypes: ['fairness.assessed'], scope: 'training-dataset', missing: 'no fairness assessment on the training dataset' }] });
    expect(added.status, added.text).toBe(200);
    expect(controlOf(await status(`modelId=${modelId}&framework=${packId}`), framework, 'P-5')).toMatchObject({ status: 'missing', gaps: ['no fairness assessment on the training dataset'] });
    const euPack = (await call('GET', '/api/v1/compliance/packs', auditor)).body.packs.find((p: Json) => p.framework === EU);
    const refused = await call('POST', `/api/v1/compliance/packs/${euPack.packId}/controls`, admin, { id: 'X', title: 'x', appliesTo: { riskTiers: ['high'] }, evidence: [{ kind: 'retention', id: 'r', label: 'r', minimum: 'P6M', missing: 'x' }] });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('SHIPPED_PACK');
    expect((await call('POST', '/api/v1/compliance/packs', officer, { framework, version: '1', title: 'again', controls: pack.body && [{ id: 'Q', title: 'q', appliesTo: { riskTiers: ['high'] }, evidence: [{ kind: 'retention', id: 'r', label: 'r', minimum: 'P6M', missing: 'x' }] }] })).status).toBe(409);
  });

  it('refuses bad input with 400 naming the field, recording nothing; unknown ids are 404', async () => {
    const before = await head();
    const control = (evidence: unknown) => ({ framework: 'Bad', version: '1', title: 'bad', controls: [{ id: 'B-1', title: 'b', appliesTo: { riskTiers: ['high'] }, evidence: [evidence] }] });
    const cases: [string, string, unknown, string][] = [
      ['GET', '/api/v1/compliance/status?asOf=yesterday', undefined, 'querystring.asOf'],
      ['GET', `/api/v1/compliance/status?asOf=${encodeURIComponent(new Date(Date.now() + 86_400_000).toISOString())}`, undefined, 'querystring.asOf'],
      ['GET', '/api/v1/compliance/status?atPosition=99999999', undefined, 'querystring.atPosition'],
      ['GET', '/api/v1/compliance/status?version=1', undefined, 'querystring.version'],
      ['GET', '/api/v1/compliance/status?status=compliant', undefined, 'querystring.status'],
      ['POST', '/api/v1/compliance/packs', control({ kind: 'events', id: 'e', label: 'e', eventTypes: ['model.teleported'], scope: 'version', missing: 'm' }), 'body.controls.0.evidence.0.eventTypes.0'],
      ['POST', '/api/v1/compliance/packs', control({ kind: 'events', id: 'e', label: 'e', eventTypes: ['model.registered'], scope: 'version', freshness: 'one year', missing: 'm' }), 'body.controls.0.evidence.0.freshness'],
      ['POST', '/api/v1/compliance/packs', control({ kind: 'events', id: 'e', label: 'e', eventTypes: ['model.registered'], scope: 'galaxy', missing: 'm' }), 'body.controls.0.evidence.0.scope'],
      ['POST', '/api/v1/compliance/packs', { ...control({ kind: 'retention', id: 'r', label: 'r', minimum: 'P6M', missing: 'x' }), controls: [0, 1].map(() => ({ id: 'B-1', title: 'b', appliesTo: { riskTiers: ['high'] }, evidence: [{ kind: 'retention', id: 'r', label: 'r', minimum: 'P6M', missing: 'x' }] })) }, 'body.controls.1.id'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await call(method, path, officer, body);
      expect(res.status, `${path} ${res.text}`).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field), res.text).toContain(field);
    }
    expect(await head()).toBe(before);
    expect((await call('GET', `/api/v1/compliance/status?modelId=${randomUUID()}`, auditor)).status).toBe(404);
    expect((await call('GET', `/api/v1/compliance/status?framework=nonexistent`, auditor)).status).toBe(404);
    expect((await call('GET', `/api/v1/compliance/packs/${randomUUID()}`, auditor)).status).toBe(404);
    expect((await call('PUT', `/api/v1/compliance/packs/${randomUUID()}/controls/A.2.2/applicability`, officer, { applicable: true, justification: 'x' })).status).toBe(404);
  });

  it('reports serious incidents with the Art. 73 deadline (computed by hand), overdue shown, sealed descriptions, and the gap in Art. 73', async () => {
    const modelId = await registerModel('high', 'credit');
    await addVersion(modelId, null);
    const text = 'Applicant Jane Roe was refused by mistake';
    const late = await call('POST', '/api/v1/incidents', scientist, { modelId, modelVersion: 1, severity: 'high', description: text, awareAt: '2025-03-01T10:00:00Z' });
    expect(late.status, late.text).toBe(201);
    expect(late.body.deadline).toBe('2025-03-16T10:00:00.000Z'); // 1 March + 15 days
    const awareAt = new Date(Date.now() - 86_400_000);
    const recent = await call('POST', '/api/v1/incidents', scientist, { modelId, severity: 'critical', category: 'death', description: 'a patient died', awareAt: awareAt.toISOString() });
    expect(recent.body.deadline).toBe(new Date(awareAt.getTime() + 10 * 86_400_000).toISOString());

    const stored = await server.runtime.store.readStream(`incident-${late.body.incidentId}`);
    expect(JSON.stringify(stored)).not.toContain('Jane Roe');

    const clear = await call('GET', `/api/v1/incidents/${late.body.incidentId}`, admin);
    expect(clear.body).toMatchObject({ description: text, status: 'open', overdue: true, deadline: '2025-03-16T10:00:00.000Z', reportingDays: 15, modelVersion: 1 });
    const pseudonymised = await call('GET', `/api/v1/incidents/${late.body.incidentId}`, auditor);
    expect(pseudonymised.body.description).toMatch(/^\[personal:[0-9a-f]{16}\]$/);
    expect((await call('GET', `/api/v1/incidents/${recent.body.incidentId}`, auditor)).body).toMatchObject({ overdue: false, reportingDays: 10 });

    const overdueList = await call('GET', `/api/v1/incidents?modelId=${modelId}&overdue=true`, auditor);
    expect(overdueList.body.incidents.map((i: Json) => i.incidentId)).toEqual([late.body.incidentId]);

    let art73 = controlOf(await status(`modelId=${modelId}&framework=${encodeURIComponent(EU)}`), EU, 'Art. 73');
    expect(art73.status).toBe('missing');
    expect(art73.gaps).toEqual([`serious incident report overdue: incident ${late.body.incidentId} (serious-incident): the authority is not notified and the deadline 2025-03-16T10:00:00.000Z has passed`]);

    // Critical infrastructure: 2 days from awareness.
    const recategorised = await call('PUT', `/api/v1/incidents/${recent.body.incidentId}`, scientist, { category: 'critical-infrastructure' });
    expect(recategorised.body.deadline).toBe(new Date(awareAt.getTime() + 2 * 86_400_000).toISOString());
    // Notified late stays overdue, and says so.
    expect((await call('PUT', `/api/v1/incidents/${late.body.incidentId}`, officer, { authorityNotifiedAt: '2025-03-20T10:00:00Z', authorityReference: 'MSA-2025-17' })).status).toBe(200);
    expect((await call('GET', `/api/v1/incidents/${late.body.incidentId}`, auditor)).body).toMatchObject({ overdue: true, authorityNotifiedAt: '2025-03-20T10:00:00.000Z', authorityReference: 'MSA-2025-17' });
    art73 = controlOf(await status(`modelId=${modelId}&framework=${encodeURIComponent(EU)}`), EU, 'Art. 73');
    expect(art73.gaps[0]).toContain('was notified to the authority 4 days after its deadline 2025-03-16T10:00:00.000Z');

    const closed = await call('POST', `/api/v1/incidents/${recent.body.incidentId}/close`, officer, { resolution: 'model withdrawn' });
    expect(closed.status).toBe(200);
    expect((await call('GET', `/api/v1/incidents/${recent.body.incidentId}`, admin)).body).toMatchObject({ status: 'closed', resolution: 'model withdrawn' });
    expect((await call('PUT', `/api/v1/incidents/${recent.body.incidentId}`, officer, { severity: 'low' })).status).toBe(409);

    const before = await head();
    const bad: [unknown, string][] = [
      [{ modelId, severity: 'high', description: 'x', awareAt: new Date(Date.now() + 3_600_000).toISOString() }, 'body.awareAt'],
      [{ modelId, description: 'x', awareAt: '2025-01-01T00:00:00Z' }, 'body.severity'],
      [{ modelId, severity: 'high', description: 'x', awareAt: 'last tuesday' }, 'body.awareAt'],
      [{ modelId, severity: 'high', category: 'meteor', description: 'x', awareAt: '2025-01-01T00:00:00Z' }, 'body.category'],
      [{ modelId, modelVersion: 9, severity: 'high', description: 'x', awareAt: '2025-01-01T00:00:00Z' }, 'body.modelVersion'],
    ];
    for (const [body, field] of bad) {
      const res = await call('POST', '/api/v1/incidents', scientist, body);
      expect(res.status, res.text).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect((await call('POST', '/api/v1/incidents', scientist, { modelId: randomUUID(), severity: 'high', description: 'x', awareAt: '2025-01-01T00:00:00Z' })).status).toBe(404);
    expect((await call('PUT', `/api/v1/incidents/${late.body.incidentId}`, officer, { authorityNotifiedAt: new Date(Date.now() + 3_600_000).toISOString() })).body.errors[0].field).toBe('body.authorityNotifiedAt');
    expect(await head()).toBe(before);
  });

  it('keeps compliance reads to compliance:read, writes to compliance:manage and incidents:report', async () => {
    expect((await call('GET', '/api/v1/compliance/status', viewer)).status).toBe(403);
    expect((await call('GET', '/api/v1/incidents', viewer)).status).toBe(403);
    expect((await call('POST', '/api/v1/compliance/packs', scientist, {})).status).toBe(403);
    expect((await call('POST', '/api/v1/incidents', auditor, {})).status).toBe(403);
    expect((await call('GET', '/api/v1/compliance/status', scientist)).status).toBe(200);
  });
});
