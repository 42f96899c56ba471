import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAccount } from '../../src/commands/user/registration.js';
import { systemActor } from '../../src/events/envelope.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

type Answer = { status: number; headers: Headers; text: string; body: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.each(['postgres', 'pglite'] as const)('Idempotency-Key on %s', (dialect) => {
  let server: TestServer;
  let base: string;
  let alice: Record<string, string>;
  let bob: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    alice = { authorization: `Bearer ${await server.tokenFor('data_scientist')}` };
    bob = { authorization: `Bearer ${await server.tokenFor('data_scientist')}` };
  });
  afterAll(async () => {
    server.app.server.closeAllConnections();
    await server.close();
  });

  const post = async (path: string, headers: Record<string, string>, body: unknown): Promise<Answer> => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, body: text.startsWith('{') ? JSON.parse(text) : {} };
  };
  const registrations = async (name: string) => (await server.runtime.store.readAll({ filter: { types: ['model.registered'] }, limit: 10_000 })).filter((e) => e.data.name === name).length;
  const model = (name: string) => ({ name, type: 'classification', riskTier: 'limited' });

  it('replays the first answer to a retry with the same key and body, and records one event', async () => {
    const key = randomUUID();
    const first = await post('/api/v1/models', { ...alice, 'idempotency-key': key }, model('replayed'));
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const retry = await post('/api/v1/models', { ...alice, 'idempotency-key': key }, model('replayed'));
    expect(retry.status).toBe(201);
    expect(retry.text).toBe(first.text);
    expect(retry.headers.get('location')).toBe(first.headers.get('location'));
    expect(retry.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(retry.headers.get('content-type')).toBe(first.headers.get('content-type'));
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await registrations('replayed')).toBe(1);
  });

  it('answers the same key with a different body 422 and records nothing', async () => {
    const key = randomUUID();
    expect((await post('/api/v1/models', { ...alice, 'idempotency-key': key }, model('first-body'))).status).toBe(201);
    const reused = await post('/api/v1/models', { ...alice, 'idempotency-key': key }, model('second-body'));
    expect(reused.status).toBe(422);
    expect(reused.headers.get('content-type')).toContain('application/problem+json');
    expect(reused.body).toMatchObject({ type: 'https://raia.dev/problems/idempotency-key-reused', errors: [{ field: 'headers.idempotency-key' }] });
    expect(await registrations('second-body')).toBe(0);
  });

  it("scopes keys per caller: another user's same key is a new request, not the first's answer", async () => {
    const key = randomUUID();
    const mine = await post('/api/v1/models', { ...alice, 'idempotency-key': key }, model('scoped'));
    const theirs = await post('/api/v1/models', { ...bob, 'idempotency-key': key }, model('scoped'));
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect(await registrations('scoped')).toBe(2);
  });

  it('lets concurrent duplicates create once: the others get the same answer or 409 while it is in flight', async () => {
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 10 }, () => post('/api/v1/models', { ...alice, 'idempotency-key': key }, model('concurrent'))));
    const created = answers.filter((a) => a.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((a) => a.text)).size).toBe(1);
    for (const a of answers.filter((x) => x.status !== 201)) expect(a.body).toMatchObject({ status: 409, type: 'https://raia.dev/problems/idempotency-key-in-flight' });
    expect(await registrations('concurrent')).toBe(1);
  });

  it('forgets a key once it has expired', async () => {
    const key = randomUUID();
    expect((await post('/api/v1/models', { ...alice, 'idempotency-key': key }, model('expiring'))).status).toBe(201);
    await server.runtime.db.knex('raia_idempotency_keys').where({ key }).update({ expires_at: new Date(Date.now() - 1000) });
    const later = await post('/api/v1/models', { ...alice, 'idempotency-key': key }, model('after-expiry'));
    expect(later.status).toBe(201);
    expect(later.headers.get('idempotent-replayed')).toBeNull();
    expect(await registrations('after-expiry')).toBe(1);
  });

  it('refuses a malformed key, and a key on a multipart upload, with 400 naming the header', async () => {
    for (const bad of ['', 'a,b', 'x'.repeat(256), 'has space']) {
      const answer = await post('/api/v1/models', { ...alice, 'idempotency-key': bad }, model('malformed'));
      expect(answer.status, bad).toBe(400);
      expect(answer.body.errors, bad).toEqual([expect.objectContaining({ field: 'headers.idempotency-key' })]);
    }
    const { body } = await post('/api/v1/models', alice, model('multipart'));
    const form = new FormData();
    form.append('metadata', JSON.stringify({ format: 'remote', task: 'binary', endpoint: { url: 'http://127.0.0.1:9/' }, inputSchema: [{ name: 'x', type: 'number' }] }));
    const res = await fetch(`${base}/api/v1/models/${body.id}/versions`, { method: 'POST', headers: { ...alice, 'idempotency-key': randomUUID() }, body: form });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { field: string }[] }).errors[0]!.field).toBe('headers.idempotency-key');
    expect(await registrations('malformed')).toBe(0);
  });

  it('replays a new API key to its creator without keeping it in clear', async () => {
    // API keys belong to an account in the ledger.
    const { userId } = await registerAccount(server.runtime.identity, { email: `keys-${dialect}@example.org`, name: 'Keys', password: 'a long enough passphrase 7', role: 'data_scientist', method: 'admin-bootstrap', emailVerified: true }, systemActor('test'));
    const { sessionId } = await server.runtime.identity.sessions.create(userId, 'vitest');
    const carol = { authorization: `Bearer ${await server.runtime.accessTokens.issue({ userId, role: 'data_scientist', sessionId })}` };
    const key = randomUUID();
    const request = { name: 'ci', permissions: ['models:read'] };
    const first = await post('/api/v1/auth/api-keys', { ...carol, 'idempotency-key': key }, request);
    expect(first.status).toBe(201);
    const retry = await post('/api/v1/auth/api-keys', { ...carol, 'idempotency-key': key }, request);
    expect(retry.body.key).toBe(first.body.key);
    const rows = (await server.runtime.db.knex('raia_idempotency_keys').where({ key })) as { response: string }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]!.response).not.toContain(first.body.key);
    expect(rows[0]!.response).not.toContain(first.body.prefix);
  });
});
