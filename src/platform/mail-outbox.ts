import { randomUUID } from 'node:crypto';
import type { Knex } from './database.js';
import type { Logger } from './logger.js';
import type { Migration } from './migrations.js';
import type { MailMessage, MailTransport } from './mail-transport.js';

const OUTBOX = 'raia_mail_outbox';

export const mailOutboxMigrations: Migration[] = [
  {
    name: '0005_mail_outbox',
    async up(knex) {
      await knex.raw(`CREATE TABLE IF NOT EXISTS ${OUTBOX} (
        id              uuid PRIMARY KEY,
        to_address      text NOT NULL,
        subject         text NOT NULL,
        text_body       text,
        html_body       text,
        status          text NOT NULL DEFAULT 'pending',
        attempts        integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error      text,
        created_at      timestamptz NOT NULL DEFAULT now(),
        sent_at         timestamptz
      )`);
      await knex.raw(`CREATE INDEX IF NOT EXISTS raia_mail_outbox_due_idx ON ${OUTBOX} (next_attempt_at) WHERE status = 'pending'`);
    },
  },
];

/** Queues a message; with a transaction, it is sent only if that transaction commits (transactional outbox). */
export async function enqueueMail(db: Knex | Knex.Transaction, message: MailMessage, id: string = randomUUID()): Promise<string> {
  await db(OUTBOX).insert({ id, to_address: message.to, subject: message.subject, text_body: message.text, html_body: message.html ?? null });
  return id;
}

export type MailSender = { flush(): Promise<number>; stop(): Promise<void> };

type ClaimedMail = { id: string; to_address: string; subject: string; text_body: string | null; html_body: string | null; attempts: number };

/**
 * Delivers queued mail, retrying failures with exponential backoff and giving up after
 * `maxAttempts`. Once sent (or given up on), a message's bodies are cleared: they hold one-time
 * tokens and personal data. Several senders (one per API or worker process) may share the table:
 * each claims its batch with `FOR UPDATE SKIP LOCKED` and leases it, so no message is sent twice
 * while its sender lives; a sender that dies mid-batch leaves its messages due again when the
 * lease runs out (delivery is at least once, never silently lost).
 */
