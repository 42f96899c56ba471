import { randomUUID } from 'node:crypto';
import { v7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/api/permissions.js';
import { registerAccount } from '../../src/commands/user/registration.js';
import { systemActor } from '../../src/events/envelope.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.each(['postgres', 'pglite'] as const)('notifications on %s', (dialect) => {
  let server: TestServer;
  let base: string;
  let scientistId: string;
  let scientist: Record<string, string>;
  let officerId: string;
  let officer: Record<string, string>;
  let modelId: string;

  const tokenOf = async (userId: string, role: Role) => {
    const { sessionId } = await server.runtime.identity.sessions.create(userId, 'vitest');
    return { authorization: `Bearer ${await server.runtime.accessTokens.issue({ userId, role, sessionId })}` };
  };
  const call = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const res = await fetch(`${base}${path}`, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const inbox = async (headers: Record<string, string>, query = '', until: (b: Json) => boolean = () => true): Promise<Json> => {
    for (let i = 0; i < 300; i++) {
      const res = await call('GET', `/api/v1/notifications${query}`, headers);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      if (until(res.body)) return res.body;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the inbox never reached the expected state');
  };
  const raiseDriftAlert = async () => {
    const { schemaVersion, data } = server.runtime.catalogue.validate('drift.alert-raised', { alertId: randomUUID(), reportId: randomUUID(), modelId, datasetId: randomUUID(), severity: 'high', driftedColumns: ['age'], driftShare: 0.5, message: 'age drifted (KS p < 0.001)' });
    return server.runtime.store.append(`drift-${randomUUID()}`, [{ id: v7(), type: 'drift.alert-raised', schemaVersion, data, actor: systemActor('drift-scheduler') }]);
  };

  beforeAll(async () => {
    server = await startTestServer(dialect);
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    scientistId = randomUUID();
    scientist = await tokenOf(scientistId, 'data_scientist');
    const account = await registerAccount(server.runtime.identity, { email: 'officer@example.org', name: 'Risk Officer', password: 'a long enough passphrase 42', role: 'risk_officer', method: 'admin-bootstrap', emailVerified: true }, systemActor('test'));
    officerId = account.userId;
    officer = await tokenOf(officerId, 'risk_officer');
    const model = await call('POST', '/api/v1/models', scientist, { name: 'scored', type: 'classification', riskTier: 'high' });
    expect(model.status).toBe(201);
    modelId = model.body.id;
  });
  afterAll(async () => {
    server.app.server.closeAllConnections();
    await server.close();
  });

  it('raises notifications from rules to the right people, on the channels each chose', async () => {
    const prefs = await call('PUT', '/api/v1/notifications/preferences', officer, { preferences: { 'drift-alert': ['in-app', 'email'] } });
    expect(prefs.status, JSON.stringify(prefs.body)).toBe(200);
    // The scientist asks for an export; its completion notifies the scientist (the requester) only.
    const exported = await call('POST', '/api/v1/export/csv', scientist, { kind: 'model-card', params: { modelId } });
    expect(exported.status, JSON.stringify(exported.body)).toBe(202);
    const afterExport = await inbox(scientist, '', (b) => b.total === 1);
    expect(afterExport.notifications[0]).toMatchObject({ kind: 'export-finished', subject: { type: 'export', id: exported.body.exportId }, read: false, channels: ['in-app'] });
    // A drift alert on the scientist's model notifies its owner and every risk officer.
    await raiseDriftAlert();
    const mine = await inbox(scientist, '', (b) => b.total === 2);
    expect(mine.unread).toBe(2);
    expect(mine.notifications.map((n: Json) => n.kind)).toEqual(['drift-alert', 'export-finished']);
    const theirs = await inbox(officer, '', (b) => b.total === 1);
    expect(theirs.notifications[0]).toMatchObject({ kind: 'drift-alert', subject: { type: 'model', id: modelId }, channels: ['in-app', 'email'] });
    expect(theirs.notifications[0].title).toContain('age drifted');
    // The officer's e-mail went to the mail outbox, once, under the notification's id.
    const mails = await server.runtime.db.knex('raia_mail_outbox').select('id', 'to_address', 'subject').where('to_address', 'officer@example.org');
    expect(mails.filter((m: Json) => m.subject.includes('Drift alert'))).toEqual([{ id: theirs.notifications[0].notificationId, to_address: 'officer@example.org', subject: `[RAIA] ${theirs.notifications[0].title}` }]);
    // Muting a kind (an empty channel list) stops it.
    await call('PUT', '/api/v1/notifications/preferences', officer, { preferences: { 'drift-alert': [] } });
    const raised = await raiseDriftAlert();
    await inbox(scientist, '', (b) => b.total === 3);
    const head = raised.position;
    await new Promise((r) => setTimeout(r, 300));
    expect((await inbox(officer)).total).toBe(1);
    // Each notification is one ledger event caused by the event it is about.
    const events = await server.runtime.store.readAll({ filter: { types: ['notification.raised'] } });
    expect(events).toHaveLength(4);
    expect(events.filter((e) => e.causationId === raised.events[0]!.id).map((e) => e.data.recipientId)).toEqual([scientistId]);
    expect(head).toBeGreaterThan(0);
  });

  it('pages, marks read, marks all read and deletes, each recorded, and hides others\' notifications', async () => {
    const all = await inbox(scientist, '', (b) => b.total === 3);
    const page1 = await inbox(scientist, '?limit=2&offset=0');
    const page2 = await inbox(scientist, '?limit=2&offset=2');
    expect(page1.notifications).toHaveLength(2);
    expect(page2.notifications).toHaveLength(1);
    expect([...page1.notifications, ...page2.notifications].map((n: Json) => n.notificationId)).toEqual(all.notifications.map((n: Json) => n.notificationId));
    const [newest, middle, oldest] = all.notifications as Json[];
    // Someone else's notification is not found, and nothing is recorded.
    const before = (await server.runtime.store.head()).position;
    expect((await call('POST', `/api/v1/notifications/mark-read/${newest!.notificationId}`, officer)).status).toBe(404);
    expect((await call('DELETE', `/api/v1/notifications/${newest!.notificationId}`, officer)).status).toBe(404);
    expect((await call('POST', `/api/v1/notifications/mark-read/not-a-uuid`, scientist)).status).toBe(400);
    expect((await server.runtime.store.head()).position).toBe(before);

    const read = await call('POST', `/api/v1/notifications/mark-read/${middle!.notificationId}`, scientist);
    expect(read.status).toBe(200);
    const afterRead = await inbox({ ...scientist, 'x-min-position': String(read.body.position) });
    expect(afterRead).toMatchObject({ total: 3, unread: 2 });
    expect(afterRead.notifications.find((n: Json) => n.notificationId === middle!.notificationId).read).toBe(true);
    const unreadOnly = await inbox({ ...scientist, 'x-min-position': String(read.body.position) }, '?unread=true');
    expect(unreadOnly.notifications.map((n: Json) => n.notificationId)).toEqual([newest!.notificationId, oldest!.notificationId]);

    const removed = await call('DELETE', `/api/v1/notifications/${oldest!.notificationId}`, scientist);
    expect(removed.status).toBe(200);
    expect(await inbox({ ...scientist, 'x-min-position': String(removed.body.position) })).toMatchObject({ total: 2, unread: 1 });
    expect((await call('POST', `/api/v1/notifications/mark-read/${oldest!.notificationId}`, scientist)).status).toBe(404);

    const allRead = await call('POST', '/api/v1/notifications/mark-all-read', scientist);
    expect(allRead.status).toBe(200);
    expect(await inbox({ ...scientist, 'x-min-position': String(allRead.body.position) })).toMatchObject({ total: 2, unread: 0 });
    // One raised after the mark-all-read stays unread.
    await raiseDriftAlert();
    expect(await inbox(scientist, '', (b) => b.total === 3)).toMatchObject({ unread: 1 });
    const types = (await server.runtime.store.readAll({ after: before })).map((e) => e.type);
    expect(types.filter((t) => t.startsWith('notification.') && t !== 'notification.raised')).toEqual(['notification.read', 'notification.deleted', 'notification.all-read']);
  });

  it('tells the reporter and the risk officers, once, when an open incident\'s Art. 73 deadline is near', async () => {
    // A serious incident (15 days) the provider became aware of 14 days ago: its deadline is in 24 hours, inside the 48-hour notice.
    const awareAt = new Date(Date.now() - 14 * 86_400_000).toISOString();
    const reported = await call('POST', '/api/v1/incidents', scientist, { modelId, severity: 'high', category: 'serious-incident', description: 'wrong refusals', awareAt });
    expect(reported.status, JSON.stringify(reported.body)).toBe(201);
    const incidentId = reported.body.incidentId;
    const isNotice = (n: Json) => n.kind === 'incident-deadline-near' && n.subject.id === incidentId;
    const mine = await inbox(scientist, '', (b) => b.notifications.some(isNotice));
    const theirs = await inbox(officer, '', (b) => b.notifications.some(isNotice));
    for (const box of [mine, theirs]) expect(box.notifications.find(isNotice).title).toMatch(/deadline in 2[34] h \(serious-incident, Art\. 73\)/);
    // Another incident event triggers another scan; the notice is not raised twice.
    const other = await call('POST', '/api/v1/incidents', scientist, { modelId, severity: 'low', category: 'serious-incident', description: 'minor', awareAt: new Date().toISOString() });
    expect(other.status).toBe(201);
    await new Promise((r) => setTimeout(r, 500));
    const notices = (await server.runtime.store.readAll({ filter: { types: ['notification.raised'] } })).filter((e) => e.data.kind === 'incident-deadline-near');
    expect(notices.map((e) => e.data.recipientId).sort()).toEqual([scientistId, officerId].sort());
  });

  it('refuses bad preferences naming the field', async () => {
    const res = await call('PUT', '/api/v1/notifications/preferences', scientist, { preferences: { 'drift-alert': ['pigeon'] } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.errors)).toContain('body.preferences');
    const twice = await call('PUT', '/api/v1/notifications/preferences', scientist, { preferences: { 'drift-alert': ['email', 'email'] } });
    expect(twice.status).toBe(400);
  });
});
