import { randomUUID } from 'node:crypto';
import { v7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAccount } from '../../src/commands/user/registration.js';
import { systemActor } from '../../src/events/envelope.js';
import { MockLlmProvider } from '../support/mock-llm-provider.js';
import { startMockEmbeddingsServer, type MockEmbeddingsServer } from '../support/mock-embeddings-server.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';
import { orderedValues, walkPages } from '../support/page-walk.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** More items than a page of PAGE, so every list is walked over three pages. */
const ITEMS = 5;
const PAGE = 2;

const linearModel = { format: 'raia-linear/v1', task: 'binary', link: 'logistic', featureNames: ['x'], coefficients: [1], intercept: 0, classes: ['deny', 'grant'] };
const linearMetadata = { format: 'raia-linear/v1', task: 'binary', classes: ['deny', 'grant'], inputSchema: [{ name: 'x', type: 'number' }] };

/**
 * A list route as the test walks it: where it is (with the filters that keep it to what the test
 * made), the key of its items, each item's id, every id it must list, and a sort field whose
 * values the test orders itself.
 */
type ListRoute = {
  name: string;
  path: string;
  method?: 'GET' | 'POST';
  items: string;
  id: (item: Json) => string;
  expected: () => string[];
  sort: { field: string; order: 'asc' | 'desc'; value: (item: Json) => string | number };
  /** The route's documented default order, by a value the test reads off each item. */
  defaultOrder?: { order: 'asc' | 'desc'; value: (item: Json) => string | number };
};


