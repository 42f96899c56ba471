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

/**
 * Delivers queued mail, retrying failures with exponential backoff and giving up after
 * `maxAttempts`. Once sent, a message's bodies are cleared: they hold one-time tokens.
 */
export function startMailSender(options: {
  knex: Knex;
  transport: MailTransport;
  logger?: Logger;
  pollIntervalMs?: number;
  maxAttempts?: number;
  backoffMs?: (attempt: number) => number;
  clock?: () => Date;
}): MailSender {
  const { knex, transport, logger } = options;
  const maxAttempts = options.maxAttempts ?? 8;
  const backoffMs = options.backoffMs ?? ((attempt: number) => Math.min(1000 * 2 ** attempt, 3_600_000));
  const clock = options.clock ?? (() => new Date());
  let running: Promise<number> | null = null;
  let stopped = false;

  const deliverDue = async (): Promise<number> => {
    let sent = 0;
    for (;;) {
      const due: { id: string; to_address: string; subject: string; text_body: string | null; html_body: string | null; attempts: number }[] = await knex(OUTBOX)
        .where('status', 'pending')
        .where('next_attempt_at', '<=', clock())
        .orderBy('created_at')
        .limit(50);
      if (due.length === 0 || stopped) return sent;
      for (const m of due) {
        try {
          await transport.send({ to: m.to_address, subject: m.subject, text: m.text_body ?? '', ...(m.html_body ? { html: m.html_body } : {}) });
          await knex(OUTBOX).where('id', m.id).update({ status: 'sent', sent_at: clock(), text_body: null, html_body: null, attempts: m.attempts + 1, last_error: null });
          sent++;
        } catch (error) {
          const attempts = m.attempts + 1;
          const message = error instanceof Error ? error.message.slice(0, 500) : String(error);
          await knex(OUTBOX)
            .where('id', m.id)
            .update(attempts >= maxAttempts ? { status: 'failed', attempts, last_error: message, text_body: null, html_body: null } : { attempts, last_error: message, next_attempt_at: new Date(clock().getTime() + backoffMs(attempts)) });
          logger?.warn({ mailId: m.id, attempts }, attempts >= maxAttempts ? 'mail delivery failed for good' : 'mail delivery failed; will retry');
        }
      }
    }
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
