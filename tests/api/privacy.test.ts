import { execFileSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import yauzl from 'yauzl';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { privacyStreamId } from '../../src/commands/privacy/privacy-subject.decider.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { TEST_DATABASE_URL } from '../support/test-database.js';
import { testConfig } from '../support/test-runtime.js';

const password = 'a long enough passphrase';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Every file under `dir` (blobs, sent mail, keys, and on PGlite its whole data directory), read raw. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Reads a ZIP with yauzl (an independent reader): entry name → text. */
function unzip(bytes: Buffer): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(bytes, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const out: Record<string, string> = {};
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            out[entry.fileName] = Buffer.concat(chunks).toString('utf8');
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(out));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

type Person = { userId: string; email: string; name: string; ip: string; userAgent: string; salary: string; accessToken: string; refreshToken: string; apiKey: string; datasetId: string };

describe.each(['postgres', 'pglite'] as const)('data-subject export and erasure on %s', (dialect) => {
  let runtime: Runtime;
  let app: FastifyInstance;
  let base: string;
  let dataDir: string;
  let schema: string;
  let admin: Record<string, string>;
  let scientist: Record<string, string>;
  let ada: Person;
  let bob: Person;

  const tokenFor = async (role: 'admin' | 'data_scientist') => {
    const userId = randomUUID();
    const { sessionId } = await runtime.identity.sessions.create(userId, 'vitest');
    return runtime.accessTokens.issue({ userId, role, sessionId });
  };
  const post = (url: string, payload: object, headers: Record<string, string> = {}, ip?: string) => app.inject({ method: 'POST', url, payload, headers, ...(ip ? { remoteAddress: ip } : {}) });
  const get = (url: string, headers: Record<string, string> = {}, ip?: string) => app.inject({ method: 'GET', url, headers, ...(ip ? { remoteAddress: ip } : {}) });

  /** The next sent .eml file to `to` not read before, parsed (the file transport writes them: no SMTP configured). */
  const seen = new Set<string>();
  async function nextMail(to: string): Promise<{ text: string }> {
    const dir = join(dataDir, 'outbox-sent');
    for (let i = 0; i < 400; i++) {
      await runtime.mailSender.flush();
      for (const name of readdirSync(dir).sort()) {
        if (seen.has(name)) continue;
        const mail = await simpleParser(readFileSync(join(dir, name)));
        const address = Array.isArray(mail.to) ? mail.to[0]?.value[0]?.address : mail.to?.value[0]?.address;
        if (address?.toLowerCase() !== to.toLowerCase()) continue;
        seen.add(name);
        return { text: mail.text ?? '' };
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no mail for ${to}`);
  }
  const tokenIn = (text: string) => /token=([A-Za-z0-9_-]+)/.exec(text)?.[1];

  /** A person seeded through the HTTP API only: registered, verified, signed in from `ip`, mailed a reset link, with an API key used from `ip` and a row in a personal dataset. */
  async function seedPerson(tag: string): Promise<Person> {
    const unique = randomBytes(4).toString('hex');
    const email = `${tag}.${unique}@subject-${unique}.example`;
    const name = `${tag[0]!.toUpperCase()}${tag.slice(1)} Quarkwood-${unique}`;
    const ip = `198.51.100.${10 + Math.floor(Math.random() * 200)}`;
    const salary = String(7_000_000_000 + Math.floor(Math.random() * 999_999_999));
    const userAgent = `QuarkBrowser/${unique} (subject-test)`;
    expect((await post('/api/v1/auth/register', { email, name, password }, {}, ip)).statusCode).toBe(202);
    const verified = await post('/api/v1/auth/verify-email', { token: tokenIn((await nextMail(email)).text) });
    expect(verified.statusCode).toBe(200);
    // Self-registered accounts are viewers; an administrator lets this one hold API keys.
    const listed = await get('/api/v1/admin/users?limit=500', { ...admin, 'x-min-position': String(verified.json().position) });
    const userId = listed.json().users.find((u: { email: string }) => u.email === email).id as string;
    expect((await app.inject({ method: 'PUT', url: `/api/v1/admin/users/${userId}/role`, payload: { role: 'data_scientist' }, headers: admin })).statusCode).toBe(200);
    const login = await post('/api/v1/auth/login', { email, password }, { 'user-agent': userAgent }, ip);
    expect(login.statusCode, login.body).toBe(200);
    const { accessToken, refreshToken, user } = login.json();
    expect((await post('/api/v1/auth/forgot-password', { email })).statusCode).toBe(202);
    await nextMail(email);
    const key = await post('/api/v1/auth/api-keys', { name: 'nightly import', permissions: ['datasets:read'] }, bearer(accessToken));
    expect(key.statusCode, key.body).toBe(201);
    expect((await get('/api/v1/datasets', bearer(key.json().key), ip)).statusCode).toBe(200);
    // A data scientist's dataset with a personal column naming this person as its data subject.
    const form = new FormData();
    form.append('metadata', JSON.stringify({ name: `customers ${tag}`, personalColumns: ['email', 'salary'], subjectColumn: 'customer' }));
    form.append('file', new Blob([`customer,email,salary,segment\n${user.id},${email},${salary},gold\n${randomUUID()},someone@else.example,42,silver\n`]), 'customers.csv');
    const upload = await fetch(`${base}/api/v1/datasets/upload`, { method: 'POST', headers: scientist, body: form });
    expect(upload.status).toBe(201);
    const dataset = (await upload.json()) as { id: string };
    return { userId: user.id, email, name, ip, userAgent, salary, accessToken, refreshToken, apiKey: key.json().key, datasetId: dataset.id };
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'raia-privacy-'));
    schema = `t_${randomBytes(6).toString('hex')}`;
    // No injected PGlite: on PGlite the runtime keeps its database in <dataDir>/pglite, on disk, where the test can read it raw.
    runtime = await startRuntime(testConfig(dialect, dataDir, schema, { RAIA_PUBLIC_URL: 'https://raia.example' }));
    app = await buildApp(runtime, { logger: false });
    await runtime.projections.ready();
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    admin = bearer(await tokenFor('admin'));
    scientist = bearer(await tokenFor('data_scientist'));
    ada = await seedPerson('ada');
    bob = await seedPerson('bob');
  });
  afterAll(async () => {
    app.server.closeAllConnections();
    await app.close();
    if (dialect === 'postgres') await runtime.db.knex.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Where each value lies in plaintext: the PostgreSQL dump of our schema (plain SQL), and every file of the data directory read raw. */
  async function plaintextHits(values: string[]): Promise<string[]> {
    const places: { where: string; text: string }[] = [];
    if (dialect === 'postgres') {
      places.push({ where: 'pg_dump', text: execFileSync('pg_dump', ['--dbname', TEST_DATABASE_URL, '--schema', schema, '--format', 'plain', '--no-owner'], { maxBuffer: 512 * 1024 * 1024 }).toString('latin1') });
    } else {
      // Dirty pages go to the files first: what the search reads is what a copy of the directory would hold.
      await runtime.db.knex.raw('CHECKPOINT');
    }
    for (const file of filesUnder(dataDir)) places.push({ where: file.slice(dataDir.length), text: readFileSync(file).toString('latin1') });
    const hits: string[] = [];
    for (const value of values) for (const p of places) if (p.text.toLowerCase().includes(value.toLowerCase())) hits.push(`${value} in ${p.where}`);
    return hits;
  }

  it('exports a person\'s own data to them: account, sessions, keys, events, dataset rows and mails, with no token, key or digest', async () => {
    const res = await get(`/api/v1/privacy/data-export/${ada.userId}`, bearer(ada.accessToken));
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.account).toMatchObject({ userId: ada.userId, email: ada.email, name: ada.name, status: 'active', emailVerified: true });
    expect(body.sessions).toHaveLength(1);
    expect(body.apiKeys).toEqual([expect.objectContaining({ name: 'nightly import', permissions: ['datasets:read'], lastUsedIp: ada.ip, revokedAt: null })]);
    const types = body.events.map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(['user.registered', 'user.email-verified', 'user.logged-in', 'user.api-key-created']));
    const registered = body.events.find((e: { type: string }) => e.type === 'user.registered');
    expect(registered.data).toMatchObject({ email: ada.email, name: ada.name, passwordHash: '[withheld]' });
    expect(body.events.find((e: { type: string }) => e.type === 'user.logged-in').data.ip).toBe(ada.ip);
    expect(body.events.find((e: { type: string }) => e.type === 'user.api-key-created').data.digest).toBe('[withheld]');
    // Only this person's row of the dataset, opened; the other row stays out.
    expect(body.datasetRows).toEqual([{ datasetId: ada.datasetId, version: 1, sha256: expect.any(String), columns: ['customer', 'email', 'salary', 'segment'], rows: [[ada.userId, ada.email, Number(ada.salary), 'gold']] }]);
    expect(body.mails.map((m: { to: string; status: string }) => [m.to, m.status])).toEqual([[ada.email, 'sent'], [ada.email, 'sent']]);
    // Nothing of Bob's, and no secret: refresh token, API key or the key's digest.
    const text = res.body;
    for (const secret of [ada.refreshToken, ada.apiKey, createHash('sha256').update(ada.apiKey).digest('hex'), bob.email, bob.name, bob.salary]) expect(text).not.toContain(secret);
    expect(text).not.toContain('$argon2');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('records each export as privacy.data-exported: who asked, for whom, counts, and no personal data', async () => {
    const res = await get(`/api/v1/privacy/data-export/${ada.userId}`, admin);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const recorded = (await runtime.store.readStream(privacyStreamId(ada.userId))).filter((e) => e.type === 'privacy.data-exported');
    const last = recorded[recorded.length - 1]!;
    expect(last.actor).toMatchObject({ kind: 'user', role: 'admin' });
    expect(last.data).toEqual({
      subjectId: ada.userId,
      format: 'json',
      counts: { account: 1, sessions: body.sessions.length, apiKeys: 1, events: body.events.length, datasetRows: 1, mails: 2 },
      ledgerPosition: body.ledgerPosition,
    });
    const stored = JSON.stringify(recorded);
    for (const value of [ada.email, ada.name, ada.ip, ada.salary]) expect(stored).not.toContain(value);
  });

  it('refuses another person\'s export without privacy:export (403), and tells an admin 404 for an unknown user', async () => {
    const other = await get(`/api/v1/privacy/data-export/${bob.userId}`, bearer(ada.accessToken));
    expect(other.statusCode).toBe(403);
    expect(other.headers['content-type']).toContain('application/problem+json');
    // Without the permission an unknown id is refused the same way: nothing is looked up, nothing enumerated.
    expect((await get(`/api/v1/privacy/data-export/${randomUUID()}`, bearer(ada.accessToken))).statusCode).toBe(403);
    expect((await get(`/api/v1/privacy/data-export/${bob.userId}`, scientist)).statusCode).toBe(403);
    expect((await get(`/api/v1/privacy/data-export/${bob.userId}`, admin)).json().account.email).toBe(bob.email);
    expect((await get(`/api/v1/privacy/data-export/${randomUUID()}`, admin)).statusCode).toBe(404);
    const bad = await get('/api/v1/privacy/data-export/not-a-uuid', admin);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('params.userId');
    const badFormat = await get(`/api/v1/privacy/data-export/${ada.userId}?format=pdf`, admin);
    expect(badFormat.statusCode).toBe(400);
    expect(badFormat.json().errors[0].field).toBe('querystring.format');
  });

  it('exports as a ZIP of export.json and one CSV per table, read back with an independent reader', async () => {
    const res = await get(`/api/v1/privacy/data-export/${ada.userId}?format=zip`, bearer(ada.accessToken));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['content-disposition']).toContain('.zip');
    const files = await unzip(res.rawPayload);
    expect(Object.keys(files).sort()).toEqual(['account.csv', 'api-keys.csv', `dataset-${ada.datasetId}-v1.csv`, 'events.csv', 'export.json', 'mails.csv', 'sessions.csv'].sort());
    const document = JSON.parse(files['export.json']!);
    expect(document.account.email).toBe(ada.email);
    expect(files['account.csv']).toBe(`userId,email,name,role,status,emailVerified,hasPassword,lockedUntil\r\n${ada.userId},${ada.email},${ada.name},data_scientist,active,true,true,\r\n`);
    expect(files[`dataset-${ada.datasetId}-v1.csv`]).toBe(`customer,email,salary,segment\r\n${ada.userId},${ada.email},${ada.salary},gold\r\n`);
    expect(files['mails.csv']!.split('\r\n').filter(Boolean)).toHaveLength(3);
    expect(files['events.csv']!.split('\r\n')[0]).toBe('position,id,type,schemaVersion,streamId,streamVersion,occurredAt,actor,data,hash');
    const recorded = (await runtime.store.readStream(privacyStreamId(ada.userId))).filter((e) => e.type === 'privacy.data-exported');
    expect(recorded[recorded.length - 1]!.data.format).toBe('zip');
  });

  it('erases a person: afterwards neither the database dump nor any file of the data directory holds their e-mail, name, IP, user agent or dataset value', async () => {
    const values = [ada.email, ada.name, ada.ip, ada.userAgent];
    // The search can fail: before erasure it finds each value where RAIA keeps it in clear.
    const before = await plaintextHits(values);
    for (const value of values) expect(before.some((h) => h.startsWith(`${value} in`)), `${value} found before erasure`).toBe(true);
    // The dataset value is sealed at rest from the start; it is readable only through the key.
    expect((await get(`/api/v1/privacy/data-export/${ada.userId}`, admin)).body).toContain(ada.salary);
    // An administrator's export of Ada's timeline shows her data in clear: a file that must not outlive her key.
    const asked = await post('/api/v1/export/csv', { kind: 'timeline', params: { streamId: `user-${ada.userId}` } }, admin);
    expect(asked.statusCode, asked.body).toBe(202);
    const exportId = asked.json().exportId as string;
    let job: { status: string; subjects: string[]; sha256: string } | undefined;
    for (let i = 0; i < 400 && !['completed', 'failed'].includes(job?.status ?? ''); i++) {
      await new Promise((r) => setTimeout(r, 50));
      job = (await get(`/api/v1/export/jobs?exportId=${exportId}`, admin)).json().jobs[0];
    }
    expect(job).toMatchObject({ status: 'completed', subjects: [ada.userId] });
    expect((await get(`/api/v1/export/jobs/${exportId}/download`, admin)).statusCode).toBe(200);

    const res = await post(`/api/v1/privacy/data-deletion/${ada.userId}`, { reason: 'GDPR art. 17 request #4711' }, admin);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().removed.exports).toEqual([{ id: exportId, action: 'purged' }]);
    expect((await get(`/api/v1/export/jobs/${exportId}/download`, admin)).statusCode).toBe(410);
    // The file is gone from blob storage (it is compressed: the plaintext search alone would not see it).
    expect(await runtime.blobs.exists(job!.sha256)).toBe(false);

    expect(await plaintextHits([...values, ada.salary])).toEqual([]);
    // Bob, not erased, is still there (the search does look where the data lives).
    expect((await plaintextHits([bob.email])).length).toBeGreaterThan(0);
    const preview = await get(`/api/v1/datasets/${ada.datasetId}/preview`, admin);
    expect(preview.json().rows[0]).toEqual([ada.userId, '[redacted]', '[redacted]', 'gold']);
    expect((await runtime.store.verify()).ok).toBe(true);
  });

  it('answers the erasure with its impact report and proof; sessions, refresh tokens and API keys stop working', async () => {
    const res = await post(`/api/v1/privacy/data-deletion/${ada.userId}`, { reason: 'again' }, admin);
    expect(res.statusCode).toBe(200);
    const again = res.json();
    const erased = (await runtime.store.readStream(privacyStreamId(ada.userId))).find((e) => e.type === 'privacy.subject-erased')!;
    expect(erased.data).toMatchObject({ subjectId: ada.userId, reason: 'GDPR art. 17 request #4711', keyDestroyed: true });
    expect(again).toMatchObject({
      subjectId: ada.userId,
      alreadyErased: true,
      proof: { eventId: erased.id, type: 'privacy.subject-erased', streamId: `privacy-${ada.userId}`, position: erased.position, hash: erased.hash, keyDestroyed: true },
      removed: { readModels: [], sessionsRevoked: 0, apiKeysRevoked: 0, mails: { outboxRows: 0, sentFiles: 0 }, exports: [] },
    });
    // Where the shredded ciphertext lies: the user's stream (e-mail, name, password hash, IP) and the dataset file with their row.
    const userStream = again.shredded.streams.find((s: { streamId: string }) => s.streamId === `user-${ada.userId}`);
    expect(userStream.sealedFields).toBeGreaterThanOrEqual(4);
    expect(again.shredded.datasetFiles).toEqual([{ datasetId: ada.datasetId, version: 1, sha256: expect.any(String), rows: 1 }]);

    expect((await get('/api/v1/auth/me', bearer(ada.accessToken))).statusCode).toBe(401);
    expect((await post('/api/v1/auth/refresh', { refreshToken: ada.refreshToken })).statusCode).toBe(401);
    expect((await get('/api/v1/datasets', bearer(ada.apiKey))).statusCode).toBe(401);
    const erasedExport = await get(`/api/v1/privacy/data-export/${ada.userId}`, admin);
    expect(erasedExport.statusCode).toBe(410);
    expect(erasedExport.json().code).toBe('SUBJECT_ERASED');
  });

  it('reports what the first erasure removed: read models, mails, sessions and keys (Bob)', async () => {
    const res = await post(`/api/v1/privacy/data-deletion/${bob.userId}`, { reason: 'GDPR art. 17' }, admin);
    const impact = res.json();
    expect(impact.alreadyErased).toBe(false);
    expect(impact.removed).toMatchObject({ sessionsRevoked: 1, apiKeysRevoked: 1, mails: { outboxRows: 2, sentFiles: 2 }, exports: [] });
    expect(Object.fromEntries(impact.removed.readModels.map((r: { table: string; rows: number }) => [r.table, r.rows]))).toEqual({
      users: 1,
      api_keys: 1,
      raia_sessions: 1,
      raia_api_key_usage: 1,
      raia_mail_outbox: 2,
      raia_one_time_tokens: 2,
      raia_subject_keys: 1,
      // Bob has no personal retrieval documents (tests/api/documents.test.ts erases one).
      document_chunks: 0,
    });
    expect(impact.storage.compactedTables).toEqual(['users', 'api_keys', 'raia_sessions', 'raia_api_key_usage', 'raia_mail_outbox', 'raia_one_time_tokens', 'raia_subject_keys']);
    expect(impact.storage.walRotated).toBe(dialect === 'pglite');
    const keyRevoked = (await runtime.store.readStream(`user-${bob.userId}`)).filter((e) => e.type === 'user.api-key-revoked');
    expect(keyRevoked).toHaveLength(1);
    expect(JSON.stringify(impact)).not.toContain(bob.email);
  });

  it('refuses erasure without privacy:erase (403), of an unknown user (404), and bad input with 400 naming the field', async () => {
    const someone = randomUUID();
    expect((await post(`/api/v1/privacy/data-deletion/${someone}`, { reason: 'x' }, scientist)).statusCode).toBe(403);
    expect((await post(`/api/v1/privacy/data-deletion/${someone}`, { reason: 'x' }, admin)).statusCode).toBe(404);
    const badId = await post('/api/v1/privacy/data-deletion/42', { reason: 'x' }, admin);
    expect([badId.statusCode, badId.json().errors[0].field]).toEqual([400, 'params.userId']);
    const noReason = await post(`/api/v1/privacy/data-deletion/${someone}`, {}, admin);
    expect([noReason.statusCode, noReason.json().errors[0].field]).toEqual([400, 'body.reason']);
    const blank = await post(`/api/v1/privacy/data-deletion/${someone}`, { reason: '   ' }, admin);
    expect([blank.statusCode, blank.json().errors[0].field]).toEqual([400, 'body.reason']);
  });
});
