import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eraseSubject } from '../../src/commands/privacy/erase-subject.js';
import { systemActor } from '../../src/events/envelope.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

const csv = ['id,age,income,city', '1,25,40000,Paris', '2,35,52000,Lyon', '3,45,61000,Paris', '4,,58000,Nice', '5,55,75000,Paris', '5,55,75000,Paris'].join('\n') + '\n';

describe.each(['postgres', 'pglite'] as const)('datasets, data quality and drift on %s', (dialect) => {
  let server: TestServer;
  let base: string;
  let owner: Record<string, string>;
  let other: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    owner = { authorization: `Bearer ${await server.tokenFor('data_scientist')}` };
    other = { authorization: `Bearer ${await server.tokenFor('data_scientist')}` };
  });
  afterAll(async () => {
    server.app.server.closeAllConnections();
    await server.close();
  });

  const upload = async (content: string | Uint8Array, filename: string, metadata: Record<string, unknown> = { name: filename }, headers = owner) => {
    const form = new FormData();
    form.append('metadata', JSON.stringify(metadata));
    form.append('file', new Blob([content]), filename);
    const res = await fetch(`${base}/api/v1/datasets/upload`, { method: 'POST', headers, body: form });
    return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const call = async (method: string, path: string, body?: unknown, headers = owner) => {
    const res = await fetch(`${base}${path}`, { method, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  it('uploads a CSV: schema, row count, profile (hand-computed), preview, versions by content', async () => {
    const res = await upload(csv, 'applicants.csv', { name: 'applicants', tags: ['credit'] });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ version: 1, format: 'csv', rowCount: 6 });
    expect(res.body.columns.map((c: { name: string; type: string }) => [c.name, c.type])).toEqual([
      ['id', 'integer'],
      ['age', 'integer'],
      ['income', 'integer'],
      ['city', 'string'],
    ]);
    const id = res.body.id as string;
    const profile = await call('GET', `/api/v1/datasets/${id}/profile`);
    const age = profile.body.profile.columns.find((c: { name: string }) => c.name === 'age');
    // age: 25, 35, 45, 55, 55 (one missing): mean 43, sample std sqrt(((−18)² + (−8)² + 2² + 12² + 12²) / 4) = sqrt(170).
    expect(age.missing).toBe(1);
    expect(age.numeric.mean).toBeCloseTo(43, 12);
    expect(age.numeric.std).toBeCloseTo(Math.sqrt(170), 12);
    expect(profile.body.profile.duplicates.count).toBe(1);

    const preview = await call('GET', `/api/v1/datasets/${id}/preview?rows=2`);
    expect(preview.body).toMatchObject({ columns: ['id', 'age', 'income', 'city'], rows: [['1', '25', '40000', 'Paris'], ['2', '35', '52000', 'Lyon']] });

    const again = await upload(csv, 'applicants.csv', { datasetId: id });
    expect(again.body).toMatchObject({ id, version: 2, sha256: res.body.sha256 });
    expect((await upload(csv, 'x.csv', { datasetId: id }, other)).status).toBe(403); // not the owner
    const listed = await call('GET', '/api/v1/datasets?tag=credit');
    expect(listed.body.datasets.map((d: { id: string }) => d.id)).toContain(id);
  });

  it('reads Parquet and NDJSON, and refuses malformed files naming the row, recording nothing', async () => {
    const parquet = parquetWriteBuffer({ columnData: [{ name: 'x', data: [1.5, 2.5, 3.5], type: 'DOUBLE' }, { name: 'label', data: ['a', 'b', 'a'], type: 'STRING' }] });
    const p = await upload(new Uint8Array(parquet), 'data.parquet');
    expect(p.status, JSON.stringify(p.body)).toBe(201);
    expect(p.body).toMatchObject({ format: 'parquet', rowCount: 3 });
    const n = await upload('{"a":1,"b":"x"}\n{"a":2,"b":"y"}\n', 'rows.ndjson');
    expect(n.body).toMatchObject({ format: 'ndjson', rowCount: 2 });

    const head = (await server.runtime.store.head()).position;
    const ragged = await upload('a,b\n1,2\n3\n', 'ragged.csv');
    expect(ragged.status).toBe(400);
    expect(ragged.body).toMatchObject({ code: 'RAGGED_ROW', row: 2 });
    expect(ragged.body.errors[0].field).toBe('body.file');
    const badUtf8 = await upload(Buffer.concat([Buffer.from('a,b\n1,'), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]), 'bad.csv');
    expect(badUtf8.body.code).toBe('BAD_ENCODING');
    const truncated = await upload(new Uint8Array(parquet).subarray(0, Math.floor(parquet.byteLength / 2)), 'cut.parquet');
    expect(truncated.body.code).toBe('TRUNCATED_PARQUET');
    expect((await upload(csv, 'noname.csv', {})).body.errors[0].field).toBe('body.metadata.name');
    expect((await server.runtime.store.head()).position).toBe(head);
  });

  it('quality: rules with failing rows by index, rule sets, report and issues', async () => {
    const { body } = await upload(csv, 'quality.csv', { name: 'quality' });
    const id = body.id as string;
    const rules = [
      { type: 'not_null', column: 'age' },
      { type: 'range', column: 'age', min: 30, max: 50 },
      { type: 'allowed_values', column: 'city', values: ['Paris', 'Lyon'] },
      { type: 'unique', column: 'id' },
      { type: 'expression', expression: 'income > age * 1000', name: 'income-vs-age' },
    ];
    const checked = await call('POST', `/api/v1/datasets/${id}/validate`, { rules });
    expect(checked.status, JSON.stringify(checked.body)).toBe(200);
    const failing = Object.fromEntries(checked.body.results.map((r: { rule: string; type: string; failingRows: number[] }) => [r.type === 'expression' ? r.rule : r.type, r.failingRows]));
    expect(failing).toMatchObject({ not_null: [3], range: [0, 4, 5], allowed_values: [3], unique: [5] });
    expect(checked.body.passed).toBe(false);

    const set = await call('POST', '/api/v1/data-quality/rules', { datasetId: id, name: 'basics', rules: rules.slice(0, 1) });
    expect(set.status).toBe(201);
    const bySet = await call('POST', `/api/v1/datasets/${id}/validate`, { ruleSetId: set.body.ruleSetId });
    expect(bySet.body.results[0].failingRows).toEqual([3]);
    const report = await call('GET', `/api/v1/data-quality/report/${id}`);
    expect(report.body.qualityScore).toBeGreaterThan(0);
    expect(report.body.validations).toHaveLength(2);
    const issues = await call('GET', `/api/v1/data-quality/issues/${id}`);
    expect(issues.body.issues.map((i: { code: string }) => i.code)).toContain('high_duplicate_rate');
    expect((await call('POST', `/api/v1/datasets/${id}/validate`, { rules: [{ type: 'range', column: 'nope', min: 1 }] })).status).toBe(400);
  });

  it('detects drift between versions with the default tests and raises an alert', async () => {
    const rows = (shift: number) => ['x,colour', ...Array.from({ length: 200 }, (_, i) => `${(i % 50) + shift},${['red', 'green', 'blue'][i % 3]}`)].join('\n');
    const reference = (await upload(rows(0), 'ref.csv', { name: 'reference' })).body;
    const same = (await upload(rows(0), 'same.csv', { name: 'same' })).body;
    const shifted = (await upload(rows(30), 'cur.csv', { name: 'current' })).body;
    const none = await call('POST', '/api/v1/drift/detect', { reference: { datasetId: reference.id }, current: { datasetId: same.id } });
    expect(none.status, JSON.stringify(none.body)).toBe(200);
    expect(none.body).toMatchObject({ datasetDrift: false, shareOfDriftedColumns: 0, alert: null });
    const drift = await call('POST', '/api/v1/drift/detect', { reference: { datasetId: reference.id }, current: { datasetId: shifted.id } });
    const x = drift.body.columns.find((c: { column: string }) => c.column === 'x');
    expect(x).toMatchObject({ test: 'ks', drifted: true }); // 200-row reference: KS
    expect(drift.body.columns.find((c: { column: string }) => c.column === 'colour')).toMatchObject({ test: 'chisquare', drifted: false });
    expect(drift.body).toMatchObject({ datasetDrift: true, shareOfDriftedColumns: 0.5, alert: { severity: 'medium', driftedColumns: ['x'] } });
    const alerts = await call('GET', `/api/v1/drift/alerts?datasetId=${shifted.id}`);
    expect(alerts.body.alerts).toHaveLength(1);
  });

  it('keeps personal columns sealed per data subject: nothing personal in the file or the ledger, erased with the subject, whose new data is refused with 409', async () => {
    const people = ['customer,email,salary,city', 'C1,ada@example.org,123456,Paris', 'C2,bob@example.org,654321,Lyon', 'C3,cy@example.org,111111,Paris'].join('\n');
    const res = await upload(people, 'people.csv', { name: 'people', personalColumns: ['email', 'salary'], subjectColumn: 'customer' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.format).toBe('ndjson');
    expect(res.body.columns.find((c: { name: string }) => c.name === 'email').hints).toContain('personal');
    const stored = readFileSync(await server.runtime.blobs.localPath(res.body.sha256), 'utf8');
    expect(stored).not.toContain('ada@example.org');
    expect(stored).not.toContain('654321');
    const ledger = JSON.stringify(await server.runtime.store.readAll({ filter: { dataContains: { datasetId: res.body.id } } }));
    expect(ledger).not.toContain('example.org');
    expect(ledger).not.toContain('654321');

    // In clear only with personal-data:read (admin); the owner, a data scientist, sees stable pseudonyms.
    const admin = { authorization: `Bearer ${await server.tokenFor('admin')}` };
    const preview = async (headers: Record<string, string> = admin) => (await call('GET', `/api/v1/datasets/${res.body.id}/preview`, undefined, headers)).body.rows as unknown[][];
    expect(await preview()).toEqual([
      ['C1', 'ada@example.org', 123456, 'Paris'],
      ['C2', 'bob@example.org', 654321, 'Lyon'],
      ['C3', 'cy@example.org', 111111, 'Paris'],
    ]);
    const pseudonymised = await preview(owner);
    expect(pseudonymised.map((r) => [r[0], r[3]])).toEqual([['C1', 'Paris'], ['C2', 'Lyon'], ['C3', 'Paris']]);
    for (const row of pseudonymised) for (const cell of [row[1], row[2]]) expect(cell).toMatch(/^\[personal:[0-9a-f]{16}\]$/);
    expect(await preview(owner)).toEqual(pseudonymised);
    expect(JSON.stringify(pseudonymised)).not.toMatch(/example\.org|123456|654321|111111/);
    await eraseSubject(server.runtime.identity, 'C2', 'GDPR art. 17 request', { actor: systemActor('test') });
    expect((await preview())[1]).toEqual(['C2', '[redacted]', '[redacted]', 'Lyon']);
    expect((await preview(owner))[1]).toEqual(['C2', '[redacted]', '[redacted]', 'Lyon']);
    expect((await preview())[0]![1]).toBe('ada@example.org');
    // Nothing new is kept about an erased subject: a file with a row of C2 is refused with 409 (not 500), recording nothing.
    const head = (await server.runtime.store.head()).position;
    const form = new FormData();
    form.append('metadata', JSON.stringify({ name: 'people again', personalColumns: ['email', 'salary'], subjectColumn: 'customer' }));
    form.append('file', new Blob([people]), 'people.csv');
    const refused = await fetch(`${base}/api/v1/datasets/upload`, { method: 'POST', headers: owner, body: form });
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(await refused.json()).toMatchObject({ type: 'https://raia.dev/problems/subject-erased', status: 409, code: 'SUBJECT_ERASED' });
    expect((await server.runtime.store.head()).position).toBe(head);
    // Rules cannot probe personal values for a caller who may not read them; presence and uniqueness still can be checked.
    const probe = await call('POST', `/api/v1/datasets/${res.body.id}/validate`, { rules: [{ type: 'not_null', column: 'email' }, { type: 'regex', column: 'email', pattern: '^ada@' }] });
    expect(probe.status).toBe(403);
    expect(probe.body.errors[0].field).toBe('body.rules.1.column');
    const allowed = await call('POST', `/api/v1/datasets/${res.body.id}/validate`, { rules: [{ type: 'regex', column: 'email', pattern: '^ada@' }] }, admin);
    expect(allowed.body.results[0]).toMatchObject({ failed: 2, failingRows: [1, 2] });
    const presence = await call('POST', `/api/v1/datasets/${res.body.id}/validate`, { rules: [{ type: 'not_null', column: 'email' }, { type: 'unique', column: 'email' }] });
    expect(presence.status).toBe(200);
    const missingSubject = await upload('customer,email\n,x@example.org\n', 'nosubject.csv', { name: 'bad', personalColumns: ['email'], subjectColumn: 'customer' });
    expect(missingSubject.status).toBe(400);
    expect((await upload(people, 'p.csv', { name: 'bad', personalColumns: ['phone'], subjectColumn: 'customer' })).body.errors[0].field).toBe('body.metadata.personalColumns');
  });

  it('deletes a dataset (owner only), removing files nothing else uses, on the record', async () => {
    const { body } = await upload('k,v\n1,2\n', 'temp.csv', { name: 'temp' });
    const path = join(server.dataDir, 'blobs', 'sha256', body.sha256.slice(0, 2), body.sha256.slice(2, 4), body.sha256);
    expect(existsSync(path)).toBe(true);
    expect((await call('DELETE', `/api/v1/datasets/${body.id}`, undefined, other)).status).toBe(403);
    const deleted = await call('DELETE', `/api/v1/datasets/${body.id}?reason=test`);
    expect(deleted.body.blobsRemoved).toEqual([body.sha256]);
    expect(existsSync(path)).toBe(false);
    expect((await call('GET', `/api/v1/datasets/${body.id}`)).status).toBe(404);
  });
});
