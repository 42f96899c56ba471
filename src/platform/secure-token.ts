import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A bearer secret (refresh, verification, reset tokens): 256 random bits by default, base64url. */
export const newToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

/**
 * What is stored in place of a token: its SHA-256 in hex, so a database leak yields no usable
 * token. A fast hash is enough here, unlike for passwords: a 256-bit random secret cannot be
 * guessed however cheap each guess is.
 */
export const tokenDigest = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** Constant-time comparison of two digests; false (not an exception) when their lengths differ. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** What a new API key is: the key is shown once; only the prefix and digest are kept. */
export type NewApiKey = { key: string; prefix: string; digest: string };

// A fixed, recognisable lead-in lets secret scanners and log filters spot leaked keys.
const API_KEY_LEAD = 'raia_';
// Hex, so the prefix never contains the '_' that separates it from the base64url secret.
const API_KEY_PREFIX_BYTES = 4;
const API_KEY_SECRET_BYTES = 32;
const API_KEY_FORMAT = /^raia_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$/;

/**
 * `raia_<8 hex prefix>_<43 base64url secret>`. The prefix names the key in lists and logs; the
 * digest (SHA-256 of the whole key) is what the server stores and looks the key up by.
 */
export function newApiKey(): NewApiKey {
  const prefix = randomBytes(API_KEY_PREFIX_BYTES).toString('hex');
  const key = `${API_KEY_LEAD}${prefix}_${newToken(API_KEY_SECRET_BYTES)}`;
  return { key, prefix, digest: tokenDigest(key) };
}

/** The prefix of a well-formed presented key, or null, so malformed keys are refused without a lookup. */
export function apiKeyPrefix(presented: string): string | null {
  return API_KEY_FORMAT.exec(presented)?.[1] ?? null;
}
