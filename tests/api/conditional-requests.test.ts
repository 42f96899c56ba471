import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAccount } from '../../src/commands/user/registration.js';
import { systemActor } from '../../src/events/envelope.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

type Answer = { status: number; type: string; etag: string | null; body: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.each(['postgres', 'pglite'] as const)('ETag and If-Match on %s', (dialect) => {
  let server: TestServer;
  let base: string;
  let scientist: Record<string, string>;
  let admin: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    scientist = { authorization: `Bearer ${await server.tokenFor('data_scientist')}` };
    admin = { authorization: `Bearer ${await server.tokenFor('admin')}` };
  });
  afterAll(async () => {
    server.app.server.closeAllConnections();
    await server.close();
  });

  const call = async (method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Answer> => {
    const res = await fetch(`${base}${path}`, { method, headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', etag: res.headers.get('etag'), body: text.startsWith('{') ? JSON.parse(text) : {} };
  };
  const register = async (name: string) => {
    const created = await call('POST', '/api/v1/models', scientist, { name, type: 'classification', riskTier: 'limited' });
    expect(created.status).toBe(201);
    return created;
  };
  const modelEvents = async (id: string) => (await server.runtime.store.readStream(`model-${id}`)).length;

  it('gives a model its stream version as a strong ETag, and each write the new one', async () => {
    const created = await register('etag-model');
    expect(created.etag).toBe('"0"');
    const read = await call('GET', `/api/v1/models/${created.body.id}`, scientist);
    expect(read.status).toBe(200);
    expect(read.etag).toBe('"0"');
    const updated = await call('PUT', `/api/v1/models/${created.body.id}`, { ...scientist, 'if-match': '"0"' }, { name: 'renamed' });
    expect(updated.status).toBe(200);
    expect(updated.etag).toBe('"1"');
    const again = await call('GET', `/api/v1/models/${created.body.id}`, scientist);
    expect(again.etag).toBe('"1"');
    expect(again.body.name).toBe('renamed');
  });

  it('refuses a stale If-Match with 412 and appends nothing', async () => {
    const { body } = await register('stale');
    expect((await call('PUT', `/api/v1/models/${body.id}`, scientist, { description: 'first' })).status).toBe(200);
    const before = await modelEvents(body.id);
    const stale = await call('PUT', `/api/v1/models/${body.id}`, { ...scientist, 'if-match': '"0"' }, { description: 'lost update' });
    expect(stale.status).toBe(412);
    expect(stale.type).toContain('application/problem+json');
    expect(stale.body).toMatchObject({ type: 'https://raia.dev/problems/precondition-failed', status: 412, errors: [{ field: 'headers.if-match' }] });
    const deleted = await call('DELETE', `/api/v1/models/${body.id}`, { ...scientist, 'if-match': '"0"' });
    expect(deleted.status).toBe(412);
    expect(await modelEvents(body.id)).toBe(before);
    expect((await call('GET', `/api/v1/models/${body.id}`, scientist)).body.description).toBe('first');
  });

  it('takes * as "exists", a list of tags, and never matches a weak or foreign tag', async () => {
    const { body } = await register('list');
    expect((await call('PUT', `/api/v1/models/${body.id}`, { ...scientist, 'if-match': '*' }, { description: 'a' })).status).toBe(200);
    expect((await call('PUT', `/api/v1/models/${body.id}`, { ...scientist, 'if-match': '"0", "1"' }, { description: 'b' })).status).toBe(200);
    expect((await call('PUT', `/api/v1/models/${body.id}`, { ...scientist, 'if-match': 'W/"2"' }, { description: 'c' })).status).toBe(412);
    expect((await call('PUT', `/api/v1/models/${body.id}`, { ...scientist, 'if-match': '"model-2"' }, { description: 'c' })).status).toBe(412);
    expect((await call('GET', `/api/v1/models/${body.id}`, scientist)).etag).toBe('"2"');
    expect((await call('DELETE', `/api/v1/models/${body.id}`, { ...scientist, 'if-match': '"2"' })).status).toBe(200);
  });

  it('answers a malformed If-Match with 400 naming the header', async () => {
    const { body } = await register('malformed');
    for (const bad of ['3', '"3', 'abc, "1"', '"1",,"2"']) {
      const answer = await call('PUT', `/api/v1/models/${body.id}`, { ...scientist, 'if-match': bad }, { description: 'x' });
      expect(answer.status, bad).toBe(400);
      expect(answer.body.errors, bad).toEqual([expect.objectContaining({ field: 'headers.if-match' })]);
    }
    expect(await modelEvents(body.id)).toBe(1);
  });

  it('guards lifecycle transitions with If-Match too', async () => {
    const { body } = await register('lifecycle');
    const retire = await call('POST', `/api/v1/models/${body.id}/retire`, { ...scientist, 'if-match': '"7"' }, { version: 1, reason: 'old' });
    expect(retire.status).toBe(412);
    const addVersion = await call('POST', `/api/v1/models/${body.id}/versions`, { ...scientist, 'if-match': '"5"' }, { format: 'remote', task: 'binary', endpoint: { url: 'http://127.0.0.1:9/score' }, inputSchema: [{ name: 'x', type: 'number' }] });
    expect(addVersion.status).toBe(412);
    expect(await modelEvents(body.id)).toBe(1);
  });

  it("gives the stream's version when its last event is one the read model does not handle (a refused transition), promptly", async () => {
    const { body } = await register('refused-head');
    const added = await call('POST', `/api/v1/models/${body.id}/versions`, scientist, { format: 'remote', task: 'binary', endpoint: { url: 'http://127.0.0.1:9/score' }, inputSchema: [{ name: 'x', type: 'number' }] });
    expect(added.status).toBe(201);
    // Deploying a version nobody approved is refused, and the refusal is recorded on the model's stream.
    const refused = await call('POST', `/api/v1/models/${body.id}/deploy`, scientist, { version: 1 });
    expect(refused.status).toBe(409);
    const events = await server.runtime.store.readStream(`model-${body.id}`);
    expect(events.map((e) => e.type)).toEqual(['model.registered', 'model.version-added', 'model.transition-refused']);
    const started = performance.now();
    const read = await call('GET', `/api/v1/models/${body.id}`, scientist);
    // Not a wait for the projection's checkpoint to be moved past an event it does not handle.
    expect(performance.now() - started).toBeLessThan(server.runtime.config.RAIA_MIN_POSITION_WAIT_MS);
    expect(read.etag).toBe('"2"');
    const updated = await call('PUT', `/api/v1/models/${body.id}`, { ...scientist, 'if-match': read.etag! }, { description: 'after the refusal' });
    expect(updated.status).toBe(200);
    expect(updated.etag).toBe('"3"');
  });

  it('50 concurrent read-modify-writes with If-Match lose no update', async () => {
    const { body } = await register('contended');
    const id = body.id as string;
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const read = await call('GET', `/api/v1/models/${id}`, scientist);
        expect(read.status).toBe(200);
        expect(read.etag).toMatch(/^"\d+"$/);
        // Read-modify-write: the new tags are the ones read plus this writer's.
        const tags = [...(read.body.tags as string[]), `w${i}`];
        const put = await call('PUT', `/api/v1/models/${id}`, { ...scientist, 'if-match': read.etag! }, { name: `writer-${i}`, tags });
        return { i, read: Number(JSON.parse(read.etag!)), put, tags };
      }),
    );
    for (const o of outcomes) expect([200, 412]).toContain(o.put.status);
    const wins = outcomes.filter((o) => o.put.status === 200);
    expect(wins.length).toBeGreaterThan(0);
    // Each winner wrote exactly one version after the one it read.
    for (const w of wins) expect(Number(JSON.parse(w.put.etag!))).toBe(w.read + 1);
    const final = await call('GET', `/api/v1/models/${id}`, scientist);
    expect(Number(JSON.parse(final.etag!))).toBe(wins.length);
    const last = wins.reduce((a, b) => (Number(JSON.parse(a.put.etag!)) > Number(JSON.parse(b.put.etag!)) ? a : b));
    expect(final.body.name).toBe(`writer-${last.i}`);
    // No lost update: the final tags hold every winner's tag, each winner having built on the one before.
    expect([...final.body.tags].sort()).toEqual(wins.map((w) => `w${w.i}`).sort());
    expect(final.body.tags).toEqual(last.tags);
    const events = await server.runtime.store.readStream(`model-${id}`);
    expect(events.filter((e) => e.type === 'model.updated')).toHaveLength(wins.length);
  });

  const upload = async (csv: string, metadata: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Answer> => {
    const form = new FormData();
    form.append('metadata', JSON.stringify(metadata));
    form.append('file', new Blob([csv]), 'data.csv');
    const res = await fetch(`${base}/api/v1/datasets/upload`, { method: 'POST', headers: { ...scientist, ...headers }, body: form });
    return { status: res.status, type: res.headers.get('content-type') ?? '', etag: res.headers.get('etag'), body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const csv = 'x,y\n1,a\n2,b\n3,a\n4,b\n';

  it('gives a dataset an ETag and guards a new version and a deletion with If-Match', async () => {
    const created = await upload(csv, { name: 'etag-data' });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const events = async () => (await server.runtime.store.readStream(`dataset-${id}`)).length;
    // Registered, version added, profiled: three events, versions 0..2.
    expect(created.etag).toBe('"2"');
    const read = await call('GET', `/api/v1/datasets/${id}`, scientist);
    expect(read.etag).toBe('"2"');
    expect((await upload(csv.replace('1,a', '9,z'), { datasetId: id }, { 'if-match': '"1"' })).status).toBe(412);
    expect(await events()).toBe(3);
    const second = await upload(csv.replace('1,a', '9,z'), { datasetId: id }, { 'if-match': read.etag! });
    expect(second.status).toBe(201);
    expect(second.etag).toBe('"4"');
    expect((await call('DELETE', `/api/v1/datasets/${id}`, { ...scientist, 'if-match': read.etag! })).status).toBe(412);
    expect((await call('GET', `/api/v1/datasets/${id}`, scientist)).status).toBe(200);
    const deleted = await call('DELETE', `/api/v1/datasets/${id}`, { ...scientist, 'if-match': second.etag! });
    expect(deleted.status).toBe(200);
    expect(deleted.etag).toBe('"5"');
  });

  it('gives a data stream an ETag and guards its update with If-Match', async () => {
    const dataset = await upload(csv, { name: 'reference' });
    const created = await call('POST', '/api/v1/streams', scientist, { name: 'etag-stream', source: { kind: 'webhook' }, reference: { datasetId: dataset.body.id } });
    expect(created.status).toBe(201);
    expect(created.etag).toBe('"0"');
    const id = created.body.id as string;
    const read = await call('GET', `/api/v1/streams/${id}`, scientist);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id, name: 'etag-stream', status: 'stopped' });
    expect(read.etag).toBe('"0"');
    const updated = await call('PUT', `/api/v1/streams/${id}`, { ...scientist, 'if-match': '"0"' }, { description: 'watched' });
    expect(updated.status).toBe(200);
    expect(updated.etag).toBe('"1"');
    expect((await call('PUT', `/api/v1/streams/${id}`, { ...scientist, 'if-match': '"0"' }, { description: 'lost' })).status).toBe(412);
    expect((await call('DELETE', `/api/v1/streams/${id}`, { ...scientist, 'if-match': '"0"' })).status).toBe(412);
    expect((await call('GET', `/api/v1/streams/${id}`, scientist)).body.description).toBe('watched');
    expect((await call('GET', `/api/v1/streams/${crypto.randomUUID()}`, scientist)).status).toBe(404);
  });

  it('gives the deployment policy an ETag once set, and guards its change with If-Match', async () => {
    const policy = { requireFourEyes: true, approverRoles: ['risk_officer'], requiredAssessments: [], rationale: 'first' };
    const initial = await call('GET', '/api/v1/policies/deployment', admin);
    expect(initial.etag).toBeNull(); // the built-in default is not in the ledger
    expect((await call('PUT', '/api/v1/policies/deployment', { ...admin, 'if-match': '*' }, policy)).status).toBe(412);
    const set = await call('PUT', '/api/v1/policies/deployment', admin, policy);
    expect(set.status).toBe(200);
    expect(set.etag).toBe('"0"');
    expect((await call('GET', '/api/v1/policies/deployment', admin)).etag).toBe('"0"');
    expect((await call('PUT', '/api/v1/policies/deployment', { ...admin, 'if-match': '"0"' }, { ...policy, rationale: 'second' })).etag).toBe('"1"');
    const stale = await call('PUT', '/api/v1/policies/deployment', { ...admin, 'if-match': '"0"' }, { ...policy, requireFourEyes: false, rationale: 'stale' });
    expect(stale.status).toBe(412);
    expect((await call('GET', '/api/v1/policies/deployment', admin)).body).toMatchObject({ policyVersion: 2, policy: { requireFourEyes: true } });
  });

  it("guards an administrator's change to an account with If-Match", async () => {
    const { userId } = await registerAccount(server.runtime.identity, { email: `etag-${dialect}@example.org`, name: 'Etag', password: 'a long enough passphrase 7', role: 'viewer', method: 'admin-bootstrap', emailVerified: true }, systemActor('test'));
    const version = (await server.runtime.store.readStream(`user-${userId}`)).at(-1)!.streamVersion;
    expect((await call('PUT', `/api/v1/admin/users/${userId}/role`, { ...admin, 'if-match': `"${version + 1}"` }, { role: 'auditor' })).status).toBe(412);
    const changed = await call('PUT', `/api/v1/admin/users/${userId}/role`, { ...admin, 'if-match': `"${version}"` }, { role: 'auditor' });
    expect(changed.status).toBe(200);
    expect(changed.etag).toBe(`"${version + 1}"`);
    expect((await call('POST', `/api/v1/admin/users/${userId}/deactivate`, { ...admin, 'if-match': `"${version}"` }, { reason: 'stale view' })).status).toBe(412);
  });
});
