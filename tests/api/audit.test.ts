import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 } from 'uuid';
import { eraseSubject } from '../../src/commands/privacy/erase-subject.js';
import { systemActor } from '../../src/events/envelope.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';
import { newEvent, sleep } from '../support/events.js';

const alice = { kind: 'user' as const, id: 'alice', role: 'data_scientist' };
const bob = { kind: 'user' as const, id: 'bob', role: 'risk_officer' };

describe.each(['postgres', 'pglite'] as const)('audit routes on %s', (dialect) => {
  let server: TestServer;
  let auditor: string;
  let start: Date;
  let middle: Date;
  const correlationId = randomUUID();

  beforeAll(async () => {
    server = await startTestServer(dialect, { RAIA_MIN_POSITION_WAIT_MS: '300' });
    auditor = `Bearer ${await server.tokenFor('auditor')}`;
    const { store, vault } = server.runtime;
    start = new Date();
    await sleep(5);
    await store.append('model-m1', [
      newEvent({ modelId: 'm1', name: 'credit', owner: await vault.seal('alice', { email: 'alice@example.org' }) }, { type: 'test.model-registered', actor: alice, correlationId }),
      newEvent({ modelId: 'm1', version: 1, metrics: { auc: 0.81 } }, { type: 'test.model-version-added', actor: alice, correlationId }),
    ]);
    await sleep(20);
    middle = new Date();
    await sleep(20);
    await store.append('model-m1', [newEvent({ modelId: 'm1', approvedBy: 'bob' }, { type: 'model.approved', actor: bob })]);
    await store.append('dataset-d1', [newEvent({ datasetId: 'd1', rows: 1200 }, { type: 'dataset.uploaded', actor: alice })]);
  });
  afterAll(async () => {
    await server.close();
  });

  const get = (url: string, headers: Record<string, string> = {}) => server.app.inject({ method: 'GET', url, headers: { authorization: auditor, ...headers } });

  it('lists the ledger, withholding a sealed field its (unknown) type does not classify, and filters by type, actor, stream, category and time', async () => {
    const all = (await get('/api/v1/audit/logs')).json();
    expect(all.events.map((e: { type: string }) => e.type)).toEqual(['test.model-registered', 'test.model-version-added', 'model.approved', 'dataset.uploaded']);
    // test.model-registered is in no catalogue, so nothing says its sealed field may be shown: default deny.
    expect(all.events[0].data.owner).toBe('[withheld]');
    expect(all.events[0].actor).toEqual(alice);
    expect(all.page).toEqual({ order: 'asc', limit: 100, next: null });

    const types = (r: { events: { type: string }[] }) => r.events.map((e) => e.type);
    expect(types((await get('/api/v1/audit/logs?type=model.approved,dataset.uploaded')).json())).toEqual(['model.approved', 'dataset.uploaded']);
    expect(types((await get('/api/v1/audit/logs?actorId=bob')).json())).toEqual(['model.approved']);
    expect(types((await get('/api/v1/audit/logs?streamId=dataset-d1')).json())).toEqual(['dataset.uploaded']);
    expect((await get('/api/v1/audit/logs?streamCategory=model')).json().events).toHaveLength(3);
    expect(types((await get(`/api/v1/audit/logs?from=${start.toISOString()}&to=${middle.toISOString()}`)).json())).toEqual(['test.model-registered', 'test.model-version-added']);
    expect((await get(`/api/v1/audit/logs?correlationId=${correlationId}`)).json().events).toHaveLength(2);
  });

  it('pages by position in both orders', async () => {
    const first = (await get('/api/v1/audit/logs?limit=3')).json();
    expect(first.events.map((e: { position: number }) => e.position)).toEqual([1, 2, 3]);
    expect(first.page.next).toBe(3);
    const second = (await get(`/api/v1/audit/logs?limit=3&after=${first.page.next}`)).json();
    expect(second.events.map((e: { position: number }) => e.position)).toEqual([4]);
    expect(second.page.next).toBeNull();
    const newest = (await get('/api/v1/audit/logs?order=desc&limit=2')).json();
    expect(newest.events.map((e: { position: number }) => e.position)).toEqual([4, 3]);
    const older = (await get(`/api/v1/audit/logs?order=desc&limit=2&before=${newest.page.next}`)).json();
    expect(older.events.map((e: { position: number }) => e.position)).toEqual([2, 1]);
  });

  it('answers bad query parameters with a 400 problem naming each field', async () => {
    for (const [query, field] of [
      ['limit=0', 'querystring.limit'],
      ['limit=abc', 'querystring.limit'],
      ['from=yesterday', 'querystring.from'],
      ['type=NotAType', 'querystring.type'],
      ['after=-1', 'querystring.after'],
      ['correlationId=xyz', 'querystring.correlationId'],
      ['sneaky=1', 'querystring'],
    ] as const) {
      const res = await get(`/api/v1/audit/logs?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const problem = res.json();
      expect(problem).toMatchObject({ status: 400, type: 'https://raia.dev/problems/validation-error' });
      const fields: string[] = problem.errors.map((e: { field: string }) => e.field);
      expect(fields.some((f) => f === field || f.startsWith(`${field}.`)), `${query}: ${fields.join()}`).toBe(true);
    }
    const badVerify = await get('/api/v1/audit/verify?from=x');
    expect(badVerify.statusCode).toBe(400);
  });

  it('searches by several types and JSON containment on event data', async () => {
    const post = (body: unknown) => server.app.inject({ method: 'POST', url: '/api/v1/audit/search', payload: body as object, headers: { authorization: auditor } });
    const found = (await post({ types: ['test.model-version-added', 'model.approved'], dataContains: { modelId: 'm1' } })).json();
    expect(found.events.map((e: { type: string }) => e.type)).toEqual(['test.model-version-added', 'model.approved']);
    const nested = (await post({ dataContains: { metrics: { auc: 0.81 } } })).json();
    expect(nested.events.map((e: { type: string }) => e.type)).toEqual(['test.model-version-added']);
    const bad = await post({ types: 'model.approved', limit: 5000, extra: true });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['body.types', 'body.limit', 'body']));
    const notJson = await server.app.inject({ method: 'POST', url: '/api/v1/audit/search', payload: '{oops', headers: { 'content-type': 'application/json', authorization: auditor } });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.headers['content-type']).toContain('application/problem+json');
  });

  it('verifies the chain, names a tampered position, and shows the latest seal', async () => {
    const sealPosition = await server.runtime.sealer.sealNow();
    expect(sealPosition).toBeGreaterThan(0);
    await server.runtime.projections.waitFor(sealPosition!, 10_000);
    const ok = (await get('/api/v1/audit/verify')).json();
    expect(ok).toMatchObject({ ok: true, firstBrokenPosition: null, sealsChecked: 1, headPosition: sealPosition });
    expect(ok.latestSeal).toMatchObject({ position: sealPosition, fromPosition: 1, toPosition: sealPosition! - 1, keyId: ok.signerKeyId });

    await server.runtime.db.knex.raw(`UPDATE raia_events SET actor = '{"kind":"user","id":"mallory","role":"admin"}' WHERE position = 3`);
    const broken = (await get('/api/v1/audit/verify')).json();
    expect(broken).toMatchObject({ ok: false, firstBrokenPosition: 3 });
    expect((await get('/api/v1/audit/verify?to=2')).json().ok).toBe(true);
    await server.runtime.db.knex.raw(`UPDATE raia_events SET actor = ?::jsonb WHERE position = 3`, [JSON.stringify(bob)]);
    expect((await get('/api/v1/audit/verify')).json().ok).toBe(true);
  });

  it('replays a stream as of a time, and after erasure keeps the chain intact', async () => {
    const res = (await get(`/api/v1/audit/timeline/model-m1?asOf=${middle.toISOString()}`)).json();
    expect(res.events.map((e: { type: string }) => e.type)).toEqual(['test.model-registered', 'test.model-version-added']);
    expect(res.version).toBe(1);
    expect((await get('/api/v1/audit/timeline/model-m1')).json().version).toBe(2);
    expect((await get('/api/v1/audit/timeline/model-nothing')).statusCode).toBe(404);

    const { runtime } = server;
    const before = new Date();
    await sleep(5);
    await runtime.vault.seal('carol', 'carol@example.org');
    const erased = await eraseSubject(runtime.identity, 'alice', 'GDPR art. 17 request #42', { actor: systemActor('privacy-test') });
    expect(erased.events).toHaveLength(1);
    const timeline = (await get('/api/v1/audit/timeline/privacy-alice')).json();
    expect(timeline).toMatchObject({ aggregate: 'privacy', state: { status: 'erased', reason: 'GDPR art. 17 request #42' } });
    expect(timeline.events[0].data).toEqual({ subjectId: 'alice', reason: 'GDPR art. 17 request #42', keyDestroyed: true });
    const earlier = await get(`/api/v1/audit/timeline/privacy-alice?asOf=${before.toISOString()}`);
    expect(earlier.json()).toMatchObject({ events: [], version: -1, state: { status: 'active' } });

    const registered = (await get('/api/v1/audit/logs?type=test.model-registered')).json().events[0];
    expect(registered.data.owner).toBe('[withheld]');
    expect(registered.data.name).toBe('credit');
    expect((await get('/api/v1/audit/verify')).json().ok).toBe(true);
    await expect(eraseSubject(runtime.identity, 'alice', 'again', { actor: systemActor('privacy-test') })).rejects.toThrow(/already erased/);
  });

  it('records that no key was destroyed when erasing a subject nothing personal was ever kept about, and keeps data about them out after', async () => {
    const { runtime } = server;
    await eraseSubject(runtime.identity, 'zoe-never-seen', 'GDPR art. 17 request #43', { actor: systemActor('privacy-test') });
    const timeline = (await get('/api/v1/audit/timeline/privacy-zoe-never-seen')).json();
    expect(timeline.events.map((e: { data: unknown }) => e.data)).toEqual([{ subjectId: 'zoe-never-seen', reason: 'GDPR art. 17 request #43', keyDestroyed: false }]);
    await expect(runtime.vault.seal('zoe-never-seen', 'zoe@example.org')).rejects.toMatchObject({ code: 'SUBJECT_ERASED' });
  });

  it('answers at X-Min-Position once the read models reach it, and 503 when they cannot in time', async () => {
    const { position } = await server.runtime.store.append(`model-${v7()}`, [newEvent()]);
    // This server waits at most 300 ms (so the 503 below comes quickly); on a loaded machine the read
    // models may take longer than that to apply one event, so the 200 is asked once they have.
    expect(await server.runtime.projections.waitFor(position, 10_000)).toBe(true);
    const ok = await get('/api/v1/metrics/application', { 'x-min-position': String(position) });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().projections.every((p: { position: number }) => p.position >= position)).toBe(true);
    const late = await get('/api/v1/metrics/application', { 'x-min-position': String(position + 1000) });
    expect(late.statusCode).toBe(503);
    expect(late.json().type).toBe('https://raia.dev/problems/read-model-lagging');
    expect((await get('/api/v1/health', { 'x-min-position': 'soon' })).statusCode).toBe(400);
  });
});
