import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe.each([
  ['postgres', 'memory'],
  ['pglite', 'memory'],
  ['postgres', 'redis'],
  ['pglite', 'redis'],
] as const)('query cache on %s with the %s backend', (dialect, backend) => {
  let server: TestServer;
  let admin: Record<string, string>;
  let scientist: Record<string, string>;

  const call = async (method: string, url: string, headers: Record<string, string>, payload?: unknown) => {
    const res = await server.app.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload: payload as Json }) });
    return { status: res.statusCode, body: res.json() as Json };
  };
  const stats = async () => (await call('GET', '/api/v1/cache/stats', admin)).body;

  beforeAll(async () => {
    server = await startTestServer(dialect, backend === 'redis' ? { REDIS_URL } : {});
    admin = { authorization: `Bearer ${await server.tokenFor('admin')}` };
    scientist = { authorization: `Bearer ${await server.tokenFor('data_scientist')}` };
  });
  afterAll(async () => {
    await call('DELETE', '/api/v1/cache/flush-all', admin);
    await server.close();
  });

  it('answers a repeated read from the cache, and a new event makes the old answer unreachable', async () => {
    expect((await stats()).backend).toBe(backend);
    const first = await call('POST', '/api/v1/models', scientist, { name: 'alpha', type: 'classification', riskTier: 'minimal' });
    const fresh = { ...admin, 'x-min-position': String(first.body.position) };
    const a = await call('GET', '/api/v1/models', fresh);
    const b = await call('GET', '/api/v1/models', fresh);
    expect(b.body).toEqual(a.body);
    expect(a.body.models.map((m: Json) => m.name)).toEqual(['alpha']);
    let s = await stats();
    expect(s.categories['read-models']).toMatchObject({ hits: 1, misses: 1, size: 1 });
    // Another filter is another query: a miss of its own.
    await call('GET', '/api/v1/models?limit=1', fresh);
    expect((await stats()).categories['read-models']).toMatchObject({ hits: 1, misses: 2, size: 2 });

    const second = await call('POST', '/api/v1/models', scientist, { name: 'beta', type: 'regression', riskTier: 'minimal' });
    const after = await call('GET', '/api/v1/models', { ...admin, 'x-min-position': String(second.body.position) });
    expect(after.body.models.map((m: Json) => m.name).sort()).toEqual(['alpha', 'beta']);
    expect(after.body.total).toBe(2);
    s = await stats();
    expect(s.categories['read-models'].misses).toBe(3);

    // A model read, then edited: the edit is seen at once.
    const get1 = await call('GET', `/api/v1/models/${first.body.id}`, admin);
    expect(get1.body.name).toBe('alpha');
    await call('GET', `/api/v1/models/${first.body.id}`, admin);
    const hitsBefore = (await stats()).categories['read-models'].hits;
    expect(hitsBefore).toBeGreaterThanOrEqual(2);
    const edited = await server.app.inject({ method: 'PUT', url: `/api/v1/models/${first.body.id}`, headers: scientist, payload: { name: 'alpha prime' } });
    expect(edited.statusCode, edited.body).toBe(200);
    expect((await call('GET', `/api/v1/models/${first.body.id}`, admin)).body.name).toBe('alpha prime');

    const datasets1 = await call('GET', '/api/v1/datasets', admin);
    const datasets2 = await call('GET', '/api/v1/datasets', admin);
    expect(datasets2.body).toEqual(datasets1.body);

    if (backend === 'redis') {
      // The entries are in Redis, under this installation's prefix.
      const redis = createClient({ url: REDIS_URL });
      await redis.connect();
      const schema = server.runtime.config.DATABASE_SCHEMA!;
      const keys: string[] = [];
      for await (const batch of redis.scanIterator({ MATCH: `raia:${schema}:read-models:*` })) keys.push(...batch);
      await redis.quit();
      expect(keys.length).toBe((await stats()).categories['read-models'].size);
      expect(keys.some((k) => k.includes('model_registry.v'))).toBe(true);
    }
  });

  it('clears a category and flushes everything, each recorded, and refuses an unknown category', async () => {
    const size = (await stats()).categories['read-models'].size;
    expect(size).toBeGreaterThan(0);
    const cleared = await call('POST', '/api/v1/cache/clear/read-models', admin);
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ category: 'read-models', entriesRemoved: size });
    expect((await stats()).categories['read-models'].size).toBe(0);
    await call('GET', '/api/v1/models', admin);
    const flushed = await call('DELETE', '/api/v1/cache/flush-all', admin);
    expect(flushed.body.entriesRemoved).toBe(1);
    const events = await server.runtime.store.readAll({ filter: { types: ['cache.cleared', 'cache.flushed'] } });
    expect(events.map((e) => [e.type, e.data.entriesRemoved])).toEqual([['cache.cleared', size], ['cache.flushed', 1]]);
    const bad = await call('POST', '/api/v1/cache/clear/everything', admin);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('params.category');
  });
});
