import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryNotificationFeed } from '../../src/processors/live/notification-feed.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';
import { openEventSource, openSocket, refusedUpgrade, type TestSocket } from '../support/live-clients.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.each(['postgres', 'pglite'] as const)('live channels on %s', (dialect) => {
  let server: TestServer;
  let base: string;
  let ws: string;
  const tokens: Record<string, string> = {};
  const auth = (role: string) => ({ authorization: `Bearer ${tokens[role]}` });
  const sockets: TestSocket[] = [];
  const connections = new Set<Socket>();

  const post = async (path: string, body: unknown, role = 'admin') => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { ...auth(role), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const registerModel = async (name: string) => {
    const created = await post('/api/v1/models', { name, type: 'classification', riskTier: 'limited' }, 'data_scientist');
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body as { id: string; position: number };
  };
  const socket = async (path: string, role: string, extra: Parameters<typeof openSocket>[1] = {}) => {
    const s = await openSocket(`${ws}${path}`, { headers: auth(role), ...extra });
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    server = await startTestServer(dialect, { RAIA_LIVE_HEARTBEAT_MS: '300', RAIA_LIVE_ANALYTICS_INTERVAL_MS: '200', RAIA_LIVE_MAX_BUFFERED_BYTES: String(256 * 1024) });
    server.app.server.on('connection', (c: Socket) => connections.add(c));
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    ws = base.replace('http:', 'ws:');
    for (const role of ['admin', 'risk_officer', 'data_scientist', 'auditor', 'viewer']) tokens[role] = await server.tokenFor(role as 'admin');
  });
  afterAll(async () => {
    for (const s of sockets) s.socket.terminate();
    // Upgraded and refused-upgrade sockets are not HTTP connections closeAllConnections knows of.
    for (const c of connections) c.destroy();
    server.app.server.closeAllConnections();
    await server.close();
  }, 60_000);

  it('pushes a committed model event to /ws/model-updates with its ledger position, and answers a plain GET with 426', async () => {
    const client = await socket('/ws/model-updates', 'viewer');
    const welcome = await client.next((f) => f.type === 'welcome');
    expect(welcome).toMatchObject({ channel: 'model-updates', heartbeatMs: 300 });
    client.send({ type: 'subscribe' });
    await client.next((f) => f.type === 'subscribed');
    const model = await registerModel(`live ${randomUUID()}`);
    const frame = await client.next((f) => f.type === 'event' && f.event.data.modelId === model.id);
    expect(frame).toMatchObject({ channel: 'model-updates', position: model.position, event: { type: 'model.registered', position: model.position, streamId: `model-${model.id}` } });
    const plain = await fetch(`${base}/ws/model-updates`, { headers: auth('viewer') });
    expect(plain.status).toBe(426);
    expect(plain.headers.get('content-type')).toContain('application/problem+json');
  });

  it('refuses a bad subscribe message with an error frame naming the field, and keeps the socket open', async () => {
    const client = await socket('/ws/data-streams', 'viewer');
    client.send({ type: 'subscribe', after: -3 });
    expect(await client.next((f) => f.type === 'error')).toMatchObject({ field: 'message.after' });
    const before = client.frames.length;
    client.socket.send('not json');
    expect(await client.next((f) => f.type === 'error', 5000, before)).toMatchObject({ type: 'error', field: 'message' });
    client.send({ type: 'subscribe' });
    await client.next((f) => f.type === 'subscribed');
  });

  it('authenticates by subprotocol or single-use ticket, never a token in the URL; refuses a missing credential and a spent ticket', async () => {
    const byProtocol = await socket('/ws/model-updates', 'viewer', { headers: {}, protocols: ['raia.v1', `raia.bearer.${tokens.viewer}`] });
    expect(byProtocol.socket.protocol).toBe('raia.v1');
    await byProtocol.next((f) => f.type === 'welcome');

    const minted = await post('/api/v1/realtime/tickets', {}, 'viewer');
    expect(minted.status).toBe(201);
    expect(minted.body.expiresInSeconds).toBe(30);
    const byTicket = await socket(`/ws/model-updates?ticket=${minted.body.ticket}`, 'viewer', { headers: {} });
    await byTicket.next((f) => f.type === 'welcome');
    expect(await refusedUpgrade(`${ws}/ws/model-updates?ticket=${minted.body.ticket}`)).toBe(401);
    expect(await refusedUpgrade(`${ws}/ws/model-updates`)).toBe(401);
    expect(await refusedUpgrade(`${ws}/ws/model-updates`, { protocols: ['raia.v1', 'raia.bearer.not-a-token'] })).toBe(401);
    expect(await refusedUpgrade(`${ws}/ws/model-updates?ticket=${randomUUID()}`)).toBe(401);
  });

  it('filters by permission and discloses personal fields per role: SSE to viewer, auditor and admin', async () => {
    const viewer = openEventSource(`${base}/api/v1/events/stream`, auth('viewer'));
    const auditor = openEventSource(`${base}/api/v1/events/stream`, auth('auditor'));
    const admin = openEventSource(`${base}/api/v1/events/stream`, auth('admin'));
    await Promise.all([viewer.opened, auditor.opened, admin.opened]);
    try {
      const email = `invitee-${randomUUID()}@example.org`;
      const invited = await post('/api/v1/admin/invitations', { email, name: 'Ada Invitee', role: 'viewer' });
      expect(invited.status, JSON.stringify(invited.body)).toBe(201);
      const model = await registerModel(`sse ${randomUUID()}`);
      // Everyone who may read models sees the model; the viewer (no audit:read) never sees the invitation.
      await viewer.next((e) => e.type === 'model.registered' && e.data.data.modelId === model.id);
      const forAuditor = await auditor.next((e) => e.type === 'user.invited' && Number(e.id) === invited.body.position);
      const forAdmin = await admin.next((e) => e.type === 'user.invited' && Number(e.id) === invited.body.position);
      expect(viewer.events.filter((e) => e.type === 'user.invited')).toEqual([]);
      expect(JSON.stringify(forAdmin.data)).toContain(email);
      // The auditor reads audit events without personal-data:read: the address is a pseudonym.
      expect(JSON.stringify(forAuditor.data)).not.toContain(email);
      expect(JSON.stringify(forAuditor.data)).toContain('[personal:');
      await auditor.next((e) => e.type === 'model.registered' && e.data.data.modelId === model.id);
    } finally {
      viewer.source.close();
      auditor.source.close();
      admin.source.close();
    }
  });

  it('SSE resumes with Last-Event-ID: what was committed while away arrives once, in order, nothing twice', async () => {
    const first = openEventSource(`${base}/api/v1/events/stream?types=model.`, auth('viewer'));
    await first.opened;
    const a = await registerModel(`resume a ${randomUUID()}`);
    const seen = await first.next((e) => e.data.data.modelId === a.id);
    first.source.close();
    const missed = [await registerModel(`resume b ${randomUUID()}`), await registerModel(`resume c ${randomUUID()}`)];
    const again = openEventSource(`${base}/api/v1/events/stream?types=model.`, { ...auth('viewer'), 'last-event-id': seen.id });
    await again.opened;
    try {
      const live = await registerModel(`resume d ${randomUUID()}`);
      await again.next((e) => e.data.data.modelId === live.id);
      const positions = again.events.map((e) => Number(e.id));
      expect(positions).toEqual([...positions].sort((x, y) => x - y));
      expect(new Set(positions).size).toBe(positions.length);
      // Exactly the model events after the one seen: read the ledger by hand to know them.
      const ledger = await server.runtime.store.readAll({ after: Number(seen.id), filter: { types: ['model.registered', 'model.updated', 'model.deleted'] } });
      expect(positions).toEqual(ledger.map((e) => e.position));
      expect(positions).toEqual(expect.arrayContaining([...missed.map((m) => m.position), live.position]));
      const bad = await fetch(`${base}/api/v1/events/stream`, { headers: { ...auth('viewer'), accept: 'text/event-stream', 'last-event-id': 'yesterday' } });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as Json).errors[0].field).toBe('headers.last-event-id');
      expect((await fetch(`${base}/api/v1/events/stream`, { headers: auth('viewer') })).status).toBe(406);
    } finally {
      again.source.close();
    }
  });

  it('WebSocket resume after a position: the missed events once, then live, nothing twice', async () => {
    const one = await socket('/ws/model-updates', 'data_scientist');
    one.send({ type: 'subscribe', types: ['model.registered'] });
    await one.next((f) => f.type === 'subscribed');
    const a = await registerModel(`ws resume a ${randomUUID()}`);
    const last = await one.next((f) => f.type === 'event' && f.event.data.modelId === a.id);
    one.close();
    await one.closed;
    const missed = [await registerModel(`ws resume b ${randomUUID()}`), await registerModel(`ws resume c ${randomUUID()}`)];
    const two = await socket('/ws/model-updates', 'data_scientist');
    two.send({ type: 'resume', after: last.position, types: ['model.registered'] });
    const live = await registerModel(`ws resume d ${randomUUID()}`);
    await two.next((f) => f.type === 'event' && f.event.data.modelId === live.id);
    const positions = two.frames.filter((f) => f.type === 'event').map((f) => f.position as number);
    const ledger = await server.runtime.store.readAll({ after: last.position, to: live.position, filter: { types: ['model.registered'] } });
    expect(positions).toEqual(ledger.map((e) => e.position));
    expect(positions).toEqual(expect.arrayContaining([...missed.map((m) => m.position), live.position]));
  });

  it('only the streams asked for: a streamIds filter', async () => {
    const a = await registerModel(`filter a ${randomUUID()}`);
    const b = await registerModel(`filter b ${randomUUID()}`);
    const client = await socket('/ws/model-updates', 'viewer');
    client.send({ type: 'subscribe', streamIds: [`model-${b.id}`] });
    await client.next((f) => f.type === 'subscribed');
    for (const id of [a.id, b.id]) {
      const res = await fetch(`${base}/api/v1/models/${id}`, { method: 'PUT', headers: { ...auth('data_scientist'), 'content-type': 'application/json' }, body: JSON.stringify({ description: 'changed' }) });
      expect(res.status).toBe(200);
    }
    await client.next((f) => f.type === 'event' && f.event.type === 'model.updated' && f.event.data.modelId === b.id);
    expect(client.frames.filter((f) => f.type === 'event' && f.event.streamId !== `model-${b.id}`)).toEqual([]);
  });

  it('drops a client that stops answering pings (heartbeat)', async () => {
    const silent = await socket('/ws/data-streams', 'viewer', { autoPong: false });
    const closed = await Promise.race([silent.closed, new Promise<null>((r) => setTimeout(() => r(null), 3000))]);
    expect(closed).not.toBeNull();
    const answering = await socket('/ws/data-streams', 'viewer');
    await new Promise((r) => setTimeout(r, 1000));
    expect(answering.socket.readyState).toBe(answering.socket.OPEN);
  });

  it('disconnects a slow reader once its queue passes the bound, instead of growing memory', async () => {
    const slow = await socket('/ws/model-updates', 'admin');
    slow.send({ type: 'subscribe' });
    await slow.next((f) => f.type === 'subscribed');
    // Stop reading: the kernel buffers fill, then the server's queue for this client.
    (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const streamId = `model-${randomUUID()}`;
    const big = 'x'.repeat(16 * 1024);
    // 12 appends of 25 events of 16 KiB: 4.8 MB, more than loopback socket buffers and the 256 KiB bound hold.
    for (let i = 0; i < 12 && slow.socket.readyState === slow.socket.OPEN; i++) {
      const events = Array.from({ length: 25 }, () => ({ id: randomUUID(), type: 'model.updated', schemaVersion: 1, data: { modelId: streamId.slice(6), changes: { description: big } }, actor: { kind: 'system' as const, id: 'test' } }));
      await server.runtime.store.append(streamId, events);
      await new Promise((r) => setTimeout(r, 50));
    }
    (slow.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    const closed = await Promise.race([slow.closed, new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
    expect(closed, 'the slow client was not disconnected').not.toBeNull();
    expect(closed!.code).not.toBe(1000);
  });

  it('/ws/notifications serves the caller\'s notification.raised events from the ledger: live, and resumed after a position', async () => {
    const me = await server.tokenFor('risk_officer');
    const meId = (await server.runtime.accessTokens.verify(me))!.userId;
    const raise = async (recipientId: string, title: string) => {
      const notificationId = randomUUID();
      const data = { notificationId, recipientId, kind: 'approval-requested' as const, title, subject: { type: 'model', id: randomUUID() }, channels: ['in-app' as const] };
      const { position } = await server.runtime.store.append(`notification-${notificationId}`, [{ id: notificationId, type: 'notification.raised', schemaVersion: 1, data, actor: { kind: 'system', id: 'test' } }]);
      return position;
    };
    const client = await openSocket(`${ws}/ws/notifications`, { headers: { authorization: `Bearer ${me}` } });
    sockets.push(client);
    client.send({ type: 'subscribe' });
    await client.next((f) => f.type === 'subscribed');
    await raise('someone-else', 'not yours');
    const first = await raise(meId, 'first');
    const second = await raise(meId, 'second');
    await client.next((f) => f.type === 'notification' && f.notification.title === 'second');
    expect(client.frames.filter((f) => f.type === 'notification').map((f) => [f.sequence, f.notification.title])).toEqual([[first, 'first'], [second, 'second']]);
    client.close();
    const third = await raise(meId, 'third');
    const back = await openSocket(`${ws}/ws/notifications`, { headers: { authorization: `Bearer ${me}` } });
    sockets.push(back);
    back.send({ type: 'resume', after: first });
    await back.next((f) => f.type === 'subscribed');
    const fourth = await raise(meId, 'fourth');
    await back.next((f) => f.type === 'notification' && f.notification.title === 'fourth');
    expect(back.frames.filter((f) => f.type === 'notification').map((f) => [f.sequence, f.notification.title])).toEqual([[second, 'second'], [third, 'third'], [fourth, 'fourth']]);
  });

  it('/ws/notifications pushes only the caller\'s own notifications, and resumes after a sequence', async () => {
    const feed = new InMemoryNotificationFeed();
    server.runtime.live.notifications = feed;
    const me = await server.tokenFor('viewer');
    const meId = (await server.runtime.accessTokens.verify(me))!.userId;
    const client = await openSocket(`${ws}/ws/notifications`, { headers: { authorization: `Bearer ${me}` } });
    sockets.push(client);
    client.send({ type: 'subscribe' });
    await client.next((f) => f.type === 'subscribed');
    feed.push('someone-else', randomUUID(), { title: 'not yours' });
    feed.push(meId, randomUUID(), { title: 'first' });
    feed.push(meId, randomUUID(), { title: 'second' });
    await client.next((f) => f.type === 'notification' && f.notification.title === 'second');
    expect(client.frames.filter((f) => f.type === 'notification').map((f) => [f.sequence, f.notification.title])).toEqual([[1, 'first'], [2, 'second']]);
    client.close();
    feed.push(meId, randomUUID(), { title: 'third' });
    const back = await openSocket(`${ws}/ws/notifications`, { headers: { authorization: `Bearer ${me}` } });
    sockets.push(back);
    back.send({ type: 'resume', after: 2 });
    await back.next((f) => f.type === 'subscribed');
    feed.push(meId, randomUUID(), { title: 'fourth' });
    await back.next((f) => f.type === 'notification' && f.notification.title === 'fourth');
    expect(back.frames.filter((f) => f.type === 'notification').map((f) => f.notification.title)).toEqual(['third', 'fourth']);
  });

  it('/ws/real-time pushes the analytics channels subscribed through POST /analytics/subscribe, each only if the caller may read it', async () => {
    const client = await socket('/ws/real-time', 'auditor');
    const welcome = await client.next((f) => f.type === 'welcome');
    const { connectionId } = welcome;
    expect(connectionId).toMatch(/^[0-9a-f-]{36}$/);
    const subscribed = await post('/api/v1/analytics/subscribe', { connectionId, channels: ['system', 'models'] }, 'auditor');
    expect(subscribed).toMatchObject({ status: 200, body: { connectionId, channels: ['models', 'system'] } });
    const system = await client.next((f) => f.type === 'analytics' && f.channel === 'system');
    expect(system.data.ledger.headPosition).toBe((await server.runtime.store.head()).position >= system.data.ledger.headPosition ? system.data.ledger.headPosition : -1);
    expect(system.data.live.clients['real-time']).toBeGreaterThanOrEqual(1);
    await client.next((f) => f.type === 'analytics' && f.channel === 'models');
    // Another user cannot subscribe this connection; a viewer may not have system figures.
    expect((await post('/api/v1/analytics/subscribe', { connectionId, channels: ['models'] }, 'data_scientist')).status).toBe(404);
    const viewerSocket = await socket('/ws/real-time', 'viewer');
    const viewerWelcome = await viewerSocket.next((f) => f.type === 'welcome');
    const refused = await post('/api/v1/analytics/subscribe', { connectionId: viewerWelcome.connectionId, channels: ['models', 'system'] }, 'viewer');
    expect(refused.status).toBe(403);
    expect(refused.body.errors).toEqual([{ field: 'body.channels.1', message: 'needs the system:read permission' }]);
    const bad = await post('/api/v1/analytics/subscribe', { connectionId, channels: ['weather'] }, 'auditor');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('body.channels.0');
    const off = await post('/api/v1/analytics/unsubscribe', { connectionId, channels: ['system'] }, 'auditor');
    expect(off.body.channels).toEqual(['models']);
    await new Promise((r) => setTimeout(r, 300));
    const mark = client.frames.length;
    await client.next((f) => f.type === 'analytics' && f.channel === 'models', 3000, mark);
    await new Promise((r) => setTimeout(r, 500));
    expect(client.frames.slice(mark + 1).filter((f) => f.channel === 'system')).toEqual([]);
  });

  it('GET /analytics/real-time/system reports the ledger head, projection lag and the bus', async () => {
    const res = await fetch(`${base}/api/v1/analytics/real-time/system`, { headers: auth('auditor') });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    const head = await server.runtime.store.head();
    expect(body.ledger.headPosition).toBe(head.position);
    expect(body.ledger.headHash).toBe(head.hash);
    expect(body.bus).toMatchObject({ kind: 'in-process', connected: true });
    expect(body.process.memory.rssBytes).toBeGreaterThan(0);
    expect(body.projections.items.length).toBeGreaterThan(0);
    expect((await fetch(`${base}/api/v1/analytics/real-time/system`, { headers: auth('viewer') })).status).toBe(403);
  });
});
