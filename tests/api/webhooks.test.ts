import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { startRuntime } from '../../src/runtime.js';
import { OutboundAddressPolicy } from '../../src/platform/outbound-address-policy.js';
import { startTestServer, testConfig, type TestServer } from '../support/test-runtime.js';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '../support/webhook-receiver.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const FAST_RETRIES = { RAIA_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', RAIA_WEBHOOK_RETRY_SCHEDULE_MS: '150,150' };

/** The signature as standardwebhooks.com defines it, computed here from the definition, not with RAIA's signer. */
function expectedSignature(secret: string, delivery: ReceivedWebhook): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const content = `${delivery.headers['webhook-id']}.${delivery.headers['webhook-timestamp']}.${delivery.body}`;
  return `v1,${createHmac('sha256', key).update(content).digest('base64')}`;
}

describe('outbound address policy', () => {
  it('refuses loopback, private, link-local (metadata), unique-local and mapped addresses; allows what the operator lists', async () => {
    const strict = new OutboundAddressPolicy([], 'RAIA_WEBHOOK_ALLOWED_HOSTS');
    for (const url of ['http://127.0.0.1:9/', 'http://10.1.2.3/', 'http://192.168.0.1/', 'http://169.254.169.254/latest/meta-data', 'http://[::1]/', 'http://[fd00::1]/', 'http://[::ffff:10.0.0.1]/', 'http://0.0.0.0/', 'http://100.64.0.1/', 'http://localhost:9/']) {
      expect(await strict.refusal(url), url).toMatch(/only public addresses may be reached unless RAIA_WEBHOOK_ALLOWED_HOSTS|does not resolve/);
    }
    expect(await strict.refusal('ftp://example.com/')).toMatch(/http or https/);
    expect(await strict.refusal('https://user:pw@example.com/')).toMatch(/credentials/);
    expect(await strict.refusal('http://93.184.215.14/')).toBeNull();
    const lenient = new OutboundAddressPolicy(['127.0.0.1', '10.0.0.0/8']);
    expect(await lenient.refusal('http://127.0.0.1:9/')).toBeNull();
    expect(await lenient.refusal('http://10.200.0.1/')).toBeNull();
    expect(await lenient.refusal('http://169.254.169.254/')).toMatch(/link-local|linkLocal/);
  });
});

