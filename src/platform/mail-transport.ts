import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';

export type MailMessage = { to: string; subject: string; text: string; html?: string };

export type MailTransport = {
  kind: 'smtp' | 'file';
  send(message: MailMessage): Promise<{ messageId: string }>;
  close(): void;
};

/**
 * Delivers mail with nodemailer: over SMTP when `smtpUrl` is configured, otherwise as RFC 822 .eml
 * files in `<dataDir>/outbox-sent/` (owner-readable only), so a server without SMTP still works.
 */
export function createMailTransport(options: { smtpUrl?: string; dataDir: string; from: string }): MailTransport {
  if (options.smtpUrl) {
    const transporter = nodemailer.createTransport(options.smtpUrl);
    return {
      kind: 'smtp',
      async send(message) {
        const info = await transporter.sendMail({ from: options.from, ...message });
        return { messageId: String(info.messageId) };
      },
      close: () => transporter.close(),
    };
  }
  const dir = join(options.dataDir, 'outbox-sent');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    kind: 'file',
    async send(message) {
      const info = await transporter.sendMail({ from: options.from, ...message });
      const messageId = String(info.messageId);
      const file = `${new Date().toISOString().replace(/[:.]/g, '-')}-${messageId.replace(/[^A-Za-z0-9@.-]/g, '')}.eml`;
      await writeFile(join(dir, file), info.message as Buffer, { mode: 0o600 });
      return { messageId };
    },
    close: () => transporter.close(),
  };
}
