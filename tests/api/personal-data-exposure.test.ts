import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleHas, ROLES, type Role } from '../../src/api/permissions.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';
import { startTestMailbox, type TestMailbox } from '../support/test-mailbox.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const ADMIN = { email: 'root.admin@raia-exposure.test', password: 'the bootstrap admin passphrase 77' };

type Seeded = { role: Exclude<Role, 'admin'>; email: string; name: string; password: string; ip: string; userId?: string; accessToken?: string };

/**
 * Seeds real accounts, sign-ins, a refreshed session, an API key and a dataset with personal
 * columns through the HTTP API, then calls every GET route of the OpenAPI document (and the
 * audit search) as every role, with the ids it created, and looks for secrets and personal data
 * in every answer.
 */
describe('no credential or personal data leaks through read routes', () => {
  let server: TestServer;
  let mailbox: TestMailbox;
  let base: string;
  const users: Seeded[] = [
    { role: 'data_scientist', email: 'ada.quill@raia-exposure.test', name: 'Ada Quillfeather', password: 'ada has a long passphrase 1', ip: '203.0.113.11' },
    { role: 'risk_officer', email: 'bram.stoke@raia-exposure.test', name: 'Bram Stokeley', password: 'bram has a long passphrase 2', ip: '203.0.113.22' },
    { role: 'auditor', email: 'cleo.vance@raia-exposure.test', name: 'Cleo Vancemoor', password: 'cleo has a long passphrase 3', ip: '203.0.113.33' },
    { role: 'viewer', email: 'dov.ember@raia-exposure.test', name: 'Dov Emberlight', password: 'dov has a long passphrase 4', ip: '203.0.113.44' },
  ];
  const datasetPeople = [
    { customer: 'P1', email: 'zelda.moss@people.test', name: 'Zelda Mossgrove', score: 0.7 },
    { customer: 'P2', email: 'yuri.flint@people.test', name: 'Yuri Flintwick', score: 0.4 },
  ];
  /** Secret material that no answer may contain, for any role. */
  const credentials: string[] = ['$argon2id$'];
  let adminToken: string;
  let datasetId: string;
  let apiKeyWithoutPersonalData: string;

  beforeAll(async () => {
    mailbox = await startTestMailbox();
    server = await startTestServer('postgres', { SMTP_URL: mailbox.url, RAIA_BOOTSTRAP_ADMIN_EMAIL: ADMIN.email, RAIA_BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password, RAIA_MIN_POSITION_WAIT_MS: '2000' });
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    const post = (url: string, payload: object, options: { token?: string; ip?: string } = {}) =>
      server.app.inject({ method: 'POST', url, payload, ...(options.ip ? { remoteAddress: options.ip } : {}), headers: options.token ? { authorization: `Bearer ${options.token}` } : {} });
    const login = async (email: string, password: string, ip: string) => {
      const res = await post('/api/v1/auth/login', { email, password }, { ip });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as { accessToken: string; refreshToken: string; user: { id: string } };
    };
    credentials.push(ADMIN.password);
    adminToken = (await login(ADMIN.email, ADMIN.password, '198.51.100.1')).accessToken;

    for (const u of users) {
      credentials.push(u.password);
      expect((await post('/api/v1/auth/register', { email: u.email, name: u.name, password: u.password }, { ip: u.ip })).statusCode).toBe(202);
      const token = /Verification token: ([A-Za-z0-9_-]+)/.exec((await mailbox.next(u.email)).text)![1]!;
      credentials.push(token, sha256(token));
      expect((await post('/api/v1/auth/verify-email', { token })).statusCode).toBe(200);
      const first = await login(u.email, u.password, u.ip);
      u.userId = first.user.id;
      const role = await server.app.inject({ method: 'PUT', url: `/api/v1/admin/users/${u.userId}/role`, payload: { role: u.role }, headers: { authorization: `Bearer ${adminToken}` } });
      expect(role.statusCode, role.body).toBe(200);
      // A failed sign-in, then a session that is refreshed (a rotated token family).
      expect((await post('/api/v1/auth/login', { email: u.email, password: 'not the right passphrase' }, { ip: u.ip })).statusCode).toBe(401);
      const session = await login(u.email, u.password, u.ip);
      const refreshed = await post('/api/v1/auth/refresh', { refreshToken: session.refreshToken });
      expect(refreshed.statusCode).toBe(200);
      u.accessToken = refreshed.json().accessToken;
      for (const t of [first.refreshToken, session.refreshToken, refreshed.json().refreshToken as string, first.accessToken, session.accessToken]) credentials.push(t, sha256(t));
    }

    const scientist = users[0]!;
    const key = await post('/api/v1/auth/api-keys', { name: 'pipeline', permissions: ['models:read', 'datasets:read'] }, { token: scientist.accessToken });
    expect(key.statusCode, key.body).toBe(201);
    credentials.push(key.json().key, sha256(key.json().key));
    const auditKey = await post('/api/v1/auth/api-keys', { name: 'audit export', permissions: ['audit:read', 'datasets:read'] }, { token: adminToken });
    expect(auditKey.statusCode, auditKey.body).toBe(201);
    apiKeyWithoutPersonalData = auditKey.json().key;

    const form = new FormData();
    form.append('metadata', JSON.stringify({ name: 'customers', personalColumns: ['email', 'name'], subjectColumn: 'customer' }));
    const csv = ['customer,email,name,score', ...datasetPeople.map((p) => `${p.customer},${p.email},${p.name},${p.score}`)].join('\n') + '\n';
    form.append('file', new Blob([csv]), 'customers.csv');
    const uploaded = await fetch(`${base}/api/v1/datasets/upload`, { method: 'POST', headers: { authorization: `Bearer ${scientist.accessToken}` }, body: form });
    const body = (await uploaded.json()) as { id: string };
    expect(uploaded.status, JSON.stringify(body)).toBe(201);
    datasetId = body.id;
    await server.runtime.projections.waitFor((await server.runtime.store.readAll({ direction: 'backwards', limit: 1 }))[0]!.position, 5000);
  }, 120_000);

  afterAll(async () => {
    server.app.server.closeAllConnections();
    await server.close();
    await mailbox.close();
  });

  /** Every GET route of the OpenAPI document with its path ids filled from what was seeded, plus the audit search. */
  async function requests(): Promise<{ method: 'GET' | 'POST'; url: string; payload?: object }[]> {
    const doc = (await server.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const streamIds = [...new Set((await server.runtime.store.readAll({ limit: 10_000 })).map((e) => e.streamId))];
    const values = (param: string, path: string): string[] => {
      if (param === 'streamId' && path.startsWith('/api/v1/audit/')) return streamIds;
      if (param === 'datasetId' || (param === 'id' && path.startsWith('/api/v1/datasets/'))) return [datasetId];
      if (param === 'id' && path.startsWith('/api/v1/admin/users/')) return users.map((u) => u.userId!);
      return [randomUUID()];
    };
    const out: { method: 'GET' | 'POST'; url: string; payload?: object }[] = [];
    const gets = Object.entries(doc.paths).filter(([, ops]) => 'get' in ops).map(([path]) => path);
    expect(gets).toEqual(expect.arrayContaining(['/api/v1/audit/logs', '/api/v1/audit/timeline/{streamId}', '/api/v1/datasets/{id}/preview', '/api/v1/admin/users']));
    for (const path of gets) {
      let urls = [path];
      for (const param of path.match(/\{[^}]+\}/g) ?? []) urls = urls.flatMap((u) => values(param.slice(1, -1), path).map((v) => u.replace(param, encodeURIComponent(v))));
      for (const url of urls) out.push({ method: 'GET', url: path === '/api/v1/audit/logs' ? `${url}?limit=500` : url });
    }
    expect(out.length).toBeGreaterThan(40);
    out.push({ method: 'POST', url: '/api/v1/audit/search', payload: { limit: 500 } });
    out.push({ method: 'POST', url: '/api/v1/audit/search', payload: { limit: 500, types: ['user.registered', 'user.logged-in', 'user.password-changed', 'user.api-key-created'] } });
    return out;
  }

  /** What a caller may not see: credentials always, and others' personal data without personal-data:read. */
  const forbiddenFor = (self: Seeded | null, personalData: boolean) => [
    ...credentials,
    ...(personalData ? [] : [...users.filter((u) => u !== self).flatMap((u) => [u.email, u.name, u.ip]), ...datasetPeople.flatMap((p) => [p.email, p.name]), ADMIN.email, '198.51.100.1']),
  ];

  async function walk(token: string, forbidden: string[]) {
    const seen: string[] = [];
    for (const r of await requests()) {
      const res = await server.app.inject({ method: r.method, url: r.url, ...(r.payload ? { payload: r.payload } : {}), headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode, `${r.method} ${r.url}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
      const text = res.body.toLowerCase();
      for (const secret of forbidden) expect(text.includes(secret.toLowerCase()), `${r.method} ${r.url} (${res.statusCode}) shows ${secret}`).toBe(false);
      seen.push(res.body);
    }
    return seen.join('\n');
  }

  it.each(ROLES)('as %s: no credential ever, personal data only with personal-data:read', async (role) => {
    const self = users.find((u) => u.role === role) ?? null;
    const token = role === 'admin' ? adminToken : self!.accessToken!;
    const personalData = roleHas(role, 'personal-data:read');
    const everything = await walk(token, forbiddenFor(self, personalData));
    if (role === 'admin') {
      // The walk did reach the personal data: in clear for the one role allowed to read it.
      expect(everything).toContain(users[1]!.email);
      expect(everything).toContain(users[1]!.ip);
      expect(everything).toContain(datasetPeople[0]!.email);
    }
    if (role === 'auditor') expect(everything).toMatch(/\[personal:[0-9a-f]{16}\]/);
  }, 180_000);

  it('shows pseudonyms to an admin API key that was not granted personal-data:read', async () => {
    const everything = await walk(apiKeyWithoutPersonalData, forbiddenFor(null, false));
    expect(everything).toMatch(/\[personal:[0-9a-f]{16}\]/);
  }, 180_000);

  it('refuses audit searches that would test guesses about hidden fields', async () => {
    const search = (token: string, dataContains: object) => server.app.inject({ method: 'POST', url: '/api/v1/audit/search', payload: { dataContains }, headers: { authorization: `Bearer ${token}` } });
    const auditor = users[2]!.accessToken!;
    const agent = await search(auditor, { userAgent: 'lightMyRequest' });
    expect(agent.statusCode).toBe(403);
    expect(agent.json().errors[0].field).toBe('body.dataContains.userAgent');
    expect((await search(adminToken, { userAgent: 'lightMyRequest' })).statusCode).toBe(200);
    const digest = await search(adminToken, { digest: credentials.at(-1) });
    expect(digest.statusCode).toBe(400);
    expect(digest.json().errors[0].field).toBe('body.dataContains.digest');
    expect((await search(auditor, { role: 'auditor' })).statusCode).toBe(200);
  });

  it('keeps the chain verifiable: hashes cover the sealed events, not the disclosed data', async () => {
    const res = (await server.app.inject({ method: 'GET', url: '/api/v1/audit/logs?type=user.registered', headers: { authorization: `Bearer ${users[2]!.accessToken}` } })).json();
    expect(res.disclosure).toMatchObject({ personalData: 'pseudonymised', credentials: 'withheld' });
    expect(res.events.length).toBeGreaterThanOrEqual(users.length);
    for (const e of res.events) expect(e.data.passwordHash === null || e.data.passwordHash === '[withheld]').toBe(true);
    const verify = (await server.app.inject({ method: 'GET', url: '/api/v1/audit/verify', headers: { authorization: `Bearer ${users[2]!.accessToken}` } })).json();
    expect(verify.ok).toBe(true);
  });
});