describe.each(['postgres', 'pglite'] as const)('webhooks on %s', (dialect) => {
  let server: TestServer;
  let base: string;
  let admin: Record<string, string>;
  let scientist: Record<string, string>;
  let receiver: WebhookReceiver;

  const call = async (method: string, path: string, body?: unknown, headers = admin) => {
    const res = await fetch(`${base}${path}`, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Json };
  };
  const registerModel = async (name: string) => {
    const res = await call('POST', '/api/v1/models', { name, type: 'classification', riskTier: 'minimal' }, scientist);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; position: number };
  };
  const deliveries = async (subscriptionId: string, until: (d: Json[]) => boolean, timeoutMs = 15_000): Promise<Json[]> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await call('GET', `/api/v1/events/subscriptions/${subscriptionId}/deliveries`);
      expect(res.status).toBe(200);
      if (until(res.body.deliveries)) return res.body.deliveries;
      if (Date.now() > deadline) throw new Error(`deliveries never reached the expected state: ${JSON.stringify(res.body.deliveries)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  beforeAll(async () => {
    server = await startTestServer(dialect, FAST_RETRIES);
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    admin = { authorization: `Bearer ${await server.tokenFor('admin')}` };
    scientist = { authorization: `Bearer ${await server.tokenFor('data_scientist')}` };
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    server.app.server.closeAllConnections();
    await server.close();
  });

  it('delivers matching events signed as Standard Webhooks, with the same webhook-id on a retry after a 500', async () => {
    const sub = await call('POST', '/api/v1/events/subscribe/model.*', { url: receiver.url });
    expect(sub.status, JSON.stringify(sub.body)).toBe(201);
    expect(sub.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    receiver.received.length = 0;
    receiver.script = [500];
    const model = await registerModel('webhooked');
    const [failed, ok] = await receiver.waitFor(2);
    expect(failed!.status).toBe(500);
    expect(ok!.status).toBe(204);
    for (const d of [failed!, ok!]) {
      expect(d.headers['webhook-signature']).toBe(expectedSignature(sub.body.secret, d));
      expect(Math.abs(Number(d.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
      expect(d.headers['content-type']).toBe('application/json');
    }
    expect(ok!.headers['webhook-id']).toBe(failed!.headers['webhook-id']);
    // The retry waited for the schedule's first delay (150 ms).
    expect(ok!.at - failed!.at).toBeGreaterThanOrEqual(140);
    const body = JSON.parse(ok!.body) as Json;
    expect(body).toMatchObject({ type: 'model.registered', data: { streamId: `model-${model.id}`, position: model.position, data: { modelId: model.id, name: 'webhooked' } } });
    const log = await deliveries(sub.body.subscriptionId, (d) => d.length === 1 && d[0]!.status === 'delivered');
    expect(log[0]!).toMatchObject({ deliveryId: ok!.headers['webhook-id'], eventType: 'model.registered', attempts: 2, lastStatus: 204 });
    expect(log[0]!.log.map((a: Json) => [a.attempt, a.statusCode])).toEqual([[1, 500], [2, 204]]);
    // The secret is in no event, in clear or otherwise; the ledger holds a fingerprint.
    const ledger = JSON.stringify(await server.runtime.store.readAll({}));
    expect(ledger).not.toContain(sub.body.secret.slice(6));
    await call('DELETE', `/api/v1/events/subscriptions/${sub.body.subscriptionId}`);
  });

  it('dead-letters after the schedule runs out, and replays the dead-lettered delivery once the receiver is back', async () => {
    const dead = await startWebhookReceiver({ fallback: 503 });
    try {
      const sub = await call('POST', '/api/v1/events/subscribe/model.registered', { url: dead.url });
      expect(sub.status).toBe(201);
      await registerModel('doomed');
      // One attempt and two retries (schedule of two delays), then dead.
      const log = await deliveries(sub.body.subscriptionId, (d) => d.length === 1 && d[0]!.status === 'dead');
      expect(log[0]!.log.map((a: Json) => a.statusCode)).toEqual([503, 503, 503]);
      expect(dead.received).toHaveLength(3);
      dead.fallback = 200;
      const replay = await call('POST', `/api/v1/events/subscriptions/${sub.body.subscriptionId}/replay`, {});
      expect(replay.status, JSON.stringify(replay.body)).toBe(202);
      expect(replay.body.deliveryIds).toEqual([log[0]!.deliveryId]);
      const replayed = await server.runtime.store.readAll({ after: replay.body.position - 1, limit: 1 });
      expect(replayed[0]!.type).toBe('webhook.deliveries-replayed');
      await deliveries(sub.body.subscriptionId, (d) => d[0]!.status === 'delivered');
      expect(dead.received).toHaveLength(4);
      expect(dead.received[3]!.headers['webhook-id']).toBe(log[0]!.deliveryId);
      expect(dead.received[3]!.headers['webhook-signature']).toBe(expectedSignature(sub.body.secret, dead.received[3]!));
      // Nothing dead is left: a second replay names nothing and records nothing.
      const again = await call('POST', `/api/v1/events/subscriptions/${sub.body.subscriptionId}/replay`, {});
      expect(again.body).toMatchObject({ deliveryIds: [], position: 0 });
      await call('DELETE', `/api/v1/events/subscriptions/${sub.body.subscriptionId}`);
    } finally {
      await dead.close();
    }
  });

  it('refuses bad input with a problem naming the field and records nothing', async () => {
    const head = (await server.runtime.store.head()).position;
    const cases: [string, unknown, string][] = [
      ['/api/v1/events/subscribe/model.*', { url: 'http://169.254.169.254/latest' }, 'body.url'],
      ['/api/v1/events/subscribe/model.*', { url: 'http://10.0.0.7/x' }, 'body.url'],
      ['/api/v1/events/subscribe/model.*', { url: receiver.url, secret: 'not-a-secret' }, 'body.secret'],
      ['/api/v1/events/subscribe/Model!', { url: receiver.url }, 'params.topic'],
      ['/api/v1/events/subscribe/model.*', { url: 'ftp://127.0.0.1/' }, 'body.url'],
    ];
    for (const [path, body, field] of cases) {
      const res = await call('POST', path, body);
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(res.type).toContain('application/problem+json');
      expect(JSON.stringify(res.body.errors)).toContain(field);
    }
    expect((await server.runtime.store.head()).position).toBe(head);
  });

  it('lets a caller without audit:read subscribe only to its own notifications', async () => {
    const refused = await call('POST', '/api/v1/events/subscribe/model.*', { url: receiver.url }, scientist);
    expect(refused.status).toBe(403);
    const own = await call('POST', '/api/v1/events/subscribe/notification.raised', { url: receiver.url, filter: { dataContains: { recipientId: 'someone-else' } } }, scientist);
    expect(own.status).toBe(201);
    const [sub] = (await call('GET', '/api/v1/events/subscriptions', undefined, scientist)).body.subscriptions as Json[];
    // The caller's own id wins over the one asked for.
    expect(sub!.filter.dataContains.channels).toEqual(['webhook']);
    expect(sub!.filter.dataContains.recipientId).not.toBe('someone-else');
    expect((await call('GET', `/api/v1/events/subscriptions/${own.body.subscriptionId}/deliveries`, undefined, { authorization: `Bearer ${await server.tokenFor('data_scientist')}` })).status).toBe(404);
  });
});

describe.each(['postgres', 'pglite'] as const)('webhook delivery across a restart on %s', (dialect) => {
  it('delivers every event recorded while the process was down or before its checkpoint moved, each once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'raia-webhook-restart-'));
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const config = testConfig(dialect, dataDir, schema, FAST_RETRIES);
    const receiver = await startWebhookReceiver();
    const start = async () => {
      const runtime = await startRuntime(config);
      const app = await buildApp(runtime, { logger: false });
      await runtime.projections.ready();
      const { sessionId } = await runtime.identity.sessions.create('0193f0c2-0000-7000-8000-00000000000a', 'vitest');
      const token = await runtime.accessTokens.issue({ userId: '0193f0c2-0000-7000-8000-00000000000a', role: 'admin', sessionId });
      return { runtime, app, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } };
    };
    let first = await start();
    try {
      const sub = await first.app.inject({ method: 'POST', url: '/api/v1/events/subscribe/model.registered', headers: first.headers, payload: { url: receiver.url } });
      expect(sub.statusCode, sub.body).toBe(201);
      const secret = (sub.json() as Json).secret as string;
      // The delivery processor dies; the API goes on recording.
      await first.runtime.webhooks.stop();
      for (let i = 0; i < 5; i++) {
        const res = await first.app.inject({ method: 'POST', url: '/api/v1/models', headers: first.headers, payload: { name: `m${i}`, type: 'regression', riskTier: 'minimal' } });
        expect(res.statusCode).toBe(201);
      }
      await first.app.close();
      await first.runtime.close();
      expect(receiver.received).toHaveLength(0);
      first = await start();
      const got = await receiver.waitFor(5);
      await new Promise((r) => setTimeout(r, 300));
      expect(got).toHaveLength(5);
      expect(new Set(got.map((d) => d.headers['webhook-id'])).size).toBe(5);
      expect(got.map((d) => (JSON.parse(d.body) as Json).data.data.name).sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
      for (const d of got) expect(d.headers['webhook-signature']).toBe(expectedSignature(secret, d));
    } finally {
      await receiver.close();
      await first.app.close();
      if (dialect === 'postgres') await first.runtime.db.knex.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await first.runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
