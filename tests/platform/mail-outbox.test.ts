import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailTransport } from '../../src/platform/mail-transport.js';
import { enqueueMail, startMailSender, type MailSender } from '../../src/platform/mail-outbox.js';
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
  const sender = (maxAttempts = 3) => {
    const s = startMailSender({ knex: db.knex, transport: createMailTransport({ smtpUrl: mailbox.url, dataDir: tmpdir(), from: 'RAIA <no-reply@raia.test>' }), maxAttempts, pollIntervalMs: 60_000, clock: () => now, backoffMs: () => 1000 });
    senders.push(s);
    return s;
  };

  it('delivers queued mail over SMTP and forgets the bodies once sent', async () => {
    const id = await enqueueMail(db.knex, { to: 'alice@example.org', subject: 'Confirm', text: 'token: abc123' });
    expect(await sender().flush()).toBe(1);
    const mail = await mailbox.next('alice@example.org');
    expect(mail).toMatchObject({ subject: 'Confirm' });
    expect(mail.text).toContain('token: abc123');
    const row = await db.knex('raia_mail_outbox').where('id', id).first();
    expect(row).toMatchObject({ status: 'sent', text_body: null, attempts: 1 });
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
});

describe('file mail transport', () => {
  it('writes a parseable .eml, owner-readable only, when no SMTP server is configured', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'raia-mail-'));
    const transport = createMailTransport({ dataDir, from: 'RAIA <no-reply@raia.test>' });
    expect(transport.kind).toBe('file');
    await transport.send({ to: 'dave@example.org', subject: 'Hello', text: 'body text' });
    const [file] = readdirSync(join(dataDir, 'outbox-sent'));
    const parsed = await simpleParser(readFileSync(join(dataDir, 'outbox-sent', file!)));
    expect(parsed.subject).toBe('Hello');
    expect(parsed.text?.trim()).toBe('body text');
    rmSync(dataDir, { recursive: true, force: true });
  });
});
