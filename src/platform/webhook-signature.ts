import { deriveKey } from './key-material.js';
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed webhooks of data streams. The signing secret of a stream is derived from the master key
 * and the stream id with HKDF-SHA256 (RFC 5869), so the ledger holds nothing secret and any RAIA
 * process with the master key can verify. The sender signs `<timestamp>.<raw body>` with
 * HMAC-SHA256 and sends `X-Raia-Signature: sha256=<hex>` and `X-Raia-Timestamp: <unix seconds>`.
 */

export const SIGNATURE_TOLERANCE_SECONDS = 300;

export function streamWebhookSecret(masterKey: Uint8Array, streamId: string): string {
  return deriveKey(masterKey, `raia stream webhook ${streamId}`).toString('hex');
}

export function signWebhook(secret: string, timestamp: string, body: Uint8Array | string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function verifyWebhookSignature(secret: string, headers: { signature?: string; timestamp?: string }, body: Uint8Array, now: Date): SignatureCheck {
  const { signature, timestamp } = headers;
  if (!signature || !timestamp) return { ok: false, reason: 'X-Raia-Signature and X-Raia-Timestamp are required' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'X-Raia-Timestamp must be unix seconds' };
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS) return { ok: false, reason: `the timestamp is more than ${SIGNATURE_TOLERANCE_SECONDS} seconds away from now` };
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(signature);
  // Equal lengths first: timingSafeEqual throws otherwise, and the length is not secret.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'the signature does not match' };
  return { ok: true };
}