export function startMailSender(options: {
  knex: Knex;
  transport: MailTransport;
  logger?: Logger;
  pollIntervalMs?: number;
  maxAttempts?: number;
  /** Delay before retry number `attempt + 1`, given the attempts made so far. */
  backoffMs?: (attempt: number) => number;
  clock?: () => Date;
  batchSize?: number;
  /** How long a claimed batch stays invisible to other senders; longer than nodemailer's worst-case send of a batch. */
  claimLeaseMs?: number;
}): MailSender {
  const { knex, transport, logger } = options;
  const maxAttempts = options.maxAttempts ?? 8;
  const backoffMs = options.backoffMs ?? ((attempt: number) => Math.min(1000 * 2 ** attempt, 3_600_000));
  const clock = options.clock ?? (() => new Date());
  const batchSize = options.batchSize ?? 20;
  const claimLeaseMs = options.claimLeaseMs ?? 15 * 60_000;
  let running: Promise<number> | null = null;
  let stopped = false;

  // Counting the attempt when it is claimed means a message that keeps killing its sender still reaches maxAttempts.
  const claimDue = (): Promise<ClaimedMail[]> =>
    knex.transaction(async (trx) => {
      const now = clock();
      const due: ClaimedMail[] = await trx(OUTBOX)
        .select('id', 'to_address', 'subject', 'text_body', 'html_body', 'attempts')
        .where('status', 'pending')
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .limit(batchSize)
        .forUpdate()
        .skipLocked();
      if (due.length === 0) return due;
      await trx(OUTBOX)
        .whereIn('id', due.map((m) => m.id))
        .update({ attempts: trx.raw('attempts + 1'), next_attempt_at: new Date(now.getTime() + claimLeaseMs) });
      return due.map((m) => ({ ...m, attempts: m.attempts + 1 }));
    });

  const giveUp = (id: string, attempts: number, reason: string) =>
    knex(OUTBOX).where('id', id).update({ status: 'failed', attempts, last_error: reason, text_body: null, html_body: null });

  const deliver = async (m: ClaimedMail): Promise<boolean> => {
    if (m.attempts > maxAttempts) {
      // Only a sender that died after claiming leaves a message here.
      await giveUp(m.id, maxAttempts, 'abandoned: sender stopped during delivery');
      logger?.warn({ mailId: m.id, attempts: maxAttempts }, 'mail delivery failed for good');
      return false;
    }
    try {
      await transport.send({ to: m.to_address, subject: m.subject, text: m.text_body ?? '', ...(m.html_body ? { html: m.html_body } : {}) });
    } catch (error) {
      const reason = error instanceof Error ? error.message.slice(0, 500) : String(error);
      if (m.attempts >= maxAttempts) await giveUp(m.id, m.attempts, reason);
      else await knex(OUTBOX).where('id', m.id).update({ last_error: reason, next_attempt_at: new Date(clock().getTime() + backoffMs(m.attempts)) });
      logger?.warn({ mailId: m.id, attempts: m.attempts }, m.attempts >= maxAttempts ? 'mail delivery failed for good' : 'mail delivery failed; will retry');
      return false;
    }
    await knex(OUTBOX).where('id', m.id).update({ status: 'sent', sent_at: clock(), text_body: null, html_body: null, last_error: null });
    logger?.debug({ mailId: m.id }, 'mail sent');
    return true;
  };

  const deliverDue = async (): Promise<number> => {
    let sent = 0;
    while (!stopped) {
      const due = await claimDue();
      if (due.length === 0) break;
      for (const m of due) if (await deliver(m)) sent++;
    }
    return sent;
  };

  const flush = (): Promise<number> => {
    running ??= deliverDue().finally(() => {
      running = null;
    });
    return running;
  };

  const timer = setInterval(() => void flush().catch((err: unknown) => logger?.error({ err }, 'mail sender failed')), options.pollIntervalMs ?? 1000);
  timer.unref();
  return {
    flush,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
      transport.close();
    },
  };
}

/** A queued or sent message as its recipient may see it: never its bodies (they held one-time tokens). */
export type OutboxRecord = { id: string; to: string; subject: string; status: string; attempts: number; createdAt: string; sentAt: string | null };

const REDACTED_ADDRESS = '[redacted]';

/** Every message ever queued for `address` (compared without case: the outbox keeps what the sender wrote), oldest first. */
export async function mailsTo(knex: Knex, address: string): Promise<OutboxRecord[]> {
  const rows = await knex(OUTBOX).select('id', 'to_address', 'subject', 'status', 'attempts', 'created_at', 'sent_at').whereRaw('lower(to_address) = ?', [address.toLowerCase()]).orderBy('created_at').orderBy('id');
  return rows.map((r) => ({ id: r.id, to: r.to_address, subject: r.subject, status: r.status, attempts: r.attempts, createdAt: new Date(r.created_at).toISOString(), sentAt: r.sent_at ? new Date(r.sent_at).toISOString() : null }));
}

/**
 * Erasure of a recipient: their messages keep their place in the outbox (what was sent, when) but
 * lose the address, the bodies and the last error (an SMTP refusal quotes the address). A message
 * still pending is withdrawn rather than sent to no one. Returns how many rows were rewritten.
 */
export async function scrubMailsTo(knex: Knex, address: string): Promise<number> {
  return knex(OUTBOX)
    .whereRaw('lower(to_address) = ?', [address.toLowerCase()])
    .update({ to_address: REDACTED_ADDRESS, text_body: null, html_body: null, last_error: null, status: knex.raw(`CASE WHEN status = 'pending' THEN 'withdrawn' ELSE status END`) });
}
