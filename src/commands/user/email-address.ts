import { createHmac } from 'node:crypto';

/** The form two spellings of one address share: trimmed, Unicode-normalised, lower-cased. */
export const normaliseEmail = (email: string) => email.trim().normalize('NFC').toLowerCase();

/**
 * Keyed digest of an address (HMAC-SHA256): finds and deduplicates accounts without keeping the
 * address in clear, and cannot be reversed by hashing a list of known addresses without the key.
 */
export const emailDigest = (email: string, key: Buffer) => createHmac('sha256', key).update(normaliseEmail(email), 'utf8').digest('hex');

export const emailClaimStreamId = (digest: string) => `useremail-${digest}`;
