import { createHmac, randomBytes } from 'node:crypto';

/**
 * Signing as the Standard Webhooks specification defines it (standardwebhooks.com, v1): the
 * secret is `whsec_` + base64 of its bytes; the signature is `v1,` + base64 of HMAC-SHA256 over
 * `<webhook-id>.<webhook-timestamp>.<body>` keyed with those bytes.
 */
export const SECRET_PREFIX = 'whsec_';

/** A fresh secret: 32 random bytes. */
export const newWebhookSecret = () => `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;

/** Whether a text is a secret in the scheme's form, of 24 to 64 bytes. */
export function isWebhookSecret(secret: string): boolean {
  if (!secret.startsWith(SECRET_PREFIX)) return false;
  const b64 = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return false;
  const length = Buffer.from(b64, 'base64').length;
  return length >= 24 && length <= 64;
}

export function signStandardWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

/** The three headers of a delivery. */
export function standardWebhookHeaders(secret: string, id: string, timestampSeconds: number, body: string): Record<string, string> {
  return { 'webhook-id': id, 'webhook-timestamp': String(timestampSeconds), 'webhook-signature': signStandardWebhook(secret, id, timestampSeconds, body) };
}
