import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAccount } from '../../src/commands/user/registration.js';
import { systemActor } from '../../src/events/envelope.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';
import { orderedValues, walkPages } from '../support/page-walk.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** More items than a page of PAGE, so every list is walked over three pages (as tests/api/pagination.test.ts). */
const ITEMS = 5;
const PAGE = 2;

const linearModel = { format: 'raia-linear/v1', task: 'binary', link: 'logistic', featureNames: ['x'], coefficients: [1], intercept: 0, classes: ['deny', 'grant'] };
const linearMetadata = { format: 'raia-linear/v1', task: 'binary', classes: ['deny', 'grant'], inputSchema: [{ name: 'x', type: 'number' }] };

/**
 * A list inside one resource as the test walks it: where it is, who may read it, the key of its
 * items, each item's id, every id it must list, its documented default order by a value read off
 * each item, and a sort field whose values the test orders itself.
 */
type NestedList = {
  name: string;
  path: () => string;
  caller: 'owner' | 'admin';
  items: string;
  id: (item: Json) => string;
  expected: () => string[];
  defaultOrder: { order: 'asc' | 'desc'; value: (item: Json) => string | number };
  sort: { field: string; order: 'asc' | 'desc'; value: (item: Json) => string | number };
};

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(['postgres', 'pglite'] as const)('lists inside one resource are paged like every list, on %s', (dialect) => {
  let server: TestServer;
  let base: string;
  let admin: Record<string, string>;
  let owner: Record<string, string>;
  let modelId: string;
  let chatSessionId: string;
  let incidentId: string;
  let userId: string;
  const made: Record<string, string[]> = {};

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = owner) => {
    const res = await fetch(`${base}${path}`, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: (text ? JSON.parse(text) : null) as Json };
  };
  const created = async (method: string, path: string, body: unknown, headers: Record<string, string> = owner) => {
    const res = await call(method, path, body, headers);
    expect([200, 201, 202], JSON.stringify(res.body)).toContain(res.status);
    return res.body;
  };
  const streamIds = async (streamId: string) => (await server.runtime.store.readStream(streamId)).map((e) => e.id);

  beforeAll(async () => {
    server = await startTestServer(dialect);
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    admin = { authorization: `Bearer ${await server.tokenFor('admin')}` };

    // An account (API keys are recorded on its stream) with five sessions, one of them the caller's.
    ({ userId } = await registerAccount(server.runtime.identity, { email: 'nested@example.org', name: 'Nested Lists', password: 'a long enough passphrase 42', role: 'data_scientist', method: 'admin-bootstrap', emailVerified: true }, systemActor('test')));
    made.sessions = [];
    for (let i = 0; i < ITEMS; i++) {
      made.sessions.push((await server.runtime.identity.sessions.create(userId, `agent ${i}`)).sessionId);
      await pause(3); // distinct creation instants, so the order by them is not only the tie-break's
    }
    owner = { authorization: `Bearer ${await server.runtime.accessTokens.issue({ userId, role: 'data_scientist', sessionId: made.sessions[2]! })}` };

    // Names in a shuffled order, so that no order by name is also the order of creation.
    made.apiKeys = [];
    for (const name of ['delta', 'alpha', 'echo', 'charlie', 'bravo']) made.apiKeys.push((await created('POST', '/api/v1/auth/api-keys', { name: `key ${name}`, permissions: ['models:read'] })).id);
    made.userEvents = await streamIds(`user-${userId}`);
    expect(made.userEvents.length).toBeGreaterThan(ITEMS);

    modelId = (await created('POST', '/api/v1/models', { name: 'nested lists', type: 'classification', riskTier: 'limited' })).id;
    made.versions = [];
    for (let i = 1; i <= ITEMS; i++) {
      const form = new FormData();
      form.append('metadata', JSON.stringify({ ...linearMetadata, notes: `version ${i}` }));
      form.append('artifact', new Blob([JSON.stringify({ ...linearModel, intercept: i })], { type: 'application/json' }), 'model.json');
      const res = await fetch(`${base}/api/v1/models/${modelId}/versions`, { method: 'POST', headers: owner, body: form });
      expect(res.status, await res.text()).toBe(201);
      made.versions.push(String(i));
    }
    made.modelEvents = await streamIds(`model-${modelId}`);
    expect(made.modelEvents.length).toBeGreaterThan(ITEMS);

    made.turns = [];
    for (const topic of ['retention', 'deletion', 'access', 'erasure', 'consent']) {
      const turn = await created('POST', '/api/v1/chat', { message: `What does the policy say about ${topic}?`, ...(chatSessionId ? { sessionId: chatSessionId } : {}) });
      chatSessionId = turn.sessionId;
      made.turns.push(turn.turnId);
    }

    incidentId = (await created('POST', '/api/v1/incidents', { modelId, severity: 'high', description: 'incident with a history', awareAt: new Date(Date.UTC(2026, 0, 10)).toISOString() }, admin)).incidentId;
    for (let i = 1; i < ITEMS; i++) await created('PUT', `/api/v1/incidents/${incidentId}`, { description: `incident with a history, update ${i}` }, admin);
    made.incidentEvents = await streamIds(`incident-${incidentId}`);
    expect(made.incidentEvents).toHaveLength(ITEMS);
  }, 120_000);
  afterAll(async () => {
    server.app.server.closeAllConnections();
    await server.close();
  });

  const at = (key: string) => () => made[key]!;
  const byPosition = (e: Json) => e.position as number;
  const lists = (): NestedList[] => [
    { name: 'model versions', path: () => `/api/v1/models/${modelId}/versions`, caller: 'owner', items: 'versions', id: (v) => String(v.version), expected: at('versions'), defaultOrder: { order: 'asc', value: (v) => v.version }, sort: { field: 'createdAt', order: 'desc', value: (v) => v.createdAt } },
    { name: 'model history', path: () => `/api/v1/models/${modelId}/history`, caller: 'owner', items: 'events', id: (e) => e.id, expected: at('modelEvents'), defaultOrder: { order: 'asc', value: byPosition }, sort: { field: 'position', order: 'desc', value: byPosition } },
    { name: 'audit timeline', path: () => `/api/v1/audit/timeline/user-${userId}`, caller: 'admin', items: 'events', id: (e) => e.id, expected: at('userEvents'), defaultOrder: { order: 'asc', value: byPosition }, sort: { field: 'position', order: 'desc', value: byPosition } },
    { name: 'chat turns', path: () => `/api/v1/chat/sessions/${chatSessionId}/history`, caller: 'owner', items: 'turns', id: (t) => t.turnId, expected: at('turns'), defaultOrder: { order: 'asc', value: byPosition }, sort: { field: 'position', order: 'desc', value: byPosition } },
    { name: 'incident events', path: () => `/api/v1/incidents/${incidentId}`, caller: 'owner', items: 'events', id: (e) => e.eventId, expected: at('incidentEvents'), defaultOrder: { order: 'asc', value: byPosition }, sort: { field: 'position', order: 'desc', value: byPosition } },
    { name: 'sessions', path: () => '/api/v1/auth/sessions', caller: 'owner', items: 'sessions', id: (s) => s.sessionId, expected: at('sessions'), defaultOrder: { order: 'desc', value: (s) => s.createdAt }, sort: { field: 'expiresAt', order: 'asc', value: (s) => s.expiresAt } },
    { name: 'API keys', path: () => '/api/v1/auth/api-keys', caller: 'owner', items: 'apiKeys', id: (k) => k.id, expected: at('apiKeys'), defaultOrder: { order: 'desc', value: (k) => k.createdAt }, sort: { field: 'name', order: 'asc', value: (k) => k.name } },
  ];

  const pageOfList = (list: NestedList, params: Record<string, string | number>) => {
    const query = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
    return call('GET', `${list.path()}${query ? `?${query}` : ''}`, undefined, list.caller === 'admin' ? admin : owner);
  };

  const walk = (list: NestedList, params: Record<string, string> = {}) => walkPages(list.name, list.items, PAGE, (position) => pageOfList(list, { ...params, ...position }));

  it('walks each list page by page: the union is the whole list, once each, and total is right', async () => {
    for (const list of lists()) {
      const { seen, total } = await walk(list);
      const ids = seen.map(list.id);
      expect(new Set(ids).size, `${list.name}: duplicates`).toBe(ids.length);
      expect([...ids].sort(), list.name).toEqual([...list.expected()].sort());
      expect(total, list.name).toBe(ids.length);
    }
  });

  it('answers in the documented default order, and in the order asked, as the test orders the values itself', async () => {
    for (const list of lists()) {
      const byDefault = (await walk(list)).seen.map(list.defaultOrder.value);
      expect(byDefault, `${list.name} in its default order`).toEqual(orderedValues(byDefault, list.defaultOrder.order));
      expect(new Set(byDefault).size, `${list.name}: values that tell the default order apart`).toBe(byDefault.length);
      const { field, order, value } = list.sort;
      const sorted = (await walk(list, { sort: field, order })).seen.map(value);
      expect(sorted, `${list.name} by ${field} ${order}`).toEqual(orderedValues(sorted, order));
      expect(new Set(sorted).size, `${list.name}: values that tell the order apart`).toBeGreaterThan(1);
      const reversed = (await walk(list, { sort: field, order: order === 'asc' ? 'desc' : 'asc' })).seen.map(value);
      expect(reversed, `${list.name} by ${field} reversed`).toEqual(orderedValues(sorted, order === 'asc' ? 'desc' : 'asc'));
    }
  });

  it('answers the whole list without page parameters, as before, with the page fields beside it', async () => {
    for (const list of lists()) {
      const res = await pageOfList(list, {});
      expect(res.status, `${list.name}: ${JSON.stringify(res.body)}`).toBe(200);
      expect(res.body[list.items].map(list.id), list.name).toHaveLength(list.expected().length);
      expect([res.body.total, res.body.offset, res.body.nextOffset], list.name).toEqual([list.expected().length, 0, null]);
    }
    // What the resource says beside its list stays the whole resource's: the timeline's state and version, the incident's fields.
    const whole = (await pageOfList(lists()[2]!, {})).body;
    const timeline = (await pageOfList(lists()[2]!, { limit: 1, offset: 4 })).body;
    expect([timeline.aggregate, timeline.version, timeline.events.length]).toEqual(['user', made.userEvents!.length - 1, 1]);
    expect(timeline.state).not.toBeNull();
    expect(timeline.state).toEqual(whole.state);
    // As of a point of the ledger the versions are replayed: the same order and page fields, cut in memory.
    const [, , , third] = await server.runtime.store.readStream(`model-${modelId}`);
    const asOf = (await pageOfList(lists()[0]!, { atPosition: third!.position, limit: 2, offset: 1, sort: 'version', order: 'desc' })).body;
    expect([asOf.versions.map((v: Json) => v.version), asOf.total, asOf.nextOffset]).toEqual([[2, 1], 3, null]);
    const incident = (await pageOfList(lists()[4]!, { limit: 1 })).body;
    expect([incident.incidentId, incident.streamVersion, incident.events.length]).toEqual([incidentId, ITEMS - 1, 1]);
  });

  it('refuses a page over 500 items and a sort field the list does not name, with problem+json naming the field', async () => {
    for (const list of lists()) {
      const ok = await pageOfList(list, { limit: 500 });
      expect(ok.status, `${list.name}: ${JSON.stringify(ok.body)}`).toBe(200);
      for (const [params, field] of [[{ limit: 501 }, 'limit'], [{ sort: 'password' }, 'sort'], [{ offset: -1 }, 'offset'], [{ order: 'sideways' }, 'order']] as const) {
        const res = await pageOfList(list, params);
        expect(res.status, `${list.name} ${JSON.stringify(params)}`).toBe(400);
        expect(res.type, list.name).toContain('application/problem+json');
        expect(res.body.errors.map((e: Json) => e.field), `${list.name} ${JSON.stringify(params)}`).toContain(`querystring.${field}`);
      }
    }
  });
});
