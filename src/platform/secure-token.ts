import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A bearer secret (refresh, verification, reset tokens): 256 random bits, base64url. */
export const newToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

/** What is stored in place of a token: its SHA-256, so a database leak yields no usable token. */
export const tokenDigest = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** Constant-time comparison of two hex digests; false (not an exception) when lengths differ. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