describe.each(['postgres', 'pglite'] as const)('one pagination style on every list route, on %s', (dialect) => {
  const mock = new MockLlmProvider();
  let embeddings: MockEmbeddingsServer;
  let receiver: WebhookReceiver;
  let server: TestServer;
  let base: string;
  let admin: Record<string, string>;
  let scientistId: string;
  let scientist: Record<string, string>;
  const made: Record<string, string[]> = {};
  let modelId: string;
  let evaluationId: string;
  let subscriptionId: string;

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = scientist) => {
    const res = await fetch(`${base}${path}`, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: (text ? JSON.parse(text) : null) as Json };
  };
  const created = async (method: string, path: string, body: unknown, headers: Record<string, string> = scientist) => {
    const res = await call(method, path, body, headers);
    expect([200, 201, 202], JSON.stringify(res.body)).toContain(res.status);
    return res.body;
  };
  const upload = async (path: string, part: string, content: string, filename: string, metadata: Json) => {
    const form = new FormData();
    form.append('metadata', JSON.stringify(metadata));
    form.append(part, new Blob([content]), filename);
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: scientist, body: form });
    const body = (await res.json()) as Json;
    expect(res.status, JSON.stringify(body)).toBe(201);
    return body;
  };
  /** Polls until the list holds `count` items: work done by processors lands a moment later. */
  const until = async (path: string, key: string, count: number, headers = scientist) => {
    for (let i = 0; i < 1200; i++) {
      const res = await call('GET', `${path}${path.includes('?') ? '&' : '?'}limit=500`, undefined, headers);
      if (res.status === 200 && res.body.total === count && res.body[key].length === count) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${path} never listed ${count} ${key}`);
  };

  beforeAll(async () => {
    await mock.start();
    embeddings = await startMockEmbeddingsServer(16);
    receiver = await startWebhookReceiver();
    server = await startTestServer(dialect, {
      RAIA_LLM_ALLOWED_ADDRESSES: '127.0.0.1/32', RAIA_LLM_MAX_RETRIES: '0', RAIA_LLM_TIMEOUT_MS: '5000',
      RAIA_EMBEDDINGS: 'openai-compatible', RAIA_EMBEDDINGS_URL: embeddings.url, RAIA_EMBEDDINGS_MODEL: 'bag-of-words', RAIA_EMBEDDINGS_DIMENSIONS: '16', RAIA_EMBEDDINGS_API_KEY: 'sk-test-key',
      RAIA_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    });
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    admin = { authorization: `Bearer ${await server.tokenFor('admin')}` };
    scientistId = randomUUID();
    const { sessionId } = await server.runtime.identity.sessions.create(scientistId, 'vitest');
    scientist = { authorization: `Bearer ${await server.runtime.accessTokens.issue({ userId: scientistId, role: 'data_scientist', sessionId })}` };

    // Names in a shuffled order, so that no order by name is also the order of creation.
    const names = ['delta', 'alpha', 'echo', 'charlie', 'bravo'];
    const sub = await created('POST', '/api/v1/events/subscribe/model.*', { url: receiver.url }, admin);
    subscriptionId = sub.subscriptionId;

    made.models = [];
    for (const name of names) made.models.push((await created('POST', '/api/v1/models', { name: `model ${name}`, type: 'classification', riskTier: 'limited' })).id);
    modelId = made.models[0]!;
    const form = new FormData();
    form.append('metadata', JSON.stringify(linearMetadata));
    form.append('artifact', new Blob([JSON.stringify(linearModel)], { type: 'application/json' }), 'model.json');
    expect((await fetch(`${base}/api/v1/models/${modelId}/versions`, { method: 'POST', headers: scientist, body: form })).status).toBe(201);

    made.datasets = [];
    for (const [i, name] of names.entries()) made.datasets.push((await upload('/api/v1/datasets/upload', 'file', ['x,colour', ...Array.from({ length: 30 }, (_, r) => `${(r * (i + 1)) % 7},${r % 2 ? 'a' : 'b'}`)].join('\n'), `${name}.csv`, { name: `dataset ${name}` })).id);

    made.streams = [];
    for (const name of names) made.streams.push((await created('POST', '/api/v1/streams', { name: `stream ${name}`, source: { kind: 'webhook' }, reference: { datasetId: made.datasets[0] } })).id);

    made.documents = [];
    for (const [i, name] of names.entries()) made.documents.push((await upload('/api/v1/documents/upload', 'file', `Policy ${name}. ${'Records are kept. '.repeat(i + 1)}`, `${name}.txt`, { title: `document ${name}` })).documentId);

    made.users = [];
    for (const name of names) made.users.push((await registerAccount(server.runtime.identity, { email: `${name}@example.org`, name: `User ${name}`, password: 'a long enough passphrase 42', role: 'viewer', method: 'admin-bootstrap', emailVerified: true }, systemActor('test'))).userId);

    // Drift alerts on the scientist's model, appended as the drift scheduler does: each notifies the owner.
    made.alerts = [];
    for (const [i, column] of names.entries()) {
      const { schemaVersion, data } = server.runtime.catalogue.validate('drift.alert-raised', { alertId: randomUUID(), reportId: randomUUID(), modelId, datasetId: made.datasets[0]!, severity: 'high', driftedColumns: [column], driftShare: (i + 1) / 10, message: `${column} drifted` });
      const appended = await server.runtime.store.append(`drift-${randomUUID()}`, [{ id: v7(), type: 'drift.alert-raised', schemaVersion, data, actor: systemActor('drift-scheduler') }]);
      made.alerts.push(String(appended.events[0]!.position));
    }

    // A dataset against itself: reports without drift, so no alert beside the five above.
    made.driftReports = [];
    for (let i = 0; i < ITEMS; i++) {
      const report = await created('POST', '/api/v1/drift/detect', { modelId, reference: { datasetId: made.datasets[i] }, current: { datasetId: made.datasets[i] }, driftShare: 0.1 + i / 10 });
      expect(report.alert ?? null).toBeNull();
      made.driftReports.push(report.reportId);
    }

    made.fairnessReports = [];
    for (let i = 0; i < ITEMS; i++) {
      const rows = Array.from({ length: 20 }, (_, r) => ({ x: r % 4 < 2 ? 1 : -1 }));
      const labels = rows.map((_, r) => ((r + i) % 5 === 0 ? 'deny' : 'grant'));
      const sex = rows.map((_, r) => (r % 2 ? 'A' : 'B'));
      const assessed = await created('POST', `/api/v1/fairness/analyze/${modelId}`, { rows, labels, protectedAttributes: { sex }, options: { minGroupSize: 5, bootstrap: { resamples: 50, seed: 7 } } });
      made.fairnessReports.push(assessed.id);
    }

    made.exports = [];
    for (const id of made.models) made.exports.push((await created('POST', '/api/v1/export/csv', { kind: 'model-card', params: { modelId: id } })).exportId);

    made.chatSessions = [];
    for (const name of names) made.chatSessions.push((await created('POST', '/api/v1/chat', { message: `How long are ${name} records kept?` })).sessionId);

    const answerer = (await created('POST', '/api/v1/llm/configurations', { name: 'answerer', provider: 'openai-compatible', model: 'mock', baseUrl: `${mock.baseUrl}/v1`, apiKey: 'sk-page-test-key-0001' })).configurationId as string;
    made.evaluations = [];
    for (const name of names) made.evaluations.push((await created('POST', '/api/v1/evaluations', { name: `evaluation ${name}`, type: 'llm', configurationIds: [answerer], metrics: ['exact_match'], items: names.map((n) => ({ question: `${n}?`, referenceAnswer: n })), concurrency: 1 })).evaluationId);
    evaluationId = made.evaluations[0]!;
    await created('POST', `/api/v1/evaluations/${evaluationId}/start`, {});
    made.results = names.map((_, i) => String(i));
    made.configurations = [answerer];
    for (const name of names.slice(1)) made.configurations.push((await created('POST', '/api/v1/llm/configurations', { name: `configuration ${name}`, provider: 'openai-compatible', model: 'mock', baseUrl: `${mock.baseUrl}/v1`, apiKey: 'sk-page-test-key-0002' })).configurationId);

    made.schedules = [];
    for (const [i, dataset] of made.datasets.entries()) made.schedules.push((await created('POST', '/api/v1/drift/schedules', { reference: { datasetId: made.datasets[0] }, currentDatasetId: dataset, cron: `0 ${(i * 7) % 5} 1 1 *` })).scheduleId);

    // Reported by the administrator: an incident's near deadline notifies its reporter, and the scientist's inbox is counted above.
    made.incidents = [];
    for (const [i, name] of names.entries()) made.incidents.push((await created('POST', '/api/v1/incidents', { modelId, severity: 'high', description: `incident ${name}`, awareAt: new Date(Date.UTC(2026, 0, 10 - i)).toISOString() }, admin)).incidentId);

    // Later subscriptions of the administrator: the deliveries above belong to the first one only.
    made.subscriptions = [subscriptionId];
    for (const topic of ['model.deployed', 'model.retired', 'model.registered', 'model.updated']) made.subscriptions.push((await created('POST', `/api/v1/events/subscribe/${topic}`, { url: receiver.url }, admin)).subscriptionId);

    // Five drift alerts and five finished exports notify the scientist.
    await until('/api/v1/notifications', 'notifications', ITEMS * 2);
    made.modelEvents = (await server.runtime.store.readAll({ limit: 10_000 })).filter((e) => e.type.startsWith('model.')).map((e) => e.id);
    await until(`/api/v1/events/subscriptions/${subscriptionId}/deliveries`, 'deliveries', made.modelEvents.length, admin);
    await until(`/api/v1/evaluations/${evaluationId}/results`, 'results', ITEMS);
  }, 240_000);
  afterAll(async () => {
    server.app.server.closeAllConnections();
    await server.close();
    await receiver.close();
    await embeddings.close();
    await mock.close();
  });

  const at = (key: string) => () => made[key]!;
  const routes = (): ListRoute[] => [
    { name: 'models', path: '/api/v1/models', items: 'models', id: (m) => m.id, expected: at('models'), sort: { field: 'name', order: 'asc', value: (m) => m.name }, defaultOrder: { order: 'desc', value: (m) => m.createdAt } },
    { name: 'datasets', path: '/api/v1/datasets', items: 'datasets', id: (d) => d.id, expected: at('datasets'), sort: { field: 'name', order: 'desc', value: (d) => d.name }, defaultOrder: { order: 'desc', value: (d) => d.createdAt } },
    { name: 'streams', path: '/api/v1/streams', items: 'streams', id: (s) => s.id, expected: at('streams'), sort: { field: 'name', order: 'asc', value: (s) => s.name }, defaultOrder: { order: 'desc', value: (s) => s.createdAt } },
    { name: 'documents', path: '/api/v1/documents', items: 'documents', id: (d) => d.documentId, expected: at('documents'), sort: { field: 'size', order: 'asc', value: (d) => d.size }, defaultOrder: { order: 'desc', value: (d) => d.uploadedAt } },
    { name: 'notifications', path: '/api/v1/notifications', items: 'notifications', id: (n) => n.notificationId, expected: () => [], sort: { field: 'raisedAt', order: 'asc', value: (n) => n.raisedAt } },
    { name: 'accounts', path: '/api/v1/admin/users', items: 'users', id: (u) => u.id, expected: at('users'), sort: { field: 'createdAt', order: 'desc', value: (u) => u.createdAt }, defaultOrder: { order: 'asc', value: (u) => u.id } },
    { name: 'audit log', path: '/api/v1/audit/logs?type=model.registered', items: 'events', id: (e) => e.streamId.slice('model-'.length), expected: at('models'), sort: { field: 'position', order: 'desc', value: (e) => e.position }, defaultOrder: { order: 'asc', value: (e) => e.position } },
    { name: 'audit search', method: 'POST', path: '/api/v1/audit/search', items: 'events', id: (e) => e.streamId.slice('model-'.length), expected: at('models'), sort: { field: 'position', order: 'desc', value: (e) => e.position }, defaultOrder: { order: 'asc', value: (e) => e.position } },
    { name: 'webhook deliveries', path: `/api/v1/events/subscriptions/{subscription}/deliveries`, items: 'deliveries', id: (d) => d.eventId, expected: at('modelEvents'), sort: { field: 'eventPosition', order: 'desc', value: (d) => d.eventPosition }, defaultOrder: { order: 'asc', value: (d) => d.eventPosition } },
    { name: 'drift reports', path: `/api/v1/drift/reports/{model}`, items: 'reports', id: (r) => r.reportId, expected: at('driftReports'), sort: { field: 'position', order: 'asc', value: (r) => r.position }, defaultOrder: { order: 'desc', value: (r) => r.position } },
    { name: 'drift alerts', path: `/api/v1/drift/alerts?modelId={model}`, items: 'alerts', id: (a) => String(a.position), expected: at('alerts'), sort: { field: 'position', order: 'asc', value: (a) => a.position }, defaultOrder: { order: 'desc', value: (a) => a.position } },
    { name: 'fairness reports', path: `/api/v1/fairness/reports/{model}`, items: 'reports', id: (r) => r.id, expected: at('fairnessReports'), sort: { field: 'position', order: 'asc', value: (r) => r.position }, defaultOrder: { order: 'desc', value: (r) => r.position } },
    { name: 'drift schedules', path: '/api/v1/drift/schedules', items: 'schedules', id: (s) => s.scheduleId, expected: at('schedules'), sort: { field: 'cron', order: 'asc', value: (s) => s.cron }, defaultOrder: { order: 'asc', value: (s) => s.setAt } },
    { name: 'incidents', path: '/api/v1/incidents', items: 'incidents', id: (i) => i.incidentId, expected: at('incidents'), sort: { field: 'awareAt', order: 'asc', value: (i) => i.awareAt }, defaultOrder: { order: 'desc', value: (i) => i.reportedAt } },
    { name: 'webhook subscriptions', path: '/api/v1/events/subscriptions', items: 'subscriptions', id: (s) => s.subscriptionId, expected: at('subscriptions'), sort: { field: 'topic', order: 'desc', value: (s) => s.topic }, defaultOrder: { order: 'asc', value: (s) => s.subscribedPosition } },
    { name: 'LLM configurations', path: '/api/v1/llm/configurations', items: 'configurations', id: (c) => c.configurationId, expected: at('configurations'), sort: { field: 'createdAt', order: 'desc', value: (c) => c.createdAt }, defaultOrder: { order: 'asc', value: (c) => c.name } },
    { name: 'export jobs', path: '/api/v1/export/jobs', items: 'jobs', id: (j) => j.exportId, expected: at('exports'), sort: { field: 'requestedAt', order: 'asc', value: (j) => j.requestedAt }, defaultOrder: { order: 'desc', value: (j) => j.requestedAt } },
    { name: 'chat sessions', path: '/api/v1/chat/sessions', items: 'sessions', id: (s) => s.sessionId, expected: at('chatSessions'), sort: { field: 'startedAt', order: 'asc', value: (s) => s.startedAt } },
    { name: 'evaluations', path: '/api/v1/evaluations', items: 'evaluations', id: (e) => e.evaluationId, expected: at('evaluations'), sort: { field: 'name', order: 'asc', value: (e) => e.name }, defaultOrder: { order: 'desc', value: (e) => e.createdAt } },
    { name: 'evaluation results', path: `/api/v1/evaluations/{evaluation}/results`, items: 'results', id: (r) => String(r.itemIndex), expected: at('results'), sort: { field: 'itemIndex', order: 'desc', value: (r) => r.itemIndex }, defaultOrder: { order: 'asc', value: (r) => r.itemIndex } },
  ];
  const urlOf = (route: ListRoute) => route.path.replace('{subscription}', subscriptionId).replace('{model}', modelId).replace('{evaluation}', evaluationId);

  /** A page of the route: query parameters for a GET, the same fields in the JSON body of a POST. */
  const pageOfRoute = async (route: ListRoute, params: Record<string, string | number>) => {
    if (route.method === 'POST') return call('POST', urlOf(route), { types: ['model.registered'], ...params }, admin);
    const url = urlOf(route);
    const query = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
    return call('GET', `${url}${url.includes('?') ? '&' : '?'}${query}`, undefined, ['accounts', 'webhook deliveries', 'webhook subscriptions'].includes(route.name) || route.name.startsWith('audit') ? admin : scientist);
  };

  const walk = (route: ListRoute, params: Record<string, string> = {}) => walkPages(route.name, route.items, PAGE, (position) => pageOfRoute(route, { ...params, ...position }));

  it('walks every list page by page: the union is the whole set, once each, and total is right', async () => {
    for (const route of routes()) {
      const { seen, total } = await walk(route);
      const ids = seen.map(route.id);
      expect(new Set(ids).size, `${route.name}: duplicates`).toBe(ids.length);
      const expected = route.expected();
      if (expected.length > 0) expect([...ids].sort(), route.name).toEqual([...expected].sort());
      else expect(total, route.name).toBeGreaterThan(PAGE);
      expect(total, route.name).toBe(ids.length);
    }
  });

  it('orders by the field asked, and by the documented default without one, as the test orders the values itself', async () => {
    for (const route of routes()) {
      const { field, order, value } = route.sort;
      const sorted = (await walk(route, { sort: field, order })).seen.map(value);
      expect(sorted, `${route.name} by ${field} ${order}`).toEqual(orderedValues(sorted, order));
      expect(new Set(sorted).size, `${route.name}: values that tell the order apart`).toBeGreaterThan(1);
      const reversed = (await walk(route, { sort: field, order: order === 'asc' ? 'desc' : 'asc' })).seen.map(value);
      expect(reversed, `${route.name} by ${field} reversed`).toEqual(orderedValues(sorted, order === 'asc' ? 'desc' : 'asc'));
      if (route.defaultOrder) {
        const byDefault = (await walk(route)).seen.map(route.defaultOrder.value);
        expect(byDefault, `${route.name} in its default order`).toEqual(orderedValues(byDefault, route.defaultOrder.order));
      }
    }
  });

  it('refuses a page over 500 items and a sort field the route does not name, with problem+json naming the field', async () => {
    for (const route of routes()) {
      const where = route.method === 'POST' ? 'body' : 'querystring';
      const ok = await pageOfRoute(route, { limit: 500 });
      expect(ok.status, `${route.name}: ${JSON.stringify(ok.body)}`).toBe(200);
      for (const [params, field] of [[{ limit: 501 }, 'limit'], [{ sort: 'password' }, 'sort'], [{ offset: -1 }, 'offset'], [{ order: 'sideways' }, 'order']] as const) {
        const res = await pageOfRoute(route, params);
        expect(res.status, `${route.name} ${JSON.stringify(params)}`).toBe(400);
        expect(res.type, route.name).toContain('application/problem+json');
        expect(res.body.errors.map((e: Json) => e.field), `${route.name} ${JSON.stringify(params)}`).toContain(`${where}.${field}`);
      }
    }
  });

  it('keeps the deprecated cursors working beside the offset', async () => {
    const users = (await call('GET', '/api/v1/admin/users?limit=2', undefined, admin)).body;
    expect(users.next).toBe(users.users[1].id);
    const following = (await call('GET', `/api/v1/admin/users?limit=2&after=${users.next}`, undefined, admin)).body;
    expect(following.users.map((u: Json) => u.id)).toEqual(orderedValues(made.users!, 'asc').slice(2, 4));
    const log = (await call('GET', '/api/v1/audit/logs?type=model.registered&limit=2', undefined, admin)).body;
    const after = (await call('GET', `/api/v1/audit/logs?type=model.registered&limit=2&after=${log.page.next}`, undefined, admin)).body;
    expect(after.events.map((e: Json) => e.position)).toEqual((await walk(routes()[6]!)).seen.map((e) => e.position).slice(2, 4));
    expect(after.total).toBe(ITEMS - 2);
    const deliveries = (await call('GET', `/api/v1/events/subscriptions/${subscriptionId}/deliveries?limit=500`, undefined, admin)).body.deliveries as Json[];
    const cursor = deliveries[1]!.eventPosition as number;
    const later = (await call('GET', `/api/v1/events/subscriptions/${subscriptionId}/deliveries?afterPosition=${cursor}`, undefined, admin)).body;
    expect(later.deliveries.map((d: Json) => d.deliveryId)).toEqual(deliveries.filter((d) => d.eventPosition > cursor).map((d) => d.deliveryId));
  });
});
