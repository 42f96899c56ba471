import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailTransport } from '../../src/platform/mail-transport.js';
import { enqueueMail, mailsTo, scrubMailsTo, startMailSender, type MailSender } from '../../src/platform/mail-outbox.js';
import { startTestMailbox, type TestMailbox } from '../support/test-mailbox.js';
import { dialects, openTestDatabase, type TestDatabase } from '../support/test-database.js';

describe.each(dialects)('mail outbox on %s', (dialect) => {
  let db: TestDatabase;
  let mailbox: TestMailbox;
  const senders: MailSender[] = [];
  // The sender's clock runs a minute ahead of the database's, so freshly queued mail is due.
  let now = new Date(Date.now() + 60_000);
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
    mailbox = await startTestMailbox({ rejects: (a) => a === 'bounce@example.org' });
  });
  afterAll(async () => {
    for (const s of senders) await s.stop();
    await mailbox.close();
    await db.drop();
  });
  const sender = (maxAttempts = 3, batchSize?: number) => {
    const s = startMailSender({ knex: db.knex, transport: createMailTransport({ smtpUrl: mailbox.url, dataDir: tmpdir(), from: 'RAIA <no-reply@raia.test>' }), maxAttempts, pollIntervalMs: 60_000, clock: () => now, backoffMs: () => 1000, batchSize });
    senders.push(s);
    return s;
  };

  it('delivers queued mail over SMTP and forgets the bodies once sent', async () => {
    const id = await enqueueMail(db.knex, { to: 'alice@example.org', subject: 'Confirm', text: 'token: abc123' });
    expect(await sender().flush()).toBe(1);
    const mail = await mailbox.next('alice@example.org');
    expect(mail).toMatchObject({ to: 'alice@example.org', subject: 'Confirm' });
    expect(mail.text).toContain('token: abc123');
    const row = await db.knex('raia_mail_outbox').where('id', id).first();
    expect(row).toMatchObject({ status: 'sent', text_body: null, attempts: 1 });
  });

  it('two senders sharing the outbox deliver each message exactly once', async () => {
    const recipients = Array.from({ length: 12 }, (_, i) => `user${i}@example.org`);
    for (const to of recipients) await enqueueMail(db.knex, { to, subject: `For ${to}`, text: 'x' });
    const before = mailbox.count();
    const [a, b] = await Promise.all([sender(3, 2).flush(), sender(3, 2).flush()]);
    expect(a + b).toBe(12);
    for (const to of recipients) expect((await mailbox.next(to)).subject).toBe(`For ${to}`);
    expect(mailbox.count()).toBe(before + 12);
    const rows = await db.knex('raia_mail_outbox').whereIn('to_address', recipients);
    expect(rows.map((r) => [r.status, r.attempts])).toEqual(recipients.map(() => ['sent', 1]));
  });

  it('queues inside a caller\'s transaction, and nothing is sent if it rolls back', async () => {
    await db.knex.transaction(async (trx) => {
      await enqueueMail(trx, { to: 'carol@example.org', subject: 'Never', text: 'x' });
      throw new Error('rollback');
    }).catch(() => undefined);
    expect(await db.knex('raia_mail_outbox').where('to_address', 'carol@example.org')).toEqual([]);
  });

  it('retries a refused delivery with backoff and gives up after maxAttempts', async () => {
    const s = sender(2);
    const id = await enqueueMail(db.knex, { to: 'bounce@example.org', subject: 'Bounce', text: 'x' });
    expect(await s.flush()).toBe(0);
    let row = await db.knex('raia_mail_outbox').where('id', id).first();
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(new Date(row.next_attempt_at).getTime()).toBe(now.getTime() + 1000);
    expect(await s.flush()).toBe(0);
    expect((await db.knex('raia_mail_outbox').where('id', id).first()).attempts).toBe(1);
    now = new Date(now.getTime() + 1001);
    await s.flush();
    row = await db.knex('raia_mail_outbox').where('id', id).first();
    expect(row).toMatchObject({ status: 'failed', attempts: 2, text_body: null });
    expect(row.last_error).toMatch(/550|unavailable/);
  });

  it('gives up, without sending, on a message whose sender died during its last attempt', async () => {
    const id = await enqueueMail(db.knex, { to: 'erin@example.org', subject: 'Orphan', text: 'token: xyz' });
    // What a sender that claimed the message three times and crashed each time leaves behind, lease expired.
    await db.knex('raia_mail_outbox').where('id', id).update({ attempts: 3 });
    const before = mailbox.count();
    expect(await sender(3).flush()).toBe(0);
    expect(mailbox.count()).toBe(before);
    expect(await db.knex('raia_mail_outbox').where('id', id).first()).toMatchObject({ status: 'failed', attempts: 3, text_body: null, last_error: expect.stringMatching(/abandoned/) });
  });
});

describe('file mail transport', () => {
  it('writes a parseable .eml, owner-readable only, when no SMTP server is configured', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'raia-mail-'));
    const transport = createMailTransport({ dataDir, from: 'RAIA <no-reply@raia.test>' });
    expect(transport.kind).toBe('file');
    await transport.send({ to: 'dave@example.org', subject: 'Hello', text: 'body text' });
    const [file] = readdirSync(join(dataDir, 'outbox-sent'));
    expect(file).toMatch(/^\d{4}-\d\d-\d\dT[\d-]+Z-.+\.eml$/);
    expect(statSync(join(dataDir, 'outbox-sent', file!)).mode & 0o777).toBe(0o600);
    const parsed = await simpleParser(readFileSync(join(dataDir, 'outbox-sent', file!)));
    expect(parsed.subject).toBe('Hello');
    expect(parsed.text?.trim()).toBe('body text');
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.text : undefined).toBe('dave@example.org');
    rmSync(dataDir, { recursive: true, force: true });
  });
});

describe.each(dialects)('a recipient\'s mail at erasure on %s', (dialect) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('lists and scrubs a recipient\'s mail without case: address, bodies and error gone, a pending one withdrawn, others untouched', async () => {
    const sent = await enqueueMail(db.knex, { to: 'Erin@Example.org', subject: 'Reset', text: 'token: s3cret' });
    await db.knex('raia_mail_outbox').where('id', sent).update({ status: 'sent', text_body: null, last_error: '550 erin@example.org unknown' });
    const pending = await enqueueMail(db.knex, { to: 'erin@example.org', subject: 'Verify', text: 'token: t0ken', html: '<p>Erin</p>' });
    const other = await enqueueMail(db.knex, { to: 'frank@example.org', subject: 'Verify', text: 'token: f' });
    // Rows queued within one millisecond share created_at, and their ids are random: compare as sets.
    const byId = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]));
    expect((await mailsTo(db.knex, 'ERIN@example.org')).map((m) => [m.id, m.subject, m.status]).sort(byId)).toEqual([[sent, 'Reset', 'sent'], [pending, 'Verify', 'pending']].sort(byId));
    expect(await scrubMailsTo(db.knex, 'erin@example.org')).toBe(2);
    const rows = await db.knex('raia_mail_outbox').whereIn('id', [sent, pending, other]);
    expect(rows.map((r) => [r.id, r.to_address, r.status, r.text_body, r.html_body, r.last_error]).sort(byId)).toEqual([
      [sent, '[redacted]', 'sent', null, null, null],
      [pending, '[redacted]', 'withdrawn', null, null, null],
      [other, 'frank@example.org', 'pending', 'token: f', null, null],
    ].sort(byId));
    expect(await mailsTo(db.knex, 'erin@example.org')).toEqual([]);
    await db.knex('raia_mail_outbox').where('id', other).delete();
  });
});
