import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-runtime.js';
import { startTestMailbox, type TestMailbox } from '../support/test-mailbox.js';

const strong = 'invited passphrase for 2026';

describe.each(['postgres', 'pglite'] as const)('invitations on %s', (dialect) => {
  let server: TestServer;
  let mailbox: TestMailbox;
  let admin: string;

  beforeAll(async () => {
    mailbox = await startTestMailbox();
    server = await startTestServer(dialect, { SMTP_URL: mailbox.url, RAIA_PUBLIC_URL: 'https://raia.example' });
    admin = await server.tokenFor('admin');
  });
  afterAll(async () => {
    await server.close();
    await mailbox.close();
  });

  const post = (url: string, payload: object, token?: string) =>
    server.app.inject({ method: 'POST', url, payload, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const invite = (body: object, token = admin) => post('/api/v1/admin/invitations', body, token);
  /** The token of the link in the mail, as the invitee's browser would take it. */
  const linkToken = (text: string) => {
    const link = /https:\/\/raia\.example\/accept-invitation\?token=\S+/.exec(text)?.[0];
    return link ? new URL(link).searchParams.get('token')! : null;
  };

  it('an admin invites with a role; the invitee sets a password from the mailed link and signs in with that role, verified; the link works once', async () => {
    const before = Date.now();
    const invited = await invite({ email: 'Bob@Example.org', name: 'Bob Builder', role: 'risk_officer' });
    expect(invited.statusCode).toBe(201);
    const { userId, expiresAt } = invited.json();
    // Seven days, as the mail says.
    expect(Date.parse(expiresAt) - before).toBeGreaterThanOrEqual(7 * 86_400_000 - 1000);
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(7 * 86_400_000);

    const mail = await mailbox.next('bob@example.org');
    expect(mail.text).toContain('risk officer');
    expect(mail.text).toContain('7 days');
    const token = linkToken(mail.text)!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{16,}$/);

    // The ledger holds the personal fields sealed, as for registered users.
    const events = await server.runtime.store.readStream(`user-${userId}`);
    expect(events.map((e) => e.type)).toEqual(['user.invited']);
    expect(JSON.stringify(events[0]!.data)).not.toMatch(/bob@example\.org|Bob Builder/i);
    expect(events[0]!.data).toMatchObject({ userId, role: 'risk_officer', email: { $pii: 'v1' }, name: { $pii: 'v1' } });

    expect((await post('/api/v1/auth/login', { email: 'bob@example.org', password: strong })).statusCode).toBe(401);
    // A password the policy refuses leaves the link working.
    const weak = await post('/api/v1/auth/accept-invitation', { token, password: 'bob builder' });
    expect(weak.statusCode).toBe(400);
    expect(weak.headers['content-type']).toContain('application/problem+json');
    expect(weak.json().errors[0].field).toBe('body.password');

    const accepted = await post('/api/v1/auth/accept-invitation', { token, password: strong });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json()).toMatchObject({ userId, role: 'risk_officer' });
    const again = await post('/api/v1/auth/accept-invitation', { token, password: strong });
    expect(again.statusCode).toBe(400);
    expect(again.json()).toMatchObject({ type: 'https://raia.dev/problems/invalid-token', errors: [{ field: 'body.token' }] });

    const login = await post('/api/v1/auth/login', { email: 'bob@example.org', password: strong });
    expect(login.statusCode).toBe(200);
    expect(login.json().user).toEqual({ id: userId, role: 'risk_officer' });
    const me = await server.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${login.json().accessToken}` } });
    expect(me.json()).toMatchObject({ email: 'bob@example.org', name: 'Bob Builder', role: 'risk_officer', emailVerified: true });
    const list = await server.app.inject({ method: 'GET', url: '/api/v1/admin/users', headers: { authorization: `Bearer ${admin}`, 'x-min-position': String(accepted.json().position) } });
    expect(list.json().users).toContainEqual(expect.objectContaining({ id: userId, status: 'active', role: 'risk_officer', emailVerified: true }));
  });

  it('inviting a pending invitee again mails a new link with the new role, and the older link stops working', async () => {
    expect((await invite({ email: 'dave@example.org', name: 'Dave', role: 'viewer' })).statusCode).toBe(201);
    const first = linkToken((await mailbox.next('dave@example.org')).text)!;
    const list = await server.app.inject({ method: 'GET', url: '/api/v1/admin/users', headers: { authorization: `Bearer ${admin}`, 'x-min-position': String((await server.runtime.store.head()).position) } });
    expect(list.json().users).toContainEqual(expect.objectContaining({ email: 'dave@example.org', status: 'invited', emailVerified: false }));
    const reinvited = await invite({ email: 'dave@example.org', name: 'Dave', role: 'auditor' });
    expect(reinvited.statusCode).toBe(201);
    const second = linkToken((await mailbox.next('dave@example.org')).text)!;
    expect((await post('/api/v1/auth/accept-invitation', { token: first, password: strong })).statusCode).toBe(400);
    const accepted = await post('/api/v1/auth/accept-invitation', { token: second, password: strong });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json()).toMatchObject({ userId: reinvited.json().userId, role: 'auditor' });
  });

  it('refuses to invite an address that has an account, naming the field; an admin may know it exists', async () => {
    expect((await invite({ email: 'carol@example.org', name: 'Carol', role: 'viewer' })).statusCode).toBe(201);
    const token = linkToken((await mailbox.next('carol@example.org')).text)!;
    expect((await post('/api/v1/auth/accept-invitation', { token, password: strong })).statusCode).toBe(200);
    const taken = await invite({ email: 'CAROL@example.org', name: 'Carol', role: 'admin' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ code: 'USER_EXISTS', errors: [{ field: 'body.email' }] });
  });

  it('refuses an expired link', async () => {
    expect((await invite({ email: 'erin@example.org', name: 'Erin', role: 'viewer' })).statusCode).toBe(201);
    const token = linkToken((await mailbox.next('erin@example.org')).text)!;
    // Eight days on: the stored expiry, moved back as the clock would move on.
    await server.runtime.db.knex('raia_one_time_tokens').where({ purpose: 'accept-invitation' }).update({ expires_at: new Date(Date.now() - 86_400_000) });
    const expired = await post('/api/v1/auth/accept-invitation', { token, password: strong });
    expect(expired.statusCode).toBe(400);
    expect(expired.json().errors[0].field).toBe('body.token');
  });

  it('lets only administrators invite, and refuses bad input naming the field', async () => {
    const officer = await server.tokenFor('risk_officer');
    expect((await invite({ email: 'x@example.org', name: 'X', role: 'viewer' }, officer)).statusCode).toBe(403);
    expect((await post('/api/v1/admin/invitations', { email: 'x@example.org', name: 'X', role: 'viewer' })).statusCode).toBe(401);
    const badEmail = await invite({ email: 'not an address', name: 'X', role: 'viewer' });
    expect(badEmail.statusCode).toBe(400);
    expect(badEmail.json().errors.map((e: { field: string }) => e.field)).toContain('body.email');
    const badRole = await invite({ email: 'x@example.org', name: 'X', role: 'overlord' });
    expect(badRole.statusCode).toBe(400);
    expect(badRole.json().errors.map((e: { field: string }) => e.field)).toContain('body.role');
    const badToken = await post('/api/v1/auth/accept-invitation', { token: 'x', password: strong });
    expect(badToken.statusCode).toBe(400);
    expect(badToken.json().errors.map((e: { field: string }) => e.field)).toContain('body.token');
  });
});
